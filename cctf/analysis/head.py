"""Head motion in a trial (issue 17): the craniocervical flexion angle at the hold, its
steadiness, and compensation signatures from angle + pressure — all HYPOTHESES.

Input is the zeroed head pitch (degrees, + = chin towards chest; NaN = not measured) of one
trial's samples, with the index at which the pressure reached its band. No published threshold
separates a proper nod from a retraction or a chin poke by angle; the numbers in
``AnalysisConfig`` (``head_*``) are cctf's assumptions, documented in docs/analysis.md.
A trial's figures depend only on its own samples (and the rest window before its cue), so the
streaming engine gives the same answer for any chunking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.median import median
from cctf.analysis.results import Fault, TrialResult

HEAD_FLAG_TYPES = ("retraction", "chin_poke")
"""Hypothesis flags from the head angle (never fail a trial unless the therapist confirms)."""


@dataclass(slots=True)
class HeadEvaluation:
    rest_deg: float = math.nan  # median pitch over the rest window before the cue
    hold_deg: float = math.nan  # mean pitch over the hold window: flexion at the hold
    hold_sd_deg: float = math.nan  # its SD: steadiness
    gain_deg: float = math.nan  # hold - rest: the flexion the nod added
    lift_motion: bool | None = None  # the head rose well above its hold (None: not measured)
    flags: list[Fault] = field(default_factory=list)


def rest_angle(pitch: np.ndarray, cfg: AnalysisConfig) -> float:
    """The resting angle from the pitch over the rest window; NaN when too little of it was
    measured."""
    ok = np.isfinite(pitch)
    if not len(pitch) or ok.mean() < cfg.head_min_measured_fraction:
        return math.nan
    return median(pitch[ok])


def evaluate_head(t: np.ndarray, pitch: np.ndarray, reach_idx: int | None, rest_deg: float,
                  rest_mmhg: float, hold_mean_mmhg: float, cfg: AnalysisConfig) -> HeadEvaluation:
    """Head figures and hypothesis flags of one finished trial."""
    ev = HeadEvaluation(rest_deg=rest_deg)
    if reach_idx is None or not len(t):
        return ev
    after = slice(reach_idx, len(t))
    ta, pa = t[after], pitch[after]
    hold = ta <= ta[0] + cfg.hold_s + 1e-9
    hp = pa[hold]
    measured = np.isfinite(hp)
    if measured.mean() >= cfg.head_min_measured_fraction:
        ev.hold_deg = float(np.mean(hp[measured]))
        ev.hold_sd_deg = float(np.std(hp[measured]))
        ev.gain_deg = ev.hold_deg - rest_deg  # NaN when the rest was not measured
    # Reference for movement during the hold: the pitch just after reaching the band.
    first = pa[ta <= ta[0] + cfg.head_reference_s]
    first = first[np.isfinite(first)]
    if np.isfinite(pa).mean() >= cfg.head_min_measured_fraction and len(first):
        ref = median(first)
        lift = _longest_run(ta, pa > ref + cfg.head_lift_motion_deg)
        ev.lift_motion = lift[1] >= cfg.head_lift_min_s
        poke_start, poke_s = _longest_run(ta, pa < ref - cfg.head_chin_poke_deg)
        if poke_s >= cfg.head_chin_poke_min_s:
            depth = ref - float(np.nanmin(pa))
            ev.flags.append(Fault("chin_poke", poke_start, depth))
    nod_mmhg = hold_mean_mmhg - rest_mmhg
    if (math.isfinite(ev.gain_deg) and math.isfinite(nod_mmhg)
            and nod_mmhg >= cfg.head_min_nod_mmhg
            and ev.gain_deg < cfg.head_retraction_deg_per_mmhg * nod_mmhg):
        ev.flags.append(Fault("retraction", float(ta[0]), ev.gain_deg))
    return ev


def apply_head(trial: TrialResult, ev: HeadEvaluation) -> None:
    """Record the head figures and flags on the trial (flags keep any earlier review)."""
    trial.head_rest_deg = ev.rest_deg
    trial.head_flexion_deg = ev.hold_deg
    trial.head_flexion_sd_deg = ev.hold_sd_deg
    trial.head_flexion_gain_deg = ev.gain_deg
    trial.head_lift_motion = ev.lift_motion
    trial.flags = [f for f in trial.flags if f.type not in HEAD_FLAG_TYPES] + ev.flags


def _longest_run(t: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(start time, duration) of the longest run of True (NaN compares False: breaks runs)."""
    if not mask.any():
        return math.nan, 0.0
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    spans = t[ends] - t[starts]
    k = int(np.argmax(spans))
    return float(t[starts[k]]), float(spans[k])


@dataclass(frozen=True, slots=True)
class FlexionSlope:
    """Flexion gained per mmHg of nod across the stages: least squares, with its fit."""

    slope_deg_per_mmhg: float
    intercept_deg: float
    r2: float
    n_stages: int

    def to_dict(self) -> dict[str, float | int]:
        return {"slope_deg_per_mmhg": round(self.slope_deg_per_mmhg, 3),
                "intercept_deg": round(self.intercept_deg, 3),
                "r2": round(self.r2, 3), "n_stages": self.n_stages}


def flexion_slope(trials: list[TrialResult], cfg: AnalysisConfig) -> FlexionSlope | None:
    """The angle-per-mmHg relation over the reached stage trials whose angle was measured;
    None with fewer than ``head_slope_min_trials`` of them or no spread in pressure."""
    xs: list[float] = []
    ys: list[float] = []
    for tr in trials:
        if tr.phase != "stage" or tr.superseded or not tr.reached:
            continue
        nod_mmhg = tr.hold_mean_mmhg - tr.rest_mmhg
        gain_deg = tr.head_flexion_gain_deg
        if math.isfinite(nod_mmhg) and math.isfinite(gain_deg):
            xs.append(nod_mmhg)
            ys.append(gain_deg)
    if len(xs) < cfg.head_slope_min_trials:
        return None
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx < 1e-9:
        return None
    slope = float(xc @ (y - y.mean())) / sxx
    intercept = float(y.mean() - slope * x.mean())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    ss_res = float(((y - (intercept + slope * x)) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 1e-12 else 1.0
    return FlexionSlope(slope, intercept, r2, len(xs))


def stage_angles(trials: Sequence[TrialResult]) -> list[tuple[float, float]]:
    """(target mmHg, flexion at the hold °) of the stage trials in order, repeated ones left
    out; NaN = not measured. What the live panel and the progress report list per stage."""
    return [(t.target_mmhg, t.head_flexion_deg) for t in trials
            if t.phase == "stage" and not t.superseded]
