"""Ended early, not measured, excluded: what the records, progress, reports and ``cctf
sessions`` make of a session that did not finish, of a protocol without endurance, and of a
therapist's exclusion from progress."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from cctf.cli import main
from cctf.errors import ConfigError
from cctf.records.edf import session_annotations
from cctf.records.progress import changes, progress, progress_series, summary_words
from cctf.records.recovery import begin_session, complete_session, recover_interrupted
from cctf.records.report import report_input, score_lines, trial_row
from cctf.records.startup import open_records

from .records_helpers import CUE_S, GAP_S, clinic_csv, write_session_csv

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext")
SHORT = {"protocol_hold_s": "3.0", "protocol_step_mmhg": "2.0", "protocol_n_stages": "5",
         "protocol_endurance_reps": "0", "protocol_order": "ascending",
         "protocol_stop_at_first_failure": "True", "protocol_baseline_mmhg": "20.0"}


def _cue_start(k: int) -> float:
    return 5.0 + k * (CUE_S + GAP_S)


def _ended_early_csv(path, day: int = 10):
    """Two stages held, ended early 5 s into the third (26 mmHg) cue."""
    plan = [(22.0, "stage", True), (24.0, "stage", True), (26.0, "stage", True)]
    t_end = _cue_start(2) + 5.0
    return write_session_csv(path, plan, metadata={
        "started_at": f"2025-03-{day:02d}T10:00:00+01:00", "session": "clinic",
        "ended": f"early at {t_end:.2f} s"}), t_end


def _record(records, code, make, *args, **kw):
    active = begin_session(records, code, "clinic")
    made = make(active.csv_path, *args, **kw)
    complete_session(records, active)
    return active.id, made


@pytest.fixture
def records(tmp_path):
    with open_records(tmp_path / "data") as r:
        r.add_patient("P-1")
        yield r


def test_an_ended_early_session_is_stored_as_such_with_null_scores(records):
    sid, (_, t_end) = _record(records, "P-1", _ended_early_csv)
    s = records.session(sid)
    assert s.status == "ended_early" and s.complete is False
    assert s.ended_early_s == pytest.approx(t_end)
    row = records.conn.execute("SELECT activation_score_mmhg, performance_index FROM sessions "
                               "WHERE id = ?", (sid,)).fetchone()
    assert tuple(row) == (None, None)  # NULL, not 0
    result = records.load_result(sid)
    assert [t.interrupted for t in result.trials] == [False, False, True]
    assert result.activation_score_mmhg is None and result.performance_index is None
    assert result.ended_early_s == pytest.approx(t_end) and result.complete is False
    # An annotation later (here: the therapist's verdict on trial 1) keeps all that.
    records.override_verdict(sid, 0, True)
    again = records.load_result(sid)
    assert again.trials[2].interrupted and not again.trials[2].passed
    assert records.session(sid).activation_score_mmhg != records.session(sid).activation_score_mmhg


def test_an_ended_early_session_is_listed_but_not_in_the_progress_series(records):
    full, _ = _record(records, "P-1", clinic_csv, metadata={
        "started_at": "2025-03-03T10:00:00+01:00"})
    early, _ = _record(records, "P-1", _ended_early_csv)
    found = progress(records, "P-1")
    assert [p.session_id for p in found.series] == [full]
    assert [p.session_id for p in found.others] == [early]
    assert "incomplete" in found.others[0].note
    # The "80 → 0 (−80): a real change" cannot happen.
    assert changes(found.series) == []
    assert "Only one clinic test" in summary_words(found.series)


def test_a_short_preset_has_no_pi_and_is_not_compared_with_10_s_references(records, tmp_path):
    sid, _ = _record(records, "P-1", clinic_csv, 8, 0, 0, metadata={"session": "clinic",
                                                                     **SHORT})
    s = records.session(sid)
    assert s.status == "complete" and s.complete
    assert s.activation_score_mmhg == 8 and s.performance_index != s.performance_index  # NaN
    lines = [text for text, _, _ in score_lines(report_input(records, sid))]
    assert any("Performance index: not measured" in x for x in lines), lines
    assert not any("Chiu" in x for x in lines), lines  # references are for 10 s holds
    assert any("not compared" in x for x in lines), lines
    # In progress: in its own series, its PI never compared (no SRD verdict on nothing).
    points = progress_series(records, "P-1")
    assert [p.session_id for p in points] == [sid] and not points[0].pi_measured
    assert changes(points) == []


def test_series_use_one_protocol_and_list_the_others(records):
    old, _ = _record(records, "P-1", clinic_csv, 8, 0, 0, metadata={
        "started_at": "2025-03-01T10:00:00+01:00", "session": "clinic", **SHORT})
    a, _ = _record(records, "P-1", clinic_csv, 6, 6, metadata={
        "started_at": "2025-03-05T10:00:00+01:00"})
    b, _ = _record(records, "P-1", clinic_csv, 8, 10, metadata={
        "started_at": "2025-03-09T10:00:00+01:00"})
    found = progress(records, "P-1")
    assert [p.session_id for p in found.series] == [a, b]
    assert [(p.session_id, "another protocol" in p.note) for p in found.others] == [(old, True)]
    (change,) = changes(found.series)
    assert (change.delta_pi, change.real) == (80 - 36, True)


def test_exclude_and_include_with_a_reason(records):
    a, _ = _record(records, "P-1", clinic_csv, 6, 6, metadata={
        "started_at": "2025-03-05T10:00:00+01:00"})
    b, _ = _record(records, "P-1", clinic_csv, 8, 10, metadata={
        "started_at": "2025-03-09T10:00:00+01:00"})
    with pytest.raises(ConfigError, match="reason"):
        records.exclude_from_progress(b, "  ")
    records.exclude_from_progress(b, "patient had a headache")
    s = records.session(b)
    assert s.progress_excluded_reason == "patient had a headache" and s.progress_excluded_at
    found = progress(records, "P-1")
    assert [p.session_id for p in found.series] == [a]
    assert found.others[0].note == "excluded from progress: patient had a headache"
    records.include_in_progress(b)
    assert records.session(b).progress_excluded_reason is None
    assert [p.session_id for p in progress_series(records, "P-1")] == [a, b]


def test_cli_exclude_include_and_the_sessions_list(tmp_path, capsys):
    data = str(tmp_path / "data")
    with open_records(tmp_path / "data") as records:
        records.add_patient("P-1")
        sid, _ = _record(records, "P-1", _ended_early_csv)
    assert main(["sessions", "--data-dir", data]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith(str(sid)))
    assert "ended early" in line and "not measured" in line and " 0 " not in line
    assert main(["sessions", "exclude", str(sid), "--data-dir", data]) == 2
    assert "--reason" in capsys.readouterr().err
    assert main(["sessions", "exclude", str(sid), "--reason", "test stopped: dizziness",
                 "--data-dir", data]) == 0
    assert "excluded from progress: test stopped: dizziness" in capsys.readouterr().out
    assert main(["sessions", str(sid), "--json", "--data-dir", data]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["progress_excluded_reason"] == "test stopped: dizziness"
    assert shown["status"] == "ended_early" and shown["activation_score_mmhg"] is None
    assert shown["result"]["complete"] is False
    assert [t["number"] for t in shown["result"]["trials"]] == [1, 2, 3]
    assert main(["sessions", "include", str(sid), "--data-dir", data]) == 0
    assert "included in progress again" in capsys.readouterr().out


def test_a_crash_mid_test_is_recovered_with_null_scores(records):
    active = begin_session(records, "P-1", "clinic")
    plan = [(22.0, "stage", True), (24.0, "stage", True)]
    write_session_csv(active.csv_path, plan)
    # Cut the file off inside the second cue, mid-row, as a kill -9 would.
    text = active.csv_path.read_text()
    lines = text.splitlines(keepends=True)
    cut = next(i for i, ln in enumerate(lines) if ln[:1].isdigit()
               and float(ln.split(",")[0]) > _cue_start(1) + 4.0)
    active.csv_path.write_text("".join(lines[:cut]) + lines[cut][:7])
    active.lock.release(remove=False)
    (rec,) = recover_interrupted(records)
    s = records.session(rec.session_id)
    assert s.status == "recovered" and s.complete is False
    assert s.activation_score_mmhg != s.activation_score_mmhg  # NULL → NaN, not 0
    result = records.load_result(s.id)
    assert result.trials[-1].interrupted and result.performance_index is None


def test_session_report_and_edf_say_ended_early_and_number_trials_from_1(records):
    sid, (_, t_end) = _record(records, "P-1", _ended_early_csv)
    inp = report_input(records, sid)
    lines = [text for text, _, _ in score_lines(inp)]
    assert lines[0] == f"This test was ended early at {t_end:.1f} s."
    assert "Activation score: not measured" in lines[1]
    rows = [trial_row(t, 10.0)[0] for t in inp.result.trials]
    assert [r[0] for r in rows] == ["1", "2", "3"] and rows[2][3] == "interrupted (not scored)"
    notes = session_annotations(inp.result, 0.0, inp.recording.t_s)
    texts = [a.text for a in notes]
    assert any(x.startswith(f"session ended early at {t_end:.1f} s") for x in texts), texts
    assert any(x.startswith("trial 3 stage 26 mmHg: interrupted (not scored)") for x in texts)
    assert not any(x.startswith("trial 0") for x in texts)


@needs_poppler
def test_pdfs_number_trials_from_1_and_show_the_exclusion(records, tmp_path):
    sid, _ = _record(records, "P-1", _ended_early_csv)
    ok, _ = _record(records, "P-1", clinic_csv, metadata={
        "started_at": "2025-03-03T10:00:00+01:00"})
    records.exclude_from_progress(ok, "cuff slipped")
    data = str(records.data.root)
    pdf = tmp_path / "s.pdf"
    assert main(["report", str(sid), "-o", str(pdf), "--data-dir", data]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "ended early" in text and "not measured" in text
    rows = [ln.split() for ln in text.splitlines() if "mmHg" in ln and "stage test" in ln]
    assert [r[0] for r in rows] == ["1", "2", "3"], text
    assert "interrupted (not scored)" in text
    prog = tmp_path / "p.pdf"
    assert main(["report", "--patient", "P-1", "--progress", "-o", str(prog),
                 "--data-dir", data]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(prog), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "cuff slipped" in text and "incomplete" in text


@pytest.mark.slow
def test_cctf_record_of_120_s_never_gives_pi_0_in_progress(tmp_path, capsys):
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "patients", "add", "P-9"]) == 0
    assert main(["--data-dir", data, "record", "--sim", "healthy", "--fast", "--seconds",
                 "120", "--patient", "P-9"]) == 0
    err = capsys.readouterr().err
    assert "PI not measured" in err, err
    with open_records(tmp_path / "data") as records:
        (s,) = records.sessions("P-9")
        assert s.performance_index != s.performance_index  # NULL
        assert progress_series(records, "P-9") == []
        assert [p.session_id for p in progress(records, "P-9").others] == [s.id]


def test_an_archive_keeps_ended_early_and_the_exclusion(records, tmp_path):
    from cctf.records.archive import export_patient, import_patient_archive

    sid, _ = _record(records, "P-1", _ended_early_csv)
    records.exclude_from_progress(sid, "ended: dizziness")
    out = tmp_path / "p1.zip"
    export_patient(records, "P-1", out, exported_at="2025-03-20T10:00:00+01:00")
    report = import_patient_archive(records, out, as_code="P-2")
    (new,) = report.session_ids
    s = records.session(new)
    assert s.status == "ended_early" and s.complete is False and s.ended_early_s is not None
    assert s.progress_excluded_reason == "ended: dizziness"
    assert records.load_result(new).trials[2].interrupted


def test_cctf_analyze_of_an_ended_early_csv_says_so(tmp_path, capsys):
    path, t_end = _ended_early_csv(tmp_path / "early.csv")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"This test was ended early at {t_end:.1f} s" in out
    row = next(ln for ln in out.splitlines() if ln.split()[:2] == ["3", "stage"])
    assert "interrupted (not scored)" in row and "PASS" not in row
    assert "Activation score: not measured" in out and "Performance index: not measured" in out
    assert main(["analyze", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["complete"], data["ended_early_s"]) == (False, pytest.approx(t_end))
    assert data["activation_score_mmhg"] is None and data["performance_index"] is None


def test_the_app_path_a_result_ended_early_completes_as_ended_early(records):
    """The app hands ``complete_session`` its runner's result (``ended_early_s`` set by
    ``CuedRunner.finish`` before the plan ran out): the status follows it."""
    from cctf.analysis.offline import analyze_arrays
    from cctf.sessionfile import Ending, read_session

    active = begin_session(records, "P-1", "clinic")
    plan = [(22.0, "stage", True), (24.0, "stage", True)]
    write_session_csv(active.csv_path, plan)
    rec = read_session(active.csv_path)
    result = analyze_arrays(rec.t_s, rec.pressure_mmhg, rec.target_mmhg, rec.phase,
                            ending=Ending(_cue_start(1) + 3.0))
    s = complete_session(records, active, result)
    assert s.status == "ended_early" and s.ended_early_s == pytest.approx(_cue_start(1) + 3.0)
    assert records.load_result(s.id).trials[1].interrupted


def test_patients_show_lists_the_tests_not_compared(tmp_path, capsys):
    with open_records(tmp_path / "data") as records:
        records.add_patient("P-1")
        sid, _ = _record(records, "P-1", _ended_early_csv)
    assert main(["--data-dir", str(tmp_path / "data"), "patients", "show", "P-1"]) == 0
    out = capsys.readouterr().out
    assert f"Not compared (1): session {sid} (not in the series: incomplete)" in out
