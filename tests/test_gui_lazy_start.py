"""Start-up does only what the first frame needs: QtMultimedia is loaded, and the patient
records opened, after the first frame (issue 14); hidden screens cost nothing per event."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_CHILD = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from cctf.gui.audio import AudioCues
from cctf.gui.controller import AppController
from cctf.gui.main import MainWindow
app = QApplication([])
controller = AppController(data_dir=Path(sys.argv[1]), discover_fn=list)
window = MainWindow(controller, AudioCues())
window.show()
marks = {"built": "PySide6.QtMultimedia" in sys.modules}
app.processEvents()
marks["after"] = "PySide6.QtMultimedia" in sys.modules
marks["sound_pending"] = window.training_sound._pending or window.audio._pending
print(json.dumps(marks))
"""


def test_audio_loads_after_the_window_is_built_not_before(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path)], capture_output=True,
                         text=True, env=env, timeout=120, check=True)
    marks = json.loads(out.stdout.strip().splitlines()[-1])
    assert marks == {"built": False, "after": True, "sound_pending": False}


def test_records_open_after_the_window_is_up_and_restore_the_screen(qtbot, tmp_path,
                                                                     monkeypatch):
    from cctf.gui import startup
    from cctf.gui.controller import AppController
    from cctf.records.app_state import AppState, save_state

    save_state(tmp_path, AppState(patient_code=None, screen="monitor"))
    monkeypatch.setattr(startup, "remember_settings", lambda sound: None)  # user's settings
    controller = AppController(data_dir=tmp_path, discover_fn=list)
    started = startup.start(controller=controller, audio=False)
    window = started.window
    qtbot.addWidget(window)
    try:
        assert window.isVisible()
        assert controller.records is None  # not before the first frame
        assert window.tabs.currentWidget() is window.clinic
        qtbot.waitUntil(lambda: controller.records is not None)
        assert controller.records_error == ""
        assert window.tabs.currentWidget() is window.monitor  # the last run's screen
    finally:
        startup.first_frame.release()
        controller.confirm_end = lambda reason: True
        controller.shutdown()


def test_start_keys_filter_the_apps_events_only_while_training_is_shown(qtbot, tmp_path,
                                                                        monkeypatch):
    """Every event of the app passed through a Python filter for the training screen's
    Space key; now only while that screen is shown (it is also the only time it acts)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from cctf.gui.training_screen import StartKeys

    from .gui_helpers import make_app

    seen: list[int] = []
    real = StartKeys.eventFilter

    def counting(self, obj, event):
        seen.append(1)
        return real(self, obj, event)

    monkeypatch.setattr(StartKeys, "eventFilter", counting)
    controller, window = make_app(qtbot, tmp_path, tab="clinic")
    try:
        for _ in range(5):
            QApplication.sendEvent(window.clinic, QEvent(QEvent.Type.User))
        assert seen == []  # training hidden: the app's events do not reach the filter
        window.tabs.setCurrentWidget(window.training)
        QApplication.sendEvent(window.clinic, QEvent(QEvent.Type.User))
        assert seen  # shown: they do (Space starts training from any widget)
        window.tabs.setCurrentWidget(window.monitor)
        seen.clear()
        QApplication.sendEvent(window.clinic, QEvent(QEvent.Type.User))
        assert seen == []
    finally:
        controller.shutdown()


def test_deferred_work_waits_for_release_then_runs_in_order(qtbot):
    from PySide6.QtWidgets import QApplication

    from cctf.gui import first_frame

    ran: list[str] = []
    first_frame.hold()
    try:
        first_frame.after_first_frame(lambda: ran.append("audio"))
        first_frame.after_first_frame(lambda: ran.append("records"))
        QApplication.processEvents()
        assert ran == []  # held: the first frame has not been drawn
    finally:
        first_frame.release()
    qtbot.waitUntil(lambda: len(ran) == 2)
    assert ran == ["audio", "records"]
    first_frame.after_first_frame(lambda: ran.append("later"))  # nothing holds: next turn
    qtbot.waitUntil(lambda: len(ran) == 3)


_SCREENS_CHILD = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from cctf.gui import first_frame, startup
from cctf.gui.controller import AppController
startup.remember_settings = lambda sound: None  # not the user's settings
controller = AppController(data_dir=Path(sys.argv[1]), discover_fn=list)
window = startup.start(controller=controller, audio=False).window
app = QApplication.instance()
for _ in range(5):
    app.processEvents()
marks = {"held": [m in sys.modules for m in ("cctf.gui.training_screen",
                                             "cctf.gui.monitor_screen")]
                 + [window.screens_built(), window.clinic.results_built()]}
first_frame.release()  # as the first frame with data does
for _ in range(20):
    app.processEvents()
marks["released"] = [window.screens_built(),
                     window.tabs.widget(1) is window.training,
                     window.tabs.widget(2) is window.monitor,
                     window.tabs.currentWidget() is window.clinic,
                     window.clinic.results_built(),
                     window.clinic.pages.currentWidget() is window.clinic.setup_page]
controller.confirm_end = lambda reason: True
controller.shutdown()
print(json.dumps(marks))
"""


def test_training_and_monitor_screens_are_built_after_the_first_frame(tmp_path):
    """Neither screen is on the first frame: their modules are not even imported until the
    first frame with data is drawn; then both are built, in their tabs, the Clinic shown (and
    the Clinic's results page, not built before either)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", _SCREENS_CHILD, str(tmp_path)],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    marks = json.loads(out.stdout.strip().splitlines()[-1])
    assert marks == {"held": [False, False, False, False],
                     "released": [True, True, True, True, True, True]}


def test_a_screen_not_yet_built_is_built_when_its_tab_is_first_shown(qtbot, tmp_path):
    from cctf.gui.controller import AppController
    from cctf.gui.main import MainWindow

    controller = AppController(data_dir=tmp_path, discover_fn=list)
    window = MainWindow(controller)  # no event loop turn yet: nothing built after the frame
    qtbot.addWidget(window)
    try:
        assert not window.screens_built()
        menu_texts = [a.text() for a in window._monitor_menu.actions()]
        assert menu_texts == []
        changes: list[int] = []
        window.tabs.currentChanged.connect(changes.append)
        window.tabs.setCurrentIndex(2)
        assert window._monitor is not None and window._training is None
        assert window.tabs.currentWidget() is window._monitor  # in place of the placeholder
        assert changes == [2]  # one change heard, not the swap behind it
        assert window._monitor_menu.actions() == window.monitor.actions_for_menu
        window.tabs.setCurrentIndex(1)
        assert window.tabs.currentWidget() is window._training
        assert window.training.start_action in window._test_menu.actions()
        assert window.tabs.count() == 3
    finally:
        controller.confirm_end = lambda reason: True
        controller.shutdown()
