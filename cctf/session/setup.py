"""Set-up guidance: inflate the cuff to the baseline, let the backflow settle, re-inflate.

The Stabilizer manual: inflate to 20 mmHg; air flows back into the tube at first, so the
pressure drops; squeeze, re-inflate, repeat 2–3 times, and re-inflate before starting. The
guide watches the last seconds of pressure and says which of those steps applies now.

    guide = SetupGuide(baseline_mmhg=20.0)
    status = guide.update(t_s, pressure_mmhg)      # each timer tick, the new samples
    status.state                                   # "ready" when steady at the baseline

Clock-free like the runners: time is the samples' ``t_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cctf import texts
from cctf.analysis.median import median

SETUP_STATES = ("waiting", "deflated", "low", "high", "settling", "falling", "steadying", "ready")


@dataclass(frozen=True, slots=True)
class SetupStatus:
    state: str  # one of SETUP_STATES
    level_mmhg: float = math.nan  # median pressure over the last ``window_s``
    slope_mmhg_per_min: float = math.nan  # least-squares slope over the last ``slope_window_s``
    steady_s: float = 0.0  # how long the pressure has been steady at the baseline

    @property
    def ready(self) -> bool:
        return self.state == "ready"


class SetupGuide:
    """Classifies the cuff pressure during set-up (all thresholds are named defaults, assumed:
    no source gives numbers)."""

    def __init__(
        self,
        baseline_mmhg: float = 20.0,
        tolerance_mmhg: float = 1.0,
        *,
        window_s: float = 2.0,
        slope_window_s: float = 8.0,
        falling_mmhg_per_min: float = 4.0,
        deflated_below_mmhg: float = 5.0,
        ready_after_s: float = 3.0,
    ) -> None:
        self.baseline_mmhg = baseline_mmhg
        self.tolerance_mmhg = tolerance_mmhg
        self.window_s = window_s
        self.slope_window_s = slope_window_s
        self.falling_mmhg_per_min = falling_mmhg_per_min
        self.deflated_below_mmhg = deflated_below_mmhg
        self.ready_after_s = ready_after_s
        self._t = np.zeros(0)
        self._p = np.zeros(0)
        self._steady_since: float | None = None
        self.status = SetupStatus("waiting")

    def update(self, t_s: np.ndarray, pressure_mmhg: np.ndarray) -> SetupStatus:
        t = np.asarray(t_s, dtype=np.float64)
        p = np.asarray(pressure_mmhg, dtype=np.float64)
        if len(t) == 0:
            return self.status
        self._t = np.concatenate((self._t, t))
        self._p = np.concatenate((self._p, p))
        keep = self._t >= self._t[-1] - max(self.window_s, self.slope_window_s)
        self._t, self._p = self._t[keep], self._p[keep]
        now = float(self._t[-1])
        recent = self._t >= now - self.window_s
        level = median(self._p[recent])
        slope = self._slope_per_min()
        state = self._classify(level, slope)
        still = not math.isnan(slope) and abs(slope) <= self.falling_mmhg_per_min
        if state == "steadying" and still:
            if self._steady_since is None:
                self._steady_since = now
            if now - self._steady_since >= self.ready_after_s:
                state = "ready"
        else:
            self._steady_since = None
        steady = 0.0 if self._steady_since is None else now - self._steady_since
        self.status = SetupStatus(state, level, slope, steady)
        return self.status

    def _slope_per_min(self) -> float:
        t, p = self._t, self._p
        if len(t) < 3 or t[-1] - t[0] < 0.5 * self.slope_window_s:
            return math.nan
        tc = t - t.mean()
        return float(tc @ (p - p.mean()) / (tc @ tc)) * 60.0

    def _classify(self, level: float, slope: float) -> str:
        lo = self.baseline_mmhg - self.tolerance_mmhg
        hi = self.baseline_mmhg + self.tolerance_mmhg
        falling = not math.isnan(slope) and slope < -self.falling_mmhg_per_min
        if level < self.deflated_below_mmhg:
            return "deflated"
        if falling:
            # Above the baseline a fall is the expected backflow; at or below it, re-inflate.
            return "settling" if level > hi else "falling"
        if level < lo:
            return "low"
        if level > hi:
            return "high"
        return "steadying"


def start_warning(status: SetupStatus, baseline_mmhg: float) -> str | None:
    """What the set-up guide says when starting now would be on an unsettled cuff (a drifting
    rest level can fail trials), else None: the app asks before it starts."""
    if status.ready:
        return None
    return texts.SETUP_STATE[status.state].format(level=status.level_mmhg,
                                                  baseline=baseline_mmhg)
