"""A frame per sample, the panels at 25 a second (issue 14, sample → screen).

At 50 Hz every sample has its own frame (``cctf.gui.pacing``). What shows the samples — the
trace, the number, the dial — follows every frame (``taken``); the panels, the banner and the
buttons (``ticked``, the second paint pass) at most ``PANELS_FPS`` times a second of the
device's clock while samples stream, and at once in a frame without samples (a stale signal
must show).
"""

from __future__ import annotations

import pytest

from cctf.gui.controller import PANELS_FPS
from cctf.gui.simlink import attach_virtual_sim

from .gui_helpers import make_app

FRAME_S = 0.02  # a frame per sample at 50 Hz


def _count(signal) -> list[int]:
    seen = [0]
    signal.connect(lambda *_: seen.__setitem__(0, seen[0] + 1))
    return seen


@pytest.fixture
def monitor(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="monitor")
    yield controller, window
    controller.shutdown()


def test_panels_tick_25_times_a_second_while_the_samples_draw_50(monitor):
    controller, _window = monitor
    attach_virtual_sim(controller, "healthy", rate_hz=50)
    controller.run_virtual(1.0, FRAME_S)
    taken, ticked = _count(controller.taken), _count(controller.ticked)
    controller.run_virtual(4.0, FRAME_S)
    assert taken[0] == pytest.approx(4.0 / FRAME_S, abs=2)
    assert ticked[0] == pytest.approx(4.0 * PANELS_FPS, abs=2)


def test_a_frame_without_samples_ticks_at_once(monitor):
    controller, _window = monitor
    attach_virtual_sim(controller, "healthy", rate_hz=50)
    controller.run_virtual(1.0, FRAME_S)
    ticked = _count(controller.ticked)
    controller.device.run_for(FRAME_S)
    controller.tick()
    controller.device.run_for(FRAME_S)
    controller.tick()  # samples, a panel frame only just ago: no ticked
    assert ticked[0] <= 1
    before = ticked[0]
    controller.tick()  # nothing new: the views must be able to say so now
    assert ticked[0] == before + 1


def test_the_monitor_number_follows_every_frame(monitor):
    controller, window = monitor
    attach_virtual_sim(controller, "healthy", rate_hz=50)
    controller.run_virtual(2.0, FRAME_S)
    readout, gauge = window.monitor.readout, window.monitor.gauge
    for _ in range(50):
        controller.run_virtual(FRAME_S, FRAME_S)
        assert readout.value.text() == f"{controller.display_mmhg:.1f}"
        assert gauge.pressure_mmhg == round(controller.display_mmhg, 1)


def test_the_training_dial_follows_every_frame(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="training")
    try:
        attach_virtual_sim(controller, "healthy", rate_hz=50)
        controller.run_virtual(20.0, 0.25)
        assert controller.begin_training()
        screen = window.training
        controller.run_virtual(2.0, FRAME_S)
        assert screen.pages.currentWidget() is screen.during
        for _ in range(50):
            controller.run_virtual(FRAME_S, FRAME_S)
            assert screen.gauge.pressure_mmhg == round(controller.display_mmhg, 1)
            assert f"Now {controller.display_mmhg:.0f} " in screen.pressure_label.text()
    finally:
        controller.shutdown()
