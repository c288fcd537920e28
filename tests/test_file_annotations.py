"""The therapist's annotations travel with the session file (``cctf.file_annotations``): the
app writes them into the closing header; ``cctf analyze``, ``cctf import`` and rebuilding the
records apply them, so the file gives the scores the app showed wherever it goes."""

from __future__ import annotations

import csv as csv_module
import json
import shutil

import pytest

from cctf.cli import main
from cctf.errors import FileFormatError
from cctf.file_annotations import (
    ANNOTATIONS_KEY,
    annotations_metadata,
    check_annotations,
    parse_annotations,
)
from cctf.records.importer import import_session_csv
from cctf.records.results import stored_annotations
from cctf.records.startup import open_records
from cctf.sessionfile import read_session

from .gui_helpers import run_until, start_clinic_test


def test_the_header_line_round_trips_and_says_none_when_nothing_was_changed():
    marks = {3: {"override": ["pass"]}, 1: {"compensation": ["scm", "confirmed:breath_hold"]},
             5: {"superseded": ["yes"]}, 7: {"compensation": []}}
    line = annotations_metadata(marks)[ANNOTATIONS_KEY]
    assert line == ('{"1":{"compensation":["scm","confirmed:breath_hold"]},'
                    '"3":{"override":["pass"]},"5":{"superseded":["yes"]}}')
    assert parse_annotations({ANNOTATIONS_KEY: line}) == {
        1: {"compensation": ["scm", "confirmed:breath_hold"]}, 3: {"override": ["pass"]},
        5: {"superseded": ["yes"]}}
    assert annotations_metadata({}) == {ANNOTATIONS_KEY: "none"}
    assert parse_annotations({ANNOTATIONS_KEY: "none"}) == {}
    assert parse_annotations({}) is None  # an older file: judged on the signal alone


@pytest.mark.parametrize("value, why", [
    ("[1, 2]", "must be an object"),
    ("{\"x\": {}}", "is not a number"),
    ("{\"-1\": {}}", "not a trial index"),
    ("{\"01\": {}}", "not a trial index"),
    ("{\"2\": {\"verdict\": [\"pass\"]}}", "malformed"),
    ("{\"2\": {\"override\": [\"maybe\"]}}", "'pass' or 'fail'"),
    ("{\"2\": {\"superseded\": [\"no\"]}}", "superseded is 'yes'"),
    ("{\"2\": {\"compensation\": [\"" + "x" * 41 + "\"]}}", "malformed"),
    ("{\"2\": {\"compensation\": \"scm\"}}", "malformed"),
    ("not json", "not JSON"),
])
def test_a_malformed_line_makes_the_file_malformed_naming_the_line(tmp_path, value, why):
    with pytest.raises(ValueError, match=why):
        check_annotations(json.loads(value)) if value != "not json" else parse_annotations(
            {ANNOTATIONS_KEY: value})
    path = tmp_path / "s.csv"
    path.write_text("# cctf_session_format: 1\n# rate_hz: 50\n"
                    f"# {ANNOTATIONS_KEY}: {value}\n"
                    "t_s,pressure_mmhg,target_mmhg,phase\n0.0000,20.000,,\n0.0200,20.000,,\n")
    with pytest.raises(FileFormatError, match=rf"s\.csv, line 3: .*{why}"):
        read_session(path)
    assert main(["analyze", str(path)]) == 2


def test_a_hand_mark_travels_with_the_file_to_analyze_import_and_rebuild(
        qtbot, records_app, tmp_path, capsys):
    controller, window = records_app
    start_clinic_test(qtbot, controller, window, "healthy")
    runner = controller.session.runner
    # SCM seen during the 24-mmHg stage (trial 2): it fails, the stage test stops at 22
    run_until(controller, lambda: runner.analyzer.open_trial is not None
              and runner.analyzer.open_trial.index == 1)
    assert controller.mark_compensation("scm")
    run_until(controller, lambda: controller.session is None, limit_s=1500)
    records = controller.records
    sid = window.clinic.results.session_id
    qtbot.waitUntil(lambda: records.load_result(sid) is not None, timeout=10000)
    shown = records.load_result(sid)
    assert shown.trials[1].manual_faults == ["scm"] and not shown.trials[1].passed
    assert shown.activation_score_mmhg == 2  # 22 mmHg held, 24 failed by hand
    csv = records.csv_path(records.session(sid))

    recording = read_session(csv)
    assert parse_annotations(recording.metadata) == {1: {"compensation": ["scm"]}}

    capsys.readouterr()
    assert main(["analyze", str(csv), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["activation_score_mmhg"], out["performance_index"]) == (
        shown.activation_score_mmhg, shown.performance_index)
    assert out["annotations"] == {"1": {"compensation": ["scm"]}}
    assert main(["analyze", str(csv), "--json", "--signal-only"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert alone["annotations"] == {} and alone["trials"][1]["passed"]
    # the signal alone: 24 held, then nothing above it was cued: its stopping rule never met
    assert alone["activation_score_mmhg"] != shown.activation_score_mmhg
    assert main(["analyze", str(csv)]) == 0
    assert "Scores include the therapist's annotations recorded in the file (1 trial: 2)" in (
        capsys.readouterr().out)
    summary = tmp_path / "summary.csv"
    assert main(["analyze", str(csv), "--summary-csv", str(summary)]) == 0
    with open(summary, newline="", encoding="utf-8") as f:
        (row,) = list(csv_module.DictReader(f))
    assert row["annotated_trials"] == "1"
    assert float(row["activation_score_mmhg"]) == shown.activation_score_mmhg

    data_dir = str(controller.data_dir)
    exported = tmp_path / "exported.csv"
    assert main(["export", str(sid), "--csv", "-o", str(exported), "--data-dir", data_dir]) == 0
    assert "note:" not in capsys.readouterr().err  # the file carries what the records hold
    assert exported.read_bytes() == csv.read_bytes()
    records.override_verdict(sid, 0, False)  # after the session: not in the file
    again_out = tmp_path / "again.csv"
    assert main(["export", str(sid), "--csv", "-o", str(again_out), "--data-dir", data_dir]) == 0
    err = capsys.readouterr().err
    assert err.startswith("cctf: note: the therapist's annotations of trial(s) 1 in the records")
    assert "cctf export --patient ID" in err
    assert again_out.read_bytes() == csv.read_bytes()  # byte for byte, as recorded
    records.override_verdict(sid, 0, None)

    other = open_records(tmp_path / "other")  # another machine
    try:
        other.add_patient("P-9")
        new = import_session_csv(other, csv, "P-9")
        got = other.load_result(new)
        assert (got.activation_score_mmhg, got.performance_index) == (
            shown.activation_score_mmhg, shown.performance_index)
        assert [t.passed for t in got.trials] == [t.passed for t in shown.trials]
        assert stored_annotations(other.conn, new) == {1: {"compensation": ["scm"]}}
    finally:
        other.close()

    lost = tmp_path / "lost"  # the database lost: the records rebuilt from the files
    (lost / "sessions" / "P-1").mkdir(parents=True)
    shutil.copy2(csv, lost / "sessions" / "P-1" / csv.name)
    assert main(["recover", "--data-dir", str(lost)]) == 0  # as the refusal to open says
    rebuilt = open_records(lost)
    try:
        (again,) = [s.id for s in rebuilt.sessions("P-1")]
        got = rebuilt.load_result(again)
        assert (got.activation_score_mmhg, got.performance_index) == (
            shown.activation_score_mmhg, shown.performance_index)
        assert stored_annotations(rebuilt.conn, again) == {1: {"compensation": ["scm"]}}
    finally:
        rebuilt.close()
