"""A printable A4 page built top-down with matplotlib's object API (no pyplot, no GUI
backend, safe off the main thread), saved as PDF with real text (TrueType fonts, so the
words can be searched and copied).
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cctf import DISCLAIMER, __version__, texts
from cctf.records.files import atomic_writer

A4_IN = (8.27, 11.69)
MARGIN_IN = 0.55
LINE_IN = {7: 0.13, 8: 0.15, 9: 0.17, 10: 0.19, 14: 0.3}
CHARS_PER_IN = {7: 17.5, 8: 15.5, 9: 13.8, 10: 12.4}  # DejaVu Sans, average text
RC: Any = {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "axes.linewidth": 0.6,
      "font.size": 8}
PASS_COLOUR, FAIL_COLOUR, GREY = "#2e7d32", "#c62828", "#9e9e9e"


def wrap(text: str, size: int, width_in: float, max_lines: int | None = None) -> list[str]:
    width = max(10, int(CHARS_PER_IN[size] * width_in))
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += textwrap.wrap(para, width) or [""]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


class Page:
    """One A4 page; ``y`` is the cursor in inches from the bottom, moving down."""

    def __init__(self) -> None:
        self.fig = Figure(figsize=A4_IN)
        FigureCanvasPdf(self.fig)
        self.width_in, self.height_in = A4_IN
        self.y = self.height_in - MARGIN_IN
        self.text_width_in = self.width_in - 2 * MARGIN_IN

    def _fx(self, x_in: float) -> float:
        return x_in / self.width_in

    def _fy(self, y_in: float) -> float:
        return y_in / self.height_in

    def text(self, x_in: float, y_in: float, s: str, size: int = 8, **kw: Any) -> None:
        self.fig.text(self._fx(MARGIN_IN + x_in), self._fy(y_in), s, fontsize=size,
                      va="top", **kw)

    def line(self, s: str, size: int = 8, *, bold: bool = False, gap_in: float = 0.0,
             colour: str = "black") -> None:
        self.text(0, self.y, s, size, fontweight="bold" if bold else "normal", color=colour)
        self.y -= LINE_IN.get(size, size / 50) + gap_in

    def paragraph(self, s: str, size: int = 8, max_lines: int | None = None,
                  width_in: float | None = None) -> None:
        for ln in wrap(s, size, width_in or self.text_width_in, max_lines):
            self.line(ln, size)

    def space(self, inches: float) -> None:
        self.y -= inches

    def rule(self) -> None:
        y = self._fy(self.y + 0.04)
        self.fig.add_artist(Line2D([self._fx(MARGIN_IN), self._fx(self.width_in - MARGIN_IN)],
                                   [y, y], linewidth=0.5, color="#757575"))
        self.y -= 0.06

    def axes(self, height_in: float, left_in: float = 0.45) -> Axes:
        """Axes below the cursor, the full text width (tick labels inside the margin)."""
        bottom = self.y - height_in
        ax = self.fig.add_axes((self._fx(MARGIN_IN + left_in), self._fy(bottom),
                                self._fx(self.text_width_in - left_in), self._fy(height_in)))
        ax.tick_params(labelsize=7, length=2)
        self.y = bottom - 0.32  # the x tick labels and axis label
        return ax

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]],
              col_in: Sequence[float], size: int = 7, bottom_in: float = MARGIN_IN,
              colours: Sequence[str] | None = None, last_col_lines: int = 2) -> int:
        """A plain table down to ``bottom_in`` at most; ``col_in``: the widths of all columns
        but the last, which takes the rest and wraps (up to ``last_col_lines``). Returns the
        rows drawn (the caller says what was left out)."""
        xs = np.concatenate([[0.0], np.cumsum(col_in)])  # the last column takes the rest
        step = LINE_IN[size]
        for x, name in zip(xs, columns, strict=True):
            self.text(x, self.y, name, size, fontweight="bold")
        self.y -= step
        self.rule()
        last_width = self.text_width_in - xs[-1]
        drawn = 0
        for k, row in enumerate(rows):
            cell_lines = wrap(row[-1], size, last_width, last_col_lines)
            if self.y - step * (len(cell_lines) + (k < len(rows) - 1)) < bottom_in:
                break  # and keep a line for "… n more"
            colour = colours[k] if colours else "black"
            for x, cell in zip(xs[:-1], row[:-1], strict=True):
                self.text(x, self.y, cell, size, color=colour)
            for j, ln in enumerate(cell_lines):
                self.text(xs[-1], self.y - j * step, ln, size, color=colour)
            self.y -= step * max(1, len(cell_lines))
            drawn += 1
        return drawn

    def footer(self) -> None:
        words = texts.REPORT_FOOTER.format(disclaimer=DISCLAIMER, version=__version__)
        lines = wrap(words, 7, self.text_width_in)
        y = MARGIN_IN - 0.1 + LINE_IN[7] * len(lines)
        for ln in lines:
            self.text(0, y, ln, 7, color="#424242")
            y -= LINE_IN[7]

    def save(self, path: Path, title: str) -> None:
        """Write the PDF atomically (0600). The PDF's metadata carry no patient data."""
        with atomic_writer(Path(path)) as out:
            self.fig.savefig(out, format="pdf", metadata={
                "Title": title, "Creator": f"cctf {__version__}", "Producer": "matplotlib",
                "CreationDate": None})


def render(build: Callable[[Page], None], path: Path, title: str) -> None:
    """Build a page with ``build(page)`` under cctf's style, then save it."""
    with rc_context(RC):
        page = Page()
        build(page)
        page.footer()
        page.save(path, title)


def decimate(t: np.ndarray, y: np.ndarray, max_points: int = 4000
             ) -> tuple[np.ndarray, np.ndarray]:
    """Min and max per bucket, in time order: peaks survive, the PDF stays small."""
    n = len(t)
    if n <= max_points:
        return t, y
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(int)
    ts, ys = [], []
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        seg = y[a:b]
        i, j = int(np.argmin(seg)), int(np.argmax(seg))
        for k in sorted((i, j)) if i != j else (i,):
            ts.append(t[a + k])
            ys.append(seg[k])
    return np.asarray(ts), np.asarray(ys)
