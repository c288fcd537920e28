"""A dial that echoes the Stabilizer's analog gauge: a mark every 2 mmHg and colour bands from
20 mmHg up, one per stage, each labelled with its number (colour is never the only cue).

A view: ``set_state`` gives what to draw; the widget keeps nothing else.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPixmap, QRegion
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
                 stage_bands: bool = True) -> None:
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

    def value_rect(self) -> QRect:
        """The value under the hub (with room for type taller than its line)."""
        cx, cy, r, _ = self._geometry()
        return QRectF(cx - 0.7 * r, cy + r * 0.12, 1.4 * r, r * 0.66 + 8).toAlignedRect()

    def paintEvent(self, event: QPaintEvent) -> None:
        side = min(self.width(), self.height()) - 8
        if side <= 40:
            return
        fg = QColor("#F2F2F2" if self.dark else theme.TEXT)
        if not self.live:
            fg = QColor(theme.NO_SIGNAL)
        # The face (track, bands, target band, marks and numbers) changes only with the size,
        # the band or the signal state: drawn once into a pixmap; per frame only the needle and
        # the value are painted (benchmarks/bench_gui_xvfb.py).
        key = (self.width(), self.height(), self.devicePixelRatioF(), self.dark, self.band,
               self.live, self.stage_bands, tuple(theme.DIAL_BANDS))
        if key != self._face_key:
            self._face = self._render_face(fg)
            self._face_key = key
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._face)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cx, cy = self.width() / 2, self.height() / 2
        r = side / 2
        ring = r * 0.14
        font = painter.font()

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
        font.setPointSizeF(max(9.0, r * 0.16))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(fg)
        value = "--" if math.isnan(self.pressure_mmhg) else f"{self.pressure_mmhg:.1f}"
        painter.drawText(QRectF(cx - r, cy + r * 0.22, 2 * r, r * 0.3),
                         Qt.AlignmentFlag.AlignCenter, value)
        font.setPointSizeF(max(7.0, r * 0.075))
        font.setBold(False)
        painter.setFont(font)
        painter.drawText(QRectF(cx - r, cy + r * 0.5, 2 * r, r * 0.16),
                         Qt.AlignmentFlag.AlignCenter, texts.UNIT if self.live
                         else texts.NO_SIGNAL)
        painter.end()

    def _render_face(self, fg: QColor) -> QPixmap:
        ratio = self.devicePixelRatioF()
        face = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        face.setDevicePixelRatio(ratio)
        face.fill(Qt.GlobalColor.transparent)
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
        font = painter.font()
        font.setPointSizeF(max(7.0, r * 0.075))
        painter.setFont(font)
        for k in range(int(LOW_MMHG), int(HIGH_MMHG) + 1, 2):
            a = math.radians(angle_deg(k))
            major = k % 10 == 0
            r0 = r - ring - (r * 0.09 if major else r * 0.05)
            r1 = r - ring - 2
            painter.drawLine(QPointF(cx + r0 * math.cos(a), cy - r0 * math.sin(a)),
                             QPointF(cx + r1 * math.cos(a), cy - r1 * math.sin(a)))
            if major or 20 < k < 30:
                rl = r - ring - r * 0.2
                label_rect = QRectF(cx + rl * math.cos(a) - r * 0.12,
                                    cy - rl * math.sin(a) - r * 0.06, r * 0.24, r * 0.12)
                painter.drawText(label_rect, Qt.AlignmentFlag.AlignCenter, f"{k}")

        painter.end()
        return face

    @staticmethod
    def _arc(painter: QPainter, rect: QRectF, lo: float, hi: float, colour: QColor,
             width: float) -> None:
        a0, a1 = angle_deg(lo), angle_deg(hi)
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(rect, round(a0 * 16), round((a1 - a0) * 16))
