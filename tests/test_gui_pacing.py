"""Frames follow new samples (issue 14: sample → screen ≤ 30 ms): a frame runs when samples
arrive and the last frame is at least ``min_s`` old, or when ``max_s`` passed anyway; never
more often than ``refresh_hz``."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QTimer

from cctf.gui.pacing import LEAD_S, POLL_MS, FramePacer


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


def test_the_timer_sleeps_until_a_frame_may_run_then_polls_finely(qtbot):
    """Driven as Qt drives it (the next poll one timer interval later): a sample waits at most
    one fine poll for its frame, or one sample period more, with no more polls than a steady
    3-ms poll made."""
    arrivals = [k * 0.020 + 0.0004 for k in range(1, 150)]
    clock = {"t": 0.0}
    frames = []
    timer = QTimer()
    pacer = FramePacer(timer, lambda: frames.append(clock["t"]),
                       lambda: sum(a <= clock["t"] + 1e-9 for a in arrivals),
                       refresh_hz=30.0, clock=lambda: clock["t"])
    polls = 0
    intervals = set()
    while clock["t"] < 2.0:
        pacer.poll()
        polls += 1
        intervals.add(timer.interval())
        clock["t"] += timer.interval() / 1000
    waits = sorted(next(f for f in frames if f >= a - 1e-9) - a for a in arrivals
                   if a <= frames[-1])
    assert waits[len(waits) // 2 - 1] <= POLL_MS / 1000 + 1e-9  # half wait one fine poll
    assert waits[-1] <= 0.020 + POLL_MS / 1000 + 1e-9  # the rest one sample period more
    assert max(intervals) >= (pacer.min_s - LEAD_S) * 1000 - 1  # it slept after frames
    assert polls <= 2.0 * 1000 / 3  # not more often than a steady 3-ms poll
    pacer.set_slow(100)  # minimised: one steady interval, left alone
    pacer.poll()
    assert timer.interval() == 100
    pacer.set_slow(None)
    assert timer.interval() == POLL_MS
