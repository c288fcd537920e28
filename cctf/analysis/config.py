"""Every threshold of the CCFT analysis in one typed, validated, frozen configuration.

Defaults are the definitions in the analysis issue; the clinical facts behind them are in
``docs/analysis.md``. A bad value raises ``ConfigError`` naming the field and the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from cctf.errors import ConfigError


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    nominal_baseline_mmhg: float = 20.0  # scores count mmHg above this
    band_mmhg: float = 1.0  # target ± band is "in band"
    hold_s: float = 10.0  # a hold is this long, continuously in band
    excursion_tolerance_s: float = 0.5  # shorter excursions out of band do not break a hold...
    hold_limit_mmhg: float = 2.0  # ...unless they go beyond target ± this
    overshoot_mmhg: float = 1.5  # above target + this ...
    overshoot_min_s: float = 0.3  # ... for at least this long
    fast_rise_s: float = 0.5  # 10–90 % approach faster than this is a fast (jerky) nod
    fast_rise_min_step_mmhg: float = 0.5  # only judged when the target is this far above rest
    drop_mmhg: float = 1.0  # below target − this after reaching ...
    drop_min_s: float = 0.5  # ... for at least this long, before the hold completes
    unsteady_sd_mmhg: float = 0.4  # detrended SD over the hold above this is unsteady
    head_lift_mmhg: float = 1.0  # below the trial's rest level − this ...
    head_lift_min_s: float = 0.3  # ... for at least this long
    rest_window_s: float = 3.0  # rest level: median over this long before the cue
    baseline_tolerance_mmhg: float = 1.0  # session baseline this far from nominal is "off"
    leak_mmhg_per_min: float = 0.3  # rest levels falling faster than this ...
    leak_min_span_s: float = 60.0  # ... over at least this long is a leak
    gap_min_s: float = 0.2  # samples further apart than max(this, gap_periods / rate) ...
    gap_periods: float = 2.5  # ... are a signal gap
    lowpass_hz: float = 3.0  # event logic runs on pressure low-passed at this (or 0.4 × rate)
    lowpass_order: int = 2

    def gap_s(self, dt: float) -> float:
        """Samples further apart than this (``dt`` = one sample period) are a signal gap."""
        return max(self.gap_min_s, self.gap_periods * dt)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"{f.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ConfigError(f"{f.name} must be finite, got {value!r}")
            if value <= 0 and f.name != "nominal_baseline_mmhg":
                raise ConfigError(f"{f.name} must be > 0, got {value!r}")
        if self.hold_limit_mmhg < self.band_mmhg:
            raise ConfigError(
                f"hold_limit_mmhg ({self.hold_limit_mmhg}) must be >= band_mmhg ({self.band_mmhg})"
            )
        if self.lowpass_order not in (1, 2, 3, 4):
            raise ConfigError(f"lowpass_order must be 1–4, got {self.lowpass_order!r}")
        if not 0 <= self.nominal_baseline_mmhg <= 100:
            raise ConfigError(
                f"nominal_baseline_mmhg must be 0–100, got {self.nominal_baseline_mmhg!r}"
            )
