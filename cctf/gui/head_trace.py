"""A small second trace below the pressure: the head's flexion from rest (issue 17).

Shown only while the connected device has a head sensor. Follows the same display time as the
pressure trace (``controller.now_display_s``); a gap in the angle is a gap in the line (NaN is
drawn as a break, never as 0), and when the newest sample has no angle the caption says so.
The plot is built (and pyqtgraph imported) only when a sensor is first seen: start-up without
one pays nothing for it (issue 14).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.elided import ElidedLabel


class HeadTrace(QWidget):
    def __init__(self, controller: AppController, span_s: float = 30.0,
                 parent: QWidget | None = None, *, plot_px: int = 120,
                 rezero: bool = True, grow: bool = False) -> None:
        super().__init__(parent)
        self.controller = controller
        self.span_s = span_s
        self.plot_px = plot_px  # the run page's is lower: the test's pressure trace comes first
        self.grow = grow  # at least plot_px high, taller when the page has room
        self.draws = 0
        # One line, never widening the page (the set-up page at 1280 px); cut at its start,
        # so "… — lie still for 2 s to zero the head sensor" stays; whole in the tooltip.
        self.caption = ElidedLabel(texts.HEAD_TRACE_TITLE, mode=Qt.TextElideMode.ElideLeft)
        self.caption.setProperty("muted", True)
        self.rezero_button = QPushButton(texts.HEAD_REZERO)
        self.rezero_button.setToolTip(texts.HEAD_REZERO_TIP)
        self.rezero_button.clicked.connect(self.rezero)
        self.plot: Any = None  # built on the first sensor (see _build_plot)
        self.curve: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.rezero_button)
        self.rezero_button.setVisible(rezero)  # not on the run page: never during a test
        layout.addLayout(top)
        self._layout = layout
        self.setVisible(False)
        controller.ticked.connect(self.refresh)
        controller.connection_changed.connect(self.refresh)

    def _build_plot(self) -> None:
        import pyqtgraph as pg

        self.plot = pg.PlotWidget()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setBackground("w")  # as the pressure trace
        if self.plot_px >= 100:  # a low plot (the run page): the caption names it
            self.plot.setLabel("left", texts.HEAD_TRACE_LABEL,
                               **{"font-size": f"{theme.SMALL_PT}pt", "color": theme.MUTED})
        if self.grow:
            self.plot.setMinimumHeight(self.plot_px)
        else:
            self.plot.setFixedHeight(self.plot_px)
        self.plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen(theme.GRID, width=1)))
        self.curve = pg.PlotDataItem(pen=pg.mkPen(theme.TRACE, width=2), connect="finite")
        self.plot.addItem(self.curve)
        self._layout.addWidget(self.plot)

    def set_span(self, span_s: float) -> None:
        self.span_s = span_s
        self.refresh()

    def rezero(self) -> None:
        """Zero again from the next still 2 s; not while a session records (one neutral)."""
        if self.controller.session is None:
            self.controller.head.rezero()
            self.refresh()

    def refresh(self) -> None:
        head = self.controller.head
        fitted = self.controller.device is not None and head.fitted
        if fitted != self.isVisible():
            self.setVisible(fitted)
        if not fitted:
            return
        if self.plot is None and self.plot_px > 0:  # plot_px 0: the caption row only
            self._build_plot()
        window = self.window()
        if window is not None and window.isMinimized():
            return
        if self.plot is not None:
            t1 = self.controller.now_display_s
            t1 = max(0.0 if math.isnan(t1) else t1, self.span_s)
            t, pitch = head.window(t1 - self.span_s, t1 + 1e-9)
            self.curve.setData(t, pitch)
            self.plot.setXRange(t1 - self.span_s, t1, padding=0.0)
            finite = pitch[np.isfinite(pitch)]
            lo = min(-2.0, math.floor(float(finite.min())) - 1) if len(finite) else -2.0
            hi = max(10.0, math.ceil(float(finite.max())) + 1) if len(finite) else 10.0
            self.plot.setYRange(lo, hi, padding=0.0)
        self.rezero_button.setEnabled(self.controller.session is None)
        if head.neutral is None:
            caption = texts.HEAD_TRACE_TITLE + " — " + texts.HEAD_ZEROING
        elif not head.current:
            caption = texts.HEAD_TRACE_TITLE + " — " + texts.HEAD_STALE
        else:
            caption = texts.HEAD_TRACE_TITLE if self.plot is not None else texts.HEAD_ZEROED
        if self.caption.text() != caption:  # set only when it changes
            self.caption.setText(caption)
        self.draws += 1
