"""``cctf`` (the app) from process start to the event loop, in the order that gets the first
frame with data on screen soonest.

Before the window shows: the application, theme, controller and window, and the connection
(it opens on a worker thread). Everything the first frame does not need waits until the live
view has drawn its first data (``cctf.gui.first_frame``; at the latest ``FALLBACK_MS`` when no
data come): the audio output, then the patient records (with recovery of interrupted sessions
and the last patient and screen). Nothing that needs the records can happen before: a session
needs live data on screen for a moment (the set-up guide) before it can start.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from cctf.gui import first_frame, theme
from cctf.gui.audio import AudioCues, remember_settings
from cctf.gui.controller import AppController
from cctf.gui.main import MainWindow, auto_connect

FALLBACK_MS = 1500  # no data yet (no device, still connecting): do the deferred work anyway


@dataclass
class Started:
    app: QApplication
    controller: AppController
    window: MainWindow


def start(sim: str | None = None, port: str | None = None, lsl: bool = False, *,
          controller: AppController | None = None, audio: bool = True) -> Started:
    """The app up and connecting, its window shown; the records open on the loop's first
    turn. ``controller``/``audio``: for benchmarks and tests (a data folder, no sound)."""
    first_frame.hold()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("cctf")
    theme.apply(cast(QApplication, app))
    controller = controller or AppController()
    controller.lsl.enabled = lsl  # cctf --lsl: the outlet opens when a device is attached
    # Connecting first: opening the link (the simulator's imports and set-up, the handshake,
    # the first samples) runs on its worker thread while the window is built; the result
    # comes back through the event loop, so the window, built meanwhile, still hears of it.
    if port:
        controller.connect_port(port)
    elif sim:
        controller.connect_sim(sim)
    window = MainWindow(controller, AudioCues(enabled=audio))
    remember_settings(window.training_sound)
    window.show()
    if sim:
        window.bar.choose_simulator(sim)
    elif not port:
        QTimer.singleShot(0, lambda: auto_connect(controller, window.bar))
    first_frame.after_first_frame(window.open_records)  # recovers, shows damage, the screen
    live = window.clinic.setup_page.live

    def drawn() -> None:
        if len(controller.history) and first_frame.holding():
            QTimer.singleShot(0, first_frame.release)  # after this frame is painted

    live.drawn.connect(drawn)
    QTimer.singleShot(FALLBACK_MS, first_frame.release)
    controller.start()
    return Started(cast(QApplication, app), controller, window)
