"""Frames follow new samples (issue 14: sample → screen ≤ 30 ms): a frame runs when samples
arrive and the last frame is at least ``min_s`` old, or when ``max_s`` passed anyway; never
more often than ``refresh_hz``."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QTimer

from cctf.gui.pacing import FramePacer


def _pacer(qtbot, arrivals):
    clock = {"t": 0.0}
    frames = []
    pacer = FramePacer(QTimer(), lambda: frames.append(clock["t"]),
                       lambda: sum(a <= clock["t"] + 1e-9 for a in arrivals),
                       refresh_hz=30.0, clock=lambda: clock["t"])
    return pacer, clock, frames


def test_frames_follow_samples_at_50_hz(qtbot):
    arrivals = [k * 0.020 for k in range(1, 100)]
    pacer, clock, frames = _pacer(qtbot, arrivals)
    for k in range(int(2.0 / 0.001)):  # polled every millisecond for 2 s
        clock["t"] = k * 0.001
        pacer.poll()
    gaps = [b - a for a, b in itertools.pairwise(frames[1:])]
    assert min(gaps) >= pacer.min_s - 1e-9  # never faster than refresh_hz
    # Frames fall on arrivals: a sample waits nothing or one sample period (a fixed 30 Hz
    # tick: up to 33 ms), with fewer frames.
    fixed = [k / 30 for k in range(61)]

    def waits(frame_times):
        return sorted(next(f for f in frame_times if f >= a - 1e-9) - a
                      for a in arrivals if a <= frames[-1])

    paced = waits(frames)
    assert max(paced) <= 0.020 + 1e-6
    assert paced[int(0.95 * len(paced))] < waits(fixed)[int(0.95 * len(paced))]
    assert len(frames) <= 2.0 * 25 + 1


def test_without_samples_frames_still_run_at_the_slow_pace(qtbot):
    pacer, clock, frames = _pacer(qtbot, [])
    for k in range(1000):
        clock["t"] = k * 0.001
        pacer.poll()
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    assert gaps and all(abs(g - pacer.max_s) < 0.0015 for g in gaps)
