"""StreamDecoder: every counter by example, then property-based fuzzing of damaged streams."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cctf.acquisition import protocol as P
from cctf.acquisition.cobs import cobs_encode
from cctf.acquisition.decoder import RESTART_BACKSTEP, DecoderStats, SequenceRestart, StreamDecoder
from cctf.acquisition.protocol import (
    Ack,
    AckStatus,
    CalFlags,
    Calibration,
    Command,
    FrameType,
    Hello,
    ResetCause,
    Sample,
    SampleFlags,
    SensorModel,
)

WRAP = 1 << 32


def sample(seq: int, flags: SampleFlags = SampleFlags.NONE) -> Sample:
    seq %= WRAP
    return Sample(seq, (seq * 5000) % WRAP, 4000 + seq % 1000, 19.5 + (seq % 7) / 1000, flags)


def hello(next_seq: int = 0, cause: ResetCause = ResetCause.POWER_ON, streaming=False) -> Hello:
    return Hello(1, (1, 0, 0), SensorModel.MPX5010DP, 50, 3, b"CCTF0001", next_seq % WRAP,
                 cause, streaming)


def wire(*frames: P.Frame) -> bytes:
    return b"".join(P.encode(f) for f in frames)


def damaged(frame: P.Frame, pos: int = 6) -> bytes:
    """The frame's wire bytes with one bit flipped (not creating a 0x00): fails its CRC."""
    bad = bytearray(P.encode(frame))
    bad[pos] ^= 0x10 if bad[pos] != 0x10 else 0x20
    return bytes(bad)


def unknown_frame(ftype: int = 0x1F, body: bytes = b"\x01\x02") -> bytes:
    return P.encode_packet(ftype, body)


def decode(stream: bytes, chunks: list[int] | None = None) -> tuple[list, DecoderStats]:
    dec = StreamDecoder()
    out: list = []
    if chunks is None:
        out += dec.feed(stream)
    else:
        cuts = [0, *sorted(chunks), len(stream)]
        for a, b in pairwise(cuts):
            out += dec.feed(stream[a:b])
    return out, dec.stats


def samples_of(out: list) -> list[int]:
    return [f.seq for f in out if isinstance(f, Sample)]


def stats_of(stats: DecoderStats, *names: str) -> tuple[int, ...]:
    return tuple(getattr(stats, n) for n in names)


# --- framing --------------------------------------------------------------------------------


def test_clean_stream():
    frames = [hello(), sample(0), sample(1), Ack(FrameType.START, 2, AckStatus.OK), sample(2)]
    out, st_ = decode(b"\x00" + wire(*frames))
    assert out == frames
    assert st_.frames_ok == 5 and st_.samples_ok == 3
    assert stats_of(st_, "corrupt", "missing", "duplicates", "restarts", "resyncs") == (0,) * 5
    assert st_.bytes_in == 1 + len(wire(*frames)) and st_.bytes_discarded == 0


def test_nothing_before_the_first_delimiter_is_trusted():
    """Joining mid-stream: even a complete frame before the first 0x00 is discarded, silently."""
    first = wire(sample(0))
    out, st_ = decode(first + wire(sample(1)))
    assert out == [sample(1)]
    assert st_.bytes_discarded == len(first) - 1
    assert stats_of(st_, "corrupt", "resyncs", "missing") == (0, 0, 0)


def test_leading_partial_frame_discarded_silently():
    tail = wire(sample(7))[9:]
    out, st_ = decode(tail + wire(sample(8)), chunks=[3, 5])
    assert out == [sample(8)]
    assert (st_.corrupt, st_.bytes_discarded) == (0, len(tail) - 1)


def test_back_to_back_delimiters_are_not_frames():
    out, st_ = decode(b"\x00\x00\x00" + wire(sample(0)) + b"\x00\x00" + wire(sample(1)))
    assert out == [sample(0), sample(1)]
    assert st_.corrupt == 0 and st_.bytes_discarded == 0


def test_no_output_until_the_delimiter():
    dec = StreamDecoder()
    data = b"\x00" + wire(sample(0))
    assert dec.feed(data[:-1]) == []
    assert dec.feed(data[-1:]) == [sample(0)]


def test_corrupt_frame_is_counted_and_the_next_one_resyncs():
    bad = damaged(sample(1))
    out, st_ = decode(b"\x00" + wire(sample(0)) + bad + wire(sample(2)))
    assert out == [sample(0), sample(2)]
    assert stats_of(st_, "corrupt", "resyncs", "missing") == (1, 1, 1)
    assert st_.bytes_discarded == len(bad) - 1


def test_one_resync_per_error_burst():
    bad = damaged(sample(1), 3)
    out, st_ = decode(b"\x00" + bad * 3 + wire(sample(4)) + bad + wire(sample(5)))
    assert out == [sample(4), sample(5)]
    assert (st_.corrupt, st_.resyncs) == (4, 2)


@pytest.mark.parametrize(
    "garbage",
    [b"\xff", b"\x12\x34\x56", bytes(range(1, 200)), b"\x05\x01"],
)
def test_garbage_costs_at_most_the_frame_it_touches(garbage: bytes):
    frames = [sample(0), sample(1), sample(2)]
    out, st_ = decode(b"\x00" + wire(frames[0]) + garbage + wire(frames[1], frames[2]))
    assert out == [frames[0], frames[2]]
    assert st_.corrupt == 1 and st_.missing == 1
    assert st_.bytes_discarded == len(garbage) + len(wire(frames[1])) - 1


def test_unknown_type_is_ignored_not_corrupt():
    stream = b"\x00" + wire(sample(0)) + unknown_frame() + unknown_frame(0x7E, b"") + wire(
        sample(1)
    )
    out, st_ = decode(stream)
    assert out == [sample(0), sample(1)]
    assert stats_of(st_, "unknown", "corrupt", "resyncs", "bytes_discarded") == (2, 0, 0, 0)


@pytest.mark.parametrize(
    ("packet_len", "accepted"),
    [(64, True), (65, False)],
)
def test_maximum_packet_length(packet_len: int, accepted: bool):
    body = bytes([FrameType.START, 9, 0]) + bytes(range(1, packet_len - 5))
    data = P.encode_packet(FrameType.ACK, body)
    assert len(P.packet(FrameType.ACK, body)) == packet_len
    out, st_ = decode(b"\x00" + data + wire(sample(0)))
    if accepted:
        assert out == [Ack(FrameType.START, 9, AckStatus.OK, body[3:]), sample(0)]
    else:
        assert out == [sample(0)] and st_.corrupt == 1


@pytest.mark.parametrize("chunking", [None, "bytewise", [1, 50], [1, 101, 102]])
def test_overlong_frame_is_one_corrupt_frame_whatever_the_chunking(chunking):
    junk = bytes(range(1, 101))  # 100 bytes without a delimiter: longer than any frame
    stream = b"\x00" + junk + b"\x00" + wire(sample(0))
    chunks = list(range(1, len(stream))) if chunking == "bytewise" else chunking
    out, st_ = decode(stream, chunks)
    assert out == [sample(0)]
    assert stats_of(st_, "corrupt", "bytes_discarded", "resyncs") == (1, 100, 1)


def test_overlong_frame_discarded_before_its_delimiter_arrives():
    """Regression: the delimiter of an over-long frame arriving in a later feed than all its
    bytes used to go uncounted (the frame vanished without a 'corrupt')."""
    dec = StreamDecoder()
    dec.feed(b"\x00")
    dec.feed(b"\x01" * 100)
    assert dec.feed(b"\x00") == []
    assert (dec.stats.corrupt, dec.stats.bytes_discarded) == (1, 100)
    assert dec.feed(wire(sample(3))) == [sample(3)]
    assert dec.stats.resyncs == 1


def test_bytes_in_counts_everything():
    dec = StreamDecoder()
    dec.feed(b"")
    dec.feed(b"\x00\x01\x02")
    dec.feed(wire(sample(0)))
    assert dec.stats.bytes_in == 3 + len(wire(sample(0)))


def test_reset_link_forgets_partial_frame_and_sequence():
    dec = StreamDecoder()
    dec.feed(b"\x00" + wire(sample(100)) + wire(sample(101))[:5])
    dec.reset_link()
    # after a reopen: unsynchronised again, and seq 3 is neither a restart nor a duplicate
    assert dec.feed(wire(sample(2))[3:] + wire(sample(3), sample(4))) == [sample(3), sample(4)]
    assert stats_of(dec.stats, "restarts", "duplicates", "missing", "corrupt") == (0, 0, 0, 0)


def test_stats_as_dict():
    dec = StreamDecoder()
    dec.feed(b"\x00" + wire(sample(0)))
    d = dec.stats.as_dict()
    assert d["samples_ok"] == 1 and d["bytes_in"] == 1 + len(wire(sample(0)))
    assert set(d) == {
        "frames_ok", "samples_ok", "corrupt", "missing", "resyncs", "duplicates", "restarts",
        "unknown", "bytes_in", "bytes_discarded",
    }


# --- sequence accounting ---------------------------------------------------------------------


def seqs(*numbers: int) -> bytes:
    return b"\x00" + wire(*(sample(n) for n in numbers))


def test_first_sample_may_have_any_seq():
    out, st_ = decode(seqs(123456, 123457))
    assert samples_of(out) == [123456, 123457] and st_.missing == 0


def test_missing_samples_are_counted():
    out, st_ = decode(seqs(0, 1, 4, 5, 9))
    assert samples_of(out) == [0, 1, 4, 5, 9]
    assert (st_.missing, st_.samples_ok) == (5, 5)


def test_duplicate_is_dropped():
    out, st_ = decode(seqs(0, 1, 1, 2, 2, 2))
    assert samples_of(out) == [0, 1, 2]
    assert (st_.duplicates, st_.missing, st_.frames_ok) == (3, 0, 3)


def test_late_frame_is_dropped_after_being_counted_missing():
    out, st_ = decode(seqs(0, 1, 3, 2, 4))
    assert samples_of(out) == [0, 1, 3, 4]
    assert (st_.missing, st_.duplicates, st_.restarts) == (1, 1, 0)


def test_backstep_boundary_between_late_and_restart():
    # expected is 101 after sample 100: 101 - 16 = 85 is late, 84 is a restart
    out, st_ = decode(seqs(100, 101 - RESTART_BACKSTEP))
    assert samples_of(out) == [100] and (st_.duplicates, st_.restarts) == (1, 0)
    out, st_ = decode(seqs(100, 100 - RESTART_BACKSTEP, 101 - RESTART_BACKSTEP))
    assert samples_of(out) == [100, 84, 85]
    assert (st_.duplicates, st_.restarts, st_.missing) == (0, 1, 0)


def test_unannounced_restart_is_noted_before_the_sample():
    out, st_ = decode(seqs(500, 501, 0, 1, 2))
    assert out == [sample(500), sample(501), SequenceRestart(0), sample(0), sample(1), sample(2)]
    assert (st_.restarts, st_.missing, st_.duplicates, st_.samples_ok) == (1, 0, 0, 5)


def test_hello_resets_the_sequence_so_a_reboot_loses_nothing():
    stream = b"\x00" + wire(*(sample(n) for n in range(100, 106)))
    stream += b"\x00" + wire(hello(0, ResetCause.WATCHDOG), sample(0), sample(1))
    out, st_ = decode(stream)
    assert samples_of(out) == [100, 101, 102, 103, 104, 105, 0, 1]
    assert stats_of(st_, "missing", "restarts", "duplicates") == (0, 0, 0)
    assert not any(isinstance(f, SequenceRestart) for f in out)


def test_hello_early_in_a_run_also_avoids_false_duplicates():
    # a reboot 3 samples into a run would look like 'late frames' without the HELLO
    out, st_ = decode(seqs(0, 1, 2) + wire(hello(0), sample(0), sample(1)))
    assert samples_of(out) == [0, 1, 2, 0, 1]
    assert (st_.duplicates, st_.missing) == (0, 0)


def test_identify_hello_mid_stream_changes_nothing():
    out, st_ = decode(seqs(10, 11) + wire(hello(12, ResetCause.REQUEST, True), sample(12)))
    assert samples_of(out) == [10, 11, 12]
    assert stats_of(st_, "missing", "duplicates", "restarts") == (0, 0, 0)


def test_samples_missing_right_after_a_hello_are_counted():
    _, st_ = decode(b"\x00" + wire(hello(0), sample(3)))
    assert st_.missing == 3


def test_sequence_wraps_without_loss():
    out, st_ = decode(seqs(WRAP - 2, WRAP - 1, 0, 1))
    assert samples_of(out) == [WRAP - 2, WRAP - 1, 0, 1]
    assert stats_of(st_, "missing", "duplicates", "restarts") == (0, 0, 0)


def test_gap_across_the_wrap():
    _, st_ = decode(seqs(WRAP - 2, 1))
    assert st_.missing == 2


def test_duplicate_across_the_wrap():
    out, st_ = decode(seqs(WRAP - 1, 0, WRAP - 1, 1))
    assert samples_of(out) == [WRAP - 1, 0, 1] and st_.duplicates == 1


# --- property-based fuzzing ------------------------------------------------------------------


def ref_crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def ref_cobs_decode(enc: bytes) -> bytes | None:
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


def crc_valid_chunks(stream: bytes) -> list[bytes]:
    """Every delimited piece of ``stream`` that is, independently checked, a CRC-valid packet."""
    found = []
    for piece in stream.split(b"\x00")[1:-1]:
        raw = ref_cobs_decode(piece)
        if not raw or not 3 <= len(raw) <= 64:
            continue
        if ref_crc16(raw[:-2]) == int.from_bytes(raw[-2:], "little"):
            found.append(piece)
    return found


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OPS = ["ok"] * 6 + ["flip", "truncate", "lose_delimiter", "garbage", "duplicate", "drop"]


@st.composite
def traffic(draw) -> tuple[bytes, list[bytes], list[P.Frame]]:
    """A damaged byte stream → (stream, intact frame wires in order, every frame sent).

    The device's events (samples, some lost, IDENTIFY and boot HELLOs, ACKs, silent restarts,
    frames of unknown type) each suffer one of OPS on the wire. A frame is *intact* when its
    bytes arrive unchanged right after a 0x00 and are followed by their own delimiter.
    """
    seq = draw(st.sampled_from([0, 1000, WRAP - 5]) | st.integers(0, WRAP - 1))
    n = draw(st.integers(1, 30))
    events = draw(st.lists(
        st.sampled_from(["s"] * 10 + ["identify", "boot", "ack", "unknown", "silent_restart"]),
        min_size=n, max_size=n,
    ))
    items: list[tuple[bytes, P.Frame | None]] = []
    for ev in events:
        if ev == "s":
            items.append((P.encode(sample(seq)), sample(seq)))
            seq = (seq + 1) % WRAP
        elif ev == "identify":
            items.append((P.encode(h := hello(seq, ResetCause.REQUEST, True)), h))
        elif ev == "boot":
            seq = 0
            items.append((P.encode(h := hello(0, ResetCause.EXTERNAL)), h))
        elif ev == "ack":
            a = Ack(FrameType.GET_CAL, draw(st.integers(0, 255)), AckStatus.OK,
                    Calibration(7, 655, 0.0, 12451, 60.002, 660, CalFlags.TWO_POINT).body())
            items.append((P.encode(a), a))
        elif ev == "unknown":
            items.append((unknown_frame(draw(st.integers(0x04, 0x1F))), None))
        else:  # the device restarted and its HELLO was lost
            seq = 0
    # reorder a few neighbours (late arrival)
    for i in draw(st.lists(st.integers(0, max(0, len(items) - 2)), max_size=3)):
        if i + 1 < len(items):
            items[i], items[i + 1] = items[i + 1], items[i]

    lead = draw(st.sampled_from([b"", b"\x13\x37", P.encode(sample(999))[4:]]))
    stream = bytearray(lead + b"\x00")
    placed: list[tuple[int, bytes]] = []  # where each frame's bytes were meant to go
    sent: list[P.Frame] = []
    for data, frame in items:
        if frame is not None:
            sent.append(frame)
        op = draw(st.sampled_from(OPS))
        if op == "garbage":
            stream += draw(st.binary(min_size=1, max_size=80)
                           | st.binary(min_size=60, max_size=160))
        for _ in range(2 if op == "duplicate" else 0 if op == "drop" else 1):
            placed.append((len(stream), data))
            if op == "flip":
                bad = bytearray(data)
                bad[draw(st.integers(0, len(data) - 2))] ^= 1 << draw(st.integers(0, 7))
                stream += bad
            elif op == "truncate":
                stream += data[: draw(st.integers(0, len(data) - 2))] + b"\x00"
            elif op == "lose_delimiter":
                stream += data[:-1]
            else:
                stream += data
    # Intact: the exact bytes, delimiter included, right after a 0x00. (A frame that lost its
    # delimiter is intact after all if the next thing on the line happens to start with 0x00.)
    intact = [
        data for at, data in placed
        if stream[at - 1] == 0 and stream[at : at + len(data)] == data
    ]
    return bytes(stream), intact, sent


def chunked(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    return [stream[a:b] for a, b in pairwise(points)]


def run(chunks: list[bytes]) -> tuple[list, DecoderStats]:
    dec = StreamDecoder()
    out: list = []
    for c in chunks:
        out += dec.feed(c)
    return out, dec.stats


def frames_only(out: list) -> list:
    return [f for f in out if not isinstance(f, SequenceRestart)]


@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=30))
def test_fuzz_random_garbage_never_raises(blob: bytes, cuts: list[int]):
    out, st_ = run(chunked(blob, cuts))
    assert st_.bytes_in == len(blob)
    assert 0 <= st_.bytes_discarded <= len(blob)
    valid = crc_valid_chunks(blob)
    for frame in frames_only(out):
        assert P.encode(frame)[:-1] in valid or any(
            P.decode_frame(c) == frame for c in valid
        )


@FUZZ
@given(traffic(), st.data())
def test_fuzz_damaged_stream(t, data):
    stream, intact, sent = t
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=25), label="cuts")
    out, st_ = run(chunked(stream, cuts))

    # never raises (we got here); counters are consistent
    assert st_.bytes_in == len(stream)
    assert st_.bytes_discarded <= len(stream)
    assert st_.frames_ok == len(frames_only(out))
    assert st_.samples_ok == sum(isinstance(f, Sample) for f in out)
    assert st_.restarts == sum(isinstance(f, SequenceRestart) for f in out)

    # never yields a frame that failed its CRC: everything out was sent, or (by a 1-in-65536
    # fluke of the damage) really is a CRC-valid packet in the stream, checked independently
    valid = crc_valid_chunks(stream)
    flukes = [f for f in frames_only(out) if f not in sent]
    for frame in flukes:
        assert any(P.decode_frame(c) == frame for c in valid)

    # recovers within one frame: the output is exactly what the intact frames alone give
    if not flukes:
        ref_out, ref_stats = run([b"\x00" + b"".join(intact)])
        assert out == ref_out
        for name in ("frames_ok", "samples_ok", "missing", "duplicates", "restarts"):
            assert getattr(st_, name) == getattr(ref_stats, name), name


@FUZZ
@given(traffic(), st.data())
def test_fuzz_chunking_does_not_matter(t, data):
    stream = t[0]
    cuts_a = data.draw(st.lists(st.integers(0, len(stream)), max_size=40), label="a")
    cuts_b = data.draw(st.lists(st.integers(0, len(stream)), max_size=5), label="b")
    out_whole, stats_whole = run([stream])
    out_bytes, stats_bytes = run([stream[i : i + 1] for i in range(len(stream))])
    # a read that ends exactly where a frame does: each delimiter starts the next feed
    at_delimiters = [i for i, byte in enumerate(stream) if byte == 0]
    for out, stats in (run(chunked(stream, cuts_a)), run(chunked(stream, cuts_b)),
                       (out_bytes, stats_bytes), run(chunked(stream, at_delimiters))):
        assert out == out_whole
        assert stats.as_dict() == stats_whole.as_dict()


@FUZZ
@given(
    st.integers(0, WRAP - 1),
    st.lists(st.sampled_from(["next", "skip", "dup", "swap"]), min_size=1, max_size=60),
)
def test_fuzz_sequence_accounting_invariants(start: int, steps: list[str]):
    """Losses, duplicates within the window and swapped neighbours: no restarts, strictly
    increasing output, and missing = the holes in the accepted range."""
    order: list[int] = []
    seq = start
    for step in steps:
        if step == "skip":
            seq += 1
            continue
        if step == "dup" and order:
            order.append(order[-1])
            continue
        order.append(seq)
        seq += 1
        # Swapped neighbours further apart than the restart window look like a device restart
        # by design (PROTOCOL.md); only swaps within the window are "late frames".
        # (the earlier one arrives behind = gap + 1 from the expectation)
        if step == "swap" and len(order) >= 2 and order[-1] - order[-2] < RESTART_BACKSTEP:
            order[-1], order[-2] = order[-2], order[-1]
    out, st_ = decode(b"\x00" + wire(*(sample(n) for n in order)))
    got = samples_of(out)
    assert st_.restarts == 0
    assert bool(got) == bool(order), "the first sample is always accepted"
    steps_between = [(b - a) % WRAP for a, b in pairwise(got)]
    assert all(1 <= d < 1 << 31 for d in steps_between)
    assert st_.missing == sum(steps_between) - len(steps_between)
    assert st_.duplicates == len(order) - len(got)
    assert set(got) <= {n % WRAP for n in order}


def test_every_single_bit_flip_is_caught():
    """Exhaustively: one flipped bit anywhere in a SAMPLE or a calibration ACK is never
    decoded into a frame (CRC-16 catches all 1-bit errors; COBS damage is caught too)."""
    cal = Calibration(4, 655, 0.0, 12451, 60.002, 702, CalFlags.TWO_POINT | CalFlags.TARED)
    for frame in (sample(1234), Ack(FrameType.TARE, 9, AckStatus.OK, cal.body()),
                  Command(FrameType.SET_RATE, 3, P.set_rate_args(200))):
        data = P.encode(frame)
        for pos in range(len(data) - 1):
            for bit in range(8):
                bad = bytearray(data)
                bad[pos] ^= 1 << bit
                out, st_ = decode(b"\x00" + bytes(bad) + b"\x00" + wire(sample(5000)))
                assert out == [sample(5000)], (frame, pos, bit)
                assert st_.corrupt >= 1


def test_cobs_of_the_fuzz_oracle_matches_the_codec():
    """The fuzz oracle's own COBS decoder agrees with the codec on valid frames."""
    for frame in (sample(0), hello(), Ack(FrameType.STOP, 1, AckStatus.OK)):
        enc = P.encode(frame)[:-1]
        raw = ref_cobs_decode(enc)
        assert raw == P.packet(P.frame_type(frame), frame.body())
        assert cobs_encode(raw) == enc
