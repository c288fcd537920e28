"""Ending a cued session before its protocol is done: when, and which trial is void.

The trial under way when the therapist ends the test (or disconnects, or quits) cannot be
judged: it is "interrupted (not scored)", so that neither the stopping rule nor the endurance
count reads a half-done trial as a failure. An analysis that knows interrupted trials
(``TrialResult.interrupted``, set by ``runner.finish()`` from the early end) marks it itself;
with one that does not, it is kept as superseded (not scored) here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cctf.session.cued import CuedRunner


@dataclass(frozen=True, slots=True)
class EarlyEnd:
    t_s: float  # session time of the newest sample when it was ended
    interrupted_trial: int | None  # index of the trial under way (now not scored)


def end_early(runner: CuedRunner, latest_t_s: float) -> EarlyEnd | None:
    """Void the trial under way if the protocol is under way; None if it is not (not begun,
    or already done: the session ends complete). Call before ``runner.finish()``."""
    if not runner.begun or runner.done:
        return None
    open_trial = runner.analyzer.open_trial
    index = None
    if open_trial is not None:
        index = open_trial.index
        if not hasattr(open_trial, "interrupted"):
            runner.analyzer.supersede(index)
    return EarlyEnd(latest_t_s if not math.isnan(latest_t_s) else 0.0, index)
