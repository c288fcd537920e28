"""Host zeroing of the head-motion sensor: "lie still for 2 s" (issue 17, HEAD-PROTOCOL.md).

The sensor reports device-absolute pitch and roll: a headband never sits level, so the host
takes the neutral as the mean over the first window of ``window_s`` in which the head stayed
still (every sample measured, no gap, pitch and roll each within ``max_range_deg``). The
flexion angle shown and analysed is ``pitch - neutral``. Fed sample by sample, in chunks or all
at once, ``HeadZeroing`` finds the same window and the same neutral.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

STILL_WINDOW_S = 2.0
"""How long the head must stay still (the calibration step's "lie still for 2 s")."""
STILL_MAX_RANGE_DEG = 1.0
"""Largest max-min of pitch (and of roll) in a still window. The MPU-6050's filtered noise is
~0.05–0.1° SD (range ~0.6° over 500 readings); a nod moves the head several degrees."""
MAX_GAP_S = 0.2
"""A longer stretch without a measured angle breaks the window (not measured is not still)."""

NEUTRAL_KEY = "head_neutral_deg"
"""Session CSV metadata key: ``pitch P roll R`` (degrees), or ``NO_NEUTRAL`` when none was found."""
NO_NEUTRAL = "none found (no still 2-s window): head angles not measured"


@dataclass(frozen=True, slots=True)
class HeadNeutral:
    """The resting head's device-absolute angles, and the still window they came from."""

    pitch_deg: float
    roll_deg: float
    from_s: float
    to_s: float

    def metadata_value(self) -> str:
        return f"pitch {self.pitch_deg:.2f} roll {self.roll_deg:.2f}"


def parse_neutral(text: str | None) -> tuple[float, float] | None:
    """(pitch, roll) from a ``head_neutral_deg`` value; None when it records no neutral."""
    if not text:
        return None
    parts = text.split()
    if len(parts) == 4 and parts[0] == "pitch" and parts[2] == "roll":
        try:
            pitch, roll = float(parts[1]), float(parts[3])
        except ValueError:
            return None
        if math.isfinite(pitch) and math.isfinite(roll):
            return pitch, roll
    return None


def neutral_from_text(text: str) -> HeadNeutral:
    """``PITCH,ROLL`` (degrees, each within ±180) as a neutral given, not found: its still
    window is unknown (NaN). ``ValueError`` with the reason otherwise."""
    parts = text.split(",")
    try:
        pitch, roll = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        pitch = roll = math.nan
    if not all(math.isfinite(v) and abs(v) <= 180.0 for v in (pitch, roll)):
        raise ValueError(f"not two angles PITCH,ROLL within ±180°: {text!r}")
    return HeadNeutral(pitch, roll, math.nan, math.nan)


class _Extreme:
    """Sliding-window max (or min) over appended values, with amortised O(1) updates."""

    def __init__(self, sign: float) -> None:
        self.sign = sign  # +1: max, -1: min
        self.items: deque[tuple[int, float]] = deque()

    def push(self, index: int, value: float) -> None:
        v = self.sign * value
        while self.items and self.items[-1][1] <= v:
            self.items.pop()
        self.items.append((index, v))

    def drop_before(self, index: int) -> None:
        while self.items and self.items[0][0] < index:
            self.items.popleft()

    def value(self) -> float:
        return self.sign * self.items[0][1]

    def clear(self) -> None:
        self.items.clear()


class HeadZeroing:
    """Finds the neutral in a stream of (t_s, pitch_deg, roll_deg); NaN = not measured."""

    def __init__(self, window_s: float = STILL_WINDOW_S,
                 max_range_deg: float = STILL_MAX_RANGE_DEG, max_gap_s: float = MAX_GAP_S):
        self.window_s = window_s
        self.max_range_deg = max_range_deg
        self.max_gap_s = max_gap_s
        self.neutral: HeadNeutral | None = None
        self._t: deque[float] = deque()
        self._p: deque[float] = deque()
        self._r: deque[float] = deque()
        self._first = 0  # index of the window's first sample
        self._n = 0  # samples seen
        self._ext = [_Extreme(1.0), _Extreme(-1.0), _Extreme(1.0), _Extreme(-1.0)]
        self._last_t: float | None = None

    def feed(self, t_s: np.ndarray, pitch_deg: np.ndarray,
             roll_deg: np.ndarray) -> HeadNeutral | None:
        """Consume samples; the neutral once found (later samples change nothing)."""
        if self.neutral is not None:
            return self.neutral
        for t, p, r in zip(np.asarray(t_s, float), np.asarray(pitch_deg, float),
                           np.asarray(roll_deg, float), strict=True):
            if self._step(float(t), float(p), float(r)):
                break
        return self.neutral

    def _reset(self) -> None:
        self._t.clear()
        self._p.clear()
        self._r.clear()
        for e in self._ext:
            e.clear()
        self._first = self._n

    def _step(self, t: float, p: float, r: float) -> bool:
        gap = self._last_t is not None and t - self._last_t > self.max_gap_s
        self._last_t = t
        if not (math.isfinite(p) and math.isfinite(r)):
            self._n += 1
            self._reset()
            return False
        if gap:
            self._reset()
        i = self._n
        self._n += 1
        self._t.append(t)
        self._p.append(p)
        self._r.append(r)
        for e, v in zip(self._ext, (p, p, r, r), strict=True):
            e.push(i, v)
        # shrink from the left until still again
        while (self._ext[0].value() - self._ext[1].value() > self.max_range_deg
               or self._ext[2].value() - self._ext[3].value() > self.max_range_deg):
            self._t.popleft()
            self._p.popleft()
            self._r.popleft()
            self._first += 1
            for e in self._ext:
                e.drop_before(self._first)
        if self._t[-1] - self._t[0] >= self.window_s - 1e-9:
            self.neutral = HeadNeutral(float(np.mean(self._p)), float(np.mean(self._r)),
                                       self._t[0], self._t[-1])
            return True
        return False


class StreamZeroing:
    """Zeroed (pitch, roll) for successive rows: from a given neutral, or from the first still
    2 s (``HeadZeroing``; rows up to that window's end: NaN however the stream was chunked).
    The one rule the session file, the app's trace and the LSL stream share."""

    def __init__(self, neutral: HeadNeutral | None = None) -> None:
        self.neutral = neutral
        self.zeroing = HeadZeroing() if neutral is None else None

    @property
    def found(self) -> bool:
        """The neutral comes (or will come) from the stream, not given."""
        return self.zeroing is not None

    def zero(self, t_s: np.ndarray, pitch: np.ndarray, roll: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        if self.zeroing is not None and self.neutral is None:
            self.neutral = self.zeroing.feed(t_s, pitch, roll)
        n = self.neutral
        if n is None:
            return np.full(len(t_s), np.nan), np.full(len(t_s), np.nan)
        zp, zr = pitch - n.pitch_deg, roll - n.roll_deg
        if self.zeroing is not None:
            early = np.asarray(t_s) <= n.to_s
            zp[early] = np.nan
            zr[early] = np.nan
        return zp, zr
