"""Is there a screen for a window? Asked before Qt is started.

Why: on Linux without a display (an SSH session, a server, a container) Qt cannot load its
platform plugin and aborts the process (SIGABRT, exit 134) after a page of plugin messages,
before any of cctf's code can say what is wrong. The command line works there; only the
windows need a display.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from cctf import texts
from cctf.errors import CctfError


def missing_display(environ: Mapping[str, str] = os.environ, platform: str = sys.platform
                    ) -> str | None:
    """Why no window can open here, or None. Only Linux's X11/Wayland is judged: another
    ``QT_QPA_PLATFORM`` (offscreen, vnc, eglfs …) needs no display server, and Windows and
    macOS always have a screen for a desktop user."""
    if not platform.startswith("linux"):
        return None
    qpa = environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    x11, wayland = bool(environ.get("DISPLAY")), bool(environ.get("WAYLAND_DISPLAY"))
    if qpa == "xcb" and not x11:
        return "DISPLAY"
    if qpa.startswith("wayland") and not wayland:
        return "WAYLAND_DISPLAY"
    if qpa == "" and not (x11 or wayland):
        return "DISPLAY"
    return None


def require_display() -> None:
    """Raise the one-line ``cctf:`` error when no window can open here."""
    variable = missing_display()
    if variable is not None:
        raise CctfError(texts.NO_DISPLAY.format(variable=variable))
