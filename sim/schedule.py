"""The standard CCFT script as a tuple of cues, for a patient that cues itself.

A set-up rest lets the cuff's backflow drop settle; then the activation stages (22…30 mmHg by
default) and, if an endurance level is given, its repetitions. Each cue lasts ``reach_s`` (time
to nod to the target) plus ``hold_s`` (the timed hold), so a patient who takes a couple of
seconds to get there still holds for the full ``hold_s``.
"""

from __future__ import annotations

import math

from cctf.errors import ConfigError

from .source import Cue


def _check(name: str, value: float, ok: bool, rule: str) -> None:
    if not ok:
        raise ConfigError(f"ccft_schedule: {name} must be {rule}, got {value!r}")


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# Bounds (docs/scenarios.md): a hand-written file must not ask for a session of days or a
# hundred million cues (issue 10).
MAX_STAGES = 50
MAX_REPS = 100
MAX_STEP_S = 600.0
MAX_TARGET_MMHG = 300.0


def ccft_schedule(
    start_s: float = 0.0,
    baseline_mmhg: float = 20.0,
    step_mmhg: float = 2.0,
    n_stages: int = 5,
    hold_s: float = 10.0,
    rest_s: float = 10.0,
    endurance_level_mmhg: float | None = None,
    endurance_reps: int = 10,
    *,
    setup_s: float = 20.0,
    reach_s: float = 3.0,
) -> tuple[Cue, ...]:
    """Cues of one CCFT: stages ``baseline + k·step`` (k = 1…n), then the endurance reps.

    ``start_s`` is the device time the script starts; the first stage is cued ``setup_s``
    later. Stages and reps are ``rest_s`` apart; ``endurance_level_mmhg=None`` skips stage 2.
    """
    _check("start_s", start_s, _finite(start_s) and start_s >= 0, "a finite number >= 0")
    _check("baseline_mmhg", baseline_mmhg, _finite(baseline_mmhg) and baseline_mmhg > 0, "> 0")
    _check("step_mmhg", step_mmhg, _finite(step_mmhg) and step_mmhg > 0, "> 0")
    _check("n_stages", n_stages, _count(n_stages) and n_stages <= MAX_STAGES,
           f"an integer 1–{MAX_STAGES}")
    _check("hold_s", hold_s, _finite(hold_s) and 0 < hold_s <= MAX_STEP_S,
           f"> 0 and <= {MAX_STEP_S:g}")
    _check("rest_s", rest_s, _finite(rest_s) and 0 <= rest_s <= MAX_STEP_S,
           f">= 0 and <= {MAX_STEP_S:g}")
    _check("setup_s", setup_s, _finite(setup_s) and 0 <= setup_s <= MAX_STEP_S,
           f">= 0 and <= {MAX_STEP_S:g}")
    _check("reach_s", reach_s, _finite(reach_s) and 0 <= reach_s <= MAX_STEP_S,
           f">= 0 and <= {MAX_STEP_S:g}")
    _check("step_mmhg", step_mmhg, baseline_mmhg + n_stages * step_mmhg <= MAX_TARGET_MMHG,
           f"small enough that the last stage is <= {MAX_TARGET_MMHG:g} mmHg")
    if endurance_level_mmhg is not None:
        _check(
            "endurance_level_mmhg",
            endurance_level_mmhg,
            _finite(endurance_level_mmhg) and endurance_level_mmhg > baseline_mmhg,
            f"None or above baseline_mmhg ({baseline_mmhg})",
        )
        _check("endurance_reps", endurance_reps,
               _count(endurance_reps) and endurance_reps <= MAX_REPS, f"an integer 1–{MAX_REPS}")

    trial_s = reach_s + hold_s
    targets = [(baseline_mmhg + k * step_mmhg, "stage") for k in range(1, n_stages + 1)]
    if endurance_level_mmhg is not None:
        targets += [(float(endurance_level_mmhg), "endurance")] * endurance_reps
    cues = []
    t_s = start_s + setup_s
    for target_mmhg, phase in targets:
        cues.append(Cue(t_s, t_s + trial_s, float(target_mmhg), phase))
        t_s += trial_s + rest_s
    return tuple(cues)


def schedule_end_s(schedule: tuple[Cue, ...], tail_s: float = 10.0) -> float:
    """When a session running ``schedule`` is over: the last cue's end plus ``tail_s``."""
    return max((c.end_s for c in schedule), default=0.0) + tail_s
