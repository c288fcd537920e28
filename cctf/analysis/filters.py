"""Causal low-pass filtering with carried state, so chunked and whole-array input agree.

The Butterworth design and the filtering are done here in NumPy rather than with
``scipy.signal``: importing ``scipy.signal`` costs about a second (it pulls in ``scipy.stats``),
which was most of ``cctf analyze``'s and the app's start-up. tests/test_analysis_filters.py pins
the coefficients to ``scipy.signal.butter`` and the output to ``scipy.signal.sosfilt``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

# Longest block over which a pole's powers are tabulated; blocks also stop where |p|**-j
# would pass _MAX_GROWTH, so the running sums stay far from overflow and lose no precision.
_MAX_BLOCK = 4096
_MAX_GROWTH = 1e30


def _butter_poles(order: int, cutoff_hz: float, rate_hz: float) -> tuple[float, float | None,
                                                                         list[complex]]:
    """(gain, real pole or None, upper-half pole pairs farthest from the unit circle first) of
    the bilinear-transformed, pre-warped analog Butterworth low-pass, as scipy designs it."""
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    if not 0.0 < cutoff_hz < rate_hz / 2.0:
        raise ValueError(f"cut-off must be between 0 and {rate_hz / 2.0} Hz, got {cutoff_hz}")
    fs2 = 2.0 * rate_hz
    warped = fs2 * math.tan(math.pi * cutoff_hz / rate_hz)
    m = np.arange(-order + 1, order, 2)
    analog = -np.exp(1j * np.pi * m / (2 * order)) * warped
    poles = (fs2 + analog) / (fs2 - analog)
    gain = float(np.real(warped**order / np.prod(fs2 - analog)))
    pairs = sorted((complex(p) for p in poles if p.imag > 0), key=lambda p: -abs(abs(p) - 1.0))
    real = float(np.real(poles[np.argmin(np.abs(poles.imag))])) if order % 2 else None
    return gain, real, pairs


def butter_lowpass_sos(order: int, cutoff_hz: float, rate_hz: float) -> np.ndarray:
    """Digital Butterworth low-pass as second-order sections, paired and ordered as
    ``scipy.signal.butter(..., output="sos")`` does (its ``zpk2sos`` "nearest" pairing, with only
    the real zeros a Butterworth low-pass has: −1, and 0 added for an odd order)."""
    gain, real, pairs = _butter_poles(order, cutoff_hz, rate_hz)
    poles: list[complex] = list(pairs) + ([complex(real), 0j] if real is not None else [])
    zeros = [-1.0] * order + ([0.0] if real is not None else [])
    sections: list[list[float]] = []

    def nearest_zero(p: complex) -> float:
        z = min(range(len(zeros)), key=lambda i: (abs(zeros[i] - p), i))
        return zeros.pop(z)

    while poles:
        p1 = poles.pop(min(range(len(poles)), key=lambda i: (abs(1.0 - abs(poles[i])), i)))
        if p1.imag == 0.0:
            reals = [i for i, p in enumerate(poles) if p.imag == 0.0]
            p2 = poles.pop(min(reals, key=lambda i: (abs(abs(poles[i]) - 1.0), i)))
            a = [1.0, -(p1.real + p2.real), p1.real * p2.real]
        else:
            a = [1.0, -2.0 * p1.real, abs(p1) ** 2]
        z1 = nearest_zero(p1)
        z2 = nearest_zero(p1)
        sections.append([1.0, -(z1 + z2), z1 * z2, *a])
    sos = np.array(sections[::-1], dtype=np.float64)
    sos[0, :3] *= gain
    return sos


def _modal_sections(order: int, cutoff_hz: float, rate_hz: float) -> list[np.ndarray]:
    """The same filter as sections each with at most as many zeros as poles (the real pole
    with one zero at −1, each pair with two), which the modal form below needs."""
    gain, real, pairs = _butter_poles(order, cutoff_hz, rate_hz)
    sections = [np.array([1.0, 1.0, 0.0, 1.0, -real, 0.0])] if real is not None else []
    sections += [np.array([1.0, 2.0, 1.0, 1.0, -2.0 * p.real, abs(p) ** 2]) for p in pairs]
    sections[0][:3] *= gain
    return sections


@functools.lru_cache(maxsize=32)
def _roots(a1: float, a2: float) -> tuple[complex, complex]:
    """The poles of 1 + a1·z⁻¹ + a2·z⁻², computed once per design (``np.roots`` solves an
    eigenvalue problem: most of a section's set-up, and a section is built per segment)."""
    p1, p2 = np.roots([1.0, a1, a2])
    return p1, p2


_BY_PRODUCTS = 100  # NumPy raises to a whole power below this by products, else by cpow


def pole_powers(pole: complex, j: np.ndarray) -> np.ndarray:
    """``pole ** j`` for whole numbers j (an int or float array), the same bits, ~6× faster.

    NumPy raises a complex number to a whole power |j| < ``_BY_PRODUCTS`` by repeated
    products and otherwise calls the C library's ``cpow``, which is ``cexp(j · clog(pole))``;
    those same operations on the whole array (``np.log`` and ``np.exp`` are ``clog`` and
    ``cexp``) give its bits without a ``cpow`` call per element (tests/test_analysis_filters.py
    checks every table entry at 10–250 Hz). Three entries are checked against ``**``: with a C
    library whose ``cpow`` works otherwise, ``**`` itself is used."""
    out = np.empty(len(j), dtype=np.complex128)
    small = np.abs(j) < _BY_PRODUCTS
    out[small] = pole ** j[small]
    if pole != 0 and not small.all():
        big = np.flatnonzero(~small)
        out[big] = np.exp(j[big] * np.log(np.complex128(pole)))
        probe = big[[0, len(big) // 2, -1]]
        if out[probe].tobytes() != (pole ** j[probe]).tobytes():
            out[big] = pole ** j[big]
    elif not small.all():
        out[~small] = pole ** j[~small]
    return out


class _Powers:
    """p**j and p**-j for j < ``block``, computed only as far as they are read, and shared
    read-only: the breath detector starts a section afresh (j = 0) per segment and most
    segments end long before a block does, while each power is a complex ``pow`` (the whole
    tables were a twentieth of a one-hour ``cctf analyze``). Each power is computed on its own,
    so the values do not depend on how far the tables have grown."""

    _FIRST = 512  # powers made at the first read; then the length at least doubles

    def __init__(self, pole: complex, block: int) -> None:
        self.pole = pole
        self.block = block
        self.pw = np.zeros(0, dtype=np.complex128)
        self.pinv = np.zeros(0, dtype=np.complex128)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The tables, at least ``n`` (≤ ``block``) long."""
        have = len(self.pw)
        if n > have:
            j = np.arange(have, min(self.block, max(n, 2 * have, self._FIRST)))
            pw = pole_powers(self.pole, j)
            pinv = (pole_powers(self.pole, -j.astype(np.float64)) if abs(self.pole)
                    else np.ones(len(j), complex))
            self.pw = np.concatenate((self.pw, pw))
            self.pinv = np.concatenate((self.pinv, pinv))
            self.pw.setflags(write=False)
            self.pinv.setflags(write=False)
        return self.pw, self.pinv


@functools.lru_cache(maxsize=32)
def _powers(pole: complex, block: int) -> _Powers:
    """One pole's power tables, shared by every section with that pole: the breath detector
    builds a section per cued segment (over a thousand in an hour), and these powers were nine
    tenths of ``cctf analyze``'s time (issue 14)."""
    return _Powers(pole, block)


class _Section:
    """One second-order section run as a modal (partial-fraction) form, vectorised per block.

    y[n] = k·x[n] + Re(g·R·w[n]) with w[n] = p·w[n-1] + x[n] (g = 2 for a pole pair, 1 for a real
    pole). Within a block aligned to the global sample index, w[n0+j] = p**j·(c + Σ p**-i·x),
    and a cumulative sum adds terms one after another, so any chunking gives the same bits.
    """

    def __init__(self, b: np.ndarray, a: np.ndarray) -> None:
        b0, b1, b2 = (float(v) for v in b)
        a1, a2 = float(a[1]), float(a[2])
        self._fir: tuple[float, float] | None = None
        if a2 != 0.0:
            p1, p2 = _roots(a1, a2)
            if p1.imag == 0.0:
                raise ValueError("only complex-conjugate pole pairs or first-order sections")
            self.pole = complex(p1)
            self.direct = b2 / a2
            c0, c1 = b0 - self.direct, b1 - self.direct * a1
            self.residue = 2.0 * (c0 * p1 + c1) / (p1 - p2)
        else:  # first order: y = b0·w[n] + b1·w[n-1] (no division by a pole that may be ~0)
            if b2 != 0.0:
                raise ValueError("a first-order section needs b2 == 0")
            self.pole = complex(-a1)
            self.direct, self.residue = 0.0, 0j
            self._fir = (b0, b1)
        self._w_prev = 0.0  # w[n-1] for a first-order section
        mag = abs(self.pole)
        block = 1 if mag == 0.0 else int(math.log(_MAX_GROWTH) / -math.log(mag))
        self.block = max(1, min(_MAX_BLOCK, block))
        self.powers = _powers(self.pole, self.block)
        self._c: complex | None = None  # p·w just before the current block
        self._s = 0j  # running sum within the current block
        self._j = 0  # position in the current block

    def process(self, u: np.ndarray) -> np.ndarray:
        if self._c is None:  # steady state for the first input held forever (no start-up step)
            self._c = self.pole * u[0] / (1.0 - self.pole)
            self._w_prev = float(u[0] / (1.0 - self.pole.real))
        # Fewer temporaries: the sums are made in place (a sum's bits do not depend on its
        # operands' order or place), each product into a new array with its operands in their
        # order (a complex product's bits depend on both: NumPy's in-place product may round
        # differently).
        w = np.empty(len(u), dtype=np.complex128)
        i = 0
        while i < len(u):
            j0 = self._j
            if j0 == 0 and len(u) - i >= 2 * self.block:
                i = self._whole_blocks(u, w, i)
                continue
            n = min(self.block - j0, len(u) - i)
            pw, pinv = self.powers.upto(j0 + n)
            s = pinv[j0 : j0 + n] * u[i : i + n]  # the terms, summed in place
            s[0] += self._s
            np.cumsum(s, out=s)
            s_last = complex(s[-1])
            s += self._c
            seg = np.multiply(pw[j0 : j0 + n], s, out=w[i : i + n])
            i += n
            self._j = j0 + n
            if self._j == self.block:
                self._c, self._s, self._j = self.pole * complex(seg[-1]), 0j, 0
            else:
                self._s = s_last
        if self._fir is None:
            y = self.direct * u
            y += (self.residue * w).real
            return y
        wr = w.real
        prev = np.concatenate(([self._w_prev], wr[:-1]))
        self._w_prev = float(wr[-1])
        return self._fir[0] * wr + self._fir[1] * prev

    def _whole_blocks(self, u: np.ndarray, w: np.ndarray, i: int) -> int:
        """The whole blocks of ``u`` from ``i`` (a block's start) into ``w`` side by side, one
        row each (the low-pass has ~700 blocks an hour: one pass instead of a Python loop of
        array operations each); returns where they end. Every number is made by the same
        operation as block by block: only the value carried into each block is made one block
        at a time (it needs the block before's last value), its product as a one-element array
        product (the bits of the vector one)."""
        b = self.block
        k = (len(u) - i) // b
        pw, pinv = self.powers.upto(b)
        s = pinv * u[i : i + k * b].reshape(k, b)  # the terms, summed in place per row
        s[:, 0] += self._s
        np.cumsum(s, axis=1, out=s)
        carried = np.empty((k, 1), dtype=np.complex128)
        c = self._c
        for r in range(k):
            carried[r, 0] = c
            c = self.pole * complex(np.multiply(pw[b - 1 : b], s[r, -1:] + c)[0])
        s += carried
        np.multiply(pw, s, out=w[i : i + k * b].reshape(k, b))
        self._c, self._s = c, 0j
        return i + k * b


class CausalLowPass:
    """Butterworth SOS low-pass; the state is seeded from the first sample (no start-up step).

    The cut-off is capped at 0.4 × the sample rate so the filter stays valid at 10 Hz.
    """

    def __init__(self, rate_hz: float, cutoff_hz: float, order: int = 2) -> None:
        self.rate_hz = rate_hz
        self.cutoff_hz = min(cutoff_hz, 0.4 * rate_hz)
        self.sos = butter_lowpass_sos(order, self.cutoff_hz, rate_hz)
        self._sections = [_Section(s[:3], s[3:])
                          for s in _modal_sections(order, self.cutoff_hz, rate_hz)]

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter the next chunk (1-D); returns an array of the same length."""
        x = np.asarray(x, dtype=np.float64)
        if len(x) == 0:
            return x.copy()
        for section in self._sections:
            x = section.process(x)
        return x
