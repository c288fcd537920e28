"""The simulated firmware answers commands exactly as PROTOCOL.md says a device must."""

from __future__ import annotations

import numpy as np

from cctf.acquisition import protocol as proto
from cctf.acquisition.decoder import StreamDecoder
from cctf.acquisition.protocol import Ack, AckStatus, FrameType
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.source import ConstantSource


def _booted() -> tuple[SimulatedFirmware, StreamDecoder]:
    fw = SimulatedFirmware(ConstantSource(20.0))
    fw.power_on(0.0)
    dec = StreamDecoder()
    dec.feed(fw.take_output())
    return fw, dec


def _ask(fw, dec, packet: bytes, t_s: float = 0.1) -> list:
    fw.receive(proto.DELIMITER + packet, t_s)
    return dec.feed(fw.advance(t_s))


def test_unknown_command_type_gets_unknown_command():
    fw, dec = _booted()
    frames = _ask(fw, dec, proto.encode_packet(0x41, bytes([7])))
    assert frames == [Ack(0x41, 7, AckStatus.UNKNOWN_COMMAND)]


def test_arguments_to_a_command_without_any_get_bad_length():
    fw, dec = _booted()
    frames = _ask(fw, dec, proto.encode_packet(FrameType.START, bytes([3, 1, 2])))
    assert frames == [Ack(FrameType.START, 3, AckStatus.BAD_LENGTH)]
    assert not fw.streaming


def test_rate_out_of_range_is_refused_and_the_rate_kept():
    fw, dec = _booted()
    frames = _ask(fw, dec, proto.encode(proto.Command(FrameType.SET_RATE, 4,
                                                      proto.set_rate_args(1000))))
    assert frames == [Ack(FrameType.SET_RATE, 4, AckStatus.BAD_ARGUMENT)]
    assert fw.rate_hz == 50


def test_a_corrupt_command_is_ignored_and_bytes_before_the_first_delimiter_dropped():
    fw = SimulatedFirmware(ConstantSource(20.0))
    fw.power_on(0.0)
    fw.take_output()
    good = proto.encode(proto.Command(FrameType.START, 1))
    fw.receive(good, 0.01)  # no leading 0x00 after boot: this is a partial frame
    assert not fw.streaming
    bad = bytearray(proto.DELIMITER + good)
    bad[3] ^= 0x10
    fw.receive(bytes(bad), 0.02)
    assert not fw.streaming and fw.take_output() == b""
    fw.receive(proto.DELIMITER + good, 0.03)
    assert fw.streaming


def test_sampling_is_deadline_based_with_no_drift_over_an_hour():
    fw = SimulatedFirmware(ConstantSource(20.0), default_rate_hz=10)
    fw.power_on(0.0)
    fw.receive(proto.DELIMITER + proto.encode(proto.Command(FrameType.START, 1)), 0.0)
    dec = StreamDecoder()
    t_us = []
    for t in np.arange(0.0, 3600.0, 7.3):  # irregular polling
        t_us += [f.t_us for f in dec.feed(fw.advance(float(t))) if isinstance(f, proto.Sample)]
    t_us += [f.t_us for f in dec.feed(fw.advance(3600.0)) if isinstance(f, proto.Sample)]
    assert len(t_us) == 3600 * 10
    assert t_us[-1] == 3600 * 1_000_000
    assert set(np.diff(t_us)) == {100_000}
