"""Head motion in the analysis (issue 17): flexion at the hold and its steadiness, the
angle-per-mmHg relation, retraction / chin-poke / head-lift signatures as hypotheses, and the
pressure-only results untouched by the sensor."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.offline import analyze_recording
from cctf.cli import main
from cctf.sessionfile import read_session
from cctf.sim.factory import cue_lookup
from cctf.sim.patient import CompensationRule, PatientParams, ScriptedSession
from cctf.sim.physiology import CuffParams
from cctf.sim.scenarios import SCENARIO_DIR, load_scenario
from cctf.sim.schedule import ccft_schedule

HEAD_TRIAL_KEYS = {"head_rest_deg", "head_flexion_deg", "head_flexion_sd_deg",
                   "head_flexion_gain_deg", "head_lift_motion"}
HEAD_SESSION_KEYS = {"head_measured", "head_angle_per_mmhg"}


def _record(folder, scenario: str, name: str | None = None):
    path = folder / f"{name or scenario}.csv"
    seconds = load_scenario(scenario).duration_s
    assert main(["record", "--sim", scenario, "--fast", "--seconds", str(seconds),
                 "-o", str(path)]) == 0
    return read_session(path)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("head")
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            if name == "head-lift-no-sensor":  # the same scenario without the head sensor
                text = (SCENARIO_DIR / "head-lift.toml").read_text()
                toml = folder / "head-lift-no-sensor.toml"
                toml.write_text(text.replace("fitted = true", "fitted = false"))
                cache[name] = _record(folder, str(toml), name)
            else:
                cache[name] = _record(folder, name)
        return cache[name]

    return get


def _pressure_only(d: dict) -> dict:
    """A result's JSON without anything the head sensor adds."""
    d = {k: v for k, v in d.items() if k not in HEAD_SESSION_KEYS}
    d["trials"] = [
        {k: v for k, v in t.items() if k not in HEAD_TRIAL_KEYS}
        | {"hypothesis_flags": [f for f in t["hypothesis_flags"]
                                if f["type"] not in ("retraction", "chin_poke")]}
        for t in d["trials"]
    ]
    return d


def _flags(trial) -> set[str]:
    return {f.type for f in trial.flags}


# --- the named scenarios, end to end (record → CSV → analyse) ------------------------------------


def test_retraction_is_flagged_while_the_pressure_passes(recorded):
    result = analyze_recording(recorded("retraction"))
    first, *later = result.trials
    assert first.passed and not _flags(first) and first.head_flexion_gain_deg > 2.0
    for t in later:
        assert t.passed, "a retraction reaches the pressure: the pressure-only verdict stands"
        assert "retraction" in _flags(t)
        assert t.head_flexion_gain_deg < 0.5 * (t.hold_mean_mmhg - t.rest_mmhg)
    assert result.activation_score_mmhg == 10
    slope = result.head_slope
    assert slope is not None and slope.n_stages == 5 and slope.slope_deg_per_mmhg < 0.3


def test_chin_poke_is_flagged_on_every_stage_from_24(recorded):
    result = analyze_recording(recorded("chin-poke"))
    assert [("chin_poke" in _flags(t)) for t in result.trials] == [False, True, True, True, True]
    for t in result.trials[1:]:
        value = next(f.value for f in t.flags if f.type == "chin_poke")
        assert value == pytest.approx(8.0, abs=1.0)
        assert t.head_flexion_sd_deg > 1.0  # the poke makes the hold's angle unsteady
    assert result.trials[0].head_flexion_sd_deg < 0.5


def test_head_lift_is_confirmed_by_motion_and_a_proper_nod_rises_with_pressure(recorded):
    result = analyze_recording(recorded("head-lift"))
    assert [t.head_lift_motion for t in result.trials] == [False, True, True, True, True]
    assert all("head_lift" in {f.type for f in t.faults} for t in result.trials[1:])
    slope = result.head_slope
    assert slope.slope_deg_per_mmhg == pytest.approx(1.5, abs=0.4) and slope.r2 > 0.9


def test_the_sensor_changes_none_of_the_pressure_results(recorded):
    with_head = recorded("head-lift")
    without = recorded("head-lift-no-sensor")
    assert not without.has_head and with_head.has_head
    np.testing.assert_array_equal(with_head.pressure_mmhg, without.pressure_mmhg)
    a = analyze_recording(with_head).to_dict()
    b = analyze_recording(without).to_dict()
    assert _pressure_only(a) == _pressure_only(b)
    # without a sensor every head figure is null, never 0
    assert b["head_measured"] is False and b["head_angle_per_mmhg"] is None
    assert all(t[k] is None for t in b["trials"] for k in HEAD_TRIAL_KEYS)
    # and the same recording with its head columns taken away gives the same JSON as that
    stripped = replace(with_head, head_pitch_deg=None, head_roll_deg=None)
    assert analyze_recording(stripped).to_dict() == {**b, "head_measured": False}
    assert a["trials"][2]["head_flexion_deg"] is not None


def test_cctf_analyze_json_carries_the_angles(recorded, tmp_path, capsys):
    rec = recorded("retraction")
    path = tmp_path / "r.csv"
    from cctf.sessionfile import SessionWriter

    w = SessionWriter(path, rec.metadata, ("head_pitch_deg", "head_roll_deg"))
    w.write(rec.t_s, rec.pressure_mmhg, rec.target_mmhg, list(rec.phase),
            {"head_pitch_deg": [("" if math.isnan(v) else f"{v:.2f}") for v in rec.head_pitch_deg],
             "head_roll_deg": [("" if math.isnan(v) else f"{v:.2f}") for v in rec.head_roll_deg]})
    w.close()
    capsys.readouterr()
    assert main(["analyze", "--json", str(path)]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["head_measured"] is True
    assert out["trials"][0]["head_flexion_deg"] == pytest.approx(2.6, abs=0.6)
    flags = [f["type"] for f in out["trials"][1]["hypothesis_flags"]]
    assert "retraction" in flags
    assert all(f["hypothesis"] for f in out["trials"][1]["hypothesis_flags"])
    assert main(["analyze", str(path)]) == 0
    text = capsys.readouterr().out
    assert "possible retraction" in text and "hypothesis" in text and "°/mmHg" in text


# --- synthetic sessions: not measured, and chunking ----------------------------------------------

_SCHEDULE = ccft_schedule(n_stages=3, endurance_reps=0, setup_s=8.0, rest_s=6.0)


def _arrays(rate_hz: float, kinds=(), seed=0):
    rules = tuple(CompensationRule(k, min_target_mmhg=24.0) for k in kinds)
    session = ScriptedSession(PatientParams(compensations=rules, max_level_mmhg=30.0),
                              CuffParams(), _SCHEDULE, seed=seed, autocue=True,
                              neutral_pitch_deg=4.0)
    t = np.arange(0.0, _SCHEDULE[-1].end_s + 3.0, 1.0 / rate_hz)
    rng = np.random.default_rng(seed)
    p = session.pressure_mmhg(t) + 0.03 * rng.standard_normal(len(t))
    pitch = session.head_angles(t)[0] - 4.0 + 0.05 * rng.standard_normal(len(t))
    target, phase = cue_lookup(_SCHEDULE)(t)
    return t, p, target, np.array(phase, dtype=object), pitch


def _run(arrays, sizes=None, config=None):
    t, p, target, phase, pitch = arrays
    an = CcftAnalyzer(1.0 / float(np.median(np.diff(t))), config)
    events = []
    i = k = 0
    while i < len(t):
        step = len(t) if sizes is None else max(1, sizes[k % len(sizes)])
        events += an.update(t[i:i + step], p[i:i + step], target[i:i + step],
                            phase[i:i + step], pitch[i:i + step])
        i += step
        k += 1
    events += an.finish()
    return [(e.kind, e.t_s, e.trial, e.type, e.value) for e in events], an.result()


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(rate=st.sampled_from([10, 25, 50]),
       kinds=st.sampled_from([(), ("retraction",), ("chin_poke",), ("head_lift",)]),
       holes=st.booleans(), data=st.data())
def test_head_results_are_the_same_sample_by_sample_in_chunks_and_at_once(rate, kinds, holes,
                                                                          data):
    arrays = _arrays(rate, kinds)
    if holes:  # stretches without an angle (lost HEAD frames, a loose sensor)
        pitch = arrays[4].copy()
        pitch[int(0.3 * len(pitch)):int(0.33 * len(pitch))] = np.nan
        pitch[::7] = np.nan
        arrays = (*arrays[:4], pitch)
    whole_events, whole = _run(arrays)
    sizes = data.draw(st.lists(st.integers(1, len(arrays[0]) // 3), min_size=1, max_size=6))
    for chunks in ([1], sizes):
        events, result = _run(arrays, chunks)
        assert events == whole_events
        assert result.to_dict() == whole.to_dict()
    if kinds == ("retraction",):
        assert [("retraction" in _flags(t)) for t in whole.trials] == [False, True, True]


def test_not_measured_is_null_never_zero():
    t, p, target, phase, pitch = _arrays(25)
    lost = pitch.copy()
    second = _SCHEDULE[1]
    lost[(t > second.start_s) & (t < second.end_s)] = np.nan  # no angle in trial 2 at all
    lost[(t > _SCHEDULE[0].start_s - 3.0) & (t < _SCHEDULE[0].start_s)] = np.nan  # nor its rest
    _, result = _run((t, p, target, phase, lost))
    d = result.to_dict()
    second_d, first_d = d["trials"][1], d["trials"][0]
    assert second_d["head_flexion_deg"] is None and second_d["head_lift_motion"] is None
    assert first_d["head_rest_deg"] is None and first_d["head_flexion_gain_deg"] is None
    assert d["trials"][0]["head_flexion_deg"] is not None  # the hold itself was measured
    assert d["trials"][2]["head_flexion_gain_deg"] is not None
    assert d["head_angle_per_mmhg"] is None  # one stage with a gain: no relation
    assert not any("retraction" in _flags(tr) for tr in result.trials)
    # the thresholds are configuration
    strict = AnalysisConfig(head_retraction_deg_per_mmhg=5.0)
    _, flagged = _run((t, p, target, phase, pitch), config=strict)
    assert all("retraction" in _flags(tr) for tr in flagged.trials)
