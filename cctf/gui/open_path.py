"""Open a file or folder with the desktop's program for it, and say why when nothing can.

``QDesktopServices.openUrl`` returns False when no program is set up (a bare Linux install
without a file manager or PDF viewer, a kiosk session): the caller shows the returned reason
instead of failing silently.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from cctf import texts


def open_path(path: Path, what: str) -> str | None:
    """Open ``path``; None when it was handed to a program, else the reason in words.
    ``what``: the kind of program needed (``texts.OPEN_WHAT_FOLDER``, ``OPEN_WHAT_PDF``)."""
    path = Path(path)
    if not path.exists():
        return texts.OPEN_MISSING.format(path=path)
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return None
    return texts.OPEN_FAILED.format(path=path, what=what)
