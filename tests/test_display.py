"""Without a display the app says so in one line instead of Qt aborting the process (exit 134
after a page of plugin messages, seen running `cctf --sim` over SSH)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cctf.display import missing_display


@pytest.mark.parametrize(("environ", "platform", "missing"), [
    ({}, "linux", "DISPLAY"),
    ({"DISPLAY": ":0"}, "linux", None),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", None),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "linux", "DISPLAY"),
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux", "WAYLAND_DISPLAY"),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", None),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", None),
    ({}, "win32", None),
    ({}, "darwin", None),
])
def test_which_sessions_have_no_display(environ, platform, missing):
    assert missing_display(environ, platform) == missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland only")
@pytest.mark.parametrize("argv", [["--sim"], ["--sim", "healthy"], ["train", "--sim", "healthy"]])
def test_a_window_without_a_display_is_one_cctf_line(argv, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["CCTF_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "cctf", *argv], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cctf: no display"), done.stderr
    assert "Traceback" not in done.stderr and "qt.qpa" not in done.stderr
    assert not any(tmp_path.iterdir())  # nothing was created
