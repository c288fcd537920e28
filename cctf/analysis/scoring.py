"""CCFT scores from judged trials: the activation score and the performance index."""

from __future__ import annotations

from collections.abc import Sequence

from cctf.analysis.results import TrialResult


def activation_score_mmhg(trials: Sequence[TrialResult], nominal_baseline_mmhg: float) -> float:
    """Increment above the nominal baseline of the highest ``stage`` trial in the unbroken run
    of passed stage trials from the first; 0 if the first stage trial fails (or there is none).
    Trials the therapist repeated (superseded) are skipped: the repeat counts instead.
    """
    best = 0.0
    for trial in trials:
        if trial.phase != "stage" or trial.superseded:
            continue
        if not trial.passed:
            break
        best = max(best, trial.target_mmhg - nominal_baseline_mmhg)
    return best


def performance_index(trials: Sequence[TrialResult], activation_mmhg: float) -> float:
    """Activation score × passed ``endurance`` trials (Jull's 0–100 scale); 0 without one."""
    if activation_mmhg <= 0:
        return 0.0
    return activation_mmhg * sum(
        1 for t in trials if t.phase == "endurance" and t.passed and not t.superseded
    )
