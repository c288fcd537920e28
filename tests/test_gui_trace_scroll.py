"""A scrolled frame shows what a full repaint would (issue 14b: the live view moves the pixels
already drawn and paints only the strip that came in)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from cctf import texts
from cctf.gui.history import Marker

from .gui_helpers import make_app


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="monitor")
    window.resize(1200, 800)
    yield controller, window
    controller.shutdown()


def _on_screen(widget):
    """What the window system holds for ``widget`` (the backing store), not a fresh render."""
    top = widget.window()
    shot = QApplication.primaryScreen().grabWindow(top.winId()).toImage()
    pos = widget.mapTo(top, widget.rect().topLeft())
    return shot.copy(pos.x(), pos.y(), widget.width(), widget.height())


@pytest.mark.parametrize("baseline", [False, True])
def test_scrolled_frames_equal_a_full_repaint(app, monkeypatch, baseline):
    """With the baseline's label too (during a test): it stays put while the plot scrolls
    under it, and the trace under it is not drawn (it is opaque)."""
    controller, window = app
    live = window.monitor.live
    canvas = live.canvas
    if baseline:
        present = live._present

        def with_baseline(*args):
            canvas.scene.baseline = 21.3  # the trace runs through its label
            canvas.scene.baseline_text = texts.BASELINE_LABEL.format(value=21.3)
            present(*args)

        monkeypatch.setattr(live, "_present", with_baseline)
    rate = 50.0
    t = np.arange(0.0, 40.0, 1 / rate)
    p = 20 + 2 * np.sin(t / 3) + 0.2 * np.sin(7 * t)
    controller.history.extend(t[:1500], p[:1500])
    controller.markers[:] = [Marker(12.0, "cue", "24"), Marker(15.0, "fault", "overshoot", 23)]
    now = {"t": t[1499]}
    monkeypatch.setattr(type(controller), "now_display_s", property(lambda self: now["t"]))
    if True:
        live.redraw()
        canvas.repaint()
        scrolled = 0
        for k in range(1500, 2000, 7):  # 7 samples a frame: the view moves a few pixels
            controller.history.extend(t[k:k + 7], p[k:k + 7])
            now["t"] = t[min(k + 6, len(t) - 1)]
            before = canvas.paints
            live.redraw()
            QApplication.processEvents()
            scrolled += canvas.paints > before
        assert scrolled > 10
        assert (canvas._baseline_box is not None) == baseline
        shown = _on_screen(canvas)
        if shown.isNull() or shown.width() != canvas.width():
            pytest.skip("this platform cannot read back the window")
        fresh = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        shown = shown.convertToFormat(QImage.Format.Format_RGB32)
        diff = np.abs(_pixels(shown) - _pixels(fresh)).max(axis=2)
        # The same picture: at most a few antialiased pixels of the trace differ where two
        # paints met (a seam), none by much.
        assert (diff > 64).sum() <= 0.0001 * diff.size
        assert (diff > 0).sum() <= 0.001 * diff.size
        if baseline:  # the label and left of it (where the scroll moved its old pixels)
            box = canvas._baseline_box.toRect()
            near = diff[box.top():box.bottom() + 1, : box.right() + 1]
            assert (near > 0).sum() == 0


def _pixels(image: QImage) -> np.ndarray:
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : 4 * w].reshape(h, w, 4).astype(int)


def test_a_target_band_running_off_the_left_edge_still_scrolls(app, monkeypatch):
    """During a hold the band starts before the window: frames must still scroll, not
    repaint everything (what made a test cost more than the set-up screen)."""
    controller, window = app
    live = window.monitor.live
    canvas = live.canvas
    t = np.arange(0.0, 60.0, 1 / 50)
    target = np.full(len(t), 24.0)
    controller.history.extend(t[:2000], 24 + 0.1 * np.sin(t[:2000]), target[:2000])
    now = {"t": t[1999]}
    monkeypatch.setattr(type(controller), "now_display_s", property(lambda self: now["t"]))
    live.redraw()
    canvas.repaint()
    scrolls = []
    monkeypatch.setattr(canvas, "scroll_plot", lambda dx, x: scrolls.append(dx))
    for k in range(2000, 2300, 5):
        controller.history.extend(t[k:k + 5], 24 + 0.1 * np.sin(t[k:k + 5]), target[k:k + 5])
        now["t"] = t[k + 4]
        live.redraw()
    assert len(scrolls) >= 55  # 60 frames, all but the odd one scrolled
