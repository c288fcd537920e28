"""Home training on the simulator: prescription → cued holds counted, the colour follows the
pressure, and a plain-language summary at the end."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from cctf.gui import theme
from cctf.gui.simlink import attach_virtual_sim
from cctf.sessionfile import read_session

from .gui_helpers import make_app


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="training")
    yield controller, window
    controller.shutdown()


def test_training_counts_reps_follows_the_band_and_summarises(qtbot, app):
    controller, window = app
    screen = window.training
    editor = screen.editor
    editor.target.setValue(24)
    editor.reps.setValue(3)
    editor.hold.setValue(5)
    editor.rest.setValue(5)
    assert (controller.prescription.target_mmhg, controller.prescription.reps) == (24, 3)
    attach_virtual_sim(controller, "compensator")  # fast, overshooting nods at 24
    controller.run_virtual(20.0, 0.25)
    assert "Ready" in screen.setup_line.text()

    bands: list[str] = []
    controller.band_changed.connect(bands.append)
    colours: set[str] = set()
    qtbot.keyClick(window, Qt.Key.Key_Space)  # Space starts
    assert controller.session.kind == "training"
    assert screen.pages.currentWidget() is screen.during
    seen_in = False
    while controller.session is not None:
        controller.run_virtual(0.1, 0.1)
        if controller.session is None:
            break
        colours.add(screen._block_colour)
        if controller.band == "in" and controller.cue.step == "hold":
            seen_in = True
            assert screen.hint.text().startswith("✓ Just right")
            assert screen.word.text() == "HOLD" and screen.count.text().isdigit()
        if controller.cue.step == "rest" and controller.step_remaining_s():
            assert screen.word.text() == "REST" and screen.count.text().isdigit()
        assert controller.device.clock.now() < 200
    assert seen_in
    assert {"low", "high", "in"} <= set(bands)  # too low, overshoot, then in the band
    assert {theme.BAND_COLOURS["in"], theme.BAND_COLOURS["low"],
            theme.BAND_COLOURS["high"]} <= colours

    assert screen.pages.currentWidget() is screen.after
    report = controller.last_report
    s = report.summary
    assert screen.summary_title.text() == f"You held {s.reps_done} of 3"
    assert s.message in screen.summary_message.text()
    for jargon in ("mmHg", "activation", "performance index"):
        assert jargon not in screen.summary_message.text() + screen.summary_title.text()
    assert report.recorder.join(10.0)
    rec = read_session(report.path)
    assert set(rec.phase) == {"", "training"} and rec.metadata["prescription_reps"] == "3"


def test_healthy_patient_does_every_rep(qtbot, app):
    controller, window = app
    screen = window.training
    screen.editor.reps.setValue(4)
    screen.editor.hold.setValue(5)
    screen.editor.rest.setValue(4)
    attach_virtual_sim(controller, "healthy")
    controller.run_virtual(20.0, 0.25)
    assert controller.begin_training()
    runner = controller.session.runner
    counts = set()
    while controller.session is not None:
        controller.run_virtual(0.25, 0.25)
        if controller.session is not None:
            counts.add(screen.reps_label.text())
            assert runner.reps_done <= 4
    assert {"0 of 4 done", "2 of 4 done", "4 of 4 done"} <= counts
    assert screen.summary_title.text() == "You held 4 of 4"
    assert screen.summary_message.text().startswith("Well done")
    qtbot.keyClick(window, Qt.Key.Key_Space)  # back to the start page
    assert screen.pages.currentWidget() is screen.before


def test_prescription_editor_keeps_values_in_range(app):
    controller, window = app
    editor = window.training.editor
    editor.target.setValue(80)  # the box clamps to 40
    assert controller.prescription.target_mmhg == 40
    assert not editor.error.text()
