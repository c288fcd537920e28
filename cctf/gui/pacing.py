"""Frames paced to new samples: the app's frame runs right when samples arrive, not on a fixed
clock that makes each sample wait for the next tick.

The controller's ``QTimer`` polls (a cheap check: how many samples has the device's buffer
received?). A frame (``controller.tick``) runs at a poll that sees samples that were not
there at the previous poll, once at least ``min_s`` (0.9 / ``refresh_hz``) passed since the
last frame; or when ``max_s`` passed anyway (the trace keeps scrolling through a gap, and
"no signal" is noticed). Frames so fall on sample arrivals: at 50 Hz every second sample
(25 frames/s, fewer than the old fixed 30), and a sample waits either nothing or one sample
period (20 ms) for the screen; on a fixed 33-ms tick it waited up to 33 ms. At high rates
the frames come every ``min_s`` or a little more.

No frame can run sooner than ``min_s`` after the last, so after a frame the timer sleeps
until ``LEAD_S`` before then and polls every ``POLL_MS`` (1 ms) from there: a sample waits
at most a millisecond for its poll (it waited up to 3 ms with a steady 3-ms poll), with as
many polls a second as before. A minimised window slows the timer to one steady interval
(:meth:`FramePacer.set_slow`, from ``MainWindow.changeEvent``): frames then run at that pace.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer

POLL_MS = 1
LEAD_S = 0.002  # the polls start this long before a frame may run


class FramePacer:
    """Connects ``timer`` to ``frame`` through the pacing rule above; ``received()`` is the
    number of samples received so far (any count that grows when samples arrive)."""

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
        timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may wake 5 % late
        timer.setInterval(POLL_MS)
        timer.timeout.connect(self.poll)

    def set_slow(self, interval_ms: int | None) -> None:
        """Poll at this steady interval (a minimised window), or None: paced again."""
        self.slow_ms = interval_ms
        self.timer.setInterval(interval_ms if interval_ms is not None else POLL_MS)

    def poll(self) -> None:
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
            wait_s = self.min_s - LEAD_S - (self.clock() - self.last_s)
            interval = max(POLL_MS, int(wait_s * 1000))
            if interval != self.timer.interval():
                self.timer.setInterval(interval)
