"""The simulator as an in-process transport, on any clock (a virtual one runs faster than life).

``SimTransport.read`` runs the simulated board up to the clock's present and returns its bytes;
if there are none it sleeps (on the injected clock) until the board's next sample is due.
Like an Arduino Uno, the board reboots when the port is opened (DTR reset).
"""

from __future__ import annotations

import logging

from cctf.clock import Clock, VirtualClock
from cctf.errors import DeviceError, TransportClosed
from cctf.sim.firmware import SimulatedFirmware

log = logging.getLogger(__name__)


class SimTransport:
    """A ``Transport`` over a ``SimulatedFirmware``; time is ``clock.now() - origin``."""

    def __init__(
        self,
        firmware: SimulatedFirmware,
        clock: Clock | None = None,
        *,
        reset_on_open: bool = True,
        name: str = "sim",
    ) -> None:
        self.firmware = firmware
        self.clock = clock or VirtualClock()
        self.origin_s = self.clock.now()
        self.reset_on_open = reset_on_open
        self.name = name
        self._open = False

    def sim_time_s(self) -> float:
        return self.clock.now() - self.origin_s

    def open(self) -> None:
        t = self.sim_time_s()
        self.firmware.advance(t)  # let scheduled faults (a pulled cable) take effect
        if not self.firmware.connected:
            raise DeviceError(f"{self.name}: no device (the simulated cable is unplugged)")
        if self.reset_on_open or not self.firmware.powered:
            self.firmware.power_on(t)
        self._open = True

    def close(self) -> None:
        self._open = False

    def read(self, timeout_s: float) -> bytes:
        self._require()
        deadline = self.sim_time_s() + max(0.0, timeout_s)
        while True:
            data = self.firmware.advance(self.sim_time_s())
            if not self.firmware.connected:
                self._open = False
                raise TransportClosed(f"{self.name}: device disconnected")
            if data:
                return data
            now = self.sim_time_s()
            if now >= deadline:
                return b""
            # On a real clock wake for the next sample (low latency); on a virtual clock jump to
            # the deadline and deliver the whole batch, as a USB-serial adapter would.
            until = deadline if getattr(self.clock, "instant_sleep", False) else min(
                deadline, self.firmware.next_event_s())
            self.clock.sleep(max(until - now, 1e-6))

    def write(self, data: bytes) -> None:
        self._require()
        self.firmware.receive(data, self.sim_time_s())

    def _require(self) -> None:
        if not self._open:
            raise TransportClosed(f"{self.name}: not open")
