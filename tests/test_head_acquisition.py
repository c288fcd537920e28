"""The optional head-motion sensor on the host (issue 17, HEAD-PROTOCOL.md): HELLO's peripherals
byte, HEAD frames paired to their SAMPLE by seq, never 0 and never carried over when missing,
host zeroing, the CSV columns, and old devices and files unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from cctf.acquisition import protocol as P
from cctf.acquisition.decoder import StreamDecoder
from cctf.acquisition.device import Device
from cctf.acquisition.head_zero import HeadZeroing, parse_neutral
from cctf.acquisition.recorder import SessionRecorder
from cctf.clock import VirtualClock
from cctf.errors import FileFormatError
from cctf.sessionfile import read_session
from cctf.sim.faults import LinkFaults
from cctf.sim.firmware import HEAD_SETTLE_S, SimulatedFirmware
from cctf.sim.source import ConstantSource
from cctf.sim.transport import SimTransport


def _trace(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A head that rests 2 s at (3°, -1°), then nods 6° over 2 s and holds."""
    t = np.asarray(t, dtype=float)
    pitch = 3.0 + 6.0 * np.clip((t - 3.0) / 2.0, 0.0, 1.0)
    return pitch, np.full(len(t), -1.0)


class _Choppy:
    """A transport that hands the device at most ``piece`` bytes per read, so a HEAD frame is
    often split from its SAMPLE across reads (as a USB-serial adapter may do)."""

    def __init__(self, inner: SimTransport, piece: int) -> None:
        self.inner, self.piece, self.name = inner, piece, inner.name
        self._pending = b""

    def open(self) -> None:
        self._pending = b""
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def write(self, data: bytes) -> None:
        self.inner.write(data)

    def read(self, timeout_s: float) -> bytes:
        if not self._pending:
            self._pending = self.inner.read(timeout_s)
        out, self._pending = self._pending[: self.piece], self._pending[self.piece :]
        return out


def _device(head=_trace, *, faults=None, legacy=False, piece=None, rate_hz=50):
    clock = VirtualClock()
    fw = SimulatedFirmware(ConstantSource(20.0), faults=faults, seed=2, head=head,
                           legacy_hello=legacy)
    transport = SimTransport(fw, clock)
    device = Device(transport if piece is None else _Choppy(transport, piece), clock=clock)
    device.connect()
    device.start(rate_hz=rate_hz, threaded=False)
    return device, fw


def _expected_at(device: Device, rows: np.ndarray) -> np.ndarray:
    """The scripted pitch at each row's device time (the sim's device clock starts at boot)."""
    return _trace(rows["t_device_s"])[0]


def test_hello_reports_the_sensor_and_an_old_hello_means_none():
    device, _ = _device()
    assert device.hello.head_sensor and device.hello.peripherals == 1
    old, _ = _device(head=None, legacy=True)
    assert old.hello.peripherals is None and not old.hello.head_sensor
    new_without, _ = _device(head=None)
    assert new_without.hello.peripherals == 0 and not new_without.hello.head_sensor


@pytest.mark.parametrize("piece", [None, 1, 7, 23])
def test_each_sample_gets_the_angles_of_its_own_instant(piece):
    device, _ = _device(piece=piece)
    device.run_for(8.0)
    rows = device.buffer.read(0).rows
    assert len(rows) >= 390
    measured = np.isfinite(rows["head_pitch_deg"])
    settling = rows["t_device_s"] < rows["t_device_s"][0] + HEAD_SETTLE_S - 0.03
    assert not measured[settling].any(), "a settling reading is not a measurement"
    assert measured[~settling][1:-1].all(), "every HEAD was sent: every sample has its angle"
    np.testing.assert_allclose(rows["head_pitch_deg"][measured],
                               _expected_at(device, rows)[measured], atol=0.006)
    np.testing.assert_allclose(rows["head_roll_deg"][measured], -1.0, atol=0.006)


def test_a_lost_head_frame_is_not_measured_never_zero_never_carried():
    device, _ = _device(faults=LinkFaults(drop_prob=0.2))
    device.run_for(10.0)
    rows = device.buffer.read(0).rows
    late = rows["t_device_s"] > 1.0
    pitch = rows["head_pitch_deg"][late]
    missing = ~np.isfinite(pitch)
    assert 0.1 < missing.mean() < 0.35  # HEADs dropped on their own, ~20 %
    assert not np.any(pitch[~missing] == 0.0)
    # every value present is its own sample's: none repeats the previous sample's angle
    np.testing.assert_allclose(pitch[~missing], _expected_at(device, rows[late])[~missing],
                               atol=0.006)


def test_sensor_fault_reads_as_not_measured():
    def faulty(t):
        pitch, roll = _trace(t)
        pitch[(t > 4.0) & (t < 5.0)] = np.nan  # the sensor stopped answering
        return pitch, roll

    device, _ = _device(head=faulty)
    device.run_for(7.0)
    rows = device.buffer.read(0).rows
    window = (rows["t_device_s"] > 4.05) & (rows["t_device_s"] < 4.95)
    assert window.sum() > 40 and np.isnan(rows["head_pitch_deg"][window]).all()
    assert np.isfinite(rows["head_pitch_deg"][rows["t_device_s"] > 5.05]).all()


def test_an_old_device_streams_exactly_as_before():
    device, _ = _device(head=None, legacy=True)
    device.run_for(3.0)
    rows = device.buffer.read(0).rows
    assert len(rows) >= 145 and np.isnan(rows["head_pitch_deg"]).all()
    np.testing.assert_allclose(rows["pressure_mmhg"], 20.0, atol=0.1)


def test_decoder_passes_head_frames_without_touching_sequence_accounting():
    stream = b"\x00" + b"".join(
        P.encode(P.Sample(s, s * 20_000, 100, 20.0, P.SampleFlags.NONE))
        + P.encode(P.Head(s, 1.0 * s, 0.5, P.HeadFlags.NONE)) for s in range(10))
    dec = StreamDecoder()
    frames = dec.feed(stream)
    assert [type(f).__name__ for f in frames] == ["Sample", "Head"] * 10
    assert dec.stats.missing == dec.stats.corrupt == dec.stats.unknown == 0
    assert dec.stats.samples_ok == 10


# --- zeroing --------------------------------------------------------------------------------


def _still_then_nod(rate_hz: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 12.0, 1.0 / rate_hz)
    pitch = 4.0 + 0.05 * rng.standard_normal(len(t))
    pitch[t < 1.5] += 3.0 * np.sin(t[t < 1.5] * 4)  # settling in: moving
    pitch[t > 6.0] += 5.0  # nodding afterwards
    roll = -1.0 + 0.05 * rng.standard_normal(len(t))
    return t, pitch, roll


@pytest.mark.parametrize("rate_hz", [10, 50, 250])
def test_zeroing_finds_the_first_still_two_seconds(rate_hz):
    t, pitch, roll = _still_then_nod(rate_hz)
    neutral = HeadZeroing().feed(t, pitch, roll)
    assert neutral is not None
    assert neutral.to_s - neutral.from_s == pytest.approx(2.0, abs=1e-6)
    assert 1.0 < neutral.from_s < 3.0
    assert neutral.pitch_deg == pytest.approx(4.0, abs=0.05)
    assert neutral.roll_deg == pytest.approx(-1.0, abs=0.05)
    assert parse_neutral(neutral.metadata_value()) == pytest.approx(
        (neutral.pitch_deg, neutral.roll_deg), abs=0.006)


def test_zeroing_is_the_same_sample_by_sample_in_chunks_and_at_once():
    t, pitch, roll = _still_then_nod(50, seed=3)
    whole = HeadZeroing().feed(t, pitch, roll)
    for step in (1, 7, 64):
        z = HeadZeroing()
        for i in range(0, len(t), step):
            z.feed(t[i:i + step], pitch[i:i + step], roll[i:i + step])
        assert z.neutral == whole


def test_zeroing_refuses_movement_gaps_and_missing_readings():
    t = np.arange(0.0, 10.0, 0.02)
    moving = 4.0 + 2.0 * np.sin(3.0 * t)  # a slow continuous nodding, never still
    assert HeadZeroing().feed(t, moving, np.zeros(len(t))) is None
    still = np.full(len(t), 4.0)
    holes = still.copy()
    holes[::90] = np.nan  # one missing reading every 1.8 s: never 2 s in a row
    assert HeadZeroing().feed(t, holes, np.zeros(len(t))) is None
    gappy_t = np.concatenate([np.arange(0, 1.5, 0.02), np.arange(1.8, 3.2, 0.02)])
    assert HeadZeroing().feed(gappy_t, np.full(len(gappy_t), 4.0),
                              np.zeros(len(gappy_t))) is None


# --- the session file ---------------------------------------------------------------------------


def _record(tmp_path, device: Device, seconds: float):
    rec = SessionRecorder(device, tmp_path / "s.csv", flush_interval_s=0.5)
    rec.start()
    device.run_for(seconds)
    rec.close()
    return rec, read_session(tmp_path / "s.csv")


def test_recording_with_a_sensor_has_zeroed_angle_columns(tmp_path):
    device, _ = _device()
    rec, recording = _record(tmp_path, device, 8.0)
    header = (tmp_path / "s.csv").read_text().split("\n")
    columns = next(line for line in header if not line.startswith("#"))
    assert columns.endswith(",raw,flags,seq,head_pitch_deg,head_roll_deg")
    assert recording.has_head
    assert parse_neutral(recording.metadata["head_neutral_deg"]) == pytest.approx((3.0, -1.0),
                                                                                  abs=0.01)
    pitch = recording.head_pitch_deg
    zeroed = np.isfinite(pitch)
    # nothing before the still window is complete; after it, flexion from neutral
    assert not zeroed[recording.t_s <= rec.head_neutral.to_s].any()
    after = recording.t_s > rec.head_neutral.to_s + 0.05
    assert zeroed[after].all()
    held = recording.t_s > 6.0
    np.testing.assert_allclose(pitch[held], 6.0, atol=0.02)
    np.testing.assert_allclose(recording.head_roll_deg[after], 0.0, atol=0.02)


def test_a_given_neutral_is_used_and_written(tmp_path):
    from cctf.acquisition.head_zero import HeadNeutral

    device, _ = _device()
    rec = SessionRecorder(device, tmp_path / "s.csv", head_neutral=HeadNeutral(2.0, 0.0, 0, 2))
    rec.start()
    device.run_for(6.0)
    rec.close()
    recording = read_session(tmp_path / "s.csv")
    assert recording.metadata["head_neutral_deg"] == "pitch 2.00 roll 0.00"
    late = recording.t_s > 1.0
    assert np.isfinite(recording.head_pitch_deg[late]).all()
    np.testing.assert_allclose(recording.head_roll_deg[late], -1.0, atol=0.02)


def test_without_a_sensor_the_file_is_as_before(tmp_path):
    device, _ = _device(head=None)
    _, recording = _record(tmp_path, device, 3.0)
    text = (tmp_path / "s.csv").read_text()
    assert "head_" not in text
    assert not recording.has_head and recording.head_pitch_deg is None


def test_reader_accepts_blank_angles_and_refuses_nonsense(tmp_path):
    good = tmp_path / "g.csv"
    good.write_text("# cctf_session_format: 1\n"
                    "t_s,pressure_mmhg,target_mmhg,phase,head_pitch_deg,head_roll_deg\n"
                    "0.0,20.0,,,,\n0.02,20.1,,,1.25,-0.50\n")
    rec = read_session(good, keep_extra=False)
    assert np.isnan(rec.head_pitch_deg[0]) and rec.head_pitch_deg[1] == 1.25
    assert rec.head_roll_deg[1] == -0.5
    for body, why in (("0.0,20.0,,,abc,1\n", "head_pitch_deg"),
                      ("0.0,20.0,,,400,1\n", "outside")):
        bad = tmp_path / "b.csv"
        bad.write_text("# cctf_session_format: 1\n"
                       "t_s,pressure_mmhg,target_mmhg,phase,head_pitch_deg,head_roll_deg\n" + body)
        with pytest.raises(FileFormatError, match=why):
            read_session(bad)
    lone = tmp_path / "l.csv"
    lone.write_text("# cctf_session_format: 1\nt_s,pressure_mmhg,target_mmhg,phase,"
                    "head_pitch_deg\n0.0,20.0,,,1\n")
    with pytest.raises(FileFormatError, match="partner"):
        read_session(lone)
