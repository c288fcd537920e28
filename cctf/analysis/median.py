"""``np.median`` bit for bit, without its first call importing ``numpy.ma``.

``np.median`` checks for NaN through ``numpy.ma`` (10–15 ms per process, imported on first
use): on the way to the app's first frame and in every ``cctf analyze`` (issue 14). Both
functions partition at the middle and average the two middle values as ``np.median`` does,
(a + b) / 2, so the results are the same bits (tests/test_median.py).
"""

from __future__ import annotations

import math

import numpy as np


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a 1-D float array; NaN if any value is NaN (or none)."""
    n = len(x)
    if n == 0 or np.isnan(x).any():
        return math.nan
    half = n // 2
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
