"""Therapist corrections, headless: which trial O and 1–4 act on, the texts, undo."""

from __future__ import annotations

from cctf.session.corrections import Corrections
from cctf.session.settings import preset

from .clinic_harness import ClinicHarness


def _until(h: ClinicHarness, condition, limit_s: float = 600.0) -> None:
    end = h.clock.now() + limit_s
    while not condition():
        assert h.clock.now() < end, "condition not met in time"
        h.step(0.1)


def _started(h: ClinicHarness) -> ClinicHarness:
    h.step(25.0)
    h.runner.begin()
    return h


def test_override_acts_on_the_last_trial_and_says_what_changed():
    h = _started(ClinicHarness("healthy", preset("research")))
    stored = []
    fixes = Corrections(h.runner, store=lambda *a: stored.append(a))
    _until(h, lambda: len(h.runner.trials) == 2)
    assert [t.passed for t in h.runner.trials] == [True, True]
    change = fixes.override()
    assert change.trial_index == 1 and change.text == "Trial 2: passed → failed (therapist)"
    assert h.runner.trials[1].passed is False and h.runner.trials[0].passed is True
    assert stored == [("override_verdict", 1, False)]
    again = fixes.override()  # a second O: back to the measured verdict
    assert again.text == "Trial 2: failed → passed (as measured)"
    assert h.runner.trials[1].verdict_override is None and h.runner.trials[1].passed


def test_a_selection_made_before_the_last_trial_started_is_ignored():
    h = _started(ClinicHarness("healthy", preset("research")))
    fixes = Corrections(h.runner)
    _until(h, lambda: len(h.runner.trials) == 1)
    fixes.select(0)  # selected during the rest after trial 1
    assert fixes.selected == 0 and fixes.override_target().index == 0
    _until(h, lambda: h.runner.analyzer.open_trial is not None)  # trial 2 starts
    assert fixes.selected is None, "the selection clears when a new trial starts"
    _until(h, lambda: len(h.runner.trials) == 2)
    change = fixes.override()
    assert change.trial_index == 1, "O acts on the last trial, not the stale selection"
    assert h.runner.trials[0].verdict_override is None


def test_a_fresh_selection_is_the_target_for_override_and_marks():
    h = _started(ClinicHarness("healthy", preset("research")))
    fixes = Corrections(h.runner)
    _until(h, lambda: len(h.runner.trials) == 3)
    fixes.select(0)
    assert fixes.override().trial_index == 0
    change = fixes.mark("scm")
    assert change.trial_index == 0
    assert change.text == "Trial 1: failed → failed (SCM/scalene marked by hand)"
    assert h.runner.trials[0].manual_faults == ["scm"]


def test_a_mark_during_a_trial_acts_on_the_trial_under_way():
    h = _started(ClinicHarness("healthy", preset("research")))
    fixes = Corrections(h.runner)
    _until(h, lambda: len(h.runner.trials) == 1)
    _until(h, lambda: h.runner.cue.step == "hold")
    change = fixes.mark("breath")
    assert change.trial_index == 1
    assert change.text == "Trial 2: in progress → failed (breath holding marked by hand)"
    _until(h, lambda: len(h.runner.trials) == 2)
    assert h.runner.trials[1].passed is False


def test_undo_takes_back_the_last_change_in_the_runner_and_the_store():
    h = _started(ClinicHarness("healthy", preset("research")))
    stored = []
    fixes = Corrections(h.runner, store=lambda *a: stored.append(a))
    _until(h, lambda: len(h.runner.trials) == 2)
    fixes.override()
    fixes.mark("jaw")
    assert fixes.undo().kind == "mark"
    assert h.runner.trials[1].manual_faults == [] and h.runner.trials[1].passed is False
    assert stored[-1] == ("clear_compensation", 1)
    assert fixes.undo().kind == "override"
    assert h.runner.trials[1].verdict_override is None and h.runner.trials[1].passed
    assert stored[-1] == ("override_verdict", 1, None)
    assert fixes.undo() is None and fixes.done == []


def test_undo_of_one_mark_keeps_the_others():
    h = _started(ClinicHarness("healthy", preset("research")))
    stored = []
    fixes = Corrections(h.runner, store=lambda *a: stored.append(a))
    _until(h, lambda: len(h.runner.trials) == 1)
    fixes.mark("scm")
    fixes.mark("jaw")
    fixes.undo()
    assert h.runner.trials[0].manual_faults == ["scm"] and not h.runner.trials[0].passed
    assert stored[-2:] == [("clear_compensation", 0), ("mark_compensation", 0, "scm")]


def test_nothing_to_correct_before_the_first_trial():
    h = _started(ClinicHarness("healthy", preset("research")))
    fixes = Corrections(h.runner)
    assert fixes.override() is None and fixes.mark("scm") is None and fixes.undo() is None
