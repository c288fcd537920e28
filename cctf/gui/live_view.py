"""The scrolling pressure trace: target band, baseline, and markers for cues and faults.

A view over the controller's ``history`` and ``markers``: on each ``ticked`` it draws the
visible window (decimated to the plot's pixels, so 10 minutes at 200 Hz cost what 10 seconds
do) — unless it is hidden or its window minimised, when it does nothing at all. With
``show_range`` it draws a fixed stretch once instead (the results' overview).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.history import Marker, peak_decimate

pg.setConfigOptions(antialias=True, foreground=theme.TEXT, background=theme.SURFACE)

NOMINAL_BASELINE_MMHG = 20.0
_MAX_LABELS = 24
_SYMBOLS = {"fault": ("x", theme.FAULT), "manual": ("star", theme.MANUAL),
            "user": ("t1", theme.MARKER), "link": ("s", theme.WARNING)}


class TimeAxis(pg.AxisItem):
    """Ticks as minutes:seconds."""

    def tickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            s = max(0, round(v))
            out.append(f"{s // 60}:{s % 60:02d}")
        return out


class LiveView(QWidget):
    drawn = Signal()  # after each redraw (benchmarks measure it)

    def __init__(self, controller: AppController, span_s: float = 30.0,
                 parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.controller = controller
        self.span_s = span_s
        self.fixed: tuple[float, float] | None = None
        self.draws = 0
        self.last_draw_s = 0.0  # perf_counter time of the last redraw
        self.last_drawn_t_s = math.nan  # display time of the newest sample drawn
        self._markers_key: tuple = ()
        self._y = (math.nan, math.nan)

        self.plot = pg.PlotWidget(axisItems={"bottom": TimeAxis(orientation="bottom")})
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        label_style = {"font-size": f"{theme.SMALL_PT}pt", "color": theme.MUTED}
        self.plot.setLabel("left", texts.AXIS_PRESSURE, **label_style)
        if not compact:
            self.plot.setLabel("bottom", texts.AXIS_TIME, **label_style)
        tick_font = QFont()
        tick_font.setPointSize(theme.SMALL_PT)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTickFont(tick_font)
        self.plot.getPlotItem().setClipToView(False)
        # The left axis and its horizontal grid only change with the y range: keep them as a
        # pixmap instead of replaying their lines over the whole plot every frame.
        self.plot.getAxis("left").setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        self.bars = pg.BarGraphItem(x0=[0], x1=[0], y0=[0], y1=[0],
                                    brush=pg.mkBrush(theme.TARGET_BAND), pen=pg.mkPen(None))
        self.bars.setVisible(False)
        self.plot.addItem(self.bars)
        self.nominal = pg.InfiniteLine(
            pos=NOMINAL_BASELINE_MMHG, angle=0,
            pen=pg.mkPen(theme.GRID, width=2, style=Qt.PenStyle.DotLine))
        self.plot.addItem(self.nominal)
        self.baseline = pg.InfiniteLine(
            angle=0, pen=pg.mkPen(theme.BASELINE, width=1.5, style=Qt.PenStyle.DashLine),
            label=texts.BASELINE_LABEL, labelOpts={"position": 0.02, "color": theme.MUTED,
                                                   "fill": (255, 255, 255, 210),
                                                   "anchors": [(0, 1), (0, 1)]})
        self.baseline.setVisible(False)
        self.plot.addItem(self.baseline)
        self.cue_lines = pg.PlotDataItem(pen=pg.mkPen(theme.MUTED, width=1,
                                                      style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.cue_lines)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(theme.TRACE, width=2.5), skipFiniteCheck=True)
        self.plot.addItem(self.curve)
        self.points = pg.ScatterPlotItem(size=16, pxMode=True)
        self.plot.addItem(self.points)
        self.labels: list[pg.TextItem] = []
        for _ in range(_MAX_LABELS):
            item = pg.TextItem(anchor=(0.5, 1.0), color=theme.TEXT)
            item.setFont(theme.font(theme.SMALL_PT, bold=True))
            item.setVisible(False)
            self.plot.addItem(item)
            self.labels.append(item)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        controller.ticked.connect(self.refresh)
        controller.connection_changed.connect(self.refresh)

    # --- control -----------------------------------------------------------------------------

    def set_span(self, span_s: float) -> None:
        self.span_s = span_s
        self.refresh()

    def show_range(self, t_from_s: float, t_to_s: float) -> None:
        """Draw this fixed stretch (display time) and stop following the live data."""
        self.fixed = (t_from_s, t_to_s)
        self.redraw()

    @property
    def visible_on_screen(self) -> bool:
        window = self.window()
        return self.isVisible() and not (window is not None and window.isMinimized())

    def refresh(self) -> None:
        """On each tick: redraw if following the live data and actually on screen."""
        if self.fixed is None and self.visible_on_screen:
            self.redraw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.redraw()

    # --- drawing -----------------------------------------------------------------------------

    def redraw(self) -> None:
        c = self.controller
        store = c.history
        if self.fixed is not None:
            t0, t1 = self.fixed
        else:
            t1 = c.now_display_s
            if math.isnan(t1):
                t1 = 0.0
            t1 = max(t1, self.span_s)
            t0 = t1 - self.span_s
        t, p, target = store.window(t0, t1 + 1e-9)
        width_px = max(200, self.plot.width())
        # More samples than two per pixel column: a minimum and a maximum per two columns
        # (under a 2.5-px pen nothing narrower shows, and stroking the antialiased trace costs
        # in proportion to its points); fewer: every sample.
        td, pd = peak_decimate(t, p, width_px if len(t) > 2 * width_px else len(t))
        self.curve.setData(td, pd)
        self._draw_bands(t, target, c.band_mmhg)
        lo, hi = self._y_range(pd, target)
        self.plot.setXRange(t0, t1, padding=0.0)
        if (lo, hi) != self._y:
            self._y = (lo, hi)
            self.plot.setYRange(lo, hi, padding=0.0)
        cued = c.session is not None and c.session.runner is not None
        self._draw_baseline(c.baseline_mmhg if cued else math.nan)
        self._draw_markers([m for m in c.markers if t0 <= m.t_s <= t1], lo, hi,
                           t0 + 0.85 * (t1 - t0))
        self.draws += 1
        self.last_draw_s = time.perf_counter()
        if len(t):
            self.last_drawn_t_s = float(t[-1])
        self.drawn.emit()

    def _draw_bands(self, t: np.ndarray, target: np.ndarray, band: float) -> None:
        n = len(t)
        if n == 0:
            self.bars.setVisible(False)
            return
        tg = np.where(np.isnan(target), -1.0, target)
        edges = np.flatnonzero(np.diff(tg) != 0) + 1
        starts = np.concatenate(([0], edges))
        ends = np.concatenate((edges, [n])) - 1
        keep = tg[starts] >= 0
        if not keep.any():
            self.bars.setVisible(False)
            return
        y = tg[starts[keep]]
        self.bars.setOpts(x0=t[starts[keep]], x1=t[ends[keep]], y0=y - band, y1=y + band)
        self.bars.setVisible(True)

    @staticmethod
    def _y_range(p: np.ndarray, target: np.ndarray) -> tuple[float, float]:
        lo, hi = 14.0, 34.0
        if len(p):
            lo = min(lo, math.floor(float(np.min(p))) - 1)
            hi = max(hi, math.ceil(float(np.max(p))) + 1)
        if len(target) and np.isfinite(target).any():
            hi = max(hi, float(np.nanmax(target)) + 3)
        return max(lo, -5.0), hi

    def _draw_baseline(self, baseline: float) -> None:
        if math.isnan(baseline):
            self.baseline.setVisible(False)
            return
        if self.baseline.value() != baseline:
            self.baseline.setValue(baseline)
        self.baseline.setVisible(True)
        # pyqtgraph does not relabel a hidden line: a value set while hidden kept "baseline 0.0".
        text = texts.BASELINE_LABEL.format(value=baseline)
        if self.baseline.label.toPlainText() != text:
            self.baseline.label.setText(text)

    def _draw_markers(self, markers: list[Marker], lo: float, hi: float,
                      right_s: float) -> None:
        """Lines and symbols for ``markers``; labels right of ``right_s`` point left."""
        key = (tuple(markers), lo, hi, right_s if markers and markers[-1].t_s > right_s
               else None)
        if key == self._markers_key:
            return  # unchanged since the last frame (the usual case)
        self._markers_key = key
        cue_t = [m.t_s for m in markers if m.kind in ("cue", "link")]
        if cue_t:
            xs = np.repeat(cue_t, 2)
            ys = np.tile([lo, hi], len(cue_t))
            self.cue_lines.setData(xs, ys, connect="pairs")
        else:
            self.cue_lines.setData([], [])
        spots = []
        for m in markers:
            if m.kind in _SYMBOLS and not math.isnan(m.y_mmhg):
                symbol, colour = _SYMBOLS[m.kind]
                spots.append({"pos": (m.t_s, m.y_mmhg), "symbol": symbol,
                              "brush": pg.mkBrush(colour), "pen": pg.mkPen(colour, width=2)})
        self.points.setData(spots)
        shown = markers[-_MAX_LABELS:]
        for item, m in zip(self.labels, shown, strict=False):
            if m.kind in ("cue", "link"):
                item.setAnchor((1.0, 0.0) if m.t_s > right_s else (0.0, 0.0))
                item.setPos(m.t_s, hi)
                item.setColor(theme.MUTED if m.kind == "cue" else theme.WARNING)
            else:
                item.setAnchor((0.5, 1.2))
                y = m.y_mmhg if not math.isnan(m.y_mmhg) else hi
                item.setPos(m.t_s, y)
                item.setColor(_SYMBOLS.get(m.kind, ("", theme.TEXT))[1])
            item.setText(m.text)
            item.setVisible(True)
        for item in self.labels[len(shown):]:
            item.setVisible(False)
