"""benchmarks/bench_breath_hold_ceiling.py replays each hold through the real detector's band and
rest reference to find how far any threshold could go (docs/analysis.md, breath holding, third
pass). Its figures only mean something if the replay *is* the detector: with the default window
and span, a trial's score is below ``breath_fraction`` exactly when the engine flags it with the
plain power rule (the breath carried from the rest switched off: floor = ceiling = fraction)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.offline import analyze_arrays
from cctf.sim.population import make_person, sample_session

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_breath_hold_ceiling.py"


def _ceiling():
    spec = importlib.util.spec_from_file_location("bench_breath_hold_ceiling", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [3005, 3019, 5030])  # people with misses or false flags
def test_the_ceiling_replay_flags_exactly_what_the_engine_flags(seed):
    cfg = AnalysisConfig(breath_coherent_floor=0.3, breath_coherent_ceiling=0.3)
    rows = _ceiling().trial_rows(seed, 25.0, [(cfg.breath_window_s, cfg.breath_min_s)], cfg)
    result = analyze_arrays(*sample_session(make_person(seed), 25.0), rate_hz=25.0, config=cfg)
    measured = [t.index for t in result.trials if not math.isnan(t.breath_ripple_ratio)]
    assert [r[0] for r in rows] == measured
    engine = {t.index: any(f.type == "breath_hold" for f in t.flags) for t in result.trials}
    replay = {index: scores[0] < cfg.breath_fraction for index, _, scores, _ in rows}
    assert replay == {i: engine[i] for i in measured}
    assert any(replay.values()) and not all(replay.values())
    held = [kept for _, was_held, _, kept in rows if was_held]
    assert held and all(0.0 <= k < 5.0 for k in held if not math.isnan(k))
