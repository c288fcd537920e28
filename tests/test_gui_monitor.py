"""The monitor window as a view over a simulated device on a virtual clock."""

from __future__ import annotations

import numpy as np

from cctf import DISCLAIMER
from cctf.gui.monitor import MonitorWindow
from cctf.sim.source import TraceSource

from .conftest import make_sim_device


def test_monitor_draws_what_the_device_streams(qtbot):
    t = np.linspace(0, 20, 201)
    device, _, _ = make_sim_device(TraceSource(t, 20 + 0.5 * t))
    device.connect()
    device.start(rate_hz=50, threaded=False)
    window = MonitorWindow(device, "simulator: test")
    qtbot.addWidget(window)
    window.timer.stop()  # the test drives refreshes itself
    window.show()
    device.run_for(10.0)
    window.refresh()
    x, y = window.curve.getData()
    assert len(x) == device.buffer.written == 500
    assert y[-1] > y[0] + 4  # the rising trace is drawn
    assert window.readout.text() == f"{device.buffer.latest(1)['pressure_mmhg'][0]:.1f} mmHg"
    assert "streaming" in window.statusBar().currentMessage()
    device.close()


def test_about_says_it_is_not_a_medical_device():
    assert "not a certified medical device" in DISCLAIMER


def test_monitor_survives_many_redraws(qtbot):
    """Hundreds of redraws of a growing trace (a Qt binding refcount bug once aborted here)."""
    device, _, _ = make_sim_device()
    device.connect()
    device.start(rate_hz=50, threaded=False)
    window = MonitorWindow(device, "simulator: test")
    qtbot.addWidget(window)
    window.timer.stop()
    window.show()
    for _ in range(600):
        device.run_for(0.033)
        window.refresh()
    x, _ = window.curve.getData()
    assert len(x) == device.buffer.written
    device.close()
