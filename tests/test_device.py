"""Device lifecycle, commands, faults and reconnection against the in-process simulator.

Everything runs on a VirtualClock without a reader thread, so minutes of streaming take
milliseconds and every outcome is deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest

from cctf.acquisition import protocol as proto
from cctf.acquisition.device import Device
from cctf.acquisition.health import LinkState
from cctf.acquisition.protocol import CalFlags, ResetCause, SampleFlags, SensorModel
from cctf.clock import VirtualClock
from cctf.errors import DeviceError, ProtocolError
from cctf.sim.faults import LinkFaults
from cctf.sim.source import ConstantSource, TraceSource

from .conftest import make_sim_device


def _rows(device: Device) -> np.ndarray:
    return device.buffer.read(0).rows


def test_connect_reads_the_hello_and_lifecycle_states(sim_device):
    device, _firmware, _ = sim_device
    assert device.state == LinkState.CLOSED
    hello = device.connect()
    assert device.state == LinkState.IDLE
    assert hello.serial == b"SIM00001"
    assert hello.sensor_model == SensorModel.SIMULATOR
    assert hello.protocol_version == proto.PROTOCOL_VERSION
    assert hello.sample_rate_hz == 50
    device.start(threaded=False)
    assert device.state == LinkState.STREAMING
    device.run_for(1.0)
    device.stop()
    assert device.state == LinkState.IDLE
    n = device.buffer.written
    device.run_for(1.0)
    assert device.buffer.written == n, "samples kept coming after STOP"
    device.close()
    assert device.state == LinkState.CLOSED


def test_context_manager_connects_and_closes():
    device, _, _ = make_sim_device()
    with device as dev:
        assert dev.state == LinkState.IDLE
    assert device.state == LinkState.CLOSED


@pytest.mark.parametrize("rate_hz", [10, 50, 200])
def test_clean_link_loses_nothing_and_times_are_exact(sim_device, rate_hz):
    device, _, _ = sim_device
    device.connect()
    device.start(rate_hz=rate_hz, threaded=False)
    device.run_for(60.0)
    rows = _rows(device)
    assert abs(len(rows) - 60 * rate_hz) <= 1
    assert np.all(np.diff(rows["seq"]) == 1)
    np.testing.assert_allclose(np.diff(rows["t_device_s"]), 1.0 / rate_hz, atol=2e-6)
    assert np.all(np.diff(rows["t_s"]) > 0)
    h = device.health()
    assert (h.corrupt, h.missing, h.resyncs, h.device_resets, h.reconnects) == (0, 0, 0, 0, 0)
    assert h.rate_hz == pytest.approx(rate_hz, rel=1e-3)


def test_pressure_follows_the_source_through_calibration():
    t = np.linspace(0, 30, 301)
    p = 20 + 5 * np.sin(t / 3)
    device, firmware, _ = make_sim_device(TraceSource(t, p))
    device.connect()
    # A two-point calibration against the simulator's own sensor (as a technician would do
    # with a reference) removes its offset and gain error.
    sensor = firmware.sensor
    raw_lo = int(np.median(sensor.read_raw(np.full(64, 0.0))))
    raw_hi = int(np.median(sensor.read_raw(np.full(64, 40.0))))
    cal = device.write_calibration(raw_lo, 0.0, raw_hi, 40.0)
    assert cal.flags & CalFlags.TWO_POINT
    assert device.read_calibration() == cal
    device.start(rate_hz=100, threaded=False)
    device.run_for(25.0)
    rows = _rows(device)
    # Device time counts from the board's boot, which happened when the port was opened.
    true = np.interp(rows["t_device_s"] + firmware._boot_s, t, p)
    err = rows["pressure_mmhg"] - true
    assert np.sqrt(np.mean(err**2)) < 0.1
    assert not np.any(rows["flags"] & SampleFlags.NOT_CALIBRATED)


def test_uncalibrated_samples_say_so_and_tare_zeroes_atmosphere():
    device, _, _ = make_sim_device(ConstantSource(0.0, noise_mmhg=0.0))
    device.connect()
    factory = device.read_calibration()
    assert factory.flags & CalFlags.TWO_POINT
    device.start(threaded=False)
    device.run_for(1.0)
    assert abs(np.mean(_rows(device)["pressure_mmhg"][-10:])) < 0.05
    assert not np.any(_rows(device)["flags"] & SampleFlags.NOT_CALIBRATED)
    datasheet = device.reset_calibration()
    assert datasheet.calibration_id == factory.calibration_id + 1
    n = device.buffer.written
    device.run_for(1.0)
    rows = device.buffer.read(n).rows
    assert np.all(rows["flags"] & SampleFlags.NOT_CALIBRATED)
    assert abs(np.mean(rows["pressure_mmhg"][-10:])) > 0.3  # the unit's offset error
    cal = device.tare()
    assert cal.flags & CalFlags.TARED
    assert cal.calibration_id == datasheet.calibration_id + 1
    device.run_for(1.0)
    assert abs(np.mean(device.buffer.latest(20)["pressure_mmhg"])) < 0.05


def test_set_rate_changes_the_stream_and_health(sim_device):
    device, _, _ = sim_device
    device.connect()
    device.start(rate_hz=25, threaded=False)
    device.run_for(4.0)
    device.set_rate(200)
    device.run_for(4.0)
    rows = _rows(device)
    dt = np.diff(rows["t_device_s"])
    assert np.any(np.isclose(dt, 0.04)) and np.isclose(dt[-1], 0.005)
    assert device.health().rate_hz == pytest.approx(200, rel=1e-3)


def test_bad_settings_get_clear_errors(sim_device):
    device, _, _ = sim_device
    device.connect()
    with pytest.raises(ValueError, match="rate_hz must be 1–250, got 0"):
        device.set_rate(0)
    with pytest.raises(ProtocolError, match="refused SET_CAL: BAD_ARGUMENT"):
        device.write_calibration(1000, 0.0, 1000, 40.0)


class _Silent:
    """A transport that opens but never answers: a wrong device or a dead board."""

    name = "silent"

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def read(self, timeout_s: float) -> bytes:
        self.clock.sleep(timeout_s)
        return b""

    def write(self, data: bytes) -> None:
        pass


def test_a_device_that_never_answers_gets_a_clear_error():
    clock = VirtualClock()
    silent = _Silent()
    silent.clock = clock
    device = Device(silent, clock=clock, hello_timeout_s=2.0)
    with pytest.raises(DeviceError, match="no HELLO within 2 s"):
        device.connect()
    assert device.state == LinkState.CLOSED


class _BootThenAnswer(_Silent):
    """A board that resets on open and is up before the host's IDENTIFY arrives: its boot
    HELLO and the IDENTIFY answer come back in one read."""

    name = "boot-then-answer"

    def __init__(self) -> None:
        self.out = b""

    def _hello(self, cause: ResetCause) -> bytes:
        return proto.DELIMITER + proto.encode(proto.Hello(
            protocol_version=proto.PROTOCOL_VERSION, firmware_version=(1, 0, 0),
            sensor_model=SensorModel.MPX5010DP, sample_rate_hz=50, calibration_id=0,
            serial=b"CCTF0001", next_seq=0, reset_cause=cause, streaming=False,
            peripherals=0))

    def open(self) -> None:
        self.out = self._hello(ResetCause.EXTERNAL)

    def write(self, data: bytes) -> None:
        self.out += self._hello(ResetCause.REQUEST)

    def read(self, timeout_s: float) -> bytes:
        out, self.out = self.out, b""
        return out


def test_connect_returns_the_hello_that_completed_the_connection():
    """PROTOCOL.md 10.1: whichever HELLO arrives first completes the connection; a boot HELLO's
    cause must not be hidden by the IDENTIFY answer read together with it."""
    clock = VirtualClock()
    board = _BootThenAnswer()
    board.clock = clock
    device = Device(board, clock=clock)
    hello = device.connect()
    assert hello.reset_cause == ResetCause.EXTERNAL
    assert device.hello.reset_cause == ResetCause.REQUEST  # the newest, as before
    assert device.events == [] and device.health().device_resets == 0
    device.close()
    assert device.connect().reset_cause == ResetCause.EXTERNAL  # each connection its own


def test_link_faults_are_counted_and_nothing_else_is_lost():
    faults = LinkFaults(garbage_rate_hz=2.0, corrupt_prob=0.03, drop_prob=0.02)
    device, _, _ = make_sim_device(faults=faults)
    device.connect()
    device.start(rate_hz=100, threaded=False)
    device.run_for(120.0)
    rows = _rows(device)
    h = device.health()
    assert h.corrupt > 100 and h.missing > 300 and h.resyncs > 100
    # Every sequence number the board used is either in the buffer or counted missing.
    span = int(rows["seq"][-1] - rows["seq"][0] + 1)
    assert len(rows) + h.missing == span
    assert np.all(np.diff(rows["seq"]) >= 1)
    assert np.all(np.diff(rows["t_s"]) > 0)
    assert np.all(np.abs(rows["pressure_mmhg"] - 20.0) < 1.0), "a corrupt frame got through"


def test_unplug_and_replug_reconnects_records_the_gap_and_keeps_data():
    device, _, _clock = make_sim_device(faults=LinkFaults(disconnects_s=((30.0, 5.0),)))
    device.connect()
    device.start(rate_hz=50, threaded=False)
    device.run_for(60.0)
    rows = _rows(device)
    h = device.health()
    assert h.reconnects == 1 and h.gaps == 1
    assert h.missing == 0, "a reboot after replug must not count as lost data"
    kinds = [e.kind for e in device.events]
    assert kinds == ["disconnected", "reconnected", "gap"]
    reconnected = device.events[1]
    assert 35.0 <= reconnected.t_s <= 37.0, "must reconnect within 2 s of the replug"
    gap = device.events[2]
    assert gap.duration_s == pytest.approx(5.0, abs=0.5)
    before = rows[rows["t_s"] < 30.0]
    # All but those still in flight (one 50-ms read's worth) when the cable was pulled.
    assert 30.0 * 50 - 4 <= len(before) <= 30.0 * 50, "samples received before the unplug lost"
    assert np.all(np.diff(rows["t_s"]) > 0)
    assert set(rows["epoch"]) == {0, 1}
    assert device.state == LinkState.STREAMING
    assert device.health().rate_hz == pytest.approx(50, rel=1e-3)


def test_device_reset_mid_stream_is_detected_and_streaming_resumes():
    device, firmware, _ = make_sim_device(faults=LinkFaults(resets_s=(20.0,)))
    device.connect()
    device.start(rate_hz=200, threaded=False)  # the reset reverts to 50 Hz: we must re-apply
    device.run_for(40.0)
    rows = _rows(device)
    h = device.health()
    assert h.device_resets == 1 and h.missing == 0 and h.reconnects == 0
    assert [e.kind for e in device.events] == ["device_reset", "gap"]
    assert firmware.boots == 2
    after = rows[rows["epoch"] == rows["epoch"].max()]
    assert after["seq"][0] < 5  # numbering restarted on the device
    assert np.isclose(np.diff(after["t_device_s"])[-1], 0.005), "rate not re-applied"
    assert abs(len(rows) - 40 * 200) < 20
    assert np.all(np.diff(rows["t_s"]) > 0)


def test_boot_hello_cause_is_reported():
    device, _firmware, _ = make_sim_device(faults=LinkFaults(resets_s=(5.0,)))
    device.connect()
    device.start(threaded=False)
    device.run_for(6.0)
    assert device.hello.reset_cause == ResetCause.WATCHDOG


def test_threaded_reader_fills_the_buffer_on_a_virtual_clock():
    device, _, _ = make_sim_device()
    device.connect()
    device.start(rate_hz=200)
    try:
        assert device.buffer.wait_until_written(2000, timeout_s=30.0)
        hello = device.identify()  # commands work while the reader thread owns the port
        assert hello.reset_cause == ResetCause.REQUEST
    finally:
        device.close()
    rows = _rows(device)
    assert np.all(np.diff(rows["seq"]) == 1)
    assert device.health().missing == 0


def _steps_for(device: Device, clock: VirtualClock, duration_s: float) -> int:
    end, steps = clock.now() + duration_s, 0
    while clock.now() < end:
        device.reader_step()
        steps += 1
    return steps


def test_batched_reads_wake_less_often_and_lose_nothing():
    """A minimised app sets ``read_batch_s``: the reader takes a batch per wake-up instead of
    reading whenever bytes arrive, and every sample still arrives with its own time."""
    counts = {}
    for batch_s in (0.0, 0.2):
        device, _, clock = make_sim_device()
        device.connect()
        device.start(rate_hz=200, threaded=False)
        device.read_batch_s = batch_s
        start = device.buffer.written
        counts[batch_s] = _steps_for(device, clock, 10.0)
        device.read_batch_s = 0.0
        device.run_for(0.2)  # the tail of the last batch
        rows = _rows(device)[start:]
        assert np.all(np.diff(rows["seq"]) == 1)
        np.testing.assert_allclose(np.diff(rows["t_device_s"]), 1 / 200, atol=2e-6)
        assert np.all(np.diff(rows["t_s"]) > 0)
        assert len(rows) >= 10 * 200
        assert device.health().missing == 0
        device.close()
    assert counts[0.2] * 3 <= counts[0.0]


def test_on_samples_is_called_once_samples_are_readable(sim_device):
    """The app's frame pacer is woken this way (issue 14): each call comes after the buffer
    holds the new samples, never for a read that brought none."""
    device, _, _ = sim_device
    device.connect()
    seen: list[int] = []
    device.on_samples = lambda: seen.append(device.buffer.written)
    device.pump(0.05)  # the link is up, nothing streams yet
    assert seen == []
    device.start(rate_hz=50, threaded=False)
    device.run_for(1.0)
    assert seen and seen == sorted(set(seen))  # a call per read that added samples
    assert seen[-1] == device.buffer.written >= 49
