"""Home training: a prescription of holds at one level, cued, counted and summarised kindly.

The patient lies down and looks at a big screen: it shows whether the pressure is in the band,
too low or too high, counts the holds and times the rests. At the end, a short summary in plain
words (no jargon) with encouragement. Typical prescription: 10 × 10 s at a level, 2–3 times a
day, moving up a level when 10 × 10 s is done without substitution (Jull 2002).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from cctf import texts
from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.results import Event
from cctf.errors import ConfigError
from cctf.session.cued import Cue, CuedRunner, Fed, PlannedTrial
from cctf.session.soundtrack import Step

_GAP_PERIODS = 1.5  # a sample counts for at most this many sample periods (gaps count nothing)


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
    time_in_band_s: float  # in the band while holding (never more than time_holding_s)
    longest_hold_s: float
    message: str
    time_holding_s: float = 0.0  # time cued "hold" with samples
    stopped: bool = False  # ended before the last planned hold


class TrainingRunner(CuedRunner):
    """Cues ``reps`` holds at the prescribed level (phase ``training``: reported, not scored)."""

    def __init__(self, prescription: Prescription, rate_hz: float) -> None:
        cfg = AnalysisConfig(hold_s=prescription.hold_s, band_mmhg=prescription.band_mmhg)
        super().__init__(
            CcftAnalyzer(rate_hz, cfg), hold_s=prescription.hold_s,
            rest_s=prescription.rest_s, reach_allowance_s=prescription.reach_allowance_s,
        )
        self.prescription = prescription
        self.rate_hz = rate_hz
        self.steps: list[Step] = []  # every cue step, in order (the sound track follows it)
        self.time_holding_s = 0.0
        self.time_in_band_s = 0.0  # while holding
        self.stopped = False
        self._prev_t: float | None = None
        self._queue.extend(
            PlannedTrial("training", prescription.target_mmhg) for _ in range(prescription.reps)
        )

    # The base class assigns ``self.cue``; every change is logged as a sound-track step.
    @property
    def cue(self) -> Cue:
        return self._cue

    @cue.setter
    def cue(self, cue: Cue) -> None:
        self._cue = cue
        if cue.step == "setup":
            return
        since = cue.since_s if not math.isnan(cue.since_s) else (
            self.steps[-1].since_s if self.steps else 0.0)
        self.steps.append(Step(cue.step, since, cue.target_mmhg, self.reps_done,
                               self.prescription.reps, self._paused))

    def feed(self, t_s: np.ndarray, pressure_mmhg: np.ndarray,
             head_pitch_deg: np.ndarray | None = None) -> Fed:
        """As ``CuedRunner.feed``, and counts time holding and time in the band while holding
        (from the steps each sample was cued under; a gap between samples counts nothing)."""
        fed = super().feed(t_s, pressure_mmhg, head_pitch_deg)
        t = np.asarray(t_s, dtype=np.float64)
        if not len(t):
            return fed
        p = np.asarray(pressure_mmhg, dtype=np.float64)
        since = np.array([s.since_s for s in self.steps])
        which = np.searchsorted(since, t, side="right") - 1
        kinds = np.array([s.step for s in self.steps] or [""], dtype=object)
        holding = (which >= 0) & (kinds[np.maximum(which, 0)] == "hold")
        prev = self._prev_t if self._prev_t is not None else t[0]
        dt = np.diff(t, prepend=prev)
        dt = np.where(dt <= _GAP_PERIODS / self.rate_hz, dt, 0.0)
        in_band = np.abs(p - self.prescription.target_mmhg) <= self.prescription.band_mmhg
        self.time_holding_s += float(dt[holding].sum())
        self.time_in_band_s += float(dt[holding & in_band].sum())
        self._prev_t = float(t[-1])
        return fed

    def finish(self) -> list[Event]:
        """Stop (the patient stops, or the session is over): an early stop is noted, not
        blamed."""
        if not self.done:
            self.stopped = True
        return super().finish()

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
        longest = max((t.longest_hold_s for t in trials), default=0.0)
        holding = self.time_holding_s
        in_band = min(self.time_in_band_s, holding)
        return TrainingSummary(planned, done, in_band, longest,
                               encouragement(done, planned, longest, self.prescription.hold_s,
                                             stopped=self.stopped),
                               holding, self.stopped)


def encouragement(done: int, planned: int, longest_s: float, hold_s: float, *,
                  stopped: bool = False) -> str:
    """A short, plain-language summary: what was done, and a kind next step (never blame
    for stopping early)."""
    if stopped and done < planned:
        return texts.ENCOURAGE_STOPPED.format(done=done, planned=planned)
    if done >= planned:
        return texts.ENCOURAGE_ALL.format(planned=planned)
    if done >= planned * 0.7:
        return texts.ENCOURAGE_CLOSE.format(done=done, planned=planned)
    if done > 0:
        return texts.ENCOURAGE_SOME.format(done=done, planned=planned, longest_s=longest_s)
    return texts.ENCOURAGE_NONE.format(hold_s=hold_s)
