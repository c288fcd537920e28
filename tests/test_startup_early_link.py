"""Issue 14, stop 10: the app opens its link while the window is being built, and nothing on
the way to the first frame with data imports what that frame does not need (``numpy.ma``,
which ``np.median``'s first call imports, scipy, pyqtgraph, matplotlib, QtMultimedia, the
records database, the preferences dialog)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cctf.session.setup import median

_CHILD = """
import json, shutil, sys, tempfile
from pathlib import Path
from cctf.gui import main as gui_main
from cctf.gui.controller import AppController
from cctf.gui.startup import start

data_dir = Path(tempfile.mkdtemp())
seen = {}
built = gui_main.MainWindow.__init__

def init(self, controller, *a, **k):
    seen["connecting_when_built"] = controller.connecting
    built(self, controller, *a, **k)

gui_main.MainWindow.__init__ = init
import cctf.gui.startup as startup
startup.MainWindow = gui_main.MainWindow
started = start("healthy", controller=AppController(data_dir=data_dir, discover_fn=list),
                audio=False)
app, controller = started.app, started.controller
HEAVY = ("numpy.ma", "scipy", "pyqtgraph", "matplotlib", "PySide6.QtMultimedia",
         "cctf.records.db", "cctf.gui.preferences", "cctf.records.clinic_settings")

def drawn():
    if len(controller.history) and "first_frame" not in seen:
        seen["first_frame"] = sorted(m for m in HEAVY if m in sys.modules)
        seen["bar"] = started.window.bar.scenario.currentText()
        app.quit()

started.window.clinic.setup_page.live.drawn.connect(drawn)
app.exec()
controller.shutdown()
shutil.rmtree(data_dir, ignore_errors=True)
print(json.dumps(seen))
"""


def test_the_link_opens_while_the_window_is_built_and_the_first_frame_imports_no_extras():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"connecting_when_built": True, "first_frame": [], "bar": "healthy"}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 100, 101])
def test_the_set_up_guides_median_is_numpys_bit_for_bit(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        x = rng.normal(20, 3, n).round(rng.integers(0, 4))
        assert np.float64(median(x)).view(np.int64) == np.float64(np.median(x)).view(np.int64)
    x = rng.normal(20, 3, n)
    x[n // 2] = np.nan
    assert np.isnan(median(x)) and np.isnan(np.median(x))
