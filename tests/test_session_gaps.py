"""The headless cue runner: a hold countdown never advances across a signal gap, and a test
ended early is recorded so that its CSV re-analyses to exactly what the runner showed."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from cctf.analysis.offline import analyze_recording
from cctf.session.clinic import CcftTestRunner
from cctf.session.settings import preset
from cctf.sessionfile import SessionWriter, ended_metadata, parse_ended, read_session

RATE = 50.0
DT = 1.0 / RATE


class Patient:
    """Follows the cue (moving 2 mmHg/s toward the target while cued, ``short_mmhg`` below it,
    and back to 20 mmHg otherwise), one sample at a time; ``lose(s)`` drops the next ``s``
    seconds of samples (a link loss)."""

    def __init__(self, runner: CcftTestRunner, short_mmhg: float = 0.0) -> None:
        self.runner = runner
        self.short_mmhg = short_mmhg
        self.t = 0.0
        self.p = 20.0
        self.rows: list[tuple[float, float, float, str]] = []

    def step(self, seconds: float) -> None:
        for _ in range(round(seconds * RATE)):
            cue = self.runner.cue
            cued = cue.step in ("nod", "hold", "relax")
            goal = cue.target_mmhg - self.short_mmhg if cued else 20.0
            self.p += float(np.clip(goal - self.p, -2.0 * DT, 2.0 * DT))
            t, p = round(self.t, 4), round(self.p, 3)  # as the CSV stores them
            fed = self.runner.feed(np.array([t]), np.array([p]))
            self.rows.append((t, p, float(fed.target_mmhg[0]), str(fed.phase[0])))
            self.t += DT

    def lose(self, seconds: float) -> None:
        self.t += seconds

    def until(self, predicate, limit_s: float = 600.0) -> None:
        end = self.t + limit_s
        while not predicate() and self.t < end:
            self.step(DT)
        assert predicate(), "the runner never got there"


def _start(settings=None, short_mmhg: float = 0.0) -> Patient:
    runner = CcftTestRunner(settings or preset("research"), RATE)
    patient = Patient(runner, short_mmhg)
    patient.step(4.0)
    runner.begin()
    return patient


def test_the_hold_countdown_stops_during_a_signal_gap():
    patient = _start()
    runner = patient.runner
    patient.until(lambda: runner.cue.step == "hold")
    patient.step(3.0)
    until_before = runner.cue.until_s
    patient.lose(3.0)  # 3 s without samples mid-hold
    patient.step(DT)
    assert runner.cue.until_s == pytest.approx(until_before + 3.0, abs=1e-6)
    # The hold starts again after the gap: 10 s of samples are needed, not 7.
    started = patient.t
    patient.until(lambda: runner.cue.step in ("relax", "rest"))
    assert patient.t - started >= 10.0 - 2 * DT
    patient.until(lambda: runner.cue.step == "rest")
    trial = runner.trials[-1]
    assert [f.type for f in trial.faults] == ["signal_gap"] and not trial.passed


def test_the_time_allowed_for_a_cue_does_not_run_during_a_gap():
    """A patient who never reaches the band: the cue times out after 15 s of samples."""
    ends = {}
    for gap in (0.0, 3.0):
        patient = _start(short_mmhg=2.0)
        runner = patient.runner
        patient.until(lambda r=runner: r.cue.step == "nod")
        start = patient.t
        patient.step(6.0)
        patient.lose(gap)
        patient.until(lambda r=runner: r.cue.step == "rest")
        ends[gap] = patient.t - start
    assert ends[0.0] == pytest.approx(15.0, abs=0.05)
    assert ends[3.0] - ends[0.0] == pytest.approx(3.0, abs=0.05)


def test_a_gap_during_the_rest_delays_the_next_cue_by_the_time_lost():
    patient = _start()
    runner = patient.runner
    patient.until(lambda: runner.cue.step == "rest")
    rest_until = runner.cue.until_s
    patient.step(2.0)
    patient.lose(4.0)
    patient.step(DT)
    assert runner.cue.until_s == pytest.approx(rest_until + 4.0, abs=1e-6)


def _csv(tmp_path, patient: Patient, settings, extra_meta) -> object:
    meta = {"session": "clinic", **{f"protocol_{k}": v for k, v in asdict(settings).items()},
            **extra_meta}
    w = SessionWriter(tmp_path / "s.csv", meta)
    t, p, tgt, ph = zip(*patient.rows, strict=True)
    w.write(np.array(t), np.array(p), np.array(tgt), list(ph))
    w.close()
    return read_session(tmp_path / "s.csv")


def test_ended_early_mid_stage_the_csv_re_analyses_to_what_the_runner_showed(tmp_path):
    settings = preset("research")
    patient = _start(settings)
    runner = patient.runner
    patient.until(lambda: len(runner.trials) == 2 and runner.cue.step == "hold")
    patient.lose(1.0)  # and a gap in the hold of the third trial, for good measure
    patient.step(2.0)
    runner.finish()  # the therapist ended the test
    live = runner.result()
    assert runner.ended_early_s == pytest.approx(patient.rows[-1][0])
    assert live.complete is False and live.ended_early_s == runner.ended_early_s
    assert live.activation_score_mmhg is None and live.performance_index is None
    assert [t.interrupted for t in live.trials] == [False, False, True]
    assert "signal_gap" in {f.type for f in live.trials[2].faults}
    recording = _csv(tmp_path, patient, settings, ended_metadata(runner.ended_early_s))
    assert parse_ended(recording.metadata).early_at_s == pytest.approx(runner.ended_early_s,
                                                                     abs=0.005)
    offline = analyze_recording(recording)
    live_dict, offline_dict = live.to_dict(), offline.to_dict()
    assert offline_dict["ended_early_s"] == pytest.approx(live_dict.pop("ended_early_s"),
                                                          abs=0.005)
    offline_dict.pop("ended_early_s")
    assert offline_dict == live_dict


def test_a_test_run_to_its_end_is_complete_and_re_analyses_the_same(tmp_path):
    settings = preset("short")
    patient = _start(settings)
    runner = patient.runner
    patient.until(lambda: runner.done, limit_s=400.0)
    runner.finish()
    live = runner.result()
    assert runner.ended_early_s is None and live.complete
    assert live.activation_score_mmhg == 10
    assert live.performance_index is None  # the short preset has no endurance
    offline = analyze_recording(_csv(tmp_path, patient, settings, ended_metadata(None)))
    assert offline.to_dict() == live.to_dict()


def test_a_gap_inside_a_hold_live_and_cctf_analyze_agree(tmp_path, capsys):
    import json

    from cctf.cli import main

    settings = preset("short")
    patient = _start(settings)
    runner = patient.runner
    patient.until(lambda: runner.cue.step == "hold")
    patient.step(1.0)
    patient.lose(0.8)  # the link drops inside the first 3-s hold
    patient.until(lambda: runner.done, limit_s=400.0)
    runner.finish()
    live = runner.result()
    first = live.trials[0]
    assert "signal_gap" in {f.type for f in first.faults} and not first.passed
    assert live.activation_score_mmhg == 0  # the first stage failed: the stopping rule
    _csv(tmp_path, patient, settings, ended_metadata(None))
    path = str(tmp_path / "s.csv")
    for extra in ([], ["--chunk-size", "7"]):
        capsys.readouterr()
        assert main(["analyze", path, "--json", *extra]) == 0
        assert json.loads(capsys.readouterr().out) == {  # one JSON line, with its file
            "file": path, **json.loads(json.dumps(live.to_dict())), "annotations": {}}
    assert main(["analyze", path]) == 0
    table = capsys.readouterr().out
    row = next(ln for ln in table.splitlines() if ln.split()[:2] == ["1", "stage"])
    assert "FAIL" in row or "held" in row
    assert "no signal for 0.8" in row


@pytest.mark.parametrize("value", ["early", "early at soon s", "early at nan s", "partly"])
def test_a_malformed_ended_line_is_refused_with_one_line(tmp_path, capsys, value):
    from cctf.cli import main

    path = tmp_path / "bad.csv"
    path.write_text(f"# cctf_session_format: 1\n# ended: {value}\n"
                    "t_s,pressure_mmhg,target_mmhg,phase\n0.0000,20.000,,\n")
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 2" in err and "ended" in err


def test_the_ended_line_round_trips():
    assert parse_ended(ended_metadata(123.456)).early_at_s == 123.46
    assert parse_ended(ended_metadata(None)).complete
    assert parse_ended({}) is None
    assert ended_metadata(123.456) == {"ended": "early at 123.46 s"}
