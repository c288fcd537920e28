"""The live view's labels never overprint one another (issue 13 saw "overshoot" on "overshoot",
"28" on "28", "link lost" on "link back"): close labels are stacked, and one that has no free
place is left out, the newest kept."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cctf.gui.history import Marker

from .gui_helpers import make_app


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="monitor")
    yield controller, window
    controller.shutdown()


def _drawn(controller, window, markers):
    live = window.monitor.live
    t = np.arange(0.0, 30.0, 1 / 50)
    controller.history.extend(t, 22.0 + np.sin(t))
    controller.markers[:] = markers
    live.redraw()
    live.canvas.repaint()
    return live.canvas.drawn_labels


def _no_overlap(drawn):
    for (_, a), (_, b) in itertools.combinations(drawn, 2):
        assert not a.intersects(b), "two labels overprint"


def test_close_labels_are_stacked_not_overprinted(app):
    controller, window = app
    markers = [Marker(10.0, "link", "link lost"), Marker(10.2, "link", "link back"),
               Marker(15.0, "cue", "28"), Marker(15.1, "cue", "28"),
               Marker(20.0, "fault", "overshoot", 23.0), Marker(20.1, "fault", "overshoot", 23.0)]
    drawn = _drawn(controller, window, markers)
    _no_overlap(drawn)
    texts = [text for text, _ in drawn]
    assert sorted(texts) == sorted(m.text for m in markers)  # room for all: all shown


def test_a_crowd_of_labels_is_thinned_keeping_the_newest(app):
    controller, window = app
    markers = [Marker(12.0 + 0.01 * k, "fault", f"fault {k}", 23.0) for k in range(12)]
    drawn = _drawn(controller, window, markers)
    _no_overlap(drawn)
    texts = [text for text, _ in drawn]
    assert 1 <= len(texts) < len(markers)
    assert "fault 11" in texts


def test_a_second_series_gets_its_own_right_axis(app):
    """How issue 17 adds the head angle: a source returning a right-axis Series."""
    from cctf.gui.trace_canvas import Series

    controller, window = app
    live = window.monitor.live
    t = np.arange(0.0, 30.0, 1 / 50)
    controller.history.extend(t, 22.0 + np.sin(t))
    before = live.canvas.plot_rect().width()
    live.sources["angle"] = lambda t0, t1, col: Series(t, 5 + np.cos(t), "#E69F00", 1.5,
                                                       axis="right", y_range=(0.0, 10.0),
                                                       title="head angle (°)")
    live.redraw()
    image = live.canvas.grab().toImage()
    assert live.canvas.series["angle"].getData()[0] is t
    assert live.canvas.plot_rect().width() < before  # room for the right axis' labels
    r = live.canvas.plot_rect()
    # The angle's line (orange) is drawn: some pixel in the plot has its colour.
    found = any(image.pixelColor(x, y).name() == "#e69f00"
                for x in range(int(r.left()) + 5, int(r.right()) - 5, 7)
                for y in range(int(r.top()), int(r.bottom())))
    assert found


@pytest.mark.parametrize("height_px", [80, 100, 130, 400])
def test_the_axis_title_is_never_cut_at_both_ends(qtbot, height_px):
    """A 1280×720 window gives the run page's trace ~100 px: "pressure (mmHg)" drawn centred
    there lost both ends ("ssure (mm"). The title that is drawn fits; short plots say "mmHg"."""
    from PySide6.QtGui import QFontMetricsF

    from cctf import texts
    from cctf.gui.trace_canvas import TraceCanvas

    canvas = TraceCanvas(texts.AXIS_PRESSURE, texts.AXIS_TIME,
                         y_title_short=texts.AXIS_PRESSURE_SHORT)
    qtbot.addWidget(canvas)
    canvas.resize(600, height_px)
    shown, centre, room = canvas.y_title_shown(canvas.plot_rect())
    assert QFontMetricsF(canvas.tick_font).horizontalAdvance(shown) <= room
    assert centre - room / 2 >= 0 and centre + room / 2 <= height_px  # inside the widget
    assert shown in (texts.AXIS_PRESSURE, texts.AXIS_PRESSURE_SHORT)
    if height_px >= 400:
        assert shown == texts.AXIS_PRESSURE
    canvas.grab()  # paints with it
