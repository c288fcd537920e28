"""A dial that echoes the Stabilizer's analog gauge: a mark every 2 mmHg and colour bands from
20 mmHg up, one per stage, each labelled with its number (colour is never the only cue).

A view: ``set_state`` gives what to draw; the widget keeps nothing else.
"""

from __future__ import annotations

import itertools
import math

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QRegion,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from cctf import texts
from cctf.gui import theme

LOW_MMHG = 10.0
HIGH_MMHG = 40.0
START_DEG = 225.0  # angle of LOW_MMHG (Qt: counter-clockwise from 3 o'clock)
SWEEP_DEG = -270.0  # clockwise to HIGH_MMHG


def angle_deg(mmhg: float) -> float:
    x = (min(max(mmhg, LOW_MMHG), HIGH_MMHG) - LOW_MMHG) / (HIGH_MMHG - LOW_MMHG)
    return START_DEG + SWEEP_DEG * x


class Gauge(QWidget):
    def __init__(self, parent: QWidget | None = None, *, dark: bool = False,
                 stage_bands: bool = True, background: str = theme.BACKGROUND) -> None:
        """``background``: the colour behind the dial (see :meth:`set_background`)."""
        super().__init__(parent)
        self.dark = dark
        # False (home training): no stage colours; the ring is green over the target band
        # ± tolerance only, so green always means "in the band".
        self.stage_bands = stage_bands
        self.pressure_mmhg = math.nan
        self.band: tuple[float, float] | None = None  # (target, tolerance)
        self.live = True  # False: no signal — drawn grey, saying so
        self.setMinimumSize(80, 80)  # grows with the window (issue 13)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setAccessibleName(texts.GAUGE_NAME)
        self._face = QPixmap()
        self._face_key: tuple[object, ...] | None = None
        self._background: QColor | None = None
        self.set_background(background)
        self._value_boxes_key: tuple[object, ...] | None = None
        self._value_boxes_cache: tuple[tuple[QFont, QRectF], tuple[QFont, QRectF]] = (
            (QFont(), QRectF()), (QFont(), QRectF()))

    def set_background(self, colour: str | None) -> None:
        """The colour behind the dial: it fills its box with it and so paints alone — a moving
        needle repaints nothing behind it (issue 14: the card, page, screen and window were
        repainted first). None: see-through."""
        self._background = QColor(colour) if colour else None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, colour is not None)
        self.update()

    def heightForWidth(self, width: int) -> int:
        return width

    def set_state(self, pressure_mmhg: float, band: tuple[float, float] | None, *,
                  live: bool = True) -> None:
        """Repaints only when what is shown changes (0.1 mmHg, the printed resolution).
        ``live=False``: no signal — the dial greys out and says "No signal"."""
        pressure_mmhg = round(pressure_mmhg, 1) if not math.isnan(pressure_mmhg) else math.nan
        same = pressure_mmhg == self.pressure_mmhg or (
            math.isnan(pressure_mmhg) and math.isnan(self.pressure_mmhg))
        if same and band == self.band and live == self.live:
            return
        only_needle = band == self.band and live == self.live
        old = self.pressure_mmhg
        self.pressure_mmhg = pressure_mmhg
        self.band = band
        self.live = live
        if only_needle:
            # Only the needle and the value under the hub moved: repaint those, not the
            # whole dial and the page behind it (issue 14).
            self.update(QRegion(self.needle_rect(old)) | QRegion(self.needle_rect(pressure_mmhg))
                        | QRegion(self.value_rect()))
        else:
            self.update()

    def _geometry(self) -> tuple[float, float, float, float]:
        side = min(self.width(), self.height()) - 8
        r = side / 2
        return self.width() / 2, self.height() / 2, r, r * 0.14

    def needle_rect(self, mmhg: float) -> QRect:
        """Where the needle at ``mmhg`` (and the hub) is drawn, with its pen's width around."""
        cx, cy, r, ring = self._geometry()
        pad = max(2.0, r * 0.03) + 3
        hub = QRectF(cx - r * 0.05, cy - r * 0.05, r * 0.1, r * 0.1)
        if math.isnan(mmhg):
            return hub.adjusted(-pad, -pad, pad, pad).toAlignedRect()
        a = math.radians(angle_deg(mmhg))
        tip = r - ring * 0.6
        x, y = cx + tip * math.cos(a), cy - tip * math.sin(a)
        box = QRectF(QPointF(min(cx, x), min(cy, y)), QPointF(max(cx, x), max(cy, y)))
        return box.united(hub).adjusted(-pad, -pad, pad, pad).toAlignedRect()

    def text_layout(self) -> list[tuple[str, QFont, QRectF]]:
        """Every word the dial draws — the scale's numbers, the value, the unit (or "No
        signal") — with its font and box. One place for the painter and the tests: on a small
        dial (a 1280×720 set-up page gives it ~90 px) the stage numbers 22…28 overprinted one
        another and the unit was cut ("mmHa"), so stage numbers are left out where they would
        touch (10, 20, 30, 40 stay) and the unit's box is as tall as its type."""
        return self._scale_layout() + self._value_layout()

    def _scale_layout(self) -> list[tuple[str, QFont, QRectF]]:
        """The scale's numbers that fit: a stage number that would touch its neighbours, or
        any number that would touch the value or the unit under the hub, is left out."""
        under_hub = [_ink(font, rect, text) for text, font, rect in self._value_layout()]
        return [(text, font, rect) for text, font, rect in self._scale_numbers()
                if not any(_ink(font, rect, text).intersects(u) for u in under_hub)]

    def _scale_numbers(self) -> list[tuple[str, QFont, QRectF]]:
        cx, cy, r, ring = self._geometry()
        label_font = QFont(self.font())
        label_font.setPointSizeF(max(7.0, r * 0.075))
        fm = QFontMetricsF(label_font)
        rl = r - ring - r * 0.2
        out: list[tuple[str, QFont, QRectF]] = []
        for k in range(int(LOW_MMHG), int(HIGH_MMHG) + 1, 2):
            if not (k % 10 == 0 or 20 < k < 30):
                continue
            a = math.radians(angle_deg(k))
            w, h = max(r * 0.24, fm.horizontalAdvance(f"{k}")), max(r * 0.12, fm.height())
            out.append((f"{k}", label_font, QRectF(cx + rl * math.cos(a) - w / 2,
                                                   cy - rl * math.sin(a) - h / 2, w, h)))
        inks = [_ink(font, rect, text).adjusted(-1, -1, 1, 1) for text, font, rect in out]
        if any(a.intersects(b) for a, b in itertools.pairwise(inks)):
            out = [item for item in out if int(item[0]) % 10 == 0]  # the stages' would touch
        return out

    def _value_layout(self) -> list[tuple[str, QFont, QRectF]]:
        value = "--" if math.isnan(self.pressure_mmhg) else f"{self.pressure_mmhg:.1f}"
        (value_font, value_box), (unit_font, unit_box) = self._value_boxes()
        return [(value, value_font, value_box),
                (texts.UNIT if self.live else texts.NO_SIGNAL, unit_font, unit_box)]

    def _value_boxes(self) -> tuple[tuple[QFont, QRectF], tuple[QFont, QRectF]]:
        """The value's and the unit's font and box: they change only with the dial's size and
        font, not with each frame's value (asked twice a frame: the repaint region, the paint)."""
        key = (self.width(), self.height(), self.font().key())
        if key != self._value_boxes_key:
            cx, cy, r, _ = self._geometry()
            value_font = QFont(self.font())
            value_font.setPointSizeF(max(9.0, r * 0.16))
            value_font.setBold(True)
            # Each box is its line's height, centred where a large dial centres it (the value
            # at 0.37 r below the hub, the unit at 0.58 r); on a small dial the unit goes below
            # the value rather than into it.
            value_h = QFontMetricsF(value_font).height()
            value_top = cy + r * 0.37 - value_h / 2
            unit_font = QFont(self.font())
            unit_font.setPointSizeF(max(7.0, r * 0.075))
            unit_h = QFontMetricsF(unit_font).height()
            unit_top = max(cy + r * 0.58 - unit_h / 2, value_top + value_h)
            self._value_boxes_key = key
            self._value_boxes_cache = (
                (value_font, QRectF(cx - r, value_top, 2 * r, value_h)),
                (unit_font, QRectF(cx - r, unit_top, 2 * r, unit_h)))
        return self._value_boxes_cache

    def value_rect(self) -> QRect:
        """The value under the hub (with room for type taller than its line)."""
        cx, cy, r, _ = self._geometry()
        box = QRectF(cx - 0.7 * r, cy + r * 0.12, 1.4 * r, r * 0.66 + 8)
        for _text, _font, rect in self._value_layout():
            box = box.united(QRectF(cx - 0.7 * r, rect.top(), 1.4 * r, rect.height() + 4))
        return box.toAlignedRect()

    def paintEvent(self, event: QPaintEvent) -> None:
        side = min(self.width(), self.height()) - 8
        if side <= 40:
            if self._background is not None:
                QPainter(self).fillRect(self.rect(), self._background)
            return
        fg = QColor("#F2F2F2" if self.dark else theme.TEXT)
        if not self.live:
            fg = QColor(theme.NO_SIGNAL)
        # The face (track, bands, target band, marks and numbers) changes only with the size,
        # the band or the signal state: drawn once into a pixmap; per frame only the needle and
        # the value are painted (benchmarks/bench_gui_xvfb.py).
        key = (self.width(), self.height(), self.devicePixelRatioF(), self.dark, self.band,
               self.live, self.stage_bands, tuple(theme.DIAL_BANDS),
               None if self._background is None else self._background.rgba())
        if key != self._face_key:
            self._face = self._render_face(fg)
            self._face_key = key
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._face)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cx, cy = self.width() / 2, self.height() / 2
        r = side / 2
        ring = r * 0.14

        # Needle and hub.
        if not math.isnan(self.pressure_mmhg):
            a = math.radians(angle_deg(self.pressure_mmhg))
            tip = r - ring * 0.6
            painter.setPen(QPen(fg, max(2.0, r * 0.03), Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap))
            painter.drawLine(QPointF(cx, cy),
                             QPointF(cx + tip * math.cos(a), cy - tip * math.sin(a)))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fg)
        painter.drawEllipse(QPointF(cx, cy), r * 0.05, r * 0.05)

        # Value and unit under the hub.
        painter.setPen(fg)
        for text, font, rect in self._value_layout():
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()

    def _render_face(self, fg: QColor) -> QPixmap:
        ratio = self.devicePixelRatioF()
        face = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        face.setDevicePixelRatio(ratio)
        face.fill(self._background or Qt.GlobalColor.transparent)
        side = min(self.width(), self.height()) - 8
        painter = QPainter(face)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self.font())  # as a painter on the widget starts
        cx, cy = self.width() / 2, self.height() / 2
        r = side / 2
        ring = r * 0.14
        arc_rect = QRectF(cx - r + ring / 2, cy - r + ring / 2, 2 * r - ring, 2 * r - ring)

        # Grey track, then the coloured stage bands over it.
        self._arc(painter, arc_rect, LOW_MMHG, HIGH_MMHG, QColor("#55555A" if self.dark
                                                                 else "#E3E3DE"), ring)
        if self.stage_bands and self.live:
            for lo, hi, colour in theme.DIAL_BANDS:
                self._arc(painter, arc_rect, lo, hi, QColor(colour), ring)
        elif self.band is not None and self.live:
            target, tol = self.band
            self._arc(painter, arc_rect, target - tol, target + tol,
                      QColor(theme.BAND_COLOURS["in"]), ring)

        # Target band: a thick outline just outside the dial.
        if self.band is not None and self.live:
            target, tol = self.band
            outer = QRectF(cx - r - 1, cy - r - 1, 2 * r + 2, 2 * r + 2).adjusted(
                ring * 0.1, ring * 0.1, -ring * 0.1, -ring * 0.1)
            self._arc(painter, outer, target - tol, target + tol, fg, ring * 0.28)

        # A mark every 2 mmHg; numbers at 10, 20, 30, 40 and on the stage bands.
        painter.setPen(QPen(fg, max(1.0, r * 0.012)))
        for k in range(int(LOW_MMHG), int(HIGH_MMHG) + 1, 2):
            a = math.radians(angle_deg(k))
            major = k % 10 == 0
            r0 = r - ring - (r * 0.09 if major else r * 0.05)
            r1 = r - ring - 2
            painter.drawLine(QPointF(cx + r0 * math.cos(a), cy - r0 * math.sin(a)),
                             QPointF(cx + r1 * math.cos(a), cy - r1 * math.sin(a)))
        for text, font, rect in self._scale_layout():
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

        painter.end()
        return face

    @staticmethod
    def _arc(painter: QPainter, rect: QRectF, lo: float, hi: float, colour: QColor,
             width: float) -> None:
        a0, a1 = angle_deg(lo), angle_deg(hi)
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(rect, round(a0 * 16), round((a1 - a0) * 16))


def _ink(font: QFont, rect: QRectF, text: str) -> QRectF:
    """Where ``text`` drawn centred in ``rect`` puts its type."""
    return QFontMetricsF(font).boundingRect(rect, int(Qt.AlignmentFlag.AlignCenter), text)
