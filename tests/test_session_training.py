"""Home training, headless: the simulated patient follows the prescription's cues."""

from __future__ import annotations

import pytest

from cctf.errors import ConfigError
from cctf.session.settings import preset
from cctf.session.training import Prescription, TrainingRunner, encouragement

from .clinic_harness import ClinicHarness


def _train(scenario: str, prescription: Prescription) -> TrainingRunner:
    h = ClinicHarness(scenario, preset("research"))
    h.runner = TrainingRunner(prescription, 50.0)  # the same patient, a training runner
    h.run()
    return h.runner


def test_a_healthy_patient_completes_the_prescription():
    runner = _train("healthy", Prescription(target_mmhg=24, reps=5))
    s = runner.summary()
    assert (s.reps_planned, s.reps_done) == (5, 5)
    # Time just right counts only while holding: never more than the time holding (the old
    # count took in the nod and the let-go too, and said 42 s for 40 s of holds).
    assert s.time_holding_s == pytest.approx(5 * 10, abs=1.5)
    assert 0.9 * s.time_holding_s <= s.time_in_band_s <= s.time_holding_s
    assert s.longest_hold_s >= 10
    assert s.message.startswith("Well done")
    assert {t.phase for t in runner.trials} == {"training"}
    assert runner.result().activation_score_mmhg is None  # training is not scored


def test_a_patient_beyond_their_level_gets_a_kind_summary():
    runner = _train("no-reach", Prescription(target_mmhg=26, reps=3, hold_s=5, rest_s=5))
    s = runner.summary()
    assert s.reps_done == 0
    assert "normal at the start" in s.message


def test_stopping_early_is_never_blamed():
    runner = TrainingRunner(Prescription(target_mmhg=24, reps=10), 50.0)
    runner.begin()
    runner.feed([0.0, 0.02], [20.0, 20.0])
    runner.pause()
    runner.feed([0.04, 0.06], [20.0, 20.0])
    runner.finish()  # the patient stops after a pause
    s = runner.summary()
    assert s.stopped and s.reps_done == 0
    assert "hard" not in s.message and s.message.startswith("You did 0 of 10 today")
    assert s.time_in_band_s == s.time_holding_s == 0
    assert [st.step for st in runner.steps] == ["nod", "rest", "done"]
    assert runner.steps[1].paused and runner.steps[-1].reps_planned == 10


def test_time_without_samples_counts_nothing():
    rx = Prescription(target_mmhg=24, reps=1, hold_s=30)
    runner = TrainingRunner(rx, 50.0)
    runner.begin()
    t = [i * 0.02 for i in range(100)]
    runner.feed(t, [20.0 + min(4.0, i * 0.1) for i in range(100)])  # reaches 24 at ~0.8 s
    assert runner.cue.step == "hold"
    before = runner.time_holding_s
    runner.feed([6.0], [24.0])  # a 4 s gap in the data, still holding
    assert runner.cue.step == "hold"
    assert runner.time_holding_s == pytest.approx(before)
    runner.feed([6.02], [24.0])
    assert runner.time_holding_s == pytest.approx(before + 0.02)


def test_band_status_for_colour_feedback():
    runner = TrainingRunner(Prescription(target_mmhg=24), 50.0)
    assert runner.band_status(24.0) == ""  # not cued yet
    runner.begin()
    runner.feed([0.0], [20.0])
    assert runner.cue.step == "nod"
    assert [runner.band_status(p) for p in (22.5, 23.2, 24.9, 25.5)] == ["low", "in", "in",
                                                                        "high"]


@pytest.mark.parametrize(("done", "start"), [(10, "Well done"), (8, "Good work"),
                                             (3, "You held 3 of 10"), (0, "This one was hard")])
def test_encouragement_is_plain_and_fits_the_result(done, start):
    text = encouragement(done, 10, 7.0, 10.0)
    assert text.startswith(start)
    for jargon in ("mmHg", "activation", "performance index", "SD"):
        assert jargon not in text


def test_absurd_prescriptions_are_refused():
    with pytest.raises(ConfigError, match="target_mmhg must be between 21 and 40"):
        Prescription(target_mmhg=80)
    with pytest.raises(ConfigError, match="reps must be between 1 and 30"):
        Prescription(reps=0)
