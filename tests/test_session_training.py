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
    assert s.time_in_band_s >= 5 * 10
    assert s.longest_hold_s >= 10
    assert s.message.startswith("Well done")
    assert {t.phase for t in runner.trials} == {"training"}
    assert runner.result().activation_score_mmhg is None  # training is not scored


def test_a_patient_beyond_their_level_gets_a_kind_summary():
    runner = _train("no-reach", Prescription(target_mmhg=26, reps=3, hold_s=5, rest_s=5))
    s = runner.summary()
    assert s.reps_done == 0
    assert "normal at the start" in s.message


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
