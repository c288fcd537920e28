"""The cctf wire protocol, version 1: constants, frame types, packing and parsing.

This module is the Python side of ``firmware/PROTOCOL.md`` and must agree with the firmware's
``protocol.h`` byte for byte; ``tests/test_protocol_golden.py`` pins both to the shared golden
vectors in ``firmware/protocol/vectors.txt``.

A *packet* is ``type (u8) | body | crc16 (u16 LE)``; on the wire it travels COBS-encoded and
followed by a single 0x00 delimiter. All integers are little-endian.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from cctf.acquisition.cobs import cobs_decode, cobs_encode

PROTOCOL_VERSION = 1
BAUD_RATE = 115200
DELIMITER = b"\x00"
MAX_PACKET_BYTES = 64
"""Longest packet (type + body + CRC) either side may send; longer input is garbage."""
MAX_ENCODED_BYTES = MAX_PACKET_BYTES + 2
PRESSURE_SCALE = 1000
"""Pressures travel as signed integers in units of 0.001 mmHg."""
ANGLE_SCALE = 100
"""Head angles travel as signed 16-bit integers in units of 0.01 degree."""
MIN_RATE_HZ = 1
MAX_RATE_HZ = 250


class FrameType(IntEnum):
    """First byte of every packet. Device→host are below 0x20, host→device from 0x20."""

    SAMPLE = 0x01
    HELLO = 0x02
    ACK = 0x03
    HEAD = 0x04
    START = 0x20
    STOP = 0x21
    SET_RATE = 0x22
    TARE = 0x23
    GET_CAL = 0x24
    SET_CAL = 0x25
    IDENTIFY = 0x26
    RESET_CAL = 0x27


COMMANDS = frozenset(t for t in FrameType if t >= 0x20)


class SampleFlags(IntFlag):
    """Status bits of a sample; bits 3–7 are reserved, sent as 0 and ignored by hosts."""

    NONE = 0
    OVER_RANGE = 0x01
    SENSOR_FAULT = 0x02
    NOT_CALIBRATED = 0x04


class Peripherals(IntFlag):
    """HELLO's ``peripherals`` byte (body offset 25); an old 25-byte HELLO means none."""

    NONE = 0
    HEAD_SENSOR = 0x01


class HeadFlags(IntFlag):
    """Status bits of a HEAD frame: either bit set means the angles are not a measurement."""

    NONE = 0
    FAULT = 0x01
    SETTLING = 0x02


class AckStatus(IntEnum):
    OK = 0
    UNKNOWN_COMMAND = 1
    BAD_LENGTH = 2
    BAD_ARGUMENT = 3
    FAILED = 4
    NOT_SUPPORTED = 5


class SensorModel(IntEnum):
    UNKNOWN = 0
    MPX5010DP = 1
    HX710B_MPS20N0040D = 2
    SIMULATOR = 0x80


class ResetCause(IntEnum):
    """Why a HELLO was sent: on request, or the reason the microcontroller (re)booted."""

    REQUEST = 0
    POWER_ON = 1
    EXTERNAL = 2
    WATCHDOG = 3
    BROWN_OUT = 4


class CalFlags(IntFlag):
    NONE = 0
    TWO_POINT = 0x01
    TARED = 0x02


_SAMPLE = struct.Struct("<IIiiB")
_HELLO = struct.Struct("<BBBBBHI8sIBB")
_HEAD = struct.Struct("<IhhB")
_ACK_HEAD = struct.Struct("<BBB")
_CAL = struct.Struct("<IiiiiiB")
_CAL_POINTS = struct.Struct("<iiii")
_U16 = struct.Struct("<H")


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection); check('123456789') = 0x29B1.

    ``binascii.crc_hqx`` is exactly this algorithm, implemented in C.
    """
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True, slots=True)
class Sample:
    """One measurement: sequence number, device time (µs, wraps at 2**32), raw ADC, mmHg."""

    seq: int
    t_us: int
    raw: int
    pressure_mmhg: float
    flags: SampleFlags

    def body(self) -> bytes:
        return _SAMPLE.pack(
            self.seq & 0xFFFFFFFF,
            self.t_us & 0xFFFFFFFF,
            self.raw,
            round(self.pressure_mmhg * PRESSURE_SCALE),
            int(self.flags),
        )


@dataclass(frozen=True, slots=True)
class Hello:
    """Who the device is. Resets the host's sequence state: the next sample has ``next_seq``."""

    protocol_version: int
    firmware_version: tuple[int, int, int]
    sensor_model: SensorModel | int
    sample_rate_hz: int
    calibration_id: int
    serial: bytes
    next_seq: int
    reset_cause: ResetCause | int
    streaming: bool
    peripherals: int | None = None
    """The 26th body byte (``Peripherals``); None for a 25-byte HELLO (older firmware), which
    a host reads as no peripherals. Kept apart from 0 so the frame re-encodes byte for byte."""

    @property
    def head_sensor(self) -> bool:
        """Whether a head-motion sensor answered at boot (HELLO_P bit 0)."""
        return bool((self.peripherals or 0) & Peripherals.HEAD_SENSOR)

    @property
    def serial_text(self) -> str:
        """The 8-byte serial as text when printable, else as hex."""
        raw = self.serial.rstrip(b"\x00")
        if raw and all(32 <= b < 127 for b in raw):
            return raw.decode("ascii")
        return self.serial.hex()

    @property
    def firmware_text(self) -> str:
        return ".".join(str(v) for v in self.firmware_version)

    @property
    def sensor_text(self) -> str:
        try:
            return SensorModel(self.sensor_model).name
        except ValueError:
            return f"unknown-{int(self.sensor_model)}"

    def body(self) -> bytes:
        return _HELLO.pack(
            self.protocol_version,
            *self.firmware_version,
            int(self.sensor_model),
            self.sample_rate_hz,
            self.calibration_id,
            self.serial.ljust(8, b"\x00")[:8],
            self.next_seq & 0xFFFFFFFF,
            int(self.reset_cause),
            1 if self.streaming else 0,
        ) + (b"" if self.peripherals is None else bytes([self.peripherals & 0xFF]))

    def as_metadata(self) -> dict[str, str]:
        """Key/value pairs for a session file's ``# key: value`` header."""
        return {
            "device_serial": self.serial_text,
            "firmware_version": self.firmware_text,
            "protocol_version": str(self.protocol_version),
            "sensor_model": self.sensor_text,
            "sample_rate_hz": str(self.sample_rate_hz),
            "calibration_id": str(self.calibration_id),
            **({"head_sensor": "fitted"} if self.head_sensor else {}),
        }


@dataclass(frozen=True, slots=True)
class Head:
    """Head orientation at the instant of the SAMPLE with the same ``seq`` (device-absolute,
    not zeroed): pitch + = chin towards chest, roll + = right ear towards right shoulder."""

    seq: int
    pitch_deg: float
    roll_deg: float
    flags: HeadFlags | int = HeadFlags.NONE

    @property
    def measured(self) -> bool:
        """False when the sensor did not answer or its filter has not settled: not a reading."""
        return not int(self.flags) & (HeadFlags.FAULT | HeadFlags.SETTLING)

    def body(self) -> bytes:
        return _HEAD.pack(
            self.seq & 0xFFFFFFFF,
            round(self.pitch_deg * ANGLE_SCALE),
            round(self.roll_deg * ANGLE_SCALE),
            int(self.flags),
        )


@dataclass(frozen=True, slots=True)
class Calibration:
    """The device's pressure model: ``mmHg = (raw - zero_raw) * slope``.

    ``slope`` comes from the two points (raw_a, mmhg_a), (raw_b, mmhg_b); ``zero_raw`` is the
    raw reading at atmosphere, set by a two-point calibration and moved by a tare.
    """

    calibration_id: int
    raw_a: int
    mmhg_a: float
    raw_b: int
    mmhg_b: float
    zero_raw: int
    flags: CalFlags

    @property
    def slope_mmhg_per_count(self) -> float:
        return (self.mmhg_b - self.mmhg_a) / (self.raw_b - self.raw_a)

    @property
    def mmhg_a_milli(self) -> int:
        return round(self.mmhg_a * PRESSURE_SCALE)

    @property
    def mmhg_b_milli(self) -> int:
        return round(self.mmhg_b * PRESSURE_SCALE)

    def pressure_milli(self, raw: int) -> tuple[int, bool]:
        """The device's conversion (section 8.1), exactly: (pressure in 0.001 mmHg, whether it
        saturated to the i32 range and so carries OVER_RANGE)."""
        return pressure_milli(raw, self.zero_raw, self.raw_a, self.mmhg_a_milli, self.raw_b,
                              self.mmhg_b_milli)

    def to_mmhg(self, raw: int) -> float:
        return (raw - self.zero_raw) * self.slope_mmhg_per_count

    def body(self) -> bytes:
        return _CAL.pack(
            self.calibration_id,
            self.raw_a,
            round(self.mmhg_a * PRESSURE_SCALE),
            self.raw_b,
            round(self.mmhg_b * PRESSURE_SCALE),
            self.zero_raw,
            int(self.flags),
        )

    @classmethod
    def parse(cls, data: bytes) -> Calibration:
        if len(data) < _CAL.size:
            raise ParseError(f"calibration record is {len(data)} bytes, expected {_CAL.size}")
        cid, ra, pa, rb, pb, zero, flags = _CAL.unpack(data[: _CAL.size])
        return cls(cid, ra, pa / PRESSURE_SCALE, rb, pb / PRESSURE_SCALE, zero, CalFlags(flags))


@dataclass(frozen=True, slots=True)
class Ack:
    """The device's answer to a command: which command, its token, a status and optional data."""

    command: int
    token: int
    status: AckStatus | int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status == AckStatus.OK

    def body(self) -> bytes:
        return _ACK_HEAD.pack(self.command, self.token, int(self.status)) + self.data


@dataclass(frozen=True, slots=True)
class Command:
    """A host→device request; ``token`` (0–255) is echoed in the ACK to pair them."""

    command: FrameType
    token: int
    args: bytes = b""

    def body(self) -> bytes:
        return bytes([self.token & 0xFF]) + self.args


@dataclass(frozen=True, slots=True)
class ForeignHello:
    """A HELLO of another protocol version (section 13). Only ``protocol_version`` (the first
    body byte in every version) can be read; the rest is the other version's business."""

    protocol_version: int
    body: bytes


Frame = Sample | Hello | Ack | Command | Head

_TYPE_OF = {Sample: FrameType.SAMPLE, Hello: FrameType.HELLO, Ack: FrameType.ACK,
            Head: FrameType.HEAD}


def frame_type(frame: Frame) -> int:
    if isinstance(frame, Command):
        return int(frame.command)
    return int(_TYPE_OF[type(frame)])


def packet(frame_type_: int, body: bytes) -> bytes:
    """Type + body + CRC, before COBS."""
    head = bytes([frame_type_]) + body
    return head + _U16.pack(crc16(head))


def encode_packet(frame_type_: int, body: bytes) -> bytes:
    """The exact bytes on the wire for one packet, delimiter included."""
    return cobs_encode(packet(frame_type_, body)) + DELIMITER


def encode(frame: Frame) -> bytes:
    """The exact bytes on the wire for ``frame``, delimiter included."""
    return encode_packet(frame_type(frame), frame.body())


# --- parsing -------------------------------------------------------------------------------


class ParseError(ValueError):
    """A packet failed its checks; the message says which (never escapes the decoder)."""


class UnknownFrameType(ParseError):
    """CRC-valid packet of a type this host does not know (a newer device); ignored."""


def unpack_packet(encoded: bytes) -> tuple[int, bytes]:
    """COBS-decode and CRC-check one frame (no delimiter) → (type, body)."""
    raw = cobs_decode(encoded)
    if raw is None:
        raise ParseError("bad COBS encoding")
    if len(raw) < 3:
        raise ParseError(f"packet too short ({len(raw)} bytes)")
    if len(raw) > MAX_PACKET_BYTES:
        raise ParseError(f"packet too long ({len(raw)} bytes)")
    (crc,) = _U16.unpack_from(raw, len(raw) - 2)
    if crc != crc16(raw[:-2]):
        raise ParseError("CRC mismatch")
    return raw[0], raw[1:-2]


def parse_body(ftype: int, body: bytes) -> Frame | ForeignHello:
    """Build the frame object for a CRC-checked packet; raises ParseError on a bad length.
    A HELLO of another protocol version is checked for its version before its length."""
    if ftype == FrameType.SAMPLE:
        if len(body) != _SAMPLE.size:
            raise ParseError(f"sample body is {len(body)} bytes, expected {_SAMPLE.size}")
        seq, t_us, raw, p, flags = _SAMPLE.unpack(body)
        return Sample(seq, t_us, raw, p / PRESSURE_SCALE, SampleFlags(flags))
    if ftype == FrameType.HELLO:
        if len(body) >= 1 and body[0] != PROTOCOL_VERSION:
            return ForeignHello(body[0], bytes(body))
        if len(body) < _HELLO.size:
            raise ParseError(f"hello body is {len(body)} bytes, expected {_HELLO.size}")
        (ver, fw_a, fw_b, fw_c, model, rate, cal_id, serial, next_seq, cause, streaming) = (
            _HELLO.unpack_from(body)
        )
        return Hello(
            ver,
            (fw_a, fw_b, fw_c),
            _enum_or_int(SensorModel, model),
            rate,
            cal_id,
            serial,
            next_seq,
            _enum_or_int(ResetCause, cause),
            bool(streaming & 1),
            body[_HELLO.size] if len(body) > _HELLO.size else None,
        )
    if ftype == FrameType.HEAD:
        if len(body) != _HEAD.size:
            raise ParseError(f"head body is {len(body)} bytes, expected {_HEAD.size}")
        seq, pitch, roll, flags = _HEAD.unpack(body)
        return Head(seq, pitch / ANGLE_SCALE, roll / ANGLE_SCALE, HeadFlags(flags))
    if ftype == FrameType.ACK:
        if len(body) < _ACK_HEAD.size:
            raise ParseError(f"ack body is {len(body)} bytes, expected at least {_ACK_HEAD.size}")
        cmd, token, status = _ACK_HEAD.unpack_from(body)
        return Ack(cmd, token, _enum_or_int(AckStatus, status), bytes(body[_ACK_HEAD.size :]))
    if ftype in COMMANDS:
        if len(body) < 1:
            raise ParseError("command without token")
        return Command(FrameType(ftype), body[0], bytes(body[1:]))
    raise UnknownFrameType(f"unknown frame type 0x{ftype:02x}")


def _enum_or_int(enum: type[IntEnum], value: int) -> IntEnum | int:
    try:
        return enum(value)
    except ValueError:
        return value


def decode_frame(encoded: bytes) -> Frame | ForeignHello:
    """Decode one delimited frame's bytes (without the 0x00); raises ParseError."""
    return parse_body(*unpack_packet(encoded))


# --- the device's arithmetic (section 8): one rounding, exact integers ----------------------

I32_MIN = -(1 << 31)
I32_MAX = (1 << 31) - 1


def div_round(num: int, den: int) -> int:
    """num / den rounded to the nearest integer, halves away from zero (section 8.1); exact for
    any integers (den != 0). Python's round() would round halves to even."""
    if den < 0:
        num, den = -num, -den
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def pressure_milli(
    raw: int, zero_raw: int, raw_a: int, mmhg_a_milli: int, raw_b: int, mmhg_b_milli: int
) -> tuple[int, bool]:
    """round((raw − zero_raw) × (mmhg_b − mmhg_a) / (raw_b − raw_a)), saturated to i32 →
    (value, saturated)."""
    dr = raw_b - raw_a
    if dr == 0:
        return 0, True
    p = div_round((raw - zero_raw) * (mmhg_b_milli - mmhg_a_milli), dr)
    if p > I32_MAX:
        return I32_MAX, True
    if p < I32_MIN:
        return I32_MIN, True
    return p, False


def zero_for_points(raw_a: int, mmhg_a_milli: int, raw_b: int, mmhg_b_milli: int) -> int | None:
    """SET_CAL's zero_raw = raw_a − round(mmhg_a × (raw_b − raw_a) / (mmhg_b − mmhg_a)), or None
    when the device must answer BAD_ARGUMENT (equal raws, equal pressures, or a zero_raw
    outside the i32 range)."""
    if raw_a == raw_b or mmhg_a_milli == mmhg_b_milli:
        return None
    zero = raw_a - div_round(mmhg_a_milli * (raw_b - raw_a), mmhg_b_milli - mmhg_a_milli)
    return zero if I32_MIN <= zero <= I32_MAX else None


TARE_WINDOW_MAX = 64


def tare_window_len(rate_hz: int) -> int:
    """Readings a TARE averages: round(0.25 s × rate) (halves up), at least 1, at most 64."""
    return max(1, min(TARE_WINDOW_MAX, (int(rate_hz) + 2) // 4))


# --- command builders ----------------------------------------------------------------------


def set_rate_args(rate_hz: int) -> bytes:
    return _U16.pack(rate_hz)


def parse_set_rate_args(args: bytes) -> int:
    if len(args) != _U16.size:
        raise ParseError(f"SET_RATE takes 2 argument bytes, got {len(args)}")
    return _U16.unpack(args)[0]


def set_cal_args(raw_a: int, mmhg_a: float, raw_b: int, mmhg_b: float) -> bytes:
    return _CAL_POINTS.pack(
        raw_a, round(mmhg_a * PRESSURE_SCALE), raw_b, round(mmhg_b * PRESSURE_SCALE)
    )


def parse_set_cal_milli(args: bytes) -> tuple[int, int, int, int]:
    """SET_CAL's arguments as sent: raw_a, mmhg_a (0.001 mmHg), raw_b, mmhg_b (0.001 mmHg)."""
    if len(args) != _CAL_POINTS.size:
        raise ParseError(f"SET_CAL takes {_CAL_POINTS.size} argument bytes, got {len(args)}")
    return _CAL_POINTS.unpack(args)


def parse_set_cal_args(args: bytes) -> tuple[int, float, int, float]:
    if len(args) != _CAL_POINTS.size:
        raise ParseError(f"SET_CAL takes {_CAL_POINTS.size} argument bytes, got {len(args)}")
    ra, pa, rb, pb = _CAL_POINTS.unpack(args)
    return ra, pa / PRESSURE_SCALE, rb, pb / PRESSURE_SCALE


SAMPLE_BODY_BYTES = _SAMPLE.size
HELLO_BODY_BYTES = _HELLO.size
HELLO_P_BODY_BYTES = _HELLO.size + 1
HEAD_BODY_BYTES = _HEAD.size
CAL_BYTES = _CAL.size
SAMPLE_WIRE_BYTES = len(encode(Sample(1, 1, 1, 1.0, SampleFlags.NONE)))
"""Bytes one sample occupies on the wire (COBS overhead and delimiter included)."""
