"""Simulated populations with realistic breathing variety, for the breath-holding benchmark.

Each simulated person gets their own breathing (rate 10–25 /min, depth, breath-to-breath
irregularity and slow wander), pulse, hold steadiness and sensor noise, drawn from one seed;
on each trial they hold their breath with probability ``breath_hold_prob`` for 5–9 s somewhere
inside the 10-s hold. ``sample_session`` turns one person into the four session columns the
analysis takes, at any rate, so the same people can be analysed at 10 and at 200 Hz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .patient import CompensationRule, PatientParams, ScriptedSession, SignatureParams
from .physiology import CuffParams
from .schedule import ccft_schedule, schedule_end_s
from .sensor import DATASHEET_SLOPE_MMHG_PER_COUNT
from .source import Cue

BREATHS_PER_MIN = (10.0, 25.0)
BREATHING_MMHG = (0.1, 0.4)  # amplitude (half peak-to-peak) of the breathing ripple
BREATH_HOLD_S = (5.0, 9.0)
HOLD_SD_MMHG = (0.05, 0.1)  # a steady holder (the simulator's default patient: 0.1)


@dataclass(frozen=True, slots=True)
class Person:
    """One simulated person: their session source and what they do on each trial."""

    seed: int
    source: ScriptedSession
    noise_mmhg: float

    @property
    def schedule(self) -> tuple[Cue, ...]:
        return self.source.schedule

    def breath_held(self) -> list[bool]:
        """Ground truth per trial: did they hold their breath during it?"""
        return ["breath_hold" in plan.compensations for plan in self.source.trials]


def make_person(
    seed: int,
    breath_hold_prob: float = 0.5,
    endurance_reps: int = 5,
    hold_sd_mmhg: tuple[float, float] = HOLD_SD_MMHG,
    n_stages: int = 5,
) -> Person:
    """A person drawn from ``seed``: ``n_stages`` stages (22, 24, … mmHg) and
    ``endurance_reps`` reps at 24 (0: none).

    ``hold_sd_mmhg``: range of the slow wander of their holds; some of it falls in the
    respiratory band and hides a held breath (docs/analysis.md shows how much).
    """
    rng = np.random.default_rng([seed, 17])
    cuff = CuffParams(
        breathing_hz=rng.uniform(*BREATHS_PER_MIN) / 60.0,
        breathing_mmhg=rng.uniform(*BREATHING_MMHG),
        breath_irregularity=rng.uniform(0.05, 0.2),
        rate_wander=rng.uniform(0.05, 0.15),
        amplitude_wander=rng.uniform(0.1, 0.25),
        pulse_mmhg=rng.uniform(0.02, 0.1),
        pulse_hz=rng.uniform(0.9, 1.7),
    )
    hold_s = rng.uniform(*BREATH_HOLD_S)
    signatures = SignatureParams(
        breath_hold_s=hold_s, breath_hold_at_s=rng.uniform(0.0, 9.5 - hold_s)
    )
    patient = PatientParams(
        max_level_mmhg=math.inf,
        hold_sd_mmhg=rng.uniform(*hold_sd_mmhg),
        signatures=signatures,
        compensations=(CompensationRule("breath_hold", probability=breath_hold_prob),),
    )
    schedule = ccft_schedule(n_stages=n_stages,
                             endurance_level_mmhg=24.0 if endurance_reps else None,
                             endurance_reps=max(endurance_reps, 1))
    source = ScriptedSession(patient, cuff, schedule, seed=seed, autocue=True)
    return Person(seed, source, noise_mmhg=rng.uniform(0.02, 0.05))


def sample_session(
    person: Person, rate_hz: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(t_s, pressure_mmhg, target_mmhg, phase) as a recording would hold them.

    Sensor noise and the firmware's quantum (≈ 0.005 mmHg) are added; the recording starts
    5 s after power-on (the cuff is inflated by then) and ends 10 s after the last cue.
    """
    schedule = person.schedule
    t = np.arange(5.0, schedule_end_s(schedule), 1.0 / rate_hz)
    p = person.source.pressure_mmhg(t)
    p = p + np.random.default_rng([person.seed, seed, int(rate_hz)]).normal(
        0.0, person.noise_mmhg, len(t))
    p = np.round(p / DATASHEET_SLOPE_MMHG_PER_COUNT) * DATASHEET_SLOPE_MMHG_PER_COUNT
    target = np.full(len(t), np.nan)
    phase = np.full(len(t), "", dtype=object)
    for cue in schedule:
        on = (t >= cue.start_s) & (t < cue.end_s)
        target[on] = cue.target_mmhg
        phase[on] = cue.phase
    return t, p, target, phase
