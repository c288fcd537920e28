"""LSL for tests: a recording stand-in for pylsl (no sockets) and a real pylsl inlet on this
machine (tests/lsl_inlet.py in a child process, discovery kept to localhost)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from cctf.acquisition.lsl import LslOutlet, StreamSource

from .conftest import REPO


class _Xml:
    def __init__(self) -> None:
        self.children: list[tuple[str, _Xml]] = []
        self.values: dict[str, str] = {}

    def append_child(self, name: str) -> _Xml:
        child = _Xml()
        self.children.append((name, child))
        return child

    def append_child_value(self, key: str, value: str) -> _Xml:
        self.values[key] = value
        return self


class FakeInfo:
    def __init__(self, name, type_, channels, rate, fmt, source_id) -> None:
        self.name, self.type, self.rate, self.source_id = name, type_, rate, source_id
        self.channels = channels
        self._desc = _Xml()

    def desc(self) -> _Xml:
        return self._desc


class FakeOutlet:
    """Keeps what was pushed: ``rows`` (chunks), ``stamps``, ``markers`` (stamp, text)."""

    made: ClassVar[list[FakeOutlet]] = []

    def __init__(self, info: FakeInfo) -> None:
        self.info = info
        self.rows: list[list[float]] = []
        self.stamps: list[float] = []
        self.markers: list[tuple[float, str]] = []
        FakeOutlet.made.append(self)

    @property
    def values(self) -> list[float]:
        """The first channel of every row."""
        return [r[0] for r in self.rows]

    def push_chunk(self, values, stamps) -> None:
        self.rows += [list(v) for v in values]
        self.stamps += list(stamps)

    def push_sample(self, x, stamp) -> None:
        self.markers.append((stamp, x[0]))

    def have_consumers(self) -> bool:
        return False


FAKE = types.SimpleNamespace(StreamInfo=FakeInfo, StreamOutlet=FakeOutlet, cf_float32=1,
                             cf_string=3, IRREGULAR_RATE=0.0)


def use_fake(controller, local_clock: Callable[[], float]) -> None:
    """The app's LSL switch opens outlets on the fake, stamped by ``local_clock``."""
    FakeOutlet.made.clear()
    FAKE.local_clock = local_clock
    controller.lsl.opener = lambda dev, rate: LslOutlet(StreamSource.of_device(dev, rate),
                                                        dev.clock, pylsl=FAKE)


def real_inlet(tmp_path: Path, serial: str = "SIM00001"
               ) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """A real inlet waiting for ``serial``'s streams, and the environment a recording must
    run in to be found by it (discovery on this machine, asking localhost directly; IPv4
    only, for CI containers without IPv6 or multicast routes)."""
    cfg = tmp_path / "lsl.cfg"
    cfg.write_text("[ports]\nIPv6 = disable\n[lab]\nResolveScope = machine\n"
                   "KnownPeers = {127.0.0.1}\n")
    env = {**os.environ, "LSLAPICFG": str(cfg)}
    inlet = subprocess.Popen([sys.executable, str(REPO / "tests" / "lsl_inlet.py"), serial],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, cwd=REPO, env=env)
    return inlet, env
