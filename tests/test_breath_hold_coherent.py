"""The breath carried from the rest into the hold (issue 17, fourth pass; docs/analysis.md):
the last rest's breathing (rate, phase) is fitted at the cue and carried forward, and a hold
window counts as quiet between ``breath_coherent_floor`` and ``breath_coherent_ceiling`` × the
rest power only while the band-passed pressure no longer follows it. It must find held breaths
the band power alone misses, spare clean holds it flags, give the same facts for any chunking
and the same flags at 10–200 Hz, and the benchmark's replay must be the detector."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from cctf.analysis.breath import fit_breath, in_phase
from cctf.analysis.config import AnalysisConfig
from cctf.analysis.offline import analyze_arrays
from cctf.errors import ConfigError
from cctf.sim.population import make_person, sample_session

from .test_breath_hold import _detector_facts

RATES = (10, 25, 50, 100, 200)
PLAIN = AnalysisConfig(breath_coherent_floor=0.3, breath_coherent_ceiling=0.3)  # power only
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_breath_hold_coherent.py"


def flagged(result) -> list[int]:
    return [t.index for t in result.trials if any(f.type == "breath_hold" for f in t.flags)]


def test_the_fit_recovers_the_rate_and_phase_of_a_breath_on_a_drifting_level():
    t = np.arange(0.0, 7.0, 0.04)
    p = (20.0 + 0.05 * t + 0.2 * np.cos(2 * np.pi * 0.27 * (t - 10.0) + 1.1)
         + np.random.default_rng(1).normal(0, 0.03, len(t)))
    pred = fit_breath(t, p, 10.0, 0.2, 0.45)
    assert pred is not None
    assert pred.rate_hz == pytest.approx(0.27, rel=0.02)
    assert pred.amplitude_mmhg == pytest.approx(0.2, rel=0.1)
    assert abs(math.remainder(pred.phase_rad - 1.1, 2 * math.pi)) < 0.15
    assert fit_breath(np.full(5, 1.0), np.zeros(5), 0.0, 0.2, 0.45) is None  # degenerate


@pytest.mark.parametrize("rate_hz", [50.0, 100.0, 200.0])
def test_the_fit_of_block_means_agrees_with_the_fit_of_every_sample(rate_hz):
    """Above 25 Hz the fit reads 0.05-s block means (a tenth of the numbers at 200 Hz): the
    same breath as from the samples at 25 Hz, where every sample is read."""
    def breath(rate):
        t = np.arange(0.0, 20.0, 1.0 / rate)
        return t, (20.0 + 0.03 * t + 0.15 * np.cos(2 * np.pi * 0.31 * (t - 21.0) - 0.7)
                   + np.random.default_rng(int(rate)).normal(0, 0.01, len(t)))
    fine = fit_breath(*breath(rate_hz), 21.0, 0.2, 0.45)
    every = fit_breath(*breath(25.0), 21.0, 0.2, 0.45)
    assert fine is not None and every is not None
    assert fine.rate_hz == pytest.approx(every.rate_hz, abs=0.004)
    assert abs(math.remainder(fine.phase_rad - every.phase_rad, 2 * math.pi)) < 0.05
    assert fine.amplitude_mmhg == pytest.approx(0.15, rel=0.02)
    assert abs(math.remainder(fine.phase_rad + 0.7, 2 * math.pi)) < 0.05


def test_in_phase_forgives_a_slip_up_to_the_limit_and_counts_against_beyond():
    a = np.array([1.0, math.cos(0.8), math.cos(2.0), -1.0])
    b = np.array([0.0, math.sin(0.8), math.sin(2.0), 0.0])
    got = in_phase(a, b, 1.0)
    assert got[:2] == pytest.approx([1.0, 1.0])
    assert got[2] == pytest.approx(math.cos(1.0))
    assert got[3] == pytest.approx(math.cos(math.pi - 1.0))  # opposite phase: negative


@pytest.mark.parametrize("rate", RATES)
def test_it_finds_what_the_power_misses_and_spares_what_it_flags_at_every_rate(rate):
    # 3005 holds the breath on trials 0, 1, 2, 8: the power alone misses trial 1. 3048 holds it
    # on 3 and 7: the power alone also flags the clean trial 1 (and 0 at most rates).
    missed = make_person(3005)
    truth = [i for i, held in enumerate(missed.breath_held()) if held]
    columns = sample_session(missed, rate)
    assert flagged(analyze_arrays(*columns, rate_hz=rate)) == truth == [0, 1, 2, 8]
    assert 1 not in flagged(analyze_arrays(*columns, rate_hz=rate, config=PLAIN))
    spared = make_person(3048)
    columns = sample_session(spared, rate)
    assert flagged(analyze_arrays(*columns, rate_hz=rate)) == [3, 7]
    assert [i for i, held in enumerate(spared.breath_held()) if held] == [3, 7]
    assert 1 in flagged(analyze_arrays(*columns, rate_hz=rate, config=PLAIN))


@pytest.mark.parametrize(("rate", "lost"), [(10, 0.0), (20, 0.1), (200, 0.0)])
def test_the_carried_breath_gives_the_same_facts_sample_by_sample_in_chunks_and_at_once(
    rate, lost
):
    person = make_person(3048, endurance_reps=0, n_stages=3)  # the spared clean trial is #1
    columns = sample_session(person, rate)
    kept = np.random.default_rng(3).random(len(columns[0])) >= lost  # samples lost
    columns = tuple(c[kept] for c in columns)
    whole = _detector_facts(columns, rate, [len(columns[0])], AnalysisConfig())
    assert whole != _detector_facts(columns, rate, [len(columns[0])], PLAIN)  # the new part decides
    sizes = [1] if rate <= 20 else [1, 7, 333, 2, 4001]
    assert _detector_facts(columns, rate, sizes, AnalysisConfig()) == whole
    assert _detector_facts(columns, rate, [13, 250, 3], AnalysisConfig()) == whole


def test_the_benchmark_replay_flags_exactly_what_the_engine_flags():
    spec = importlib.util.spec_from_file_location("bench_breath_hold_coherent", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cfg = AnalysisConfig()
    score = bench.coherent_scorer(cfg.breath_coherent_ceiling, cfg.breath_coherent_min,
                                  cfg.breath_coherent_window_s, cfg.breath_coherent_slip_rad,
                                  25.0, cfg)
    verdicts = []
    for seed in (3005, 3048, 2009):  # 2009: a flag decided by the cue's last sample
        for row in bench.trial_rows(seed, 25.0, cfg):
            assert row["pred"] is not None  # every measured cue follows a rest here
            replay = bench.scores([row], score, 25.0, cfg)[0] < cfg.breath_coherent_floor
            assert replay == row["engine"], (seed, row["index"])
            verdicts.append(replay)
    assert any(verdicts) and not all(verdicts)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"breath_coherent_floor": 0.6}, "breath_coherent_floor"),
    ({"breath_coherent_ceiling": 1.0}, "breath_coherent_floor"),
    ({"breath_coherent_slip_rad": 4.0}, "breath_coherent_slip_rad"),
    ({"breath_coherent_window_s": 0.0}, "breath_coherent_window_s"),
])
def test_bad_carried_breath_settings_are_refused_by_name(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        AnalysisConfig(**kwargs)


def test_the_rest_fit_waits_for_a_window_that_needs_it_and_decides_alike(monkeypatch):
    """The carried breath is fitted only when a window's power first falls between floor and
    ceiling (about half the holds never do): fewer fits, and the same flags as fitting at
    every cue (forced here by a floor above the plain fraction, which turns the waiting off)."""
    import cctf.analysis.breath as breath_module

    calls = []
    real_fit = breath_module.fit_breath
    monkeypatch.setattr(breath_module, "fit_breath",
                        lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    person = make_person(3004)
    t, p, target, phase = sample_session(person, 25.0)

    def flags(cfg):
        calls.clear()
        result = analyze_arrays(t, p, target, phase, rate_hz=25.0, config=cfg)
        return ([(x.type, x.t_s, x.value) for tr in result.trials for x in tr.flags],
                len(calls), sum(tr.breath_ripple_ratio is not None for tr in result.trials))

    lazy, lazy_fits, measured = flags(AnalysisConfig())
    # Fitting at every cue: the eager path, taken when the plain fraction lies outside
    # [floor, ceiling]; with the same floor, ceiling and in-phase test it decides the same.
    eager_cfg = AnalysisConfig(breath_fraction=0.6)
    eager, eager_fits, _ = flags(eager_cfg)
    assert lazy == eager
    assert eager_fits >= measured - 1 > lazy_fits > 0
