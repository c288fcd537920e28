"""Port discovery: list serial ports and find out which ones are cctf devices.

Probing opens each port and waits for a HELLO (asking with IDENTIFY). Opening an Arduino Uno
resets it, so a probe takes up to ``timeout_s``; all ports are probed in parallel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from serial.tools import list_ports

from cctf.acquisition.device import Device
from cctf.acquisition.protocol import Hello
from cctf.acquisition.transport import SerialTransport
from cctf.errors import CctfError, VersionMismatch

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PortInfo:
    device: str
    description: str
    hello: Hello | None = None
    error: str = ""
    foreign_version: int | None = None  # a cctf device of another protocol version: refused

    @property
    def is_cctf(self) -> bool:
        return self.hello is not None


def probe(port: str, timeout_s: float = 2.5) -> Hello:
    """Open ``port``, return the device's HELLO; raises ``CctfError`` if none comes."""
    device = Device(
        SerialTransport(port), auto_reconnect=False, hello_timeout_s=timeout_s,
        command_timeout_s=0.5, command_attempts=1,
    )
    try:
        return device.connect()
    finally:
        device.close()


def discover(
    extra_ports: Sequence[str] = (), *, probe_ports: bool = True, timeout_s: float = 2.5
) -> list[PortInfo]:
    """Every serial port the OS lists (plus ``extra_ports``), marked if it answers a HELLO."""
    found = [(p.device, p.description or "") for p in list_ports.comports()]
    for extra in extra_ports:
        if extra not in [d for d, _ in found]:
            found.append((extra, "given on the command line"))
    if not probe_ports or not found:
        return [PortInfo(d, desc) for d, desc in found]

    def check(item: tuple[str, str]) -> PortInfo:
        dev, desc = item
        try:
            return PortInfo(dev, desc, hello=probe(dev, timeout_s))
        except VersionMismatch as exc:  # section 13: say so clearly, not "no answer"
            return PortInfo(dev, desc, error=str(exc), foreign_version=exc.version)
        except CctfError as exc:
            log.debug("probe of %s: %s", dev, exc)
            return PortInfo(dev, desc, error=str(exc))

    with ThreadPoolExecutor(max_workers=min(8, len(found))) as pool:
        return list(pool.map(check, found))
