"""Place a session on the wall clock: when t_s = 0 was, to the microsecond, and pairs of
(host wall clock, device time) every 10 s so a session can be put on another system's clock.

A session's ``t_s`` is the device's sample time mapped onto the host's monotonic clock
(``DeviceClockMapper``). The wall clock of a sample is ``wall_now − (host_now − t_host)``,
with ``wall_now`` read between two ``host_now`` reads (the tightest of a few brackets): the
error is the bracket (microseconds) plus the mapper's (docs/time.md). Pairs taken through the
session show how the wall clock (NTP-disciplined), the monotonic clock and the device's crystal
drift against each other. Nothing here reads the wall clock unless given ``wall``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import numpy as np

from cctf.clock import Clock

WallClock = Callable[[], float]
"""Seconds since the Unix epoch (``time.time``)."""

PAIR_EVERY_S = 10.0
PAIR_COLUMNS = "t_s device_s device_epoch wall_clock"


def wall_at(clock: Clock, host_s: float, wall: WallClock, tries: int = 5) -> float:
    """The wall-clock time (epoch seconds) of ``host_s`` on ``clock``'s time line."""
    best: tuple[float, float] | None = None
    for _ in range(tries):
        a = clock.now()
        w = wall()
        b = clock.now()
        if best is None or b - a < best[0]:
            best = (b - a, w - ((a + b) / 2 - host_s))
    assert best is not None
    return best[1]


def iso_local(wall_s: float) -> str:
    """ISO 8601 local time with microseconds and the UTC offset, e.g.
    ``2026-12-01T10:14:13.449123+01:00``."""
    return datetime.fromtimestamp(wall_s).astimezone().isoformat(timespec="microseconds")


def following(clock: Clock, wall: WallClock = time.time) -> WallClock:
    """A wall clock that advances with ``clock`` from now on (``--fast`` runs a virtual clock:
    its samples then get the wall times they would have had in real time)."""
    w0, c0 = wall(), clock.now()
    return lambda: w0 + (clock.now() - c0)


class ClockPairs:
    """The wall clock of t_s = 0 and a (t_s, device time, wall clock) pair every ``every_s``."""

    def __init__(self, clock: Clock, t0_host_s: float, wall: WallClock = time.time,
                 every_s: float = PAIR_EVERY_S) -> None:
        self.clock = clock
        self.wall = wall
        self.t0_host_s = t0_host_s
        self.every_s = every_s
        self.t0_wall_s = wall_at(clock, t0_host_s, wall)
        self.pairs: list[tuple[float, float, int, float]] = []  # t_s, device_s, epoch, wall_s
        self._next_s = 0.0

    def update(self, rows: np.ndarray) -> None:
        """New samples (``SAMPLE_DTYPE`` rows): take a pair at the first sample of each period."""
        if not len(rows):
            return
        t = rows["t_s"] - self.t0_host_s
        while True:
            due = np.flatnonzero(t >= self._next_s)
            if not len(due):
                return
            i = int(due[0])
            host = float(rows["t_s"][i])
            self.pairs.append((float(t[i]), float(rows["t_device_s"][i]), int(rows["epoch"][i]),
                               wall_at(self.clock, host, self.wall)))
            self._next_s = (np.floor(t[i] / self.every_s) + 1) * self.every_s

    def start_metadata(self) -> dict[str, object]:
        return {"t0_wall_clock": iso_local(self.t0_wall_s)}

    def metadata(self) -> dict[str, object]:
        pairs = "; ".join(f"{t:.4f} {d:.6f} {e} {iso_local(w)}" for t, d, e, w in self.pairs)
        return {**self.start_metadata(), "clock_pairs_columns": PAIR_COLUMNS,
                "clock_pairs": pairs or "none"}


def parse_pairs(text: str) -> list[tuple[float, float, int, datetime]]:
    """The ``clock_pairs`` metadata value back as (t_s, device_s, epoch, wall clock)."""
    out = []
    for item in text.split(";"):
        parts = item.split()
        if len(parts) == 4:
            out.append((float(parts[0]), float(parts[1]), int(parts[2]),
                        datetime.fromisoformat(parts[3])))
    return out
