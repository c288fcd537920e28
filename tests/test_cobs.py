"""COBS: the published examples, round trips and malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cctf.acquisition.cobs import cobs_decode, cobs_encode

# The examples of the Wikipedia article "Consistent Overhead Byte Stuffing" (encoded form
# shown without the trailing 00 delimiter), which follow Cheshire & Baker's definition.
PUBLISHED = [
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255))),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]


@pytest.mark.parametrize(("raw", "encoded"), PUBLISHED)
def test_published_examples(raw: bytes, encoded: bytes):
    assert cobs_encode(raw) == encoded
    assert cobs_decode(encoded) == raw


def test_empty_input_encodes_to_a_single_code_byte():
    assert cobs_encode(b"") == b"\x01"
    assert cobs_decode(b"\x01") == b""


@pytest.mark.parametrize(
    ("n", "encoded_len"),
    [(253, 254), (254, 255), (255, 257), (508, 510), (509, 512)],
)
def test_runs_around_the_0xff_block(n: int, encoded_len: int):
    raw = b"\x7f" * n
    enc = cobs_encode(raw)
    assert len(enc) == encoded_len
    assert 0 not in enc
    assert cobs_decode(enc) == raw


@pytest.mark.parametrize(
    "bad",
    [
        b"",  # not even the code byte of an empty packet
        b"\x00",  # a zero is never part of an encoding
        b"\x03\x11\x00",  # zero inside a block
        b"\x02\x11\x00\x01",
        b"\x05\x11\x22",  # block runs past the end
        b"\x02",
        b"\xff" + b"\x11" * 253,  # a 0xFF block one byte short
        b"\x02\x11\x04\x22",
    ],
)
def test_malformed_input_returns_none(bad: bytes):
    assert cobs_decode(bad) is None


def _reference_encode(data: bytes) -> bytes:
    """Independent: split at zeros, then cut each piece into 254-byte blocks."""
    out = bytearray()
    pieces = data.split(b"\x00")
    for n, piece in enumerate(pieces):
        while len(piece) >= 254:
            out += b"\xff" + piece[:254]
            piece = piece[254:]
            if not piece and n == len(pieces) - 1:
                return bytes(out)
        out += bytes([len(piece) + 1]) + piece
    return bytes(out)


# Data rich in zeros and in long non-zero runs, not just uniform bytes.
data = st.one_of(
    st.binary(max_size=700),
    st.lists(st.sampled_from([b"\x00", b"\x01", b"\xff", b"\x55" * 253, b"\xaa" * 254]),
             max_size=8).map(b"".join),
)


@given(data)
def test_round_trip(raw: bytes):
    enc = cobs_encode(raw)
    assert 0 not in enc
    assert cobs_decode(enc) == raw
    assert enc == _reference_encode(raw)
    assert len(raw) + 1 <= len(enc) <= len(raw) + 1 + len(raw) // 254


@given(st.binary(max_size=80))
def test_short_packets_cost_exactly_one_byte(raw: bytes):
    assert len(cobs_encode(raw)) == len(raw) + 1


@given(st.binary(max_size=600))
def test_decode_never_raises(blob: bytes):
    result = cobs_decode(blob)
    if 0 in blob or not blob:
        assert result is None


@given(st.binary(min_size=1, max_size=254).filter(lambda b: 0 not in b))
def test_short_valid_encodings_are_canonical(enc: bytes):
    """Below 255 bytes no 0xFF block can complete, so whatever decodes re-encodes identically."""
    raw = cobs_decode(enc)
    if raw is not None:
        assert cobs_encode(raw) == enc
