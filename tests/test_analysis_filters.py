"""The NumPy Butterworth design and filter (cctf.analysis.filters) against scipy.signal, which
the analysis no longer imports because importing it cost about a second of start-up."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.filters import CausalLowPass, _Powers, butter_lowpass_sos, pole_powers

# The rates the protocol allows (10–250 Hz) and beyond, the default cut-off, and the cap at
# 0.4 × rate (10 Hz → 4 Hz) and exactly a quarter of the rate (where a pole sits at zero).
RATES_HZ = (10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 1000.0)
CUTOFFS_HZ = (AnalysisConfig().lowpass_hz, 0.5, 1.0, 5.0, 8.0)
ORDERS = (1, 2, 3, 4)  # what AnalysisConfig accepts


def cases():
    for order in ORDERS:
        for rate in RATES_HZ:
            for cutoff in CUTOFFS_HZ:
                yield order, rate, min(cutoff, 0.4 * rate)


@pytest.mark.parametrize(("order", "rate_hz", "cutoff_hz"), list(cases()))
def test_coefficients_equal_scipy_butter(order, rate_hz, cutoff_hz):
    ours = butter_lowpass_sos(order, cutoff_hz, rate_hz)
    theirs = signal.butter(order, cutoff_hz, fs=rate_hz, output="sos")
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(("order", "rate_hz", "cutoff_hz"), list(cases()))
def test_output_equals_scipy_sosfilt_seeded_from_first_sample(order, rate_hz, cutoff_hz):
    rng = np.random.default_rng(order * 1000 + int(rate_hz))
    x = 20.0 + np.cumsum(rng.normal(0.0, 0.3, 5000)) + rng.normal(0.0, 1.0, 5000)
    sos = signal.butter(order, cutoff_hz, fs=rate_hz, output="sos")
    expected, _ = signal.sosfilt(sos, x, zi=signal.sosfilt_zi(sos) * x[0])
    got = CausalLowPass(rate_hz, cutoff_hz, order).process(x)
    np.testing.assert_allclose(got, expected, rtol=0.0, atol=1e-9 * np.max(np.abs(x)))


def test_constant_input_has_no_start_up_step():
    y = CausalLowPass(50.0, 3.0, 2).process(np.full(500, 20.0))
    np.testing.assert_allclose(y, 20.0, atol=1e-10)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("rate_hz", (10.0, 50.0, 250.0))
def test_any_chunking_gives_the_same_bits(order, rate_hz):
    rng = np.random.default_rng(7)
    x = 20.0 + np.cumsum(rng.normal(0.0, 0.3, 4000))
    whole = CausalLowPass(rate_hz, 3.0, order).process(x)
    for sizes in ((1,), (7, 1, 300), (4000,), tuple(rng.integers(1, 900, 20))):
        f = CausalLowPass(rate_hz, 3.0, order)
        parts, i, k = [], 0, 0
        while i < len(x):
            n = int(sizes[k % len(sizes)])
            parts.append(f.process(x[i : i + n]))
            i, k = i + n, k + 1
        assert np.array_equal(np.concatenate(parts), whole)


def test_empty_chunk_changes_nothing():
    x = np.linspace(20.0, 25.0, 100)
    a = CausalLowPass(50.0, 3.0)
    b = CausalLowPass(50.0, 3.0)
    assert len(b.process(np.zeros(0))) == 0
    assert np.array_equal(np.concatenate([b.process(x[:10]), b.process(x[:0]), b.process(x[10:])]),
                          a.process(x))


def test_the_analysis_does_not_import_scipy_signal():
    import subprocess
    import sys

    code = ("import sys, cctf.analysis.offline, cctf.commands.analyze; "
            "print('scipy.signal' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("steps", [(1, 2, 3, 700, 4096), (5000,), (511, 512, 513, 1025, 2000)])
def test_power_tables_grown_in_steps_equal_the_whole_tables(steps):
    """The pole power tables are computed only as far as they are read (issue 14); grown in
    any steps they hold the bits of the whole table computed at once."""
    pole, block = complex(0.9981, 0.0427), 4096
    j = np.arange(block)
    want_pw, want_pinv = pole**j, pole ** (-j.astype(np.float64))
    tables = _Powers(pole, block)
    for n in steps:
        pw, pinv = tables.upto(min(n, block))
        assert len(pw) >= min(n, block) and len(pw) <= block
        assert pw.view(np.int64).tolist() == want_pw[: len(pw)].view(np.int64).tolist()
        assert pinv.view(np.int64).tolist() == want_pinv[: len(pinv)].view(np.int64).tolist()
    assert len(tables.upto(block)[0]) == block


@pytest.mark.parametrize("rate_hz", [10.0, 25.0, 50.0, 100.0, 200.0, 250.0])
def test_pole_powers_have_the_bits_of_numpy_power_for_every_table_entry(rate_hz):
    """``pole_powers`` (exp of j·log, the operations of the C library's cpow) gives the bits of
    ``pole ** j`` for every pole the analysis filters with, over their whole tables."""
    from cctf.analysis.breath import BreathHoldDetector

    sections = [*BreathHoldDetector(rate_hz, AnalysisConfig())._blank,
                *CausalLowPass(rate_hz, 3.0, 2)._sections,
                *CausalLowPass(rate_hz, 3.0, 3)._sections]
    j = np.arange(4096)
    with np.errstate(over="ignore", invalid="ignore"):
        for section in sections:
            for exponents in (j, -j.astype(np.float64)):
                want = section.pole ** exponents
                assert pole_powers(section.pole, exponents).tobytes() == want.tobytes()
