"""Every screen and dialog at every size a clinic has: 1280×720, 1366×768, 1920×1080 and
2560×1440 screens, and 150 % / 200 % scaling. Fails on what a therapist would see as broken:
a widget cut by its parent or the window, text cut (QFontMetrics in the widget's own font),
siblings over each other, a scrollbar in a form, a trial table too short to use, a window that
resizes itself, a readout that does not grow with the window.

Sizes are the window a maximised app gets: the screen less a 40 px taskbar and a 30 px title
bar (``CHROME_PX``). Dialogs get their own size, capped to that room. Scaling is real Qt
scaling: the tour runs again in a child process with ``QT_SCALE_FACTOR`` 1.5 and 2 (what a user
sets), at the logical sizes those screens give — 1920×1080 and 2560×1440 at 150 %
(1280×720, 1707×960), 2560×1440 and 3840×2160 at 200 % (1280×720, 1920×1080). The app is built
and driven through its states once per process (cctf.gui.tour); each state is then checked at
each size, so the whole file takes about 25 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

CHROME_PX = 70
SCREENS = {"1280x720": (1280, 720), "1366x768": (1366, 768), "1920x1080": (1920, 1080),
           "2560x1440": (2560, 1440)}
SCALED = {"150%": (1.5, {"1920x1080@150%": (1920, 1080), "2560x1440@150%": (2560, 1440)}),
          "200%": (2.0, {"2560x1440@200%": (2560, 1440), "3840x2160@200%": (3840, 2160)})}
MIN_TABLE_ROWS = 4  # a trial table has room for this many one-line rows
MIN_WHOLE_ROWS = 3  # and shows this many trials whole (a long "what was seen" takes 2 lines)


def room(screen_px: tuple[int, int], scale: float = 1.0) -> tuple[int, int]:
    """Logical size of a maximised window on a screen of ``screen_px`` physical pixels."""
    w, h = round(screen_px[0] / scale), round(screen_px[1] / scale)
    return w, h - CHROME_PX


def check_tour(sizes: dict[str, tuple[int, int]], shots: Path | None = None) -> dict:
    """Run the tour; at each state and size, the problems found, and a few measurements."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    from cctf.gui.sizes import fit_to_room
    from cctf.gui.tour import settle, tour

    from .layout_check import problems

    found: dict[str, dict[str, list[str]]] = {label: {} for label in sizes}
    measured: dict[str, dict[str, object]] = {}

    def visit(name: str, widget) -> None:
        for label, (w, h) in sizes.items():
            if isinstance(widget, QMainWindow) or name == "patient-mode":
                widget.resize(w, h)
            else:
                fit_to_room(widget, (w, h - 30))  # a dialog's own title bar
            settle()
            settle()
            got = []
            if isinstance(widget, QMainWindow) or name == "patient-mode":
                if widget.size().toTuple() != (w, h):
                    got.append(f"the window is {widget.width()}×{widget.height()}, "
                               f"not the {w}×{h} it was given")
            elif widget.width() > w or widget.height() > h - 30:
                got.append(f"the dialog is {widget.width()}×{widget.height()}, larger than "
                           f"the {w}×{h - 30} there is")
            got += problems(widget)
            got += _tables(widget)
            found[label][name] = got
            measured.setdefault(name, {})[label] = _measure(widget)
            if shots is not None:
                widget.grab().save(str(shots / f"{name}-{label}.png"))

    from cctf.gui import theme

    app = QApplication.instance()
    style, font = app.styleSheet(), app.font()
    theme.apply(app)  # as the app runs
    try:
        tour(visit)
    finally:
        app.setStyleSheet(style)
        app.setFont(font)
    return {"found": found, "measured": measured}


def _tables(widget) -> list[str]:
    from cctf.gui.results_screen import TrialTable

    out = []
    for table in widget.findChildren(TrialTable):
        if not table.isVisible():
            continue
        row_px = table.verticalHeader().defaultSectionSize()
        rows = table.viewport().height() / row_px
        if rows < MIN_TABLE_ROWS:
            out.append(f"a trial table has room for {rows:.1f} rows (at least "
                       f"{MIN_TABLE_ROWS})")
        # and as many of the trials shown are whole rows (wrapped rows count as they are)
        whole = sum(1 for r in range(table.rowCount())
                    if table.rowViewportPosition(r) >= 0 and table.rowViewportPosition(r)
                    + table.rowHeight(r) <= table.viewport().height())
        wanted = min(MIN_WHOLE_ROWS, table.rowCount())
        if whole < wanted:
            out.append(f"a trial table shows {whole} whole rows of {table.rowCount()} "
                       f"(at least {wanted})")
    return out


def _measure(widget) -> dict[str, object]:
    from cctf.gui.cue_banner import CueBanner
    from cctf.gui.gauge import Gauge
    from cctf.gui.readout import Readout
    from cctf.gui.results_screen import TrialTable

    def shown(kind):
        return [w for w in widget.findChildren(kind) if w.isVisible()]

    return {
        "dpr": widget.devicePixelRatioF(),
        "readout_px": [r.value.fontInfo().pixelSize() for r in shown(Readout)],
        "gauge_px": [min(g.width(), g.height()) for g in shown(Gauge)],
        "banner_px": [b.word.fontInfo().pixelSize() for b in shown(CueBanner)],
        "columns": [[t.columnWidth(c) for c in range(t.columnCount())]
                    for t in shown(TrialTable)],
    }


def _child(scale: float, sizes: dict[str, tuple[int, int]]) -> subprocess.Popen:
    env = dict(os.environ, QT_SCALE_FACTOR=str(scale), QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.test_gui_layout_sizes", json.dumps(sizes)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


@pytest.fixture(scope="module")
def toured(qapp, tmp_path_factory):
    """All sizes: the scaled ones in child processes (started first, running alongside)."""
    children = {key: _child(scale, {label: room(px, scale) for label, px in sizes.items()})
                for key, (scale, sizes) in SCALED.items()}
    plain = {label: room(px) for label, px in SCREENS.items()}
    os.environ["CCTF_CONFIG_DIR"] = str(tmp_path_factory.mktemp("config"))
    result = check_tour(plain)
    for key, child in children.items():
        out, _ = child.communicate(timeout=300)
        assert child.returncode == 0, f"the {key} tour failed"
        scaled = json.loads(out.strip().splitlines()[-1])
        result["found"].update(scaled["found"])
        for name, by_size in scaled["measured"].items():
            result["measured"].setdefault(name, {}).update(by_size)
    return result


ALL_SIZES = [*SCREENS, *(label for _, sizes in SCALED.values() for label in sizes)]


@pytest.mark.parametrize("size", ALL_SIZES)
def test_every_screen_fits_without_cuts_overlaps_or_scrollbars(toured, size):
    found = toured["found"][size]
    assert set(found) >= {"clinic-no-device", "clinic-setup", "clinic-test", "clinic-results",
                          "training-setup",
                          "training", "training-summary", "monitor", "history",
                          "session-review", "attach", "new-patient", "preferences",
                          "connection-reconnecting", "patient-mode"}
    broken = [f"{name}: {p}" for name, ps in found.items() for p in ps]
    assert not broken, f"{len(broken)} problems at {size}:\n" + "\n".join(broken[:200])


def test_scaling_was_really_on(toured):
    measured = toured["measured"]["clinic-setup"]
    assert measured["1280x720"]["dpr"] == 1.0
    assert measured["1920x1080@150%"]["dpr"] == 1.5
    assert measured["3840x2160@200%"]["dpr"] == 2.0


@pytest.mark.parametrize("name", ["clinic-setup", "clinic-test", "monitor"])
def test_readout_gauge_and_banner_grow_with_the_window(toured, name):
    small = toured["measured"][name]["1280x720"]
    large = toured["measured"][name]["2560x1440"]
    assert large["readout_px"] and large["gauge_px"]
    assert min(large["readout_px"]) >= 1.4 * max(small["readout_px"])
    assert min(large["gauge_px"]) >= 1.4 * max(small["gauge_px"])
    if name == "clinic-test":
        assert min(large["banner_px"]) >= 1.3 * max(small["banner_px"])


def test_trial_table_columns_stay_put_as_verdicts_change(qtbot):
    from cctf.analysis.results import TrialResult
    from cctf.gui.results_screen import TrialTable

    table = TrialTable()
    qtbot.addWidget(table)
    table.resize(700, 300)
    table.show()
    first = TrialResult(0, "practice", 22.0, 0.0, 10.0, 20.0, reached=True, held=True,
                        passed=True, longest_hold_s=10.0)
    table.show_trials([first])
    before = [table.columnWidth(c) for c in range(table.columnCount())]
    later = [first, TrialResult(1, "endurance", 30.0, 20.0, 30.0, 20.0, reached=True,
                                verdict_override=True, superseded=True,
                                manual_faults=["scm", "breath", "jaw"])]
    table.show_trials(later, TrialResult(2, "endurance", 30.0, 40.0, 50.0, 20.0))
    assert [table.columnWidth(c) for c in range(table.columnCount())] == before
    assert not table.horizontalScrollBar().isVisible()


def test_the_action_log_is_a_list_with_minutes_and_seconds():
    from cctf.gui.results_screen import action_rows

    rows = action_rows(("21.0s repeat trial 2 (22 mmHg)", "133.7s paused", "0s resumed"),
                       ("Trial 5: failed → passed (therapist)",), ("cuff leaking",))
    assert rows == ["0:21  repeat trial 2 (22 mmHg)", "2:13  paused", "0:00  resumed",
                    "correction: Trial 5: failed → passed (therapist)", "⚠ cuff leaking"]


if __name__ == "__main__":  # the child process of the scaled sizes
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    asked = {label: tuple(size) for label, size in json.loads(sys.argv[1]).items()}
    print(json.dumps(check_tour(asked)))
