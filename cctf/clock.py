"""Injectable clocks: the only place cctf reads time, so tests can run hours in seconds.

``MonotonicClock`` is real time. ``VirtualClock`` is driven by its user: ``sleep`` advances it
at once, so single-threaded simulations run as fast as the CPU allows. ``ScaledClock`` runs real
time faster by a constant factor, for threaded uses (the GUI) that must still wait.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic time line (origin unspecified)."""
        ...

    def sleep(self, duration_s: float) -> None:
        """Wait ``duration_s`` of this clock's time (or less if woken by ``wake``)."""
        ...

    def wake(self) -> None:
        """Cut short any ``sleep`` in progress (used to stop threads promptly)."""
        ...


class MonotonicClock:
    """Real time from ``time.monotonic``; sleeps are interruptible by ``wake``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, duration_s: float) -> None:
        if duration_s > 0:
            self._event.wait(duration_s)
            self._event.clear()

    def wake(self) -> None:
        self._event.set()


class ScaledClock(MonotonicClock):
    """Real time sped up ``speed`` times; ``now()`` starts at ``start_s``."""

    def __init__(self, speed: float, start_s: float = 0.0) -> None:
        super().__init__()
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = speed
        self._origin = time.monotonic()
        self._start_s = start_s

    def now(self) -> float:
        return self._start_s + (time.monotonic() - self._origin) * self.speed

    def sleep(self, duration_s: float) -> None:
        super().sleep(duration_s / self.speed)


class VirtualClock:
    """Time that moves only when told: ``advance`` or ``sleep`` (which advances immediately)."""

    instant_sleep = True  # waiting costs nothing, so callers may batch up to their deadline

    def __init__(self, start_s: float = 0.0) -> None:
        self._now = start_s
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, duration_s: float) -> None:
        if duration_s < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += duration_s

    def sleep(self, duration_s: float) -> None:
        if duration_s > 0:
            self.advance(duration_s)

    def wake(self) -> None:
        pass
