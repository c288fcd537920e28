"""Start-up does only what the first frame needs: QtMultimedia is loaded, and the patient
records opened, on the event loop's first turns, after the window is up (issue 14)."""

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
        controller.confirm_end = lambda reason: True
        controller.shutdown()
