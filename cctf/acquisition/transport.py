"""The one transport boundary: a byte pipe that can be opened, read with a timeout, and lost.

A real serial port, the in-process simulator and a replayed recording all implement
``Transport``, so ``Device`` never knows which it is talking to.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

import serial

from cctf.acquisition.protocol import BAUD_RATE
from cctf.errors import DeviceError, TransportClosed

log = logging.getLogger(__name__)
wire_log = logging.getLogger("cctf.wire")
"""Raw traffic, at DEBUG, in this one place."""


class Transport(Protocol):
    name: str

    def open(self) -> None:
        """Open the link; raise ``DeviceError`` with what to do next if it is not there."""
        ...

    def close(self) -> None:
        """Close the link; safe to call twice or after the link was lost."""
        ...

    def read(self, timeout_s: float) -> bytes:
        """Bytes received, waiting up to ``timeout_s`` for the first; ``b""`` on timeout.

        Raises ``TransportClosed`` when the link is gone (cable pulled, port vanished).
        """
        ...

    def write(self, data: bytes) -> None:
        """Send bytes; raises ``TransportClosed`` when the link is gone."""
        ...


class SerialTransport:
    """A serial port through pyserial (USB CDC on the Arduino, or a pty from ``cctf sim``)."""

    def __init__(self, port: str, baud_rate: int = BAUD_RATE) -> None:
        self.port = port
        self.name = port
        self.baud_rate = baud_rate
        self._serial: serial.Serial | None = None

    def open(self) -> None:
        try:
            self._serial = serial.Serial(self.port, self.baud_rate, timeout=0, write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(
                f"cannot open serial port {self.port}: {exc}. Check that the device is plugged "
                "in, that no other program has the port open, and that you may use it "
                "(on Linux: membership of the 'dialout' group)."
            ) from exc

    def close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                ser.close()

    def read(self, timeout_s: float) -> bytes:
        ser = self._require()
        try:
            ser.timeout = max(0.0, timeout_s)
            data = ser.read(1)
            if data and ser.in_waiting:
                data += ser.read(ser.in_waiting)
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # pyserial raises TypeError/AttributeError from a port closed under it.
            raise TransportClosed(f"lost serial port {self.port}: {exc}") from exc
        if data:
            wire_log.debug("%s <- %s", self.port, data.hex())
        return data

    def write(self, data: bytes) -> None:
        ser = self._require()
        wire_log.debug("%s -> %s", self.port, data.hex())
        try:
            ser.write(data)
        except (serial.SerialException, OSError) as exc:
            raise TransportClosed(f"lost serial port {self.port}: {exc}") from exc

    def _require(self) -> serial.Serial:
        if self._serial is None:
            raise TransportClosed(f"serial port {self.port} is not open")
        return self._serial
