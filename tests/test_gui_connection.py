"""The connection bar: port discovery off the UI thread, connecting, and a lost link shown as
"reconnecting" (never a dialog) while recording carries on."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from cctf.acquisition.ports import PortInfo
from cctf.gui.connection_bar import SIM, ConnectionBar
from cctf.gui.controller import AppController
from cctf.gui.main import auto_connect
from cctf.gui.simlink import attach_virtual_sim
from cctf.sessionfile import read_session
from cctf.sim.faults import LinkFaults
from cctf.sim.scenarios import load_scenario

from .gui_helpers import make_app


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, exposed=False)
    yield controller, window
    controller.shutdown()


def _dialogs() -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def test_a_pulled_cable_shows_reconnecting_then_streaming_and_recording_continues(qtbot, app):
    controller, window = app
    window.tabs.setCurrentWidget(window.monitor)
    scenario = dataclasses.replace(load_scenario("healthy"),
                                   link=LinkFaults(disconnects_s=((30.0, 2.0),)))
    attach_virtual_sim(controller, scenario)
    bar = window.bar
    controller.run_virtual(25.0, 0.1)
    assert bar.state.text() == "Streaming"
    assert controller.start_recording()
    states = []
    while controller.device.clock.now() < 40.0:
        controller.run_virtual(0.1, 0.1)
        if not states or states[-1] != bar.state.text():
            states.append(bar.state.text())
        assert not _dialogs()
    # Back on the link, the bar says "No data" until samples flow again (never stale "Streaming").
    assert states == ["Streaming", "Reconnecting…", "No data:", "Streaming"]
    assert "1 reconnect" in bar.details.text() and "1 reconnects" not in bar.details.text()
    assert any(m.kind == "link" for m in controller.markers)  # the gap is marked on the trace
    controller.stop_recording()
    report = controller.last_report
    assert report.recorder.join(10.0)
    rec = read_session(report.path)
    back_s = 33.0 - report.t0_display_s  # the link is back by then (file time)
    assert (rec.t_s > back_s).sum() >= 6 * 50  # recording carried on after the gap
    assert "disconnected@" in rec.metadata["link_events"]
    assert rec.metadata["link_reconnects"] == "1"


def test_a_silent_reboot_shows_reconnecting_not_streaming_then_streams_again(qtbot, app):
    """A watchdog reset whose boot HELLO is lost: the port stays open and nothing arrives. The
    bar says "Reconnecting…" until the host has the stream back (PROTOCOL.md 10.5)."""
    controller, window = app
    scenario = dataclasses.replace(load_scenario("healthy"), link=LinkFaults(
        resets_s=(30.0,), boot_hello_loss_prob=1.0))
    attach_virtual_sim(controller, scenario)
    bar = window.bar
    controller.run_virtual(25.0, 0.1)
    assert bar.state.text() == "Streaming"
    states = []
    while controller.device.clock.now() < 35.0:
        controller.run_virtual(0.05, 0.05)
        if not states or states[-1] != bar.state.text():
            states.append(bar.state.text())
    assert states == ["Streaming", "Reconnecting…", "Streaming"]
    assert controller.device.health().device_resets == 1


def test_port_enumeration_never_blocks_the_ui(qtbot, tmp_path):
    release = threading.Event()

    def slow_discover():
        release.wait(5.0)
        return [PortInfo("/dev/ttyUSB7", "USB serial"),
                PortInfo("/dev/ttyACM0", "Arduino Uno", hello=_FakeHello())]

    controller = AppController(data_dir=tmp_path, discover_fn=slow_discover)
    bar = ConnectionBar(controller)
    qtbot.addWidget(bar)
    controller.discover_ports()  # returns at once; the probe runs on a worker thread
    assert controller.discovering
    assert bar.source.itemText(0) == "Searching…" and not bar.refresh_button.isEnabled()
    release.set()
    qtbot.waitUntil(lambda: not controller.discovering, timeout=5000)
    items = [bar.source.itemText(i) for i in range(bar.source.count())]
    assert items[0] == "/dev/ttyACM0 — cctf device CCTF0042"  # cctf devices first
    assert items[1].startswith("/dev/ttyUSB7") and "no cctf answer" in items[1]
    assert items[2] == "Simulator (no hardware)"
    assert bar.refresh_button.isEnabled()


class _FakeHello:
    serial_text = "CCTF0042"


def test_no_device_found_offers_the_simulator(qtbot, app):
    controller, window = app
    auto_connect(controller, window.bar)
    qtbot.waitUntil(lambda: not controller.discovering, timeout=5000)
    assert window.bar.source.currentData() == SIM
    assert window.bar.scenario.isVisible()
    assert "No cctf device found" in window.statusBar().currentMessage()
    assert controller.device is None  # offered, not forced


def test_connecting_to_the_simulator_runs_the_real_threads(qtbot, app):
    """The app's own path: connect on a worker thread, the device's reader thread streams."""
    controller, window = app
    bar = window.bar
    bar.choose_simulator("healthy")
    controller.start()
    bar.connect_button.click()
    assert controller.connecting and bar.state.text() == "Connecting…"
    qtbot.waitUntil(lambda: controller.device is not None, timeout=5000)
    qtbot.waitUntil(lambda: len(controller.history) > 5, timeout=5000)
    qtbot.waitUntil(lambda: bar.state.text() == "Streaming", timeout=5000)
    assert bar.connect_button.text() == "Disconnect" and not bar.source.isEnabled()
    bar.connect_button.click()
    assert controller.device is None and bar.state.text() == "Not connected"


def test_a_port_that_cannot_open_is_reported_in_the_bar_not_a_dialog(qtbot, app, tmp_path):
    controller, window = app
    controller.connect_port(str(tmp_path / "no-such-port"))
    qtbot.waitUntil(lambda: not controller.connecting, timeout=5000)
    assert controller.device is None
    assert "Could not connect" in window.bar.details.text()
    assert not _dialogs()
