"""The monitor: a live pressure trace, a large readout and the link's health.

A view over a ``Device``: a timer (30 fps, independent of the sample rate) pulls new rows from
the device's ring buffer; the widget holds only what it draws. No I/O happens on this thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from cctf import DISCLAIMER, __version__
from cctf.acquisition.device import Device

REFRESH_MS = 33
HISTORY_S = 30.0


class TraceHistory:
    """The last ``span_s`` seconds of (t, p) for drawing, appended in chunks."""

    def __init__(self, span_s: float = HISTORY_S) -> None:
        self.span_s = span_s
        self.t_s = np.zeros(0)
        self.p_mmhg = np.zeros(0)

    def extend(self, t_s: np.ndarray, p_mmhg: np.ndarray) -> None:
        self.t_s = np.concatenate((self.t_s, t_s))
        self.p_mmhg = np.concatenate((self.p_mmhg, p_mmhg))
        if len(self.t_s):
            keep = self.t_s >= self.t_s[-1] - self.span_s
            self.t_s, self.p_mmhg = self.t_s[keep], self.p_mmhg[keep]


class MonitorWindow(QMainWindow):
    def __init__(self, device: Device, source_label: str) -> None:
        super().__init__()
        self.device = device
        self.setWindowTitle(f"cctf {__version__} — {source_label}")
        self.history = TraceHistory()
        self._cursor = device.buffer.written
        self._t0: float | None = None

        self.readout = QLabel("-- mmHg")
        font = QFont()
        font.setPointSize(48)
        font.setBold(True)
        self.readout.setFont(font)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("left", "pressure", units="mmHg")
        self.plot.setLabel("bottom", "time", units="s")
        self.plot.setYRange(15, 35)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.curve = self.plot.plot(pen=pg.mkPen("#0072B2", width=2))
        self.plot.addLine(y=20.0, pen=pg.mkPen("#999999", style=Qt.PenStyle.DashLine))

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.readout)
        layout.addWidget(self.plot, stretch=1)
        self.setCentralWidget(body)
        about = QAction("&About cctf", self)
        about.triggered.connect(self.show_about)
        self.menuBar().addMenu("&Help").addAction(about)
        self.resize(900, 600)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self) -> None:
        """Pull what arrived since the last frame and redraw (skipped while hidden)."""
        pull = self.device.buffer.read(self._cursor)
        self._cursor = pull.cursor
        rows = pull.rows
        if len(rows):
            if self._t0 is None:
                self._t0 = float(rows["t_s"][0])
            self.history.extend(rows["t_s"] - self._t0, rows["pressure_mmhg"])
            self.readout.setText(f"{rows['pressure_mmhg'][-1]:.1f} mmHg")
        self.statusBar().showMessage(f"link: {self.device.health().summary()}")
        if self.isVisible() and not self.isMinimized() and len(rows):
            self.curve.setData(self.history.t_s, self.history.p_mmhg)

    def show_about(self) -> None:
        QMessageBox.about(self, "About cctf", f"<b>cctf {__version__}</b><p>{DISCLAIMER}</p>")
