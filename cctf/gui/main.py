"""Start the desktop app on a device or the simulator."""

from __future__ import annotations

import logging
import sys

from cctf.acquisition.device import Device
from cctf.acquisition.transport import SerialTransport, Transport
from cctf.clock import MonotonicClock

log = logging.getLogger(__name__)


def open_device(sim: str | None, port: str | None) -> tuple[Device, str]:
    """A connected, streaming device: the serial port if given, else the simulator."""
    clock = MonotonicClock()
    transport: Transport
    if port:
        transport, label = SerialTransport(port), port
    else:
        from cctf.sim.factory import build_transport

        scenario = sim or "healthy"
        transport, label = build_transport(scenario, clock, autocue=True), f"simulator: {scenario}"
    device = Device(transport, clock=clock)
    device.connect()
    device.start()
    return device, label


def run_app(sim: str | None = None, port: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from cctf.gui.monitor import MonitorWindow

    device, label = open_device(sim, port)
    app = QApplication.instance() or QApplication(sys.argv)
    window = MonitorWindow(device, label)
    window.show()
    try:
        return app.exec()
    finally:
        device.close()
