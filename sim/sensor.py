"""The MPX5010DP pressure sensor and the ATmega328P ADC, as the default firmware reads them.

``Vout = Vs × (0.09 × P_kPa + 0.04)``; the 10-bit ADC is read 16 times per sample and summed
(oversampling), so ``raw`` spans 0…16368 and one count is ≈ 0.0051 mmHg. The simulated unit has
its own offset and gain error, which is what tare and two-point calibration are for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KPA_PER_MMHG = 0.133322368
OVERSAMPLE = 16
ADC_MAX = 1023
RAW_MAX = OVERSAMPLE * ADC_MAX
RAW_PER_KPA = OVERSAMPLE * 1024 * 0.09
RAW_AT_ZERO = OVERSAMPLE * 1024 * 0.04
MAX_PRESSURE_MMHG = 10.0 / KPA_PER_MMHG  # 0–10 kPa sensor: 75 mmHg full scale
DATASHEET_SLOPE_MMHG_PER_COUNT = 1.0 / (RAW_PER_KPA * KPA_PER_MMHG)


def datasheet_points() -> tuple[int, float, int, float]:
    """The uncalibrated transfer function as two calibration points (0 and 60 mmHg)."""
    raw_a = round(RAW_AT_ZERO)
    raw_b = round(RAW_AT_ZERO + 60.0 / DATASHEET_SLOPE_MMHG_PER_COUNT)
    return raw_a, 0.0, raw_b, round((raw_b - raw_a) * DATASHEET_SLOPE_MMHG_PER_COUNT, 3)


@dataclass(frozen=True, slots=True)
class SensorParams:
    """One simulated sensor unit: its noise and its deviation from the datasheet."""

    noise_mmhg: float = 0.03
    offset_mmhg: float = 0.6  # reads this much high at atmosphere until tared
    gain_error: float = 0.015  # relative sensitivity error until calibrated


def raw_for(pressure_mmhg: float | np.ndarray, params: SensorParams) -> float | np.ndarray:
    """The unit's mean raw reading at a true pressure (no noise, no quantisation)."""
    sensed_kpa = (pressure_mmhg * (1.0 + params.gain_error) + params.offset_mmhg) * KPA_PER_MMHG
    return OVERSAMPLE * 1024.0 * (0.09 * sensed_kpa + 0.04)


class SimulatedSensor:
    """Turn true pressure into oversampled ADC readings with noise and quantisation."""

    def __init__(self, params: SensorParams | None = None, seed: int = 0) -> None:
        self.params = params or SensorParams()
        self._rng = np.random.default_rng(seed)

    def read_raw(self, pressure_mmhg: np.ndarray) -> np.ndarray:
        """Raw readings (int64) for true pressures; each is a sum of 16 quantised ADC reads."""
        p = np.asarray(pressure_mmhg, dtype=float)
        counts = raw_for(p, self.params) / OVERSAMPLE  # one 10-bit read, before quantisation
        # Noise per ADC read such that the 16-read sum has the requested noise in mmHg.
        sigma = self.params.noise_mmhg / DATASHEET_SLOPE_MMHG_PER_COUNT / np.sqrt(OVERSAMPLE)
        reads = counts[:, None] + self._rng.normal(0.0, sigma, (len(p), OVERSAMPLE))
        reads = np.clip(np.floor(reads + 0.5), 0, ADC_MAX)
        return reads.sum(axis=1).astype(np.int64)
