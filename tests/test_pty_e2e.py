"""End to end over a real pseudo-terminal: the simulator's bytes through pyserial to the buffer.

These run in real time (a few seconds each): the point is the OS serial path, the reader
thread and the reconnect logic as they behave with a real port. Waits are on real events
(the buffer's condition variable), never fixed sleeps.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from cctf.acquisition.device import Device
from cctf.acquisition.ports import discover, probe
from cctf.acquisition.transport import SerialTransport
from cctf.errors import DeviceError
from cctf.sim.faults import LinkFaults
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.pty_server import PtyServer
from cctf.sim.source import ConstantSource

pytestmark = pytest.mark.slow


def _serve(faults: LinkFaults | None = None) -> PtyServer:
    return PtyServer(SimulatedFirmware(ConstantSource(20.0, 0.05), faults=faults, seed=5))


def _stream(server: PtyServer, rate_hz: int, n_samples: int, timeout_s: float) -> Device:
    device = Device(SerialTransport(server.port))
    device.connect()
    device.start(rate_hz=rate_hz)
    reached = device.buffer.wait_until_written(n_samples, timeout_s)
    device.close()
    assert reached, f"only {device.buffer.written} of {n_samples} samples arrived"
    return device


@pytest.mark.parametrize("rate_hz", [50, 200])
def test_clean_link_over_a_pty_loses_no_frame(rate_hz):
    with _serve() as server:
        device = _stream(server, rate_hz, n_samples=3 * rate_hz, timeout_s=10)
    rows = device.buffer.read(0).rows
    h = device.health()
    assert (h.corrupt, h.missing, h.resyncs, h.duplicates) == (0, 0, 0, 0)
    assert np.all(np.diff(rows["seq"]) == 1)
    np.testing.assert_allclose(np.diff(rows["t_device_s"]), 1 / rate_hz, atol=2e-6)
    assert np.all(np.diff(rows["t_s"]) > 0)
    # Host time follows the device's timer: spacing is exact, not USB-jittered.
    assert np.std(np.diff(rows["t_s"])) < 2e-4


def test_unplug_replug_over_a_pty_reconnects_within_2_s_and_records_the_gap():
    with _serve(LinkFaults(disconnects_s=((1.0, 1.0),))) as server:
        device = _stream(server, 100, n_samples=400, timeout_s=15)
    kinds = [e.kind for e in device.events]
    assert kinds[:3] == ["disconnected", "reconnected", "gap"], kinds
    disconnected, reconnected, gap = device.events[:3]
    # The cable is out for 1 s; the link must be back within 2 s of the replug.
    assert reconnected.t_s - disconnected.t_s < 1.0 + 2.0
    assert gap.duration_s == pytest.approx(1.0, abs=0.5)
    h = device.health()
    assert h.reconnects == 1 and h.missing == 0 and h.corrupt == 0
    rows = device.buffer.read(0).rows
    assert len(rows[rows["epoch"] == rows["epoch"][0]]) >= 90  # the second before the unplug
    assert np.all(np.diff(rows["t_s"]) > 0)


def test_microcontroller_reset_over_a_pty_resumes_streaming():
    with _serve(LinkFaults(resets_s=(1.0,))) as server:
        device = _stream(server, 100, n_samples=250, timeout_s=15)
    h = device.health()
    assert h.device_resets == 1 and h.missing == 0 and h.reconnects == 0
    rows = device.buffer.read(0).rows
    assert len(set(rows["epoch"])) == 2
    assert np.isclose(np.diff(rows["t_device_s"])[-1], 0.01), "the rate was not re-applied"


def test_port_discovery_marks_the_simulator_and_not_a_silent_port():
    silent_master, silent_slave = os.openpty()
    silent = os.ttyname(silent_slave)
    try:
        with _serve() as server:
            hello = probe(server.port, timeout_s=2.0)
            assert hello.serial == b"SIM00001"
            found = {p.device: p for p in discover([server.port, silent], timeout_s=1.0)}
        assert found[server.port].is_cctf
        assert not found[silent].is_cctf and "no HELLO" in found[silent].error
    finally:
        os.close(silent_master)
        os.close(silent_slave)


def test_opening_a_missing_port_says_what_to_check():
    with pytest.raises(DeviceError, match="Check that the device is plugged in"):
        Device(SerialTransport("/dev/does-not-exist")).connect()
