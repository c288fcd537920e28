"""Frames follow new samples (issue 14: sample → screen ≤ 30 ms): a frame runs when samples
arrive (the device wakes the pacer) and the last frame is at least ``min_s`` old, or when
``max_s`` passed anyway; never more often than ``refresh_hz``."""

from __future__ import annotations

import itertools
import threading

from PySide6.QtCore import QCoreApplication, QTimer

from cctf.gui.pacing import FramePacer

from .conftest import make_sim_device
from .gui_helpers import make_app


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


def _deliver() -> None:
    """Hand the UI thread its posted wake-ups (what the event loop does when it is free)."""
    QCoreApplication.sendPostedEvents()


def test_samples_wake_the_frame_and_the_timer_sleeps_between(qtbot):
    """Driven as the reader thread drives it: each arrival wakes the pacer, and the frame runs
    right then (no poll to wait for), every second sample at 50 Hz; the timer sleeps until
    ``max_s`` after a frame instead of polling every millisecond."""
    arrivals = [k * 0.020 + 0.0004 for k in range(1, 150)]
    clock = {"t": 0.0}
    frames = []
    timer = QTimer()
    pacer = FramePacer(timer, lambda: frames.append(clock["t"]),
                       lambda: sum(a <= clock["t"] + 1e-9 for a in arrivals),
                       refresh_hz=30.0, clock=lambda: clock["t"])
    intervals = []
    for a in arrivals:
        clock["t"] = a
        pacer.wake()
        _deliver()
        intervals.append(timer.interval())
    waits = sorted(next(f for f in frames if f >= a - 1e-9) - a for a in arrivals
                   if a <= frames[-1])
    assert waits[len(waits) // 2 - 1] == 0.0  # half are drawn the moment they arrive
    assert waits[-1] <= 0.020 + 1e-9  # the rest one sample period later
    assert len(frames) == len(arrivals) // 2 + len(arrivals) % 2  # 25 frames a second
    assert min(intervals) >= (pacer.max_s - 0.021) * 1000  # it sleeps; the data wake it


def test_wake_ups_do_not_pile_up(qtbot):
    """However often the reader wakes it, one look waits at a time; none while no frame may
    run yet."""
    looks = []
    clock = {"t": 1.0}
    pacer = FramePacer(QTimer(), lambda: None, lambda: looks.append(1) or len(looks),
                       clock=lambda: clock["t"])
    for _ in range(20):
        pacer.wake()
    _deliver()
    assert len(looks) == 1 and pacer.frames == 1
    clock["t"] += pacer.min_s / 2
    pacer.wake()  # too soon after that frame: nothing to do on the UI thread
    _deliver()
    assert len(looks) == 1
    clock["t"] += pacer.min_s
    pacer.wake()  # a frame may run again
    _deliver()
    assert len(looks) == 2 and pacer.frames == 2


def test_a_wake_up_from_the_reader_thread_runs_the_frame_on_the_ui_thread(qtbot):
    ran_on = []
    count = {"n": 0}
    pacer = FramePacer(QTimer(), lambda: ran_on.append(threading.get_ident()),
                       lambda: count["n"])

    def reader() -> None:
        count["n"] += 1
        pacer.wake()

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(ran_on) == 1)
    assert ran_on == [threading.get_ident()]


def test_minimised_the_pacer_ignores_wake_ups_and_keeps_its_steady_interval(qtbot):
    clock = {"t": 10.0}
    frames = []
    timer = QTimer()
    pacer = FramePacer(timer, lambda: frames.append(clock["t"]), lambda: len(frames) + 1,
                       clock=lambda: clock["t"])
    pacer.set_slow(100)
    pacer.wake()
    _deliver()
    assert frames == [] and timer.interval() == 100
    pacer.poll()  # the steady timer's frame
    assert frames == [10.0] and timer.interval() == 100


def test_the_app_draws_samples_when_the_device_adds_them(qtbot, tmp_path):
    """The controller hands the device its pacer's wake-up: with the timer stopped, samples
    alone bring the frame."""
    controller, _window = make_app(qtbot, tmp_path)
    device, _, _ = make_sim_device()
    device.connect()
    device.start(rate_hz=50, threaded=False)
    controller.attach(device, "simulator: test", threaded=False)
    controller.timer.stop()
    _deliver()
    frames = controller.frames
    device.run_for(0.2)
    _deliver()
    assert controller.frames == frames + 1 and len(controller.history) >= 9
    controller.shutdown()
