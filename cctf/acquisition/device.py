"""The device: an explicit lifecycle over any transport, and the reader thread behind it.

    with Device(SerialTransport("/dev/ttyACM0")) as dev:   # connect(): open + HELLO
        dev.start(rate_hz=50)                              # reader thread, START
        rows = dev.buffer.read(cursor).rows                # consumers pull
        dev.stop()

The reader thread only does I/O: it reads, decodes, maps device time to host time and appends
to the ring buffer. It never calls back into the app. A lost link is reopened every
``reconnect_interval_s``; the gap is recorded as a ``LinkEvent`` and nothing already received
is lost. A link that stays open but goes silent while streaming (a reboot whose HELLO was lost)
is caught by the liveness rule of PROTOCOL.md section 10.5: after ``liveness_timeout_s`` the
state is RECONNECTING, IDENTIFY is sent every ``IDENTIFY_RETRY_S`` and START again if the HELLO
says the device is not streaming. Without a thread (``start(threaded=False)``) the caller
drives it with ``pump`` or ``run_for``; with a ``VirtualClock`` that runs a long session in a
fraction of a second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import numpy as np

from cctf.acquisition import protocol as proto
from cctf.acquisition.buffer import SampleBuffer, new_rows
from cctf.acquisition.decoder import SequenceRestart, StreamDecoder
from cctf.acquisition.health import LinkEvent, LinkHealth, LinkState, RateMeter
from cctf.acquisition.protocol import Ack, AckStatus, Calibration, FrameType, Hello, ResetCause
from cctf.acquisition.timesync import DeviceClockMapper
from cctf.acquisition.transport import Transport
from cctf.clock import Clock, MonotonicClock
from cctf.errors import DeviceError, ProtocolError, TransportClosed, VersionMismatch

log = logging.getLogger(__name__)

_READ_TIMEOUT_S = 0.05
_RESUME_RETRY_S = 1.0
LIVENESS_MIN_S = 0.5
"""Silence while streaming longer than max(LIVENESS_MIN_S, LIVENESS_PERIODS / rate) is a stall."""
LIVENESS_PERIODS = 5
IDENTIFY_RETRY_S = 0.5
CLOCK_TOLERANCE = 0.001
"""A crystal's tolerance: device and host clocks disagreeing by more is reported (a warning)."""


def liveness_timeout_s(rate_hz: float) -> float:
    """How long a streaming device may stay silent before the host asks who is there."""
    return max(LIVENESS_MIN_S, LIVENESS_PERIODS / max(rate_hz, 1e-9))


class Device:
    """A cctf device (real, simulated or replayed) behind one API."""

    def __init__(
        self,
        transport: Transport,
        *,
        clock: Clock | None = None,
        buffer_capacity: int = 120_000,
        auto_reconnect: bool = True,
        reconnect_interval_s: float = 0.25,
        command_timeout_s: float = 1.0,
        command_attempts: int = 3,
        hello_timeout_s: float = 4.0,
    ) -> None:
        self.transport = transport
        self.clock = clock or MonotonicClock()
        self.buffer = SampleBuffer(buffer_capacity)
        self.auto_reconnect = auto_reconnect
        self.reconnect_interval_s = reconnect_interval_s
        self.command_timeout_s = command_timeout_s
        self.command_attempts = command_attempts
        self.hello_timeout_s = hello_timeout_s
        self.hello: Hello | None = None
        self.calibration: Calibration | None = None
        self.read_batch_s = 0.0
        """Reader thread: after a read that brought samples, wait this long before the next,
        so one read gathers that much data (0: read as soon as bytes arrive). A minimised app
        sets it: nobody watches the latency, and fewer wake-ups cost less CPU. Sample times
        are unaffected (the clock mapper follows the lower envelope of arrival times)."""

        self.on_samples: Callable[[], None] | None = None
        """Called on the reader thread (or the pumping one) after samples were added to the
        buffer: the app wakes its frame pacer with it, so a sample is drawn when it arrives
        rather than at a poll. Must be quick and thread-safe."""

        self._decoder = StreamDecoder()
        self._mapper = DeviceClockMapper()
        self._rate = RateMeter()
        self._lock = threading.RLock()  # guards state below; never held during I/O waits
        self._acked = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._acks: dict[int, Ack] = {}
        self._token = 0
        self._events: list[LinkEvent] = []
        self._state = LinkState.CLOSED
        self._want_streaming = False
        self._requested_rate_hz: int | None = None
        self._device_resets = 0
        self._reconnects = 0
        self._gaps = 0
        self._gap_s = 0.0
        self._gap_from_s: float | None = None  # last sample time before a link loss
        self._gap_why = ""
        self._last_sample_s: float | None = None
        self._resume_at_s: float | None = None
        self._boot_hello_expected = False
        self._hello_count = 0
        self._first_hello: Hello | None = None  # the first HELLO since the port was opened
        self._lost_at_s = 0.0
        self._next_attempt_s = 0.0
        self._stalled = False  # streaming, link open, but silent for too long
        self._last_rx_s: float | None = None  # host time of the last sample (or START's ACK)
        self._next_identify_s = 0.0
        self._rate_changes: list[tuple[float, int]] = []  # (host time, rate now in force)
        self._clock_warned = False
        self._asked_streaming = False  # an IDENTIFY went out while the device was streaming
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # The last sample of a read, held until the next read shows whether its HEAD frame
        # (sent right after it, but maybe split across reads) follows: (sample, received_s).
        self._held: tuple[proto.Sample, float] | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def connect(self) -> Hello:
        """Open the transport and wait for the device's HELLO (asking with IDENTIFY).

        Returns the HELLO that completed the connection (PROTOCOL.md 10.1: whichever arrives
        first), so a boot HELLO's reset cause is not hidden by the IDENTIFY answer that may
        follow it in the same read; ``hello`` stays the newest."""
        self._set_state(LinkState.CONNECTING)
        try:
            self._open_and_handshake()
        except Exception:
            self._set_state(LinkState.CLOSED)
            self.transport.close()
            raise
        self._set_state(LinkState.IDLE)
        assert self._first_hello is not None
        return self._first_hello

    def start(self, rate_hz: int | None = None, *, threaded: bool = True) -> None:
        """Start streaming (optionally at ``rate_hz``); with ``threaded`` a reader thread runs."""
        if self.hello is None:
            self.connect()
        if rate_hz is not None:
            self.set_rate(rate_hz)
        self._command(FrameType.START)
        with self._lock:
            self._want_streaming = True
            self._last_rx_s = self.clock.now()
            self._stalled = False
        if self.rate_hz is not None:
            self._rate_in_force(self.rate_hz, self.clock.now())
        self._set_state(LinkState.STREAMING)
        if threaded and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="cctf-reader", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop streaming; the link stays open (``close`` ends it)."""
        with self._lock:
            self._want_streaming = False
            stalled, self._stalled = self._stalled, False
        if stalled:
            self._set_state(LinkState.STREAMING)
        if self._state in (LinkState.STREAMING, LinkState.IDLE):
            try:
                self._command(FrameType.STOP)
            except (DeviceError, ProtocolError) as exc:
                log.warning("could not stop streaming cleanly: %s", exc)
        if self._state == LinkState.STREAMING:
            self._set_state(LinkState.IDLE)

    def close(self) -> None:
        """Stop the reader thread and close the transport; safe to call more than once."""
        if self._state == LinkState.STREAMING:
            self.stop()
        self._stop.set()
        self.clock.wake()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5.0)
        self.transport.close()
        self._set_state(LinkState.CLOSED)

    def __enter__(self) -> Device:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def rate_hz(self) -> int | None:
        """The sampling rate in force on the device: the last SET_RATE it acknowledged, or the
        rate of its last HELLO (a reboot restores its default until the rate is re-sent)."""
        with self._lock:
            if self._rate_changes:
                return self._rate_changes[-1][1]
            return self.hello.sample_rate_hz if self.hello is not None else None

    @property
    def rate_changes(self) -> list[tuple[float, int]]:
        """Every change of the rate in force, as (host time, rate_hz), oldest first."""
        with self._lock:
            return list(self._rate_changes)

    def _rate_in_force(self, rate_hz: int, t_s: float) -> None:
        with self._lock:
            if not self._rate_changes or self._rate_changes[-1][1] != rate_hz:
                self._rate_changes.append((t_s, rate_hz))

    @property
    def events(self) -> list[LinkEvent]:
        with self._lock:
            return list(self._events)

    def health(self) -> LinkHealth:
        with self._lock:
            s = self._decoder.stats
            return LinkHealth(
                state=self._state,
                rate_hz=self._rate.rate_hz,
                samples=s.samples_ok,
                frames_ok=s.frames_ok,
                corrupt=s.corrupt,
                missing=s.missing,
                resyncs=s.resyncs,
                duplicates=s.duplicates,
                device_resets=self._device_resets,
                reconnects=self._reconnects,
                gaps=self._gaps,
                gap_s=self._gap_s,
                bytes_in=s.bytes_in,
            )

    # --- commands ------------------------------------------------------------------------

    def set_rate(self, rate_hz: int) -> int:
        if not proto.MIN_RATE_HZ <= rate_hz <= proto.MAX_RATE_HZ:
            raise ValueError(
                f"rate_hz must be {proto.MIN_RATE_HZ}–{proto.MAX_RATE_HZ}, got {rate_hz}"
            )
        self._command(FrameType.SET_RATE, proto.set_rate_args(rate_hz))
        with self._lock:
            self._requested_rate_hz = rate_hz
            self._rate.reset()
        self._rate_in_force(rate_hz, self.clock.now())
        return rate_hz

    def tare(self) -> Calibration:
        """Zero at atmosphere: the cuff must be open to air (not on the patient).

        The device averages the readings of the 0.25 s *after* the command and then answers
        (PROTOCOL.md section 6), so the wait is longer than for other commands."""
        rate = self.rate_hz or 1
        extra_s = proto.tare_window_len(rate) / rate + 1.0 / rate
        return self._cal_command(FrameType.TARE, timeout_s=self.command_timeout_s + extra_s)

    def read_calibration(self) -> Calibration:
        return self._cal_command(FrameType.GET_CAL)

    def write_calibration(
        self, raw_a: int, mmhg_a: float, raw_b: int, mmhg_b: float
    ) -> Calibration:
        args = proto.set_cal_args(raw_a, mmhg_a, raw_b, mmhg_b)
        return self._cal_command(FrameType.SET_CAL, args)

    def reset_calibration(self) -> Calibration:
        return self._cal_command(FrameType.RESET_CAL)

    def identify(self) -> Hello:
        """Ask the device who it is (its LED blinks); returns the fresh HELLO."""
        before = self._hello_count
        with self._lock:
            self._asked_streaming = self._state == LinkState.STREAMING
        self._command(FrameType.IDENTIFY)
        self._wait_for(lambda: self._hello_count > before, self.command_timeout_s)
        assert self.hello is not None
        return self.hello

    def _cal_command(
        self, ftype: FrameType, args: bytes = b"", timeout_s: float | None = None
    ) -> Calibration:
        ack = self._command(ftype, args, timeout_s)
        cal = Calibration.parse(ack.data)
        self.calibration = cal
        return cal

    def _command(self, ftype: FrameType, args: bytes = b"", timeout_s: float | None = None) -> Ack:
        """Send a command and wait for its ACK, retrying; raise on NAK or silence."""
        timeout_s = self.command_timeout_s if timeout_s is None else timeout_s
        tokens: list[int] = []  # the ACK of any attempt will do
        for attempt in range(1, self.command_attempts + 1):
            with self._lock:
                self._token = (self._token + 1) & 0xFF
                tokens.append(self._token)
            self._write(proto.DELIMITER + proto.encode(proto.Command(ftype, tokens[-1], args)))
            got = self._wait_for(lambda: any(t in self._acks for t in tokens), timeout_s)
            if got:
                with self._lock:
                    ack = next(self._acks.pop(t) for t in tokens if t in self._acks)
                    for t in tokens:
                        self._acks.pop(t, None)
                if ack.status != AckStatus.OK:
                    status = getattr(ack.status, "name", ack.status)
                    raise ProtocolError(f"device refused {ftype.name}: {status}")
                return ack
            log.info("no ACK for %s (attempt %d/%d)", ftype.name, attempt, self.command_attempts)
        raise DeviceError(
            f"{self.transport.name}: no answer to {ftype.name} after "
            f"{self.command_attempts} attempts; check the cable and that the firmware is cctf's"
        )

    def _wait_for(self, predicate, timeout_s: float) -> bool:
        """Wait on the injected clock; pump the link ourselves if no reader thread does."""
        deadline = self.clock.now() + timeout_s
        if self._thread is None or threading.current_thread() is self._thread:
            while not predicate():
                remaining = deadline - self.clock.now()
                if remaining <= 0:
                    return False
                self._pump_once(min(remaining, _READ_TIMEOUT_S))
            return True
        with self._acked:
            while not predicate():
                if self.clock.now() >= deadline or self._stop.is_set():
                    return False
                self._acked.wait(0.02)
            return True

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            self.transport.write(data)

    # --- driving without a thread --------------------------------------------------------

    def pump(self, timeout_s: float = 0.0) -> None:
        """Read and process once (waiting up to ``timeout_s``); while the link is down, make
        a reconnect attempt when one is due instead."""
        if self._state == LinkState.RECONNECTING and not self._stalled:
            now = self.clock.now()
            if now < self._next_attempt_s:
                self.clock.sleep(min(timeout_s, self._next_attempt_s - now))
                return
            self._try_reconnect()
            return
        if self._state == LinkState.CLOSED:
            self.clock.sleep(timeout_s)
            return
        try:
            self._pump_once(timeout_s)
        except TransportClosed as exc:
            self._link_lost(exc)

    def run_for(self, duration_s: float) -> None:
        """Pump until ``duration_s`` of clock time has passed (for callers without a thread)."""
        end = self.clock.now() + duration_s
        while (remaining := end - self.clock.now()) > 0:
            self.pump(min(remaining, _READ_TIMEOUT_S))

    # --- the reader ----------------------------------------------------------------------

    def _run(self) -> None:
        log.debug("reader thread started on %s", self.transport.name)
        while not self._stop.is_set():
            try:
                self.reader_step()
            except Exception:  # the reader must survive anything; data so far is kept
                log.exception("unexpected error in the reader thread; carrying on")
                self.clock.sleep(_READ_TIMEOUT_S)
        log.debug("reader thread stopped")

    def reader_step(self) -> None:
        """One turn of the reader thread: read and process once, then, if samples came and
        ``read_batch_s`` is set, wait that long so the next read takes a batch."""
        before = self.buffer.written
        self.pump(_READ_TIMEOUT_S)
        if self.read_batch_s > 0 and self.buffer.written != before:
            self.clock.sleep(self.read_batch_s)

    def _pump_once(self, timeout_s: float) -> None:
        data = self.transport.read(timeout_s)
        received_s = self.clock.now()
        if data:
            frames = self._decoder.feed(data)
            if frames:
                self._dispatch(frames, received_s)
        else:
            self._release_held()
        self._check_liveness(received_s)
        self._resume_if_needed(received_s)

    def _dispatch(self, frames: Iterable[object], received_s: float) -> None:
        batch: list[proto.Sample] = []
        heads: dict[int, proto.Head] = {}
        if self._held is not None:
            batch.append(self._held[0])
            self._held = None
        last_was_sample = False
        for frame in frames:
            last_was_sample = isinstance(frame, proto.Sample)
            if isinstance(frame, proto.Sample):
                batch.append(frame)
                continue
            if isinstance(frame, proto.Head):
                # pairs only with the sample of its own seq in this batch: a HEAD whose sample
                # is gone (or never came) measures nothing, and nothing is carried over
                if batch and batch[-1].seq == frame.seq:
                    heads[frame.seq] = frame
                continue
            self._flush(batch, received_s, heads)
            batch = []
            heads = {}
            if isinstance(frame, Hello | proto.ForeignHello):
                self._on_hello(frame, received_s)
            elif isinstance(frame, SequenceRestart):
                self._on_device_reset(received_s, "sequence restarted without a HELLO")
            elif isinstance(frame, Ack):
                with self._acked:
                    self._acks[frame.token] = frame
                    self._acked.notify_all()
        hello = self.hello
        if batch and last_was_sample and hello is not None and hello.head_sensor:
            self._held = (batch.pop(), received_s)
        self._flush(batch, received_s, heads)

    def _release_held(self) -> None:
        """A read brought nothing: the held sample's HEAD is not coming with it."""
        if self._held is not None:
            sample, received_s = self._held
            self._held = None
            self._flush([sample], received_s, {})

    def _flush(self, batch: list[proto.Sample], received_s: float,
               heads: dict[int, proto.Head] | None = None) -> None:
        if not batch:
            return
        rows = new_rows(len(batch))
        for i, s in enumerate(batch):
            head = heads.get(s.seq) if heads else None
            if head is not None and head.measured:
                rows["head_pitch_deg"][i] = head.pitch_deg
                rows["head_roll_deg"][i] = head.roll_deg
        rows["seq"] = [s.seq for s in batch]
        rows["raw"] = [s.raw for s in batch]
        rows["pressure_mmhg"] = [s.pressure_mmhg for s in batch]
        rows["flags"] = [int(s.flags) for s in batch]
        device_s, host_s = self._mapper.map(np.array([s.t_us for s in batch]), received_s)
        rows["t_device_s"] = device_s
        rows["t_s"] = host_s
        rows["epoch"] = self._mapper.epoch
        self.buffer.append(rows)
        self._check_clocks(received_s)
        with self._lock:
            self._last_rx_s = received_s
            if self._stalled:
                self._stalled = False
                self._state = LinkState.STREAMING
                self._events.append(LinkEvent("resumed", received_s, "samples again"))
            self._rate.add(float(host_s[-1]), len(host_s))
            if self._gap_from_s is not None:
                gap = float(host_s[0]) - self._gap_from_s
                self._gaps += 1
                self._gap_s += gap
                self._events.append(LinkEvent("gap", self._gap_from_s, self._gap_why, gap))
                self._gap_from_s = None
            self._last_sample_s = float(host_s[-1])
            self._resume_at_s = None
        if self.on_samples is not None:
            self.on_samples()

    def _on_hello(self, hello: Hello | proto.ForeignHello, received_s: float) -> None:
        if not isinstance(hello, Hello) or hello.protocol_version != proto.PROTOCOL_VERSION:
            raise VersionMismatch(
                f"device on {self.transport.name} speaks protocol version "
                f"{hello.protocol_version}; this cctf speaks version {proto.PROTOCOL_VERSION}: "
                "update the firmware or cctf", hello.protocol_version)
        with self._lock:
            previous, self.hello = self.hello, hello
            self._hello_count += 1
            if self._first_hello is None:
                self._first_hello = hello
            if previous is not None and previous.serial != hello.serial:
                self._events.append(
                    LinkEvent("other_device", received_s, f"now {hello.serial_text}")
                )
                log.warning("a different device answered: %s", hello.serial_text)
        if hello.reset_cause == ResetCause.REQUEST:
            # Section 10.4: a REQUEST HELLO that says "not streaming" while this host had the
            # device streaming (and is not already restarting it) means it rebooted since.
            with self._lock:
                asked, self._asked_streaming = self._asked_streaming, False
                rebooted = (asked and self._want_streaming and not hello.streaming
                            and not self._boot_hello_expected and self._resume_at_s is None)
            if rebooted:
                self._decoder.restart_numbering(hello.next_seq)
                self._on_device_reset(received_s, "device rebooted (its boot HELLO was lost)")
            return
        if self._boot_hello_expected:
            self._boot_hello_expected = False  # the boot of a (re)connection, not a reset
            return
        cause = getattr(hello.reset_cause, "name", str(hello.reset_cause))
        self._on_device_reset(received_s, f"device rebooted ({cause})")

    def _on_device_reset(self, received_s: float, why: str) -> None:
        """The microcontroller restarted mid-session: new time epoch, streaming resumed."""
        log.warning("%s: %s", self.transport.name, why)
        self._mapper.new_epoch()
        with self._lock:
            self._device_resets += 1
            self._events.append(LinkEvent("device_reset", received_s, why))
            if self._want_streaming:
                self._resume_at_s = received_s
                if self._last_sample_s is not None and self._gap_from_s is None:
                    self._gap_from_s = self._last_sample_s
                    self._gap_why = "device reset"

    def _check_liveness(self, now_s: float) -> None:
        """Section 10.5: silence while streaming -> RECONNECTING, IDENTIFY until the device
        answers (its HELLO then says whether START must be sent again)."""
        with self._lock:
            if not self._want_streaming or self._last_rx_s is None or not (
                    self._state == LinkState.STREAMING or self._stalled):
                return
            if not self._stalled:
                silent_s = now_s - self._last_rx_s
                if silent_s <= liveness_timeout_s(self.rate_hz or 1):
                    return
                self._stalled = True
                self._state = LinkState.RECONNECTING
                self._rate.reset()
                self._events.append(LinkEvent("silent", now_s, f"no samples for {silent_s:.2f} s"))
                if self._last_sample_s is not None and self._gap_from_s is None:
                    self._gap_from_s = self._last_sample_s
                    self._gap_why = "silence"
                self._next_identify_s = now_s
                log.warning("%s: no samples for %.2f s; asking the device who is there",
                            self.transport.name, silent_s)
            if now_s < self._next_identify_s:
                return
            self._next_identify_s = now_s + IDENTIFY_RETRY_S
            self._asked_streaming = True
        self._write(proto.DELIMITER + proto.encode(proto.Command(FrameType.IDENTIFY, 0)))

    def _check_clocks(self, now_s: float) -> None:
        """Warn once when device and host clocks disagree beyond a crystal's tolerance."""
        measured = self._mapper.measured_skew
        if self._clock_warned or measured is None or abs(measured) <= CLOCK_TOLERANCE:
            return
        self._clock_warned = True
        detail = (f"device clock {-measured * 100:+.2f} % against the host's; t_s follows the "
                  "host clock, t_device_s the device's")
        log.warning("%s: %s", self.transport.name, detail)
        with self._lock:
            self._events.append(LinkEvent("clock_disagreement", now_s, detail))

    @property
    def clock_disagreement(self) -> float | None:
        """Measured rate difference host vs device clock (None until measured)."""
        return self._mapper.measured_skew

    def _resume_if_needed(self, now_s: float) -> None:
        """After a device reset, re-send the rate and START (without waiting: we are the reader)."""
        with self._lock:
            if self._resume_at_s is None or now_s < self._resume_at_s:
                return
            self._resume_at_s = now_s + _RESUME_RETRY_S
            rate = self._requested_rate_hz
        if rate is not None:
            self._write(proto.DELIMITER + proto.encode(
                proto.Command(FrameType.SET_RATE, 0, proto.set_rate_args(rate))))
        self._write(proto.DELIMITER + proto.encode(proto.Command(FrameType.START, 0)))

    # --- losing and regaining the link ---------------------------------------------------

    def _link_lost(self, exc: Exception) -> None:
        self._release_held()  # received before the loss: kept
        now = self.clock.now()
        log.warning("%s", exc)
        with self._lock:
            self._stalled = False
            self._events.append(LinkEvent("disconnected", now, str(exc)))
            if self._last_sample_s is not None and self._gap_from_s is None:
                self._gap_from_s = self._last_sample_s
                self._gap_why = "link down"
            self._lost_at_s = now
            self._next_attempt_s = now + self.reconnect_interval_s
        self.transport.close()
        self._set_state(LinkState.RECONNECTING if self.auto_reconnect else LinkState.CLOSED)

    def _try_reconnect(self) -> None:
        """One attempt to reopen the link and resume what the app had asked for."""
        try:
            self._open_and_handshake()
            if self._want_streaming:
                if self._requested_rate_hz is not None:
                    self._command(FrameType.SET_RATE, proto.set_rate_args(self._requested_rate_hz))
                self._command(FrameType.START)
                with self._lock:
                    self._last_rx_s = self.clock.now()
        except (DeviceError, ProtocolError) as err:
            log.debug("reconnect attempt failed: %s", err)
            self.transport.close()
            self._next_attempt_s = self.clock.now() + self.reconnect_interval_s
            return
        now = self.clock.now()
        with self._lock:
            self._reconnects += 1
            self._events.append(
                LinkEvent("reconnected", now, "link restored", now - self._lost_at_s)
            )
        self._set_state(LinkState.STREAMING if self._want_streaming else LinkState.IDLE)
        log.info("reconnected to %s after %.2f s", self.transport.name, now - self._lost_at_s)

    def _open_and_handshake(self) -> None:
        self.transport.open()
        self._decoder.reset_link()
        self._boot_hello_expected = True
        with self._lock:
            self._first_hello = None
        before = self._hello_count
        deadline = self.clock.now() + self.hello_timeout_s
        while self.clock.now() < deadline:
            self._write(proto.DELIMITER + proto.encode(proto.Command(FrameType.IDENTIFY, 0)))
            if self._wait_for(lambda: self._hello_count > before, 0.5):
                self._mapper.new_epoch()
                self._boot_hello_expected = False
                return
        raise DeviceError(
            f"{self.transport.name} opened but sent no HELLO within {self.hello_timeout_s:.0f} s: "
            "is it a cctf device with its firmware flashed, at 115200 baud?"
        )

    def _set_state(self, state: LinkState) -> None:
        with self._lock:
            if state != self._state:
                log.debug("link %s -> %s", self._state.value, state.value)
                self._state = state
