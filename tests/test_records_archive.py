"""Import, export and deletion: round trips, hostile inputs that change nothing, erasure."""

from __future__ import annotations

import json
import stat
import zipfile
from datetime import date, datetime

import pytest

from cctf.cli import main
from cctf.errors import FileFormatError, RecordsError
from cctf.records import audit
from cctf.records.archive import export_patient, import_patient_archive
from cctf.records.db import daily_backup
from cctf.records.erase import delete_patient
from cctf.records.importer import import_session_csv
from cctf.records.recovery import begin_session, complete_session
from cctf.records.startup import open_records

from .records_helpers import clinic_csv, snapshot, training_csv
from .test_breath_hold import _write_csv, breath_holder


@pytest.fixture
def records(tmp_path):
    r = open_records(tmp_path / "data")
    r.add_patient("P-1", name="Jane Doe", birth_year=1975, notes="right-handed")
    daily_backup(r.conn, r.data.backups, date.today())  # as the next start would
    yield r
    r.close()


def _two_sessions(records, tmp_path):
    records.prescribe("P-1", {"target_mmhg": 24}, sessions_per_day=2, start=date(2025, 3, 1))
    a = begin_session(records, "P-1", "clinic", started_at=datetime(2025, 3, 3, 10))
    clinic_csv(a.csv_path, 6, 8)
    s1 = complete_session(records, a, notes="first test")
    records.mark_compensation(s1.id, 4, "breath")
    records.override_verdict(s1.id, 3, False)
    t = begin_session(records, "P-1", "training", started_at=datetime(2025, 3, 4, 9))
    training_csv(t.csv_path, held=6)
    complete_session(records, t)
    return s1


def test_a_session_csv_is_imported_copied_and_analysed(records, tmp_path):
    src = clinic_csv(tmp_path / "from-laptop.csv", 4, 6)
    before = src.read_bytes()
    sid = import_session_csv(records, src, "P-1")
    s = records.session(sid)
    assert (s.status, s.kind, s.performance_index) == ("imported", "clinic", 24)
    stored = records.csv_path(s)
    assert stored.name == "2025-03-03_100000_clinic_imported.csv"
    assert stored.read_bytes() == before == src.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    with pytest.raises(RecordsError, match="already in the records"):
        import_session_csv(records, src, "P-1")


def _formula_csv(path):
    path.write_text("# started_at: 2025-03-03T10:00:00+01:00\n"
                    "t_s,pressure_mmhg,target_mmhg,phase,marker\n"
                    "0.00,20.0,,,\n0.02,20.1,,,=HYPERLINK(\"http://x\";\"click\")\n")


def _negative_numbers_are_fine(path):
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase,raw\n0.00,-0.5,,,-12\n0.02,20,,,-3\n")


MALFORMED_CSV = {
    "binary junk": (lambda p: p.write_bytes(bytes(range(256)) * 64), "binary data"),
    "not utf-8": (lambda p: p.write_bytes(b"t_s,pressure_mmhg,target_mmhg,phase\n0,\xff\xfe,,\n"),
                  "not a text file"),
    "a huge line": (lambda p: p.write_text("# x: " + "a" * 100_000 + "\n"), "line longer"),
    "no header": (lambda p: p.write_text("# only: metadata\n"), "no column header"),
    "no samples": (lambda p: p.write_text("t_s,pressure_mmhg,target_mmhg,phase\n"),
                   "no samples"),
    "a bad number": (lambda p: p.write_text("t_s,pressure_mmhg,target_mmhg,phase\n0,20,,\n"
                                            "0.02,abc,,\n"), "pressure_mmhg is 'abc'"),
    "a formula cell": (_formula_csv, "looks like a spreadsheet formula"),
    "a formula in the metadata": (lambda p: p.write_text(
        "# device_serial: @SUM(A1:A9)\nt_s,pressure_mmhg,target_mmhg,phase\n0,20,,\n"),
        "looks like a spreadsheet formula"),
    "a folder": (lambda p: p.mkdir(), "not a regular file"),
    "time going back": (lambda p: p.write_text("t_s,pressure_mmhg,target_mmhg,phase\n1,20,,\n"
                                               "0.5,20,,\n"), "t_s goes backwards"),
}


@pytest.mark.parametrize("kind", list(MALFORMED_CSV), ids=list(MALFORMED_CSV))
def test_a_malformed_csv_import_is_refused_and_changes_nothing(records, tmp_path, capsys, kind):
    make, message = MALFORMED_CSV[kind]
    bad = tmp_path / "bad.csv"
    make(bad)
    before = snapshot(records.data.root)
    with pytest.raises(FileFormatError) as err:
        import_session_csv(records, bad, "P-1")
    assert message in str(err.value) and str(bad) in str(err.value)
    assert snapshot(records.data.root) == before
    # The command line: one line, exit status 2, no traceback.
    assert main(["import", str(bad), "--patient", "P-1", "--data-dir",
                 str(records.data.root)]) == 2
    err_text = capsys.readouterr().err
    assert err_text.startswith("cctf: ") and message in err_text and "Traceback" not in err_text
    assert snapshot(records.data.root) == before


def test_negative_numbers_are_not_formulas(records, tmp_path):
    ok = tmp_path / "ok.csv"
    _negative_numbers_are_fine(ok)
    assert records.session(import_session_csv(records, ok, "P-1")).kind == "monitor"


def test_export_then_import_on_another_machine_round_trips(records, tmp_path):
    s1 = _two_sessions(records, tmp_path)
    out = export_patient(records, "P-1", tmp_path / "P-1.zip", exported_at="2025-04-01T12:00:00",
                         include_reports=True)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as zf:
        names = sorted(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert names[0] == "manifest.json" and len([n for n in names if n.endswith(".csv")]) == 2
    assert len([n for n in names if n.endswith(".pdf")]) == 2
    assert manifest["patient"]["name"] == "Jane Doe"

    other = open_records(tmp_path / "other-machine")
    try:
        report = import_patient_archive(other, out)
        assert report.patient_code == "P-1" and len(report.session_ids) == 2
        p = other.patient("P-1")
        assert (p.name, p.birth_year, p.notes) == ("Jane Doe", 1975, "right-handed")
        a, b = records.sessions("P-1"), other.sessions("P-1")
        keys = ("kind", "status", "started_at", "activation_score_mmhg", "performance_index",
                "reps_done", "therapist_notes", "csv_sha256", "device_serial", "prescription")
        assert [[getattr(s, k) for k in keys] for s in a] == [[getattr(s, k) for k in keys]
                                                              for s in b]
        ra, rb = records.load_result(s1.id), other.load_result(b[0].id)
        assert ra.to_dict() == rb.to_dict()  # marks and overrides came along
        assert rb.trials[4].manual_faults == ["breath"] and rb.trials[3].verdict_override is False
        assert [r.to_dict() for r in other.prescriptions("P-1")] == [
            r.to_dict() for r in records.prescriptions("P-1")]
        with pytest.raises(RecordsError, match="already exists"):
            import_patient_archive(other, out)
        assert import_patient_archive(other, out, as_code="P-1b").patient_code == "P-1b"
    finally:
        other.close()
    anonymous = export_patient(records, "P-1", tmp_path / "anon.zip", exported_at="x",
                               include_name=False)
    with zipfile.ZipFile(anonymous) as zf:
        assert json.loads(zf.read("manifest.json"))["patient"]["name"] is None


def _archive(path, members: dict[str, bytes], symlink: str | None = None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def _manifest(files=("sessions/a.csv",), **patient) -> bytes:
    return json.dumps({
        "format": "cctf-patient-archive", "format_version": 1,
        "patient": {"code": "P-NEW", **patient}, "prescriptions": [],
        "sessions": [{"kind": "clinic", "file": f, "status": "complete"} for f in files],
    }).encode()


def _good_csv(tmp_path) -> bytes:
    return clinic_csv(tmp_path / "good.csv", 2, 3).read_bytes()


MALFORMED_ARCHIVES = {
    "not a zip": (lambda t: (t / "x.zip").write_bytes(b"PK\x03\x04 not really"),
                  "not a zip archive"),
    "a path with ..": (lambda t: _archive(t / "x.zip", {
        "manifest.json": _manifest(), "sessions/../../evil.csv": _good_csv(t)}),
        "unexpected file"),
    "an absolute path": (lambda t: _archive(t / "x.zip", {
        "manifest.json": _manifest(), "/tmp/evil.csv": _good_csv(t)}), "unexpected file"),
    "a nested folder": (lambda t: _archive(t / "x.zip", {
        "manifest.json": _manifest(), "sessions/a/b.csv": _good_csv(t)}), "unexpected file"),
    "a symlink": (lambda t: _archive(t / "x.zip", {"manifest.json": _manifest()},
                                     symlink="sessions/a.csv"), "link or special file"),
    "a zip bomb": (lambda t: _archive(t / "x.zip", {
        "manifest.json": _manifest(), "sessions/a.csv": b"0" * (50 * 1024 * 1024)}),
        "zip bomb"),
    "no manifest": (lambda t: _archive(t / "x.zip", {"sessions/a.csv": _good_csv(t)}),
                    "no manifest.json"),
    "broken JSON": (lambda t: _archive(t / "x.zip", {"manifest.json": b"{\"format\": "}),
                    "not valid JSON"),
    "a bad patient ID": (lambda t: _archive(t / "x.zip", {
        "manifest.json": _manifest().replace(b"P-NEW", b"../../root")}), "patient ID"),
    "a missing CSV": (lambda t: _archive(t / "x.zip", {"manifest.json": _manifest()}),
                      "which the archive lacks"),
    "a malformed CSV inside": (lambda t: _archive(t / "x.zip", {
        "manifest.json": _manifest(("sessions/a.csv", "sessions/b.csv")),
        "sessions/a.csv": _good_csv(t),
        "sessions/b.csv": b"t_s,pressure_mmhg,target_mmhg,phase\n0,=cmd|' /C calc'!A0,,\n"}),
        "sessions/b.csv"),
    "a bad birth year": (lambda t: _archive(t / "x.zip", {
        "manifest.json": _manifest(birth_year=1492), "sessions/a.csv": _good_csv(t)}),
        "birth year"),
}


@pytest.mark.parametrize("kind", list(MALFORMED_ARCHIVES), ids=list(MALFORMED_ARCHIVES))
def test_a_hostile_archive_is_refused_and_changes_nothing(records, tmp_path, capsys, kind):
    make, message = MALFORMED_ARCHIVES[kind]
    make(tmp_path)
    before = snapshot(records.data.root)
    with pytest.raises((FileFormatError, RecordsError, ValueError)) as err:
        import_patient_archive(records, tmp_path / "x.zip")
    assert message in str(err.value)
    assert snapshot(records.data.root) == before
    assert records.find_patient("P-NEW") is None
    code = main(["import", str(tmp_path / "x.zip"), "--data-dir", str(records.data.root)])
    assert code in (1, 2)
    err_text = capsys.readouterr().err
    assert err_text.startswith("cctf: ") and "Traceback" not in err_text
    assert snapshot(records.data.root) == before
    assert not (tmp_path.parent / "evil.csv").exists()


def test_delete_removes_the_patient_everywhere(records, tmp_path, capsys):
    _two_sessions(records, tmp_path)
    records.add_patient("P-2")
    keep = begin_session(records, "P-2", "clinic")
    clinic_csv(keep.csv_path)
    complete_session(records, keep)
    outside = tmp_path / "outside.csv"
    ext = begin_session(records, "P-1", "monitor", csv_path=outside)  # cctf record -o …
    clinic_csv(outside)
    complete_session(records, ext)
    records.close()
    records = open_records(tmp_path / "data", today=date(2025, 5, 1))  # a backup holds P-1
    root = records.data.root
    assert (root / "backups" / "cctf-2025-05-01.db").exists()

    with pytest.raises(RecordsError, match="cannot be undone"):
        delete_patient(records, "P-1", confirm=False)
    assert records.find_patient("P-1") is not None
    report = delete_patient(records, "P-1", confirm=True, today=date(2025, 5, 1))
    assert report.sessions == 3 and len(report.files_removed) == 3
    assert records.find_patient("P-1") is None
    assert not (root / "sessions" / "P-1").exists() and not outside.exists()
    q = records.conn.execute
    assert q("SELECT count(*) FROM sessions WHERE patient_id = 1").fetchone()[0] == 0
    assert q("SELECT count(*) FROM prescriptions").fetchone()[0] == 0
    for table in ("trials", "faults", "annotations"):  # nothing left behind by the cascade
        assert q(f"SELECT count(*) FROM {table} WHERE session_id != ?",
                 (keep.id,)).fetchone()[0] == 0, table
    assert records.conn.execute("SELECT count(*) FROM trials").fetchone()[0] == len(
        records.load_result(keep.id).trials)  # P-2 untouched
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"Jane Doe" not in data and b"right-handed" not in data, path
    assert records.csv_path(records.session(keep.id)).exists()
    records.close()
    assert main(["patients", "--data-dir", str(root), "delete", "P-2"]) == 1
    assert "--yes" in capsys.readouterr().err
    assert main(["patients", "--data-dir", str(root), "delete", "P-2", "--yes"]) == 0
    assert not any((root / "sessions").iterdir())


def test_an_archive_carries_flag_reviews_to_another_computer(tmp_path):
    """Flag reviews are compensation annotations: exported, and on import re-applied to the
    flags the analysis finds again (with the audit trail)."""
    columns = breath_holder(50)[1]
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    _write_csv(active.csv_path, columns, 50)
    session = complete_session(records, active)
    records.review_flag(session.id, 2, "breath_hold", True)
    records.review_flag(session.id, 1, "breath_hold", False)
    audit.edit_flag_review(records, session.id, 3, "breath_hold", True, reason="video")
    archive = tmp_path / "p1.zip"
    export_patient(records, "P-1", archive, exported_at="2025-04-01T12:00:00")
    with zipfile.ZipFile(archive) as z:
        text = json.dumps(json.loads(z.read(next(n for n in z.namelist()
                                                 if n.endswith(".json")))))
    assert "confirmed:breath_hold" in text and "dismissed:breath_hold" in text
    other = open_records(tmp_path / "other")
    try:
        import_patient_archive(other, archive)
        new = other.sessions("P-1")[0]
        back = other.load_result(new.id)
        assert back.trials[2].flag_review == {"breath_hold": True} and not back.trials[2].passed
        assert back.trials[1].flag_review == {"breath_hold": False} and back.trials[1].passed
        assert back.trials[3].flag_review == {"breath_hold": True}
        assert back.trials[1].manual_faults == [] and back.trials[2].manual_faults == []
        assert other.session(new.id).activation_score_mmhg == 4 == records.session(
            session.id).activation_score_mmhg  # 26 mmHg failed by the confirmed flag
        assert [e.value for e in audit.edits(other, new.id)] == ["confirmed:breath_hold"]
    finally:
        other.close()
        records.close()
