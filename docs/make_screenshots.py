"""Render every screen and dialog of the app, from the simulator, at every size the layout test
checks, to ``docs/screenshots/<size>/<screen>.png`` (and the 1280×720 set also as
``docs/screenshots/<screen>.png``, which README and docs link).

    python docs/make_screenshots.py [--out DIR] [--sizes 1280x720,2560x1440]

Runs offscreen (no display needed) on a virtual clock: each state is the real app driven by the
in-process simulator (cctf.gui.tour, the same tour tests/test_gui_layout_sizes.py checks),
grabbed with ``QWidget.grab``. A size is the screen; the window is what a maximised app gets
(the screen less a 40 px taskbar and a 30 px title bar). For 150 % / 200 % scaling run it with
``QT_SCALE_FACTOR=1.5`` (or 2) and the logical sizes, e.g. ``--sizes 1280x720``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QMainWindow

from cctf.gui import theme
from cctf.gui.sizes import fit_to_room
from cctf.gui.tour import settle, tour

SIZES = ("1280x720", "1366x768", "1920x1080", "2560x1440")
CHROME_PX = 70  # taskbar and title bar of a maximised window
DEFAULT = "1280x720"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "screenshots")
    parser.add_argument("--sizes", default=",".join(SIZES))
    args = parser.parse_args(argv)
    sizes = {s: tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")}
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)  # type: ignore[arg-type]

    def visit(name: str, widget) -> None:  # type: ignore[no-untyped-def]
        for label, (w, h) in sizes.items():
            if isinstance(widget, QMainWindow) or name == "patient-mode":
                widget.resize(w, h - CHROME_PX)
            else:
                fit_to_room(widget, (w, h - CHROME_PX - 30))
            settle(app)
            settle(app)
            if isinstance(widget, QMainWindow):
                widget.statusBar().clearMessage()
            folder = args.out / label
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}.png"
            widget.grab().save(str(path))
            if label == DEFAULT:
                shutil.copyfile(path, args.out / f"{name}.png")
            print(f"wrote {path}")  # noqa: T201 - a script reporting what it wrote

    tour(visit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
