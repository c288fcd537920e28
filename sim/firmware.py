"""A model of the cctf firmware: the same frames, commands and timing, driven by a time argument.

``SimulatedFirmware`` never reads a clock. Whoever runs it (the in-process transport, the pty
server) calls ``advance(t_s)`` with the simulation time and gets the bytes the board would have
put on the wire by then; ``receive(data, t_s)`` delivers host bytes. Sampling is deadline based
(sample k of a run is due at start + k/rate), so the rate is exact over any run length.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from cctf.acquisition import protocol as proto
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
    Peripherals,
    ResetCause,
    Sample,
    SampleFlags,
    SensorModel,
)
from cctf.sim.faults import LinkFaults
from cctf.sim.sensor import RAW_MAX, SimulatedSensor, datasheet_points, raw_for
from cctf.sim.source import PressureSource

log = logging.getLogger(__name__)

FIRMWARE_VERSION = (1, 0, 0)
DEFAULT_RATE_HZ = 50
SENSOR_FAULT_RAW = 200  # below this the sensor output is near 0 V: disconnected or dead
TARE_MAX_PENDING = 4  # TAREs waiting for the same window; one more is answered FAILED
HEAD_SETTLE_S = 0.5
"""The head sensor's orientation filter converges this long after boot or START (HEAD_SETTLING)."""

HeadTrace = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``head_angles(t_s) -> (pitch_deg, roll_deg)`` at device times; NaN = the sensor did not
answer (sent as HEAD_FAULT)."""

_NO_ARGS = frozenset({FrameType.START, FrameType.STOP, FrameType.TARE, FrameType.GET_CAL,
                      FrameType.IDENTIFY, FrameType.RESET_CAL})


def default_calibration() -> Calibration:
    """The datasheet transfer function: what RESET_CAL restores ("not calibrated")."""
    raw_a, mmhg_a, raw_b, mmhg_b = datasheet_points()
    return Calibration(0, raw_a, mmhg_a, raw_b, mmhg_b, raw_a, CalFlags.NONE)


def factory_calibration(sensor: SimulatedSensor) -> Calibration:
    """A two-point calibration of this very unit, as a technician would have stored it."""
    raw_a = round(raw_for(0.0, sensor.params))
    raw_b = round(raw_for(60.0, sensor.params))
    return Calibration(1, raw_a, 0.0, raw_b, 60.0, raw_a, CalFlags.TWO_POINT)


class SimulatedFirmware:
    """The board: boots, samples on a timer, answers commands, streams frames with faults."""

    def __init__(
        self,
        source: PressureSource,
        *,
        sensor: SimulatedSensor | None = None,
        faults: LinkFaults | None = None,
        default_rate_hz: int = DEFAULT_RATE_HZ,
        serial: bytes = b"SIM00001",
        seed: int = 0,
        head: HeadTrace | None = None,
        head_noise_deg: float = 0.0,
        legacy_hello: bool = False,
    ) -> None:
        self.source = source
        # The optional head-motion sensor (issue 17): HELLO says it is fitted and every SAMPLE
        # is followed by a HEAD frame. ``legacy_hello``: firmware from before it (25-byte HELLO).
        self.head = head
        self.head_noise_deg = head_noise_deg
        self.legacy_hello = legacy_hello
        self._head_rng = np.random.default_rng(seed + 3)
        self._head_from_s = 0.0  # settling runs until this time
        self.sensor = sensor or SimulatedSensor(seed=seed)
        self.faults = faults or LinkFaults()
        self.default_rate_hz = default_rate_hz
        self.serial = serial
        # "EEPROM": survives resets. The simulated unit left the bench calibrated.
        self.calibration = factory_calibration(self.sensor)
        self._rng = np.random.default_rng(seed + 1)
        self._decoder_buf = bytearray()
        self._rx_synced = False
        self._rx_overflow = False
        self._out = bytearray()
        self._t_s = 0.0  # simulation time reached so far
        self.powered = False
        self._boot_s = 0.0
        self._rate_hz = default_rate_hz
        self.streaming = False
        self._seq = 0
        self._tick0_s = 0.0  # sampling timer origin (simulation time)
        self._tick = 0  # index of the next timer tick
        self._tare_tokens: list[int] = []  # TAREs waiting for their window (section 6)
        self._tare_n = 0
        self._tare_raw: list[int] = []
        self._pending_resets = sorted(self.faults.resets_s)
        self._pending_disconnects = sorted(self.faults.disconnects_s)
        self._unplugged_until: float | None = None
        self.boots = 0

    # --- power and time ------------------------------------------------------------------

    @property
    def rate_hz(self) -> int:
        return self._rate_hz

    @property
    def connected(self) -> bool:
        """False while the simulated cable is pulled."""
        return self._unplugged_until is None

    def power_on(self, t_s: float, cause: ResetCause = ResetCause.POWER_ON) -> None:
        """Boot: a 0x00, then a HELLO; not streaming; sequence and device clock from zero."""
        self.powered = True
        self.boots += 1
        self._boot_s = t_s
        self._head_from_s = t_s
        self._t_s = max(self._t_s, t_s)
        self._rate_hz = self.default_rate_hz
        self.streaming = False
        self._seq = 0
        self._decoder_buf.clear()
        self._rx_synced = False
        self._rx_overflow = False
        self._restart_timer(t_s)
        self._tare_tokens.clear()
        self._tare_raw.clear()
        hello = self._hello(cause)
        if self.faults.boot_hello_loss_prob and (
                self._rng.random() < self.faults.boot_hello_loss_prob):
            log.info("sim: the boot HELLO at %.3f s is lost on the line", t_s)
        else:
            self._emit(hello)
        log.debug("sim firmware booted at %.3f s (%s)", t_s, cause.name)

    def next_event_s(self) -> float:
        """Simulation time of the next thing the board will do on its own."""
        nxt = self._tick0_s + self._tick / self._rate_hz if self.powered else np.inf
        for t in (self._pending_resets[:1], [d[0] for d in self._pending_disconnects[:1]]):
            if t:
                nxt = min(nxt, t[0])
        if self._unplugged_until is not None:
            nxt = min(nxt, self._unplugged_until)
        return float(nxt)

    def advance(self, t_s: float) -> bytes:
        """Run the board up to simulation time ``t_s``; return the bytes it sent meanwhile."""
        while True:
            event_s = self.next_event_s()
            if event_s > t_s:
                break
            self._run_until(event_s)
            self._handle_scheduled(event_s)
        self._run_until(t_s)
        self._t_s = max(self._t_s, t_s)
        return self.take_output()

    def take_output(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out if self.connected else b""

    def _handle_scheduled(self, t_s: float) -> None:
        if self._unplugged_until is not None and t_s >= self._unplugged_until:
            self._unplugged_until = None
            log.info("sim: cable plugged back in at %.2f s", t_s)
            self.power_on(t_s)
        if self._pending_disconnects and self._pending_disconnects[0][0] <= t_s:
            start, duration = self._pending_disconnects.pop(0)
            log.info("sim: cable pulled at %.2f s for %.2f s", start, duration)
            self.powered = False
            self.streaming = False
            self._out.clear()
            self._unplugged_until = start + duration
        if self._pending_resets and self._pending_resets[0] <= t_s:
            self._pending_resets.pop(0)
            if self.powered:
                log.info("sim: watchdog reset at %.2f s", t_s)
                self.power_on(t_s, ResetCause.WATCHDOG)

    def _restart_timer(self, t_s: float) -> None:
        self._tick0_s = t_s
        self._tick = 1

    def _run_until(self, t_s: float) -> None:
        """Take every timer tick due up to ``t_s`` (inclusive)."""
        if not self.powered:
            return
        last = int(np.floor((t_s - self._tick0_s) * self._rate_hz + 1e-9))
        if last < self._tick:
            return
        ticks = np.arange(self._tick, last + 1)
        times = self._tick0_s + ticks / self._rate_hz
        self._tick = last + 1
        raw = self.sensor.read_raw(self.source.pressure_mmhg(times))
        if not self.streaming and not self._tare_tokens:
            return
        heads = self._read_head(times) if self.streaming and self.head is not None else None
        for i, (t, r) in enumerate(zip(times, raw, strict=True)):
            if self.streaming:
                seq = self._seq
                self._send_sample(float(t), int(r))
                if heads is not None:
                    self._send_head(seq, float(t), heads[0][i], heads[1][i])
            if self._tare_tokens:
                self._tare_reading(int(r))

    def _tare_reading(self, raw: int) -> None:
        """One reading taken after a TARE arrived: the zero is the mean of the first
        ``tare_window_len(rate)`` of them; the ACK follows the last one's SAMPLE."""
        status = AckStatus.OK
        if self._flags_of(raw) & (SampleFlags.OVER_RANGE | SampleFlags.SENSOR_FAULT):
            status = AckStatus.FAILED  # not atmospheric, or no sensor: nothing changes
        else:
            self._tare_raw.append(raw)
            if len(self._tare_raw) < self._tare_n:
                return
            zero = proto.div_round(sum(self._tare_raw), len(self._tare_raw))
            self._store(replace(self.calibration, zero_raw=zero,
                                flags=self.calibration.flags | CalFlags.TARED))
        data = self.calibration.body() if status == AckStatus.OK else b""
        for token in self._tare_tokens:
            self._emit(Ack(int(FrameType.TARE), token, status, data))
        self._tare_tokens.clear()
        self._tare_raw.clear()

    @staticmethod
    def _flags_of(raw: int) -> SampleFlags:
        flags = SampleFlags.NONE
        if raw >= RAW_MAX - 16:
            flags |= SampleFlags.OVER_RANGE
        if raw < SENSOR_FAULT_RAW:
            flags |= SampleFlags.SENSOR_FAULT
        return flags

    # --- frames out ----------------------------------------------------------------------

    def _send_sample(self, t_s: float, raw: int) -> None:
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        flags = self._flags_of(raw)
        if not self.calibration.flags & CalFlags.TWO_POINT:
            flags |= SampleFlags.NOT_CALIBRATED
        t_us = round((t_s - self._boot_s) * 1e6) & 0xFFFFFFFF
        p_milli, saturated = self.calibration.pressure_milli(raw)
        if saturated:
            flags |= SampleFlags.OVER_RANGE
        frame = Sample(seq, t_us, raw, p_milli / proto.PRESSURE_SCALE, flags)
        if self.faults.drop_prob and self._rng.random() < self.faults.drop_prob:
            return
        self._emit(frame, faulty=True)

    def _read_head(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert self.head is not None
        pitch, roll = (np.asarray(a, dtype=float) for a in self.head(times))
        if self.head_noise_deg:
            pitch = pitch + self._head_rng.normal(0.0, self.head_noise_deg, len(times))
            roll = roll + self._head_rng.normal(0.0, self.head_noise_deg, len(times))
        return pitch, roll

    def _send_head(self, seq: int, t_s: float, pitch_deg: float, roll_deg: float) -> None:
        """The HEAD frame right after the SAMPLE of the same instant (HEAD-PROTOCOL.md)."""
        flags = HeadFlags.NONE
        if not (np.isfinite(pitch_deg) and np.isfinite(roll_deg)):
            flags |= HeadFlags.FAULT
            pitch_deg = roll_deg = 0.0
        if t_s < self._head_from_s + HEAD_SETTLE_S:
            flags |= HeadFlags.SETTLING
        limit = 32767 / proto.ANGLE_SCALE
        frame = Head(seq, float(np.clip(pitch_deg, -limit, limit)),
                     float(np.clip(roll_deg, -limit, limit)), flags)
        if self.faults.drop_prob and self._rng.random() < self.faults.drop_prob:
            return
        self._emit(frame, faulty=True)

    def _emit(self, frame: proto.Frame, faulty: bool = False) -> None:
        """Queue a frame; like the firmware, every frame starts with a 0x00 (section 9.1)."""
        wire = bytearray(proto.DELIMITER + proto.encode(frame))
        if faulty and self.faults.corrupt_prob and self._rng.random() < self.faults.corrupt_prob:
            bit = int(self._rng.integers(0, (len(wire) - 2) * 8))  # not the 0x00s
            wire[1 + bit // 8] ^= 1 << (bit % 8)
        if faulty and self.faults.garbage_rate_hz:
            p_burst = min(1.0, self.faults.garbage_rate_hz / self._rate_hz)
            if self._rng.random() < p_burst:
                n = int(self._rng.integers(1, 41))
                self._out += self._rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        self._out += wire

    def _hello(self, cause: ResetCause) -> Hello:
        return Hello(
            protocol_version=proto.PROTOCOL_VERSION,
            firmware_version=FIRMWARE_VERSION,
            sensor_model=SensorModel.SIMULATOR,
            sample_rate_hz=self._rate_hz,
            calibration_id=self.calibration.calibration_id,
            serial=self.serial,
            next_seq=self._seq,
            reset_cause=cause,
            streaming=self.streaming,
            peripherals=None if self.legacy_hello else int(
                Peripherals.HEAD_SENSOR if self.head is not None else Peripherals.NONE),
        )

    # --- commands in ---------------------------------------------------------------------

    def receive(self, data: bytes, t_s: float) -> None:
        """Bytes from the host at simulation time ``t_s`` (the board first catches up)."""
        self._run_until(t_s)
        if not self.powered or not self.connected:
            return
        *frames, tail = (bytes(self._decoder_buf) + data).split(b"\x00")
        if len(tail) > proto.MAX_ENCODED_BYTES:
            tail, self._rx_overflow = b"", True  # no delimiter in sight: drop the whole frame
        self._decoder_buf = bytearray(tail)
        for chunk in frames:
            synced, self._rx_synced = self._rx_synced, True
            overflow, self._rx_overflow = self._rx_overflow, False
            if not chunk or not synced or overflow:
                continue  # bytes before the first 0x00 since boot, or an over-long frame
            try:
                ftype, body = proto.unpack_packet(chunk)
            except proto.ParseError:
                continue  # the host retries; a board cannot answer an unreadable token
            if ftype < 0x20 or not body:
                continue  # device-to-host types, or no token to answer with
            if ftype not in proto.COMMANDS:
                self._emit(Ack(ftype, body[0], AckStatus.UNKNOWN_COMMAND))
                continue
            self._execute(Command(FrameType(ftype), body[0], bytes(body[1:])), t_s)

    def _execute(self, cmd: Command, t_s: float) -> None:
        status, data = AckStatus.OK, b""
        hello_after = False
        try:
            if cmd.command in _NO_ARGS and cmd.args:
                status = AckStatus.BAD_LENGTH
            elif cmd.command == FrameType.START:
                if not self.streaming:
                    self._head_from_s = t_s
                self.streaming = True
            elif cmd.command == FrameType.STOP:
                self.streaming = False
            elif cmd.command == FrameType.SET_RATE:
                rate = proto.parse_set_rate_args(cmd.args)
                if not proto.MIN_RATE_HZ <= rate <= proto.MAX_RATE_HZ:
                    status = AckStatus.BAD_ARGUMENT
                else:
                    self._rate_hz = rate
                    self._restart_timer(t_s)
                    data = proto.set_rate_args(rate)
            elif cmd.command == FrameType.TARE:
                if len(self._tare_tokens) >= TARE_MAX_PENDING:
                    status = AckStatus.FAILED
                else:
                    if not self._tare_tokens:
                        self._tare_n = proto.tare_window_len(self._rate_hz)
                    self._tare_tokens.append(cmd.token)
                    return  # answered after the window (_tare_reading)
            elif cmd.command == FrameType.GET_CAL:
                data = self.calibration.body()
            elif cmd.command == FrameType.SET_CAL:
                ra, pa, rb, pb = proto.parse_set_cal_milli(cmd.args)
                zero = proto.zero_for_points(ra, pa, rb, pb)
                if zero is None:
                    status = AckStatus.BAD_ARGUMENT
                else:
                    self._store(Calibration(0, ra, pa / proto.PRESSURE_SCALE, rb,
                                            pb / proto.PRESSURE_SCALE, zero, CalFlags.TWO_POINT))
                    data = self.calibration.body()
            elif cmd.command == FrameType.RESET_CAL:
                self._store(default_calibration())
                data = self.calibration.body()
            elif cmd.command == FrameType.IDENTIFY:
                hello_after = True
            else:
                status = AckStatus.UNKNOWN_COMMAND
        except proto.ParseError:
            status = AckStatus.BAD_LENGTH
        self._emit(Ack(int(cmd.command), cmd.token, status, data))
        if hello_after:
            self._emit(self._hello(ResetCause.REQUEST))

    def _store(self, cal: Calibration) -> None:
        """Write calibration to "EEPROM" with a new identity."""
        new_id = (self.calibration.calibration_id + 1) & 0xFFFFFFFF or 1
        self.calibration = replace(cal, calibration_id=new_id)
