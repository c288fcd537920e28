"""The breath detector's fast paths give the bits of the plain ones (issue 14): the rest
sub-bands run side by side (``_SectionBank``) equal each band's own section, and the detector
with the bank gives the same facts as with one section per band, for any chunking."""

from __future__ import annotations

import numpy as np
import pytest

import cctf.analysis.breath as breath
from cctf.analysis.config import AnalysisConfig
from cctf.analysis.filters import CausalLowPass
from cctf.sim.population import make_person, sample_session


def _sections(rate_hz: float) -> list:
    cfg = AnalysisConfig()
    bands = [breath.respiratory_band_sos(rate_hz, lo, hi, 1)
             for lo, hi in breath.respiratory_subbands_hz(cfg)]
    return [breath._band_filter(sos, 0.0) for sos in bands if sos is not None]


def _chunks(n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    cuts = np.sort(rng.choice(np.arange(1, n), size=40, replace=False))
    return list(zip([0, *cuts.tolist()], [*cuts.tolist(), n], strict=True))


@pytest.mark.parametrize("rate_hz", [10.0, 25.0, 50.0, 100.0, 200.0])
def test_the_bank_gives_each_sections_bits_for_any_chunking(rate_hz):
    rng = np.random.default_rng(int(rate_hz))
    blanks = _sections(rate_hz)
    assert breath._SectionBank.fits(blanks)
    x = 20.0 + np.cumsum(rng.normal(0, 0.05, 20_000)) + 0.3 * np.sin(np.arange(20_000) / 40)
    assert len(x) > 4 * blanks[0].block  # crosses the blocks' ends
    want = np.stack([breath.copy.copy(s).process(x) for s in blanks])
    bank = breath._SectionBank([breath.copy.copy(s) for s in blanks])
    whole = bank.process(x)
    chunked = breath._SectionBank([breath.copy.copy(s) for s in blanks])
    parts = np.concatenate([chunked.process(x[a:b]) for a, b in _chunks(len(x), rng)], axis=1)
    assert whole.view(np.int64).tolist() == want.view(np.int64).tolist()
    assert parts.view(np.int64).tolist() == want.view(np.int64).tolist()


def _facts(columns, rate_hz: float, sizes: list[int]) -> list:
    t, p, target, phase = columns
    pf = CausalLowPass(rate_hz, 3.0).process(p)
    det = breath.BreathHoldDetector(rate_hz, AnalysisConfig())
    out, i, k = [], 0, 0
    while i < len(t):
        n = sizes[k % len(sizes)]
        out += det.update(t[i:i + n], pf[i:i + n], target[i:i + n], phase[i:i + n])
        i, k = i + n, k + 1
    return [(f.sample, f.kind, repr(f.cue_start_s), repr(f.t_s), repr(f.value))
            for f in out + det.finish()]


@pytest.mark.parametrize(("seed", "rate_hz"),
                         [(10, 10.0), (11, 25.0), (12, 50.0), (13, 100.0), (14, 200.0)])
def test_the_detector_with_the_bank_gives_the_facts_of_one_section_per_band(
        seed, rate_hz, monkeypatch):
    person = make_person(seed, breath_hold_prob=0.6, endurance_reps=2, n_stages=3)
    columns = sample_session(person, rate_hz)
    sizes = np.random.default_rng(seed).integers(1, 900, 5).tolist()
    fast = _facts(columns, rate_hz, [len(columns[0])])
    assert any(f[1] == "measured" for f in fast) and any(f[1] == "min_ratio" for f in fast)
    assert _facts(columns, rate_hz, sizes) == fast
    with monkeypatch.context() as m:
        m.setattr(breath._SectionBank, "fits", staticmethod(lambda filters: False))
        assert _facts(columns, rate_hz, [len(columns[0])]) == fast
        assert _facts(columns, rate_hz, sizes) == fast
