"""What the simulated firmware samples: a source of true cuff pressure over device time.

Sources are causal and stateful: ``pressure_mmhg`` is called with consecutive, increasing
chunks of device time, and ``cue`` tells a scripted patient which target is now shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class Cue:
    """One cued trial of a schedule: target shown from ``start_s`` to ``end_s`` (device time)."""

    start_s: float
    end_s: float
    target_mmhg: float
    phase: str  # "stage", "endurance", "training", "practice"


class PressureSource(Protocol):
    def pressure_mmhg(self, t_s: np.ndarray) -> np.ndarray:
        """True cuff pressure (mmHg gauge) at device times ``t_s`` (1-D, increasing)."""
        ...

    def cue(self, t_s: float, target_mmhg: float | None, phase: str = "") -> None:
        """From ``t_s`` on the patient is asked to hold ``target_mmhg`` (None: relax)."""
        ...


class ConstantSource:
    """A fixed pressure plus optional Gaussian noise; the simplest source for protocol tests."""

    def __init__(self, pressure_mmhg: float = 20.0, noise_mmhg: float = 0.0, seed: int = 0):
        self.level_mmhg = pressure_mmhg
        self.noise_mmhg = noise_mmhg
        self._rng = np.random.default_rng(seed)

    def pressure_mmhg(self, t_s: np.ndarray) -> np.ndarray:
        p = np.full(len(t_s), self.level_mmhg)
        if self.noise_mmhg:
            p += self._rng.normal(0.0, self.noise_mmhg, len(t_s))
        return p

    def cue(self, t_s: float, target_mmhg: float | None, phase: str = "") -> None:
        pass


class TraceSource:
    """Pressure interpolated from a trace (t_s, pressure_mmhg); holds the ends outside it."""

    def __init__(self, t_s: np.ndarray, pressure_mmhg: np.ndarray) -> None:
        self.t_s = np.asarray(t_s, dtype=float)
        self.p_mmhg = np.asarray(pressure_mmhg, dtype=float)

    def pressure_mmhg(self, t_s: np.ndarray) -> np.ndarray:
        return np.interp(t_s, self.t_s, self.p_mmhg)

    def cue(self, t_s: float, target_mmhg: float | None, phase: str = "") -> None:
        pass
