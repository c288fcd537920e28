"""Changes to a finished session kept as an audit trail (schema v3), the clinic settings
file, the therapist's actions read back from a recording, and the app's remembered state."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cctf.errors import ConfigError, FileFormatError, RecordsError
from cctf.records import audit, clinic_settings
from cctf.records.actions import is_action, session_actions
from cctf.records.clinic_settings import ClinicSettings, config_dir
from cctf.records.db import open_database, schema_version
from cctf.records.recovery import begin_session, complete_session
from cctf.records.startup import open_records
from cctf.sessionfile import SessionRecording

from .records_helpers import clinic_csv

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def session(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    clinic_csv(active.csv_path, 6, 7)
    sid = complete_session(records, active).id
    yield records, sid
    records.close()


def test_an_override_after_the_session_needs_a_reason_and_is_kept_with_its_time(session):
    records, sid = session
    before = records.session(sid).performance_index
    failed = next(t for t in records.load_result(sid).trials
                  if t.phase == "endurance" and not t.passed)
    with pytest.raises(ConfigError, match="needs a reason"):
        audit.edit_override(records, sid, failed.index, True, reason="  ")
    assert audit.edits(records, sid) == []
    audit.edit_override(records, sid, failed.index, True, reason="seen on video", now=NOW)
    assert records.session(sid).performance_index == before + 6  # one more hold at +6
    edit, = audit.edits(records, sid)
    assert (edit.action, edit.trial_index, edit.value, edit.reason, edit.at) == (
        "override", failed.index, "pass", "seen on video", "2025-03-04T09:30:00+00:00")
    audit.edit_override(records, sid, failed.index, None, reason="back to measured", now=NOW)
    assert records.session(sid).performance_index == before
    assert [e.value for e in audit.edits(records, sid)] == ["pass", "measured"]


def test_compensation_and_notes_after_the_session(session):
    records, sid = session
    passed = next(t for t in records.load_result(sid).trials if t.passed)
    audit.edit_compensation(records, sid, passed.index, "scm", reason="video", now=NOW)
    assert not next(t for t in records.load_result(sid).trials
                    if t.index == passed.index).passed
    audit.edit_compensation(records, sid, passed.index, None, reason="wrong trial", now=NOW)
    assert next(t for t in records.load_result(sid).trials if t.index == passed.index).passed
    audit.edit_notes(records, sid, "Reviewed with the patient.", now=NOW)
    audit.edit_notes(records, sid, "Reviewed with the patient.", now=NOW)  # unchanged: no row
    assert records.session(sid).therapist_notes == "Reviewed with the patient."
    assert [e.action for e in audit.edits(records, sid)] == [
        "compensation", "clear_compensation", "notes"]
    with pytest.raises(RecordsError, match="no trial 100"):
        audit.edit_override(records, sid, 99, True, reason="x")
    with pytest.raises(ConfigError):
        audit.edit_compensation(records, sid, passed.index, "elbow", reason="x")


def test_a_recording_session_is_not_edited_afterwards(session):
    records, _ = session
    active = begin_session(records, "P-1", "clinic")
    with pytest.raises(RecordsError, match="still recording"):
        audit.edit_notes(records, active.id, "x")
    active.lock.release()


def test_the_audit_trail_goes_with_the_patient(session):
    from cctf.records.erase import delete_patient

    records, sid = session
    audit.edit_notes(records, sid, "x", now=NOW)
    delete_patient(records, "P-1", confirm=True)
    assert records.conn.execute("SELECT COUNT(*) FROM session_edits").fetchone()[0] == 0


def test_a_version_2_database_migrates_to_the_audit_trail(tmp_path):
    path = tmp_path / "cctf.db"
    conn = open_database(path, target_version=2)
    conn.execute("INSERT INTO patients (code, created_at) VALUES ('P-1', '2025-01-01')")
    conn.close()
    conn = open_database(path)
    assert schema_version(conn) >= 3
    assert conn.execute("SELECT COUNT(*) FROM session_edits").fetchone()[0] == 0
    assert conn.execute("SELECT code FROM patients").fetchone()[0] == "P-1"
    conn.close()
    assert list((tmp_path / "backups").glob("cctf-before-v*-from-v2.db"))


# --- settings ------------------------------------------------------------------------------------


def test_settings_round_trip_private_and_defaults(tmp_path):
    path = tmp_path / "cfg" / "settings.toml"
    assert clinic_settings.load(path) == ClinicSettings("", "", True)
    wanted = ClinicSettings('Clinic "North" \\ East', "A. Example, PT", False)
    clinic_settings.save(wanted, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert clinic_settings.load(path) == wanted
    assert "[report]" in path.read_text()


@pytest.mark.parametrize(("text", "problem"), [
    ("[report\nclinic = 1", "not valid TOML"),
    ("[report]\nclinc = 'x'\n", "unknown key report.clinc"),
    ("[report]\nsignature_line = 'yes'\n", "signature_line must be bool"),
    ("[report]\nclinic = '" + "x" * 200 + "'\n", "too long"),
])
def test_a_malformed_settings_file_is_named_and_never_overwritten(tmp_path, text, problem):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(FileFormatError, match=problem) as err:
        clinic_settings.load(path)
    assert str(path) in str(err.value)
    with pytest.raises(FileFormatError):
        clinic_settings.save(ClinicSettings("x"), path)
    assert path.read_text() == text


def test_the_config_folder_per_platform(tmp_path):
    home = Path("/home/u")
    assert config_dir("linux", {}, home) == home / ".config" / "cctf"
    assert config_dir("linux", {"XDG_CONFIG_HOME": "/x"}, home) == Path("/x/cctf")
    assert config_dir("linux", {"XDG_CONFIG_HOME": "rel"}, home) == home / ".config" / "cctf"
    assert config_dir("darwin", {}, home) == home / "Library" / "Preferences" / "cctf"
    assert config_dir("win32", {"APPDATA": "C:/A"}, home) == Path("C:/A/cctf")
    assert config_dir("linux", {"CCTF_CONFIG_DIR": str(tmp_path)}, home) == tmp_path


# --- actions from a recording --------------------------------------------------------------------


def recording(marks: dict[float, str], meta: dict[str, str]) -> SessionRecording:
    t = np.arange(0, 100, 0.5)
    column = np.full(len(t), "", dtype=object)
    for at, text in marks.items():
        column[int(np.searchsorted(t, at))] = text
    return SessionRecording(meta, t, np.full(len(t), 20.0), np.full(len(t), np.nan),
                            np.full(len(t), "", dtype=object), {"marker": column})


def test_actions_come_from_the_metadata_and_markers_from_the_column():
    rec = recording({10.0: "paused", 14.0: "swallow", 20.0: "resumed | cough"},
                    {"therapist_actions": "10.0s paused; 20.0s resumed"})
    got = [(a.t_s, a.text, a.marker) for a in session_actions(rec)]
    assert got == [(10.0, "paused", ""), (14.0, "swallow", "M1"), (20.0, "resumed", ""),
                   (20.0, "cough", "M2")]


def test_a_file_cut_off_by_a_crash_still_lists_its_actions():
    rec = recording({10.0: "paused", 30.0: "trial 2: verdict set to passed"}, {})
    assert [(a.t_s, a.text, a.marker) for a in session_actions(rec)] == [
        (10.0, "paused", ""), (30.0, "trial 2: verdict set to passed", "")]
    assert is_action("superficial flexor (SCM or scalene) activity marked on trial 3")
    assert not is_action("swallowed")


def test_the_audit_trail_travels_in_a_patient_archive(session, tmp_path):
    from cctf.records.archive import export_patient, import_patient_archive

    records, sid = session
    passed = next(t for t in records.load_result(sid).trials if t.passed)
    audit.edit_compensation(records, sid, passed.index, "jaw", reason="video", now=NOW)
    audit.edit_notes(records, sid, "seen again", now=NOW)
    out = export_patient(records, "P-1", tmp_path / "p1.zip",
                         exported_at="2025-03-05T00:00:00+00:00")
    other = open_records(tmp_path / "elsewhere")
    try:
        got = import_patient_archive(other, out)
        new_sid, = got.session_ids
        assert [(e.action, e.trial_index, e.value, e.reason, e.at)
                for e in audit.edits(other, new_sid)] == [
            (e.action, e.trial_index, e.value, e.reason, e.at) for e in audit.edits(records, sid)]
        assert not next(t for t in other.load_result(new_sid).trials
                        if t.index == passed.index).passed
    finally:
        other.close()
