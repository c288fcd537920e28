"""Possible breath holding from the pressure ripple: a hypothesis-level flag, not a fault.

Breathing moves the head on the cuff, a ripple of ~0.1–0.5 mmHg at 10–25 breaths/min. A patient
who holds the breath while holding the nod loses that ripple. ``BreathHoldDetector`` compares
the ripple power in a respiratory band during each cued hold with the same patient's ripple at
rest and flags the trial when it stays below ``breath_fraction`` of it for at least
``breath_min_s``. No study has validated this rule or its numbers: the flag reads "possible
breath holding" and the therapist confirms or dismisses it; it never fails a trial by itself.

How (all times from the samples' ``t_s``, parameters in ``AnalysisConfig``):
- Segments are runs of equal (target, phase), as the engine cuts trials. A rest segment (no
  target) is judged from ``breath_rest_settle_s`` after it starts (the patient has relaxed); a
  cued segment from ``breath_settle_s`` after the pressure first comes within the target band
  (the nod is over). A nod's step would ring in any band-pass for many seconds, so the filter
  is started afresh there, seeded at the steady state of that sample, and its first
  ``breath_warmup_s`` is not used.
- Ripple power: the mean square of the band-passed pressure over the trailing
  ``breath_window_s`` (running sums carried between calls).
- Rest reference: the median of the rest window powers, sampled every ``_REST_GRID_S``, over the
  last ``breath_rest_memory_s`` of judged rest before the cue (the baseline before the first
  cue counts). With less than ``breath_rest_min_s`` of it, or a rest ripple below
  ``breath_min_rest_rms_mmhg`` RMS (no breathing to lose), the trial is *not measured*.
- A quiet stretch: window powers below ``breath_fraction`` × reference; its estimated length is
  the run of quiet windows plus one window. At ``breath_min_s`` the trial is flagged.
- The breath carried into the hold (``breath_coherent_*``): the hold's slow wander has power in
  the band too, so power alone cannot tell breathing from wander. At the cue, a sinusoid (the
  rate, within the patient's band, and the phase) is fitted to the last rest's pressure and
  carried forward; in the hold, its in-phase amplitude (a fit of level, slope and the predicted
  oscillation over the trailing ``breath_coherent_window_s``) says whether the breathing goes on
  as predicted. Wander has no phase relation to it. With a prediction a window is quiet when
  its power is below ``breath_coherent_floor`` × reference, or below ``breath_coherent_ceiling``
  × reference while the in-phase amplitude is below ``breath_coherent_min`` × the rest breath's;
  without one (no rest just before the cue) the plain rule above.

State is carried explicitly between calls, and every decision depends only on the samples up to
the one that made it, so any chunking gives the same facts (tests/test_breath_hold.py).
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.filters import _Powers, _Section
from cctf.analysis.median import column_medians, median
from cctf.analysis.results import Event, Fault, TrialResult
from cctf.analysis.runs import mean


def _signal() -> ModuleType:
    """``scipy.signal``, imported when a detector is built, not with the package: importing it
    costs about a second of start-up (docs/analysis.md; benchmarks/bench_startup.py)."""
    from scipy import signal

    return signal


_REST_GRID_S = 0.5  # rest window powers are sampled this often for the reference median
_FIT_FREQS = 81  # the rest breath's rate: this many trial rates across the patient's band
# The fit reads block means this long (20 Hz, for a breathing band ≤ 0.6 Hz). At 10 and 25 Hz a
# block is one sample: the fit is exactly the one the thresholds were chosen with (docs).
_FIT_BLOCK_S = 0.05
_EPS = 1e-9


def respiratory_subbands_hz(cfg: AnalysisConfig) -> list[tuple[float, float]]:
    """The (low, high) edges of the sub-bands: ``breath_subbands`` centres spaced evenly on a
    log scale, each spanning centre / ``breath_subband_ratio`` … centre × that ratio, all
    within ``breath_band_low_hz`` … ``breath_band_high_hz``."""
    r = cfg.breath_subband_ratio
    lo, hi = cfg.breath_band_low_hz * r, cfg.breath_band_high_hz / r
    centres = np.geomspace(lo, max(hi, lo), cfg.breath_subbands)
    return [(float(c) / r, float(c) * r) for c in centres]


def respiratory_band_sos(rate_hz: float, low_hz: float, high_hz: float,
                         order: int) -> np.ndarray | None:
    """One respiratory band-pass as second-order sections (the only filter design here).

    Butterworth, ``order`` per edge; the upper edge is capped at 0.4 × the rate. None when the
    band does not fit below that cap.
    """
    high_hz = min(high_hz, 0.4 * rate_hz)
    if high_hz <= low_hz:
        return None
    if order == 1:  # the default: designed here, without importing scipy.signal
        return bandpass1_sos(rate_hz, low_hz, high_hz)
    return _signal().butter(order, [low_hz, high_hz], btype="bandpass", fs=rate_hz, output="sos")


def bandpass1_sos(rate_hz: float, low_hz: float, high_hz: float) -> np.ndarray:
    """``scipy.signal.butter(1, [low, high], "bandpass", fs=rate, output="sos")`` in NumPy:
    the pre-warped first-order prototype moved to the band (one zero at 0, two poles), then the
    bilinear transform — one section ``[k, 0, −k, 1, a1, a2]`` (tests/test_breath_hold.py pins it
    to scipy's)."""
    warped = 4.0 * np.tan(np.pi * np.array([low_hz, high_hz]) / rate_hz)  # fs = 2 after scaling
    bw = float(warped[1] - warped[0])
    wo = math.sqrt(float(warped[0] * warped[1]))
    p_lp = -bw / 2.0
    root = np.sqrt(complex(p_lp * p_lp - wo * wo))
    poles = np.array([p_lp + root, p_lp - root])  # analog band-pass poles
    zpoles = (4.0 + poles) / (4.0 - poles)  # bilinear transform, fs2 = 4
    gain = bw * float(np.real(4.0 / np.prod(4.0 - poles)))
    a1 = float(-np.real(zpoles[0] + zpoles[1]))
    a2 = float(np.real(zpoles[0] * zpoles[1]))
    return np.array([[gain, 0.0, -gain, 1.0, a1, a2]])


class _ScipySections:
    """Higher orders (a configuration choice): scipy's ``sosfilt`` with carried state."""

    def __init__(self, sos: np.ndarray, first: float) -> None:
        signal = _signal()
        self.sos = sos
        self._sosfilt = signal.sosfilt
        self.zi = signal.sosfilt_zi(sos) * first  # seeded at the steady state of ``first``

    def process(self, x: np.ndarray) -> np.ndarray:
        y, self.zi = self._sosfilt(self.sos, x, zi=self.zi)
        return np.asarray(y)


def _band_filter(sos: np.ndarray, first: float) -> _Section | _ScipySections:
    """A causal filter seeded at the steady state of ``first`` (no start-up step): one NumPy
    section (bitwise chunk invariant) for the default first-order bands, else scipy's."""
    a1, a2 = float(sos[0, 4]), float(sos[0, 5])
    if len(sos) == 1 and sos[0, 2] != 0.0 and a1 * a1 < 4.0 * a2:  # one complex pole pair
        return _Section(sos[0, :3], sos[0, 3:])
    return _ScipySections(sos, first)


class _PowerRows:
    """The sections' power tables as rows (zeros past a row's block), grown as far as they are
    read, as each section's own."""

    def __init__(self, powers: list[_Powers]) -> None:
        self.powers = powers
        self.pw = np.zeros((len(powers), 0), dtype=np.complex128)
        self.pinv = np.zeros((len(powers), 0), dtype=np.complex128)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows, at least ``n`` columns wide."""
        have = self.pw.shape[1]
        if n > have:
            width = min(max(n, 2 * have), max(p.block for p in self.powers))
            self.pw = np.zeros((len(self.powers), width), dtype=np.complex128)
            self.pinv = np.zeros((len(self.powers), width), dtype=np.complex128)
            for k, powers in enumerate(self.powers):
                m = min(width, powers.block)
                pw, pinv = powers.upto(m)
                self.pw[k, :m], self.pinv[k, :m] = pw[:m], pinv[:m]
        return self.pw, self.pinv


class _SectionBank:
    """Complex-pole ``_Section``s fed the same input, run side by side: ``process`` returns
    (sections, samples), each row the bits its section's ``process`` would return
    (tests/test_breath_bank.py), in one set of array operations instead of one per band (a rest
    segment filters every sub-band).

    The same operations in the same operand order, row by row: NumPy's vector complex product
    rounds a·b and b·a differently (fused multiply-add), so every product keeps its order and
    its temporaries are named (an expression's large temporary may be reused as the output with
    the operands swapped); the scalars between blocks are Python complex arithmetic, as there.
    Each row keeps its own block (their lengths differ at low rates); a step ends at the first
    block end of any row.
    """

    def __init__(self, sections: list[_Section]) -> None:
        self.poles = [s.pole for s in sections]
        self.blocks = np.array([s.block for s in sections])
        self._powers = _PowerRows([s.powers for s in sections])  # shared by fresh() copies
        self._direct = np.array([[s.direct] for s in sections])
        self._residue = np.array([[s.residue] for s in sections])
        self._c: list[complex] | None = None  # p·w just before the current block, per row
        self._s = np.zeros(len(sections), dtype=np.complex128)  # running sums in the block
        self._j = np.zeros(len(sections), dtype=np.int64)  # positions in the blocks

    def fresh(self) -> _SectionBank:
        """An unstarted bank sharing this one's tables (built once per detector)."""
        new = copy.copy(self)
        new._c = None
        new._s = np.zeros_like(self._s)
        new._j = np.zeros_like(self._j)
        return new

    @staticmethod
    def fits(filters: list[_Section | _ScipySections]) -> bool:
        return len(filters) > 1 and all(isinstance(f, _Section) and f._fir is None
                                        for f in filters)

    def _tables(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """p**(j0+i) and p**-(j0+i), i < n, per row from its own position j0."""
        j = self._j
        pw, pinv = self._powers.upto(int(j.max()) + n)
        if (j == j[0]).all():
            return pw[:, j[0] : j[0] + n], pinv[:, j[0] : j[0] + n]
        rows = np.arange(len(j))[:, None]
        cols = j[:, None] + np.arange(n)
        return pw[rows, cols], pinv[rows, cols]

    def process(self, u: np.ndarray) -> np.ndarray:
        if self._c is None:  # steady state for the first input held forever
            self._c = [p * u[0] / (1.0 - p) for p in self.poles]
        w = np.empty((len(self.poles), len(u)), dtype=np.complex128)
        i = 0
        while i < len(u):  # sums in place, products into new arrays, as _Section.process
            n = min(int((self.blocks - self._j).min()), len(u) - i)
            pw, pinv = self._tables(n)
            s = pinv * u[i : i + n]  # the terms, summed in place
            s[:, 0] += self._s
            np.cumsum(s, axis=1, out=s)
            self._s = s[:, -1].copy()
            s += np.array(self._c)[:, None]
            seg = np.multiply(pw, s, out=w[:, i : i + n])
            i += n
            self._j += n
            for k in np.flatnonzero(self._j == self.blocks).tolist():
                self._c[k] = self.poles[k] * complex(seg[k, -1])
                self._s[k], self._j[k] = 0j, 0
        y = self._direct * u
        y += (self._residue * w).real
        return y


@dataclass(frozen=True, slots=True)
class BreathPrediction:
    """The last rest's breathing, carried forward: ``amplitude`` · cos(2π ``rate_hz`` (t −
    ``origin_s``) + ``phase_rad``) (mmHg; the level and slope fitted with it are not kept)."""

    rate_hz: float
    phase_rad: float
    amplitude_mmhg: float
    origin_s: float


def fit_breath(t_s: np.ndarray, p_mmhg: np.ndarray, origin_s: float, low_hz: float,
               high_hz: float) -> BreathPrediction | None:
    """Least-squares fit of level + slope + a sinusoid to ``p_mmhg``, at the rate within
    [``low_hz``, ``high_hz``] (``_FIT_FREQS`` tried) that explains most; None if degenerate."""
    # Block means over ``_FIT_BLOCK_S``, aligned to the newest sample (the phase is carried
    # from it): a 200-Hz rest of 20 s is 400 numbers, not 4000. A sinusoid's block mean at
    # the block's mean time is the sinusoid times the block's gain (corrected below); a level
    # and slope stay a level and slope.
    dt = median(np.diff(t_s)) if len(t_s) > 1 else 0.0
    m = max(1, int(_FIT_BLOCK_S / dt + _EPS)) if dt > 0 else 1
    if m > 1 and len(t_s) >= 3 * m:
        cut = len(t_s) % m
        t_s = t_s[cut:].reshape(-1, m).sum(axis=1) / m  # means, as .mean(axis=1) (same bits)
        p_mmhg = p_mmhg[cut:].reshape(-1, m).sum(axis=1) / m
    else:
        m = 1
    x = t_s - origin_s
    n = len(x)
    xc = x - mean(x)
    sxx = float(xc @ xc)
    if n < 3 or not sxx > _EPS:
        return None
    y = p_mmhg - mean(p_mmhg) - xc * (float(xc @ p_mmhg) / sxx)  # level and slope removed
    rates = _fit_rates(low_hz, high_hz)
    # Per trial rate f, with z = exp(i 2π f x) (cos = Re z, −sin = Im z … as c, s below), the
    # fit needs only sums over the samples: Σz, Σz·xc, Σz·y and Σz² (cos² = (1 + cos 2θ)/2 …);
    # removing level and slope from the wave (Frisch–Waugh) subtracts their projections,
    # (Σc)²/n and (Σc·xc)²/Σxc², from those sums. z for the next rate is one complex
    # multiplication (the rates' step as a factor), not a cosine and a sine of every sample.
    waves = np.empty((len(rates), n), dtype=complex)
    waves[0] = np.exp(2j * math.pi * rates[0] * x)
    if len(rates) > 1:  # z at each rate: the one before times the step (row by row: a
        step = np.exp(2j * math.pi * (rates[1] - rates[0]) * x)  # cumprod down the
        for before, row in itertools.pairwise(waves):  # columns is strided, twice as slow)
            np.multiply(before, step, out=row)
    # Σz, Σz·xc, Σz·y as plain sums, not ``waves @ basis``: OpenBLAS runs that small complex
    # product on two threads, whose spinning then takes a core from everything after it (on
    # a busy 2-core machine the one-hour ``cctf analyze`` took 1.2 s instead of 0.9 s). The
    # real factors are made complex once, as NumPy casts them for each row of ``waves * xc``
    # (the same products: the complex loop either way), and every product goes into one array.
    product = np.empty_like(waves)
    s1 = waves.sum(axis=1)
    sx = np.multiply(waves, xc.astype(complex), out=product).sum(axis=1)
    sy = np.multiply(waves, y.astype(complex), out=product).sum(axis=1)
    squares = np.multiply(waves, waves, out=product).sum(axis=1)
    s1c, s1s = s1.real, -s1.imag  # Σc, Σs
    sxc, sxs = sx.real, -sx.imag  # Σc·xc, Σs·xc
    syc, sys_ = sy.real, -sy.imag  # Σc·y, Σs·y
    scc = (n + squares.real) / 2 - s1c * s1c / n - sxc * sxc / sxx
    sss = (n - squares.real) / 2 - s1s * s1s / n - sxs * sxs / sxx
    scs = -squares.imag / 2 - s1c * s1s / n - sxc * sxs / sxx
    det = scc * sss - scs * scs
    if not (det > _EPS).all():
        return None
    a = (syc * sss - sys_ * scs) / det
    b = (sys_ * scc - syc * scs) / det
    k = int(np.argmax(a * syc + b * sys_))  # the explained sum of squares
    amplitude = math.hypot(float(a[k]), float(b[k]))
    if m > 1:  # a block of m samples dt apart passes a sinusoid of rate f with this gain
        f_dt = math.pi * float(rates[k]) * dt
        amplitude /= math.sin(m * f_dt) / (m * math.sin(f_dt))
    if not amplitude > 0.0:
        return None
    return BreathPrediction(float(rates[k]), math.atan2(float(b[k]), float(a[k])), amplitude,
                            origin_s)


@functools.lru_cache(maxsize=64)
def _fit_rates(low_hz: float, high_hz: float) -> np.ndarray:
    """The rates the fit tries (one band's, the same for every fit: made once)."""
    rates = np.linspace(low_hz, high_hz, _FIT_FREQS)
    rates.setflags(write=False)
    return rates


def in_phase(a: np.ndarray, b: np.ndarray, slip_rad: float) -> np.ndarray:
    """The amplitude along the predicted phase of the fitted (cos, −sin) coefficients (a, b),
    a phase slip up to ``slip_rad`` forgiven (the breath's rate drifts)."""
    off = np.abs(np.arctan2(b, a))
    size = np.hypot(a, b)
    return np.where(off <= slip_rad, size, size * np.cos(np.minimum(off - slip_rad, math.pi)))


def _columns(old: np.ndarray, new: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Columns ``at`` (ascending) of ``old`` and ``new`` side by side, without building that
    concatenation (a rest chunk's running sums are bands × samples; few columns are read)."""
    split = int(np.searchsorted(at, old.shape[1]))
    if split == 0:
        return new[:, at - old.shape[1]]
    if split == len(at):
        return old[:, at]
    return np.concatenate((old[:, at[:split]], new[:, at[split:] - old.shape[1]]), axis=1)


_PAIRS = [(i, j) for i in range(4) for j in range(i, 4)]  # the 10 sums of a 4 × 4 Gram matrix


@dataclass(frozen=True, slots=True)
class BreathFact:
    """Something the ripple decided about the cued segment that began at ``cue_start_s``.

    ``kind``: ``"measured"`` (judging began; ``value`` the rest reference power, mmHg²),
    ``"not_measured"`` (no rest reference), ``"breath_hold"`` (flagged at ``sample``; ``t_s`` the
    quiet stretch's estimated start, ``value`` its length so far, s), ``"quiet_s"`` (the
    longest quiet stretch grew to ``value`` s) or ``"min_ratio"`` (lowest window power /
    reference so far, ``value``).
    """

    sample: int  # global index of the sample that decided it
    kind: str
    cue_start_s: float
    t_s: float
    value: float


class _Segment:
    """A run of equal (target, phase): where judging starts and the filter's state."""

    def __init__(self, key: tuple[float, str], start_s: float) -> None:
        self.key = key
        self.cued = not math.isnan(key[0])
        self.start_s = start_s
        self.judge_from_s: float | None = None  # seeding time, once known
        self.bands: list[int] = []  # sub-bands filtered: all at rest, the patient's in a hold
        self.started = False  # filtering has begun
        self.filters: list[_Section | _ScipySections] = []  # per filtered band, or ...
        self.bank: _SectionBank | None = None  # ... at rest all bands side by side
        self.use_from_s = math.inf  # first time whose y² counts (after the warm-up)
        self.cum = np.zeros(0)  # running sums of used y², per filtered band
        self.hist_t = np.zeros(0)  # times and running sums (bands × samples) over the
        self.hist_c = np.zeros((0, 0))  # trailing window
        self.reference = math.nan  # rest power this cued segment is judged against
        self.measured: bool | None = None
        self.quiet_from_s: float | None = None  # start time of the current quiet run ...
        self.quiet_len_s = 0.0  # ... and its length so far
        self.longest_s = 0.0  # longest finished quiet run that counted
        self.flagged = False
        self.min_ratio = math.inf
        self.grid_origin_s = math.inf  # rest: window powers are kept on a grid from here
        self.grid_next = 0
        self.prediction: BreathPrediction | None = None  # the last rest's breath, carried on
        # The fit is made when a decision first reads the in-phase amplitude (about half of
        # the holds never do); until then the hold's used samples are kept for its sums.
        self.pending: tuple[np.ndarray, np.ndarray, int] | None = None  # (rest t, p, band)
        self.raw_t: list[np.ndarray] = []
        self.raw_p: list[np.ndarray] = []
        self.p0 = 0.0  # the hold's first used pressure (the fit's sums are taken about it)
        self.kcum = np.zeros(0)  # running sums of the fit's 14 products, and their history
        self.hist_k = np.zeros((0, 0))


class BreathHoldDetector:
    """Streaming ripple judge: ``update(t, p, target, phase) -> [BreathFact]``."""

    def __init__(self, rate_hz: float, cfg: AnalysisConfig) -> None:
        self.rate_hz = rate_hz
        self.cfg = cfg
        self.dt = 1.0 / rate_hz
        bank = [respiratory_band_sos(rate_hz, lo, hi, cfg.breath_filter_order)
                for lo, hi in respiratory_subbands_hz(cfg)]
        self.sos = [sos for sos in bank if sos is not None]
        self._edges = [edges for edges, sos in zip(respiratory_subbands_hz(cfg), bank, strict=True)
                       if sos is not None]
        # One unstarted NumPy section per band, copied for each segment (over a thousand
        # segment filters an hour: building each afresh was a tenth of the detector's time).
        self._blank = [_band_filter(sos, 0.0) for sos in self.sos]
        sections = [f for f in self._blank if isinstance(f, _Section)]
        self._rest_bank = (_SectionBank(sections) if len(sections) == len(self._blank)
                           and _SectionBank.fits(self._blank) else None)
        self._seg: _Segment | None = None
        self._seen = 0
        self._rest_t = np.zeros(0)  # grid times and window powers (rows; per band) of rest
        self._rest_p = np.zeros((0, len(self.sos)))
        self._rest_points = 0  # rest grid points kept so far (for the minimum)
        self._last_rest: list[tuple[np.ndarray, np.ndarray]] = []  # used (t, p) of the last rest

    def update(
        self, t_s: np.ndarray, pressure_mmhg: np.ndarray, target_mmhg: np.ndarray,
        phase: np.ndarray, runs: list[tuple[int, int]] | None = None,
    ) -> list[BreathFact]:
        """Next samples (``pressure_mmhg`` already low-passed by the engine is fine).

        ``runs``: the [a, b) runs of equal (target, phase) in this chunk, when the caller has
        them already (the engine does: comparing the phase words costs ~10 ms an hour)."""
        facts: list[BreathFact] = []
        n = len(t_s)
        if runs is None:
            same_t = (target_mmhg[1:] == target_mmhg[:-1]) | (
                np.isnan(target_mmhg[1:]) & np.isnan(target_mmhg[:-1]))
            cuts = np.flatnonzero(~same_t | (phase[1:] != phase[:-1])) + 1
            runs = list(itertools.pairwise([0, *cuts.tolist(), n]))
        for a, b in runs:
            if a == b:
                continue
            key = (float(target_mmhg[a]), str(phase[a]))
            if self._seg is None or not _same(key, self._seg.key):
                self._end_segment(facts, self._seen + a)
                after_rest = self._seg is not None and not self._seg.cued
                self._seg = _Segment(key, float(t_s[a]))
                if self._seg.cued:
                    self._start_cue(facts, self._seen + a, after_rest)
                self._last_rest = []
            self._feed(t_s[a:b], pressure_mmhg[a:b], target_mmhg[a:b], self._seen + a, facts)
        self._seen += n
        return facts

    def finish(self) -> list[BreathFact]:
        facts: list[BreathFact] = []
        self._end_segment(facts, self._seen)
        return facts

    # --- internals -----------------------------------------------------------------------

    def _start_cue(self, facts: list[BreathFact], sample: int, after_rest: bool) -> None:
        seg = self._seg
        assert seg is not None
        cfg = self.cfg
        keep = self._rest_t >= seg.start_s - cfg.breath_rest_memory_s
        judged_s = self._rest_points * _REST_GRID_S
        enough = judged_s + _EPS >= cfg.breath_rest_min_s and keep.any()
        reference = math.nan
        if enough:  # the sub-band the patient breathes in: most ripple power at rest
            medians = column_medians(self._rest_p[keep])
            band = int(np.argmax(medians))
            reference = float(medians[band])
        if not self.sos or not enough or reference < cfg.breath_min_rest_rms_mmhg ** 2:
            seg.measured = False
            facts.append(BreathFact(sample, "not_measured", seg.start_s, seg.start_s, math.nan))
            return
        seg.bands = [band]
        seg.reference = reference
        seg.measured = True
        if after_rest:
            rest = self._rest_for_fit()
            if rest is not None and cfg.breath_coherent_floor <= cfg.breath_fraction <= (
                    cfg.breath_coherent_ceiling):
                # Until a window's power falls between floor and ceiling both rules decide
                # alike (below the floor quiet, at or above the ceiling not), so the fit can
                # wait for that window; if it then fails, the plain rule is used as it would
                # have been from the start.
                seg.pending = (*rest, band)
            elif rest is not None:
                seg.prediction = fit_breath(*rest, seg.start_s, *self._edges[band])
        facts.append(BreathFact(sample, "measured", seg.start_s, seg.start_s, seg.reference))

    def _rest_for_fit(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The used samples of the rest that just ended (its last ``breath_coherent_fit_s``),
        or None when it is shorter than ``breath_coherent_rest_s``: no prediction."""
        if not self._last_rest:
            return None
        t = np.concatenate([c[0] for c in self._last_rest])
        p = np.concatenate([c[1] for c in self._last_rest])
        keep = t >= t[-1] - self.cfg.breath_coherent_fit_s - _EPS
        t, p = t[keep], p[keep]
        if t[-1] - t[0] + self.dt < self.cfg.breath_coherent_rest_s - _EPS:
            return None
        return t, p

    def _resolve(self, seg: _Segment) -> BreathPrediction | None:
        """Make the waiting fit, and the hold's sums so far from its kept samples (one
        cumulative sum from the first used sample: the same numbers as summed chunk by
        chunk)."""
        assert seg.pending is not None
        t_rest, p_rest, band = seg.pending
        seg.pending = None
        seg.prediction = fit_breath(t_rest, p_rest, seg.start_s, *self._edges[band])
        raw_t, raw_p = np.concatenate(seg.raw_t), np.concatenate(seg.raw_p)
        seg.raw_t, seg.raw_p = [], []
        if seg.prediction is not None:
            seg.hist_k = self._coherence_sums(seg, seg.prediction, raw_t, raw_p)
        return seg.prediction

    def _end_segment(self, facts: list[BreathFact], sample: int) -> None:
        seg = self._seg
        if seg is None or not seg.cued or not seg.measured:
            return
        if seg.quiet_from_s is not None:  # a quiet run lasting to the end of the cue
            self._run_ended(seg, seg.quiet_from_s, seg.quiet_len_s, sample, facts)
        if seg.min_ratio < math.inf:
            facts.append(BreathFact(sample, "min_ratio", seg.start_s, seg.start_s, seg.min_ratio))

    def _feed(self, t: np.ndarray, p: np.ndarray, target: np.ndarray, base: int,
              facts: list[BreathFact]) -> None:
        seg = self._seg
        assert seg is not None
        cfg = self.cfg
        if not self.sos or (seg.cued and seg.measured is False):
            return
        if seg.judge_from_s is None:
            if seg.cued:  # judged from breath_settle_s after first coming within the band
                inside = np.flatnonzero(np.abs(p - target) <= cfg.band_mmhg)
                if len(inside) == 0:
                    return
                seg.judge_from_s = float(t[inside[0]]) + cfg.breath_settle_s
            else:
                seg.judge_from_s = seg.start_s + cfg.breath_rest_settle_s
        start = int(np.searchsorted(t, seg.judge_from_s - _EPS))
        if start >= len(t):
            return
        t, p, base = t[start:], p[start:], base + start
        if not seg.started:  # start afresh, seeded at the steady state of this sample
            seg.started = True
            if not seg.cued:
                seg.bands = list(range(len(self.sos)))
            if not seg.cued and self._rest_bank is not None:
                seg.bank = self._rest_bank.fresh()
            else:
                seg.filters = [self._fresh_filter(k, float(p[0])) for k in seg.bands]
            seg.cum = np.zeros(len(seg.bands))
            seg.hist_c = np.zeros((len(seg.bands), 0))
            seg.use_from_s = float(t[0]) + cfg.breath_warmup_s
            seg.grid_origin_s = seg.use_from_s + cfg.breath_window_s
        if seg.bank is not None:
            y = seg.bank.process(p)  # (bands, samples)
        else:
            y = np.stack([band_filter.process(p) for band_filter in seg.filters])
        used = t >= seg.use_from_s - _EPS
        if not used.any():
            return
        first_used = int(np.flatnonzero(used)[0])
        t, y, base = t[first_used:], y[:, first_used:], base + first_used
        p = p[first_used:]
        if not seg.cued:
            self._keep_last_rest(t, p)
        pred = seg.prediction if seg.cued else None
        pending = seg.cued and seg.pending is not None
        if pending:
            seg.raw_t.append(t.copy())
            seg.raw_p.append(p.copy())
        if pred is not None:
            k_rows = self._coherence_sums(seg, pred, t, p)
        # Running sums, sequential from the carried total: the same for any chunking (the
        # total is added to the first square, as the sum would add it: the same bits).
        cum = y * y
        cum[:, 0] += seg.cum
        np.cumsum(cum, axis=1, out=cum)
        seg.cum = cum[:, -1].copy()
        hist_t = np.concatenate((seg.hist_t, t))
        held = seg.hist_c.shape[1]  # history columns before this chunk's (not copied together)
        if pred is not None:
            hist_k = np.concatenate((seg.hist_k, k_rows), axis=1)
        # Window power, (running sum now − at the window's start) / count, at the samples a
        # decision reads: every full window of a hold; at rest only the grid's samples.
        w = cfg.breath_window_s
        full = t >= seg.use_from_s + w - self.dt - _EPS
        rows = np.flatnonzero(full) if seg.cued else self._rest_rows(seg, t, full)
        if len(rows):
            lo = np.searchsorted(hist_t, t[rows] - w + _EPS)  # first sample inside the window
            c_lo = np.where(lo > 0, _columns(seg.hist_c, cum, np.maximum(lo - 1, 0)), 0.0)
            count = rows + held - lo + 1
            power = (cum[:, rows] - c_lo) / count  # (bands, rows)
        # Keep the trailing window and one sample before it, whose running sum every later
        # window subtracts (so no later window can reach past the history, however sparse).
        kept_s = max(w, cfg.breath_coherent_window_s) if pred is not None or pending else w
        first_kept = max(int(np.searchsorted(hist_t, t[-1] - kept_s - 2 * self.dt)) - 1, 0)
        seg.hist_t = hist_t[first_kept:]
        seg.hist_c = np.concatenate((seg.hist_c[:, first_kept:],
                                     cum[:, max(first_kept - held, 0):]), axis=1)
        coherence = None
        if (pred is not None or pending) and len(rows):
            # Only where the decision reads it (power between floor and ceiling); elsewhere
            # NaN, which no comparison takes for quiet. Each window's fit is its own: the
            # same numbers as computing all of them.
            ratio = power[0] / seg.reference
            read = np.flatnonzero((ratio >= cfg.breath_coherent_floor)
                                  & (ratio < cfg.breath_coherent_ceiling))
            coherence = np.full(len(rows), np.nan)
            if len(read) and pending:
                pending = False
                pred = self._resolve(seg)
                if pred is not None:
                    hist_k = seg.hist_k[:, -len(hist_t):]
                else:
                    coherence = None  # no breath to carry: the plain rule, as from the start
            if len(read) and pred is not None:
                coherence[read] = self._coherence(  # type: ignore[index]
                    hist_t, hist_k, t[rows[read]], rows[read] + len(hist_t) - len(t), pred)
        if pred is not None:
            seg.hist_k = hist_k[:, first_kept:]
        if not len(rows):
            return
        if seg.cued:
            self._judge_hold(seg, t, power[0], rows, base, facts, coherence)
        else:
            self._keep_rest(seg, t[rows], power.T)

    def _keep_last_rest(self, t: np.ndarray, p: np.ndarray) -> None:
        """Keep the used rest samples (the last ``breath_coherent_fit_s`` of them, roughly: the
        fit cuts exactly)."""
        self._last_rest.append((t.copy(), p.copy()))
        if len(self._last_rest) > 64:
            t_all = np.concatenate([c[0] for c in self._last_rest])
            p_all = np.concatenate([c[1] for c in self._last_rest])
            keep = t_all >= t_all[-1] - self.cfg.breath_coherent_fit_s - 1.0
            self._last_rest = [(t_all[keep], p_all[keep])]

    def _coherence_sums(self, seg: _Segment, pred: BreathPrediction, t: np.ndarray,
                        p: np.ndarray) -> np.ndarray:
        """Running sums (14 × samples, carried between calls) of the products a least-squares
        fit of level, slope and the predicted cos / −sin needs: its Gram matrix and right side."""
        if not len(seg.kcum):
            seg.p0 = float(p[0])
            seg.kcum = np.zeros(14)
            seg.hist_k = np.zeros((14, 0))
        phase = 2.0 * math.pi * pred.rate_hz * (t - pred.origin_s) + pred.phase_rad
        basis = np.stack([np.ones_like(t), t - seg.use_from_s, np.cos(phase), -np.sin(phase)])
        q = p - seg.p0
        # The 14 products written into one array, then summed in place from the carried totals
        # (added to the first products, as the sum would add them: the same bits).
        cum = np.empty((len(_PAIRS) + 4, len(t)))
        for k, (i, j) in enumerate(_PAIRS):
            np.multiply(basis[i], basis[j], out=cum[k])
        np.multiply(basis, q, out=cum[len(_PAIRS):])
        cum[:, 0] += seg.kcum
        np.cumsum(cum, axis=1, out=cum)
        seg.kcum = cum[:, -1].copy()
        return cum

    def _coherence(self, hist_t: np.ndarray, hist_k: np.ndarray, t_rows: np.ndarray,
                   at: np.ndarray, pred: BreathPrediction) -> np.ndarray:
        """The in-phase amplitude over the rest breath's, per window ending at history index
        ``at`` (times ``t_rows``): the fit over the trailing ``breath_coherent_window_s``."""
        cfg = self.cfg
        lo = np.searchsorted(hist_t, t_rows - cfg.breath_coherent_window_s + _EPS)
        sums = hist_k[:, at] - np.where(lo > 0, hist_k[:, np.maximum(lo - 1, 0)], 0.0)
        gram = np.empty((len(at), 4, 4))
        for k, (i, j) in enumerate(_PAIRS):
            gram[:, i, j] = gram[:, j, i] = sums[k]
        gram += np.eye(4) * 1e-9
        coef = np.linalg.solve(gram, sums[10:].T[:, :, None])[:, :, 0]
        a, b = coef[:, 2] / pred.amplitude_mmhg, coef[:, 3] / pred.amplitude_mmhg
        return in_phase(a, b, cfg.breath_coherent_slip_rad)

    def _fresh_filter(self, band: int, first: float) -> _Section | _ScipySections:
        """Band ``band``'s filter, unstarted (a NumPy section seeds itself at its first
        input's steady state; scipy's sections are seeded here at ``first``)."""
        blank = self._blank[band]
        if isinstance(blank, _Section):
            return copy.copy(blank)  # its power tables are shared and read-only
        return _ScipySections(self.sos[band], first)

    def _rest_rows(self, seg: _Segment, t: np.ndarray, full: np.ndarray) -> np.ndarray:
        """The rest samples whose window powers are kept for the reference: the first
        full-window sample at or after each grid time (grid counted in whole steps)."""
        step = np.floor((t - seg.grid_origin_s) / _REST_GRID_S + _EPS).astype(np.int64)
        take = np.flatnonzero(full & (step >= seg.grid_next))
        if not len(take):
            return take
        steps = step[take]
        if (np.diff(steps) >= 0).all():  # time runs forward: firsts are where it steps
            first = np.flatnonzero(np.concatenate(([True], steps[1:] != steps[:-1])))
        else:
            first = np.unique(steps, return_index=True)[1]
        seg.grid_next = int(steps[first[-1]]) + 1
        return take[first]

    def _keep_rest(self, seg: _Segment, t: np.ndarray, power: np.ndarray) -> None:
        """Keep the rest window powers (every band) at the grid samples ``t``."""
        self._rest_t = np.concatenate((self._rest_t, t))
        self._rest_p = np.concatenate((self._rest_p, power))
        self._rest_points += len(t)
        memory = self.cfg.breath_rest_memory_s + 60.0
        if self._rest_t[0] < self._rest_t[-1] - memory:
            cut = int(np.searchsorted(self._rest_t, self._rest_t[-1] - memory))
            self._rest_t, self._rest_p = self._rest_t[cut:], self._rest_p[cut:]

    def _judge_hold(self, seg: _Segment, t: np.ndarray, power: np.ndarray, idx: np.ndarray,
                    base: int, facts: list[BreathFact],
                    coherence: np.ndarray | None = None) -> None:
        """Quiet runs: window power (at the full-window samples ``idx``) below the fraction
        of the rest reference, vectorised with the current run carried between calls. A run's
        length is its quiet windows' span."""
        cfg = self.cfg
        tj = t[idx]
        ratio = power / seg.reference
        seg.min_ratio = min(seg.min_ratio, float(ratio.min()))
        if coherence is None:
            quiet = ratio < cfg.breath_fraction
        else:  # the breath carried from the rest decides between floor and ceiling
            quiet = (ratio < cfg.breath_coherent_floor) | (
                (ratio < cfg.breath_coherent_ceiling) & (coherence < cfg.breath_coherent_min))
        before = np.concatenate(([seg.quiet_from_s is not None], quiet[:-1]))
        starts = np.where(quiet & ~before, np.arange(len(idx)), -1)
        run_start = np.maximum.accumulate(starts)
        carried = seg.quiet_from_s if seg.quiet_from_s is not None else math.nan
        quiet_from = np.where(run_start >= 0,
                              tj[np.maximum(run_start, 0)] - cfg.breath_window_s + self.dt,
                              carried)
        length = tj - quiet_from + self.dt
        long_enough = quiet & (length + _EPS >= cfg.breath_min_s)
        if not seg.flagged and long_enough.any():
            k = int(np.flatnonzero(long_enough)[0])
            seg.flagged = True
            facts.append(BreathFact(base + int(idx[k]), "breath_hold", seg.start_s,
                                    float(quiet_from[k]), float(length[k])))
        # Runs that end here (the ripple came back): their full length is now known.
        for j in np.flatnonzero(~quiet & before).tolist():
            self._run_ended(seg, float(quiet_from[j - 1]) if j > 0 else carried,
                            float(length[j - 1]) if j > 0 else seg.quiet_len_s,
                            base + int(idx[j]), facts)
        seg.quiet_from_s = float(quiet_from[-1]) if quiet[-1] else None
        seg.quiet_len_s = float(length[-1]) if quiet[-1] else 0.0

    def _run_ended(self, seg: _Segment, from_s: float, length_s: float, sample: int,
                   facts: list[BreathFact]) -> None:
        if length_s + _EPS >= self.cfg.breath_min_s and length_s > seg.longest_s + _EPS:
            seg.longest_s = length_s
            facts.append(BreathFact(sample, "quiet_s", seg.start_s, from_s, length_s))


def apply_breath_fact(fact: BreathFact, trial: TrialResult) -> Event | None:
    """Record ``fact`` on its trial; returns the live event to emit (only when flagged)."""
    if fact.kind == "min_ratio":
        trial.breath_ripple_ratio = fact.value
    elif fact.kind in ("breath_hold", "quiet_s"):
        flag = Fault("breath_hold", fact.t_s, fact.value)
        trial.flags = [f for f in trial.flags if f.type != "breath_hold"] + [flag]
        if fact.kind == "breath_hold":
            return Event("flag", fact.t_s, trial.index, "breath_hold", fact.value)
    return None


def review_flag(trial: TrialResult, flag_type: str, confirmed: bool | None) -> None:
    """The therapist confirms (True) or dismisses (False) a flag, or takes that back (None).

    A confirmed flag fails the trial like the hand mark of the same compensation."""
    if not any(f.type == flag_type for f in trial.flags):
        raise ValueError(f"trial {trial.index} has no {flag_type} flag to review")
    if confirmed is None:
        trial.flag_review.pop(flag_type, None)
    else:
        trial.flag_review[flag_type] = bool(confirmed)
    trial.settle()


def _same(a: tuple[float, str], b: tuple[float, str]) -> bool:
    same_target = a[0] == b[0] or (math.isnan(a[0]) and math.isnan(b[0]))
    return same_target and a[1] == b[1]
