"""The golden vectors in firmware/protocol/vectors.txt against the Python protocol code.

Every vector is checked both ways (fields → bytes with ``protocol.encode``, bytes → fields with
``decode_frame`` and ``StreamDecoder``) and, so that the vectors are not merely the code agreeing
with itself, every wire image is rebuilt here from its fields with independent code: a bitwise
CRC, a COBS encoder written differently, and ``int.to_bytes`` instead of ``struct``. A few values
are also pinned to numbers published elsewhere (the CRC catalogue's check value, the COBS
examples of the literature) or worked out by hand in PROTOCOL.md.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from cctf.acquisition import protocol as P
from cctf.acquisition.cobs import cobs_decode, cobs_encode
from cctf.acquisition.decoder import StreamDecoder
from cctf.acquisition.protocol import (
    Ack,
    AckStatus,
    CalFlags,
    Calibration,
    Command,
    FrameType,
    Head,
    HeadFlags,
    Hello,
    ResetCause,
    Sample,
    SampleFlags,
    SensorModel,
)

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "firmware" / "protocol" / "vectors.txt"
SPEC = ROOT / "firmware" / "PROTOCOL.md"

# Keys in the order the file's header promises (optional groups marked by the kind's rules).
KEYS = {
    "crc": [["ascii"], ["hex"]],
    "cobs": [["raw"]],
    "sample": [["seq", "t_us", "raw", "p_milli", "flags"]],
    "hello": [
        [
            "version", "fw_major", "fw_minor", "fw_patch", "sensor", "rate_hz", "cal_id",
            "serial", "next_seq", "reset_cause", "streaming",
        ]
    ],
    "hello_p": [
        [
            "version", "fw_major", "fw_minor", "fw_patch", "sensor", "rate_hz", "cal_id",
            "serial", "next_seq", "reset_cause", "streaming", "peripherals",
        ]
    ],
    "head": [["seq", "pitch_centi", "roll_centi", "flags"]],
}
CAL_KEYS = ["cal_id", "raw_a", "mmhg_a_milli", "raw_b", "mmhg_b_milli", "zero_raw", "cal_flags"]
POINT_KEYS = ["raw_a", "mmhg_a_milli", "raw_b", "mmhg_b_milli"]
CAL_COMMANDS = {FrameType.TARE, FrameType.GET_CAL, FrameType.SET_CAL, FrameType.RESET_CAL}
HEX_KEYS = {("crc", "hex"), ("cobs", "raw"), ("hello", "serial"), ("accept", "serial"),
            ("hello_p", "serial")}
REJECT_REASONS = {"crc", "cobs", "short", "long", "length", "unknown"}


# --- reading the file the way a C program would ---------------------------------------------


def _unhex(text: str) -> bytes:
    return b"" if text == "-" else bytes.fromhex(text)


class Vector:
    def __init__(self, lineno: int, line: str) -> None:
        self.lineno = lineno
        self.line = line
        fields, sep, hex_ = line.partition(" : ")
        assert sep and ":" not in fields and ":" not in hex_, f"line {lineno}: one ' : ' needed"
        self.kind, *tokens = fields.split(" ")
        self.keys: list[str] = []
        self.f: dict[str, int | bytes | str] = {}
        for tok in tokens:
            key, eq, value = tok.partition("=")
            assert eq and key and value and key not in self.f, f"line {lineno}: bad {tok!r}"
            self.keys.append(key)
            if key in {"ascii", "why", "kind"}:
                self.f[key] = value
            elif (self.kind, key) in HEX_KEYS:
                self.f[key] = _unhex(value)
            else:
                assert re.fullmatch(r"-?[0-9]+", value), f"line {lineno}: {key} not decimal"
                self.f[key] = int(value)
        self.hex = hex_
        self.data = _unhex(hex_)

    def __repr__(self) -> str:
        return f"vectors.txt:{self.lineno}: {self.line[:100]}"


def load_vectors() -> list[Vector]:
    out = []
    for lineno, line in enumerate(VECTORS.read_text(encoding="ascii").split("\n"), 1):
        if line and not line.startswith("#"):
            out.append(Vector(lineno, line))
    return out


ALL = load_vectors()


def of(kind: str) -> list[Vector]:
    return [v for v in ALL if v.kind == kind]


def ids(vectors: list[Vector]) -> list[str]:
    return [f"line{v.lineno}" for v in vectors]


# --- independent reference implementations --------------------------------------------------


def ref_crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE bit by bit, straight from its parameters (not binascii)."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):  # most significant bit first: refin = false
            top = ((crc >> 15) & 1) ^ ((byte >> bit) & 1)
            crc = (crc << 1) & 0xFFFF
            if top:
                crc ^= 0x1021
    return crc  # refout = false, xorout = 0


def ref_cobs_encode(data: bytes) -> bytes:
    """COBS by splitting on zeros, then cutting long runs into 254-byte blocks."""
    out = bytearray()
    pieces = data.split(b"\x00")
    for n, piece in enumerate(pieces):
        last_piece = n == len(pieces) - 1
        while len(piece) >= 254:
            out += b"\xff" + piece[:254]
            piece = piece[254:]
            if not piece and last_piece:
                return bytes(out)  # a full block ends the data: no empty block after it
        out += bytes([len(piece) + 1]) + piece
    return bytes(out)


def u(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little", signed=False)


def s(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little", signed=True)


def ref_wire(packet_without_crc: bytes) -> bytes:
    packet = packet_without_crc + u(ref_crc16(packet_without_crc), 2)
    return ref_cobs_encode(packet) + b"\x00"


def ref_cal_record(f: dict) -> bytes:
    return (
        u(f["cal_id"], 4) + s(f["raw_a"], 4) + s(f["mmhg_a_milli"], 4) + s(f["raw_b"], 4)
        + s(f["mmhg_b_milli"], 4) + s(f["zero_raw"], 4) + u(f["cal_flags"], 1)
    )


def ref_packet(v: Vector) -> bytes:
    """Type + body for a frame vector, built field by field from the documented tables."""
    f = v.f
    if v.kind == "sample":
        return b"\x01" + u(f["seq"], 4) + u(f["t_us"], 4) + s(f["raw"], 4) + s(
            f["p_milli"], 4
        ) + u(f["flags"], 1)
    if v.kind in {"hello", "hello_p"}:
        return (
            b"\x02" + u(f["version"], 1) + u(f["fw_major"], 1) + u(f["fw_minor"], 1)
            + u(f["fw_patch"], 1) + u(f["sensor"], 1) + u(f["rate_hz"], 2) + u(f["cal_id"], 4)
            + f["serial"] + u(f["next_seq"], 4) + u(f["reset_cause"], 1) + u(f["streaming"], 1)
            + (u(f["peripherals"], 1) if v.kind == "hello_p" else b"")
        )
    if v.kind == "head":
        return b"\x04" + u(f["seq"], 4) + s(f["pitch_centi"], 2) + s(f["roll_centi"], 2) + u(
            f["flags"], 1
        )
    if v.kind == "ack":
        data = b""
        if "rate_hz" in f:
            data = u(f["rate_hz"], 2)
        elif "cal_id" in f:
            data = ref_cal_record(f)
        return b"\x03" + u(f["cmd"], 1) + u(f["token"], 1) + u(f["status"], 1) + data
    if v.kind == "command":
        args = b""
        if "rate_hz" in f:
            args = u(f["rate_hz"], 2)
        elif "raw_a" in f:
            args = b"".join(s(f[k], 4) for k in POINT_KEYS)
        return u(f["cmd"], 1) + u(f["token"], 1) + args
    raise AssertionError(v.kind)


# --- fields → protocol objects ----------------------------------------------------------------


def expected_frame(v: Vector) -> P.Frame:
    f = v.f
    kind = f.get("kind", v.kind) if v.kind == "accept" else v.kind
    if kind == "sample":
        return Sample(f["seq"], f["t_us"], f["raw"], f["p_milli"] / 1000, SampleFlags(f["flags"]))
    if kind in {"hello", "hello_p"}:
        return Hello(
            f["version"], (f["fw_major"], f["fw_minor"], f["fw_patch"]), f["sensor"],
            f["rate_hz"], f["cal_id"], f["serial"], f["next_seq"], f["reset_cause"],
            bool(f["streaming"]), f.get("peripherals"),
        )
    if kind == "head":
        return Head(f["seq"], f["pitch_centi"] / 100, f["roll_centi"] / 100,
                    HeadFlags(f["flags"]))
    if kind == "ack":
        data = b""
        if "rate_hz" in f:
            data = P.set_rate_args(f["rate_hz"])
        elif "cal_id" in f:
            data = Calibration(
                f["cal_id"], f["raw_a"], f["mmhg_a_milli"] / 1000, f["raw_b"],
                f["mmhg_b_milli"] / 1000, f["zero_raw"], CalFlags(f["cal_flags"]),
            ).body()
        return Ack(f["cmd"], f["token"], f["status"], data)
    if kind == "command":
        args = b""
        if "rate_hz" in f:
            args = P.set_rate_args(f["rate_hz"])
        elif "raw_a" in f:
            args = P.set_cal_args(
                f["raw_a"], f["mmhg_a_milli"] / 1000, f["raw_b"], f["mmhg_b_milli"] / 1000
            )
        return Command(FrameType(f["cmd"]), f["token"], args)
    raise AssertionError(kind)


FRAMES = of("sample") + of("hello") + of("ack") + of("command") + of("head") + of("hello_p")


# --- the file itself ----------------------------------------------------------------------------


def test_file_format_is_what_the_header_promises():
    text = VECTORS.read_text(encoding="ascii")
    assert text.endswith("\n") and "\r" not in text
    kinds = {"crc", "cobs", "sample", "hello", "ack", "command", "reject", "accept", "foreign",
             "convert", "setcal", "tare", "head", "hello_p"}
    for lineno, line in enumerate(text.split("\n"), 1):
        assert len(line) <= 1400, f"line {lineno} is {len(line)} characters"
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r"[a-z][a-z_]*( [a-z_]+=[^ =:]+)* : (-|([0-9a-f]{2})+)", line), lineno
    assert {v.kind for v in ALL} == kinds
    for v in ALL:
        if v.kind in KEYS:
            assert v.keys in KEYS[v.kind], v
        if v.kind in {"sample", "hello", "ack", "command", "reject", "accept", "cobs", "foreign",
                      "head", "hello_p"}:
            assert v.data.endswith(b"\x00") and b"\x00" not in v.data[:-1], v


def test_ack_and_command_keys_follow_the_stated_rules():
    for v in of("ack"):
        head, rest = v.keys[:3], v.keys[3:]
        assert head == ["cmd", "token", "status"], v
        if v.f["status"] == 0 and v.f["cmd"] == FrameType.SET_RATE:
            assert rest == ["rate_hz"], v
        elif v.f["status"] == 0 and v.f["cmd"] in CAL_COMMANDS:
            assert rest == CAL_KEYS, v
        else:
            assert rest == [], v
    for v in of("command"):
        head, rest = v.keys[:2], v.keys[2:]
        assert head == ["cmd", "token"], v
        if v.f["cmd"] == FrameType.SET_RATE:
            assert rest == ["rate_hz"], v
        elif v.f["cmd"] == FrameType.SET_CAL:
            assert rest == POINT_KEYS, v
        else:
            assert rest == [], v


def test_vectors_cover_the_edge_cases():
    samples = [v.f for v in of("sample")]
    assert any(f["raw"] < 0 and f["p_milli"] < 0 for f in samples)
    assert any(f["seq"] == 2**32 - 1 for f in samples) and any(f["seq"] == 0 for f in samples)
    assert any(f["t_us"] == 2**32 - 1 for f in samples)
    assert any(f["raw"] == 2**31 - 1 and f["p_milli"] == 2**31 - 1 for f in samples)
    assert any(f["raw"] == -(2**31) and f["p_milli"] == -(2**31) for f in samples)
    assert {f["flags"] for f in samples} >= {0, 1, 2, 3, 4, 5, 6, 7, 0xFF}
    crc_bytes = [P.packet(1, expected_frame(v).body())[-2:] for v in of("sample")]
    assert any(c[0] == 0 for c in crc_bytes) and any(c[1] == 0 for c in crc_bytes)
    hellos = [v.f for v in of("hello")]
    assert {f["reset_cause"] for f in hellos} >= {c.value for c in ResetCause}
    assert {f["sensor"] for f in hellos} >= {m.value for m in SensorModel}
    assert {f["streaming"] for f in hellos} == {0, 1}
    assert {v.f["status"] for v in of("ack")} >= {s.value for s in AckStatus}
    assert {v.f["cmd"] for v in of("ack") if v.f["status"] == 0} >= {
        t.value for t in P.COMMANDS
    }
    assert {v.f["cmd"] for v in of("command")} == {t.value for t in P.COMMANDS}
    assert {v.f["token"] for v in of("command")} >= {0, 255}
    assert any(v.f["cal_flags"] == CalFlags.TWO_POINT | CalFlags.TARED
               for v in of("ack") if "cal_flags" in v.f)
    raws = [v.f["raw"] for v in of("cobs")]
    assert b"" in raws
    assert any(len(r) == 254 and 0 not in r for r in raws)  # one 0xFF block, nothing after
    assert any(len(r) > 254 and 0 not in r for r in raws)  # a 0xFF block and more
    assert any(len(r) > 254 and 0 not in r[:254] and r.endswith(b"\x00") for r in raws)
    assert {v.f["why"] for v in of("reject")} == REJECT_REASONS


# --- CRC -----------------------------------------------------------------------------------------


def test_crc_published_check_values():
    # The CRC catalogue's check value for CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740), and the
    # widely tabulated results for "" and "A" with the 0xFFFF preset, non-augmented.
    for impl in (P.crc16, ref_crc16):
        assert impl(b"123456789") == 0x29B1
        assert impl(b"") == 0xFFFF
        assert impl(b"A") == 0xB915


@pytest.mark.parametrize("v", of("crc"), ids=ids(of("crc")))
def test_crc_vector(v: Vector):
    data = v.f["ascii"].encode("ascii") if "ascii" in v.f else v.f["hex"]
    expected = int(v.hex, 16)
    assert len(v.hex) == 4
    assert P.crc16(data) == expected
    assert ref_crc16(data) == expected


# --- COBS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", of("cobs"), ids=ids(of("cobs")))
def test_cobs_vector(v: Vector):
    raw, wire = v.f["raw"], v.data
    assert cobs_encode(raw) + b"\x00" == wire
    assert ref_cobs_encode(raw) + b"\x00" == wire
    assert cobs_decode(wire[:-1]) == raw


# --- frames --------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", FRAMES, ids=ids(FRAMES))
def test_frame_encodes_to_vector(v: Vector):
    assert P.encode(expected_frame(v)).hex() == v.hex


@pytest.mark.parametrize("v", FRAMES, ids=ids(FRAMES))
def test_frame_vector_rebuilt_independently(v: Vector):
    assert ref_wire(ref_packet(v)).hex() == v.hex


@pytest.mark.parametrize("v", FRAMES, ids=ids(FRAMES))
def test_vector_decodes_to_fields(v: Vector):
    frame = P.decode_frame(v.data[:-1])
    assert frame == expected_frame(v)
    if isinstance(frame, Sample):
        assert round(frame.pressure_mmhg * 1000) == v.f["p_milli"]
        assert int(frame.flags) == v.f["flags"]
    if isinstance(frame, Hello):
        assert int(frame.sensor_model) == v.f["sensor"]
        assert int(frame.reset_cause) == v.f["reset_cause"]
        assert frame.serial == v.f["serial"]
    if isinstance(frame, Ack) and "cal_id" in v.f:
        cal = Calibration.parse(frame.data)
        assert cal.calibration_id == v.f["cal_id"] and cal.zero_raw == v.f["zero_raw"]
        assert round(cal.mmhg_b * 1000) == v.f["mmhg_b_milli"]
        assert int(cal.flags) == v.f["cal_flags"]
    if isinstance(frame, Ack) and "rate_hz" in v.f:
        assert P.parse_set_rate_args(frame.data) == v.f["rate_hz"]
    if isinstance(frame, Command) and frame.command == FrameType.SET_CAL:
        ra, pa, rb, pb = P.parse_set_cal_args(frame.args)
        assert (ra, round(pa * 1000), rb, round(pb * 1000)) == tuple(
            v.f[k] for k in POINT_KEYS
        )
    # and through the stream decoder, after the single 0x00 a receiver needs to synchronise
    dec = StreamDecoder()
    assert dec.feed(b"\x00" + v.data) == [frame]
    assert dec.stats.corrupt == dec.stats.bytes_discarded == 0


def test_whole_file_as_one_stream():
    """All frame vectors back to back, byte by byte: every one comes out, in order."""
    stream = b"\x00" + b"".join(v.data for v in FRAMES)
    dec = StreamDecoder()
    out = [f for i in range(len(stream)) for f in dec.feed(stream[i : i + 1])]
    frames = [f for f in out if isinstance(f, Ack | Hello | Command | Head)]
    assert frames == [expected_frame(v) for v in FRAMES if v.kind != "sample"]
    assert dec.stats.corrupt == 0 and dec.stats.unknown == 0


@pytest.mark.parametrize("v", of("reject"), ids=ids(of("reject")))
def test_reject_vector(v: Vector):
    dec = StreamDecoder()
    assert dec.feed(b"\x00" + v.data) == []
    if v.f["why"] == "unknown":
        assert (dec.stats.unknown, dec.stats.corrupt) == (1, 0)
    else:
        assert (dec.stats.unknown, dec.stats.corrupt) == (0, 1)
        with pytest.raises(P.ParseError):
            P.decode_frame(v.data[:-1])
    # independently: what makes it a reject
    raw = _ref_cobs_decode(v.data[:-1])
    if v.f["why"] == "cobs":
        assert raw is None
        return
    assert raw is not None
    crc_ok = len(raw) >= 3 and ref_crc16(raw[:-2]) == int.from_bytes(raw[-2:], "little")
    assert crc_ok == (v.f["why"] not in {"crc", "short"})
    if v.f["why"] == "short":
        assert len(raw) < 3
    if v.f["why"] == "long":
        assert len(raw) > 64


def _ref_cobs_decode(enc: bytes) -> bytes | None:
    out, i = bytearray(), 0
    while i < len(enc):
        code = enc[i]
        block = enc[i + 1 : i + code]
        if code == 0 or len(block) != code - 1 or 0 in block:
            return None
        out += block
        i += code
        if code < 0xFF and i < len(enc):
            out.append(0)
    return bytes(out) if enc else None


@pytest.mark.parametrize("v", of("accept"), ids=ids(of("accept")))
def test_accept_vector(v: Vector):
    raw = _ref_cobs_decode(v.data[:-1])
    assert raw is not None and ref_crc16(raw[:-2]) == int.from_bytes(raw[-2:], "little")
    assert len(raw) <= 64
    frame = P.decode_frame(v.data[:-1])
    if v.f["kind"] == "hello":
        # the first byte beyond the 25 of the old HELLO is the peripherals byte (HEAD-PROTOCOL)
        assert frame == replace(expected_frame(v), peripherals=raw[1 + P.HELLO_BODY_BYTES])
        assert len(raw) - 3 == P.HELLO_BODY_BYTES + v.f["extra_len"]
    else:
        assert isinstance(frame, Ack)
        assert (frame.command, frame.token, frame.status) == (
            v.f["cmd"], v.f["token"], v.f["status"]
        )
        assert len(frame.data) == v.f["extra_len"]
    assert StreamDecoder().feed(b"\x00" + v.data) == [frame]


# --- by hand ---------------------------------------------------------------------------------


def test_sample_frame_worked_out_by_hand():
    """The first SAMPLE of PROTOCOL.md §12, each step written out rather than computed."""
    packet = bytes.fromhex(
        "01"  # type SAMPLE
        "00000000"  # seq 0
        "a0252600"  # t_us 2 500 000 = 0x002625a0
        "eb110000"  # raw 4587 = 0x11eb
        "234e0000"  # pressure 20 003 = 0x4e23 (20.003 mmHg)
        "00"  # flags
        "3605"  # CRC 0x0536, low byte first
    )
    assert ref_crc16(packet[:-2]) == 0x0536
    # COBS: pieces between zeros: 01 | - | - | - | a0 25 26 | eb 11 | - | 23 4e | - | - | 36 05
    wire = bytes.fromhex("0201 01 01 01 04a02526 03eb11 01 03234e 01 01 033605 00")
    assert len(wire) == P.SAMPLE_WIRE_BYTES == 22
    assert P.encode(Sample(0, 2_500_000, 4587, 20.003, SampleFlags.NONE)) == wire
    assert P.decode_frame(wire[:-1]) == Sample(0, 2_500_000, 4587, 20.003, SampleFlags.NONE)
    assert wire.hex() in {v.hex for v in of("sample")}


def test_identify_frame_worked_out_by_hand():
    # CRC of 26 01 worked bit by bit is 0xa16e; no zero in the packet, so one code byte 05.
    assert ref_crc16(bytes([0x26, 0x01])) == 0xA16E
    wire = bytes.fromhex("0526016ea100")
    assert P.encode(Command(FrameType.IDENTIFY, 1)) == wire
    assert wire.hex() in {v.hex for v in of("command")}


def test_sizes_match_the_spec_tables():
    assert P.SAMPLE_BODY_BYTES == 17
    assert P.HELLO_BODY_BYTES == 25
    assert P.CAL_BYTES == 25
    assert P.MAX_PACKET_BYTES == 64
    assert len(P.encode(Ack(FrameType.TARE, 1, 0, bytes(P.CAL_BYTES)))) == 33
    assert len(P.encode(Hello(1, (1, 0, 0), 1, 50, 0, b"X", 0, 1, False))) == 30


# --- PROTOCOL.md's session example --------------------------------------------------------------


def _session_rows() -> list[tuple[str, bytes]]:
    text = SPEC.read_text(encoding="utf-8")
    section = text.split("## 12. A session, byte by byte", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(
        r"^\| \d+ \| (device → host|host → device) \| `([0-9a-f ]+)` \|", section, re.M
    )
    return [(direction, bytes.fromhex(hex_)) for direction, hex_ in rows]


def test_session_example_in_the_spec():
    rows = _session_rows()
    assert len(rows) == 9
    device = b"".join(data for d, data in rows if d == "device → host")
    host = b"".join(data for d, data in rows if d == "host → device")
    from_device = StreamDecoder().feed(device)
    boot, ack_identify, hello_again, ack_start, s0, s1 = from_device
    assert boot == Hello(1, (1, 0, 0), SensorModel.MPX5010DP, 50, 3, b"CCTF0001", 0,
                         ResetCause.EXTERNAL, False, peripherals=0)  # the 26-byte HELLO (§15)
    assert ack_identify == Ack(FrameType.IDENTIFY, 1, AckStatus.OK)
    assert hello_again.reset_cause == ResetCause.REQUEST
    assert ack_start == Ack(FrameType.START, 2, AckStatus.OK)
    assert s0 == Sample(0, 2_500_000, 4587, 20.003, SampleFlags.NONE)
    assert s1 == Sample(1, 2_520_000, 4590, 20.018, SampleFlags.NONE)
    assert StreamDecoder().feed(host) == [
        Command(FrameType.IDENTIFY, 1), Command(FrameType.START, 2)
    ]
    vector_hex = {v.hex for v in ALL}
    for _, data in rows:
        for frame in data.split(b"\x00")[:-1]:
            if frame:
                assert (frame + b"\x00").hex() in vector_hex


def test_calibration_example_in_the_spec():
    cal = Calibration(4, 655, 0.0, 12451, 60.002, 702, CalFlags.TWO_POINT | CalFlags.TARED)
    assert round(cal.to_mmhg(4587) * 1000) == 19762
    assert "`pressure = 19762`" in SPEC.read_text(encoding="utf-8")


# --- the device's arithmetic: one rounding (halves away from zero), exact integers ---------------
# Checked three ways: the host's reference functions, an independent computation with Fraction
# here, and the simulator (the second device implementation) driven through its commands.

from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402

from cctf.sim.firmware import SimulatedFirmware  # noqa: E402
from cctf.sim.source import ConstantSource  # noqa: E402

I32 = (-(2**31), 2**31 - 1)


def ref_round(x: Fraction) -> int:
    """Half away from zero, from the definition."""
    n = abs(x)
    whole = int(n)
    if n - whole >= Fraction(1, 2):
        whole += 1
    return whole if x >= 0 else -whole


def _i32(data: bytes) -> int:
    return int.from_bytes(data[:4], "little", signed=True)


def _sim(rate_hz: int = 50) -> SimulatedFirmware:
    fw = SimulatedFirmware(ConstantSource(0.0), seed=3)
    fw.power_on(0.0)
    fw.take_output()
    if rate_hz != 50:
        fw.receive(b"\x00" + P.encode(Command(FrameType.SET_RATE, 1, P.set_rate_args(rate_hz))),
                   0.0)
        fw.take_output()
    return fw


def _frames(data: bytes) -> list:
    return StreamDecoder().feed(b"\x00" + data)


def test_the_new_vectors_cover_ties_extremes_and_rejections():
    conv = [v.f for v in of("convert")]
    assert any(v.data[4] == 1 for v in of("convert")) and any(v.data[4] == 0 for v in of("convert"))
    ties = [f for f in conv
            if Fraction((f["raw"] - f["zero_raw"]) * (f["mmhg_b_milli"] - f["mmhg_a_milli"]),
                        f["raw_b"] - f["raw_a"]).denominator == 2]
    assert len(ties) >= 4 and any(f["raw"] < f["zero_raw"] for f in ties)
    assert {v.f["status"] for v in of("setcal")} == {0, 3}
    assert len([v for v in of("setcal") if v.f["status"] == 3]) >= 5
    assert any(v.f["n"] % 2 == 0 and v.f["sum"] % v.f["n"] for v in of("tare"))
    assert {v.f["version"] for v in of("foreign")} >= {0, 2}


@pytest.mark.parametrize("v", of("convert"), ids=ids(of("convert")))
def test_convert_vector(v: Vector):
    f = v.f
    want_p, want_over = _i32(v.data), v.data[4]
    assert len(v.data) == 5 and want_over in (0, 1)
    # reference function
    got = P.pressure_milli(f["raw"], f["zero_raw"], f["raw_a"], f["mmhg_a_milli"], f["raw_b"],
                           f["mmhg_b_milli"])
    assert got == (want_p, bool(want_over))
    # independently
    exact = ref_round(Fraction((f["raw"] - f["zero_raw"]) * (f["mmhg_b_milli"] - f["mmhg_a_milli"]),
                               f["raw_b"] - f["raw_a"]))
    assert (min(max(exact, I32[0]), I32[1]), not I32[0] <= exact <= I32[1]) == got
    # the simulator's SAMPLE with that record
    fw = _sim()
    fw.calibration = Calibration(1, f["raw_a"], f["mmhg_a_milli"] / 1000, f["raw_b"],
                                 f["mmhg_b_milli"] / 1000, f["zero_raw"], CalFlags.TWO_POINT)
    fw.streaming = True
    fw._send_sample(0.0, f["raw"])
    (sample,) = _frames(fw.take_output())
    assert round(sample.pressure_mmhg * 1000) == want_p
    assert bool(sample.flags & SampleFlags.OVER_RANGE) == bool(want_over)


@pytest.mark.parametrize("v", of("setcal"), ids=ids(of("setcal")))
def test_setcal_vector(v: Vector):
    points = tuple(v.f[k] for k in POINT_KEYS)
    ra, pa, rb, pb = points
    zero = P.zero_for_points(*points)
    if v.f["status"] == 3:
        assert v.data == b"" and zero is None
    else:
        assert zero == _i32(v.data)
        assert zero == ra - ref_round(Fraction(pa * (rb - ra), pb - pa))
    # the simulator answers SET_CAL the same, and keeps streaming whatever it was sent
    fw = _sim()
    fw.receive(b"\x00" + P.encode(Command(FrameType.START, 1)), 0.0)
    args = b"".join(x.to_bytes(4, "little", signed=True) for x in points)
    fw.receive(b"\x00" + P.encode(Command(FrameType.SET_CAL, 7, args)), 0.0)
    out = _frames(fw.take_output() + fw.advance(1.0))
    acks = [f for f in out if isinstance(f, Ack) and f.command == FrameType.SET_CAL]
    assert len(acks) == 1 and acks[0].status == v.f["status"]
    if v.f["status"] == 0:
        assert Calibration.parse(acks[0].data).zero_raw == _i32(v.data)
    assert sum(isinstance(f, Sample) for f in out) >= 45, "streaming must go on"


@pytest.mark.parametrize("v", of("tare"), ids=ids(of("tare")))
def test_tare_vector(v: Vector):
    n, total, rate = v.f["n"], v.f["sum"], v.f["rate_hz"]
    assert P.tare_window_len(rate) == n
    assert n == min(64, max(1, ref_round(Fraction(rate, 4))))
    assert P.div_round(total, n) == ref_round(Fraction(total, n)) == _i32(v.data)
    readings = [total // n] * (n - 1) + [total - (n - 1) * (total // n)]
    if min(readings) < 200:
        return  # below the simulated MPX5010DP's fault threshold: the firmware tests cover it
    # the simulator: readings BEFORE the command never count, the n after it do
    fw = _sim(rate)
    # ticks k / rate: 3 rate - 1 of them before the command, the window from t = 3 s
    queue = iter([5000] * (3 * rate - 1) + readings + [9999] * 10 * rate)
    fw.sensor.read_raw = lambda p: np.array([next(queue) for _ in np.atleast_1d(p)])
    fw.advance(3.0 - 0.5 / rate)
    fw.receive(b"\x00" + P.encode(Command(FrameType.TARE, 9)), 3.0 - 0.5 / rate)
    assert fw.take_output() == b"", "TARE must wait for its readings"
    assert fw.advance(3.0 + (n - 1.5) / rate) == b"", "answered before the window is complete"
    (ack,) = _frames(fw.advance(3.0 + (n - 0.5) / rate))
    assert ack.status == AckStatus.OK
    assert Calibration.parse(ack.data).zero_raw == _i32(v.data)


@pytest.mark.parametrize("v", of("foreign"), ids=ids(of("foreign")))
def test_foreign_vector(v: Vector):
    dec = StreamDecoder()
    (frame,) = dec.feed(b"\x00" + v.data)
    assert isinstance(frame, P.ForeignHello)
    assert frame.protocol_version == v.f["version"] != P.PROTOCOL_VERSION
    assert dec.stats.corrupt == 0


# --- head-motion extension (issue 17, HEAD-PROTOCOL.md) --------------------------------------


def test_head_vectors_cover_the_contract():
    heads = [v.f for v in of("head")]
    assert {f["flags"] & 3 for f in heads} == {0, 1, 2, 3}
    assert any(f["pitch_centi"] == 32767 for f in heads)
    assert any(f["pitch_centi"] == -32768 for f in heads)
    assert any(f["seq"] == 2**32 - 1 for f in heads)
    assert {v.f["peripherals"] & 1 for v in of("hello_p")} == {0, 1}
    lengths = set()
    for v in of("reject"):
        raw = _ref_cobs_decode(v.data[:-1])
        if raw and raw[0] == 0x04:
            lengths.add(len(raw) - 3)
    assert lengths >= {8, 10}


def test_head_frame_sizes_and_meaning():
    assert P.HEAD_BODY_BYTES == 9 and P.HELLO_P_BODY_BYTES == 26
    for v in of("head"):
        assert len(v.data) - 2 <= 14  # COBS adds at most one byte here, plus the delimiter
        head = P.decode_frame(v.data[:-1])
        assert head.measured == (v.f["flags"] & 3 == 0)
    for v in of("hello_p"):
        hello = P.decode_frame(v.data[:-1])
        assert hello.head_sensor == bool(v.f["peripherals"] & 1)
    # an old 25-byte HELLO: no peripherals reported, read as no sensor, re-encoded unchanged
    for v in of("hello"):
        hello = P.decode_frame(v.data[:-1])
        assert hello.peripherals is None and not hello.head_sensor
        assert P.encode(hello) == v.data
