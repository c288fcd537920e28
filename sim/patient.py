"""The scripted patient: nods to cued targets the way a person does, and compensates on demand.

On each cue the patient plans a nod from the seed and the trial's index alone (reaction time,
minimum-jerk ramp, aim error, a slow Ornstein–Uhlenbeck-like wander, fatigue, compensations),
so the pressure is a pure function of time once the cues are known: chunking cannot change it.
Movements blend smoothly from whatever the patient was doing, so cues may come at any time.

``ScriptedSession`` puts the patient on a ``Cuff``: it is the ``PressureSource`` the simulated
firmware samples.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from cctf.errors import ConfigError

from .physiology import MIN_JERK_10_90, Cuff, CuffParams, SineSum, min_jerk, trapezoid
from .source import Cue

logger = logging.getLogger(__name__)

COMPENSATIONS = (
    "overshoot", "fast_nod", "pressure_drop", "unsteady", "head_lift", "no_reach", "breath_hold",
    "retraction", "chin_poke",
)
"""Compensations the patient can show, each with a pressure signature (see ``SignatureParams``);
``retraction`` and ``chin_poke`` are seen best in the head angle (issue 17)."""

RELAX_REACTION_S = 0.3
"""Delay between the cue ending and the patient starting to relax (letting go is quick)."""

BREATH_EDGE_S = 0.5
"""Breathing fades out and back in over this long around a held breath."""

_UNSTEADY_BAND_HZ = (1.0, 2.5)  # shaky hold: fast enough to stay clear of the drop rule


def _check_finite(obj: object, section: str, may_be_inf: tuple[str, ...] = ()) -> None:
    for f in fields(obj):
        value = getattr(obj, f.name)
        finite = not isinstance(value, float) or math.isfinite(value)
        if not finite and not (value == math.inf and f.name in may_be_inf):
            raise ConfigError(f"{section}.{f.name} must be a finite number, got {value}")


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """Shapes of the compensations (``[signatures]``), sized to clear the analysis thresholds.

    Times ``*_at_s`` count from the moment the nod reaches its target.
    """

    overshoot_mmhg: float = 3.2  # peak above the target (fails at > +1.5 for >= 0.3 s)
    overshoot_hold_s: float = 1.0  # time at the peak before settling
    overshoot_settle_s: float = 1.2  # minimum-jerk settle back to the target
    fast_nod_rise_s: float = 0.25  # 10–90 % rise time of a jerky nod (fails below 0.5 s)
    drop_mmhg: float = 2.7  # mid-hold fall below the target (fails at < -1 for >= 0.5 s)
    drop_at_s: float = 3.0
    drop_fall_s: float = 0.6
    drop_hold_s: float = 1.5
    drop_recover_s: float = 1.0
    unsteady_sd_mmhg: float = 0.8  # SD of a shaky hold (fails above 0.4)
    head_lift_mmhg: float = 3.2  # fall below the rest level (fails at < -1 for >= 0.3 s)
    head_lift_at_s: float = 5.0
    head_lift_s: float = 1.0  # time lifted, between 0.3 s edges down and 0.6 s back
    no_reach_short_mmhg: float = 2.0  # plateau this far below the target
    breath_hold_at_s: float = 1.0  # breathing stops this long after reaching the target ...
    breath_hold_s: float = 7.0  # ... for this long (the pressure itself stays clean)
    # head motion (issue 17; assumed shapes, not measured values)
    nod_deg_per_mmhg: float = 1.5  # a proper nod: craniocervical flexion per mmHg of nod
    retraction_deg_per_mmhg: float = 0.2  # retraction: the pressure rises, the head hardly nods
    head_lift_deg: float = 15.0  # extra flexion while the head is lifted off the cuff
    chin_poke_deg: float = 8.0  # extension (pitch falls) while the chin pokes ...
    chin_poke_mmhg: float = 1.5  # ... and the pressure falls this much
    chin_poke_at_s: float = 3.0
    chin_poke_s: float = 2.5  # time poked, between 0.5-s edges

    def __post_init__(self) -> None:
        _check_finite(self, "signatures")
        movements = ("overshoot_settle_s", "fast_nod_rise_s", "drop_fall_s", "drop_recover_s",
                 "breath_hold_s")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in movements and value <= 0:
                raise ConfigError(f"signatures.{f.name} must be > 0, got {value}")
            if value < 0:
                raise ConfigError(f"signatures.{f.name} must be >= 0, got {value}")


@dataclass(frozen=True, slots=True)
class CompensationRule:
    """When a compensation happens (``[[compensations]]``): every condition given must hold.

    ``trials`` are 0-based indices in cue order (all phases); an empty tuple means any trial.
    ``probability`` is drawn per trial from the seed, so the outcome is reproducible.
    """

    kind: str
    min_target_mmhg: float = 0.0
    max_target_mmhg: float = math.inf
    phases: tuple[str, ...] = ()
    trials: tuple[int, ...] = ()
    probability: float = 1.0

    def __post_init__(self) -> None:
        _check_finite(self, "compensation", may_be_inf=("max_target_mmhg",))
        if self.kind not in COMPENSATIONS:
            raise ConfigError(
                f"compensation.kind must be one of {', '.join(COMPENSATIONS)}, got {self.kind!r}"
            )
        if not 0.0 <= self.probability <= 1.0:
            raise ConfigError(
                f"compensation.probability must be between 0 and 1, got {self.probability}"
            )
        if not self.min_target_mmhg <= self.max_target_mmhg:
            raise ConfigError(
                f"compensation.min_target_mmhg ({self.min_target_mmhg}) must not exceed "
                f"max_target_mmhg ({self.max_target_mmhg})"
            )
        if any(i < 0 for i in self.trials):
            raise ConfigError(f"compensation.trials must be >= 0, got {list(self.trials)}")

    def applies(self, trial: int, target_mmhg: float, phase: str, draw: float) -> bool:
        """Whether this rule fires on trial ``trial``; ``draw`` is uniform in [0, 1)."""
        return (
            (not self.trials or trial in self.trials)
            and self.min_target_mmhg - 1e-9 <= target_mmhg <= self.max_target_mmhg + 1e-9
            and (not self.phases or phase in self.phases)
            and draw < self.probability
        )


@dataclass(frozen=True, slots=True)
class PatientParams:
    """How the patient moves and what they can do (``[patient]`` of a scenario file)."""

    max_level_mmhg: float = 28.0  # highest dial pressure held without compensating
    over_capacity: tuple[str, ...] = ("no_reach",)  # what happens on targets above it
    reaction_s: float = 0.4  # cue to movement onset (varies ±30 % per trial)
    ramp_s: float = 2.2  # duration of the minimum-jerk nod
    ramp_variation: float = 0.1  # ramp_s varies within ±this fraction per trial
    aim_sd_mmhg: float = 0.15  # aim error of the hold level (clipped at 2 SD)
    hold_sd_mmhg: float = 0.1  # SD of the slow wander while holding
    hold_tau_s: float = 1.5  # correlation time of that wander
    relax_s: float = 1.5  # duration of the relaxation when the cue ends
    fatigue_sd_mmhg_per_rep: float = 0.002  # hold SD grows by this per earlier trial
    fatigue_sag_mmhg_per_rep: float = 0.01  # fall over a 10-s hold per earlier trial
    signatures: SignatureParams = field(default_factory=SignatureParams)
    compensations: tuple[CompensationRule, ...] = ()

    def __post_init__(self) -> None:
        _check_finite(self, "patient", may_be_inf=("max_level_mmhg",))
        for name in ("max_level_mmhg", "ramp_s", "hold_tau_s", "relax_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"patient.{name} must be > 0, got {getattr(self, name)}")
        for name in (
            "reaction_s",
            "aim_sd_mmhg",
            "hold_sd_mmhg",
            "fatigue_sd_mmhg_per_rep",
            "fatigue_sag_mmhg_per_rep",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"patient.{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.ramp_variation <= 0.9:
            raise ConfigError(
                f"patient.ramp_variation must be between 0 and 0.9, got {self.ramp_variation}"
            )
        for kind in self.over_capacity:
            if kind not in COMPENSATIONS:
                raise ConfigError(
                    f"patient.over_capacity entries must be among {', '.join(COMPENSATIONS)}, "
                    f"got {kind!r}"
                )


@dataclass(frozen=True, slots=True)
class TrialPlan:
    """What the patient decided on one cue: the ground truth to check an analysis against."""

    index: int  # 0-based, in cue order
    cue_s: float
    target_mmhg: float
    phase: str
    compensations: frozenset[str]
    level_mmhg: float  # planned hold level (dial pressure), aim error and shortfall included
    start_s: float  # nod onset
    reach_s: float  # nod complete


class _Hold:
    """Goal of one trial: the dial pressure the patient produces once the nod is complete."""

    __slots__ = ("breath", "chin_poke", "deg_per_mmhg", "drop", "level", "lift", "lift_deg",
                 "overshoot", "reach_s", "sag_per_s", "unsteady", "wander")

    def __init__(self, plan: TrialPlan, wander: SineSum, sag_per_s: float) -> None:
        self.level = plan.level_mmhg
        self.reach_s = plan.reach_s
        self.wander = wander
        self.sag_per_s = sag_per_s
        self.unsteady: SineSum | None = None
        self.overshoot: tuple[float, float, float] | None = None
        self.drop: tuple[float, float, float, float, float] | None = None
        self.lift: tuple[float, float, float] | None = None
        self.breath: tuple[float, float] | None = None  # (from_s, to_s) breath held
        self.deg_per_mmhg = 0.0  # flexion per mmHg the nod adds
        self.lift_deg = 0.0
        self.chin_poke: tuple[float, float, float, float] | None = None  # deg, mmHg, at, for

    def __call__(self, t_s: np.ndarray, rest_mmhg: np.ndarray) -> np.ndarray:
        """Pressure the head adds over the cuff's rest pressure (mmHg) at ``t_s``."""
        return self.both(t_s, rest_mmhg)[0]

    def both(self, t_s: np.ndarray, rest_mmhg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pressure the head adds in mmHg, craniocervical flexion in degrees) at ``t_s``."""
        p = self.level + self.wander(t_s)
        held_s = t_s - self.reach_s
        if self.sag_per_s:
            p -= self.sag_per_s * np.maximum(held_s, 0.0)
        if self.unsteady is not None:
            p += self.unsteady(t_s)
        if self.overshoot is not None:
            peak_mmhg, peak_s, settle_s = self.overshoot
            p += peak_mmhg * (1.0 - min_jerk((held_s - peak_s) / settle_s))
        if self.drop is not None:
            depth_mmhg, at_s, fall_s, hold_s, back_s = self.drop
            p -= depth_mmhg * trapezoid(held_s, at_s, fall_s, hold_s, back_s)
        flex = self.deg_per_mmhg * (p - rest_mmhg)  # the head follows its own nod
        if self.lift is not None:
            depth_mmhg, at_s, hold_s = self.lift
            lifted = trapezoid(held_s, at_s, 0.3, hold_s, 0.6)
            p -= depth_mmhg * lifted
            flex = flex + self.lift_deg * lifted
        if self.chin_poke is not None:
            poke_deg, poke_mmhg, at_s, poke_s = self.chin_poke
            poked = trapezoid(held_s, at_s, 0.5, poke_s, 0.5)
            p -= poke_mmhg * poked
            flex = flex - poke_deg * poked
        return p - rest_mmhg, flex


@dataclass(frozen=True, slots=True)
class _Segment:
    """From ``start_s`` the patient blends over ``move_s`` into ``goal`` (None: relaxed)."""

    start_s: float
    move_s: float
    goal: _Hold | None


def _constant_rest(t_s: np.ndarray) -> np.ndarray:
    return np.full(np.shape(t_s), 20.0)


class ScriptedPatient:
    """A causal, seeded patient following cues; ``nod_mmhg`` is what their head adds.

    ``rest_mmhg`` gives the cuff's rest pressure over time: the patient aims at the absolute
    dial pressure, so it nods less on a cuff that has warmed up and more on one that leaks.
    """

    def __init__(
        self,
        params: PatientParams,
        seed: int = 0,
        rest_mmhg: Callable[[np.ndarray], np.ndarray] = _constant_rest,
    ) -> None:
        if seed < 0:
            raise ConfigError(f"seed must be >= 0, got {seed}")
        self.params = params
        self.seed = seed
        self._rest_mmhg = rest_mmhg
        self._segments: list[_Segment] = []
        self._starts: list[float] = []
        self._last_t_s = -math.inf
        self._trials: list[TrialPlan] = []

    @property
    def trials(self) -> tuple[TrialPlan, ...]:
        """Every trial planned so far, in cue order."""
        return tuple(self._trials)

    def cue(self, t_s: float, target_mmhg: float | None, phase: str = "") -> None:
        """From ``t_s`` the patient is asked to hold ``target_mmhg`` (None: relax)."""
        if target_mmhg is None:
            start_s = max(t_s + RELAX_REACTION_S, self._last_t_s)
            self._add(_Segment(start_s, self.params.relax_s, None))
            return
        plan, hold = self._plan(float(t_s), float(target_mmhg), phase)
        self._trials.append(plan)
        self._add(_Segment(plan.start_s, plan.reach_s - plan.start_s, hold))
        logger.debug("trial %d: %s", plan.index, plan)

    def breathing_gate(self, t_s: np.ndarray) -> np.ndarray:
        """1 while breathing, 0 while the breath is held (0.5-s edges): scales the ripple.

        A held breath is let go when the next movement begins (relaxing or the next nod)."""
        t_s = np.asarray(t_s, dtype=float)
        gate = np.ones(len(t_s))
        for k, segment in enumerate(self._segments):
            if segment.goal is None or segment.goal.breath is None:
                continue
            from_s, to_s = segment.goal.breath
            if k + 1 < len(self._starts):
                to_s = min(to_s, self._starts[k + 1])
            if to_s <= from_s:  # let go before it began: no held breath at all
                continue
            held_s = max(to_s - from_s - BREATH_EDGE_S, 0.0)
            end_s = from_s + held_s + 2 * BREATH_EDGE_S
            if len(t_s) and (t_s[-1] <= from_s or t_s[0] >= end_s):
                continue
            gate -= trapezoid(t_s, from_s, BREATH_EDGE_S, held_s, BREATH_EDGE_S)
        return np.clip(gate, 0.0, 1.0)

    def nod_mmhg(self, t_s: np.ndarray, rest_mmhg: np.ndarray) -> np.ndarray:
        """Pressure (mmHg) the head adds over ``rest_mmhg`` at increasing times ``t_s``."""
        t_s = np.asarray(t_s, dtype=float)
        if not len(t_s):
            return np.empty(0)
        self._last_t_s = max(self._last_t_s, float(t_s[-1]))
        first = bisect.bisect_right(self._starts, float(t_s[0])) - 1
        last = bisect.bisect_right(self._starts, float(t_s[-1])) - 1
        if first == last:
            return self._value(first, t_s, rest_mmhg)
        out = np.empty(len(t_s))
        index = np.searchsorted(self._starts, t_s, side="right") - 1
        for k in range(first, last + 1):
            mask = index == k
            if mask.any():
                out[mask] = self._value(k, t_s[mask], rest_mmhg[mask])
        return out

    def flexion_deg(self, t_s: np.ndarray, rest_mmhg: np.ndarray) -> np.ndarray:
        """Craniocervical flexion (degrees from the resting head, + = chin to chest) at
        increasing times ``t_s``; a pure function of time, like ``nod_mmhg``."""
        t_s = np.asarray(t_s, dtype=float)
        if not len(t_s):
            return np.empty(0)
        index = np.searchsorted(self._starts, t_s, side="right") - 1
        out = np.empty(len(t_s))
        for k in np.unique(index):
            mask = index == k
            out[mask] = self._value(int(k), t_s[mask], rest_mmhg[mask], part=1)
        return out

    def _value(self, k: int, t_s: np.ndarray, rest_mmhg: np.ndarray, part: int = 0) -> np.ndarray:
        """Nod pressure (``part`` 0) or flexion (1) while segment ``k`` is the latest begun
        (blends from segment k-1)."""
        if k < 0:
            return np.zeros(len(t_s))
        segment = self._segments[k]
        if segment.goal is None:
            goal = np.zeros(len(t_s))
        else:
            goal = segment.goal.both(t_s, rest_mmhg)[part]
        if t_s[0] >= segment.start_s + segment.move_s:
            return goal
        before = self._value(k - 1, t_s, rest_mmhg, part)
        weight = min_jerk((t_s - segment.start_s) / segment.move_s)
        return goal * weight + before * (1.0 - weight)  # exact at both ends: chunk-proof

    def _add(self, segment: _Segment) -> None:
        # A cue that comes before a planned movement has begun replaces it.
        cut = bisect.bisect_right(self._starts, segment.start_s)
        del self._segments[cut:], self._starts[cut:]
        self._segments.append(segment)
        self._starts.append(segment.start_s)

    def _plan(self, cue_s: float, target_mmhg: float, phase: str) -> tuple[TrialPlan, _Hold]:
        """Decide one trial from (seed, trial index) only; the draw order is fixed."""
        p, sig = self.params, self.params.signatures
        index = len(self._trials)
        draws = np.random.default_rng([self.seed, 2, index]).random(len(p.compensations))
        kinds = {
            rule.kind
            for rule, draw in zip(p.compensations, draws, strict=True)
            if rule.applies(index, target_mmhg, phase, float(draw))
        }
        if target_mmhg > p.max_level_mmhg + 1e-9:
            kinds.update(p.over_capacity)

        rng = np.random.default_rng([self.seed, 1, index])
        reaction_s = p.reaction_s * (1.0 + rng.uniform(-0.3, 0.3))
        move_s = p.ramp_s * (1.0 + rng.uniform(-p.ramp_variation, p.ramp_variation))
        aim_mmhg = float(np.clip(rng.normal(0.0, 1.0), -2.0, 2.0)) * p.aim_sd_mmhg
        wander_sd = p.hold_sd_mmhg + index * p.fatigue_sd_mmhg_per_rep
        wander = SineSum.ou_like(rng, wander_sd, p.hold_tau_s)
        # One frequency per sub-band: no slow beats, so the SD over a hold is close to nominal.
        n_shake = 6
        lo_hz, hi_hz = _UNSTEADY_BAND_HZ
        shake = SineSum(
            lo_hz + (hi_hz - lo_hz) * (np.arange(n_shake) + rng.random(n_shake)) / n_shake,
            np.full(n_shake, sig.unsteady_sd_mmhg * math.sqrt(2.0 / n_shake)),
            rng.uniform(0.0, 2.0 * math.pi, n_shake),
        )

        if "fast_nod" in kinds:
            move_s = sig.fast_nod_rise_s / MIN_JERK_10_90
        level_mmhg = target_mmhg + aim_mmhg
        if "no_reach" in kinds:
            level_mmhg -= sig.no_reach_short_mmhg
        start_s = max(cue_s + reaction_s, self._last_t_s)
        plan = TrialPlan(
            index=index,
            cue_s=cue_s,
            target_mmhg=target_mmhg,
            phase=phase,
            compensations=frozenset(kinds),
            level_mmhg=level_mmhg,
            start_s=start_s,
            reach_s=start_s + move_s,
        )
        hold = _Hold(plan, wander, index * p.fatigue_sag_mmhg_per_rep / 10.0)
        hold.deg_per_mmhg = (sig.retraction_deg_per_mmhg if "retraction" in kinds
                             else sig.nod_deg_per_mmhg)
        hold.lift_deg = sig.head_lift_deg
        if "chin_poke" in kinds:
            hold.chin_poke = (sig.chin_poke_deg, sig.chin_poke_mmhg, sig.chin_poke_at_s,
                              sig.chin_poke_s)
        if "unsteady" in kinds:
            hold.unsteady = shake
        if "overshoot" in kinds:
            hold.overshoot = (sig.overshoot_mmhg, sig.overshoot_hold_s, sig.overshoot_settle_s)
        rest_at_cue = float(self._rest_mmhg(np.array([cue_s]))[0])
        if "pressure_drop" in kinds:
            # Sagging muscles cannot take the pressure below what the head rests at (that
            # would be a head lift): a drop at a low target stops 0.2 mmHg under the rest level.
            hold.drop = (
                min(sig.drop_mmhg, level_mmhg - rest_at_cue + 0.2),
                sig.drop_at_s,
                sig.drop_fall_s,
                sig.drop_hold_s,
                sig.drop_recover_s,
            )
        if "head_lift" in kinds:
            depth_mmhg = level_mmhg - (rest_at_cue - sig.head_lift_mmhg)
            hold.lift = (depth_mmhg, sig.head_lift_at_s, sig.head_lift_s)
        if "breath_hold" in kinds:
            from_s = plan.reach_s + sig.breath_hold_at_s
            hold.breath = (from_s, from_s + sig.breath_hold_s)
        return plan, hold


class ScriptedSession:
    """A scripted patient on a cuff: the ``PressureSource`` the simulated firmware samples.

    With ``autocue`` it cues itself from ``schedule`` (no app driving it, e.g. ``cctf sim`` on a
    pty) and ignores ``cue`` calls; otherwise it waits for ``cue`` calls from the app.
    """

    def __init__(
        self,
        patient: PatientParams,
        cuff: CuffParams,
        schedule: Sequence[Cue] = (),
        seed: int = 0,
        autocue: bool = False,
        neutral_pitch_deg: float = 0.0,
        neutral_roll_deg: float = 0.0,
    ) -> None:
        self.neutral_pitch_deg = neutral_pitch_deg  # the resting head's tilt as a sensor reads it
        self.neutral_roll_deg = neutral_roll_deg
        self.cuff = Cuff(cuff, seed)
        self.patient = ScriptedPatient(patient, seed, rest_mmhg=self.cuff.rest_mmhg)
        self.schedule: tuple[Cue, ...] = tuple(sorted(schedule, key=lambda c: c.start_s))
        self.autocue = autocue
        self._cues: list[Cue] = list(self.schedule) if autocue else []
        self._cue_starts = [c.start_s for c in self._cues]
        if autocue:
            for c in self.schedule:
                self.patient.cue(c.start_s, c.target_mmhg, c.phase)
                self.patient.cue(c.end_s, None, c.phase)

    @property
    def trials(self) -> tuple[TrialPlan, ...]:
        """What the patient planned for each cue so far (ground truth for tests)."""
        return self.patient.trials

    def pressure_mmhg(self, t_s: np.ndarray) -> np.ndarray:
        """True cuff pressure (mmHg gauge) at device times ``t_s`` (1-D, increasing)."""
        t_s = np.asarray(t_s, dtype=float)
        rest = self.cuff.rest_mmhg(t_s)
        gate = self.patient.breathing_gate(t_s)
        total = rest + self.patient.nod_mmhg(t_s, rest) + self.cuff.body_mmhg(t_s, gate)
        return np.maximum(total, 0.0)

    def head_angles(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """True head (pitch, roll) in degrees at device times ``t_s``, as a head sensor on
        this patient would read them (device-absolute: the resting head's own tilt included).
        Pitch + = chin towards chest; the scripted patient does not roll its head."""
        t_s = np.asarray(t_s, dtype=float)
        rest = self.cuff.rest_mmhg(t_s)
        pitch = self.neutral_pitch_deg + self.patient.flexion_deg(t_s, rest)
        return pitch, np.full(len(t_s), self.neutral_roll_deg)

    def cue(self, t_s: float, target_mmhg: float | None, phase: str = "") -> None:
        """From ``t_s`` the patient is asked to hold ``target_mmhg`` (None: relax)."""
        if self.autocue:
            logger.debug("autocue session ignores cue(%s, %s, %r)", t_s, target_mmhg, phase)
            return
        if self._cues and self._cues[-1].end_s > t_s:
            last = self._cues[-1]
            self._cues[-1] = Cue(last.start_s, max(t_s, last.start_s), last.target_mmhg, last.phase)
        if target_mmhg is not None:
            self._cues.append(Cue(t_s, math.inf, float(target_mmhg), phase))
            self._cue_starts.append(t_s)
        self.patient.cue(t_s, target_mmhg, phase)

    def current_cue(self, t_s: float) -> Cue | None:
        """The cue shown at device time ``t_s`` (None between cues), for a recorder's column."""
        k = bisect.bisect_right(self._cue_starts, t_s) - 1
        if k >= 0 and t_s < self._cues[k].end_s:
            return self._cues[k]
        return None
