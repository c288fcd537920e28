"""The simulated cuff and body: inflation, backflow, leak, warming, breathing and pulse."""

from __future__ import annotations

import numpy as np
import pytest

from cctf.errors import ConfigError
from cctf.sim.physiology import MIN_JERK_10_90, Cuff, CuffParams, SineSum, min_jerk
from cctf.sim.scenarios import list_scenarios, load_scenario


def _ripple_spectrum(cuff: Cuff, fs_hz: float = 20.0, span_s: float = 256.0):
    """One-sided amplitude spectrum of the body ripple at rest, after the backflow settled."""
    t = np.arange(30.0, 30.0 + span_s, 1.0 / fs_hz)
    p = cuff.pressure_mmhg(t)
    p = p - np.polyval(np.polyfit(t, p, 2), t)  # remove the slow baseline (warming, leak)
    spectrum = np.abs(np.fft.rfft(p)) * 2.0 / len(p)
    return np.fft.rfftfreq(len(p), 1.0 / fs_hz), spectrum, p


def _band_amplitude(freqs, p, lo_hz, hi_hz, fs_hz=20.0):
    """Amplitude (√2 × RMS) of the part of ``p`` between lo and hi Hz."""
    spec = np.fft.rfft(p)
    spec[(freqs < lo_hz) | (freqs > hi_hz)] = 0.0
    return np.sqrt(2.0) * np.std(np.fft.irfft(spec, len(p)))


def test_min_jerk_is_smooth_and_its_rise_time_constant_is_right():
    x = np.linspace(0.0, 1.0, 100_001)
    s = min_jerk(x)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert np.all(np.diff(s) >= 0)
    rise = x[np.argmax(s >= 0.9)] - x[np.argmax(s >= 0.1)]
    assert rise == pytest.approx(MIN_JERK_10_90, abs=1e-4)
    assert min_jerk(np.array([-1.0, 2.0])).tolist() == [0.0, 1.0]


def test_cuff_is_flat_until_inflated_then_shows_the_backflow_drop():
    params = CuffParams(thermal_rise_mmhg=0.0)
    cuff = Cuff(params, seed=3)
    t = np.arange(0.0, 40.0, 0.01)
    p = cuff.pressure_mmhg(t)
    assert np.all(p[t < params.inflate_at_s] == 0.0)
    just_inflated = p[(t >= params.inflated_s) & (t < params.inflated_s + 0.5)].mean()
    settled = p[(t >= 25.0) & (t < 40.0)].mean()
    assert 1.0 <= just_inflated - settled <= 2.0  # the drop the Stabilizer manual warns about
    assert settled == pytest.approx(params.baseline_mmhg, abs=0.1)
    # Exponential with the configured time constant: after one tau, 1/e of the drop is left.
    rest = cuff.rest_mmhg(np.array([params.inflated_s + params.backflow_tau_s]))[0]
    expected = params.baseline_mmhg + params.backflow_drop_mmhg / np.e
    assert rest == pytest.approx(expected, abs=1e-9)


def test_baseline_is_configurable():
    cuff = Cuff(CuffParams(baseline_mmhg=18.5, thermal_rise_mmhg=0.0), seed=1)
    t = np.arange(30.0, 90.0, 0.05)
    assert cuff.pressure_mmhg(t).mean() == pytest.approx(18.5, abs=0.05)


def test_leak_rate_is_measurable_at_rest():
    cuff = Cuff(CuffParams(leak_mmhg_per_min=0.8), seed=2)
    t = np.arange(40.0, 220.0, 0.1)
    slope_mmhg_per_min = np.polyfit(t, cuff.pressure_mmhg(t), 1)[0] * 60.0
    # The default warming adds a little under +0.05 mmHg/min here.
    assert slope_mmhg_per_min == pytest.approx(-0.8, abs=0.1)


def test_warming_raises_the_baseline_with_minutes_time_constant():
    params = CuffParams(thermal_rise_mmhg=1.0, thermal_tau_s=120.0)
    cuff = Cuff(params, seed=2)
    early, late = cuff.rest_mmhg(np.array([30.0, 1200.0]))
    assert late - early == pytest.approx(np.exp(-(30.0 - params.inflated_s) / 120.0), abs=0.01)


def test_pressure_never_goes_negative_on_a_leaking_cuff():
    cuff = Cuff(CuffParams(leak_mmhg_per_min=5.0), seed=2)
    t = np.arange(0.0, 600.0, 0.1)
    assert cuff.pressure_mmhg(t).min() >= 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_breathing_and_pulse_have_stated_frequency_and_amplitude(seed):
    cuff = Cuff(CuffParams(), seed=seed)
    freqs, spectrum, p = _ripple_spectrum(cuff)
    breath_band = (freqs >= 0.1) & (freqs <= 0.6)
    pulse_band = (freqs >= 0.6) & (freqs <= 3.0)
    assert 0.15 <= freqs[breath_band][np.argmax(spectrum[breath_band])] <= 0.4
    assert 0.8 <= freqs[pulse_band][np.argmax(spectrum[pulse_band])] <= 2.0
    assert 0.1 <= _band_amplitude(freqs, p, 0.1, 0.6) <= 0.5
    assert 0.01 <= _band_amplitude(freqs, p, 0.6, 3.0) < 0.2


@pytest.mark.parametrize("name", [name for name, _ in list_scenarios()])
def test_every_scenario_breathes_and_pulses_within_the_stated_ranges(name):
    cuff = Cuff(load_scenario(name).cuff, seed=0)
    freqs, spectrum, p = _ripple_spectrum(cuff, span_s=128.0)
    breath_band = (freqs >= 0.1) & (freqs <= 0.6)
    pulse_band = (freqs >= 0.6) & (freqs <= 3.0)
    assert 0.15 <= freqs[breath_band][np.argmax(spectrum[breath_band])] <= 0.4
    assert 0.8 <= freqs[pulse_band][np.argmax(spectrum[pulse_band])] <= 2.0
    assert 0.1 <= _band_amplitude(freqs, p, 0.1, 0.6) <= 0.5
    assert _band_amplitude(freqs, p, 0.6, 3.0) < 0.2


def test_breathing_rate_wanders_but_stays_in_its_band():
    params = CuffParams(breathing_hz=0.25, rate_wander=0.2, pulse_mmhg=0.0)
    cuff = Cuff(params, seed=5)
    t = np.arange(30.0, 330.0, 0.05)
    ripple = cuff.body_mmhg(t)
    rising = np.nonzero((ripple[:-1] < 0) & (ripple[1:] >= 0))[0]
    periods_s = np.diff(t[rising])
    rates_hz = 1.0 / periods_s
    assert rates_hz.min() >= 0.25 * 0.8 - 0.01 and rates_hz.max() <= 0.25 * 1.2 + 0.01
    assert rates_hz.std() > 0.005  # it does wander


@pytest.mark.parametrize("chunk", [1, 3, 10, 257])
def test_cuff_output_does_not_depend_on_chunking(chunk):
    t = np.arange(0.0, 60.0, 0.02)
    whole = Cuff(CuffParams(leak_mmhg_per_min=0.5), seed=9).pressure_mmhg(t)
    cuff = Cuff(CuffParams(leak_mmhg_per_min=0.5), seed=9)
    pieces = np.concatenate([cuff.pressure_mmhg(t[i : i + chunk]) for i in range(0, len(t), chunk)])
    np.testing.assert_array_equal(pieces, whole)


def test_ripple_is_continuous():
    t = np.arange(0.0, 120.0, 0.001)
    p = Cuff(CuffParams(breathing_mmhg=0.5, pulse_mmhg=0.19), seed=4).body_mmhg(t)
    # Fastest slope: 2π·0.5·0.3 + 2π·0.19·2.4·1.2 ≈ 4.4 mmHg/s → < 0.005 mmHg per ms.
    assert np.abs(np.diff(p)).max() < 0.005


def test_cuff_seed_changes_the_ripple_but_not_the_baseline():
    t = np.arange(30.0, 60.0, 0.05)
    a, b = Cuff(CuffParams(), seed=1), Cuff(CuffParams(), seed=2)
    np.testing.assert_array_equal(a.rest_mmhg(t), b.rest_mmhg(t))
    assert not np.array_equal(a.body_mmhg(t), b.body_mmhg(t))


def test_ou_like_wander_has_the_requested_sd():
    sds = []
    for seed in range(40):
        wander = SineSum.ou_like(np.random.default_rng(seed), sd=0.5, tau_s=1.5)
        sds.append(np.std(wander(np.arange(0.0, 2000.0, 0.1))))
    assert np.mean(sds) == pytest.approx(0.5, rel=0.1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("baseline_mmhg", 0.0),
        ("leak_mmhg_per_min", -1.0),
        ("backflow_tau_s", 0.0),
        ("breathing_hz", -0.2),
        ("rate_wander", 0.7),
        ("pulse_mmhg", float("nan")),
    ],
)
def test_cuff_params_reject_bad_values_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=rf"cuff\.{field}"):
        CuffParams(**{field: value})
