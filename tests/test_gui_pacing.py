"""Frames follow new samples (issue 14: sample → screen ≤ 30 ms): a frame runs when samples
arrive (the device wakes the pacer) and the last frame is at least ``min_s`` old, or when
``max_s`` (``idle_s``) passed anyway; never more often than ``max_fps``. At 50 Hz every
sample has its own frame."""

from __future__ import annotations

import itertools
import threading

from PySide6.QtCore import QCoreApplication, QTimer

from cctf.gui.pacing import FramePacer

from .conftest import make_sim_device
from .gui_helpers import make_app


def _pacer(qtbot, arrivals, timer=None):
    clock = {"t": 0.0}
    frames = []
    pacer = FramePacer(timer or QTimer(), lambda: frames.append(clock["t"]),
                       lambda: sum(a <= clock["t"] + 1e-9 for a in arrivals),
                       max_fps=50.0, clock=lambda: clock["t"])
    return pacer, clock, frames


def _waits(arrivals, frames):
    """Each sample's wait for the first frame at or after its arrival."""
    return sorted(next(f for f in frames if f >= a - 1e-9) - a
                  for a in arrivals if a <= frames[-1])


def test_frames_follow_samples_at_50_hz(qtbot):
    arrivals = [k * 0.020 for k in range(1, 100)]
    pacer, clock, frames = _pacer(qtbot, arrivals)
    for k in range(int(2.0 / 0.001)):  # polled every millisecond for 2 s
        clock["t"] = k * 0.001
        pacer.poll()
    gaps = [b - a for a, b in itertools.pairwise(frames[1:])]
    assert min(gaps) >= pacer.min_s - 1e-9  # never faster than max_fps
    # A frame per sample: none waits for the next sample (a fixed 30 Hz tick: up to 33 ms).
    fixed = [k / 30 for k in range(61)]
    paced = _waits(arrivals, frames)
    assert max(paced) <= 1e-9
    assert paced[int(0.95 * len(paced))] < _waits(arrivals, fixed)[int(0.95 * len(paced))]
    assert len(frames) <= 2.0 * 50 + 1


def test_at_200_hz_frames_come_every_min_s_with_all_samples_since(qtbot):
    arrivals = [k * 0.005 for k in range(1, 400)]
    pacer, clock, frames = _pacer(qtbot, arrivals)
    for k in range(int(2.0 / 0.001)):
        clock["t"] = k * 0.001
        pacer.poll()
    gaps = [b - a for a, b in itertools.pairwise(frames[1:])]
    assert min(gaps) >= pacer.min_s - 1e-9
    assert 2.0 / 0.025 <= len(frames) <= 2.0 / pacer.min_s + 1
    assert max(_waits(arrivals, frames)) <= pacer.min_s + 1e-9


def test_without_samples_frames_still_run_at_the_slow_pace(qtbot):
    pacer, clock, frames = _pacer(qtbot, [])
    for k in range(1000):
        clock["t"] = k * 0.001
        pacer.poll()
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    assert gaps and all(abs(g - pacer.max_s) < 0.0015 for g in gaps)
    assert pacer.max_s == 0.05  # the trace keeps scrolling, "no signal" shows


def _deliver() -> None:
    """Hand the UI thread its posted wake-ups (what the event loop does when it is free)."""
    QCoreApplication.sendPostedEvents()


def test_samples_wake_the_frame_and_the_timer_sleeps_between(qtbot):
    """Driven as the reader thread drives it: each arrival wakes the pacer, and the frame runs
    right then (no poll to wait for), for every sample at 50 Hz; the timer sleeps until
    ``max_s`` after a frame instead of polling every millisecond."""
    arrivals = [k * 0.020 + 0.0004 for k in range(1, 150)]
    timer = QTimer()
    pacer, clock, frames = _pacer(qtbot, arrivals, timer)
    intervals = []
    for a in arrivals:
        clock["t"] = a
        pacer.wake()
        _deliver()
        intervals.append(timer.interval())
    assert frames == arrivals  # every sample drawn the moment it arrives: 50 frames a second
    assert min(intervals) == round(pacer.max_s * 1000)  # it sleeps; the data wake it


def test_a_sample_that_comes_too_soon_is_drawn_when_a_frame_may_run(qtbot):
    """The last frame ran late (or the link delivered unevenly): a sample that arrives before
    ``min_s`` passed gets its frame at ``min_s`` (the timer), not a sample period later."""
    arrivals = [0.100, 0.110, 0.130]
    timer = QTimer()
    pacer, clock, frames = _pacer(qtbot, arrivals, timer)
    clock["t"] = 0.100
    pacer.wake()
    _deliver()
    assert frames == [0.100]
    clock["t"] = 0.110  # 10 ms later: too soon for a frame
    pacer.wake()
    _deliver()
    assert frames == [0.100]
    assert timer.interval() == round((pacer.min_s - 0.010) * 1000)  # set for when one may
    clock["t"] = 0.100 + pacer.min_s
    pacer.poll()  # the timer fires
    assert frames == [0.100, 0.100 + pacer.min_s]
    assert timer.interval() == round(pacer.max_s * 1000)  # asleep again until data or max_s


def test_a_late_wake_up_for_samples_already_drawn_does_not_keep_the_timer_busy(qtbot):
    """The reader wakes the pacer just after the frame took its sample: one look at the
    moment a frame may run finds nothing new, and the timer sleeps until ``max_s`` again."""
    arrivals = [0.100]
    timer = QTimer()
    pacer, clock, frames = _pacer(qtbot, arrivals, timer)
    clock["t"] = 0.100
    pacer.poll()  # the frame that drew the sample
    assert frames == [0.100]
    clock["t"] = 0.101
    pacer.wake()  # the reader's wake-up for that same sample comes late
    _deliver()
    clock["t"] = 0.100 + pacer.min_s
    pacer.poll()
    assert frames == [0.100]
    assert timer.interval() == round((pacer.max_s - pacer.min_s) * 1000)


def test_wake_ups_do_not_pile_up(qtbot):
    """However often the reader wakes it, one look waits at a time; while no frame may run
    yet, only the first wake-up reaches the UI thread (it sets the timer)."""
    looks = []
    clock = {"t": 1.0}
    pacer = FramePacer(QTimer(), lambda: None, lambda: looks.append(1) or len(looks),
                       clock=lambda: clock["t"])
    for _ in range(20):
        pacer.wake()
    _deliver()
    assert len(looks) == 1 and pacer.frames == 1
    clock["t"] += pacer.min_s / 4
    pacer.wake()  # too soon after that frame: one look, which sets the timer
    _deliver()
    assert len(looks) == 2 and pacer.frames == 1
    for _ in range(20):
        clock["t"] += pacer.min_s / 100
        pacer.wake()  # the timer is set: nothing more to do on the UI thread
    _deliver()
    assert len(looks) == 2
    clock["t"] += pacer.min_s
    pacer.wake()  # a frame may run again
    _deliver()
    assert len(looks) == 3 and pacer.frames == 2


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
