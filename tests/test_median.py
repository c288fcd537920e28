"""The shared median (cctf/analysis/median.py) is ``np.median`` bit for bit, NaN included,
without importing ``numpy.ma`` (issue 14: ``np.median``'s first call imports it)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cctf.analysis import median as median_module
from cctf.analysis.median import column_medians, median


def _bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 100, 101, 240])
def test_median_and_column_medians_equal_numpys_bit_for_bit(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        x = rng.normal(20, 3, (n, 7)).round(int(rng.integers(0, 4)))
        x[rng.random((n, 7)) < 0.2] = 0.25  # ties
        assert np.array_equal(_bits(column_medians(x)), _bits(np.median(x, axis=0)))
        assert _bits(median(x[:, 0])) == _bits(np.median(x[:, 0]))
        powers = rng.exponential(0.01, (n, 7))  # as the breath detector's rest powers
        assert np.array_equal(_bits(column_medians(powers)), _bits(np.median(powers, axis=0)))


@pytest.mark.parametrize("n", [4096, 4097, 10_000, 10_001, 360_000])
def test_long_arrays_give_the_partitions_median_bit_for_bit(n, monkeypatch):
    """From 4096 values a likely median is checked by counting (the intervals of a recording,
    a few distinct values); every case must still be the partition's bits (np.median's, where
    no zeros of both signs meet in the middle), ties at the middle or not, huge values, few or
    many distinct values."""
    rng = np.random.default_rng(n)
    t = np.cumsum(np.round(rng.normal(0.01, 0.0004, n), 4))  # a recording's times, rounded
    cases = [np.diff(np.round(t, 4)), rng.normal(size=n), np.round(rng.normal(size=n), 1) + 0.0,
             np.repeat([1.0, 2.0], [n // 2, n - n // 2]),  # the middle between two values
             np.repeat([1.0, 2.0], [n // 2 + 1, n - n // 2 - 1]),
             np.full(n, 1e308), np.where(rng.random(n) < 0.5, 3.0, rng.normal(size=n))]
    signed_zeros = np.where(rng.random(n) < 0.6, -0.0, 0.0)
    for x in [*cases, signed_zeros]:
        for y in (x, x[::-1]):
            with np.errstate(over="ignore"), monkeypatch.context() as m:  # 1e308 + 1e308
                got = median(y)
                if y is not signed_zeros and y.base is not signed_zeros:
                    assert _bits(got) == _bits(np.median(y)), y[:5]
                m.setattr(median_module, "_CHECK_MIN", len(y) + 1)  # partition only
                assert _bits(got) == _bits(median(y)), y[:5]


def test_a_nan_gives_nan_in_its_column_only_as_numpy_does():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(9, 4))
    x[4, 1] = np.nan
    want = np.median(x, axis=0)
    got = column_medians(x)
    assert np.isnan(got[1]) and np.isnan(want[1])
    keep = [0, 2, 3]
    assert np.array_equal(_bits(got[keep]), _bits(want[keep]))
    assert np.isnan(median(x[:, 1])) and np.isnan(median(np.zeros(0)))


def test_the_analysis_of_a_session_imports_no_numpy_ma():
    code = ("import sys, numpy as np\n"
            "from cctf.analysis.offline import analyze_arrays\n"
            "from cctf.sim.population import make_person, sample_session\n"
            "cols = sample_session(make_person(4, breath_hold_prob=0.5, endurance_reps=1,"
            " n_stages=3), 50.0)\n"
            "r = analyze_arrays(*cols)\n"
            "assert any(t.breath_ripple_ratio == t.breath_ripple_ratio for t in r.trials)\n"
            "print('numpy.ma' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
