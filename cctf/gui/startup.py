"""``cctf`` (the app) from process start to the event loop, in the order that gets the first
frame with data on screen soonest.

Before the window shows: the application, theme, controller and window, and the connection
(it opens on a worker thread). Everything the first frame does not need waits for the event
loop's first turn, which falls in the idle time while the device connects: the patient records
are opened there (with recovery of interrupted sessions and the last patient and screen), and
the audio output (``cctf.gui.audio`` defers it itself). Nothing that needs the records can
happen before then: a session needs live data, and data come after the connection.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from cctf.gui import theme
from cctf.gui.audio import AudioCues, remember_settings
from cctf.gui.controller import AppController
from cctf.gui.main import MainWindow, auto_connect


@dataclass
class Started:
    app: QApplication
    controller: AppController
    window: MainWindow


def start(sim: str | None = None, port: str | None = None, lsl: bool = False, *,
          controller: AppController | None = None, audio: bool = True) -> Started:
    """The app up and connecting, its window shown; the records open on the loop's first
    turn. ``controller``/``audio``: for benchmarks and tests (a data folder, no sound)."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("cctf")
    theme.apply(cast(QApplication, app))
    controller = controller or AppController()
    controller.lsl.enabled = lsl  # cctf --lsl: the outlet opens when a device is attached
    window = MainWindow(controller, AudioCues(enabled=audio))
    remember_settings(window.training_sound)
    window.show()
    if port:
        controller.connect_port(port)
    elif sim:
        window.bar.choose_simulator(sim)
        controller.connect_sim(sim)
    else:
        QTimer.singleShot(0, lambda: auto_connect(controller, window.bar))
    QTimer.singleShot(0, window.open_records)  # recovers, shows damage, restores the screen
    controller.start()
    return Started(cast(QApplication, app), controller, window)
