"""The desktop app: connection bar, and the Clinic, Home training and Monitor screens.

``run_app()`` with no source looks for a cctf device in the background and connects to the
first one found, else offers the simulator; ``sim`` or ``port`` choose directly.
"""

from __future__ import annotations

import html
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cctf import DISCLAIMER, __version__, texts
from cctf.gui import first_frame
from cctf.gui.audio import AudioCues, TrainingSound
from cctf.gui.clinic_screen import ClinicScreen
from cctf.gui.connection_bar import ConnectionBar
from cctf.gui.controller import AppController
from cctf.gui.patients import RecordsNotice
from cctf.gui.sizes import want
from cctf.records.app_state import SCREENS, AppState, load_state, save_state

if TYPE_CHECKING:  # the dialog (and the clinic settings it edits) loads when first opened
    from cctf.gui.monitor_screen import MonitorScreen
    from cctf.gui.preferences import PreferencesDialog
    from cctf.gui.training_screen import TrainingScreen

log = logging.getLogger(__name__)

# Qt's raster engine hands large fills and blits (the trace's background, a grid line over the
# plot's height) to a thread pool and waits for it. On a 2-core machine shared with other work
# the hand-off cost more than it saved: under Xvfb the set-up screen's frame took 4.0–4.5 ms of
# the UI thread without it against 5.2–5.7 ms with it, and the process less CPU (issue 14,
# benchmarks/README.md). Qt reads this when it first paints; a value set by the user stays.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")

NOTICE_MS = 8000
MINIMISED_TICK_MS = 100  # minimised: nothing to draw; data, recording and cues keep flowing


class MainWindow(QMainWindow):
    def __init__(self, controller: AppController, audio: AudioCues | None = None, *,
                 open_records: bool = False) -> None:
        super().__init__()
        self._focus: QWidget | None = None  # the focus while minimised (see changeEvent)
        self.controller = controller
        self.audio = audio or AudioCues(enabled=False)
        self.setWindowTitle(texts.WINDOW_TITLE.format(version=__version__))
        self.bar = ConnectionBar(controller)
        self.records_notice = RecordsNotice(controller)
        self.clinic = ClinicScreen(controller)
        self.training_sound = TrainingSound(controller, self.audio, parent=self)
        # The Training and Monitor screens (and the Clinic's results page) are built after the
        # first frame with data, or when first shown or asked for (``training``, ``monitor``):
        # the first screen is the Clinic's set-up, and building the others (modules, widgets,
        # style polish) cost about 0.1 s of the start (issue 14, benchmarks/README.md). Until
        # then a tab holds an empty placeholder.
        self._training: TrainingScreen | None = None
        self._monitor: MonitorScreen | None = None
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.clinic, texts.TAB_CLINIC)
        self.tabs.addTab(QWidget(), texts.TAB_TRAINING)
        self.tabs.addTab(QWidget(), texts.TAB_MONITOR)
        self.tabs.currentChanged.connect(self._tab_changed)
        self._restoring = False
        self._state_hooked = False
        self.preferences: PreferencesDialog | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.records_notice)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(body)
        self._menus()
        controller.show_now.connect(self._show_now)
        controller.notice.connect(lambda text: self.statusBar().showMessage(text, NOTICE_MS))
        controller.cue_changed.connect(self.audio.on_cue)
        controller.band_changed.connect(self.audio.on_band)
        controller.session_finished.connect(lambda _: self.audio.on_cue(None))
        controller.connect_failed.connect(
            lambda text: self.statusBar().showMessage(texts.CONNECT_FAILED.format(error=text)))
        controller.confirm_end = self.confirm_end
        want(self, 1280, 800)  # capped to the screen: a 1280×720 laptop (issue 13)
        first_frame.after_first_frame(self.build_screens)
        if open_records:
            self.open_records()

    def _show_now(self) -> None:
        """Paint now what the frame's new samples changed (the trace, the number; see
        ``AppController.taken``), not after the rest of the frame: one paint pass, and a
        second only for what the rest of the frame changes (a panel, the banner)."""
        if self.isVisible() and not self.isMinimized():
            QCoreApplication.sendEvent(self, QEvent(QEvent.Type.UpdateRequest))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        central = self.centralWidget()
        if event.type() == QEvent.Type.WindowStateChange and central is not None:
            # pace the timer to visibility
            pacer = self.controller.pacer
            if self.isMinimized():
                pacer.set_slow(MINIMISED_TICK_MS)
                # Nobody sees it: no widget paints (labels and dials still take their new
                # values, and everything is drawn afresh when the window comes back).
                self.setUpdatesEnabled(False)
                self._batch_reads(MINIMISED_TICK_MS / 1000)
                # Hidden screens skip their refresh and lay nothing out (a label's new text
                # costs a layout pass even unpainted): most of a minimised frame's cost.
                self._focus = self.focusWidget()  # hiding moves the focus: put it back after
                central.hide()
            else:
                central.show()
                if self._focus is not None:
                    self._focus.setFocus()
                    self._focus = None
                self.setUpdatesEnabled(True)
                self._batch_reads(0.0)
                pacer.set_slow(None)

    def _batch_reads(self, batch_s: float) -> None:
        """The device reader's batching (``Device.read_batch_s``): minimised, nobody watches
        the latency, and one read per frame costs less than one per sample."""
        self.controller.read_batch_s = batch_s
        if self.controller.device is not None:
            self.controller.device.read_batch_s = batch_s

    def open_records(self) -> None:
        """Open the patient records, recover interrupted sessions, and say what happened
        (a band above the screens; a damaged database offers Repair). Never raises."""
        self.records_notice.show_start(self.controller.open_records())
        self.restore_state()

    # --- the last patient and screen (issue 13) ---------------------------------------------

    def restore_state(self) -> None:
        """Back to the patient and screen of the last run (a patient since deleted: none)."""
        state = load_state(self.controller.data_dir)
        records = self.controller.records
        self._restoring = True
        try:
            if state.patient_code and records is not None and records.find_patient(
                    state.patient_code) is not None:
                self.controller.select_patient(state.patient_code)
            self.tabs.setCurrentIndex(SCREENS.index(state.screen))
        finally:
            self._restoring = False
        if not self._state_hooked:
            self._state_hooked = True
            self.controller.patient_changed.connect(self.remember_state)
            self.tabs.currentChanged.connect(self.remember_state)

    def remember_state(self) -> None:
        if self._restoring:
            return
        index = self.tabs.currentIndex()
        screen = SCREENS[index] if 0 <= index < len(SCREENS) else "clinic"
        save_state(self.controller.data_dir, AppState(self.controller.patient_code, screen))

    def _menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu(texts.MENU_FILE)
        folder = QAction(texts.CHOOSE_FOLDER, self)
        folder.triggered.connect(self.choose_folder)
        file_menu.addAction(folder)
        preferences = QAction(texts.PREFERENCES, self)
        preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        preferences.triggered.connect(self.show_preferences)
        file_menu.addAction(preferences)
        self.lsl_action = QAction(texts.LSL_MENU, self, checkable=True)
        self.lsl_action.setToolTip(texts.LSL_MENU_TIP)
        self.lsl_action.setChecked(self.controller.lsl.enabled)
        self.lsl_action.toggled.connect(self._toggle_lsl)
        self.controller.connection_changed.connect(  # an outlet that failed to open: off
            lambda: self.lsl_action.setChecked(self.controller.lsl.enabled))
        file_menu.addAction(self.lsl_action)
        quit_ = QAction(texts.QUIT, self)
        quit_.setShortcut(QKeySequence.StandardKey.Quit)
        quit_.triggered.connect(self.close)
        file_menu.addAction(quit_)

        view = menu.addMenu(texts.MENU_VIEW)
        for k, name in enumerate((texts.TAB_CLINIC, texts.TAB_TRAINING, texts.TAB_MONITOR)):
            action = QAction(name.replace("&", ""), self)
            action.setShortcut(QKeySequence(f"Ctrl+{k + 1}"))
            action.triggered.connect(lambda _=False, k=k: self.tabs.setCurrentIndex(k))
            view.addAction(action)
            self.addAction(action)
        view.addSeparator()
        self.mute_action = QAction(texts.MUTE, self, checkable=True)
        self.mute_action.setShortcut(QKeySequence("Ctrl+M"))
        self.mute_action.toggled.connect(self.audio.set_muted)
        self.mute_action.toggled.connect(self.training_sound.set_muted)
        view.addAction(self.mute_action)
        self.addAction(self.mute_action)

        test = menu.addMenu(texts.MENU_TEST)
        for action in self.clinic.actions_for_menu:
            test.addAction(action)
        test.addSeparator()
        self._test_menu = test  # the Training and Monitor entries: when those screens are built
        self._monitor_menu = menu.addMenu(texts.MENU_MONITOR)

        help_menu = menu.addMenu(texts.MENU_HELP)
        keys = QAction(texts.KEYS_TITLE, self)
        keys.setShortcut(QKeySequence.StandardKey.HelpContents)
        keys.triggered.connect(self.show_keys)
        help_menu.addAction(keys)
        about = QAction(texts.ABOUT, self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _toggle_lsl(self, on: bool) -> None:
        if on != self.controller.lsl.enabled and not self.controller.set_lsl(on):
            self.lsl_action.setChecked(self.controller.lsl.enabled)

    # --- the screens not on the first frame (issue 14) --------------------------------------

    @property
    def training(self) -> TrainingScreen:
        """The Home training screen, built on first use."""
        if self._training is None:
            from cctf.gui.training_screen import TrainingScreen

            screen = TrainingScreen(self.controller)
            screen.set_sound(self.training_sound)
            self._training = screen
            self._test_menu.addAction(screen.start_action)
            self._place(1, screen, texts.TAB_TRAINING)
        return self._training

    @property
    def monitor(self) -> MonitorScreen:
        """The Monitor screen, built on first use."""
        if self._monitor is None:
            from cctf.gui.monitor_screen import MonitorScreen

            screen = MonitorScreen(self.controller)
            self._monitor = screen
            for action in screen.actions_for_menu:
                self._monitor_menu.addAction(action)
            self._place(2, screen, texts.TAB_MONITOR)
        return self._monitor

    def screens_built(self) -> bool:
        return (self._training is not None and self._monitor is not None
                and self.clinic.results_built())

    def build_screens(self) -> None:
        """Build the screens not yet built (after the first frame: each on its own turn of
        the event loop, so a frame due in between is not kept waiting for all of them)."""
        if self._training is None:
            self.training  # noqa: B018  # the property builds it
        elif self._monitor is None:
            self.monitor  # noqa: B018
        elif not self.clinic.results_built():
            self.clinic.results  # noqa: B018
        if not self.screens_built():
            QTimer.singleShot(0, self.build_screens)

    def _place(self, index: int, screen: QWidget, label: str) -> None:
        """Put ``screen`` in the tab in place of its placeholder; the current tab stays (and
        no one hears of a change)."""
        current = self.tabs.currentIndex()
        placeholder = self.tabs.widget(index)
        blocked = self.tabs.blockSignals(True)
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, screen, label)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(blocked)
        if placeholder is not None:
            placeholder.deleteLater()
        self._tab_changed()

    def _tab_changed(self) -> None:
        index = self.tabs.currentIndex()
        if index == 1:
            self.training  # noqa: B018  # built when first shown
        elif index == 2:
            self.monitor  # noqa: B018
        self.clinic._update_actions()
        if self._training is not None:
            self._training.refresh()
        if self._monitor is not None:
            self._monitor.refresh()

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, texts.CHOOSE_FOLDER,
                                                str(self.controller.data_dir))
        if path and self.controller.set_data_dir(path):
            self.records_notice.show_start([])
            self.statusBar().showMessage(texts.FOLDER_SET.format(path=path), NOTICE_MS)

    def show_preferences(self) -> PreferencesDialog:
        from cctf.gui.preferences import PreferencesDialog

        self.preferences = PreferencesDialog(parent=self)
        self.preferences.accepted.connect(lambda: self.statusBar().showMessage(
            texts.PREFERENCES_SAVED.format(path=self.preferences.saved_to), NOTICE_MS))
        self.preferences.open()
        return self.preferences

    def show_about(self) -> None:
        QMessageBox.about(self, texts.ABOUT_TITLE, texts.ABOUT_HTML.format(
            version=__version__, disclaimer=DISCLAIMER,
            folder=html.escape(str(self.controller.data_dir))))

    def show_keys(self) -> None:
        QMessageBox.information(self, texts.KEYS_TITLE, texts.KEYS_HTML)

    def confirm_end(self, reason: str) -> bool:
        """Ask before a running test ends early ("end", "disconnect" or "quit")."""
        box = QMessageBox(QMessageBox.Icon.Question, texts.END_CONFIRM_TITLE,
                          texts.END_CONFIRM.get(reason, texts.END_CONFIRM["end"]),
                          parent=self)
        yes = box.addButton(texts.END_CONFIRM_YES, QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(texts.END_CONFIRM_NO, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.exec()
        return box.clickedButton() is yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.controller.request_end("quit"):
            event.ignore()  # the therapist keeps testing
            return
        self.controller.shutdown()
        super().closeEvent(event)


def auto_connect(controller: AppController, bar: ConnectionBar) -> None:
    """Discover ports in the background; connect to the first cctf device, else offer the
    simulator (selected in the bar, with a note in the status bar)."""

    def found() -> None:
        if controller.discovering:
            return
        controller.ports_changed.disconnect(found)
        cctf_ports = [p for p in controller.ports if p.is_cctf]
        if cctf_ports:
            controller.connect_port(cctf_ports[0].device)
        else:
            bar.choose_simulator()
            controller.notice.emit(texts.NO_DEVICE_FOUND)

    controller.ports_changed.connect(found)
    controller.discover_ports()


# Packaging smoke test (tests/test_bundle.py): render the first frame to this PNG, then close.
FIRST_FRAME_ENV = "CCTF_FIRST_FRAME_PNG"


def _save_first_frame_and_close(window: QMainWindow, path: str) -> None:
    if not window.grab().save(path, "PNG"):
        log.error("could not write the first frame to %s", path)
    window.close()


def run_app(sim: str | None = None, port: str | None = None, lsl: bool = False) -> int:
    from cctf.gui.startup import start  # start-up order: cctf/gui/startup.py

    started = start(sim, port, lsl)
    app, controller, window = started.app, started.controller, started.window

    def stop(*_: object) -> None:  # Ctrl-C or kill: close properly (saves), without asking
        controller.confirm_end = lambda reason: True
        window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    # The controller's timer returns to Python often, so signals are seen.
    if first_frame := os.environ.get(FIRST_FRAME_ENV):
        QTimer.singleShot(0, lambda: _save_first_frame_and_close(window, first_frame))
    try:
        return app.exec()
    finally:
        controller.shutdown()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app(sim="healthy"))
