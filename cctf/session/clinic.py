"""The guided clinic CCFT test: stage test with its stopping rule, then endurance.

    runner = CcftTestRunner(preset("research"), rate_hz=50)
    runner.begin()                                     # set-up done, the therapist starts
    fed = runner.feed(t_s, pressure_mmhg)              # each timer tick, the new samples
    fed.target_mmhg, fed.phase                         # what was cued for them (for the file)
    fed.events                                         # analysis events, in order
    runner.cue                                         # what the screen shows now

The stage test stops at the first failed stage; endurance runs at the activation level. The
therapist can repeat a trial, override a verdict and mark compensation at any time; the next
trial is decided at the end of each rest, so those actions count.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.scoring import ScoringPlan, activation_score_mmhg
from cctf.session.cued import CuedRunner, PlannedTrial
from cctf.session.settings import ProtocolSettings


class CcftTestRunner(CuedRunner):
    """Runs one clinic CCFT session over a pressure stream; the GUI is a view over it."""

    get_ready_s = 3.0  # 3-2-1 on sample time before the first cue, so the nod is not a surprise

    def __init__(
        self,
        settings: ProtocolSettings,
        rate_hz: float,
        analysis_config: AnalysisConfig | None = None,
    ) -> None:
        cfg = replace(analysis_config or AnalysisConfig(), hold_s=settings.hold_s,
                      band_mmhg=settings.band_mmhg,
                      nominal_baseline_mmhg=settings.baseline_mmhg)
        super().__init__(
            CcftAnalyzer(rate_hz, cfg, scoring_plan(settings)), hold_s=settings.hold_s,
            rest_s=settings.rest_s,
            reach_allowance_s=settings.reach_allowance_s,
            relax_after_hold_s=settings.relax_after_hold_s,
        )
        self.settings = settings
        self._stages_done = False
        self.stopped_at_mmhg: float | None = None  # the failed stage that stopped the stage test
        self._plan_practice_and_stages()

    def repeat_last_trial(self) -> None:
        """Repeat the last finished trial: it stays in the record, unscored; the repeat counts."""
        last = self._last_finished()
        if last is None:
            raise ValueError("no finished trial to repeat")
        self.analyzer.supersede(last.index)
        self._queue.appendleft(PlannedTrial(last.phase, last.target_mmhg))
        self._stages_done = self._stages_done and last.phase != "stage"
        if last.phase == "stage":
            self.stopped_at_mmhg = None

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

    def _next_planned(self) -> PlannedTrial | None:
        """Apply the stopping rule to what the finished trials say, then pick the next."""
        queue, stages_done, stopped_at = self._after_rule()
        self._queue, self._stages_done = queue, stages_done
        if stopped_at is not None:
            self.stopped_at_mmhg = stopped_at
        return self._queue.popleft() if self._queue else None

    def preview(self) -> tuple[PlannedTrial | None, float | None]:
        """What the end of this rest will cue (None: the test ends), and the failed stage's
        target if the stopping rule has stopped the stage test — without deciding anything
        (the therapist can still repeat or override before then)."""
        queue, _, stopped_at = self._after_rule()
        return (queue[0] if queue else None), (
            stopped_at if stopped_at is not None else self.stopped_at_mmhg)

    def _after_rule(self) -> tuple[deque[PlannedTrial], bool, float | None]:
        """The queue after the stopping rule, whether the stages are done, and the target of
        the stage that stops the stage test now (None if it does not stop now)."""
        s = self.settings
        queue = deque(self._queue)
        stages_done = self._stages_done
        stopped_at = None
        trials = [t for t in self.analyzer.trials if not t.superseded]
        stage = [t for t in trials if t.phase == "stage"]
        if stage and s.stop_at_first_failure and not stage[-1].passed and not stages_done:
            # Stop the stage test: drop the remaining stage trials.
            if any(x.phase == "stage" for x in queue):
                stopped_at = stage[-1].target_mmhg
            queue = deque(x for x in queue if x.phase != "stage")
        if not stages_done and not any(x.phase in ("stage", "practice", "training")
                                       for x in queue):
            stages_done = True
            # The stage test's own measure (the session's score may be "not measured" yet).
            activation = activation_score_mmhg(self.analyzer.trials, s.baseline_mmhg)
            if activation > 0 and s.endurance_reps and s.order == "ascending":
                level = s.baseline_mmhg + activation
                queue.extend(PlannedTrial("endurance", level) for _ in range(s.endurance_reps))
        return queue, stages_done, stopped_at


def scoring_plan(settings: ProtocolSettings) -> ScoringPlan:
    """What the protocol sets out to do, for deciding which scores were measured."""
    return ScoringPlan(n_stages=settings.n_stages, step_mmhg=settings.step_mmhg,
                       stop_at_first_failure=settings.stop_at_first_failure,
                       endurance_reps=settings.endurance_reps,
                       stage_test=settings.order == "ascending")
