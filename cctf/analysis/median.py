"""``np.median`` bit for bit, without its first call importing ``numpy.ma``.

``np.median`` checks for NaN through ``numpy.ma`` (10–15 ms per process, imported on first
use): on the way to the app's first frame and in every ``cctf analyze`` (issue 14). Both
functions partition at the middle and average the two middle values as ``np.median`` does,
(a + b) / 2, so the results are the same bits (tests/test_median.py). A long array's likely
median is checked by counting first (an hour's sample intervals: 12 ms → 0.5 ms).
"""

from __future__ import annotations

import math

import numpy as np

_CHECK_MIN = 4096  # from this length a likely median is checked before partitioning
_SAMPLE = 255  # values the likely median is taken from


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a 1-D float array; NaN if any value is NaN (or none)."""
    n = len(x)
    if n == 0 or np.isnan(x).any():
        return math.nan
    half = n // 2
    if n >= _CHECK_MIN:
        likely = _tied_median(x, half)
        if likely is not None:
            return likely
    if n % 2:
        return float(np.partition(x, half)[half])
    part = np.partition(x, (half - 1, half))
    return float((part[half - 1] + part[half]) / 2.0)


def column_medians(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=0)`` of a 2-D float array with at least one row; NaN in a column
    with a NaN."""
    n = x.shape[0]
    half = n // 2
    if n % 2:
        out = np.partition(x, half, axis=0)[half]
    else:
        part = np.partition(x, (half - 1, half), axis=0)
        out = (part[half - 1] + part[half]) / 2.0
    nan = np.isnan(x).any(axis=0)
    if nan.any():
        out = np.where(nan, np.nan, out)
    return out


def _tied_median(x: np.ndarray, half: int) -> float | None:
    """The median when the middle value(s) equal the median of an even sample of ``x`` (the
    intervals of a sampled recording: a few distinct values, ``estimate_rate_hz`` over an
    hour's 360 000), found by two counts instead of partitioning all of ``x``; None when not.

    A value ``c`` is the k-th smallest exactly when fewer than k+1 values are below it and
    more than k are at most it; both middle values then are ``c`` and (c + c) / 2 is ``c``.
    Zero is left to the partition (0.0 and -0.0 are equal but not the same bits)."""
    step = max(1, len(x) // _SAMPLE)
    sample = x[::step]
    c = float(np.partition(sample, len(sample) // 2)[len(sample) // 2])
    if c == 0.0 or not abs(c) < 1e300:  # c + c must not overflow
        return None
    below = int(np.count_nonzero(x < c))
    at_most = below + int(np.count_nonzero(x == c))
    low = half if len(x) % 2 else half - 1  # the middle value(s): positions low .. half
    return c if below <= low and half < at_most else None
