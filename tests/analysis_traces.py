"""Synthetic CCFT pressure traces for the analysis tests.

A ``Trace`` is a continuous signal, a pure function of time: a baseline plus smooth
(minimum-jerk or raised-cosine) moves between levels, smooth bumps (overshoots, dips, head
lifts), linear drifts, windowed sinusoids (a shaky hold) and the body's breathing and pulse.
``Trace.sample`` turns it into the four session columns at any rate, optionally with Gaussian
noise, quantisation, timestamp jitter, randomly missing samples and holes; the same trace
sampled at 10 or 200 Hz is the same underlying movement.

The module also holds a small *oracle* for the signal facts the tests design around (the
spec's causal low-pass, episode lengths, crossings, detrended SD). Tests use it to check that
a trace sits where it is meant to relative to a threshold before they judge the engine, so a
failing engine assertion is not a badly designed trace.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

NOMINAL_MMHG = 20.0
MIN_JERK_10_90 = 0.506726  # fraction of a minimum-jerk move spent between 10 % and 90 %
RAISED_COSINE_10_90 = (math.acos(-0.8) - math.acos(0.8)) / math.pi  # ≈ 0.5903


def min_jerk(x: np.ndarray | float) -> np.ndarray:
    """Minimum-jerk profile 0 → 1 over x in [0, 1], clipped outside."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10.0 + x * (-15.0 + 6.0 * x))


def raised_cosine(x: np.ndarray | float) -> np.ndarray:
    """Raised-cosine profile 0 → 1 over x in [0, 1], clipped outside."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


SHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "min_jerk": min_jerk,
    "raised_cosine": raised_cosine,
}


def move_s_for_rise(rise_s: float, shape: str = "min_jerk") -> float:
    """Duration of a move whose 10–90 % rise takes ``rise_s``."""
    return rise_s / (MIN_JERK_10_90 if shape == "min_jerk" else RAISED_COSINE_10_90)


@dataclass(frozen=True, slots=True)
class Cue:
    start_s: float
    end_s: float
    target_mmhg: float
    phase: str = "stage"


@dataclass(slots=True)
class Sampled:
    """The four session columns of a sampled trace."""

    t_s: np.ndarray
    pressure_mmhg: np.ndarray
    target_mmhg: np.ndarray
    phase: np.ndarray  # object array of str
    rate_hz: float

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.t_s, self.pressure_mmhg, self.target_mmhg, self.phase

    def __len__(self) -> int:
        return len(self.t_s)

    def filtered(self) -> np.ndarray:
        """The spec's causal low-pass of the pressure (oracle)."""
        return lowpass(self.pressure_mmhg, self.rate_hz)

    def trial_slices(self) -> list[slice]:
        """Maximal runs of rows with the same non-blank target (the spec's trials)."""
        out = []
        tgt = self.target_mmhg
        i, n = 0, len(tgt)
        while i < n:
            if math.isnan(tgt[i]):
                i += 1
                continue
            j = i
            while j + 1 < n and tgt[j + 1] == tgt[i]:
                j += 1
            out.append(slice(i, j + 1))
            i = j + 1
        return out


@dataclass
class Trace:
    """A continuous pressure signal built from smooth pieces, plus its cue script."""

    baseline_mmhg: float = NOMINAL_MMHG
    end_s: float = 30.0
    cues: list[Cue] = field(default_factory=list)
    _parts: list[Callable[[np.ndarray], np.ndarray]] = field(default_factory=list, repr=False)
    _level: float = field(default=math.nan, repr=False)  # level once every move is done
    ops: list[str] = field(default_factory=list)  # what was built, for failure messages

    def _op(self, name: str, *args: object, **kwargs: object) -> None:
        parts = [f"{a:g}" if isinstance(a, float) else repr(a) for a in args]
        parts += [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v!r}"
                  for k, v in kwargs.items()]
        self.ops.append(f"{name}({', '.join(parts)})")

    def __post_init__(self) -> None:
        self._level = self.baseline_mmhg

    # --- building -------------------------------------------------------------------------

    @property
    def level_mmhg(self) -> float:
        """The level the signal settles at once every move so far is complete."""
        return self._level

    def move(
        self, t_s: float, to_mmhg: float, over_s: float = 2.0, shape: str = "min_jerk"
    ) -> Trace:
        """From ``t_s`` move smoothly (over ``over_s``) to the absolute level ``to_mmhg``."""
        self._op("move", t_s, to_mmhg, over_s=over_s, shape=shape)
        delta = to_mmhg - self._level
        self._level = to_mmhg
        f = SHAPES[shape]
        self._parts.append(lambda t: delta * f((t - t_s) / over_s))
        return self

    def bump(
        self,
        t_s: float,
        by_mmhg: float,
        hold_s: float,
        edge_s: float = 0.3,
        back_s: float | None = None,
        shape: str = "min_jerk",
    ) -> Trace:
        """A smooth excursion of ``by_mmhg`` from the current level: ``edge_s`` to get there,
        ``hold_s`` at the plateau, ``back_s`` (default ``edge_s``) back."""
        back_s = edge_s if back_s is None else back_s
        self._op("bump", t_s, by_mmhg, hold_s=hold_s, edge_s=edge_s, back_s=back_s)
        f = SHAPES[shape]

        def part(t: np.ndarray) -> np.ndarray:
            up = f((t - t_s) / edge_s)
            down = f((t - t_s - edge_s - hold_s) / back_s)
            return by_mmhg * (up - down)

        self._parts.append(part)
        return self

    def drift(self, from_s: float, to_s: float, by_mmhg: float) -> Trace:
        """A linear change of ``by_mmhg`` between ``from_s`` and ``to_s`` (kept afterwards)."""
        self._op("drift", from_s, to_s, by_mmhg)
        self._level += by_mmhg
        span = to_s - from_s
        self._parts.append(lambda t: by_mmhg * np.clip((t - from_s) / span, 0.0, 1.0))
        return self

    def sine(
        self,
        amp_mmhg: float,
        hz: float,
        phase_rad: float = 0.0,
        from_s: float = -math.inf,
        to_s: float = math.inf,
        fade_s: float = 0.5,
    ) -> Trace:
        """``amp·sin(2π f t + φ)``, faded in and out smoothly over ``fade_s`` at the ends."""
        self._op("sine", float(amp_mmhg), float(hz), from_s=float(from_s), to_s=float(to_s))

        def part(t: np.ndarray) -> np.ndarray:
            env = np.ones_like(t)
            if math.isfinite(from_s):
                env = env * min_jerk((t - from_s) / fade_s)
            if math.isfinite(to_s):
                env = env * (1.0 - min_jerk((t - to_s + fade_s) / fade_s))
            return amp_mmhg * env * np.sin(2.0 * math.pi * hz * t + phase_rad)

        self._parts.append(part)
        return self

    def shake(self, sd_mmhg: float, from_s: float, to_s: float, seed: int = 0) -> Trace:
        """A shaky hold: 4 sinusoids in 0.4–1.2 Hz (where the 3-Hz low-pass passes them almost
        untouched) with a total SD of ``sd_mmhg``, faded in at ``from_s`` and out at ``to_s``."""
        rng = np.random.default_rng([seed, 99])
        n = 4
        freqs = 0.4 + 0.8 * (np.arange(n) + rng.random(n)) / n
        amp = sd_mmhg * math.sqrt(2.0 / n)
        for f, ph in zip(freqs, rng.uniform(0, 2 * math.pi, n), strict=True):
            self.sine(amp, float(f), float(ph), from_s, to_s)
        return self

    def breathing(self, pp_mmhg: float, hz: float, phase_rad: float = 0.0) -> Trace:
        """Breathing ripple of ``pp_mmhg`` peak to peak (realistic: 0.1–0.5 at 0.15–0.4 Hz)."""
        return self.sine(pp_mmhg / 2.0, hz, phase_rad)

    def pulse(self, pp_mmhg: float, hz: float, phase_rad: float = 0.0) -> Trace:
        """Pulse ripple of ``pp_mmhg`` peak to peak (realistic: < 0.2 at 0.8–2 Hz)."""
        return self.sine(pp_mmhg / 2.0, hz, phase_rad)

    def physiology(self, seed: int) -> Trace:
        """Realistic breathing and pulse drawn from ``seed``."""
        rng = np.random.default_rng([seed, 7])
        self.breathing(rng.uniform(0.1, 0.5), rng.uniform(0.15, 0.4), rng.uniform(0, 6.28))
        self.pulse(rng.uniform(0.02, 0.2), rng.uniform(0.8, 2.0), rng.uniform(0, 6.28))
        return self

    def cue(self, start_s: float, end_s: float, target_mmhg: float, phase: str = "stage") -> Trace:
        self._op("cue", float(start_s), float(end_s), float(target_mmhg), phase)
        self.cues.append(Cue(start_s, end_s, float(target_mmhg), phase))
        self.end_s = max(self.end_s, end_s + 3.0)
        return self

    def nod(
        self,
        start_s: float,
        end_s: float,
        target_mmhg: float,
        phase: str = "stage",
        *,
        level_mmhg: float | None = None,
        reaction_s: float = 0.5,
        ramp_s: float = 2.0,
        shape: str = "min_jerk",
        relax_delay_s: float = 0.3,
        relax_s: float = 1.5,
    ) -> Trace:
        """A cued trial: after ``reaction_s`` the patient moves over ``ramp_s`` to
        ``level_mmhg`` (default: the target) and relaxes back once the cue ends."""
        rest = self._level
        self.cue(start_s, end_s, target_mmhg, phase)
        self.move(start_s + reaction_s, target_mmhg if level_mmhg is None else level_mmhg,
                  ramp_s, shape)
        self.move(end_s + relax_delay_s, rest, relax_s)
        return self

    # --- evaluating -----------------------------------------------------------------------

    def value(self, t_s: np.ndarray) -> np.ndarray:
        t_s = np.asarray(t_s, dtype=float)
        out = np.full(t_s.shape, self.baseline_mmhg)
        for part in self._parts:
            out = out + part(t_s)
        return out

    def sample(
        self,
        rate_hz: float,
        *,
        start_s: float = 0.0,
        end_s: float | None = None,
        noise_sd: float = 0.0,
        quantum: float = 0.0,
        jitter: float = 0.0,
        drop: float = 0.0,
        holes: tuple[tuple[float, float], ...] = (),
        seed: int = 0,
    ) -> Sampled:
        """Sample at ``rate_hz``: ``jitter`` is ± the fraction of a period each timestamp may
        move, ``drop`` the fraction of samples lost at random, ``holes`` (from, to) intervals
        with no samples; noise and quantisation (step ``quantum``) apply to the pressure."""
        end_s = self.end_s if end_s is None else end_s
        rng = np.random.default_rng([seed, int(rate_hz * 1000)])
        n = math.floor((end_s - start_s) * rate_hz) + 1
        t = start_s + np.arange(n) / rate_hz
        if jitter:
            t = t + rng.uniform(-jitter, jitter, n) / rate_hz
        keep = np.ones(n, dtype=bool)
        if drop:
            keep &= rng.random(n) >= drop
            keep[0] = keep[-1] = True
        for a, b in holes:
            keep &= ~((t > a) & (t < b))
        t = t[keep]
        p = self.value(t)
        if noise_sd:
            p = p + rng.normal(0.0, noise_sd, len(t))
        if quantum:
            p = np.round(p / quantum) * quantum
        target, phase = cue_columns(t, self.cues)
        return Sampled(t, p, target, phase, float(rate_hz))


def cue_columns(t_s: np.ndarray, cues: list[Cue]) -> tuple[np.ndarray, np.ndarray]:
    """Target (NaN = no cue) and phase ("" = none) at each sample time."""
    target = np.full(len(t_s), np.nan)
    phase = np.full(len(t_s), "", dtype=object)
    for c in cues:
        m = (t_s >= c.start_s) & (t_s < c.end_s)
        target[m] = c.target_mmhg
        phase[m] = c.phase
    return target, phase


# --- oracle: the signal facts the spec defines ---------------------------------------------


def lowpass(p: np.ndarray, rate_hz: float, cutoff_hz: float = 3.0, order: int = 2) -> np.ndarray:
    """The spec's causal low-pass: Butterworth SOS at min(cutoff, 0.4 × rate), seeded at the
    first sample's value."""
    sos = signal.butter(order, min(cutoff_hz, 0.4 * rate_hz), fs=rate_hz, output="sos")
    zi = signal.sosfilt_zi(sos) * p[0]
    out, _ = signal.sosfilt(sos, p, zi=zi)
    return out


def episodes(t_s: np.ndarray, mask: np.ndarray, rate_hz: float) -> list[tuple[float, float]]:
    """Runs of consecutive samples where ``mask`` holds: (t_first, duration) with the spec's
    duration t_last − t_first + 1/rate."""
    out = []
    i, n = 0, len(mask)
    while i < n:
        if not mask[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and mask[j + 1]:
            j += 1
        out.append((float(t_s[i]), float(t_s[j] - t_s[i] + 1.0 / rate_hz)))
        i = j + 1
    return out


def longest(t_s: np.ndarray, mask: np.ndarray, rate_hz: float) -> float:
    return max((d for _, d in episodes(t_s, mask, rate_hz)), default=0.0)


def first_time(t_s: np.ndarray, mask: np.ndarray) -> float:
    idx = np.flatnonzero(mask)
    return float(t_s[idx[0]]) if len(idx) else math.nan


def crossing_up(t_s: np.ndarray, x: np.ndarray, level: float, before: int | None = None) -> float:
    """Time (linearly interpolated) of the last upward crossing of ``level`` before sample
    index ``before`` (default: the first, i.e. the first upward crossing overall)."""
    up = np.flatnonzero((x[:-1] < level) & (x[1:] >= level))
    if before is not None:
        up = up[up < before]
        if not len(up):
            return math.nan
        k = int(up[-1])
    else:
        if not len(up):
            return math.nan
        k = int(up[0])
    return float(t_s[k] + (level - x[k]) * (t_s[k + 1] - t_s[k]) / (x[k + 1] - x[k]))


def rise_10_90(t_s: np.ndarray, x: np.ndarray, rest: float, target: float) -> tuple[float, float]:
    """(time of the 10 % crossing, 10–90 % time) as the spec defines them."""
    lo, hi = rest + 0.1 * (target - rest), rest + 0.9 * (target - rest)
    up90 = np.flatnonzero((x[:-1] < hi) & (x[1:] >= hi))
    if not len(up90):
        return math.nan, math.nan
    k90 = int(up90[0])
    t90 = float(t_s[k90] + (hi - x[k90]) * (t_s[k90 + 1] - t_s[k90]) / (x[k90 + 1] - x[k90]))
    t10 = crossing_up(t_s, x, lo, before=k90 + 1)
    return t10, t90 - t10


def detrended_sd(t_s: np.ndarray, x: np.ndarray) -> float:
    if len(x) < 3:
        return 0.0
    coef = np.polyfit(t_s - t_s[0], x, 1)
    return float(np.std(x - np.polyval(coef, t_s - t_s[0])))


def reach_index(sampled: Sampled, trial: slice, band: float = 1.0) -> int | None:
    """Index of the first sample of ``trial`` whose filtered pressure is within the band."""
    f = sampled.filtered()[trial]
    target = sampled.target_mmhg[trial.start]
    idx = np.flatnonzero(np.abs(f - target) <= band)
    return None if not len(idx) else trial.start + int(idx[0])


def hold_window_sd(sampled: Sampled, trial: slice, hold_s: float = 10.0) -> float:
    """Detrended SD of the filtered pressure from reaching to ``hold_s`` later (for traces
    whose first hold attempt completes)."""
    k = reach_index(sampled, trial)
    assert k is not None
    t, f = sampled.t_s, sampled.filtered()
    end = np.flatnonzero(t[k:] - t[k] + 1.0 / sampled.rate_hz >= hold_s - 1e-9)
    stop = k + int(end[0]) + 1 if len(end) else trial.stop
    return detrended_sd(t[k:stop], f[k:stop])


def rest_level(sampled: Sampled, cue_start_s: float, window_s: float = 3.0) -> float:
    m = (sampled.t_s >= cue_start_s - window_s) & (sampled.t_s < cue_start_s)
    return float(np.median(sampled.pressure_mmhg[m]))


# --- common sessions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrialSpec:
    """One trial of a hand-built session: ``ok`` trials are clean holds; others plateau 2 mmHg
    short of the target (an undershoot)."""

    target_mmhg: float
    phase: str = "stage"
    ok: bool = True


def session_trace(
    trials: list[TrialSpec],
    *,
    first_cue_s: float = 6.0,
    cue_s: float = 14.0,
    rest_s: float = 8.0,
    baseline_mmhg: float = NOMINAL_MMHG,
) -> Trace:
    tr = Trace(baseline_mmhg)
    t = first_cue_s
    for spec in trials:
        level = spec.target_mmhg if spec.ok else spec.target_mmhg - 2.0
        tr.nod(t, t + cue_s, spec.target_mmhg, spec.phase, level_mmhg=level)
        t += cue_s + rest_s
    tr.end_s = t
    return tr


def ccft_trace(
    targets: tuple[float, ...] = (22.0, 24.0, 26.0, 28.0, 30.0),
    *,
    first_cue_s: float = 6.0,
    cue_s: float = 14.0,
    rest_s: float = 8.0,
    seed: int | None = None,
) -> Trace:
    """Clean stages at ``targets``; with ``seed``, realistic breathing and pulse."""
    tr = session_trace([TrialSpec(x) for x in targets], first_cue_s=first_cue_s, cue_s=cue_s,
                       rest_s=rest_s)
    if seed is not None:
        tr.physiology(seed)
    return tr


# --- running the engine ----------------------------------------------------------------------


def analyze(sampled: Sampled, *, estimate_rate: bool = False, chunk_size: int | None = None,
            config=None, plan=None, ending=None):
    """``analyze_arrays`` on a sampled trace, at its nominal rate unless ``estimate_rate``."""
    from cctf.analysis.offline import analyze_arrays

    rate = None if estimate_rate else sampled.rate_hz
    return analyze_arrays(*sampled.arrays(), rate_hz=rate, config=config, chunk_size=chunk_size,
                          plan=plan, ending=ending)


def run_live(sampled: Sampled, sizes=None, *, config=None, ending=None):
    """Feed ``CcftAnalyzer`` in chunks of ``sizes`` (an iterable of ints, cycled; None: all at
    once); return (events, result). ``ending``: a ``cctf.sessionfile.Ending`` for ``finish``."""
    from cctf.analysis.engine import CcftAnalyzer

    an = CcftAnalyzer(sampled.rate_hz, config)
    t, p, tgt, ph = sampled.arrays()
    n = len(t)
    events = []
    if sizes is None:
        events += an.update(t, p, tgt, ph)
    else:
        sizes = list(sizes)
        i = k = 0
        while i < n:
            step = max(1, int(sizes[k % len(sizes)]))
            events += an.update(t[i:i + step], p[i:i + step], tgt[i:i + step], ph[i:i + step])
            i += step
            k += 1
    if ending is None:
        events += an.finish()
    else:
        events += an.finish(ended_early_s=ending.early_at_s, complete=ending.complete)
    return events, an.result()


def fault_types(trial) -> set[str]:
    return {f.type for f in trial.faults}


def fault(trial, kind: str):
    found = [f for f in trial.faults if f.type == kind]
    assert found, f"no {kind} fault in trial {trial.index}: {trial.faults}"
    return found[0]


def session_types(result) -> set[str]:
    return {e.type for e in result.session_events}


def event_key(e) -> tuple:
    """An event as a hashable, NaN-safe tuple (NaN != NaN would defeat ==)."""
    v = None if isinstance(e.value, float) and math.isnan(e.value) else e.value
    return (e.kind, e.t_s, e.trial, e.type, v)
