"""Judge one cued trial from its samples: reach, holds, faults and the clinician's figures.

``evaluate_trial`` is a pure function of the trial's samples so far. Every fact it reports
carries the index of the sample that decided it and depends only on samples up to that index,
so evaluating a growing prefix reports a growing subset of the same facts. That is what makes
the streaming engine give identical answers for any chunking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.runs import (
    EPS,
    crossing_time,
    detrended_sd,
    first_run,
    first_true,
    gap_breaks,
    mean,
)

Arr = np.ndarray


@dataclass(frozen=True, slots=True)
class Fact:
    """Something decided at sample ``decided`` (``n`` = only at the trial's end)."""

    decided: int
    kind: str  # "reached", "held", "hold_broken", "fault"
    t_s: float
    type: str = ""
    value: float = math.nan

    @property
    def key(self) -> tuple[str, str, float]:
        return (self.kind, self.type, self.t_s)


@dataclass(slots=True)
class TrialEvaluation:
    facts: list[Fact] = field(default_factory=list)
    reach_idx: int | None = None
    held: bool = False
    peak_mmhg: float = math.nan
    rise_time_s: float = math.nan
    hold_mean_mmhg: float = math.nan
    hold_sd_mmhg: float = math.nan
    longest_hold_s: float = 0.0
    time_in_band_s: float = 0.0


def evaluate_trial(
    t: np.ndarray,
    pf: np.ndarray,
    target_mmhg: float,
    rest_mmhg: float,
    dt: float,
    cfg: AnalysisConfig,
    final: bool,
    next_t_s: float | None = None,
) -> TrialEvaluation:
    """Facts and figures of a trial from its samples (t, low-passed pressure) so far.

    ``final`` marks that the trial has ended: facts that can only be decided then (never
    reached, an unsteady hold still open) are added with ``decided = len(t)``. ``next_t_s``:
    the time of the first sample after the trial (if any), so that a signal gap the trial
    ended in is seen.

    Time without samples never counts: a signal gap (samples further apart than
    ``cfg.gap_s(dt)``) splits every run and every hold attempt, and a gap before the hold
    completed (or before the trial ended, if it never held) is a ``signal_gap`` fault.
    """
    n = len(t)
    ev = TrialEvaluation()
    if n == 0:
        return ev
    target = target_mmhg
    dev = pf - target
    in_band = np.abs(dev) <= cfg.band_mmhg
    ev.peak_mmhg = float(pf.max())
    ev.time_in_band_s = float(in_band.sum()) * dt
    facts = ev.facts
    breaks = gap_breaks(t, cfg.gap_s(dt))

    _overshoot(t, pf, target, dt, cfg, facts, breaks)
    _head_lift(t, pf, rest_mmhg, dt, cfg, facts, breaks)
    _fast_rise(t, pf, target, rest_mmhg, cfg, facts, ev)

    reach = first_true(in_band)
    ev.reach_idx = reach
    if reach is None:
        _signal_gaps(t, breaks, None, cfg.gap_s(dt), final, next_t_s, facts)
        if final:
            peak_i = int(np.argmax(pf))
            facts.append(Fact(n, "fault", float(t[peak_i]), "undershoot", target - ev.peak_mmhg))
        return _sorted(ev)
    facts.append(Fact(reach, "reached", float(t[reach])))
    completed_at, first_window = _holds(t, dev, in_band, reach, dt, cfg, ev, breaks)
    _signal_gaps(t, breaks, completed_at, cfg.gap_s(dt), final, next_t_s, facts)
    _pressure_drop(t, pf, target, reach, completed_at, dt, cfg, facts, breaks)

    # The first hold attempt's window: from reaching until it completes or fails (or the end).
    if first_window is not None or final:
        end, decided = first_window if first_window is not None else (n - 1, n)
        window = slice(reach, end + 1)
        ev.hold_mean_mmhg = float(mean(pf[window]))
        ev.hold_sd_mmhg = detrended_sd(t[window], pf[window])
        if ev.hold_sd_mmhg > cfg.unsteady_sd_mmhg:
            facts.append(Fact(decided, "fault", float(t[reach]), "unsteady", ev.hold_sd_mmhg))
    return _sorted(ev)


def _sorted(ev: TrialEvaluation) -> TrialEvaluation:
    order = {"reached": 0, "hold_broken": 1, "held": 2, "fault": 3}
    ev.facts.sort(key=lambda f: (f.decided, order[f.kind], f.type))
    return ev


def _signal_gaps(
    t: Arr, breaks: Arr, completed_at: int | None, gap_s: float, final: bool,
    next_t_s: float | None, facts: list[Fact],
) -> None:
    """Each gap before the hold completed (or in a trial that never held) is a fault, decided
    at the first sample after it; so is a gap the trial ended in, decided at its end."""
    last = len(t) - 1 if completed_at is None else completed_at
    for j in np.flatnonzero(breaks[: last + 1]):
        facts.append(Fact(int(j), "fault", float(t[j - 1]), "signal_gap",
                          float(t[j] - t[j - 1])))
    if (final and completed_at is None and next_t_s is not None
            and next_t_s - t[-1] > gap_s + EPS):
        facts.append(Fact(len(t), "fault", float(t[-1]), "signal_gap", next_t_s - float(t[-1])))


def _overshoot(
    t: Arr, pf: Arr, target: float, dt: float, cfg: AnalysisConfig, facts: list[Fact],
    breaks: Arr,
) -> None:
    run = first_run(pf > target + cfg.overshoot_mmhg, t, dt, cfg.overshoot_min_s, breaks=breaks)
    if run is not None:
        first, decided = run
        facts.append(Fact(decided, "fault", float(t[first]), "overshoot",
                          float(pf[: decided + 1].max()) - target))


def _head_lift(
    t: Arr, pf: Arr, rest: float, dt: float, cfg: AnalysisConfig, facts: list[Fact],
    breaks: Arr,
) -> None:
    run = first_run(pf < rest - cfg.head_lift_mmhg, t, dt, cfg.head_lift_min_s, breaks=breaks)
    if run is not None:
        first, decided = run
        facts.append(Fact(decided, "fault", float(t[first]), "head_lift",
                          rest - float(pf[first : decided + 1].min())))


def _fast_rise(
    t: Arr, pf: Arr, target: float, rest: float, cfg: AnalysisConfig, facts: list[Fact],
    ev: TrialEvaluation,
) -> None:
    step = target - rest
    if step <= cfg.fast_rise_min_step_mmhg:
        return
    lo, hi = rest + 0.1 * step, rest + 0.9 * step
    j90 = first_true(pf >= hi)
    if j90 is None:
        return
    below = np.flatnonzero(pf[:j90] < lo)
    if len(below):
        i10 = int(below[-1]) + 1  # first sample at/above 10 % after the last one below it
        t10 = crossing_time(t, pf, i10, lo)
    else:
        t10 = float(t[0])  # already on the way up when the cue came
    t90 = crossing_time(t, pf, j90, hi)
    ev.rise_time_s = t90 - t10
    if ev.rise_time_s < cfg.fast_rise_s - EPS:
        facts.append(Fact(j90, "fault", t10, "fast_rise", ev.rise_time_s))


def _holds(
    t: Arr, dev: Arr, in_band: Arr, reach: int, dt: float, cfg: AnalysisConfig,
    ev: TrialEvaluation, breaks: Arr,
) -> tuple[int | None, tuple[int, int] | None]:
    """Walk the hold attempts. Returns the index the first completed hold completed at, and
    the first attempt's window as (last sample, deciding sample), each None if not (yet) known.

    A failed attempt's window ends at its last in-band sample before the excursion that broke
    it: the breaking excursion is not part of the hold (and its depth would otherwise depend on
    where the samples happen to fall, i.e. on the rate). A signal gap breaks an attempt at the
    first sample after it, which may start the next attempt at once."""
    n = len(t)
    out = ~in_band
    far = np.abs(dev) > cfg.hold_limit_mmhg
    start: int | None = reach
    first_window: tuple[int, int] | None = None
    while start is not None:
        due = int(np.searchsorted(t, t[start] + cfg.hold_s - dt - EPS))  # first j done
        complete = due if due < n else None
        b_far = first_true(far, start)
        run = first_run(out, t, dt, cfg.excursion_tolerance_s, start, breaks=breaks)
        b_out = run[1] if run is not None else None
        b_gap = first_true(breaks, start + 1)
        broken = min((b for b in (b_far, b_out) if b is not None), default=None)
        if b_gap is not None and (broken is None or b_gap <= broken) and (
                complete is None or b_gap <= complete):
            # The gap comes first: the attempt ends at the last sample before it.
            ev.longest_hold_s = max(ev.longest_hold_s, float(t[b_gap - 1] - t[start] + dt))
            ev.facts.append(Fact(b_gap, "hold_broken", float(t[b_gap])))
            if first_window is None:
                inside = np.flatnonzero(in_band[start:b_gap])
                first_window = (start + int(inside[-1]) if len(inside) else start, b_gap)
            start = first_true(in_band, b_gap)
            continue
        if complete is not None and (broken is None or complete <= broken):
            ev.longest_hold_s = max(ev.longest_hold_s, float(t[complete] - t[start] + dt))
            if not ev.held:
                ev.held = True
                ev.facts.append(Fact(complete, "held", float(t[complete])))
            if first_window is None:
                first_window = (complete, complete)
            return complete, first_window
        end = broken if broken is not None else n - 1
        ev.longest_hold_s = max(ev.longest_hold_s, float(t[end] - t[start] + (0 if broken else dt)))
        if broken is None:
            return None, first_window
        ev.facts.append(Fact(broken, "hold_broken", float(t[broken])))
        if first_window is None:
            inside = np.flatnonzero(in_band[start:broken])
            first_window = (start + int(inside[-1]) if len(inside) else start, broken)
        start = first_true(in_band, broken + 1)
    return None, first_window


def _pressure_drop(
    t: Arr, pf: Arr, target: float, reach: int, completed_at: int | None, dt: float,
    cfg: AnalysisConfig, facts: list[Fact], breaks: Arr,
) -> None:
    end = len(t) if completed_at is None else completed_at + 1
    run = first_run(pf < target - cfg.drop_mmhg, t, dt, cfg.drop_min_s, reach, end,
                    breaks=breaks)
    if run is not None:
        first, decided = run
        facts.append(Fact(decided, "fault", float(t[first]), "pressure_drop",
                          target - float(pf[first : decided + 1].min())))
