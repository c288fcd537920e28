"""What the analysis produces: live events, per-trial results and the session's scores."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FAULT_TYPES = ("undershoot", "overshoot", "fast_rise", "pressure_drop", "unsteady", "head_lift",
               "signal_gap")
SESSION_EVENT_TYPES = ("baseline_off", "leak", "signal_gap")
SCORED_PHASES = ("stage", "endurance")
FLAG_TYPES = ("breath_hold", "retraction", "chin_poke")  # hypothesis flags: never fail a trial
# unless confirmed (retraction, chin_poke: from the optional head sensor, issue 17)


@dataclass(frozen=True, slots=True)
class Fault:
    """A compensation fault (or a session event): what, when (session ``t_s``), how much."""

    type: str
    t_s: float
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "t_s": _r(self.t_s), "value": _r(self.value)}


@dataclass(frozen=True, slots=True)
class Event:
    """A live event, emitted by ``update`` the moment the data decides it.

    ``kind`` is ``trial_start``, ``reached``, ``held``, ``hold_broken``, ``fault``,
    ``flag`` (a hypothesis, e.g. ``breath_hold``: value its length so far, s),
    ``trial_end`` or ``session``. ``type`` names the fault or session event, and for
    ``trial_start``/``trial_end`` the trial's phase. ``value``: the fault's or session event's
    value; the target for ``trial_start``; 1.0 if the trial passed (else 0.0) for ``trial_end``.
    """

    kind: str
    t_s: float
    trial: int | None = None
    type: str = ""
    value: float = math.nan


@dataclass(slots=True)
class TrialResult:
    index: int
    phase: str
    target_mmhg: float
    cue_start_s: float
    cue_end_s: float
    rest_mmhg: float
    reached: bool = False
    held: bool = False
    passed: bool = False
    faults: list[Fault] = field(default_factory=list)
    time_to_reach_s: float = math.nan
    rise_time_s: float = math.nan
    hold_mean_mmhg: float = math.nan
    hold_sd_mmhg: float = math.nan
    longest_hold_s: float = 0.0
    shortfall_mmhg: float = math.nan
    time_in_band_s: float = 0.0
    peak_mmhg: float = math.nan
    manual_faults: list[str] = field(default_factory=list)  # compensation marked by hand
    verdict_override: bool | None = None  # the therapist's verdict, replacing the computed one
    superseded: bool = False  # repeated by the therapist: kept in the record, not scored
    interrupted: bool = False  # still running when the session ended: never passed, not scored

    @property
    def number(self) -> int:
        """The trial's number as people see it (from 1); ``index`` counts from 0."""
        return self.index + 1
    # Hypothesis flags (possible breath holding): shown, never failing the trial by themselves;
    # the therapist confirms (True: then it fails like a hand mark) or dismisses (False) them.
    flags: list[Fault] = field(default_factory=list)
    flag_review: dict[str, bool] = field(default_factory=dict)
    breath_ripple_ratio: float = math.nan  # lowest hold/rest ripple power; NaN: not measured
    # Head motion (optional sensor, issue 17): degrees of zeroed pitch; NaN / None: not measured
    head_rest_deg: float = math.nan  # before the cue
    head_flexion_deg: float = math.nan  # mean over the hold: craniocervical flexion at the hold
    head_flexion_sd_deg: float = math.nan  # its SD over the hold: steadiness
    head_flexion_gain_deg: float = math.nan  # hold - rest: the flexion the nod added
    head_lift_motion: bool | None = None  # the head rose > head_lift_motion_deg above its hold

    @property
    def scored(self) -> bool:
        return self.phase in SCORED_PHASES and not self.superseded and not self.interrupted

    @property
    def measured_passed(self) -> bool:
        """The verdict before any override: held, no fault, no compensation marked by hand or
        confirmed by the therapist (a hypothesis flag), and not interrupted (an interrupted
        trial was not measured to the end)."""
        return (self.held and not self.faults and not self.manual_faults and not self.interrupted
                and not any(self.flag_review.get(f.type) for f in self.flags))

    def settle(self) -> None:
        """Recompute ``passed`` from the measured verdict, hand marks and any override. An
        interrupted trial never passes (its verdict was not measured)."""
        measured = self.measured_passed
        self.passed = measured if self.verdict_override is None else self.verdict_override
        if self.interrupted:
            self.passed = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "number": self.number,
            "phase": self.phase,
            "target_mmhg": _r(self.target_mmhg),
            "cue_start_s": _r(self.cue_start_s),
            "cue_end_s": _r(self.cue_end_s),
            "reached": self.reached,
            "held": self.held,
            "passed": self.passed,
            "faults": [f.to_dict() for f in self.faults],
            "manual_faults": list(self.manual_faults),
            "verdict_override": self.verdict_override,
            "superseded": self.superseded,
            "interrupted": self.interrupted,
            "rest_mmhg": _r(self.rest_mmhg),
            "peak_mmhg": _r(self.peak_mmhg),
            "time_to_reach_s": _r(self.time_to_reach_s),
            "rise_time_s": _r(self.rise_time_s),
            "hold_mean_mmhg": _r(self.hold_mean_mmhg),
            "hold_sd_mmhg": _r(self.hold_sd_mmhg),
            "longest_hold_s": _r(self.longest_hold_s),
            "shortfall_mmhg": _r(self.shortfall_mmhg),
            "time_in_band_s": _r(self.time_in_band_s),
            "hypothesis_flags": [
                {**f.to_dict(), "hypothesis": True, "review": _review(self.flag_review, f.type)}
                for f in self.flags
            ],
            "breath_ripple_ratio": _r(self.breath_ripple_ratio),
            "head_rest_deg": _r(self.head_rest_deg),
            "head_flexion_deg": _r(self.head_flexion_deg),
            "head_flexion_sd_deg": _r(self.head_flexion_sd_deg),
            "head_flexion_gain_deg": _r(self.head_flexion_gain_deg),
            "head_lift_motion": self.head_lift_motion,
        }


@dataclass(slots=True)
class SessionResult:
    """Scores are ``None`` when the data cannot support them (not measured is not zero)."""

    baseline_mmhg: float
    trials: list[TrialResult]
    session_events: list[Fault]
    activation_score_mmhg: float | None
    performance_index: float | None
    rate_hz: float = math.nan
    complete: bool = True  # did all it set out to do (``cctf.analysis.scoring``)
    ended_early_s: float | None = None  # the test was ended early at this session time
    # The optional head sensor (issue 17): whether the data had head angles, and the flexion
    # per mmHg across the stages (a FlexionSlope; None when not measured)
    head_measured: bool = False
    head_slope: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_mmhg": _r(self.baseline_mmhg),
            "trials": [t.to_dict() for t in self.trials],
            "session_events": [e.to_dict() for e in self.session_events],
            "activation_score_mmhg": _num(self.activation_score_mmhg),
            "performance_index": _num(self.performance_index),
            "rate_hz": _r(self.rate_hz),
            "complete": self.complete,
            "ended_early_s": _r(self.ended_early_s),
            "head_measured": self.head_measured,
            "head_angle_per_mmhg": self.head_slope.to_dict() if self.head_slope else None,
        }


def _r(x: float | None) -> float | None:
    """JSON-friendly: 3 decimals, NaN as null."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 3)


def _review(reviews: dict[str, bool], flag_type: str) -> str | None:
    """"confirmed", "dismissed" or None (not reviewed yet)."""
    if flag_type not in reviews:
        return None
    return "confirmed" if reviews[flag_type] else "dismissed"


def _num(x: float | None) -> int | float | None:
    """A score: whole numbers as int, ``None`` (not measured) as null."""
    if x is None or math.isnan(x):
        return None
    return int(x) if float(x).is_integer() else round(float(x), 3)
