"""Printable A4 pages built top-down with matplotlib's object API (no pyplot, no GUI
backend, safe off the main thread), saved as one PDF with real text (TrueType fonts, so the
words can be searched and copied).

Text flows: a line, paragraph or table row that does not fit on the page continues on a new
page (tables repeat their header), so nothing is ever cut or shortened with "…". Every
page carries the footer and "page k of n"; no text is smaller than 8 pt.
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
from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cctf import DISCLAIMER, __version__, texts
from cctf.records.files import atomic_writer

A4_IN = (8.27, 11.69)
MARGIN_IN = 0.55
MIN_PT = 8  # the smallest text on any page
LINE_IN = {8: 0.155, 9: 0.17, 10: 0.19, 14: 0.3}
CHARS_PER_IN = {8: 15.0, 9: 13.3, 10: 12.0}  # DejaVu Sans, average text, with a little room
RC: Any = {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "axes.linewidth": 0.6,
      "font.size": MIN_PT}
PASS_COLOUR, FAIL_COLOUR, GREY = "#2e7d32", "#c62828", "#9e9e9e"


def wrap(text: str, size: int, width_in: float) -> list[str]:
    """Every word of ``text`` on lines that fit ``width_in`` (never shortened)."""
    width = max(10, int(CHARS_PER_IN[size] * width_in))
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += textwrap.wrap(para, width, break_long_words=True,
                               break_on_hyphens=False) or [""]
    return lines


class Page:
    """A4 pages written top-down; ``y`` is the cursor in inches from the bottom of the
    current page. ``continued`` is printed at the top of every page after the first."""

    def __init__(self, continued: str = "") -> None:
        self.width_in, self.height_in = A4_IN
        self.text_width_in = self.width_in - 2 * MARGIN_IN
        self.continued = continued
        self.figures: list[Figure] = []
        footer = texts.REPORT_FOOTER.format(disclaimer=DISCLAIMER, version=__version__)
        self.footer_lines = wrap(footer, MIN_PT, self.text_width_in)
        self.bottom_in = MARGIN_IN + LINE_IN[MIN_PT] * (len(self.footer_lines) + 1) + 0.08
        self.new_page()

    # --- pages ---------------------------------------------------------------------------

    def new_page(self) -> None:
        self.fig = Figure(figsize=A4_IN)
        FigureCanvasPdf(self.fig)
        self.figures.append(self.fig)
        self.y = self.height_in - MARGIN_IN
        if len(self.figures) > 1 and self.continued:
            self.text(0, self.y, self.continued, MIN_PT, color="#424242")
            self.y -= LINE_IN[MIN_PT] + 0.08

    def need(self, height_in: float) -> None:
        """Start a new page unless ``height_in`` more fits above the footer."""
        if self.y - height_in < self.bottom_in:
            self.new_page()

    @property
    def pages(self) -> int:
        return len(self.figures)

    # --- drawing -------------------------------------------------------------------------

    def _fx(self, x_in: float) -> float:
        return x_in / self.width_in

    def _fy(self, y_in: float) -> float:
        return y_in / self.height_in

    def text(self, x_in: float, y_in: float, s: str, size: int = MIN_PT, **kw: Any) -> None:
        self.fig.text(self._fx(MARGIN_IN + x_in), self._fy(y_in), s,
                      fontsize=max(MIN_PT, size), va="top", **kw)

    def line(self, s: str, size: int = MIN_PT, *, bold: bool = False, gap_in: float = 0.0,
             colour: str = "black") -> None:
        step = LINE_IN.get(size, size / 50)
        self.need(step)
        self.text(0, self.y, s, size, fontweight="bold" if bold else "normal", color=colour)
        self.y -= step + gap_in

    def paragraph(self, s: str, size: int = MIN_PT, width_in: float | None = None, *,
                  bold: bool = False) -> None:
        for ln in wrap(s, size, width_in or self.text_width_in):
            self.line(ln, size, bold=bold)

    def heading(self, s: str, size: int = 9, keep_in: float = 0.5) -> None:
        """A bold heading that is never the last thing on a page."""
        self.need(LINE_IN[size] + keep_in)
        self.line(s, size, bold=True)

    def space(self, inches: float) -> None:
        self.y -= inches

    def rule(self) -> None:
        y = self._fy(self.y + 0.04)
        self.fig.add_artist(Line2D([self._fx(MARGIN_IN), self._fx(self.width_in - MARGIN_IN)],
                                   [y, y], linewidth=0.5, color="#757575"))
        self.y -= 0.06

    def axes(self, height_in: float, left_in: float = 0.45, right_in: float = 0.0) -> Axes:
        """Axes below the cursor, the text width less ``right_in`` (tick labels inside the
        margin); a new page first if it does not fit."""
        self.need(height_in + 0.36)
        bottom = self.y - height_in
        ax = self.fig.add_axes((self._fx(MARGIN_IN + left_in), self._fy(bottom),
                                self._fx(self.text_width_in - left_in - right_in),
                                self._fy(height_in)))
        ax.tick_params(labelsize=MIN_PT, length=2)
        self.y = bottom - 0.36  # the x tick labels and axis label
        return ax

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]],
              col_in: Sequence[float], size: int = MIN_PT,
              colours: Sequence[str] | None = None) -> None:
        """A plain table, every row whole; ``col_in``: the widths of all columns but the
        last, which takes the rest and wraps. Rows that do not fit continue on the next
        page under the header again."""
        xs = np.concatenate([[0.0], np.cumsum(col_in)])  # the last column takes the rest
        step = LINE_IN[size]
        last_width = self.text_width_in - xs[-1]

        def header() -> None:
            self.need(2 * step + 0.06)
            for x, name in zip(xs, columns, strict=True):
                self.text(x, self.y, name, size, fontweight="bold")
            self.y -= step
            self.rule()

        header()
        for k, row in enumerate(rows):
            cell_lines = wrap(row[-1], size, last_width)
            colour = colours[k] if colours else "black"
            first = True
            for ln in cell_lines:
                if self.y - step < self.bottom_in:
                    self.new_page()
                    header()
                    first = True  # the row's number again, so a continued cell is clear
                if first:
                    for x, cell in zip(xs[:-1], row[:-1], strict=True):
                        self.text(x, self.y, cell, size, color=colour)
                    first = False
                self.text(xs[-1], self.y, ln, size, color=colour)
                self.y -= step

    def footers(self) -> None:
        n = len(self.figures)
        for k, fig in enumerate(self.figures, start=1):
            self.fig = fig
            y = MARGIN_IN - 0.1 + LINE_IN[MIN_PT] * (len(self.footer_lines) + 1)
            self.text(0, y, texts.REPORT_PAGE.format(page=k, pages=n), MIN_PT,
                      color="#424242")
            y -= LINE_IN[MIN_PT]
            for ln in self.footer_lines:
                self.text(0, y, ln, MIN_PT, color="#424242")
                y -= LINE_IN[MIN_PT]

    def save(self, path: Path, title: str) -> None:
        """Write the PDF atomically (0600). The PDF's metadata carry no patient data."""
        with atomic_writer(Path(path)) as out, PdfPages(out, metadata={
                "Title": title, "Creator": f"cctf {__version__}", "Producer": "matplotlib",
                "CreationDate": None}) as pdf:
            for fig in self.figures:
                pdf.savefig(fig)


def render(build: Callable[[Page], None], path: Path, title: str, continued: str = "") -> int:
    """Build pages with ``build(page)`` under cctf's style, then save them; returns the
    number of pages."""
    with rc_context(RC):
        page = Page(continued)
        build(page)
        page.footers()
        page.save(path, title)
        return page.pages


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
