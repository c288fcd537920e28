"""The guided clinic CCFT test, headless: cues, stopping rule, endurance, therapist actions."""

from __future__ import annotations

import numpy as np
import pytest

from cctf.errors import ConfigError
from cctf.session.clinic import CcftTestRunner
from cctf.session.settings import PRESETS, ProtocolSettings, preset

from .clinic_harness import ClinicHarness


def _summary(runner: CcftTestRunner) -> list[tuple[str, float, bool]]:
    return [(t.phase, t.target_mmhg, t.passed) for t in runner.trials]


def test_healthy_patient_full_protocol_scores_8_and_80():
    h = ClinicHarness("healthy", preset("research"))
    h.run()
    r = h.runner.result()
    stages = [(t.target_mmhg, t.passed) for t in h.runner.trials if t.phase == "stage"]
    assert stages == [(22, True), (24, True), (26, True), (28, True), (30, False)]
    endurance = [t for t in h.runner.trials if t.phase == "endurance"]
    assert len(endurance) == 10 and {t.target_mmhg for t in endurance} == {28.0}
    assert (r.activation_score_mmhg, r.performance_index) == (8, 80)
    # A 6-minute protocol, ended by the runner, not by the time limit.
    assert h.runner.done and h.clock.now() < 600


def test_compensating_patient_stops_at_the_first_failed_stage():
    h = ClinicHarness("compensator", preset("research"))
    h.run()
    stages = [(t.target_mmhg, t.passed) for t in h.runner.trials if t.phase == "stage"]
    assert stages == [(22, True), (24, False)]
    failed = h.runner.trials[1]
    assert {"fast_rise", "overshoot"} <= {f.type for f in failed.faults}
    endurance = [t for t in h.runner.trials if t.phase == "endurance"]
    assert len(endurance) == 10 and {t.target_mmhg for t in endurance} == {22.0}
    assert h.runner.result().activation_score_mmhg == 2


def test_cues_end_soon_after_a_completed_hold_and_rest_follows():
    h = ClinicHarness("healthy", preset("research"))
    h.run()
    held = [e for e in h.events if e.kind == "held"]
    ends = [e for e in h.events if e.kind == "trial_end"]
    for e in held:
        end = next(x for x in ends if x.trial == e.trial)
        assert 0.4 <= end.t_s - e.t_s <= 0.6, "the cue should end 0.5 s after the hold"
    starts = [e.t_s for e in h.events if e.kind == "trial_start"]
    gaps = np.diff(starts)
    assert np.all(gaps >= 10.0 + 10.0), "each trial is followed by the 10 s rest"


def test_therapist_repeats_a_failed_stage_and_the_repeat_counts():
    h = ClinicHarness("compensator", preset("research"))
    h.step(25.0)
    h.runner.begin()
    while len(h.runner.trials) < 2:
        h.step()
    assert not h.runner.trials[1].passed
    h.runner.repeat_last_trial()  # during the rest after the failed 24 mmHg stage
    # The repeat is planned first; the stage test did not stop.
    assert h.runner.upcoming()[0].target_mmhg == 24.0
    h.runner.override_verdict(1, None)
    while len(h.runner.trials) < 3:
        h.step()
    first, repeat = h.runner.trials[1], h.runner.trials[2]
    assert first.superseded and not repeat.superseded
    assert (repeat.phase, repeat.target_mmhg) == ("stage", 24.0)


def test_override_and_hand_marked_compensation_change_the_verdict_and_scores():
    h = ClinicHarness("healthy", preset("short"))
    h.step(25.0)
    h.runner.begin()
    while len(h.runner.trials) < 1 or h.runner.analyzer.open_trial is None:
        h.step()
    index = h.runner.mark_compensation("scm")  # SCM activity seen during trial 1
    h.run(setup_s=0.0)
    marked = h.runner.trials[index]
    assert marked.manual_faults == ["scm"] and not marked.passed
    # The stage test stopped at the marked trial.
    assert h.runner.result().activation_score_mmhg == 2
    h.runner.override_verdict(index, True)
    assert h.runner.trials[index].passed
    # Every stage tried now passed, but the test stopped before the top stage: the stage
    # test did not reach its stopping rule, so the activation score is not measured (not 2).
    assert h.runner.result().activation_score_mmhg is None


def test_random_order_training_tries_every_level_unscored():
    h = ClinicHarness("healthy", preset("random-order"))
    h.run()
    targets = [t.target_mmhg for t in h.runner.trials]
    assert sorted(targets) == [22, 24, 26, 28, 30] and targets != sorted(targets)
    assert {t.phase for t in h.runner.trials} == {"training"}
    assert h.runner.result().activation_score_mmhg is None  # not scored: not measured


def test_practice_trials_come_first_and_are_not_scored():
    h = ClinicHarness("healthy", preset("research").with_changes(practice_trials=2,
                                                                 endurance_reps=1))
    h.run()
    phases = [t.phase for t in h.runner.trials]
    assert phases[:2] == ["practice", "practice"] and phases[2] == "stage"
    assert h.runner.result().performance_index == 8


def test_the_runner_is_chunk_invariant_on_a_fixed_trace():
    h = ClinicHarness("healthy", preset("short"))
    h.run()
    t, p = h.trace()

    def replay(chunks: list[int]) -> tuple[list, dict]:
        runner = CcftTestRunner(preset("short"), 50.0)
        events, i, k = [], 0, 0
        while i < len(t):
            n = chunks[k % len(chunks)]
            if i >= 25 * 50 and not runner._begin_requested:
                runner.begin()
            fed = runner.feed(t[i : i + n], p[i : i + n])
            events += fed.events
            i += n
            k += 1
        events += runner.finish()
        return events, runner.result().to_dict()

    a = replay([25 * 50])  # the begin() happens at a chunk boundary in all three
    b = replay([1])
    c = replay([7, 13, 1, 29, 50])
    assert a == b == c


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hold_s": 0}, "hold_s must be between 1 and 60"),
        ({"order": "sideways"}, "order must be one of"),
        ({"n_stages": 10, "step_mmhg": 5}, "the top stage would be 70 mmHg"),
        ({"rest_s": 0}, "rest_s must be between 1 and 120"),
    ],
)
def test_absurd_settings_get_clear_errors(changes, message):
    with pytest.raises(ConfigError, match=message):
        ProtocolSettings(**changes)


def test_presets_are_valid_and_described():
    assert set(PRESETS) == {"research", "short", "random-order"}
    with pytest.raises(ConfigError, match="unknown protocol preset"):
        preset("quick")
