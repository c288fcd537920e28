"""The scripted patient: healthy holds, each compensation's signature, capacity, fatigue,
determinism and chunk invariance. Signatures are measured on the generated trace against the
analysis thresholds (overshoot > T+1.5 for 0.3 s, rise < 0.5 s, drop < T−1 for 0.5 s,
detrended SD > 0.4, head lift < rest−1 for 0.3 s, not reaching)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cctf.errors import ConfigError
from cctf.sim.patient import (
    COMPENSATIONS,
    CompensationRule,
    PatientParams,
    ScriptedPatient,
    ScriptedSession,
    SignatureParams,
)
from cctf.sim.physiology import CuffParams
from cctf.sim.schedule import ccft_schedule
from cctf.sim.source import Cue

FS_HZ = 50.0
SENSOR_NOISE_MMHG = 0.03


def _session(rules=(), seed=0, schedule=None, cuff=None, **patient) -> ScriptedSession:
    return ScriptedSession(
        PatientParams(compensations=tuple(rules), **patient),
        cuff or CuffParams(),
        ccft_schedule() if schedule is None else schedule,
        seed=seed,
        autocue=True,
    )


def _trace(session: ScriptedSession, fs_hz: float = FS_HZ, noise_seed: int = 0):
    """Whole-session pressure with realistic sensor noise, as the analysis would see it."""
    t = np.arange(0.0, session.schedule[-1].end_s + 10.0, 1.0 / fs_hz)
    noise = np.random.default_rng(noise_seed).normal(0.0, SENSOR_NOISE_MMHG, len(t))
    return t, session.pressure_mmhg(t) + noise


def _longest_s(mask: np.ndarray, fs_hz: float = FS_HZ) -> float:
    """Longest run of True, in seconds."""
    padded = np.concatenate([[0], mask.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return float((edges[1::2] - edges[::2]).max() / fs_hz) if len(edges) else 0.0


def _window(t, p, start_s, end_s):
    m = (t >= start_s) & (t < end_s)
    return t[m], p[m]


def _rest_before(t, p, cue: Cue) -> float:
    return float(_window(t, p, cue.start_s - 3.0, cue.start_s)[1].mean())


def _detrended_sd(t, p) -> float:
    return float(np.std(p - np.polyval(np.polyfit(t, p, 1), t)))


def _last_hold(t, p, cue: Cue, hold_s: float = 10.0):
    return _window(t, p, cue.end_s - hold_s, cue.end_s)


def _rise_10_90_s(t, p, rest_mmhg: float, level_mmhg: float, start_s: float, end_s: float):
    """From the last time below 10 % to the first time at 90 % of the rest→level step."""
    tt, pp = _window(t, p, start_s, end_s)
    lo = rest_mmhg + 0.1 * (level_mmhg - rest_mmhg)
    hi = rest_mmhg + 0.9 * (level_mmhg - rest_mmhg)
    i90 = int(np.argmax(pp >= hi))
    below = np.flatnonzero(pp[:i90] < lo)
    return float(tt[i90] - tt[below[-1] + 1])


# --- healthy behaviour -------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_healthy_patient_holds_within_one_mmhg_for_ten_seconds(seed):
    session = _session(seed=seed, schedule=ccft_schedule(endurance_level_mmhg=28.0))
    t, p = _trace(session, noise_seed=seed)
    for cue, plan in zip(session.schedule, session.trials, strict=True):
        if cue.target_mmhg > 28.0:
            continue
        assert not plan.compensations
        tt, pp = _last_hold(t, p, cue)
        assert tt[-1] - tt[0] >= 9.9
        assert np.abs(pp - cue.target_mmhg).max() <= 1.0, f"trial {plan.index}"
        assert _detrended_sd(tt, pp) < 0.3  # well under the 0.4 'unsteady' threshold
        assert _longest_s(pp > cue.target_mmhg + 1.5) == 0.0
        rise = _rise_10_90_s(
            t, p, _rest_before(t, p, cue), cue.target_mmhg, cue.start_s - 2.0, cue.end_s
        )
        assert rise > 0.6  # a slow, controlled nod, not a jerk (< 0.5 s)


def test_patient_relaxes_back_to_rest_when_the_cue_ends():
    session = _session(seed=4)
    t, p = _trace(session)
    for cue in session.schedule[:4]:
        rest = _rest_before(t, p, cue)
        _, after = _window(t, p, cue.end_s + 3.0, cue.end_s + 8.0)
        assert abs(after.mean() - rest) < 0.3


def test_patient_aims_at_the_dial_pressure_on_an_offset_drifting_leaking_cuff():
    cuff = CuffParams(baseline_mmhg=18.5, thermal_rise_mmhg=1.0, leak_mmhg_per_min=0.8)
    session = _session(seed=5, cuff=cuff, schedule=ccft_schedule(endurance_level_mmhg=26.0))
    t, p = _trace(session)
    for cue in session.schedule:
        if cue.target_mmhg <= 28.0:
            _, hold = _last_hold(t, p, cue)
            assert abs(hold.mean() - cue.target_mmhg) < 0.5
    # The cuff lost pressure over the session: the patient nodded harder to compensate.
    first_rest = _rest_before(t, p, session.schedule[0])
    last_rest = _rest_before(t, p, session.schedule[-1])
    assert first_rest - last_rest > 2.0


# --- compensations -------------------------------------------------------------------------


def _compensating_session(kind: str, seed: int) -> ScriptedSession:
    rule = CompensationRule(kind, min_target_mmhg=24.0)
    return _session([rule], seed=seed, max_level_mmhg=30.0)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", COMPENSATIONS)
def test_compensations_happen_only_where_the_rule_says(kind, seed):
    session = _compensating_session(kind, seed)
    _trace(session, fs_hz=10.0)
    assert [set(tr.compensations) for tr in session.trials] == [set()] + [{kind}] * 4


def _signature_trials(kind: str):
    """(t, p, cue, plan) of the compensated trials at 24–30 mmHg, two seeds."""
    for seed in (0, 1):
        session = _compensating_session(kind, seed)
        t, p = _trace(session, noise_seed=seed)
        for cue, plan in list(zip(session.schedule, session.trials, strict=True))[1:]:
            assert kind in plan.compensations
            yield t, p, cue, plan


def test_overshoot_peaks_at_least_2_5_above_target_for_half_a_second_then_settles():
    for t, p, cue, _ in _signature_trials("overshoot"):
        _, trial = _window(t, p, cue.start_s, cue.end_s)
        assert _longest_s(trial > cue.target_mmhg + 2.5) >= 0.5
        assert _longest_s(trial > cue.target_mmhg + 1.5) >= 0.3 + 0.5  # threshold with margin
        _, settled = _window(t, p, cue.end_s - 5.0, cue.end_s)
        assert abs(settled.mean() - cue.target_mmhg) < 0.6


def test_fast_nod_rises_10_to_90_percent_in_about_a_quarter_second():
    for t, p, cue, plan in _signature_trials("fast_nod"):
        if cue.target_mmhg < 28.0:
            continue  # on 2–4 mmHg steps breathing blurs the 10 % and 90 % crossings
        rise = _rise_10_90_s(
            t, p, _rest_before(t, p, cue), plan.level_mmhg, cue.start_s - 2.0, cue.end_s
        )
        assert rise < 0.4
    # Without the body's ripple the planned movement is exact at every stage.
    patient = ScriptedPatient(PatientParams(compensations=(CompensationRule("fast_nod"),)))
    for i, target in enumerate((22.0, 24.0, 26.0, 28.0)):
        patient.cue(20.0 * i, target, "stage")
        patient.cue(20.0 * i + 13.0, None)
    t = np.arange(0.0, 80.0, 0.001)
    p = 20.0 + patient.nod_mmhg(t, np.full(len(t), 20.0))
    for plan in patient.trials:
        rise = _rise_10_90_s(t, p, 20.0, plan.level_mmhg, plan.cue_s, plan.cue_s + 3.0)
        assert rise == pytest.approx(0.25, abs=0.02)


def test_pressure_drop_falls_below_target_minus_1_8_for_about_1_5_s():
    for t, p, cue, plan in _signature_trials("pressure_drop"):
        _, hold = _window(t, p, plan.reach_s, cue.end_s)
        assert _longest_s(hold < cue.target_mmhg - 1.8) >= 1.2
        assert _longest_s(hold < cue.target_mmhg - 1.0) >= 0.5 + 1.0
        # It is a drop, not a head lift: never far below the rest level.
        assert _longest_s(hold < _rest_before(t, p, cue) - 1.0) == 0.0


def test_unsteady_hold_has_sd_near_0_8_without_faking_other_failures():
    for t, p, cue, _ in _signature_trials("unsteady"):
        tt, pp = _last_hold(t, p, cue)
        assert 0.6 <= _detrended_sd(tt, pp) <= 1.1
        assert abs(pp.mean() - cue.target_mmhg) < 0.5
        assert _longest_s(pp > cue.target_mmhg + 1.5) < 0.3
        assert _longest_s(pp < cue.target_mmhg - 1.0) < 0.5


def test_head_lift_falls_2_5_below_rest_for_about_a_second():
    for t, p, cue, _ in _signature_trials("head_lift"):
        rest = _rest_before(t, p, cue)
        _, trial = _window(t, p, cue.start_s, cue.end_s)
        assert _longest_s(trial < rest - 2.5) >= 0.8
        assert _longest_s(trial < rest - 1.0) >= 0.3 + 0.5


def test_no_reach_plateaus_about_2_mmhg_short():
    for t, p, cue, _ in _signature_trials("no_reach"):
        _, hold = _last_hold(t, p, cue)
        short = cue.target_mmhg - hold.mean()
        assert 1.5 <= short <= 2.5
        assert hold.max() < cue.target_mmhg - 0.8


def test_rules_filter_by_trial_phase_target_and_probability():
    rules = (
        CompensationRule("head_lift", trials=(1, 3)),
        CompensationRule("overshoot", phases=("endurance",), max_target_mmhg=24.0),
        CompensationRule("unsteady", probability=0.5),
    )
    schedule = ccft_schedule(endurance_level_mmhg=24.0, endurance_reps=40)
    session = _session(rules, seed=8, schedule=schedule, max_level_mmhg=40.0)
    trials = session.trials
    assert [tr.index for tr in trials if "head_lift" in tr.compensations] == [1, 3]
    assert all(("overshoot" in tr.compensations) == (tr.phase == "endurance") for tr in trials)
    unsteady = np.mean(["unsteady" in tr.compensations for tr in trials])
    assert 0.3 <= unsteady <= 0.7
    again = _session(rules, seed=8, schedule=schedule, max_level_mmhg=40.0).trials
    assert [tr.compensations for tr in again] == [tr.compensations for tr in trials]


# --- capacity and fatigue ------------------------------------------------------------------


def test_targets_above_capacity_are_not_reached():
    session = _session(seed=3, max_level_mmhg=25.0)
    t, p = _trace(session)
    for cue, plan in zip(session.schedule, session.trials, strict=True):
        _, hold = _last_hold(t, p, cue)
        if cue.target_mmhg <= 25.0:
            assert not plan.compensations
            assert abs(hold.mean() - cue.target_mmhg) < 0.5
        else:
            assert plan.compensations == {"no_reach"}
            assert 1.5 <= cue.target_mmhg - hold.mean() <= 2.5


def test_targets_above_capacity_can_be_reached_with_compensation_instead():
    session = _session(seed=3, max_level_mmhg=25.0, over_capacity=("unsteady", "overshoot"))
    t, p = _trace(session)
    for cue, plan in zip(session.schedule, session.trials, strict=True):
        if cue.target_mmhg > 25.0:
            assert plan.compensations == {"unsteady", "overshoot"}
            tt, pp = _last_hold(t, p, cue, hold_s=6.0)
            assert abs(pp.mean() - cue.target_mmhg) < 0.6  # reached…
            assert _detrended_sd(tt, pp) > 0.5  # …but not steadily


def _endurance_holds(**fatigue):
    schedule = ccft_schedule(n_stages=1, endurance_level_mmhg=24.0, endurance_reps=30)
    cuff = CuffParams(thermal_rise_mmhg=0.0)
    session = _session(seed=6, schedule=schedule, cuff=cuff, **fatigue)
    t, p = _trace(session)
    return [_last_hold(t, p, cue) for cue in session.schedule]


def test_fatigue_makes_later_holds_less_steady():
    holds = _endurance_holds(fatigue_sd_mmhg_per_rep=0.02, fatigue_sag_mmhg_per_rep=0.0)
    sds = [_detrended_sd(tt, pp) for tt, pp in holds]
    assert np.mean(sds[-8:]) > 1.5 * np.mean(sds[:8])


def test_fatigue_makes_later_holds_sag():
    holds = _endurance_holds(fatigue_sd_mmhg_per_rep=0.0, fatigue_sag_mmhg_per_rep=0.04)
    slopes = np.array([np.polyfit(tt, pp, 1)[0] for tt, pp in holds])
    # Rep n sags n × 0.04 mmHg over 10 s: -0.1 mmHg/s by rep 26-30, ~0 at the start.
    assert np.mean(slopes[-5:]) == pytest.approx(-0.11, abs=0.03)
    assert abs(np.mean(slopes[:5])) < 0.03


# --- determinism, chunking, continuity -----------------------------------------------------

_SHORT = ccft_schedule(
    n_stages=3, hold_s=4.0, rest_s=3.0, setup_s=6.0, endurance_level_mmhg=24.0, endurance_reps=2
)
_ALL_RULES = tuple(CompensationRule(kind, probability=0.5) for kind in COMPENSATIONS)


def _short_session(seed: int = 11, autocue: bool = True) -> ScriptedSession:
    return ScriptedSession(
        PatientParams(compensations=_ALL_RULES, max_level_mmhg=25.0),
        CuffParams(leak_mmhg_per_min=0.3),
        _SHORT,
        seed=seed,
        autocue=autocue,
    )


_T_SHORT = np.arange(0.0, _SHORT[-1].end_s + 4.0, 0.04)


def test_same_seed_same_output_different_seed_different_output():
    a = _short_session(seed=11).pressure_mmhg(_T_SHORT)
    b = _short_session(seed=11).pressure_mmhg(_T_SHORT)
    c = _short_session(seed=12).pressure_mmhg(_T_SHORT)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=30))
def test_output_is_identical_however_time_is_chunked(sizes):
    whole = _short_session().pressure_mmhg(_T_SHORT)
    session = _short_session()
    pieces, i, k = [], 0, 0
    while i < len(_T_SHORT):
        n = sizes[k % len(sizes)]
        pieces.append(session.pressure_mmhg(_T_SHORT[i : i + n]))
        i, k = i + n, k + 1
    np.testing.assert_array_equal(np.concatenate(pieces), whole)


def _drive(session: ScriptedSession, t: np.ndarray, cues: list[Cue], cuts: set[int]):
    """Sample ``session`` at ``t`` in chunks cut at ``cuts``, cueing it like an app would."""
    events = []
    for cue in cues:
        events += [(cue.start_s, cue.target_mmhg, cue.phase), (cue.end_s, None, cue.phase)]
    events.sort(key=lambda e: e[0])
    cue_at = {}
    for when, target, phase in events:
        cue_at.setdefault(int(np.searchsorted(t, when)), []).append((when, target, phase))
    bounds = sorted({0, len(t), *cuts, *cue_at})
    out = []
    for a, b in itertools.pairwise(bounds):
        for when, target, phase in cue_at.get(a, []):
            session.cue(when, target, phase)
        out.append(session.pressure_mmhg(t[a:b]))
    return np.concatenate(out)


@settings(max_examples=15, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=len(_T_SHORT) - 1), max_size=80))
def test_app_driven_session_is_chunk_invariant_and_equals_autocue(cuts):
    driven = _drive(_short_session(autocue=False), _T_SHORT, list(_SHORT), cuts)
    once = _drive(_short_session(autocue=False), _T_SHORT, list(_SHORT), set())
    np.testing.assert_array_equal(driven, once)
    np.testing.assert_array_equal(driven, _short_session().pressure_mmhg(_T_SHORT))


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0.2, max_value=6.0), st.sampled_from([None, 22, 24, 26, 30])),
        min_size=1,
        max_size=12,
    )
)
def test_any_cue_sequence_gives_a_smooth_trace(steps):
    """The app may change the target mid-nod or mid-hold: the pressure never jumps."""
    session = ScriptedSession(
        PatientParams(compensations=_ALL_RULES), CuffParams(), seed=3, autocue=False
    )
    t = np.arange(0.0, 25.0 + sum(dt for dt, _ in steps), 0.001)
    when = 25.0
    cues = []
    for dt, target in steps:
        cues.append((when, target))
        when += dt
    i = 0
    out = []
    for when, target in cues:
        j = int(np.searchsorted(t, when))
        out.append(session.pressure_mmhg(t[i:j]))
        session.cue(float(t[j]), None if target is None else float(target), "stage")
        i = j
    out.append(session.pressure_mmhg(t[i:]))
    p = np.concatenate(out)
    after_inflation = t > 3.0
    # Fastest real movement: a 0.3-s head lift from 30 mmHg to 3.2 below rest, peaking at
    # 1.9 × 13 / 0.3 ≈ 80 mmHg/s; a jump would show as a step far above 0.08 mmHg per ms.
    assert np.abs(np.diff(p[after_inflation])).max() < 0.15


def test_current_cue_follows_the_schedule_or_the_app():
    auto = _short_session()
    first = _SHORT[0]
    assert auto.current_cue(first.start_s - 0.1) is None
    assert auto.current_cue(first.start_s) == first
    assert auto.current_cue(first.end_s) is None

    app = _short_session(autocue=False)
    assert app.current_cue(10.0) is None
    app.cue(10.0, 24.0, "practice")
    shown = app.current_cue(12.0)
    assert (shown.target_mmhg, shown.phase, shown.end_s) == (24.0, "practice", math.inf)
    app.cue(15.0, 26.0, "practice")
    assert app.current_cue(14.0).target_mmhg == 24.0
    assert app.current_cue(14.0).end_s == 15.0
    app.cue(20.0, None)
    assert app.current_cue(16.0).target_mmhg == 26.0
    assert app.current_cue(21.0) is None
    assert [c.target_mmhg for c in (app.current_cue(11.0), app.current_cue(19.9))] == [24.0, 26.0]


def test_autocue_session_ignores_app_cues():
    session = _short_session()
    before = len(session.trials)
    session.cue(7.0, 30.0, "stage")
    assert len(session.trials) == before
    np.testing.assert_array_equal(
        session.pressure_mmhg(_T_SHORT), _short_session().pressure_mmhg(_T_SHORT)
    )


def test_a_cue_that_arrives_late_starts_the_nod_from_now_without_a_jump():
    session = ScriptedSession(PatientParams(), CuffParams(), seed=1)
    t = np.arange(0.0, 40.0, 0.01)
    head = session.pressure_mmhg(t[t < 30.0])
    session.cue(25.0, 24.0, "stage")  # an app's cue stamped 5 s in the past
    tail = session.pressure_mmhg(t[t >= 30.0])
    assert session.trials[0].start_s >= t[t < 30.0][-1]
    assert abs(tail[0] - head[-1]) < 0.05
    assert tail[-100:].mean() == pytest.approx(24.0, abs=0.6)


def test_empty_and_single_sample_calls_work():
    session = _short_session()
    assert session.pressure_mmhg(np.array([])).shape == (0,)
    assert session.pressure_mmhg(np.array([30.0])).shape == (1,)


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: PatientParams(ramp_s=0.0), r"patient\.ramp_s"),
        (lambda: PatientParams(ramp_variation=1.5), r"patient\.ramp_variation"),
        (lambda: PatientParams(hold_sd_mmhg=-0.1), r"patient\.hold_sd_mmhg"),
        (lambda: PatientParams(over_capacity=("sneeze",)), r"patient\.over_capacity.*'sneeze'"),
        (lambda: PatientParams(aim_sd_mmhg=math.inf), r"patient\.aim_sd_mmhg"),
        (lambda: CompensationRule("jerk"), r"compensation\.kind.*'jerk'"),
        (lambda: CompensationRule("overshoot", probability=2.0), r"compensation\.probability"),
        (lambda: CompensationRule("overshoot", trials=(-1,)), r"compensation\.trials"),
        (
            lambda: CompensationRule("overshoot", min_target_mmhg=30, max_target_mmhg=20),
            r"min_target_mmhg",
        ),
        (lambda: SignatureParams(fast_nod_rise_s=0.0), r"signatures\.fast_nod_rise_s"),
        (lambda: SignatureParams(drop_mmhg=-1.0), r"signatures\.drop_mmhg"),
        (lambda: ScriptedPatient(PatientParams(), seed=-1), r"seed"),
    ],
)
def test_bad_patient_settings_raise_config_errors_naming_the_field(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_unlimited_capacity_is_allowed():
    assert PatientParams(max_level_mmhg=math.inf).max_level_mmhg == math.inf


def test_breath_hold_stops_only_the_breathing_ripple_for_the_set_time():
    """Everything else stays clean: the same seed without the rule differs only by the
    breathing ripple, which is gone for ``breath_hold_s`` from ``breath_hold_at_s`` after
    reaching the target; pulse, nod and cuff are untouched."""
    rule = CompensationRule("breath_hold", min_target_mmhg=24.0)
    held, plain = _session([rule], seed=4), _session([], seed=4)
    t = np.arange(0.0, held.schedule[-1].end_s + 10.0, 0.01)
    diff = held.pressure_mmhg(t) - plain.pressure_mmhg(t)
    gate = held.patient.breathing_gate(t)
    breathing = plain.cuff.body_mmhg(t) - plain.cuff.body_mmhg(t, np.zeros(len(t)))
    np.testing.assert_allclose(diff, (gate - 1.0) * breathing, atol=1e-9)
    sig = held.patient.params.signatures
    for plan in held.trials:
        near = (t > plan.cue_s - 1.0) & (t < plan.cue_s + 16.0)
        quiet_s = float(np.sum(gate[near] < 0.5)) * 0.01
        if plan.target_mmhg < 24.0:
            assert "breath_hold" not in plan.compensations and quiet_s == 0.0
            continue
        assert "breath_hold" in plan.compensations
        assert quiet_s == pytest.approx(sig.breath_hold_s, abs=0.02)
        first_quiet = float(t[near][np.argmax(gate[near] < 0.5)])
        assert first_quiet == pytest.approx(plan.reach_s + sig.breath_hold_at_s + 0.25, abs=0.02)
    assert np.abs(breathing).max() > 0.1  # there was a ripple to lose
