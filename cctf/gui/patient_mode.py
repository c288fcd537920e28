"""Patient mode (``cctf train``): one full-screen training view for the patient at home.

No tabs, no menus, no therapist controls: the prescription comes from the records (or the
command line) and is changed only by leaving patient mode. Sessions are stored for the
therapist exactly as from the Home training tab (adherence). Ctrl+Q quits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow

from cctf import texts
from cctf.errors import CctfError
from cctf.gui import theme
from cctf.gui.audio import TrainingSound, remember_settings
from cctf.gui.controller import AppController
from cctf.gui.training_screen import TrainingScreen
from cctf.session.training import Prescription

log = logging.getLogger(__name__)


class PatientWindow(QMainWindow):
    def __init__(self, controller: AppController, prescription: Prescription, *,
                 sound: TrainingSound | None = None) -> None:
        super().__init__()
        self.controller = controller
        self.setWindowTitle(texts.PATIENT_WINDOW_TITLE)
        controller.set_prescription(prescription)
        self.sound = sound if sound is not None else TrainingSound(controller, parent=self)
        self.training = TrainingScreen(controller, patient_mode=True, sound=self.sound)
        self.setCentralWidget(self.training)
        quit_ = QAction(texts.PATIENT_QUIT, self)
        quit_.setShortcut(QKeySequence.StandardKey.Quit)
        quit_.triggered.connect(self.close)
        self.addAction(quit_)
        mute = QAction(texts.MUTE, self)
        mute.setShortcut(QKeySequence("Ctrl+M"))
        mute.triggered.connect(lambda: self.sound.set_muted(not self.sound.muted))
        self.addAction(mute)
        self.setStyleSheet("QMainWindow { background: #101014; }")
        self.resize(1280, 800)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.controller.shutdown()
        super().closeEvent(event)


FIND_EVERY_MS = 3000


def find_device(controller: AppController) -> None:
    """Connect to the first cctf device found (discovery runs on a worker thread)."""
    if controller.device is not None or controller.connecting or controller.discovering:
        return

    def found() -> None:
        if controller.discovering:
            return
        controller.ports_changed.disconnect(found)
        ports = [p for p in controller.ports if p.is_cctf]
        if ports and controller.device is None:
            controller.connect_port(ports[0].device)

    controller.ports_changed.connect(found)
    controller.discover_ports()


def run_patient_mode(args: argparse.Namespace) -> int:
    """``cctf train`` without ``--fast``: the full-screen patient view."""
    from cctf.commands.train import prescription_from

    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None:
        os.environ["CCTF_DATA_DIR"] = str(data_dir)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("cctf")
    theme.apply(app)  # type: ignore[arg-type]
    controller = AppController()
    from cctf.session.lsl_feed import apply_lsl_flag

    apply_lsl_flag(args, controller.lsl)  # --lsl: the outlet opens when a device is attached
    controller.open_records()
    if args.patient:
        if controller.records is None or controller.records.find_patient(args.patient) is None:
            controller.shutdown()
            raise CctfError(f"no patient {args.patient!r} in the records "
                            f"({controller.records_error or controller.data_dir})")
        controller.select_patient(args.patient)
    rx = prescription_from(args, controller.records)
    sound = TrainingSound(controller)
    remember_settings(sound, mode=args.sound, volume=args.volume)
    window = PatientWindow(controller, rx, sound=sound)
    window.showFullScreen()
    if args.train_port:
        controller.connect_port(args.train_port)
    elif args.train_sim:
        controller.connect_sim(args.train_sim)
    else:  # the patient's sensor: look for it now and every few seconds until it answers
        finder = QTimer(window)
        finder.setInterval(FIND_EVERY_MS)
        finder.timeout.connect(lambda: find_device(controller))
        finder.start()
        find_device(controller)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.close())
    controller.start()
    try:
        return app.exec()
    finally:
        controller.shutdown()
