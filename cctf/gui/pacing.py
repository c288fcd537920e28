"""Frames paced to new samples: the app's frame runs right when samples arrive, not on a fixed
clock that makes each sample wait for the next tick.

The device's reader thread wakes the pacer when it has added samples to the buffer
(:meth:`FramePacer.wake`, thread-safe: it posts one event to the UI thread, never more than one
waiting). A frame (``controller.tick``) runs at a wake-up that finds samples that were not
there at the previous look, once at least ``min_s`` (0.9 / ``refresh_hz``) passed since the
last frame; or when ``max_s`` passed anyway (the controller's ``QTimer``: the trace keeps
scrolling through a gap, and "no signal" is noticed). Frames so fall on sample arrivals: at
50 Hz every second sample (25 frames/s, fewer than the old fixed 30), and a sample waits
either nothing or one sample period (20 ms) for the screen; on a fixed 33-ms tick it waited up
to 33 ms. At high rates the frames come every ``min_s`` or a little more.

Between frames the UI thread sleeps until a sample wakes it: no polling. The timer polled
every millisecond before (issue 14): each sample waited up to a millisecond for its poll, and
the polls cost the UI thread 300 wake-ups a second at 50 Hz. A minimised window slows the
timer to one steady interval (:meth:`FramePacer.set_slow`, from ``MainWindow.changeEvent``):
frames then run at that pace, and wake-ups are ignored.
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
                 refresh_hz: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.frame = frame
        self.received = received
        self.clock = clock
        self.min_s = 0.9 / refresh_hz
        self.max_s = 1.5 / refresh_hz
        self.last_s = -float("inf")
        self._seen = -1
        self.frames = 0
        self.timer = timer
        self.slow_ms: int | None = None  # a steady interval instead (minimised)
        self._wake_pending = False
        self._waker = _Waker()
        self._waker.woken.connect(self._woken, Qt.ConnectionType.QueuedConnection)
        timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may wake 5 % late
        timer.setInterval(self._interval_ms())
        timer.timeout.connect(self.poll)

    def wake(self) -> None:
        """Samples were added (any thread; the reader thread calls it): look on the UI thread
        as soon as it is free. At most one wake-up waits at a time; none while no frame may
        run (too soon after the last, or minimised): the rule would not run one, and a
        sample that comes then is still new at the next wake-up (at 200 Hz one UI wake-up per
        frame, not one per sample)."""
        if self.slow_ms is not None or self.clock() - self.last_s < self.min_s:
            return
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
            self.frame()
        if self.slow_ms is None:
            interval = self._interval_ms()
            if interval != self.timer.interval():
                self.timer.setInterval(interval)

    def _interval_ms(self) -> int:
        """The timer's next sleep: until ``max_s`` after the last frame (wake-ups bring the
        frames on data; the timer only keeps frames coming when none arrive)."""
        wait_s = min(self.max_s, max(0.001, self.max_s - (self.clock() - self.last_s)))
        return round(wait_s * 1000)
