"""The guided CCFT test as a headless state machine: cues, timing, stopping rule, endurance.

    runner = CcftTestRunner(preset("research"), rate_hz=50)
    runner.begin()                                     # set-up done, the therapist starts
    fed = runner.feed(t_s, pressure_mmhg)              # each timer tick, the new samples
    fed.target_mmhg, fed.phase                         # what was cued for them (for the file)
    fed.events                                         # analysis + cue events, in order
    runner.cue                                         # what the screen shows now

Time is the samples' ``t_s``: the runner never reads a clock, so a 6-minute protocol runs in
milliseconds in tests. It cues a target, ends the cue shortly after a completed hold (or when
the time allowed runs out), rests, and decides the next trial at the end of each rest: the
stage test stops at the first failed stage, endurance runs at the activation level. The
therapist can repeat a trial, override a verdict and mark compensation at any time.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.results import Event, SessionResult, TrialResult
from cctf.session.settings import ProtocolSettings

_MAX_PIECE_S = 0.25  # feed the analyzer in pieces no longer than this, so cue ends are exact


@dataclass(frozen=True, slots=True)
class Cue:
    """What the patient is asked to do now."""

    step: str  # "setup", "nod", "hold", "relax", "rest", "done"
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


class CcftTestRunner:
    """Runs one clinic CCFT session over a pressure stream; the GUI is a view over it."""

    def __init__(
        self,
        settings: ProtocolSettings,
        rate_hz: float,
        analysis_config: AnalysisConfig | None = None,
    ) -> None:
        self.settings = settings
        cfg = replace(analysis_config or AnalysisConfig(), hold_s=settings.hold_s,
                      band_mmhg=settings.band_mmhg,
                      nominal_baseline_mmhg=settings.baseline_mmhg)
        self.analyzer = CcftAnalyzer(rate_hz, cfg)
        self.cue = Cue("setup")
        self._queue: deque[PlannedTrial] = deque()
        self._started = False
        self._begin_requested = False
        self._next_change_s = math.inf
        self._trial_count = 0
        self._current: PlannedTrial | None = None
        self._stages_done = False
        self._last_t: float | None = None
        self._plan_practice_and_stages()

    # --- therapist actions ---------------------------------------------------------------

    def begin(self) -> None:
        """Set-up is done: the first trial is cued at the next sample."""
        self._begin_requested = True

    def repeat_last_trial(self) -> None:
        """Repeat the last finished trial: it stays in the record, unscored; the repeat counts."""
        last = self._last_finished()
        if last is None:
            raise ValueError("no finished trial to repeat")
        self.analyzer.supersede(last.index)
        self._queue.appendleft(PlannedTrial(last.phase, last.target_mmhg))
        self._stages_done = self._stages_done and last.phase != "stage"

    def override_verdict(self, trial_index: int, passed: bool | None) -> None:
        self.analyzer.override_verdict(trial_index, passed)

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

    def feed(self, t_s: np.ndarray, pressure_mmhg: np.ndarray) -> Fed:
        t = np.asarray(t_s, dtype=np.float64)
        p = np.asarray(pressure_mmhg, dtype=np.float64)
        target = np.full(len(t), np.nan)
        phase = np.full(len(t), "", dtype=object)
        fed = Fed(target, phase)
        i = 0
        while i < len(t):
            if self._begin_requested and not self._started:
                self._started = True
                self._next_change_s = float(t[i])  # the first cue starts with this sample
            if t[i] >= self._next_change_s:
                self._advance(float(t[i]))
                continue
            limit = min(self._next_change_s, float(t[i]) + _MAX_PIECE_S)
            j = i + int(np.searchsorted(t[i:], limit, side="left"))
            j = max(j, i + 1)
            if self._current is not None and self.cue.step in ("nod", "hold", "relax"):
                target[i:j] = self._current.target_mmhg
                phase[i:j] = self._current.phase
            events = self.analyzer.update(t[i:j], p[i:j], target[i:j], phase[i:j])
            fed.events += events
            self._react(events)
            i = j
        if len(t):
            self._last_t = float(t[-1])
        return fed

    def finish(self) -> list[Event]:
        """End of the session (or the therapist stops early): close the last trial."""
        events = self.analyzer.finish()
        self.cue = Cue("done", since_s=self._last_t if self._last_t is not None else math.nan)
        self._next_change_s = math.inf
        return events

    # --- internals -----------------------------------------------------------------------

    def _plan_practice_and_stages(self) -> None:
        s = self.settings
        for _ in range(s.practice_trials):
            self._queue.append(PlannedTrial("practice", s.practice_target_mmhg))
        targets = list(s.stage_targets_mmhg)
        if s.order == "random":
            rng = np.random.default_rng(s.seed)
            targets = [targets[k] for k in rng.permutation(len(targets))]
            self._queue.extend(PlannedTrial("training", x) for x in targets)
        else:
            self._queue.extend(PlannedTrial("stage", x) for x in targets)

    def _last_finished(self) -> TrialResult | None:
        return self.analyzer.trials[-1] if self.analyzer.trials else None

    def _advance(self, now: float) -> None:
        """A scheduled change is due at sample time ``now``."""
        step = self.cue.step
        if step in ("setup", "rest"):
            self._start_next_trial(now)
        elif step in ("nod", "hold", "relax"):
            self._current = None
            rest = self.settings.rest_s
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
        s = self.settings
        until = now + s.reach_allowance_s + s.hold_s
        self.cue = Cue("nod", nxt.target_mmhg, nxt.phase, self._trial_count, now, until)
        self._trial_count += 1
        self._next_change_s = until

    def _next_planned(self) -> PlannedTrial | None:
        """Apply the stopping rule to what the finished trials say, then pick the next."""
        s = self.settings
        trials = [t for t in self.analyzer.trials if not t.superseded]
        stage = [t for t in trials if t.phase == "stage"]
        if stage and s.stop_at_first_failure and not stage[-1].passed and not self._stages_done:
            # Stop the stage test: drop the remaining stage trials.
            self._queue = deque(x for x in self._queue if x.phase != "stage")
        if not self._stages_done and not any(x.phase in ("stage", "practice", "training")
                                             for x in self._queue):
            self._stages_done = True
            activation = self.analyzer.result().activation_score_mmhg
            if activation > 0 and s.endurance_reps and s.order == "ascending":
                level = s.baseline_mmhg + activation
                self._queue.extend(PlannedTrial("endurance", level)
                                   for _ in range(s.endurance_reps))
        return self._queue.popleft() if self._queue else None

    def _react(self, events: list[Event]) -> None:
        """Follow the analysis: show hold/relax, end the cue soon after a completed hold."""
        idx = self._trial_count - 1
        for e in events:
            open_trial = self.analyzer.open_trial
            if open_trial is None or e.trial != open_trial.index:
                continue
            if e.kind == "reached" and self.cue.step == "nod":
                until = max(self.cue.until_s, e.t_s + self.settings.hold_s + 1.0)
                self.cue = Cue("hold", self.cue.target_mmhg, self.cue.phase, idx, e.t_s, until)
                self._next_change_s = until
            elif e.kind == "held" and self.cue.step in ("nod", "hold"):
                until = e.t_s + self.settings.relax_after_hold_s
                self.cue = Cue("relax", self.cue.target_mmhg, self.cue.phase, idx, e.t_s, until)
                self._next_change_s = min(self._next_change_s, until)

