"""``cctf analyze``: a readable table, ``--json`` exactly ``SessionResult.to_dict()``,
``--chunk-size`` changes nothing, and malformed files give one line and exit status 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cctf.analysis.offline import analyze_recording
from cctf.cli import main
from cctf.sessionfile import SessionWriter, read_session

ISSUE_TOP_KEYS = {
    "baseline_mmhg", "trials", "session_events", "activation_score_mmhg", "performance_index",
}
ISSUE_TRIAL_KEYS = {
    "phase", "target_mmhg", "cue_start_s", "cue_end_s", "reached", "held", "passed", "faults",
}
FAULT_KEYS = {"type", "t_s", "value"}


@pytest.fixture(scope="module")
def session_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "overshoot.csv"
    args = ["record", "--sim", "overshoot", "--fast", "--seconds", "135", "-o", str(path)]
    assert main(args) == 0
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["analyze", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_table_mentions_each_trial_and_the_scores(session_csv, capsys):
    status, out, err = run(capsys, str(session_csv))
    assert status == 0, err
    res = analyze_recording(read_session(session_csv))
    lines = out.splitlines()
    trial_lines = [ln for ln in lines if any(p in ln for p in ("stage", "endurance"))]
    assert len(trial_lines) >= len(res.trials) == 5
    for t in res.trials:
        assert any(f"{t.target_mmhg:g}" in ln and t.phase in ln for ln in trial_lines), t
    text = out.lower()
    act = [ln for ln in out.lower().splitlines() if "activation" in ln]
    assert act and any(f"{res.activation_score_mmhg:g}" in ln for ln in act), out
    pi = [ln for ln in out.lower().splitlines() if "performance" in ln]
    # The overshoot scenario records no endurance holds: the PI is not measured, never 0.
    assert res.performance_index is None
    assert pi and all("not measured" in ln and " 0 " not in ln for ln in pi), out
    # Trials as people count them: 1 to 5.
    numbers = [ln.split()[0] for ln in trial_lines if ln.split()[0].isdigit()]
    assert numbers == ["1", "2", "3", "4", "5"], out
    assert "traceback" not in text


def test_json_is_exactly_the_session_result(session_csv, capsys):
    status, out, err = run(capsys, str(session_csv), "--json")
    assert status == 0, err
    data = json.loads(out)
    assert out.count("\n") == 1  # one JSON object per line (issue 14), with the file's name
    assert data.pop("file") == str(session_csv)
    assert data.pop("annotations") == {}  # what of the file's therapist annotations it applied
    expected = analyze_recording(read_session(session_csv)).to_dict()
    assert data == json.loads(json.dumps(expected))
    assert set(data) >= ISSUE_TOP_KEYS
    assert len(data["trials"]) == 5
    for t in data["trials"]:
        assert set(t) >= ISSUE_TRIAL_KEYS
        for f in t["faults"]:
            assert set(f) == FAULT_KEYS
    for e in data["session_events"]:
        assert set(e) == FAULT_KEYS
    assert isinstance(data["activation_score_mmhg"], int | float)
    assert data["performance_index"] is None  # no endurance holds recorded: not measured
    assert data["activation_score_mmhg"] == 2  # the overshoot scenario
    assert data["complete"] is False and data["ended_early_s"] is None
    assert [t["number"] for t in data["trials"]] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("fmt", [[], ["--json"]], ids=["table", "json"])
def test_chunk_size_does_not_change_the_output(session_csv, capsys, fmt):
    status, ref, _ = run(capsys, str(session_csv), *fmt)
    assert status == 0
    for n in ("1", "7", "1000"):
        status, out, err = run(capsys, str(session_csv), *fmt, "--chunk-size", n)
        assert status == 0, err
        assert out == ref, f"--chunk-size {n}"


def test_a_session_without_cues_has_no_trials(tmp_path, capsys):
    path = tmp_path / "rest.csv"
    w = SessionWriter(path, {"source": "test"})
    t = np.arange(0, 20, 0.02)
    w.write(t, 20.0 + 0.05 * np.sin(t))
    w.close()
    status, out, err = run(capsys, str(path), "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["trials"] == []
    # Nothing was cued: nothing was measured (not 0).
    assert data["activation_score_mmhg"] is None and data["performance_index"] is None


GOOD_HEAD = (
    "# cctf_session_format: 1\n# device_serial: SIM00001\nt_s,pressure_mmhg,target_mmhg,phase\n"
)
GOOD_ROW = "{t:.4f},20.000,,\n"


def _rows(n: int, start: int = 0) -> str:
    return "".join(GOOD_ROW.format(t=0.02 * k) for k in range(start, start + n))


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        # line 2 is where the header should be
        ("missing-header.csv", "# cctf_session_format: 1\n" + _rows(3), 2),
        # header on line 3, rows from line 4: the 6th row is line 9
        ("bad-number.csv", GOOD_HEAD + _rows(5) + "0.1000,2O.000,,\n" + _rows(2, 6), 9),
        ("wrong-fields.csv", GOOD_HEAD + _rows(2) + "0.0400,20.000,\n" + _rows(2, 3), 6),
        ("bad-target.csv", GOOD_HEAD + _rows(3) + "0.0600,20.000,x22,stage\n", 7),
    ],
)
def test_malformed_files_give_one_line_naming_file_and_line(tmp_path, capsys, name, content,
                                                            line):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    status, _, err = run(capsys, str(path))
    assert status == 2
    assert err.strip() and "\n" not in err.strip(), err
    assert str(path) in err
    assert f"line {line}" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["binary", "missing"])
def test_unreadable_files_give_one_line_naming_the_file(tmp_path, capsys, kind):
    path = tmp_path / f"{kind}.csv"
    if kind == "binary":
        path.write_bytes(bytes(range(256)) * 8)
    status, _, err = run(capsys, str(path))
    assert status == 2
    assert err.strip() and "\n" not in err.strip(), err
    assert str(path) in err
    assert "Traceback" not in err
