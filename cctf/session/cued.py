"""Cued trials over a pressure stream: the timing machinery shared by the clinic test and
home training.

Time is the samples' ``t_s``: a runner never reads a clock, so a 6-minute protocol runs in
milliseconds in tests. A runner cues a target ("nod"), shows "hold" once the target is reached,
ends the cue shortly after a completed hold ("relax") or when the time allowed runs out, rests,
and asks its subclass for the next trial at the end of each rest.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.results import Event, SessionResult, TrialResult

_MAX_PIECE_S = 0.25  # feed the analyzer in pieces no longer than this, so cue ends are exact


@dataclass(frozen=True, slots=True)
class Cue:
    """What the patient is asked to do now."""

    step: str  # "setup", "get_ready", "nod", "hold", "relax", "rest", "done"
    target_mmhg: float = math.nan
    phase: str = ""
    trial: int | None = None  # index of the cued trial
    since_s: float = math.nan  # when this step began
    until_s: float = math.nan  # when it ends at the latest (NaN: open-ended)


@dataclass(frozen=True, slots=True)
class PlannedTrial:
    phase: str
    target_mmhg: float


@dataclass(slots=True)
class Fed:
    """What ``feed`` did with a chunk."""

    target_mmhg: np.ndarray
    phase: np.ndarray
    events: list[Event] = field(default_factory=list)


class CuedRunner:
    """Cues trials from a plan and judges them with a ``CcftAnalyzer``; subclasses plan."""

    get_ready_s: float = 0.0  # the app's "get ready" count before the first cue (``begin``)

    def __init__(
        self,
        analyzer: CcftAnalyzer,
        *,
        hold_s: float,
        rest_s: float,
        reach_allowance_s: float,
        relax_after_hold_s: float = 0.5,
    ) -> None:
        self.analyzer = analyzer
        self.hold_s = hold_s
        self.rest_s = rest_s
        self.reach_allowance_s = reach_allowance_s
        self.relax_after_hold_s = relax_after_hold_s
        self.cue = Cue("setup")
        self._queue: deque[PlannedTrial] = deque()
        self._started = False
        self._begin_requested = False
        self._lead_in_s = 0.0
        self._next_change_s = math.inf
        self._trial_count = 0
        self._current: PlannedTrial | None = None
        self._last_t: float | None = None
        self._paused = False
        self._gap_s = analyzer.config.gap_s(analyzer.dt)
        self.ended_early_s: float | None = None  # set by ``finish`` when the plan had not run out

    def _next_planned(self) -> PlannedTrial | None:
        """The next trial to cue, or None when the session is over."""
        return self._queue.popleft() if self._queue else None

    # --- actions -------------------------------------------------------------------------

    def begin(self, lead_in_s: float = 0.0) -> None:
        """Set-up is done: the first trial is cued at the next sample, or after a "get ready"
        count of ``lead_in_s`` seconds of sample time (step "get_ready", no target yet)."""
        self._begin_requested = True
        self._lead_in_s = max(0.0, lead_in_s)

    @property
    def begun(self) -> bool:
        return self._begin_requested

    def pause(self) -> None:
        """Stop cueing until ``resume``. A nod or hold under way ends at once and is planned
        again (it stays in the record, unscored); a completed hold is kept."""
        if self._paused or self.done or not self._started:
            return
        self._paused = True
        if self._current is not None and self.cue.step in ("nod", "hold"):
            if self.analyzer.open_trial is not None:
                self.analyzer.supersede(self.analyzer.open_trial.index)
            self._queue.appendleft(self._current)
        self._current = None
        now = self._last_t if self._last_t is not None else math.nan
        self.cue = Cue("rest", since_s=now)  # open-ended
        self._next_change_s = math.inf

    def resume(self, lead_in_s: float = 3.0) -> None:
        """Cue again: the next trial starts after ``min(rest_s, lead_in_s)``."""
        if not self._paused:
            return
        self._paused = False
        now = self._last_t if self._last_t is not None else 0.0
        until = now + min(self.rest_s, lead_in_s)
        self.cue = Cue("rest", since_s=now, until_s=until)
        self._next_change_s = until

    @property
    def paused(self) -> bool:
        return self._paused

    def override_verdict(self, trial_index: int, passed: bool | None) -> None:
        self.analyzer.override_verdict(trial_index, passed)

    def review_flag(self, trial_index: int, flag_type: str, confirmed: bool | None) -> None:
        """The therapist confirms or dismisses a hypothesis flag (None: takes it back)."""
        self.analyzer.review_flag(trial_index, flag_type, confirmed)

    def mark_compensation(self, kind: str) -> int:
        """Mark compensation seen by hand on the cued trial (or the last one during rest)."""
        trial = self.analyzer.open_trial or self._last_finished()
        if trial is None:
            raise ValueError("no trial to mark yet")
        self.analyzer.mark_compensation(kind, trial.index)
        return trial.index

    # --- state ---------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.cue.step == "done"

    @property
    def trials(self) -> list[TrialResult]:
        return self.analyzer.trials

    def result(self) -> SessionResult:
        return self.analyzer.result()

    def upcoming(self) -> list[PlannedTrial]:
        """The trials still planned (the stage test may stop earlier)."""
        return list(self._queue)

    # --- feeding -------------------------------------------------------------------------

    def feed(self, t_s: np.ndarray, pressure_mmhg: np.ndarray,
             head_pitch_deg: np.ndarray | None = None) -> Fed:
        """``head_pitch_deg``: zeroed head pitch per sample when a head sensor is fitted."""
        t = np.asarray(t_s, dtype=np.float64)
        p = np.asarray(pressure_mmhg, dtype=np.float64)
        target = np.full(len(t), np.nan)
        phase = np.full(len(t), "", dtype=object)
        fed = Fed(target, phase)
        gaps = self._gaps(t)  # indices of samples that follow a signal gap
        gap_k = 0
        i = 0
        while i < len(t):
            if self._begin_requested and not self._started:
                self._started = True
                self._next_change_s = float(t[i])  # the first cue starts with this sample
                if self._lead_in_s > 0 and self._queue:
                    first = self._queue[0]
                    self._next_change_s += self._lead_in_s
                    self.cue = Cue("get_ready", first.target_mmhg, first.phase, None,
                                   float(t[i]), self._next_change_s)
            if gap_k < len(gaps) and gaps[gap_k] == i:
                prev = float(t[i - 1]) if i else self._last_t
                assert prev is not None
                self._hold_the_clock(float(t[i]) - prev - self.analyzer.dt)
                gap_k += 1
            if t[i] >= self._next_change_s:
                self._advance(float(t[i]))
                continue
            limit = min(self._next_change_s, float(t[i]) + _MAX_PIECE_S)
            j = i + int(np.searchsorted(t[i:], limit, side="left"))
            j = max(j, i + 1)
            if gap_k < len(gaps):
                j = min(j, int(gaps[gap_k]))  # a piece never spans a gap
            if self._current is not None and self.cue.step in ("nod", "hold", "relax"):
                target[i:j] = self._current.target_mmhg
                phase[i:j] = self._current.phase
            events = self.analyzer.update(t[i:j], p[i:j], target[i:j], phase[i:j],
                                          None if head_pitch_deg is None else head_pitch_deg[i:j])
            fed.events += events
            self._react(events)
            i = j
        if len(t):
            self._last_t = float(t[-1])
        return fed

    def finish(self) -> list[Event]:
        """End of the session: close the last trial. Before the plan has run out (the
        therapist ended the test, the device went away) the session ends early at the last
        sample: ``ended_early_s`` says when (for the CSV's ``ended`` metadata), the trial
        under way is interrupted (not scored) and the scores follow (``cctf.analysis``)."""
        if self.done or self._last_t is None:
            events = self.analyzer.finish(complete=True if self.done else None)
        else:
            self.ended_early_s = self._last_t
            events = self.analyzer.finish(ended_early_s=self._last_t)
        self.cue = Cue("done", since_s=self._last_t if self._last_t is not None else math.nan)
        self._next_change_s = math.inf
        return events

    # --- internals -----------------------------------------------------------------------

    def _last_finished(self) -> TrialResult | None:
        return self.analyzer.trials[-1] if self.analyzer.trials else None

    def _gaps(self, t: np.ndarray) -> np.ndarray:
        """Indices into ``t`` of samples further than the gap threshold from the one before
        (the first compared with the last sample of the previous chunk)."""
        if not len(t):
            return np.zeros(0, dtype=np.int64)
        prev = np.concatenate(([self._last_t if self._last_t is not None else t[0]], t[:-1]))
        return np.flatnonzero(t - prev > self._gap_s + 1e-9)

    def _hold_the_clock(self, lost_s: float) -> None:
        """Time without samples never counts: a signal gap moves the pending change (the end
        of the hold countdown, of the time to reach, of the rest) later by the time lost."""
        if lost_s <= 0 or not math.isfinite(self._next_change_s):
            return
        self._next_change_s += lost_s
        if math.isfinite(self.cue.until_s):
            self.cue = replace(self.cue, until_s=self.cue.until_s + lost_s)

    def _advance(self, now: float) -> None:
        """A scheduled change is due at sample time ``now``."""
        step = self.cue.step
        if step in ("setup", "get_ready", "rest"):
            self._start_next_trial(now)
        elif step in ("nod", "hold", "relax"):
            self._current = None
            rest = self.rest_s
            self.cue = Cue("rest", since_s=now, until_s=now + rest)
            self._next_change_s = now + rest
        else:
            self._next_change_s = math.inf

    def _start_next_trial(self, now: float) -> None:
        nxt = self._next_planned()
        if nxt is None:
            self.cue = Cue("done", since_s=now)
            self._next_change_s = math.inf
            return
        self._current = nxt
        until = now + self.reach_allowance_s + self.hold_s
        self.cue = Cue("nod", nxt.target_mmhg, nxt.phase, self._trial_count, now, until)
        self._trial_count += 1
        self._next_change_s = until

    def _react(self, events: list[Event]) -> None:
        """Follow the analysis: show hold/relax, end the cue soon after a completed hold."""
        idx = self._trial_count - 1
        for e in events:
            open_trial = self.analyzer.open_trial
            if open_trial is None or e.trial != open_trial.index:
                continue
            if e.kind == "reached" and self.cue.step == "nod":
                until = max(self.cue.until_s, e.t_s + self.hold_s + 1.0)
                self.cue = Cue("hold", self.cue.target_mmhg, self.cue.phase, idx, e.t_s, until)
                self._next_change_s = until
            elif e.kind == "held" and self.cue.step in ("nod", "hold"):
                until = e.t_s + self.relax_after_hold_s
                self.cue = Cue("relax", self.cue.target_mmhg, self.cue.phase, idx, e.t_s, until)
                self._next_change_s = min(self._next_change_s, until)

