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
    # Possible breath holding (a hypothesis, see cctf/analysis/breath.py and docs/analysis.md):
    breath_band_low_hz: float = 0.1  # respiratory band: 10–25 breaths/min (0.17–0.42 Hz) ...
    breath_band_high_hz: float = 0.6  # ... with margin; upper edges capped at 0.4 × rate
    breath_subbands: int = 7  # ... split into this many overlapping sub-bands; a hold is judged
    breath_subband_ratio: float = 1.5  # in the one with most rest ripple (centre ÷× this)
    breath_filter_order: int = 1  # Butterworth order per band edge
    breath_window_s: float = 3.0  # ripple power: mean square over this trailing window
    breath_fraction: float = 0.3  # quiet (no prediction, below): power below this × rest ...
    breath_min_s: float = 4.5  # ... for at least this long (quiet windows + one window)
    breath_settle_s: float = 0.5  # judged from this long after first coming within the band
    breath_rest_settle_s: float = 2.5  # rest judged from this long after a cue ends
    breath_warmup_s: float = 0.5  # filter output not used for this long after its start
    breath_rest_min_s: float = 3.0  # less judged rest than this before a cue: not measured
    breath_rest_memory_s: float = 60.0  # reference: median rest window power over this much
    breath_min_rest_rms_mmhg: float = 0.05  # a rest ripple smaller than this: not measured
    # ... and a second test (issue 17, fourth pass): the breathing seen in the last rest before
    # the cue, carried into the hold as a predicted oscillation (same rate and phase).
    breath_coherent_window_s: float = 6.0  # its in-phase amplitude: fit over this trailing window
    breath_coherent_slip_rad: float = 1.0  # a phase slip up to this counts as in phase
    breath_coherent_floor: float = 0.13  # with a prediction, quiet: power below this × rest ...
    breath_coherent_ceiling: float = 0.5  # ... or below this × rest while the in-phase amplitude
    breath_coherent_min: float = 0.5  # is below this × the rest breath's (floor = ceiling =
    # breath_fraction: the plain rule)
    breath_coherent_rest_s: float = 3.0  # a shorter last rest before the cue: no prediction
    breath_coherent_fit_s: float = 20.0  # the prediction is fitted on at most this much of it
    # Head motion (optional sensor, issue 17; hypotheses: cctf/analysis/head.py, docs/analysis.md)
    head_min_measured_fraction: float = 0.8  # less of a window with an angle: not measured
    head_reference_s: float = 0.5  # the angle just after reaching the band: median over this
    head_retraction_deg_per_mmhg: float = 0.5  # nod ≥ head_min_nod_mmhg with less flexion
    head_min_nod_mmhg: float = 1.0  # ... than this × the mmHg added: possible retraction
    head_chin_poke_deg: float = 3.0  # pitch this far below the reference (extension) ...
    head_chin_poke_min_s: float = 0.5  # ... for this long: possible chin poke
    head_lift_motion_deg: float = 5.0  # pitch this far above the reference for head_lift_min_s:
    head_slope_min_trials: int = 3  # the head rose (confirms a head_lift); fewer stages with
    # an angle than head_slope_min_trials: no angle-per-mmHg relation

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
        if self.breath_filter_order not in (1, 2, 3, 4):
            raise ConfigError(f"breath_filter_order must be 1–4, got {self.breath_filter_order!r}")
        if not isinstance(self.breath_subbands, int) or not 1 <= self.breath_subbands <= 20:
            raise ConfigError(
                f"breath_subbands must be an integer 1–20, got {self.breath_subbands!r}"
            )
        if self.breath_subband_ratio <= 1:
            raise ConfigError(
                f"breath_subband_ratio must be > 1, got {self.breath_subband_ratio!r}"
            )
        if self.breath_band_low_hz * self.breath_subband_ratio ** 2 > self.breath_band_high_hz:
            raise ConfigError(
                f"breath_band_low_hz ({self.breath_band_low_hz}) × breath_subband_ratio² must "
                f"not exceed breath_band_high_hz ({self.breath_band_high_hz})"
            )
        if self.breath_band_low_hz >= self.breath_band_high_hz:
            raise ConfigError(
                f"breath_band_low_hz ({self.breath_band_low_hz}) must be below "
                f"breath_band_high_hz ({self.breath_band_high_hz})"
            )
        if self.breath_fraction >= 1:
            raise ConfigError(f"breath_fraction must be < 1, got {self.breath_fraction!r}")
        if not self.breath_coherent_floor <= self.breath_coherent_ceiling < 1:
            raise ConfigError(
                f"breath_coherent_floor ({self.breath_coherent_floor}) must be <= "
                f"breath_coherent_ceiling ({self.breath_coherent_ceiling}) < 1"
            )
        if self.breath_coherent_slip_rad > math.pi:
            raise ConfigError(
                f"breath_coherent_slip_rad must be <= π, got {self.breath_coherent_slip_rad!r}"
            )
        if self.lowpass_order not in (1, 2, 3, 4):
            raise ConfigError(f"lowpass_order must be 1–4, got {self.lowpass_order!r}")
        if not 0 <= self.nominal_baseline_mmhg <= 100:
            raise ConfigError(
                f"nominal_baseline_mmhg must be 0–100, got {self.nominal_baseline_mmhg!r}"
            )
