"""Incremental stream decoder: bytes in, checked frames out, never an exception.

``StreamDecoder.feed(data)`` holds only the partial frame it has not seen the end of. Corrupt
frames (bad COBS, bad CRC, bad length) are dropped and counted; sample sequence numbers are
tracked so lost frames are counted as *missing*, duplicates and late arrivals are dropped, and a
boot HELLO (or an unannounced restart of the numbering) starts a new sequence without counting
loss. A REQUEST HELLO (the answer to IDENTIFY) never moves the expectation within the duplicate
window, so a HELLO that is replayed or arrives out of place neither re-delivers samples nor
counts false losses (PROTOCOL.md section 10.2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields

from cctf.acquisition.protocol import (
    MAX_ENCODED_BYTES,
    ForeignHello,
    Frame,
    Hello,
    ParseError,
    ResetCause,
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
        # The expectation before the last boot HELLO (or REQUEST HELLO far behind): if the next
        # sample continues it, that HELLO was a replay, not a reboot.
        self._before_boot: int | None = None
        self._tentative_restart = False  # a REQUEST HELLO far behind awaits the next sample

    def restart_numbering(self, next_seq: int) -> None:
        """The device is known to have rebooted (e.g. a REQUEST HELLO says it stopped
        streaming): expect ``next_seq`` next, counting nothing lost."""
        self._expected_seq = next_seq % _SEQ_MOD
        self._before_boot = None
        self._tentative_restart = False

    def reset_link(self) -> None:
        """Forget partial bytes and sequence state, e.g. after the port was reopened."""
        self._partial.clear()
        self._overflowing = False
        self._synced = False
        self._in_error = False
        self._expected_seq = None
        self._before_boot = None
        self._tentative_restart = False

    def feed(self, data: bytes) -> list[Frame | ForeignHello | SequenceRestart]:
        """Decode every complete frame in ``data``; keep the tail for the next call."""
        self.stats.bytes_in += len(data)
        out: list[Frame | ForeignHello | SequenceRestart] = []
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
        self, chunk: bytes, overflowing: bool, out: list[Frame | ForeignHello | SequenceRestart]
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
            self._on_hello(frame)
        self.stats.frames_ok += 1
        out.append(frame)

    def _corrupt(self, n_bytes: int, why: str) -> None:
        self.stats.corrupt += 1
        self.stats.bytes_discarded += n_bytes
        self._in_error = True
        log.debug("dropped corrupt frame (%d bytes): %s", n_bytes, why)

    def _on_hello(self, hello: Hello) -> None:
        """Sequence rules for a HELLO (section 10.2). Never re-delivers, never counts losses;
        a restart a REQUEST HELLO reveals is confirmed (or not) by the next sample."""
        expected, nxt = self._expected_seq, hello.next_seq % _SEQ_MOD
        if expected is None:
            self._expected_seq = nxt
            return
        if hello.reset_cause != ResetCause.REQUEST:
            # A boot: new numbering, nothing counted lost. Remember the old expectation in case
            # the next sample shows this HELLO was a replay.
            if self._before_boot is None:  # (several boot HELLOs in a row: keep the first's)
                self._before_boot = expected
            self._expected_seq = nxt
            return
        behind = (expected - nxt) % _SEQ_MOD
        if behind <= RESTART_BACKSTEP or behind >= _HALF:
            return  # ahead, equal or a little behind: samples say more; keep expecting
        # Far behind: the device restarted (its boot HELLO lost), or this is an old HELLO
        # replayed. The next sample tells: it continues the old numbering, or the new one.
        log.info("HELLO numbering at %d, expected %d: a restart, or a replay", nxt, expected)
        if self._before_boot is None:
            self._before_boot = expected
        self._expected_seq = nxt
        self._tentative_restart = True

    def _accept_seq(self, seq: int) -> str:
        """Update sequence tracking → "ok", "drop" (duplicate or late) or "restart"."""
        before, self._before_boot = self._before_boot, None
        tentative, self._tentative_restart = self._tentative_restart, False
        if before is not None and self._expected_seq is not None:
            since_hello = (seq - self._expected_seq) % _SEQ_MOD
            since_before = (seq - before) % _SEQ_MOD
            if since_before <= RESTART_BACKSTEP and since_before < since_hello:
                log.info("a HELLO was a replay: sample %d continues the old numbering", seq)
                self._expected_seq = before
            elif tentative:
                self.stats.restarts += 1  # a REQUEST HELLO revealed a restart, and so it was
                verdict = self._sequence(seq)
                return "restart" if verdict == "ok" else verdict
        return self._sequence(seq)

    def _sequence(self, seq: int) -> str:
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
