"""The large numeric readout: pressure in mmHg, and where it is against the target in words,
a symbol and a colour (never colour alone)."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from cctf import texts
from cctf.gui import theme
from cctf.gui.steady import SteadyBox


class Readout(QFrame):
    def __init__(self, parent: QWidget | None = None, *, point_size: int = theme.READOUT_PT):
        super().__init__(parent)
        self.setProperty("card", True)
        self.value = QLabel("--")
        self.value.setFont(theme.font(point_size, bold=True))
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.value.setAccessibleName(texts.READOUT_NAME)
        self.unit = QLabel(texts.UNIT)
        self.unit.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self.unit.setProperty("muted", True)
        self.unit.setContentsMargins(0, 0, 0, point_size // 5)
        self.status = QLabel("")
        self.status.setFont(theme.font(theme.TITLE_PT, bold=True))
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setMinimumHeight(40)
        theme.steady(self.value, 40)
        self.value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.point_size = point_size
        self.setMinimumHeight(96)
        self.value.installEventFilter(self)
        theme.steady(self.status, 120)
        for label in (self.value, self.status):  # they change every frame; the card does not
            theme.own_background(label, theme.SURFACE)
        number = QHBoxLayout()
        number.setSpacing(6)
        number.addWidget(SteadyBox(self.value), 1)  # a new number: no layout pass
        number.addWidget(self.unit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.setSpacing(0)
        layout.addLayout(number)
        self._status_box = SteadyBox(self.status)  # "in the band" ↔ "above": no layout pass
        layout.addWidget(self._status_box)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """The number as large as its own label allows ("88.8" fits): it grows with the
        window (issue 13). The label's size comes from the layout, never from its font."""
        if obj is self.value and event.type() == QEvent.Type.Resize:
            font = QFont(self.value.font())
            font.setPixelSize(100)
            probe = QFontMetrics(font)
            k = min(self.value.height() / max(probe.height(), 1),
                    self.value.width() / max(probe.horizontalAdvance("88.8"), 1))
            px = max(10, int(100 * k * 0.97))
            if self.value.font().pixelSize() != px:
                font.setPixelSize(px)
                self.value.setFont(font)
        return False

    def set_state(self, pressure_mmhg: float, band: str, *, no_signal: str = "") -> None:
        """``band``: "in", "low", "high" or "" (no target cued). ``no_signal``: why the data
        is not live — the last value stays, greyed, and the status says why."""
        text = "--" if math.isnan(pressure_mmhg) else f"{pressure_mmhg:.1f}"
        if self.value.text() != text:
            self.value.setText(text)
        value_style = f"color: {theme.NO_SIGNAL};" if no_signal else ""
        if self.value.styleSheet() != value_style:
            self.value.setStyleSheet(value_style)
        status = no_signal or texts.BAND_SHORT.get(band, "")
        if self.status.text() != status:
            wrap = bool(no_signal)  # smaller, on two lines if need be
            if wrap != self.status.wordWrap():
                self.status.setWordWrap(wrap)
                self.status.setFont(theme.font(theme.SMALL_PT if wrap else theme.TITLE_PT,
                                               bold=True))
                self._status_box.setSizePolicy(self.status.sizePolicy())
                self._status_box.relayout()
            self.status.setText(status)  # one line of one font: the box's size holds
            colour = theme.NO_SIGNAL if no_signal else theme.BAND_COLOURS.get(band, theme.TEXT)
            size = theme.SMALL_PT if no_signal else theme.TITLE_PT  # in the style sheet: a
            self.status.setStyleSheet(  # style sheet set after setFont would undo the font
                f"color: white; background: {colour}; border-radius: 6px; padding: 2px 10px;"
                f" font-size: {size}pt;" if band or no_signal else "")

    @property
    def stale(self) -> bool:
        return bool(self.value.styleSheet())
