"""Shared fixtures. Qt runs offscreen: CI has no display."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest

from cctf.acquisition.device import Device
from cctf.clock import VirtualClock
from cctf.sim.faults import LinkFaults
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.source import ConstantSource, PressureSource
from cctf.sim.transport import SimTransport

REPO = Path(__file__).resolve().parents[1]


def make_sim_device(
    source: PressureSource | None = None,
    faults: LinkFaults | None = None,
    *,
    seed: int = 1,
    **device_kwargs: object,
) -> tuple[Device, SimulatedFirmware, VirtualClock]:
    """An in-process simulated device on a virtual clock, not yet connected."""
    clock = VirtualClock()
    firmware = SimulatedFirmware(source or ConstantSource(20.0), faults=faults, seed=seed)
    device = Device(SimTransport(firmware, clock), clock=clock, **device_kwargs)
    return device, firmware, clock


@pytest.fixture
def sim_device():
    device, firmware, clock = make_sim_device()
    yield device, firmware, clock
    device.close()


@pytest.fixture
def records_app(qtbot, tmp_path, monkeypatch):
    """The app over real records in a temporary data folder, its settings in another."""
    from .gui_helpers import make_app

    monkeypatch.setenv("CCTF_CONFIG_DIR", str(tmp_path / "config"))
    controller, window = make_app(qtbot, tmp_path / "data", open_records=True)
    yield controller, window
    controller.shutdown()
