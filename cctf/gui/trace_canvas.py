"""A cheap scrolling plot: the live view's trace, painted by one widget with QPainter.

Why not pyqtgraph here: under a real X server its scene replayed the axis labels and grid
every frame and stroked the trace through a generic path (issue 14: 40 % + 16 % of the UI
thread). This widget keeps everything that only changes with the size or the y range — the
surface, the y grid, the y tick labels, the axis titles, the nominal baseline — in one
background pixmap, redrawn only when one of those changes. Per frame it blits that pixmap
and draws the few moving things: the vertical grid and time labels, the target bands, the
cue lines, the baseline, the trace (already decimated to the pixel columns by the caller),
marker symbols and labels.

Labels never overprint: each is placed at its preferred spot, else stacked one line lower
(cue and link labels) or higher (fault and marker labels), else left out, newest first.

More series: :meth:`set_series` takes any number of named series, each on the left axis
(pressure) or on its own right axis (for example the head angle, issue 17), which then gets
its own tick labels.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
    QRegion,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from cctf.gui import theme

_TIME_STEPS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0,
                 1800.0, 3600.0)
_PIECE = 100  # points per stroked piece of the trace (see paintEvent)
_LABEL_LEVELS = 3  # a label moves at most this many lines away from its spot, else it goes
_FRESH_PX = 0  # scroll_plot repaints at least this strip at the right
_LABEL_HALF_PX = 40  # a time label is drawn in a box this far either side of its tick
_BAND_END_PX = 2 * _LABEL_HALF_PX + 8  # scroll_plot repaints this much of the time band's ends


@dataclass
class Series:
    """One line: samples (display time, value), drawn on the left axis or its own right axis."""

    t: np.ndarray
    y: np.ndarray
    colour: str
    width: float = 2.5
    axis: str = "left"  # "left" (pressure) or "right" (its own range, ticks on the right)
    y_range: tuple[float, float] = (0.0, 1.0)  # for a right-axis series
    title: str = ""  # the right axis' title

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        """What is drawn (the name pyqtgraph's items use, so callers need not care)."""
        return self.t, self.y


@dataclass(frozen=True)
class Label:
    """A text on the plot: at the top of the plot (``top``) next to a cue line, or centred
    above a point."""

    t_s: float
    y: float  # ignored for top labels
    text: str
    colour: str
    top: bool
    point_left: bool = False  # top labels: text left of the line (near the right edge)


@dataclass
class Scene:
    """Everything one frame draws, in data coordinates."""

    t0: float = 0.0
    t1: float = 30.0
    lo: float = 14.0
    hi: float = 34.0
    bands: list[tuple[float, float, float, float]] = field(default_factory=list)  # t0 t1 y0 y1
    cue_t: list[float] = field(default_factory=list)
    cue_colours: list[str] = field(default_factory=list)
    baseline: float = math.nan
    baseline_text: str = ""
    symbols: list[tuple[float, float, str, str]] = field(default_factory=list)  # t y kind colour
    labels: list[Label] = field(default_factory=list)
    live: bool = True  # False: the data is not current — the trace is drawn grey


def _nice_step(span: float, pixels: float, min_px: float, steps: tuple[float, ...] | None
               ) -> float:
    want = span * min_px / max(pixels, 1.0)
    if steps is not None:
        for s in steps:
            if s >= want:
                return s
        return steps[-1]
    mag = 10 ** math.floor(math.log10(max(want, 1e-9)))
    for m in (1, 2, 5, 10):
        if m * mag >= want:
            return m * mag
    return 10 * mag


def _minor(step: float) -> float:
    lead = step / 10 ** math.floor(math.log10(step))
    return step / (4 if round(lead) == 2 or step in (15.0, 30.0, 120.0) else 5)


def _ticks(a: float, b: float, step: float) -> np.ndarray:
    return np.arange(math.ceil(a / step - 1e-9), math.floor(b / step + 1e-9) + 1) * step


def _clock(v: float) -> str:
    s = max(0, round(v))
    return f"{s // 60}:{s % 60:02d}"


def polygon(x: np.ndarray, y: np.ndarray) -> QPolygonF:
    """A QPolygonF filled from two arrays without a Python object per point."""
    poly = QPolygonF()
    n = len(x)
    poly.resize(n)
    if n:
        buf = shiboken6.VoidPtr(poly.data(), 16 * n, True)  # type: ignore[call-arg, arg-type]
        mem = np.frombuffer(buf, np.float64).reshape(n, 2)  # type: ignore[call-overload]
        mem[:, 0] = x
        mem[:, 1] = y
    return poly


class TraceCanvas(QWidget):
    """Paints a :class:`Scene` and the named :class:`Series`; call :meth:`update` after
    changing them (Qt then paints once, when the widget is shown)."""

    def __init__(self, y_title: str, x_title: str = "", parent: QWidget | None = None,
                 *, y_title_short: str = "") -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Small enough for the results' overview at 1280×720 (issue 13: a LiveView is given
        # ~100 px there); ticks and the axis title still fit in 80.
        self.setMinimumSize(160, 80)
        self.y_title = y_title
        self.y_title_short = y_title_short  # when the title is longer than the plot is tall
        self.x_title = x_title
        self.scene = Scene()
        self.series: dict[str, Series] = {}
        self.tick_font = QFont(theme.font(theme.SMALL_PT))
        self.label_font = theme.font(theme.SMALL_PT, bold=True)
        self._fm = QFontMetricsF(self.tick_font)
        self._lfm = QFontMetricsF(self.label_font)
        # Text widths, each text measured once: a dozen time labels and the cue labels a frame.
        self._tick_widths = functools.lru_cache(maxsize=4096)(self._fm.horizontalAdvance)
        self._label_widths = functools.lru_cache(maxsize=4096)(self._lfm.horizontalAdvance)
        self._background: QPixmap | None = None
        self._background_key: tuple = ()
        self.backgrounds_drawn = 0  # how often the background was rendered (tests)
        self.paints = 0
        self.drawn_labels: list[tuple[str, QRectF]] = []  # last frame's labels (tests)
        self._baseline_box: QRectF | None = None
        self._label_key: tuple = ()
        self._label_pm = QPixmap()
        self._plot_rect_key: tuple = ()
        self._plot_rect = QRectF()

    # --- model ---------------------------------------------------------------------------------

    def set_series(self, name: str, series: Series | None) -> None:
        if series is None:
            self.series.pop(name, None)
        else:
            self.series[name] = series

    # --- geometry ------------------------------------------------------------------------------

    def plot_rect(self) -> QRectF:
        """The data area inside the axes, in widget pixels (asked several times a frame: the
        font measuring is done once per size and axes)."""
        right_axis = any(s.axis == "right" for s in self.series.values())
        key = (self.width(), self.height(), bool(self.y_title), bool(self.x_title), right_axis)
        if key != self._plot_rect_key:
            self._plot_rect_key, self._plot_rect = key, self._measure_plot_rect(right_axis)
        return QRectF(self._plot_rect)

    def _measure_plot_rect(self, right_axis: bool) -> QRectF:
        fm = self._fm
        left = fm.horizontalAdvance("−00") + 14 + (fm.height() + 4 if self.y_title else 0)
        right = (fm.horizontalAdvance("−000") + 14 + fm.height() + 4) if right_axis else 8
        bottom = fm.height() + 8 + (fm.height() + 2 if self.x_title else 0)
        # Whole pixels: a view scrolled by whole pixels then lands on the same pixels.
        return QRectF(round(left), 6, max(10, round(self.width() - left - right)),
                      max(10, round(self.height() - 6 - bottom)))

    def y_title_shown(self, r: QRectF) -> tuple[str, float, float]:
        """The left axis title that fits beside the plot ``r``, with the centre and length of
        the room it is drawn in: the title centred on the plot, else on the widget's whole
        height, else its short form the same way, else the short form elided. A title
        clipped at both ends ("ssure (mm", a 1280×720 window) says nothing."""
        fm = self._fm
        on_plot = (r.center().y(), 2 * min(r.center().y(), self.height() - r.center().y()) - 4)
        whole = (self.height() / 2, self.height() - 4.0)
        for title in (self.y_title, self.y_title_short):
            for centre, room in (on_plot, whole):
                if title and fm.horizontalAdvance(title) <= room:
                    return title, centre, room
        title = self.y_title_short or self.y_title
        return (fm.elidedText(title, Qt.TextElideMode.ElideRight, max(0.0, whole[1])),
                *whole)

    def scroll_plot(self, dx: int, dirty_from_x: float) -> None:
        """The data moved ``dx`` whole pixels left: move the pixels already drawn (the plot and
        its time labels) and repaint only the strip that came in, from ``dirty_from_x`` (new
        samples) or the last ``_FRESH_PX`` (time labels coming in whole), and the fixed
        baseline label. The caller repaints everything instead when anything else changed."""
        r = self.plot_rect()
        area = QRect(int(r.left()) + 1, int(r.top()), int(r.width()) - 1, int(r.height()))
        band = self._time_band(r)
        if dx > 0:
            self.scroll(-dx, 0, area)
            # The time labels under the plot move with it; only its ends are painted again
            # (a label cut by an edge is left out, which moving pixels would not do: the one
            # leaving at the left goes, the one coming in whole at the right appears).
            self.scroll(-dx, 0, band)
            self.update(QRect(0, band.top(), int(r.left()) + _BAND_END_PX, band.height()))
            right = self.width() - _BAND_END_PX - dx
            self.update(QRect(right, band.top(), self.width() - right, band.height()))
        left = max(area.left(), int(min(dirty_from_x, r.right() - max(dx, _FRESH_PX))) - 4)
        self.update(QRect(left, area.top(), area.right() - left + 1, area.height()))
        # The left axis line beside the moved area: some window systems shift or blend the
        # pixel column next to a scrolled rectangle, so it is repainted (3 px) each frame.
        self.update(QRect(int(r.left()) - 1, area.top(), 3, area.height()))
        if self._baseline_box is not None:
            self.update(self._baseline_box.toRect().adjusted(-max(dx, 0), 0, 0, 0))

    def _time_band(self, r: QRectF) -> QRect:
        """The band under the plot that holds the time ticks and labels."""
        return QRect(0, int(r.bottom()) + 1, self.width(), int(self._fm.height()) + 8)

    # --- painting ------------------------------------------------------------------------------

    def _background_pixmap(self, r: QRectF) -> QPixmap:
        s = self.scene
        rights = tuple((k, v.y_range, v.title, v.colour) for k, v in self.series.items()
                       if v.axis == "right")
        key = (self.width(), self.height(), self.devicePixelRatioF(), s.lo, s.hi,
               self.y_title, self.x_title, rights)
        if self._background is not None and key == self._background_key:
            return self._background
        self._background_key = key
        dpr = self.devicePixelRatioF()
        pm = QPixmap(round(self.width() * dpr), round(self.height() * dpr))
        pm.setDevicePixelRatio(dpr)
        pm.fill(QColor(theme.SURFACE))
        p = QPainter(pm)
        p.setFont(self.tick_font)
        fm = self._fm
        ys = lambda v: r.bottom() - (v - s.lo) / (s.hi - s.lo) * r.height()  # noqa: E731
        major = _nice_step(s.hi - s.lo, r.height(), 90.0, None)
        minor = _minor(major)
        p.setPen(QPen(_grid(28), 1))
        for v in _ticks(s.lo, s.hi, minor):
            y = round(ys(v)) + 0.5
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
        text = QColor(theme.TEXT)
        for v in _ticks(s.lo, s.hi, major):
            y = round(ys(v)) + 0.5
            p.setPen(QPen(_grid(64), 1))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            p.setPen(QPen(text, 1))
            p.drawLine(QPointF(r.left() - 5, y), QPointF(r.left(), y))
            if y - fm.height() / 2 < 0 or y > r.bottom() - fm.height() / 2:
                continue  # a label cut by the edge or on the time labels: left out
            label = f"{v:g}".replace("-", "−")
            p.drawText(QRectF(0, y - fm.height() / 2, r.left() - 8, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for _name, series in self.series.items():
            if series.axis == "right":
                self._right_axis(p, r, series)
                break
        p.setPen(QPen(text, 1))
        p.drawLine(QPointF(r.left() + 0.5, r.top()), QPointF(r.left() + 0.5, r.bottom()))
        p.drawLine(QPointF(r.left(), r.bottom() + 0.5), QPointF(r.right(), r.bottom() + 0.5))
        p.setPen(QColor(theme.MUTED))
        if self.y_title:
            title, centre, room = self.y_title_shown(r)
            p.save()
            p.translate(2, centre)
            p.rotate(-90)
            p.drawText(QRectF(-room / 2, 0, room, fm.height()), Qt.AlignmentFlag.AlignCenter,
                       title)
            p.restore()
        if self.x_title:
            p.drawText(QRectF(r.left(), self.height() - fm.height() - 2, r.width(),
                              fm.height()), Qt.AlignmentFlag.AlignCenter, self.x_title)
        p.end()
        self._background = pm
        self.backgrounds_drawn += 1
        return pm

    def _right_axis(self, p: QPainter, r: QRectF, series: Series) -> None:
        lo, hi = series.y_range
        fm = self._fm
        step = _nice_step(hi - lo, r.height(), 50.0, None)
        p.setPen(QPen(QColor(series.colour), 1))
        p.drawLine(QPointF(r.right() + 0.5, r.top()), QPointF(r.right() + 0.5, r.bottom()))
        for v in _ticks(lo, hi, step):
            y = round(r.bottom() - (v - lo) / (hi - lo) * r.height()) + 0.5
            p.drawLine(QPointF(r.right(), y), QPointF(r.right() + 5, y))
            p.drawText(QRectF(r.right() + 8, y - fm.height() / 2, 200, fm.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{v:g}")
        if series.title:
            p.save()
            p.translate(self.width() - 2, r.center().y())
            p.rotate(90)
            p.drawText(QRectF(-r.height() / 2, 0, r.height(), fm.height()),
                       Qt.AlignmentFlag.AlignCenter, series.title)
            p.restore()

    def paintEvent(self, event) -> None:
        s = self.scene
        r = self.plot_rect()
        p = QPainter(self)  # clipped to the region being repainted (a strip when scrolling)
        p.drawPixmap(0, 0, self._background_pixmap(r))
        span = max(s.t1 - s.t0, 1e-9)
        xscale = r.width() / span
        yscale = r.height() / max(s.hi - s.lo, 1e-9)
        # Whole pixels counted from time zero, so a thing keeps its pixel column while the
        # view scrolls (a float position can round either way from one frame to the next).
        k0 = round(s.t0 * xscale)
        xs = lambda t: r.left() + round(t * xscale) - k0  # noqa: E731
        ys = lambda v: r.bottom() - (v - s.lo) * yscale  # noqa: E731
        box = self._baseline_rect(r, ys)
        dirty = event.region()
        rects = list(dirty)  # a few: the strip, the axis column, the time band's ends
        # What the repainted part of the plot can show, as a few column ranges (a region is
        # cut into rows, so one strip comes as several rectangles); the opaque baseline label
        # hides what is under it (repainted each scrolled frame: nothing drawn there).
        content = rects if box is None else list(
            dirty.subtracted(QRegion(box.toRect())))
        spans = [[s.t0 + (a - r.left()) / xscale, s.t0 + (b - r.left()) / xscale]
                 for a, b in _columns(content, r.bottom(), 8)]  # time intervals to stroke

        # Time grid and labels (they scroll).
        fm = self._fm
        major = _nice_step(span, r.width(), 90.0, _TIME_STEPS_S)
        minor = _minor(major)
        # Opaque one-pixel fills (the grid's colour over the surface): a translucent line
        # over the plot's height costs twenty times as much.
        top, height = round(r.top()), round(r.height())
        minor_colour, major_colour = _GRID_COLOURS
        # Only the ticks the repainted parts can show: the grid lines where the plot is
        # repainted (a strip when scrolling), the tick marks and labels (a label reaches 40 px
        # either side) where the time-label band under it is: a scrolled frame draws a few
        # grid lines, not the whole width's.
        in_band = [q for q in rects if q.bottom() > r.bottom()]
        for left, right in _columns(content, r.bottom() + 1, 2):  # the strip, the axis column
            g0 = max(s.t0, s.t0 + (left - r.left()) / xscale)
            g1 = min(s.t1, s.t0 + (right - r.left()) / xscale)
            for t in _ticks(g0, g1, minor):
                p.fillRect(xs(t), top, 1, height, minor_colour)
            for t in _ticks(g0, g1, major):
                p.fillRect(xs(t), top, 1, height, major_colour)
        if in_band:
            p.setFont(self.tick_font)
            p.setPen(QPen(QColor(theme.TEXT), 1))
            reach = _LABEL_HALF_PX + 8
            ticks: set[float] = set()  # each once: a label drawn twice is drawn bolder
            for q in in_band:  # a scrolled frame: the band's two ends
                g0 = max(s.t0, s.t0 + (q.left() - r.left() - reach) / xscale)
                g1 = min(s.t1, s.t0 + (q.right() - r.left() + reach) / xscale)
                ticks.update(_ticks(g0, g1, major))
            for t in sorted(ticks):
                x = xs(t) + 0.5
                p.drawLine(QPointF(x, r.bottom()), QPointF(x, r.bottom() + 5))
                label = _clock(t)
                half = self._tick_widths(label) / 2
                if x - half < r.left() - 4 or x + half > self.width():
                    continue  # cut by the edge: left out, as pyqtgraph did
                p.drawText(QRectF(x - _LABEL_HALF_PX, r.bottom() + 6, 2 * _LABEL_HALF_PX,
                                  fm.height()),
                           Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)

        p.setClipRect(r.adjusted(1, 0, 0, 0))  # the left axis line stays as drawn
        band_colour = _BAND_COLOUR
        for a, b, y0, y1 in s.bands:
            p.fillRect(QRectF(QPointF(xs(a), ys(y1)), QPointF(xs(b), ys(y0))), band_colour)
        nominal = 20.0
        if s.lo <= nominal <= s.hi:
            p.setPen(_anchored(QPen(QColor(theme.GRID), 2, Qt.PenStyle.DotLine), k0))
            y = ys(nominal)
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
        for t, colour in zip(s.cue_t, s.cue_colours, strict=False):
            p.setPen(QPen(QColor(colour), 1, Qt.PenStyle.DashLine))
            x = xs(t) + 0.5
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        if not math.isnan(s.baseline):
            p.setPen(_anchored(QPen(QColor(theme.BASELINE), 1.5, Qt.PenStyle.DashLine), k0))
            y = ys(s.baseline)
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))

        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for series in self.series.values():
            if len(series.t) < 1:
                continue
            if series.axis == "right":
                lo, hi = series.y_range
                sy = r.height() / max(hi - lo, 1e-9)
                py = r.bottom() - (series.y - lo) * sy
            else:
                py = r.bottom() - (series.y - s.lo) * yscale
            series_colour = QColor(series.colour if s.live else theme.NO_SIGNAL)
            pen = QPen(series_colour, series.width)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            for t_from, t_to in spans:
                a, b = np.searchsorted(series.t, (t_from, t_to))
                a, b = max(0, int(a) - 1), min(len(series.t), int(b) + 1)
                px = r.left() + (series.t[a:b] - s.t0) * xscale
                if len(px) == 1:
                    p.drawPoint(QPointF(float(px[0]), float(py[a])))
                # Qt strokes a wide antialiased polyline in time that grows faster than its
                # length: pieces of ~100 points (sharing their ends) cost a third of one.
                for k in range(0, len(px) - 1, _PIECE):
                    p.drawPolyline(polygon(px[k:k + _PIECE + 1],
                                           py[a + k:a + min(k + _PIECE + 1, len(px))]))
        for t, y, kind, colour in s.symbols:
            _symbol(p, QPointF(xs(t), ys(y)), kind, QColor(colour))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

        placed: list[QRectF] = []
        self._baseline_box = box
        if box is not None:  # repainted every scrolled frame: its pixels made once
            p.drawPixmap(box.topLeft(), self._label_pixmap(box, s.baseline_text))
            placed.append(box)
        self._draw_labels(p, r, xs, ys, placed, dirty)
        p.end()
        self.paints += 1

    def _baseline_rect(self, r: QRectF, ys) -> QRectF | None:
        """Where the baseline's label goes (None: no baseline shown)."""
        s = self.scene
        if math.isnan(s.baseline) or not s.baseline_text:
            return None
        h = math.ceil(self._fm.height() + 2)
        # Whole pixels: scroll_plot repaints exactly the box and what the scroll moved.
        return QRectF(round(r.left() + 0.02 * r.width()), math.floor(ys(s.baseline)) - h,
                      math.ceil(self._tick_widths(s.baseline_text) + 6), h)

    def _label_pixmap(self, box: QRectF, text: str) -> QPixmap:
        """The baseline's label: ``text`` centred on an opaque box of ``box``'s size."""
        dpr = self.devicePixelRatioF()
        key = (box.width(), box.height(), text, dpr)
        if key != self._label_key:
            pm = QPixmap(round(box.width() * dpr), round(box.height() * dpr))
            pm.setDevicePixelRatio(dpr)
            pm.fill(_LABEL_BOX)
            lp = QPainter(pm)
            lp.setPen(QColor(theme.MUTED))
            lp.setFont(self.tick_font)
            lp.drawText(QRectF(0, 0, box.width(), box.height()), Qt.AlignmentFlag.AlignCenter,
                        text)
            lp.end()
            self._label_key, self._label_pm = key, pm
        return self._label_pm

    def _draw_labels(self, p: QPainter, r: QRectF, xs, ys, placed: list[QRectF],
                     dirty: QRegion) -> None:
        """Newest first, each at its spot or stacked away from it; one that cannot be placed
        without overprinting another is left out. Every label is placed (so each keeps its
        place from frame to frame); only those in the ``dirty`` region are drawn."""
        h = self._lfm.height()
        p.setFont(self.label_font)
        drawn: list[tuple[str, QRectF]] = []
        for lab in reversed(self.scene.labels):
            w = self._label_widths(lab.text) + 4
            x = xs(lab.t_s)
            if lab.top:
                left = x - w - 2 if lab.point_left else x + 2
                candidates = [QRectF(left, r.top() + 2 + k * h, w, h)
                              for k in range(_LABEL_LEVELS)]
            else:
                base = ys(lab.y) - 10 - h
                candidates = [QRectF(x - w / 2, base - k * h, w, h)
                              for k in range(_LABEL_LEVELS)]
                candidates = [c for c in candidates if c.top() >= r.top()] or [
                    QRectF(x - w / 2, r.top() + 2 + k * h, w, h) for k in range(_LABEL_LEVELS)]
            for box in candidates:
                if box.right() < r.left() or box.left() > r.right():
                    break
                if not any(box.intersects(o) for o in placed):
                    placed.append(box)
                    drawn.append((lab.text, box))
                    if dirty.intersects(box.toAlignedRect().adjusted(-2, -2, 2, 2)):
                        p.setPen(QColor(lab.colour))
                        p.drawText(box, Qt.AlignmentFlag.AlignCenter, lab.text)
                    break
        self.drawn_labels = drawn


def _columns(rects: list[QRect], bottom: float, pad: int) -> list[tuple[int, int]]:
    """The pixel columns ``rects`` cover above ``bottom``, widened by ``pad`` either side and
    merged where they meet: a region comes cut into rows (a strip beside a label is several
    rectangles), yet the grid and the trace there are drawn once."""
    out: list[tuple[int, int]] = []
    for q in sorted((q for q in rects if q.top() < bottom), key=lambda q: q.left()):
        a, b = q.left() - pad, q.right() + pad
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _anchored(pen: QPen, k0: int) -> QPen:
    """A horizontal dashed pen whose pattern starts at time zero, not at the plot's edge, so
    the dashes scroll with the view."""
    pen.setDashOffset(k0 / pen.widthF())
    return pen


def _grid(alpha: int) -> QColor:
    c = QColor(theme.TEXT)
    c.setAlpha(alpha)
    return c


def _opaque_grid(alpha: int) -> QColor:
    """The grid colour blended over the surface."""
    fg, bg = QColor(theme.TEXT), QColor(theme.SURFACE)
    mix = lambda f, b: round((f * alpha + b * (255 - alpha)) / 255)  # noqa: E731
    return QColor(mix(fg.red(), bg.red()), mix(fg.green(), bg.green()),
                  mix(fg.blue(), bg.blue()))


def _band_colour() -> QColor:
    colour = QColor(theme.TARGET_BAND[:7])
    colour.setAlpha(int(theme.TARGET_BAND[7:9], 16) if len(theme.TARGET_BAND) > 7 else 64)
    return colour


_GRID_COLOURS = (_opaque_grid(28), _opaque_grid(64))  # minor, major (made once, not per frame)
_BAND_COLOUR = _band_colour()
# The baseline's label box: opaque (white at 210/255 over the surface), so the trace under it
# need not be drawn when a scrolled frame repaints the label.
_SURFACE = QColor(theme.SURFACE)
_LABEL_BOX = QColor(*(round((255 * 210 + c * 45) / 255)
                      for c in (_SURFACE.red(), _SURFACE.green(), _SURFACE.blue())))


def _symbol(p: QPainter, at: QPointF, kind: str, colour: QColor) -> None:
    """The marker symbols pyqtgraph drew before: x (fault), star (manual), triangle (user),
    square (link)."""
    p.setPen(QPen(colour, 2))
    p.setBrush(colour)
    d = 6.0
    if kind == "fault":
        pen = QPen(colour, 4)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(pen)
        p.drawLine(at + QPointF(-d, -d), at + QPointF(d, d))
        p.drawLine(at + QPointF(-d, d), at + QPointF(d, -d))
    elif kind == "manual":
        path = QPainterPath()
        for i in range(10):
            a = -math.pi / 2 + i * math.pi / 5
            rad = d * 1.3 if i % 2 == 0 else d * 0.55
            pt = at + QPointF(rad * math.cos(a), rad * math.sin(a))
            path.moveTo(pt) if i == 0 else path.lineTo(pt)
        path.closeSubpath()
        p.drawPath(path)
    elif kind == "user":
        p.drawPolygon(QPolygonF([at + QPointF(-d, -d), at + QPointF(d, -d), at + QPointF(0, d)]))
    else:
        p.drawRect(QRectF(at.x() - d * 0.8, at.y() - d * 0.8, d * 1.6, d * 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
