"""The rest banner's "next" follows the stopping rule; "rep n of 10"; the live verdict says
failed as soon as a fault decides it."""

from __future__ import annotations

import pytest

from cctf.analysis.results import Fault, TrialResult
from cctf.session.cue_text import live_verdict, rep_text, rest_detail
from cctf.session.settings import preset

from .clinic_harness import ClinicHarness


def _until(h: ClinicHarness, condition, limit_s: float = 900.0) -> None:
    end = h.clock.now() + limit_s
    while not condition():
        assert h.clock.now() < end, "condition not met in time"
        h.step(0.1)


def test_next_after_a_failed_stage_is_endurance_not_the_next_stage():
    h = ClinicHarness("compensator", preset("research"))
    h.step(25.0)
    h.runner.begin()
    _until(h, lambda: len(h.runner.trials) == 1 and h.runner.cue.step == "rest")
    assert rest_detail(h.runner) == "next: 24 mmHg · stage test"
    _until(h, lambda: len(h.runner.trials) == 2 and h.runner.cue.step == "rest")
    assert not h.runner.trials[1].passed
    assert rest_detail(h.runner) == ("Stage test stopped at 24 → next: endurance 10 × 10 s "
                                     "at 22 mmHg")
    # What the banner said is what happens.
    _until(h, lambda: h.runner.cue.step == "nod")
    assert (h.runner.cue.phase, h.runner.cue.target_mmhg) == ("endurance", 22.0)
    assert rep_text(h.runner) == "rep 1 of 10"
    _until(h, lambda: h.runner.cue.step == "rest")
    assert rest_detail(h.runner) == "next: endurance rep 2 of 10 at 22 mmHg"
    for _ in range(4):
        _until(h, lambda: h.runner.cue.step == "nod")
        _until(h, lambda: h.runner.cue.step == "rest")
    _until(h, lambda: h.runner.cue.step == "hold")
    assert rep_text(h.runner) == "rep 6 of 10"


def test_first_stage_failed_ends_the_test_and_next_follows_an_override():
    h = ClinicHarness("healthy", preset("research"))
    h.step(25.0)
    h.runner.begin()
    _until(h, lambda: len(h.runner.trials) == 1 and h.runner.cue.step == "rest")
    assert rest_detail(h.runner) == "next: 24 mmHg · stage test"
    h.runner.override_verdict(0, False)  # the therapist fails the first stage during the rest
    assert rest_detail(h.runner) == "Stage test stopped at 22 → the test ends"
    _until(h, lambda: h.runner.done)
    assert len(h.runner.trials) == 1


def test_no_rep_count_outside_endurance():
    h = ClinicHarness("healthy", preset("research"))
    h.step(25.0)
    h.runner.begin()
    _until(h, lambda: h.runner.cue.step == "hold")
    assert rep_text(h.runner) == ""


def _trial(**kw) -> TrialResult:
    return TrialResult(index=0, phase="stage", target_mmhg=24.0, cue_start_s=0.0, cue_end_s=20.0,
                       rest_mmhg=20.0, **kw)


def test_live_verdict_says_failed_beside_a_fault():
    t = _trial(held=True, faults=[Fault("overshoot", 10.0, 3.1)])
    assert live_verdict(t, True, []) == ("failed", "✗ failed: overshot")
    # A fault the display has seen before the trial's own list has it.
    assert live_verdict(_trial(), False, [("overshoot", 3.1)]) == ("failed", "✗ failed: overshot")
    marked = _trial(held=True, manual_faults=["scm"])
    assert live_verdict(marked, True, []) == ("failed", "✗ failed: SCM/scalene")
    assert live_verdict(_trial(held=True), True, []) == ("held", "✓ Held")
    assert live_verdict(_trial(), False, []) == ("", "")


def test_banner_says_what_the_nod_count_is_and_relax_does_not_read_as_a_target():
    from cctf.session.cue_text import cue_detail
    h = ClinicHarness("healthy", preset("research"))
    h.step(25.0)
    h.runner.begin()
    _until(h, lambda: h.runner.cue.step == "nod")
    nod = cue_detail(h.runner, "nod")
    assert nod.startswith("to 22 mmHg · stage test") and nod.endswith("this try ends in")
    _until(h, lambda: h.runner.cue.step == "relax")
    relax = cue_detail(h.runner, "relax")
    assert "22" not in relax, "relax names what comes next, not the target just held"
    assert relax == "✓ held · next: 24 mmHg · stage test"
    _until(h, lambda: h.runner.cue.step == "rest")
    assert cue_detail(h.runner, "rest") == rest_detail(h.runner)


def test_get_ready_counts_down_on_sample_time_before_the_first_cue():
    from cctf.session.cue_text import cue_detail
    h = ClinicHarness("healthy", preset("research"))
    h.step(25.0)
    assert h.runner.get_ready_s == 3.0
    h.runner.begin(h.runner.get_ready_s)
    h.step(0.1)
    cue = h.runner.cue
    assert cue.step == "get_ready" and cue.target_mmhg == 22.0 and cue.trial is None
    assert cue.until_s - cue.since_s == 3.0
    assert cue_detail(h.runner, "get_ready") == "first: 22 mmHg · stage test"
    started = cue.since_s
    _until(h, lambda: h.runner.cue.step == "nod")
    assert h.runner.cue.since_s - started == pytest.approx(3.0, abs=1e-6)  # samples, not wall
    assert not h.runner.trials and h.runner.analyzer.open_trial is not None
