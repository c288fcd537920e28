"""The cuff and the body under it: inflation, backflow, leak, warming, breathing and pulse.

Everything here is a pure, vectorised function of device time. Slow random wander is built from
sums of random-phase sinusoids drawn once from the seed, so the output cannot depend on how the
caller chunks time or at what rate it samples: the same seed gives the same pressure at the same
instant, always. Sensor noise and ADC quantisation belong to the sensor model, not here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from cctf.errors import ConfigError

TWO_PI = 2.0 * math.pi


def min_jerk(x: np.ndarray | float) -> np.ndarray:
    """Minimum-jerk profile 0 → 1 over x in [0, 1] (clipped outside).

    Zero velocity and acceleration at both ends, the shape of a smooth voluntary movement
    (Flash & Hogan 1985); its 10–90 % rise takes ``MIN_JERK_10_90`` of the movement time.
    """
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10.0 + x * (-15.0 + 6.0 * x))


MIN_JERK_10_90 = 0.506726
"""Fraction of a minimum-jerk movement's duration spent between 10 % and 90 % of its travel."""


def trapezoid(
    t_s: np.ndarray, at_s: float, fall_s: float, hold_s: float, back_s: float
) -> np.ndarray:
    """A smooth 0 → 1 → 0 pulse: min-jerk up from ``at_s`` over ``fall_s``, held, min-jerk down."""
    up = min_jerk((t_s - at_s) / fall_s)
    down = min_jerk((t_s - at_s - fall_s - hold_s) / back_s)
    return up - down


def _row_sums(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``x @ weights`` summed in an order that does not depend on the number of rows.

    BLAS matmul may round the last bit differently for different row counts; einsum's loops
    do not, which keeps the output bit-identical however the caller chunks time.
    """
    return np.einsum("ij,j...->i...", x, weights)


class SineSum:
    """Sum of sinusoids ``Σ a·sin(2π f t + φ)``: a smooth random signal, a pure function of t.

    Drawn once from a random generator; evaluating it costs one (n, k) ``sin`` per call.
    """

    def __init__(self, freqs_hz: np.ndarray, amps: np.ndarray, phases_rad: np.ndarray) -> None:
        self.omega = TWO_PI * np.asarray(freqs_hz, dtype=float)
        self.amps = np.asarray(amps, dtype=float)
        self.phases_rad = np.asarray(phases_rad, dtype=float)

    def __call__(self, t_s: np.ndarray) -> np.ndarray:
        return _row_sums(np.sin(t_s[:, None] * self.omega + self.phases_rad), self.amps)

    @classmethod
    def wander(
        cls, rng: np.random.Generator, n: int, lo_hz: float, hi_hz: float, peak: float
    ) -> SineSum:
        """A slow wander within ±``peak``: n sinusoids at uniform frequencies in [lo, hi]."""
        weights = rng.uniform(0.5, 1.0, n)
        return cls(
            rng.uniform(lo_hz, hi_hz, n),
            peak * weights / weights.sum(),
            rng.uniform(0.0, TWO_PI, n),
        )

    @classmethod
    def ou_like(
        cls, rng: np.random.Generator, sd: float, tau_s: float, n: int = 12, hi_hz: float = 3.0
    ) -> SineSum:
        """Random-phase sinusoids with an Ornstein–Uhlenbeck (Lorentzian) spectrum of SD ``sd``.

        Frequencies are drawn from the OU process's spectrum (corner 1/(2π τ), cut at
        0.01 Hz and ``hi_hz``), so the sum has the OU's correlation time but no sampling grid.
        """
        corner_hz = 1.0 / (TWO_PI * tau_s)
        lo, hi = math.atan(0.01 / corner_hz), math.atan(hi_hz / corner_hz)
        freqs_hz = corner_hz * np.tan(rng.uniform(lo, hi, n))
        amps = np.full(n, sd * math.sqrt(2.0 / n))
        return cls(freqs_hz, amps, rng.uniform(0.0, TWO_PI, n))


@dataclass(frozen=True, slots=True)
class CuffParams:
    """The cuff, its air and the body's rhythms under it (``[cuff]`` of a scenario file)."""

    baseline_mmhg: float = 20.0  # where the cuff settles after the backflow drop
    inflate_at_s: float = 1.0  # device time the therapist starts inflating (0 before)
    inflate_rise_s: float = 0.8  # duration of the pump-up
    backflow_drop_mmhg: float = 1.5  # inflated this much above baseline, then air backflows
    backflow_tau_s: float = 3.0  # time constant of the backflow drop
    leak_mmhg_per_min: float = 0.0  # linear fall from a leaking valve or tube
    thermal_rise_mmhg: float = 0.3  # warming of the cuff air raises the baseline by this much…
    thermal_tau_s: float = 300.0  # …with this time constant
    breathing_mmhg: float = 0.2  # amplitude (half peak-to-peak) of the breathing ripple
    breathing_hz: float = 0.25
    pulse_mmhg: float = 0.06  # amplitude of the pulse ripple
    pulse_hz: float = 1.2
    rate_wander: float = 0.1  # breathing and pulse rates wander within ±this fraction
    amplitude_wander: float = 0.2  # their amplitudes wander within ±this fraction
    breath_irregularity: float = 0.0  # breath-to-breath rate and depth vary within ±this fraction

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value):
                raise ConfigError(f"cuff.{f.name} must be a finite number, got {value}")
        positive = ("baseline_mmhg", "inflate_rise_s", "backflow_tau_s", "thermal_tau_s")
        for name in (*positive, "breathing_hz", "pulse_hz"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"cuff.{name} must be > 0, got {getattr(self, name)}")
        non_negative = ("inflate_at_s", "backflow_drop_mmhg", "leak_mmhg_per_min")
        for name in (*non_negative, "breathing_mmhg", "pulse_mmhg"):
            if getattr(self, name) < 0:
                raise ConfigError(f"cuff.{name} must be >= 0, got {getattr(self, name)}")
        for name in ("rate_wander", "amplitude_wander", "breath_irregularity"):
            if not 0.0 <= getattr(self, name) <= 0.5:
                raise ConfigError(
                    f"cuff.{name} must be between 0 and 0.5, got {getattr(self, name)}"
                )

    @property
    def inflated_s(self) -> float:
        """Device time the pump-up ends and the backflow drop begins."""
        return self.inflate_at_s + self.inflate_rise_s


class Cuff:
    """Pressure of the cuff with the head resting on it, as a function of device time.

    ``rest_mmhg`` is the slow part a therapist would call the baseline (inflation, backflow
    drop, leak, warming); ``body_mmhg`` the breathing and pulse ripple riding on top.
    """

    def __init__(self, params: CuffParams, seed: int = 0) -> None:
        self.params = params
        p = params
        rng = np.random.default_rng([seed, 0])
        self._t1_s = p.inflated_s
        self._peak_mmhg = p.baseline_mmhg + p.backflow_drop_mmhg
        self._leak_per_s = p.leak_mmhg_per_min / 60.0
        self._backflow_gone_s = self._t1_s + 60.0 * p.backflow_tau_s
        # Breathing and pulse rates wander over tens of seconds to minutes (heart rate
        # variability is faster); their phases are the integrals of the rates. All slow terms
        # share one (n, k) sin and one mixing matrix to keep a 10-sample call cheap.
        carriers_hz = np.array([p.breathing_hz, p.pulse_hz])
        rates = (
            SineSum.wander(rng, 3, 1 / 120, 1 / 30, p.breathing_hz * p.rate_wander),
            SineSum.wander(rng, 3, 1 / 60, 1 / 8, p.pulse_hz * p.rate_wander),
        )
        depths = (
            SineSum.wander(rng, 2, 1 / 90, 1 / 20, p.breathing_mmhg * p.amplitude_wander),
            SineSum.wander(rng, 2, 1 / 60, 1 / 10, p.pulse_mmhg * p.amplitude_wander),
        )
        carrier_phases = rng.uniform(0.0, TWO_PI, 2)
        terms = (*rates, *depths)
        self._omega = np.concatenate([s.omega for s in terms])
        self._phase = np.concatenate([s.phases_rad for s in terms])
        self._mix = np.zeros((len(self._omega), 4))  # → breath phase, pulse phase, depths
        self._offset = np.zeros(4)
        row = 0
        for col, s in enumerate(terms):
            rows = slice(row, row + len(s.omega))
            if col < 2:  # ∫ a·sin(ωt + φ) dt = a/ω·(cos φ − cos(ωt + φ)), in radians
                self._phase[rows] -= math.pi / 2
                self._mix[rows, col] = TWO_PI * s.amps / s.omega
                self._offset[col] = TWO_PI * np.sum(s.amps / s.omega * np.cos(s.phases_rad))
                self._offset[col] += carrier_phases[col]
            else:
                self._mix[rows, col] = s.amps
            row = rows.stop
        self._offset[2:] = (p.breathing_mmhg, p.pulse_mmhg)
        self._carrier_omega = TWO_PI * carriers_hz
        self._irregular: tuple[SineSum, SineSum] | None = None
        if p.breath_irregularity > 0:  # its own stream: other scenarios keep their draws
            irr = np.random.default_rng([seed, 3])
            self._irregular = (
                SineSum.wander(irr, 4, 1 / 15, 1 / 4, p.breathing_hz * p.breath_irregularity),
                SineSum.wander(irr, 4, 1 / 15, 1 / 4, p.breath_irregularity),
            )

    def rest_mmhg(self, t_s: np.ndarray) -> np.ndarray:
        """Baseline pressure (mmHg) with the head resting: 0 before inflation, then the drop."""
        p = self.params
        t_s = np.asarray(t_s, dtype=float)
        since_s = np.maximum(t_s - self._t1_s, 0.0)
        out = p.baseline_mmhg - p.thermal_rise_mmhg * np.expm1(since_s * (-1.0 / p.thermal_tau_s))
        if len(t_s) and t_s[0] < self._backflow_gone_s:  # e^-60: below the last bit of out
            out += p.backflow_drop_mmhg * np.exp(since_s * (-1.0 / p.backflow_tau_s))
        if self._leak_per_s:
            out -= self._leak_per_s * since_s
            np.maximum(out, 0.0, out=out)
        if len(t_s) and t_s[0] < self._t1_s:  # t is increasing: only early chunks pump up
            pumping = t_s < self._t1_s
            out[pumping] = self._peak_mmhg * min_jerk(
                (t_s[pumping] - p.inflate_at_s) / p.inflate_rise_s
            )
        return out

    def body_mmhg(
        self, t_s: np.ndarray, breathing_gate: np.ndarray | None = None
    ) -> np.ndarray:
        """Breathing plus pulse ripple (mmHg), present only once the cuff is in contact.

        ``breathing_gate`` (0…1 per sample) scales the breathing part: 0 while the breath is
        held (the pulse goes on).
        """
        t_s = np.asarray(t_s, dtype=float)
        slow = _row_sums(np.sin(t_s[:, None] * self._omega + self._phase), self._mix)
        slow += self._offset
        if self._irregular is not None:  # breath-to-breath variation of rate and depth
            rate, depth = self._irregular
            cycles = np.sin(t_s[:, None] * rate.omega + rate.phases_rad - math.pi / 2)
            slow[:, 0] += _row_sums(cycles, TWO_PI * rate.amps / rate.omega)  # ∫ rate dt
            slow[:, 2] *= 1.0 + depth(t_s)
        ripple = np.sin(t_s[:, None] * self._carrier_omega + slow[:, :2]) * slow[:, 2:]
        if breathing_gate is not None:
            ripple[:, 0] *= breathing_gate
        out = ripple[:, 0] + ripple[:, 1]
        if len(t_s) and t_s[0] < self._t1_s:
            p = self.params
            out *= min_jerk((t_s - p.inflate_at_s) / p.inflate_rise_s)
        return out

    def pressure_mmhg(self, t_s: np.ndarray) -> np.ndarray:
        """Cuff pressure (mmHg) with the head at rest: baseline plus the body's ripple."""
        return np.maximum(self.rest_mmhg(t_s) + self.body_mmhg(t_s), 0.0)
