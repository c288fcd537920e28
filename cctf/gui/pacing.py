"""Frames paced to new samples: the app's frame runs right when samples arrive, not on a fixed
clock that makes each sample wait for the next tick.

The device's reader thread wakes the pacer when it has added samples to the buffer
(:meth:`FramePacer.wake`, thread-safe: it posts one event to the UI thread, never more than one
waiting). A frame (``controller.tick``) runs at a wake-up that finds samples that were not
there at the previous look, once at least ``min_s`` (0.9 / ``max_fps``: 18 ms at 50) passed
since the last frame; or when ``idle_s`` passed anyway (the controller's ``QTimer``: the trace
keeps scrolling through a gap, and "no signal" is noticed). At 50 Hz every sample has its own
frame and waits for the screen only as long as the frame takes (issue 14: 25 frames a second
made every second sample wait one sample period, 20 ms, so the p95 was 20 ms plus a frame's
own latency). At higher rates the frames come every ``min_s``, each with all samples since.

A sample that arrives before ``min_s`` passed (the previous frame ran late, or the link
delivers unevenly) does not wait for the next sample: the first such wake-up sets the timer to
the moment a frame may run again (one more wake-up of the UI thread for such a frame, none for
the samples after it, which find the timer already set).

Between frames the UI thread sleeps until a sample wakes it: no polling. A minimised window
slows the timer to one steady interval (:meth:`FramePacer.set_slow`, from
``MainWindow.changeEvent``): frames then run at that pace, and wake-ups are ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal


class _Waker(QObject):
    """Carries a wake-up from the reader thread to the UI thread (a queued signal)."""

    woken = Signal()


class FramePacer:
    """Connects ``timer`` and wake-ups to ``frame`` through the pacing rule above;
    ``received()`` is the number of samples received so far (any count that grows when
    samples arrive)."""

    def __init__(self, timer: QTimer, frame: Callable[[], None], received: Callable[[], int],
                 max_fps: float = 50.0, idle_s: float = 0.05,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.frame = frame
        self.received = received
        self.clock = clock
        self.min_s = 0.9 / max_fps
        self.max_s = max(idle_s, self.min_s)
        self.last_s = -float("inf")
        self._seen = -1
        self.frames = 0
        self.timer = timer
        self.slow_ms: int | None = None  # a steady interval instead (minimised)
        self._wake_pending = False
        self._early = False  # a wake-up came too soon: the timer is (to be) set for it
        self._waker = _Waker()
        self._waker.woken.connect(self._woken, Qt.ConnectionType.QueuedConnection)
        timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may wake 5 % late
        timer.setInterval(self._interval_ms())
        timer.timeout.connect(self.poll)

    def wake(self) -> None:
        """Samples were added (any thread; the reader thread calls it): look on the UI thread
        as soon as it is free. At most one wake-up waits at a time, and while no frame may
        run yet (too soon after the last) only the first: it sets the timer for when one may
        (at 200 Hz two UI wake-ups per frame, not one per sample). None while minimised."""
        if self.slow_ms is not None:
            return
        if self.clock() - self.last_s < self.min_s:
            if self._early:
                return
            self._early = True
        if not self._wake_pending:
            self._wake_pending = True
            self._waker.woken.emit()

    def _woken(self) -> None:
        self._wake_pending = False  # before looking: a sample added from now wakes again
        if self.slow_ms is None:
            self.poll()

    def set_slow(self, interval_ms: int | None) -> None:
        """Poll at this steady interval (a minimised window), or None: paced again."""
        self.slow_ms = interval_ms
        self.timer.setInterval(interval_ms if interval_ms is not None else self._interval_ms())

    def poll(self) -> None:
        """Look at the sample count; run a frame if the rule says so."""
        now = self.clock()
        since = now - self.last_s
        count = self.received()
        fresh = count != self._seen
        self._seen = count
        if since >= self.max_s or (fresh and since >= self.min_s):
            self.last_s = now
            self.frames += 1
            self._early = False
            self.frame()
        elif fresh:
            self._seen = -1  # too soon: still new when the timer below looks again
            self._early = True
        elif since >= self.min_s:
            self._early = False  # nothing waits (a late wake-up for samples already drawn)
        if self.slow_ms is None:
            interval = self._interval_ms()
            if interval != self.timer.interval() or self._early:
                self.timer.setInterval(interval)  # restarts a running timer from now

    def _interval_ms(self) -> int:
        """The timer's next sleep: until ``max_s`` after the last frame (wake-ups bring the
        frames on data; the timer only keeps frames coming when none arrive), or until
        ``min_s`` after it when samples came too soon for a frame."""
        limit_s = self.min_s if self._early else self.max_s
        wait_s = min(limit_s, max(0.001, limit_s - (self.clock() - self.last_s)))
        return round(wait_s * 1000)


class PanelPace:
    """When a frame also runs its second part (``ticked``: the panels, the banner, the
    buttons, a second paint pass): at most ``fps`` times a second of the device's clock while
    samples stream, the trace and the number having followed every frame (``taken``). A frame
    without samples always does: a view must say at once that its data stopped."""

    def __init__(self, fps: float) -> None:
        self.min_s = 0.9 / fps
        self.last_s = -float("inf")

    def due(self, samples: bool, now_s: float) -> bool:
        if samples and now_s - self.last_s < self.min_s:
            return False
        self.last_s = now_s
        return True
