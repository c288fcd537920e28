"""Incremental stream decoder: bytes in, checked frames out, never an exception.

``StreamDecoder.feed(data)`` holds only the partial frame it has not seen the end of. Corrupt
frames (bad COBS, bad CRC, bad length) are dropped and counted; sample sequence numbers are
tracked so lost frames are counted as *missing*, duplicates and late arrivals are dropped, and a
HELLO (or an unannounced restart of the numbering) starts a new sequence without counting loss.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields

from cctf.acquisition.protocol import (
    MAX_ENCODED_BYTES,
    Frame,
    Hello,
    ParseError,
    Sample,
    UnknownFrameType,
    decode_frame,
)

log = logging.getLogger(__name__)

RESTART_BACKSTEP = 16
"""A sequence number more than this far *behind* the expected one means the device restarted
(its HELLO was lost); within it, the frame is a duplicate or arrived late and is dropped."""

_SEQ_MOD = 1 << 32
_HALF = 1 << 31


@dataclass(frozen=True, slots=True)
class SequenceRestart:
    """Not a wire frame: the decoder's note that numbering restarted at ``seq`` without a HELLO
    (the device rebooted and its HELLO was lost). It precedes that sample in the output."""

    seq: int


@dataclass(slots=True)
class DecoderStats:
    """Counters since the decoder was made; all only ever grow."""

    frames_ok: int = 0
    samples_ok: int = 0
    corrupt: int = 0
    missing: int = 0
    resyncs: int = 0
    duplicates: int = 0
    restarts: int = 0
    unknown: int = 0
    bytes_in: int = 0
    bytes_discarded: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class StreamDecoder:
    """Turn a byte stream into frames; one instance per connection epoch is not required."""

    def __init__(self) -> None:
        self.stats = DecoderStats()
        self._partial = bytearray()
        self._overflowing = False  # current partial frame exceeded the maximum length
        self._in_error = False  # garbage or corrupt frames seen since the last good frame
        self._synced = False  # a delimiter has been seen, so _partial starts at a frame start
        self._expected_seq: int | None = None

    def reset_link(self) -> None:
        """Forget partial bytes and sequence state, e.g. after the port was reopened."""
        self._partial.clear()
        self._overflowing = False
        self._synced = False
        self._in_error = False
        self._expected_seq = None

    def feed(self, data: bytes) -> list[Frame | SequenceRestart]:
        """Decode every complete frame in ``data``; keep the tail for the next call."""
        self.stats.bytes_in += len(data)
        out: list[Frame | SequenceRestart] = []
        if not data:
            return out
        pieces = data.split(b"\x00")
        # All but the last piece end at a delimiter.
        for i, piece in enumerate(pieces[:-1]):
            if i == 0 and self._partial:
                self._partial += piece
                chunk = bytes(self._partial)
                self._partial.clear()
            else:
                chunk = piece
            overflowing = self._overflowing or len(chunk) > MAX_ENCODED_BYTES
            self._overflowing = False
            if not self._synced:
                # Bytes before the first delimiter are the tail of a frame we joined mid-way.
                self._synced = True
                if chunk:
                    self.stats.bytes_discarded += len(chunk)
                    log.debug("discarded %d leading bytes before first delimiter", len(chunk))
                continue
            self._handle(chunk, overflowing, out)
        tail = pieces[-1]
        if len(self._partial) + len(tail) > MAX_ENCODED_BYTES:
            # No delimiter in sight: hold no more than a frame's worth, remember the overflow.
            self.stats.bytes_discarded += len(self._partial) + len(tail)
            self._partial.clear()
            self._overflowing = True
        else:
            self._partial += tail
        return out

    def _handle(
        self, chunk: bytes, overflowing: bool, out: list[Frame | SequenceRestart]
    ) -> None:
        if not chunk and not overflowing:
            return  # back-to-back delimiters are allowed (used as a sync preamble)
        if overflowing:
            # (chunk may be empty: the over-long bytes were already discarded as they came)
            self._corrupt(len(chunk), "frame longer than the maximum")
            return
        try:
            frame = decode_frame(chunk)
        except UnknownFrameType as exc:
            self.stats.unknown += 1
            log.debug("ignored %s", exc)
            return
        except ParseError as exc:
            self._corrupt(len(chunk), str(exc))
            return
        if self._in_error:
            self.stats.resyncs += 1
            self._in_error = False
        if isinstance(frame, Sample):
            verdict = self._accept_seq(frame.seq)
            if verdict == "drop":
                return
            if verdict == "restart":
                out.append(SequenceRestart(frame.seq))
            self.stats.samples_ok += 1
        elif isinstance(frame, Hello):
            self._expected_seq = frame.next_seq
        self.stats.frames_ok += 1
        out.append(frame)

    def _corrupt(self, n_bytes: int, why: str) -> None:
        self.stats.corrupt += 1
        self.stats.bytes_discarded += n_bytes
        self._in_error = True
        log.debug("dropped corrupt frame (%d bytes): %s", n_bytes, why)

    def _accept_seq(self, seq: int) -> str:
        """Update sequence tracking → "ok", "drop" (duplicate or late) or "restart"."""
        expected = self._expected_seq
        if expected is None:
            self._expected_seq = (seq + 1) % _SEQ_MOD
            return "ok"
        ahead = (seq - expected) % _SEQ_MOD
        if ahead < _HALF:
            self.stats.missing += ahead
            if ahead:
                log.debug("sequence gap: expected %d, got %d", expected, seq)
            self._expected_seq = (seq + 1) % _SEQ_MOD
            return "ok"
        behind = _SEQ_MOD - ahead
        if behind <= RESTART_BACKSTEP:
            self.stats.duplicates += 1
            return "drop"
        # Numbering jumped back: the device restarted and its HELLO was lost.
        self.stats.restarts += 1
        log.info("device sequence restarted at %d without a HELLO (expected %d)", seq, expected)
        self._expected_seq = (seq + 1) % _SEQ_MOD
        return "restart"
