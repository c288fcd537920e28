"""The scrolling pressure trace: target band, baseline, and markers for cues and faults.

A view over the controller's ``history`` and ``markers``: in each frame (``first_pass``) it
works out the visible window, decimates it to the pixel columns (so 10 minutes at 200 Hz cost what
10 seconds do) and has its :class:`~cctf.gui.trace_canvas.TraceCanvas` paint it — only when
something moved by at least half a pixel or changed, and never while it is hidden or its
window minimised. With ``show_range`` it draws a fixed stretch once instead (the results'
overview). More series (for example the head angle, issue 17) go in ``sources``: each is
called with the window (t0, t1, seconds per pixel column) on every redraw and returns a
:class:`~cctf.gui.trace_canvas.Series` (its own right axis with ``axis="right"``,
``y_range``, ``title``) or None.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.first_pass import SampleFollower
from cctf.gui.history import Marker, column_decimate
from cctf.gui.trace_canvas import Label, Series, TraceCanvas

NOMINAL_BASELINE_MMHG = 20.0
_MAX_LABELS = 24
_SYMBOL_COLOURS = {"fault": theme.FAULT, "manual": theme.MANUAL, "user": theme.MARKER,
                   "link": theme.WARNING}


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
        self._key: tuple = ()
        self._shown: tuple | None = None  # (t1, what else is drawn, newest sample drawn)
        self.canvas = TraceCanvas(texts.AXIS_PRESSURE, "" if compact else texts.AXIS_TIME,
                                  y_title_short=texts.AXIS_PRESSURE_SHORT)
        self.plot = self.canvas  # the widget that paints (its width is the plot's)
        self.curve = Series(np.empty(0), np.empty(0), theme.TRACE)
        self.canvas.set_series("pressure", self.curve)
        self.sources: dict[str, Callable[[float, float, float], Series | None]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        # New samples: redrawn before the rest of the frame; on ``ticked`` only without them.
        self._newest = SampleFollower(controller, self.refresh)
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
        """On each tick: redraw if following the live data, actually on screen, and something
        moved or changed since the last frame."""
        if self.fixed is None and self.visible_on_screen:
            c = self.controller
            t1 = c.now_display_s
            px_s = self.span_s / max(1.0, self.canvas.plot_rect().width())
            moved = 0.0 if math.isnan(t1) else math.floor(2.0 * t1 / px_s)  # half pixels
            key = (moved, c.history.latest_t_s, len(c.history), len(c.markers), self.span_s,
                   self.canvas.width(), self.canvas.height(), c.band_mmhg, c.baseline_mmhg,
                   c.session is not None, c.signal_status.live)
            if key == self._key:
                return
            self._key = key
            self.redraw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._key = ()
        self.redraw()

    # --- drawing -----------------------------------------------------------------------------

    def redraw(self) -> None:
        c = self.controller
        store = c.history
        if self.fixed is not None:
            t0, t1 = self.fixed
        width_px = max(100.0, self.canvas.plot_rect().width())
        if self.fixed is None:
            t1 = c.now_display_s
            if math.isnan(t1):
                t1 = 0.0
            px_s = self.span_s / width_px
            t1 = math.ceil(t1 / px_s) * px_s  # whole pixels: frames can scroll (see below)
            t1 = max(t1, self.span_s)
            t0 = t1 - self.span_s
        t, p, target = store.window(t0, t1 + 1e-9)
        td, pd = column_decimate(t, p, (t1 - t0) / width_px)
        self.curve.t, self.curve.y = td, pd
        for name, source in self.sources.items():
            self.canvas.set_series(name, source(t0, t1, (t1 - t0) / width_px))
        scene = self.canvas.scene
        scene.t0, scene.t1 = t0, t1
        scene.bands = self._bands(t, target, c.band_mmhg)
        scene.lo, scene.hi = self._y_range(pd, target)
        cued = c.session is not None and c.session.runner is not None
        baseline = c.baseline_mmhg if cued else math.nan
        scene.baseline = baseline
        scene.baseline_text = ("" if math.isnan(baseline)
                               else texts.BASELINE_LABEL.format(value=baseline))
        scene.live = self.fixed is not None or c.device is None or c.signal_status.live
        self._markers([m for m in c.markers if t0 <= m.t_s <= t1], scene.lo, scene.hi,
                      t0 + 0.85 * (t1 - t0))
        if len(t):
            self.last_drawn_t_s = float(t[-1])
        self._present(t0, t1, width_px)
        self.draws += 1
        self.last_draw_s = time.perf_counter()
        self.drawn.emit()

    def _present(self, t0: float, t1: float, width_px: float) -> None:
        """Have the canvas show the scene: when only time moved on (the usual frame), scroll
        the pixels already drawn and paint the new strip; else repaint it all."""
        scene, canvas = self.canvas.scene, self.canvas
        edge = t0 + 2 * (t1 - t0) / width_px  # a band starting here began before the window
        sig = (scene.lo, scene.hi, scene.baseline, scene.baseline_text, scene.live,
               tuple((a if a > edge else None, y0, y1) for a, _, y0, y1 in scene.bands),
               tuple(scene.cue_t),
               len(scene.symbols), tuple((lab.text, lab.t_s, lab.point_left)
                                         for lab in scene.labels),
               tuple(canvas.series), canvas.width(), canvas.height(), self.span_s)
        newest = self.last_drawn_t_s
        prev, self._shown = self._shown, (t1, sig, newest)
        if self.fixed is None and prev is not None and prev[1] == sig:
            px_s = (t1 - t0) / width_px
            dx = round((t1 - prev[0]) / px_s)
            if 0 <= dx < width_px / 2:
                r = canvas.plot_rect()
                new_from = (r.left() + (prev[2] - t0) / px_s if not math.isnan(prev[2])
                            else r.left())
                canvas.scroll_plot(dx, new_from)
                return
        canvas.update()

    @staticmethod
    def _bands(t: np.ndarray, target: np.ndarray, band: float
               ) -> list[tuple[float, float, float, float]]:
        n = len(t)
        if n == 0:
            return []
        tg = np.where(np.isnan(target), -1.0, target)
        edges = np.flatnonzero(np.diff(tg) != 0) + 1
        starts = np.concatenate(([0], edges))
        ends = np.concatenate((edges, [n])) - 1
        keep = tg[starts] >= 0
        return [(float(t[a]), float(t[b]), float(tg[a] - band), float(tg[a] + band))
                for a, b in zip(starts[keep], ends[keep], strict=True)]

    @staticmethod
    def _y_range(p: np.ndarray, target: np.ndarray) -> tuple[float, float]:
        lo, hi = 14.0, 34.0
        if len(p):
            lo = min(lo, math.floor(float(p.min())) - 1)
            hi = max(hi, math.ceil(float(p.max())) + 1)
        top = float(np.fmax.reduce(target)) if len(target) else math.nan  # NaN: no target
        if not math.isnan(top):
            hi = max(hi, top + 3)
        return max(lo, -5.0), hi

    def _markers(self, markers: list[Marker], lo: float, hi: float, right_s: float) -> None:
        """Cue lines, symbols and labels for ``markers``; labels right of ``right_s`` point
        left (the canvas stacks or leaves out labels that would overprint)."""
        scene = self.canvas.scene
        lines = [m for m in markers if m.kind in ("cue", "link")]
        scene.cue_t = [m.t_s for m in lines]
        scene.cue_colours = [theme.MUTED if m.kind == "cue" else theme.WARNING for m in lines]
        scene.symbols = [(m.t_s, m.y_mmhg, m.kind, _SYMBOL_COLOURS[m.kind]) for m in markers
                         if m.kind in _SYMBOL_COLOURS and not math.isnan(m.y_mmhg)]
        labels = []
        for m in markers[-_MAX_LABELS:]:
            if m.kind in ("cue", "link"):
                labels.append(Label(m.t_s, hi, m.text,
                                    theme.MUTED if m.kind == "cue" else theme.WARNING,
                                    top=True, point_left=m.t_s > right_s))
            else:
                y = m.y_mmhg if not math.isnan(m.y_mmhg) else hi
                labels.append(Label(m.t_s, y, m.text, _SYMBOL_COLOURS.get(m.kind, theme.TEXT),
                                    top=False))
        scene.labels = labels
