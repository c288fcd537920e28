"""CCFT scores from judged trials: the activation score and the performance index.

Not measured is not zero: a score the trials cannot support is ``None``. The activation score
needs a stage test that reached its stopping rule (the first failed stage, or every stage);
the performance index needs the endurance holds it counts (``ScoringPlan`` says how many).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cctf.analysis.results import TrialResult

_TOL = 1e-6


@dataclass(frozen=True, slots=True)
class ScoringPlan:
    """What a session set out to do, as far as its scores are concerned. The defaults are
    the research protocol, assumed when a file does not say (5 stages of 2 mmHg, stop at the
    first failure, then 10 endurance holds)."""

    n_stages: int = 5
    step_mmhg: float = 2.0
    stop_at_first_failure: bool = True
    endurance_reps: int = 10
    stage_test: bool = True  # False: a shuffled-order (training) protocol, nothing scored

    @classmethod
    def from_protocol(cls, protocol: Mapping[str, object] | None) -> ScoringPlan:
        """From ``ProtocolSettings`` fields (as a dict, values as numbers or as the text of a
        CSV's ``protocol_*`` metadata); anything missing or unusable keeps its default."""
        plan = cls()
        if not protocol:
            return plan
        n = _number(protocol.get("n_stages"))
        step = _number(protocol.get("step_mmhg"))
        reps = _number(protocol.get("endurance_reps"))
        stop = protocol.get("stop_at_first_failure")
        order = protocol.get("order")
        return cls(
            n_stages=int(n) if n is not None and n >= 1 else plan.n_stages,
            step_mmhg=step if step is not None and step > 0 else plan.step_mmhg,
            stop_at_first_failure=(plan.stop_at_first_failure if stop is None
                                   else stop in (True, "True", "true", "1", 1)),
            endurance_reps=int(reps) if reps is not None and reps >= 0 else plan.endurance_reps,
            stage_test=order in (None, "ascending"),
        )


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class Scores:
    activation_score_mmhg: float | None
    performance_index: float | None
    complete: bool  # the session did all it set out to do, and was not ended early


def activation_score_mmhg(trials: Sequence[TrialResult], nominal_baseline_mmhg: float) -> float:
    """Increment above the nominal baseline of the highest ``stage`` trial in the unbroken run
    of passed stage trials from the first; 0 if the first stage trial fails (or there is none).
    Trials the therapist repeated (superseded) and interrupted ones are skipped: the repeat
    counts instead. (The run as far as it goes: ``session_scores`` says whether it counts.)
    """
    best = 0.0
    for trial in trials:
        if trial.phase != "stage" or not trial.scored:
            continue
        if not trial.passed:
            break
        best = max(best, trial.target_mmhg - nominal_baseline_mmhg)
    return best


def performance_index(trials: Sequence[TrialResult], activation_mmhg: float) -> float:
    """Activation score × passed ``endurance`` trials (Jull's 0–100 scale); 0 without one."""
    if activation_mmhg <= 0:
        return 0.0
    return activation_mmhg * sum(1 for t in trials if t.phase == "endurance" and t.passed
                                 and t.scored)


def session_scores(
    trials: Sequence[TrialResult], nominal_baseline_mmhg: float,
    plan: ScoringPlan | None = None, *, ended_early: bool = False,
) -> Scores:
    """The scores the trials support, and whether the session is complete.

    - activation score: ``None`` unless the stage test reached its stopping rule (the first
      failed stage with ``stop_at_first_failure``, else every stage tried; or every stage
      passed up to the top one);
    - performance index: ``None`` with no activation score, 0 when it is 0, otherwise
      ``None`` unless all the planned endurance holds were recorded (none planned: ``None``);
    - complete: not ended early, no trial interrupted, and both of the above measured.
    """
    plan = plan or ScoringPlan()
    live = [t for t in trials if not t.superseded]
    interrupted = any(t.interrupted for t in live)
    is_test = plan.stage_test and any(t.phase in ("practice", "stage", "endurance")
                                      for t in live)
    if not is_test:
        return Scores(None, None, not ended_early and not interrupted)
    stage = [t for t in live if t.phase == "stage" and not t.interrupted]
    endurance = [t for t in live if t.phase == "endurance" and not t.interrupted]
    if any(not t.passed for t in stage):
        stages_done = plan.stop_at_first_failure or len(stage) >= plan.n_stages
    else:
        top = nominal_baseline_mmhg + plan.step_mmhg * plan.n_stages
        stages_done = bool(stage) and max(t.target_mmhg for t in stage) >= top - _TOL
    activation = activation_score_mmhg(trials, nominal_baseline_mmhg) if stages_done else None
    endurance_done = plan.endurance_reps > 0 and len(endurance) >= plan.endurance_reps
    pi: float | None
    if activation is None:
        pi = None
    elif activation <= 0:
        pi = 0.0
    else:
        pi = performance_index(trials, activation) if endurance_done else None
    complete = (not ended_early and not interrupted and activation is not None
                and (activation <= 0 or endurance_done or plan.endurance_reps == 0))
    return Scores(activation, pi, complete)
