"""Causal low-pass filtering with carried state, so chunked and whole-array input agree."""

from __future__ import annotations

import numpy as np
from scipy import signal


class CausalLowPass:
    """Butterworth SOS low-pass; the state is seeded from the first sample (no start-up step).

    The cut-off is capped at 0.4 × the sample rate so the filter stays valid at 10 Hz.
    """

    def __init__(self, rate_hz: float, cutoff_hz: float, order: int = 2) -> None:
        self.rate_hz = rate_hz
        self.cutoff_hz = min(cutoff_hz, 0.4 * rate_hz)
        self.sos = signal.butter(order, self.cutoff_hz, fs=rate_hz, output="sos")
        self._zi: np.ndarray | None = None

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter the next chunk (1-D); returns an array of the same length."""
        x = np.asarray(x, dtype=np.float64)
        if len(x) == 0:
            return x.copy()
        if self._zi is None:
            self._zi = signal.sosfilt_zi(self.sos) * x[0]
        y, self._zi = signal.sosfilt(self.sos, x, zi=self._zi)
        return y
