"""Time you can align: the wall clock of t_s = 0 (µs, UTC offset) and a (t_s, device time,
wall clock) pair every 10 s, from injected clocks; and what ``cctf record`` writes."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from cctf.acquisition.buffer import SAMPLE_DTYPE
from cctf.acquisition.walltime import ClockPairs, iso_local, parse_pairs, wall_at
from cctf.cli import main
from cctf.clock import VirtualClock
from cctf.sessionfile import read_session

WALL0 = 1_764_580_000.123456  # epoch seconds


class _SteppingClock(VirtualClock):
    """Each read moves 1 µs on: a bracket of reads has a width, as real reads do."""

    def now(self) -> float:
        self.advance(1e-6)
        return super().now()


def _rows(t_s: np.ndarray, device_s: np.ndarray, epoch: int = 0) -> np.ndarray:
    rows = np.zeros(len(t_s), dtype=SAMPLE_DTYPE)
    rows["t_s"], rows["t_device_s"], rows["epoch"] = t_s, device_s, epoch
    return rows


def test_wall_at_maps_a_host_time_through_a_bracketed_read():
    clock = VirtualClock(100.0)
    wall = lambda: WALL0 + (clock.now() - 100.0)  # noqa: E731
    assert wall_at(clock, 95.5, wall) == pytest.approx(WALL0 - 4.5, abs=1e-9)
    stepping = _SteppingClock(100.0)
    got = wall_at(stepping, 100.0, lambda: WALL0)
    # the wall was read between two clock reads 1 µs apart: dated at their midpoint
    assert abs(got - WALL0) < 3e-6


def test_pairs_every_ten_seconds_at_the_first_sample_of_each_period():
    clock = VirtualClock(50.0)
    wall = lambda: WALL0 + (clock.now() - 50.0)  # noqa: E731
    pairs = ClockPairs(clock, t0_host_s=50.0, wall=wall)
    assert pairs.t0_wall_s == pytest.approx(WALL0, abs=1e-9)
    t = 50.0 + 0.02 * np.arange(1, 1500)  # 30 s of samples at 50 Hz
    device = 1000.0 + (t - 50.0) * (1 + 1e-4)  # a crystal 100 ppm fast
    keep = (t - 50.0 < 12.0) | (t - 50.0 > 24.5)  # a hole: no sample in [12, 24.5] s
    t, device = t[keep], device[keep]
    for chunk in np.array_split(np.arange(len(t)), 7):  # any chunking
        clock.advance(max(0.0, t[chunk][-1] - clock.now()))
        pairs.update(_rows(t[chunk], device[chunk]))
    got = [p[0] for p in pairs.pairs]
    # 0.02 (first sample), 10.0, the first after the hole (24.52: no pair at 20), then 30 is
    # past the end
    np.testing.assert_allclose(got, [0.02, 10.0, 24.52], atol=1e-9)
    for t_s, device_s, epoch, wall_s in pairs.pairs:
        assert epoch == 0
        assert device_s == pytest.approx(1000.0 + t_s * (1 + 1e-4), abs=1e-9)
        assert wall_s == pytest.approx(WALL0 + t_s, abs=1e-6)
    meta = pairs.metadata()
    assert meta["clock_pairs_columns"] == "t_s device_s device_epoch wall_clock"
    back = parse_pairs(meta["clock_pairs"])
    assert [b[0] for b in back] == pytest.approx(got, abs=1e-4)
    t0 = datetime.fromisoformat(meta["t0_wall_clock"])
    assert t0.utcoffset() is not None and t0.microsecond == 123456
    assert back[1][3] - t0 == timedelta(seconds=10.0)


def test_iso_local_has_microseconds_and_the_utc_offset():
    text = iso_local(WALL0)
    parsed = datetime.fromisoformat(text)
    assert parsed.timestamp() == pytest.approx(WALL0, abs=1e-6)
    assert text[19] == "." and len(text.split(".")[1]) == len("123456+00:00")


def test_cctf_record_writes_t0_and_a_pair_every_ten_seconds(tmp_path):
    out = tmp_path / "s.csv"
    assert main(["record", "--sim", "--fast", "--seconds", "35", "-o", str(out)]) == 0
    rec = read_session(out)
    t0 = datetime.fromisoformat(rec.metadata["t0_wall_clock"])
    assert t0.utcoffset() is not None
    pairs = parse_pairs(rec.metadata["clock_pairs"])
    assert [round(p[0]) for p in pairs] == [0, 10, 20, 30]
    for t_s, device_s, epoch, wall in pairs:
        k = int(np.argmin(np.abs(rec.t_s - t_s)))
        assert rec.t_s[k] == pytest.approx(t_s, abs=1e-4)  # a real sample's time
        assert abs((wall - t0).total_seconds() - t_s) < 1e-4  # wall = t0 + t_s (virtual)
        assert epoch == 0 and device_s > 0
    # started_at (whole seconds) is the same moment to within a second
    started = datetime.fromisoformat(rec.metadata["started_at"])
    assert abs((t0 - started).total_seconds()) < 1.0
