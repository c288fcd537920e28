"""Device-to-host time mapping under USB latency jitter, crystal drift and counter wrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cctf.acquisition.timesync import DeviceClockMapper


def _simulate(rate_hz: float, n: int, drift: float, seed: int, t0_us: int = 0):
    """Device stamps samples; each is delivered in a USB packet with random latency."""
    rng = np.random.default_rng(seed)
    true_s = np.arange(n) / rate_hz  # host time at which each sample was taken
    t_us = (t0_us + np.round(true_s * (1 + drift) * 1e6).astype(np.int64)) % (1 << 32)
    latency = 0.001 + rng.exponential(0.004, n)  # 1 ms minimum, bursts of several ms
    latency[rng.random(n) < 0.02] += 0.05  # occasional 50 ms stall
    # Delivery order is preserved, so a sample cannot arrive before its predecessor.
    arrival = np.maximum.accumulate(true_s + latency)
    return true_s, t_us, arrival


@pytest.mark.parametrize("drift", [0.0, 0.005, -0.005])
def test_mapped_times_are_increasing_and_close_to_truth(drift):
    true_s, t_us, arrival = _simulate(200, 200 * 600, drift, seed=3)
    mapper = DeviceClockMapper()
    _, host = mapper.map(t_us, arrival)
    assert np.all(np.diff(host) > 0), "duplicate or backwards timestamps"
    err = host - true_s - (host[0] - true_s[0])
    # Jitter of several ms must not show; the envelope follows a 0.5 % crystal error.
    assert np.percentile(np.abs(err - np.median(err)), 99) < 0.002
    # Intervals stay the device's own: no jitter from the USB latency.
    assert np.std(np.diff(host)) < 1.5e-4
    # Once the first seconds have settled the envelope, no sample is dated (more than a
    # fraction of a period) after its arrival.
    assert np.all((host <= arrival + 0.002)[true_s > 2.0]), "a sample dated after it arrived"


def test_counter_wrap_is_unwrapped():
    _true_s, t_us, arrival = _simulate(50, 50 * 120, 0.0, seed=1, t0_us=(1 << 32) - 30_000_000)
    assert np.any(np.diff(t_us) < 0), "the test should cross the wrap"
    device_s, host = DeviceClockMapper().map(t_us, arrival)
    np.testing.assert_allclose(np.diff(device_s), 0.02, atol=2e-6)
    assert np.all(np.diff(host) > 0)


def test_new_epoch_restarts_device_time_but_host_time_keeps_increasing():
    mapper = DeviceClockMapper()
    _, h1 = mapper.map(np.arange(0, 1_000_000, 20_000), np.linspace(10, 11, 50))
    mapper.new_epoch()
    d2, h2 = mapper.map(np.arange(0, 1_000_000, 20_000), np.linspace(10.5, 11.5, 50))
    assert d2[0] == 0.0 and mapper.epoch == 1
    assert h2[0] > h1[-1]
    assert np.all(np.diff(h2) > 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 25), min_size=1, max_size=60), st.integers(0, 1000))
def test_chunking_does_not_change_the_mapping(chunks, seed):
    _, t_us, arrival = _simulate(100, sum(chunks), 0.002, seed)
    whole = DeviceClockMapper().map(t_us, arrival)[1]
    mapper = DeviceClockMapper()
    parts, i = [], 0
    for n in chunks:
        parts.append(mapper.map(t_us[i : i + n], arrival[i : i + n])[1])
        i += n
    np.testing.assert_array_equal(np.concatenate(parts), whole)
