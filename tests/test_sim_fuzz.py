"""The simulator's command handler under fuzzing (PROTOCOL.md sections 3.4, 6, 8): random bytes,
random CRC-valid commands of every type and length, and SET_CAL with extreme arguments. Never an
exception, always the spec's answer (worked out here independently), streaming goes on.

The firmware's own handler gets the same treatment in firmware/test/test_fuzz.c.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctf.acquisition import protocol as P
from cctf.acquisition.decoder import StreamDecoder
from cctf.acquisition.protocol import Ack, AckStatus, Calibration, FrameType, Hello, Sample
from cctf.acquisition.protocol import SampleFlags as F
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.source import ConstantSource

I32_MIN, I32_MAX = -(2**31), 2**31 - 1
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NO_ARGS = {FrameType.START, FrameType.STOP, FrameType.TARE, FrameType.GET_CAL,
           FrameType.IDENTIFY, FrameType.RESET_CAL}
CAL_DATA = {FrameType.TARE, FrameType.GET_CAL, FrameType.SET_CAL, FrameType.RESET_CAL}

extreme_i32 = st.one_of(
    st.sampled_from([I32_MIN, I32_MIN + 1, -65536, -2, -1, 0, 1, 2, 3, 65536, I32_MAX - 1,
                     I32_MAX]),
    st.integers(I32_MIN, I32_MAX),
)


def spec_round(x: Fraction) -> int:
    n = abs(x)
    whole = int(n) + (1 if n - int(n) >= Fraction(1, 2) else 0)
    return whole if x >= 0 else -whole


def spec_status(ftype: int, args: bytes) -> AckStatus:
    """The answer section 6 gives a CRC-valid command with a token."""
    if ftype >= 0x28:
        return AckStatus.UNKNOWN_COMMAND
    if ftype == FrameType.SET_RATE:
        if len(args) != 2:
            return AckStatus.BAD_LENGTH
        rate = int.from_bytes(args, "little")
        return AckStatus.OK if 1 <= rate <= 250 else AckStatus.BAD_ARGUMENT
    if ftype == FrameType.SET_CAL:
        if len(args) != 16:
            return AckStatus.BAD_LENGTH
        ra, pa, rb, pb = (int.from_bytes(args[i:i + 4], "little", signed=True)
                          for i in range(0, 16, 4))
        if ra == rb or pa == pb:
            return AckStatus.BAD_ARGUMENT
        zero = ra - spec_round(Fraction(pa * (rb - ra), pb - pa))
        return AckStatus.OK if I32_MIN <= zero <= I32_MAX else AckStatus.BAD_ARGUMENT
    return AckStatus.BAD_LENGTH if args else AckStatus.OK


class Bench:
    """A simulated board, a clock and a decoder of everything it says."""

    def __init__(self) -> None:
        self.fw = SimulatedFirmware(ConstantSource(0.0), seed=2)
        self.t = 0.0
        self.fw.power_on(0.0)
        self.dec = StreamDecoder()
        self.dec.feed(self.fw.take_output())

    def send(self, data: bytes, wait_s: float = 0.0) -> list:
        self.fw.receive(data, self.t)
        out = self.dec.feed(self.fw.take_output())
        if wait_s:
            self.t += wait_s
            out += self.dec.feed(self.fw.advance(self.t))
        return out

    def streams(self) -> bool:
        out = self.send(b"\x00" + P.encode(P.Command(FrameType.START, 1)), wait_s=2.5)
        return sum(isinstance(f, Sample) for f in out) >= 2


def _acks(out: list) -> list[Ack]:
    return [f for f in out if isinstance(f, Ack)]


@FUZZ
@given(st.lists(st.binary(min_size=1, max_size=200), min_size=1, max_size=8))
def test_random_bytes_never_crash_and_a_command_after_one_zero_is_answered(bursts):
    bench = Bench()
    for junk in bursts:
        bench.send(junk, wait_s=0.3 if b"\x00" in junk else 0.0)  # a fluke TARE completes
        out = bench.send(b"\x00" + P.encode(P.Command(FrameType.GET_CAL, 77)), wait_s=0.01)
        assert [a.token for a in _acks(out) if a.command == FrameType.GET_CAL][-1:] == [77]
    assert bench.streams()


commands = st.tuples(
    st.one_of(st.integers(0x20, 0x27), st.integers(0x20, 0xFF)),
    st.integers(0, 255),
    st.one_of(st.binary(max_size=60), st.binary(min_size=2, max_size=2),
              st.binary(min_size=16, max_size=16)),
)


@FUZZ
@given(st.lists(commands, min_size=1, max_size=12))
def test_random_crc_valid_commands_get_the_spec_answer(cmds):
    bench = Bench()
    for ftype, token, args in cmds:
        if ftype in NO_ARGS and len(args) in (2, 16):
            args = b""
        want = spec_status(ftype, args)
        # wait out a TARE's window at the slowest rate (1 Hz: one reading)
        wait_s = 1.1 if ftype == FrameType.TARE else 0.01
        out = bench.send(b"\x00" + P.encode_packet(ftype, bytes([token]) + args), wait_s=wait_s)
        acks = _acks(out)
        assert len(acks) == 1, (hex(ftype), args.hex(), acks)
        ack = acks[0]
        assert (ack.command, ack.token, ack.status) == (ftype, token, want)
        if want != AckStatus.OK:
            assert ack.data == b""
        elif ftype in CAL_DATA:
            Calibration.parse(ack.data)
        elif ftype == FrameType.SET_RATE:
            assert ack.data == args
        hellos = [f for f in out if isinstance(f, Hello)]
        assert len(hellos) == (ftype == FrameType.IDENTIFY and want == AckStatus.OK)
    assert bench.streams()


@FUZZ
@given(st.lists(st.tuples(extreme_i32, extreme_i32, extreme_i32, extreme_i32), min_size=1,
                max_size=6), st.booleans())
def test_set_cal_with_extreme_arguments_answers_as_specified_and_streaming_goes_on(points, on):
    bench = Bench()
    if on:
        bench.streams()
    for ra, pa, rb, pb in points:
        args = b"".join(x.to_bytes(4, "little", signed=True) for x in (ra, pa, rb, pb))
        out = bench.send(b"\x00" + P.encode(P.Command(FrameType.SET_CAL, 9, args)), wait_s=0.2)
        (ack,) = _acks(out)
        assert ack.status == spec_status(FrameType.SET_CAL, args)
        cal = bench.fw.calibration
        for s in (f for f in out if isinstance(f, Sample)):
            exact = spec_round(Fraction((s.raw - cal.zero_raw) * (cal.mmhg_b_milli
                                                                  - cal.mmhg_a_milli),
                                        cal.raw_b - cal.raw_a))
            saturated = not I32_MIN <= exact <= I32_MAX
            assert bool(s.flags & F.OVER_RANGE) == (saturated or s.raw >= 16352)
            assert round(s.pressure_mmhg * 1000) == min(max(exact, I32_MIN), I32_MAX)
    assert bench.streams()


def test_the_two_set_cals_of_the_issue():
    """(0, 0, 1, 2147483647) used to kill the pty thread after its ACK, (2147483647, 1,
    -2147483648, 2) before it. Now: OK with saturated OVER_RANGE samples, and BAD_ARGUMENT."""
    bench = Bench()
    assert bench.streams()
    args = P.set_cal_args(0, 0.0, 1, I32_MAX / 1000)
    out = bench.send(b"\x00" + P.encode(P.Command(FrameType.SET_CAL, 3, args)), wait_s=1.0)
    (ack,) = _acks(out)
    assert ack.status == AckStatus.OK
    samples = [f for f in out if isinstance(f, Sample)]
    assert len(samples) >= 45
    assert all(round(s.pressure_mmhg * 1000) == I32_MAX and s.flags & F.OVER_RANGE
               for s in samples)
    args = b"".join(x.to_bytes(4, "little", signed=True) for x in (I32_MAX, 1, I32_MIN, 2))
    out = bench.send(b"\x00" + P.encode(P.Command(FrameType.SET_CAL, 4, args)), wait_s=1.0)
    (ack,) = _acks(out)
    assert ack.status == AckStatus.BAD_ARGUMENT and ack.data == b""
    assert sum(isinstance(f, Sample) for f in out) >= 45


@pytest.mark.slow
def test_the_pty_server_keeps_serving_after_a_step_fails():
    """Belt and braces: were a command ever to make the simulated board raise (as SET_CAL used
    to, with struct.error), the pty thread logs it and serves on instead of dying."""
    import struct

    from cctf.acquisition.device import Device
    from cctf.acquisition.transport import SerialTransport
    from cctf.sim.pty_server import PtyServer

    class Flaky(SimulatedFirmware):
        failed = False

        def receive(self, data: bytes, t_s: float) -> None:
            if not Flaky.failed:
                Flaky.failed = True
                raise struct.error("the kind of bug the issue found")
            super().receive(data, t_s)

    with PtyServer(Flaky(ConstantSource(20.0))) as server:
        device = Device(SerialTransport(server.port))
        try:
            device.connect()  # its first IDENTIFY hits the failure; the retry is answered
            device.start(rate_hz=100)
            assert device.buffer.wait_until_written(100, 10.0)
        finally:
            device.close()
        assert server.errors == 1
