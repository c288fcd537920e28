"""What the views draw: the trace since connecting and the markers on it, in display time.

The controller appends each tick; views read windows of it when they repaint. Appending is
amortised O(new samples); reading a window is two binary searches and a slice (no copy).
Display time is seconds since the device was attached.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cctf import texts
from cctf.analysis.results import Event


class TraceStore:
    """Growing arrays ``t_s``, ``pressure_mmhg``, ``target_mmhg`` (NaN: no target), keeping
    at least the last ``keep_s`` seconds (older samples go when room is needed, so memory
    stays bounded at a few times ``keep_s`` of samples)."""

    def __init__(self, keep_s: float = 3600.0, initial_capacity: int = 65_536) -> None:
        self.keep_s = keep_s
        self._t = np.zeros(initial_capacity)
        self._p = np.zeros(initial_capacity)
        self._target = np.zeros(initial_capacity)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def clear(self) -> None:
        self._start = self._end = 0

    def extend(self, t_s: np.ndarray, pressure_mmhg: np.ndarray,
               target_mmhg: np.ndarray | None = None) -> None:
        n = len(t_s)
        if n == 0:
            return
        if self._end + n > len(self._t):
            self._make_room(n)
        a, b = self._end, self._end + n
        self._t[a:b] = t_s
        self._p[a:b] = pressure_mmhg
        self._target[a:b] = np.nan if target_mmhg is None else target_mmhg
        self._end = b

    def _make_room(self, n: int) -> None:
        """Drop samples older than ``keep_s``, compact to the front, grow if still short."""
        if self._end > self._start:
            cut = self._t[self._end - 1] - self.keep_s
            self._start += int(np.searchsorted(self._t[self._start:self._end], cut))
        live = self._end - self._start
        need = live + n
        size = len(self._t)
        if need > size // 2:
            size = max(2 * need, size)
        for name in ("_t", "_p", "_target"):
            old = getattr(self, name)
            new = old if size == len(old) else np.zeros(size)
            new[:live] = old[self._start:self._end]
            setattr(self, name, new)
        self._start, self._end = 0, live

    @property
    def latest_t_s(self) -> float:
        return float(self._t[self._end - 1]) if self._end > self._start else math.nan

    @property
    def latest_mmhg(self) -> float:
        return float(self._p[self._end - 1]) if self._end > self._start else math.nan

    @property
    def first_t_s(self) -> float:
        return float(self._t[self._start]) if self._end > self._start else math.nan

    def window(self, t_from: float, t_to: float = math.inf
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views (not copies) of the samples with ``t_from <= t < t_to``."""
        t = self._t[self._start:self._end]
        a = int(np.searchsorted(t, t_from, side="left"))
        b = len(t) if math.isinf(t_to) else int(np.searchsorted(t, t_to, side="left"))
        s = slice(self._start + a, self._start + b)
        return self._t[s], self._p[s], self._target[s]

    def value_at(self, t_s: float) -> float:
        """Pressure of the sample nearest at or before ``t_s`` (NaN if none)."""
        t = self._t[self._start:self._end]
        i = int(np.searchsorted(t, t_s, side="right")) - 1
        return float(self._p[self._start + i]) if 0 <= i < len(t) else math.nan


@dataclass(frozen=True, slots=True)
class Marker:
    """Something to mark on the trace, in display time.

    ``kind``: ``cue`` (a trial's start; text = the target), ``fault`` (detected), ``manual``
    (compensation marked by the therapist), ``user`` (a monitor marker), ``link`` (the link
    dropped or came back).
    """

    t_s: float
    kind: str
    text: str
    y_mmhg: float = math.nan


def event_marker(e: Event, t_s: float, y_at: Callable[[float], float]) -> Marker | None:
    """The trace's marker for an analysis event at display time ``t_s``: a trial's start, a
    fault, or a hypothesis flag ("breath?", to review); None for the others."""
    if e.kind == "trial_start":
        return Marker(t_s, "cue", f"{e.value:g}")
    if e.kind in ("fault", "flag"):
        words = texts.FAULT_SHORT if e.kind == "fault" else texts.FLAG_SHORT
        return Marker(t_s, "fault", words.get(e.type, e.type), y_at(t_s))
    return None


def peak_decimate(t: np.ndarray, p: np.ndarray, max_points: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points keeping each bin's minimum and maximum, so spikes and
    faults stay visible however long the window (the plot has only so many pixels)."""
    n = len(t)
    if n <= max_points or max_points < 4:
        return t, p
    per = -(-n // ((max_points - 1) // 2))  # samples per bin, rounded up: every sample counts
    bins = -(-n // per)  # the last bin may be partial
    pad = bins * per - n
    pp = np.concatenate((p, np.full(pad, p[-1]))).reshape(bins, per)
    tt = np.concatenate((t, np.full(pad, t[-1]))).reshape(bins, per)
    lo = pp.argmin(axis=1)
    hi = pp.argmax(axis=1)
    rows = np.arange(bins)
    first = np.minimum(lo, hi)
    second = np.maximum(lo, hi)
    out_t = np.empty(2 * bins)
    out_p = np.empty(2 * bins)
    out_t[0::2] = tt[rows, first]
    out_t[1::2] = tt[rows, second]
    out_p[0::2] = pp[rows, first]
    out_p[1::2] = pp[rows, second]
    # The newest sample always ends the line (a live trace must show it at once).
    return np.append(out_t, t[-1]), np.append(out_p, p[-1])


def column_decimate(t: np.ndarray, p: np.ndarray, column_s: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """A minimum and a maximum per pixel column of width ``column_s`` (in the order the trace
    goes: rising columns min first), when there are more than two samples per column; every
    sample otherwise. Columns are aligned to multiples of ``column_s``, so while the view
    scrolls a column keeps its samples and the drawn line does not shimmer. The newest sample
    always ends the line."""
    n = len(t)
    if n < 3 or not column_s > 0:
        return t, p
    cols = np.floor(t / column_s).astype(np.int64)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(cols)) + 1))
    if n <= 2 * len(starts):
        return t, p
    ends = np.concatenate((starts[1:], [n])) - 1
    lo = np.minimum.reduceat(p, starts)
    hi = np.maximum.reduceat(p, starts)
    rising = p[ends] >= p[starts]
    out_t = np.empty(2 * len(starts) + 1)
    out_p = np.empty_like(out_t)
    out_t[0:-1:2] = t[starts]
    out_t[1:-1:2] = t[ends]
    out_p[0:-1:2] = np.where(rising, lo, hi)
    out_p[1:-1:2] = np.where(rising, hi, lo)
    out_t[-1] = t[-1]
    out_p[-1] = p[-1]
    return out_t, out_p
