"""Time without samples never counts: a signal gap splits a hold attempt, and a gap between
the cue and the completed hold (or the end of a trial that never held) fails the trial with a
``signal_gap`` fault — the same at 10–200 Hz and for any chunking. A gap after the hold
completed is no trial fault. Also: how a session ended (complete, ended early, cut off)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctf.analysis.scoring import ScoringPlan
from cctf.sessionfile import Ending

from .analysis_traces import (
    Trace,
    TrialSpec,
    analyze,
    event_key,
    fault,
    fault_types,
    run_live,
    session_trace,
)
from .test_analysis_invariance import CUE_S, FIRST_S, add_trial, sessions, verdicts

RATES = (10, 25, 50, 100, 200)
PROPS = settings(max_examples=10, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
# Features whose events all lie after the hole (3–6.5 s into the cue), or that have none.
GAP_FEATURES = ("clean", "fast", "drop", "shake", "lift", "short", "broken")


def _gap_checks(res, hole: tuple[float, float], rate: float) -> None:
    first = res.trials[0]
    gap = fault(first, "signal_gap")
    assert not first.passed
    assert hole[0] - 1.0 / rate - 1e-9 <= gap.t_s <= hole[0]
    assert hole[1] - hole[0] <= gap.value <= hole[1] - hole[0] + 2.0 / rate + 1e-9
    assert first.longest_hold_s < 10.0 or gap.t_s + gap.value <= first.cue_end_s - 9.9
    assert "signal_gap" in {e.type for e in res.session_events}


@PROPS
@given(tr=sessions(features=GAP_FEATURES, max_trials=2),
       where=st.floats(3.0, 4.5), length=st.floats(0.5, 2.0))
def test_a_gap_inside_a_hold_gets_the_same_verdicts_at_10_to_200_hz(tr, where, length):
    hole = (FIRST_S + where, FIRST_S + where + length)
    results = {rate: analyze(tr.sample(rate, noise_sd=0.03, seed=rate, holes=(hole,)))
               for rate in RATES}
    ref = results[50]
    for rate, res in results.items():
        _gap_checks(res, hole, rate)
        assert verdicts(res) == verdicts(ref), rate
        assert res.activation_score_mmhg == ref.activation_score_mmhg
        assert res.performance_index == ref.performance_index


@PROPS
@given(tr=sessions(features=GAP_FEATURES, max_trials=2, physiology=0.5),
       rate=st.sampled_from(RATES), where=st.floats(2.0, 9.0), length=st.floats(0.3, 3.0),
       data=st.data())
def test_a_gap_inside_a_hold_gives_the_same_events_for_any_chunking(
    tr, rate, where, length, data
):
    hole = (FIRST_S + where, FIRST_S + where + length)
    s = tr.sample(rate, noise_sd=0.04, quantum=0.01, jitter=0.1, seed=rate, holes=(hole,))
    whole_events, whole = run_live(s)
    sizes = data.draw(st.lists(st.integers(1, max(1, len(s) // 3)), min_size=1, max_size=8))
    for chunked_events, chunked in (run_live(s, sizes=[1]), run_live(s, sizes=sizes)):
        assert [event_key(e) for e in chunked_events] == [event_key(e) for e in whole_events]
        assert chunked.to_dict() == whole.to_dict()
    assert analyze(s, chunk_size=sizes[0]).to_dict() == whole.to_dict()
    assert "signal_gap" in fault_types(whole.trials[0])
    assert not whole.trials[0].passed


@PROPS
@given(rate=st.sampled_from(RATES), length=st.floats(0.5, 3.0))
def test_a_gap_after_the_hold_completed_is_no_trial_fault(rate, length):
    tr = Trace()
    add_trial(tr, FIRST_S, 24.0, "stage", "clean")  # reaches by ≈ 2.5 s: held by ≈ 12.5 s
    tr.end_s = FIRST_S + CUE_S + 3.0
    hole = (FIRST_S + 13.5, FIRST_S + 13.5 + length)
    res = analyze(tr.sample(rate, noise_sd=0.03, seed=rate, holes=(hole,)))
    (trial,) = res.trials
    assert (trial.held, trial.passed, trial.faults) == (True, True, [])
    assert [e.type for e in res.session_events] == ["signal_gap"]  # the session event stays


def test_the_issue_case_a_3_s_loss_mid_hold_does_not_pass_as_held():
    """The seen bug: 3 s without samples in a hold counted toward "held steadily for 10 s"."""
    tr = Trace()
    add_trial(tr, FIRST_S, 24.0, "stage", "clean")
    tr.end_s = FIRST_S + CUE_S + 3.0
    s = tr.sample(50, holes=((FIRST_S + 8.0, FIRST_S + 11.0),))
    events, res = run_live(s, sizes=[5])
    (trial,) = res.trials
    gap = fault(trial, "signal_gap")
    before = s.t_s[s.t_s <= FIRST_S + 8.0][-1]
    after = s.t_s[s.t_s >= FIRST_S + 11.0][0]
    assert gap.t_s == pytest.approx(before) and gap.value == pytest.approx(after - before)
    assert not trial.held and not trial.passed  # 7 s after the gap is too short to hold again
    assert trial.longest_hold_s < 7.5
    assert trial.time_in_band_s < CUE_S - 3.0
    kinds = [(e.kind, e.type) for e in events if e.trial == trial.index]
    assert ("hold_broken", "") in kinds and ("fault", "signal_gap") in kinds
    # The fault is live the moment the first sample after the gap arrives.
    live = next(e for e in events if e.type == "signal_gap" and e.kind == "fault")
    assert live.t_s == pytest.approx(before)


def test_a_hold_completed_after_a_gap_is_held_but_cannot_pass():
    tr = Trace()
    add_trial(tr, FIRST_S, 24.0, "stage", "clean")
    tr.end_s = FIRST_S + CUE_S + 3.0
    res = analyze(tr.sample(25, holes=((FIRST_S + 3.0, FIRST_S + 3.6),)))
    (trial,) = res.trials
    assert trial.held and not trial.passed
    assert fault_types(trial) == {"signal_gap"}


def test_a_gap_in_a_trial_that_never_reached_and_a_gap_the_cue_ended_in_are_faults():
    tr = session_trace([TrialSpec(24.0, ok=False), TrialSpec(24.0, ok=False)])
    # trial 1: a hole inside; trial 2: its cue (6 + 22 → 42 s) ends inside the hole 40–44 s
    s = tr.sample(50, holes=((10.0, 11.0), (40.0, 44.0)))
    res = analyze(s)
    first, second = res.trials
    assert fault(first, "signal_gap").value == pytest.approx(1.0, abs=0.05)
    assert fault(second, "signal_gap").t_s == pytest.approx(40.0, abs=0.03)
    assert fault(second, "signal_gap").value == pytest.approx(4.0, abs=0.05)
    assert fault_types(first) == fault_types(second) == {"undershoot", "signal_gap"}


# --- how a session ended -------------------------------------------------------------------

def test_a_full_test_is_complete_with_both_scores():
    specs = [TrialSpec(22.0), TrialSpec(24.0), TrialSpec(26.0, ok=False)] + [
        TrialSpec(24.0, "endurance") for _ in range(10)]
    res = analyze(session_trace(specs).sample(25), ending=Ending(None))
    assert (res.activation_score_mmhg, res.performance_index, res.complete) == (4, 40, True)
    assert res.ended_early_s is None
    assert not any(t.interrupted for t in res.trials)


def test_ended_early_during_the_stage_test_scores_nothing_and_interrupts_the_open_trial():
    specs = [TrialSpec(22.0), TrialSpec(24.0), TrialSpec(26.0)]
    tr = session_trace(specs)  # cues at 6, 28, 50 s (14 s each)
    s = tr.sample(25)
    keep = s.t_s <= 55.0  # the app stopped recording when the therapist ended the test
    for name in ("t_s", "pressure_mmhg", "target_mmhg", "phase"):
        setattr(s, name, getattr(s, name)[keep])
    ending = Ending(float(s.t_s[-1]))
    res = analyze(s, ending=ending)
    assert res.complete is False and res.ended_early_s == pytest.approx(55.0, abs=0.05)
    assert res.activation_score_mmhg is None and res.performance_index is None
    assert [t.interrupted for t in res.trials] == [False, False, True]
    assert not res.trials[2].passed and not res.trials[2].scored
    data = res.to_dict()
    assert data["complete"] is False and data["activation_score_mmhg"] is None
    assert [t["interrupted"] for t in data["trials"]] == [False, False, True]
    # Live and offline agree, however the samples come.
    _, live = run_live(s, sizes=[7], ending=ending)
    assert live.to_dict() == data


def test_ended_early_during_endurance_keeps_the_activation_but_not_the_pi():
    specs = [TrialSpec(22.0), TrialSpec(24.0), TrialSpec(26.0, ok=False)] + [
        TrialSpec(24.0, "endurance") for _ in range(10)]
    s = session_trace(specs).sample(25)
    cut = 6.0 + 22.0 * 6 + 5.0  # 5 s into the 4th endurance hold
    keep = s.t_s <= cut
    for name in ("t_s", "pressure_mmhg", "target_mmhg", "phase"):
        setattr(s, name, getattr(s, name)[keep])
    res = analyze(s, ending=Ending(cut))
    assert res.activation_score_mmhg == 4
    assert res.performance_index is None and res.complete is False
    assert sum(t.interrupted for t in res.trials) == 1 and res.trials[-1].interrupted


def test_a_file_cut_off_mid_trial_without_an_ended_line_interrupts_that_trial():
    """``cctf record`` for a fixed time, or a crash: the data decides."""
    s = session_trace([TrialSpec(22.0), TrialSpec(24.0), TrialSpec(26.0)]).sample(25)
    keep = s.t_s <= 60.0  # inside the third cue (50–64 s), already held? not yet
    for name in ("t_s", "pressure_mmhg", "target_mmhg", "phase"):
        setattr(s, name, getattr(s, name)[keep])
    res = analyze(s)
    assert res.trials[-1].interrupted and res.activation_score_mmhg is None
    assert res.performance_index is None and not res.complete and res.ended_early_s is None
    # "ended: complete" says the app finished normally: the last trial is judged as it is.
    judged = analyze(s, ending=Ending(None))
    assert not judged.trials[-1].interrupted


def test_the_short_preset_has_no_performance_index_and_is_complete():
    plan = ScoringPlan(endurance_reps=0)
    specs = [TrialSpec(x) for x in (22.0, 24.0, 26.0, 28.0)] + [TrialSpec(30.0, ok=False)]
    res = analyze(session_trace(specs).sample(25), plan=plan, ending=Ending(None))
    assert res.activation_score_mmhg == 8
    assert res.performance_index is None and res.complete is True


def test_activation_zero_keeps_pi_zero():
    specs = [TrialSpec(22.0, ok=False)]
    res = analyze(session_trace(specs).sample(25), ending=Ending(None))
    assert (res.activation_score_mmhg, res.performance_index, res.complete) == (0, 0, True)
