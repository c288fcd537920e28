"""Home training: a prescription of holds at one level, cued, counted and summarised kindly.

The patient lies down and looks at a big screen: it shows whether the pressure is in the band,
too low or too high, counts the holds and times the rests. At the end, a short summary in plain
words (no jargon) with encouragement. Typical prescription: 10 × 10 s at a level, 2–3 times a
day, moving up a level when 10 × 10 s is done without substitution (Jull 2002).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from cctf import texts
from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.errors import ConfigError
from cctf.session.cued import CuedRunner, PlannedTrial


@dataclass(frozen=True, slots=True)
class Prescription:
    """What the therapist prescribes (or the patient chooses)."""

    target_mmhg: float = 24.0
    reps: int = 10
    hold_s: float = 10.0
    rest_s: float = 10.0
    band_mmhg: float = 1.0
    reach_allowance_s: float = 8.0  # a gentle nod may take a while at home

    def __post_init__(self) -> None:
        limits = {"target_mmhg": (21, 40), "reps": (1, 30), "hold_s": (1, 60),
                  "rest_s": (1, 120), "band_mmhg": (0.5, 5), "reach_allowance_s": (1, 30)}
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi = limits[f.name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and lo <= value <= hi
            ):
                raise ConfigError(f"{f.name} must be between {lo} and {hi}, got {value!r}")


@dataclass(frozen=True, slots=True)
class TrainingSummary:
    reps_planned: int
    reps_done: int  # holds completed
    time_in_band_s: float
    longest_hold_s: float
    message: str


class TrainingRunner(CuedRunner):
    """Cues ``reps`` holds at the prescribed level (phase ``training``: reported, not scored)."""

    def __init__(self, prescription: Prescription, rate_hz: float) -> None:
        cfg = AnalysisConfig(hold_s=prescription.hold_s, band_mmhg=prescription.band_mmhg)
        super().__init__(
            CcftAnalyzer(rate_hz, cfg), hold_s=prescription.hold_s,
            rest_s=prescription.rest_s, reach_allowance_s=prescription.reach_allowance_s,
        )
        self.prescription = prescription
        self._queue.extend(
            PlannedTrial("training", prescription.target_mmhg) for _ in range(prescription.reps)
        )

    def band_status(self, pressure_mmhg: float) -> str:
        """"in", "low" or "high" against the current target (or "" when resting)."""
        if self.cue.step not in ("nod", "hold", "relax") or math.isnan(pressure_mmhg):
            return ""
        dev = pressure_mmhg - self.cue.target_mmhg
        if abs(dev) <= self.prescription.band_mmhg:
            return "in"
        return "low" if dev < 0 else "high"

    @property
    def reps_done(self) -> int:
        return sum(1 for t in self.trials if t.held and not t.superseded)

    def summary(self) -> TrainingSummary:
        trials = self.trials
        done = self.reps_done
        planned = self.prescription.reps
        in_band = sum(t.time_in_band_s for t in trials)
        longest = max((t.longest_hold_s for t in trials), default=0.0)
        return TrainingSummary(planned, done, in_band, longest,
                               encouragement(done, planned, longest, self.prescription.hold_s))


def encouragement(done: int, planned: int, longest_s: float, hold_s: float) -> str:
    """A short, plain-language summary: what was done, and a kind next step."""
    if done >= planned:
        return texts.ENCOURAGE_ALL.format(planned=planned)
    if done >= planned * 0.7:
        return texts.ENCOURAGE_CLOSE.format(done=done, planned=planned)
    if done > 0:
        return texts.ENCOURAGE_SOME.format(done=done, planned=planned, longest_s=longest_s)
    return texts.ENCOURAGE_NONE.format(hold_s=hold_s)
