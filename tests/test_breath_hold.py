"""Possible breath holding from the pressure ripple (a hypothesis flag, never a fault): found on
simulated held breaths, not on clean holds, identical for any chunking and at 10–200 Hz, not
measured without a rest reference, and confirmed or dismissed by the therapist like a hand mark."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctf.analysis.breath import BreathHoldDetector
from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.filters import CausalLowPass
from cctf.analysis.offline import analyze_arrays
from cctf.cli import main as cctf_main
from cctf.errors import ConfigError, RecordsError
from cctf.records.recovery import begin_session, complete_session, reanalyse
from cctf.records.startup import open_records
from cctf.sessionfile import SessionWriter
from cctf.sim.population import Person, make_person, sample_session
from cctf.sim.scenarios import load_scenario

from .analysis_traces import event_key

RATES = (10, 25, 50, 100, 200)


def flagged(result) -> list[int]:
    return [t.index for t in result.trials if any(f.type == "breath_hold" for f in t.flags)]


def breath_holder(rate_hz: float) -> tuple[Person, tuple]:
    scenario = load_scenario("breath-holder")
    person = Person(scenario.seed, scenario.make_source(autocue=True), noise_mmhg=0.03)
    return person, sample_session(person, rate_hz)


@pytest.fixture(scope="module")
def holder_50():
    person, columns = breath_holder(50)
    return person, columns, analyze_arrays(*columns, rate_hz=50)


# --- what it finds -----------------------------------------------------------------------


def test_the_breath_holder_scenario_is_flagged_on_its_held_breaths_only(holder_50):
    person, _, result = holder_50
    truth = [i for i, held in enumerate(person.breath_held()) if held]
    reached = [t.index for t in result.trials if t.reached]
    assert flagged(result) == [i for i in truth if i in reached]  # 30 mmHg is never reached
    for t in result.trials:
        for flag in t.flags:
            assert 5.0 <= flag.value <= 10.0  # a 7-s held breath, as the span of quiet windows
            assert t.cue_start_s < flag.t_s < t.cue_end_s
        assert t.faults == [] or t.target_mmhg == 30.0  # the flags are not faults...
    assert result.activation_score_mmhg == 8 and result.performance_index == 80  # ...nor fail
    clean = [t for t in result.trials if t.reached and t.index not in truth]
    assert max(result.trials[i].breath_ripple_ratio for i in flagged(result)) < 0.3
    assert np.median([t.breath_ripple_ratio for t in clean]) > 0.3  # brief dips happen


def test_the_flag_is_a_live_event_when_the_quiet_has_lasted_long_enough(holder_50):
    _, (t, p, target, phase), result = holder_50
    engine = CcftAnalyzer(50)
    events = engine.update(t, p, target, phase) + engine.finish()
    flags = [e for e in events if e.kind == "flag"]
    assert [e.trial for e in flags] == flagged(result)
    assert all(e.type == "breath_hold" and e.value >= 4.5 - 1e-6 for e in flags)
    for e in flags:  # decided inside its trial, between trial_start and trial_end
        kinds = [x.kind for x in events if x.trial == e.trial]
        assert kinds.index("trial_start") < kinds.index("flag") < kinds.index("trial_end")


def test_a_small_population_meets_the_acceptance_where_the_ripple_stands_out():
    """benchmarks/bench_breath_hold.py runs 60 people at five rates (docs/analysis.md); here
    the first 30 people of another cohort whose breathing ripple is ≥ 3 × their hold wander
    (SD), at 25 Hz: held breaths of 5–9 s found in ≥ 95 %. Clean holds: the aim is ≤ 2 %;
    with ~160 of them a true 2 % gives up to 6 flags (4 %) in 1 of 20 cohorts, so the test
    allows 4 % (this cohort: 3.1 %; the benchmark's 60 people: 1.2–1.7 %)."""
    found = held = flagged_clean = clean = 0
    people = (make_person(2000 + k) for k in range(200))  # the first cohort tried
    steady = [p for p in people if p.source.cuff.params.breathing_mmhg
              >= 3.0 * p.source.patient.params.hold_sd_mmhg]
    for person in steady[:30]:
        result = analyze_arrays(*sample_session(person, 25.0), rate_hz=25.0)
        hits = set(flagged(result))
        for i, truth in enumerate(person.breath_held()):
            assert not math.isnan(result.trials[i].breath_ripple_ratio)
            held, found = held + truth, found + (truth and i in hits)
            clean, flagged_clean = clean + (not truth), flagged_clean + (not truth and i in hits)
    assert held > 120 and clean > 120
    assert found / held >= 0.95
    assert flagged_clean / clean <= 0.04


# --- not measured ------------------------------------------------------------------------


def test_without_rest_before_the_cue_or_without_a_ripple_it_is_not_measured():
    person, (t, p, target, phase) = breath_holder(25)
    first = int(np.searchsorted(t, person.schedule[0].start_s))  # recording starts at the cue
    late = analyze_arrays(t[first:], p[first:], target[first:], phase[first:], rate_hz=25)
    assert math.isnan(late.trials[0].breath_ripple_ratio) and not late.trials[0].flags
    assert not math.isnan(late.trials[1].breath_ripple_ratio)  # the rest after it counts
    assert late.to_dict()["trials"][0]["breath_ripple_ratio"] is None

    still = np.where(np.isnan(target), 20.0, target)  # no breathing at all: nothing to lose
    still = still + np.random.default_rng(0).normal(0, 0.02, len(t))
    flat = analyze_arrays(t, still, target, phase, rate_hz=25)
    assert all(math.isnan(tr.breath_ripple_ratio) and not tr.flags for tr in flat.trials)
    assert "breath_hold" not in str(flat.to_dict())  # not measured: no flag either way


# --- streaming: chunking and rate --------------------------------------------------------


def _detector_facts(columns, rate, sizes, cfg=None):
    t, p, target, phase = columns
    pf = CausalLowPass(rate, 3.0).process(p)
    det = BreathHoldDetector(rate, cfg if cfg is not None else AnalysisConfig())
    facts, i, k = [], 0, 0
    while i < len(t):
        n = sizes[k % len(sizes)]
        facts += det.update(t[i:i + n], pf[i:i + n], target[i:i + n], phase[i:i + n])
        i, k = i + n, k + 1
    return facts + det.finish()


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), rate=st.sampled_from([10, 20]),
       sizes=st.lists(st.integers(1, 400), min_size=1, max_size=6))
def test_the_detector_gives_the_same_facts_sample_by_sample_in_chunks_and_at_once(
    seed, rate, sizes
):
    person = make_person(seed, breath_hold_prob=0.6, endurance_reps=0, n_stages=3)
    columns = sample_session(person, rate)
    kept = np.random.default_rng(seed).random(len(columns[0])) > 0.1  # 10 % of samples lost
    columns = tuple(c[kept] for c in columns)
    whole = _detector_facts(columns, rate, [len(columns[0])])
    assert any(f.kind == "measured" for f in whole)
    assert _detector_facts(columns, rate, [1]) == whole
    assert _detector_facts(columns, rate, sizes) == whole


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), rate=st.sampled_from([50, 100, 200]),
       sizes=st.lists(st.integers(7, 3000), min_size=1, max_size=6))
def test_the_engine_with_flags_is_chunk_invariant_at_high_rates(seed, rate, sizes):
    person = make_person(seed, breath_hold_prob=0.6, endurance_reps=1, n_stages=3)
    t, p, target, phase = sample_session(person, rate)
    runs = []
    for chunks in ([len(t)], sizes):
        engine = CcftAnalyzer(rate)
        events, i, k = [], 0, 0
        while i < len(t):
            n = chunks[k % len(chunks)]
            events += engine.update(t[i:i + n], p[i:i + n], target[i:i + n], phase[i:i + n])
            i, k = i + n, k + 1
        events += engine.finish()
        runs.append(([event_key(e) for e in events], engine.result().to_dict()))
    assert runs[0] == runs[1]


def test_the_same_people_get_the_same_flags_at_10_to_200_hz():
    for seed in (1000, 1005, 1013):
        person = make_person(seed, hold_sd_mmhg=(0.05, 0.06))
        truth = {i for i, held in enumerate(person.breath_held()) if held}
        by_rate = {rate: flagged(analyze_arrays(*sample_session(person, rate), rate_hz=rate))
                   for rate in RATES}
        assert by_rate == dict.fromkeys(RATES, by_rate[50]), seed
        assert set(by_rate[50]) <= truth and len(by_rate[50]) >= len(truth) - 1, seed


# --- the therapist's review --------------------------------------------------------------


def test_confirming_fails_the_trial_like_a_hand_mark_and_dismissing_does_not(holder_50):
    _, (t, p, target, phase), _ = holder_50
    engine = CcftAnalyzer(50)
    engine.update(t, p, target, phase)
    engine.finish()
    trial = engine.result().trials[1]  # 24 mmHg, held breath
    assert trial.passed and trial.to_dict()["hypothesis_flags"][0]["review"] is None
    engine.review_flag(1, "breath_hold", True)
    result = engine.result()
    assert not result.trials[1].passed and result.activation_score_mmhg == 2
    assert result.trials[1].to_dict()["hypothesis_flags"][0] == {
        "type": "breath_hold", "t_s": pytest.approx(trial.flags[0].t_s, abs=1e-3),
        "value": pytest.approx(trial.flags[0].value, abs=1e-3), "hypothesis": True,
        "review": "confirmed"}
    engine.review_flag(1, "breath_hold", False)
    assert engine.result().trials[1].passed and engine.result().activation_score_mmhg == 8
    engine.review_flag(1, "breath_hold", None)
    assert engine.result().trials[1].flag_review == {}
    with pytest.raises(ValueError, match="trial 0 has no breath_hold flag"):
        engine.review_flag(0, "breath_hold", True)


def _write_csv(path, columns, rate):
    t, p, target, phase = columns
    meta = {"started_at": "2025-03-03T10:00:00+01:00", "device_serial": "SIM00001",
            "firmware_version": "1.0.0", "sample_rate_hz": f"{rate:g}", "calibration_id": "7"}
    w = SessionWriter(path, meta)
    w.write(t, p, target, list(phase))
    w.close()
    return path


def test_records_keep_the_flag_and_the_review_through_reanalysis(tmp_path, holder_50):
    _, columns, _ = holder_50
    records = open_records(tmp_path / "data")
    try:
        records.add_patient("P-1")
        active = begin_session(records, "P-1", "clinic")
        _write_csv(active.csv_path, columns, 50)
        s = complete_session(records, active)
        stored = records.load_result(s.id)
        assert flagged(stored) == [1, 2, 3, 7, 11] or flagged(stored)[:3] == [1, 2, 3]
        assert all(f.type != "breath_hold" for tr in stored.trials for f in tr.faults)
        assert records.session(s.id).activation_score_mmhg == 8

        records.review_flag(s.id, 2, "breath_hold", True)  # confirmed at 26: score 4
        records.review_flag(s.id, 1, "breath_hold", False)  # dismissed at 24
        assert records.session(s.id).activation_score_mmhg == 4
        again = reanalyse(records, s.id)
        assert again.trials[2].flag_review == {"breath_hold": True} and not again.trials[2].passed
        assert again.trials[1].flag_review == {"breath_hold": False} and again.trials[1].passed
        assert again.trials[1].manual_faults == []  # a review is not a hand mark
        records.review_flag(s.id, 2, "breath_hold", None)
        assert records.session(s.id).activation_score_mmhg == 8
        with pytest.raises(RecordsError, match="trial 0 has no breath_hold flag"):
            records.review_flag(s.id, 0, "breath_hold", True)
        with pytest.raises(RecordsError, match="unknown flag"):
            records.review_flag(s.id, 1, "yawn", True)
    finally:
        records.close()


# --- words and configuration -------------------------------------------------------------


def test_cctf_analyze_shows_possible_breath_holding_as_a_hypothesis(tmp_path, capsys,
                                                                     holder_50):
    _, columns, _ = holder_50
    path = _write_csv(tmp_path / "s.csv", columns, 50)
    assert cctf_main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "possible breath holding" in line]
    assert len(rows) == len(flagged(holder_50[2]))
    assert all("hypothesis" in r and "to confirm or dismiss" in r and "PASS" in r for r in rows)
    assert cctf_main(["analyze", "--json", str(path)]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    assert trials[1]["hypothesis_flags"][0]["hypothesis"] is True
    assert trials[0]["hypothesis_flags"] == [] and trials[0]["breath_ripple_ratio"] > 0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"breath_fraction": 1.5}, "breath_fraction"),
    ({"breath_band_low_hz": 0.5, "breath_band_high_hz": 0.4}, "breath_band_low_hz"),
    ({"breath_subbands": 0}, "breath_subbands"),
    ({"breath_subband_ratio": 1.0}, "breath_subband_ratio"),
    ({"breath_filter_order": 6}, "breath_filter_order"),
    ({"breath_window_s": -1.0}, "breath_window_s"),
])
def test_bad_breath_settings_are_refused_by_name(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        AnalysisConfig(**kwargs)


def test_the_pdf_report_row_says_possible_breath_holding_and_the_review(holder_50):
    from cctf.records.report import trial_row

    trial = holder_50[2].trials[1]
    row, _ = trial_row(trial, 10.0)
    assert "possible breath holding" in row[-1] and "to confirm or dismiss" in row[-1]
    trial.flag_review["breath_hold"] = False
    assert "dismissed by the therapist" in trial_row(trial, 10.0)[0][-1]
    del trial.flag_review["breath_hold"]


def test_the_default_bands_are_designed_without_scipy_and_equal_scipys():
    """The first-order band-pass is designed and run in NumPy (no scipy.signal import at
    analysis time, issue 14); its coefficients and output equal scipy's."""
    from scipy import signal

    from cctf.analysis.breath import _band_filter, bandpass1_sos

    rng = np.random.default_rng(7)
    for rate_hz in (10.0, 25.0, 50.0, 100.0, 200.0):
        for low_hz, high_hz in ((0.0667, 0.15), (0.1, 0.225), (0.27, 0.6)):
            ref = signal.butter(1, [low_hz, high_hz], btype="bandpass", fs=rate_hz,
                                output="sos")
            mine = bandpass1_sos(rate_hz, low_hz, high_hz)
            np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-15)
            x = 20.0 + rng.normal(size=3000)
            want, _ = signal.sosfilt(ref, x, zi=signal.sosfilt_zi(ref) * x[0])
            one = _band_filter(mine, float(x[0]))
            whole = one.process(x)
            chunked = _band_filter(mine, float(x[0]))
            parts = np.concatenate([chunked.process(x[:1]), chunked.process(x[1:777]),
                                    chunked.process(x[777:])])
            np.testing.assert_allclose(whole, want, atol=1e-9)
            assert np.array_equal(whole, parts)  # any chunking: the same bits


def test_the_analysis_does_not_import_scipy_signal():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from cctf.analysis.engine import CcftAnalyzer; "
            "CcftAnalyzer(50.0); print('scipy.signal' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
