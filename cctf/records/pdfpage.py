"""Printable A4 pages built top-down with matplotlib's object API (no pyplot, no GUI
backend, safe off the main thread), saved as one PDF with real text (TrueType fonts, so the
words can be searched and copied).

Text flows: a line, paragraph or table row that does not fit on the page continues on a new
page (tables repeat their header), so nothing is ever cut or shortened with "…". Every
page carries the footer and "page k of n"; no text is smaller than 8 pt. Table columns are
sized and wrapped from the measured widths of their texts (``text_width_in``), so no cell runs
into its neighbour whatever the words (a longer translation, "not measured").
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
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextToPath

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
GAP_IN = 0.1  # between a table cell's text and the next column
MIN_LAST_IN = 1.0  # the last (wrapping) column of a table keeps at least this much
_METRICS = TextToPath()


def wrap(text: str, size: int, width_in: float) -> list[str]:
    """Every word of ``text`` on lines that fit ``width_in`` (never shortened)."""
    width = max(10, int(CHARS_PER_IN[size] * width_in))
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += textwrap.wrap(para, width, break_long_words=True,
                               break_on_hyphens=False) or [""]
    return lines


def text_width_in(s: str, size: int, bold: bool = False) -> float:
    """The width of ``s`` in inches as the PDF sets it: DejaVu Sans measured by FreeType,
    as matplotlib's PDF backend lays out its text (kerning included, no hinting)."""
    if not s:
        return 0.0
    prop = FontProperties(family=RC["font.family"], size=max(MIN_PT, size),
                          weight="bold" if bold else "normal")
    width_pt, _, _ = _METRICS.get_text_width_height_descent(s, prop, ismath=False)
    return float(width_pt) / 72.0


def wrap_measured(text: str, size: int, width_in: float, bold: bool = False) -> list[str]:
    """Every word of ``text`` on lines whose measured width fits ``width_in``; a word wider
    than that is split between characters (never shortened)."""

    def fits(s: str) -> bool:
        return text_width_in(s, size, bold) <= width_in

    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line = ""
        for word in para.split():
            if fits(f"{line} {word}" if line else word):
                line = f"{line} {word}" if line else word
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and not fits(word):
                k = len(word) - 1
                while k > 1 and not fits(word[:k]):
                    k -= 1
                lines.append(word[:k])
                word = word[k:]
            line = word
        lines.append(line)
    return lines


def column_widths(cells: Sequence[Sequence[str]], col_in: Sequence[float], total_in: float,
                  size: int = MIN_PT) -> list[float]:
    """The widths of a table's columns but the last (which takes the rest of ``total_in``).

    ``cells``: the header row first (bold), then the rows. Each column is ``col_in`` wide or,
    when a cell's text is wider, as wide as its widest text plus ``GAP_IN``. When that leaves
    the last column less than ``MIN_LAST_IN``, the widened columns are sized to their longest
    word instead (their cells wrap); when even that does not fit, only the widened columns
    give back room, in proportion to what they gained, and a word wider than its column is
    split between characters."""

    def widest(k: int, measure: Callable[[str, bool], float]) -> float:
        return max(measure(row[k], r == 0) for r, row in enumerate(cells)) + GAP_IN

    whole = [max(c, widest(k, lambda s, b: text_width_in(s, size, b)))
             for k, c in enumerate(col_in)]
    room = total_in - MIN_LAST_IN
    if sum(whole) <= room:
        return whole
    by_word = [max(c, widest(k, lambda s, b: max((text_width_in(w, size, b) for w in s.split()),
                                                 default=0.0)))
               for k, c in enumerate(col_in)]
    if sum(by_word) <= room:
        return by_word
    if sum(col_in) >= room:  # too many columns for the page: all shrink alike
        return [c * room / sum(col_in) for c in col_in]
    share = (room - sum(col_in)) / (sum(by_word) - sum(col_in))
    return [c + share * (w - c) for c, w in zip(col_in, by_word, strict=True)]


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
        last, which takes the rest. A column is widened when its texts need it, and any cell
        wraps within its column (``column_widths``). A row is kept on one page when it fits
        on one; rows continue on the next page under the header again."""
        widths = column_widths([columns, *rows], col_in, self.text_width_in, size)
        xs = np.concatenate([[0.0], np.cumsum(widths)])  # the last column takes the rest
        room = [w - GAP_IN for w in widths] + [self.text_width_in - xs[-1]]
        step = LINE_IN[size]

        def cell_lines(row: Sequence[str], bold: bool = False) -> list[list[str]]:
            return [wrap_measured(cell, size, w, bold) for cell, w in zip(row, room,
                                                                           strict=True)]

        head = cell_lines(columns, bold=True)
        head_n = max(len(c) for c in head)

        def header() -> None:
            self.need((head_n + 1) * step + 0.06)
            for j in range(head_n):
                for x, lines in zip(xs, head, strict=True):
                    if j < len(lines):
                        self.text(x, self.y, lines[j], size, fontweight="bold")
                self.y -= step
            self.rule()

        page_in = self.height_in - MARGIN_IN - self.bottom_in - (head_n + 2) * step - 0.2
        header()
        for k, row in enumerate(rows):
            lines = cell_lines(row)
            n = max(len(c) for c in lines)
            colour = colours[k] if colours else "black"
            if self.y - n * step < self.bottom_in and n * step <= page_in:
                self.new_page()  # the whole row on the next page
                header()
            for j in range(n):
                again = False
                if self.y - step < self.bottom_in:
                    self.new_page()
                    header()
                    again = True  # the row's first cells again, so a continued cell is clear
                for x, cell in zip(xs, lines, strict=True):
                    if j < len(cell):
                        self.text(x, self.y, cell[j], size, color=colour)
                    elif again and cell[0]:
                        self.text(x, self.y, cell[0], size, color=colour)
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
