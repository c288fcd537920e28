"""The CCFT test protocol as settings: typed, validated, with the presets clinicians use.

Sources differ on the hold (2–3 s per level vs 10 s with 10 s rest) and on steps (2 mmHg; one
trial used 5 mmHg to 40): everything is configurable, the research protocol is the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from cctf.errors import ConfigError

ORDERS = ("ascending", "random")


@dataclass(frozen=True, slots=True)
class ProtocolSettings:
    baseline_mmhg: float = 20.0
    step_mmhg: float = 2.0
    n_stages: int = 5
    hold_s: float = 10.0
    rest_s: float = 10.0
    reach_allowance_s: float = 5.0  # time given to reach the target before the cue times out
    relax_after_hold_s: float = 0.5  # the cue ends this long after a completed hold
    endurance_reps: int = 10
    practice_trials: int = 0  # familiarisation, not scored (about 6 recommended)
    practice_target_mmhg: float = 22.0
    order: str = "ascending"  # or "random": shuffled stage targets (motor-control training)
    stop_at_first_failure: bool = True
    seed: int = 0  # for the random order
    band_mmhg: float = 1.0  # tolerance: target ± band is "in band"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("order", "stop_at_first_failure"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{f.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ConfigError(f"{f.name} must be finite, got {value!r}")
        _range("baseline_mmhg", self.baseline_mmhg, 5, 40)
        _range("step_mmhg", self.step_mmhg, 0.5, 10)
        _range("n_stages", self.n_stages, 1, 10)
        _range("hold_s", self.hold_s, 1, 60)
        _range("rest_s", self.rest_s, 1, 120)  # ≥ 1 s: a cue-free gap separates trials
        _range("reach_allowance_s", self.reach_allowance_s, 1, 30)
        _range("relax_after_hold_s", self.relax_after_hold_s, 0, 5)
        _range("endurance_reps", self.endurance_reps, 0, 30)
        _range("practice_trials", self.practice_trials, 0, 20)
        _range("practice_target_mmhg", self.practice_target_mmhg, 5, 60)
        _range("band_mmhg", self.band_mmhg, 0.2, 5)
        if self.order not in ORDERS:
            raise ConfigError(f"order must be one of {', '.join(ORDERS)}, got {self.order!r}")
        if self.top_target_mmhg > 60:
            raise ConfigError(
                f"the top stage would be {self.top_target_mmhg:g} mmHg; keep it at most 60 "
                "(fewer stages or a smaller step)"
            )

    @property
    def stage_targets_mmhg(self) -> tuple[float, ...]:
        return tuple(self.baseline_mmhg + self.step_mmhg * (k + 1) for k in range(self.n_stages))

    @property
    def top_target_mmhg(self) -> float:
        return self.baseline_mmhg + self.step_mmhg * self.n_stages

    def with_changes(self, **changes: Any) -> ProtocolSettings:
        return replace(self, **changes)


def _range(name: str, value: float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")


PRESETS: dict[str, tuple[str, ProtocolSettings]] = {
    "research": (
        "Research protocol: 22–30 mmHg, 10 s holds with 10 s rest, stop at the first failed "
        "stage, then 10 × 10 s at the activation level",
        ProtocolSettings(),
    ),
    "short": (
        "Short stage-1 variant: 2–3 s holds at each level (3 s), 5 s rest, no endurance",
        ProtocolSettings(hold_s=3.0, rest_s=5.0, endurance_reps=0),
    ),
    "random-order": (
        "Motor-control training: the stage targets in shuffled order, every level tried",
        ProtocolSettings(order="random", stop_at_first_failure=False, endurance_reps=0),
    ),
}


def preset(name: str) -> ProtocolSettings:
    try:
        return PRESETS[name][1]
    except KeyError:
        raise ConfigError(
            f"unknown protocol preset {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None
