"""The reference: a pressure monitor written plainly, the way a lab would write one.

    python benchmarks/naive_monitor.py --port /dev/pts/N     # a device or `cctf sim`

A big number and a 10-minute curve, redrawn with ``setData`` at 30 fps by a ``QTimer``, with
pyqtgraph's ``setDownsampling(mode="peak")`` and ``setClipToView``. It reads the link with
cctf's ``Device`` so that it and the app read the same stream the same way; only the display
differs. benchmarks/bench_gui_xvfb.py measures it side by side with the app.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from cctf.acquisition.device import Device
from cctf.acquisition.transport import SerialTransport
from cctf.clock import MonotonicClock

WINDOW_S = 600.0


class Monitor(QMainWindow):
    def __init__(self, device: Device, rate_hz: float, prefill: bool = True) -> None:
        super().__init__()
        self.device = device
        self.cursor = device.buffer.written
        self.origin = device.clock.now()
        self.label = QLabel("--.- mmHg")
        font = QFont()
        font.setPointSize(72)
        font.setBold(True)
        self.label.setFont(font)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("left", "pressure (mmHg)")
        self.plot.setLabel("bottom", "time (s)")
        self.plot.showGrid(x=True, y=True)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setClipToView(True)
        self.curve = self.plot.plot(pen=pg.mkPen("b", width=2))
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.label)
        layout.addWidget(self.plot, 1)
        self.setCentralWidget(body)
        n = int(WINDOW_S * rate_hz) if prefill else 0  # start with 10 minutes on screen
        self.t = np.arange(-n, 0) / rate_hz
        self.p = 20.0 + 0.3 * np.sin(2 * np.pi * 0.25 * self.t)
        self.first_data_s: float | None = None
        self.timer = QTimer()
        self.timer.timeout.connect(self.update_plot)
        self.timer.start(33)

    def update_plot(self) -> None:
        pull = self.device.buffer.read(self.cursor)
        self.cursor = pull.cursor
        rows = pull.rows
        if len(rows):
            self.t = np.concatenate([self.t, rows["t_s"] - self.origin])
            self.p = np.concatenate([self.p, rows["pressure_mmhg"]])
            keep = self.t >= self.t[-1] - WINDOW_S
            self.t, self.p = self.t[keep], self.p[keep]
            if self.first_data_s is None:
                self.first_data_s = time.monotonic()
                print(f"ready {self.first_data_s}", flush=True)  # for bench_gui_xvfb.py
        if len(self.t):
            self.curve.setData(self.t, self.p)
            self.plot.setXRange(self.t[-1] - WINDOW_S, self.t[-1], padding=0)
            self.label.setText(f"{self.p[-1]:.1f} mmHg")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", required=True)
    parser.add_argument("--rate-hz", type=float, default=50.0, help="for the 10-minute prefill")
    parser.add_argument("--no-prefill", action="store_true")
    args = parser.parse_args()
    app = QApplication(sys.argv)
    device = Device(SerialTransport(args.port), clock=MonotonicClock())
    device.connect()
    device.start()
    window = Monitor(device, args.rate_hz, prefill=not args.no_prefill)
    window.resize(1600, 1000)
    window.show()
    try:
        app.exec()
    finally:
        device.close()


if __name__ == "__main__":
    main()
