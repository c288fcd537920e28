"""A locked NumPy ring buffer of samples: the reader thread appends, consumers pull.

Each consumer keeps its own cursor (the total count of samples it has seen), so a recorder, the
live view and the analysis loop read the same stream independently. A consumer that falls more
than ``capacity`` samples behind is told how many it missed instead of silently skipping them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

SAMPLE_DTYPE = np.dtype(
    [
        ("seq", np.int64),  # device sequence number (restarts at 0 after a device reset)
        ("epoch", np.int32),  # increments at each device (re)start seen by the host
        ("t_device_s", np.float64),  # device clock, unwrapped, seconds since the device booted
        ("t_s", np.float64),  # host time line (clock.now() base), jitter-free, increasing
        ("raw", np.int32),  # sensor reading before calibration
        ("pressure_mmhg", np.float64),
        ("flags", np.uint8),
        # head-motion sensor (issue 17): device-absolute pitch/roll from the HEAD frame of the
        # same seq; NaN = not measured (no sensor, HEAD lost, fault, settling), never 0
        ("head_pitch_deg", np.float64),
        ("head_roll_deg", np.float64),
    ]
)
"""One row per sample; every column is a field of this structured dtype."""


def new_rows(n: int) -> np.ndarray:
    """``n`` zeroed rows whose head angles are NaN (not measured), not 0."""
    rows = np.zeros(n, dtype=SAMPLE_DTYPE)
    rows["head_pitch_deg"] = np.nan
    rows["head_roll_deg"] = np.nan
    return rows


@dataclass(frozen=True, slots=True)
class Pull:
    """What ``SampleBuffer.read`` returns: new rows, the cursor to pass next, rows missed."""

    rows: np.ndarray  # shape (n,), dtype SAMPLE_DTYPE
    cursor: int
    missed: int


class SampleBuffer:
    """Fixed-capacity ring of ``SAMPLE_DTYPE`` rows, safe for one writer and many readers."""

    def __init__(self, capacity: int = 120_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._data = new_rows(capacity)
        self._written = 0  # total rows ever appended
        self._lock = threading.Lock()
        self._grown = threading.Condition(self._lock)

    @property
    def written(self) -> int:
        """Total rows ever appended; a new consumer starts its cursor here to skip history."""
        with self._lock:
            return self._written

    def append(self, rows: np.ndarray) -> None:
        """Append rows (dtype SAMPLE_DTYPE); older rows are overwritten when full."""
        n = len(rows)
        if n == 0:
            return
        if n > self.capacity:
            rows = rows[-self.capacity :]
            skipped = n - self.capacity
        else:
            skipped = 0
        with self._lock:
            start = (self._written + skipped) % self.capacity
            first = min(len(rows), self.capacity - start)
            self._data[start : start + first] = rows[:first]
            if first < len(rows):
                self._data[: len(rows) - first] = rows[first:]
            self._written += n
            self._grown.notify_all()

    def wait_until_written(self, count: int, timeout_s: float) -> bool:
        """Block until ``written >= count`` or ``timeout_s`` real seconds pass; True if reached.

        For consumers on another thread that want to wake when data arrives instead of polling.
        """
        with self._grown:
            return self._grown.wait_for(lambda: self._written >= count, timeout_s)

    def read(self, cursor: int, max_rows: int | None = None) -> Pull:
        """Rows appended since ``cursor`` (a copy), oldest first."""
        with self._lock:
            written = self._written
            oldest = max(0, written - self.capacity)
            missed = max(0, oldest - cursor)
            start = max(cursor, oldest)
            end = written if max_rows is None else min(written, start + max_rows)
            rows = self._slice(start, end)
        return Pull(rows, end, missed)

    def latest(self, n: int) -> np.ndarray:
        """The newest ``n`` rows (fewer if the buffer holds fewer), oldest first."""
        with self._lock:
            end = self._written
            start = max(0, end - min(n, self.capacity))
            return self._slice(start, end)

    def _slice(self, start: int, end: int) -> np.ndarray:
        """Copy of rows [start, end) in total-count coordinates; caller holds the lock."""
        n = end - start
        if n <= 0:
            return np.zeros(0, dtype=SAMPLE_DTYPE)
        i = start % self.capacity
        if i + n <= self.capacity:
            return self._data[i : i + n].copy()
        return np.concatenate((self._data[i:], self._data[: n - (self.capacity - i)]))
