"""A Lab Streaming Layer outlet: cctf's pressure and event markers, live, for LabRecorder & co.

Optional (``pip install 'cctf[lsl]'``) and off by default: ``--lsl`` on ``cctf record``,
``cctf train`` and the app. This is the only code in cctf that opens network sockets, and
``pylsl`` is imported only when an outlet is made, so without ``--lsl`` nothing is loaded.

Two streams per device (``docs/lsl.md``):

- ``cctf-pressure-<serial>``: type ``Pressure``, one float32 channel ``pressure_mmhg`` (unit
  mmHg) — with a head sensor fitted two more, ``head_pitch_deg`` and ``head_roll_deg``
  (degrees, zeroed, NaN = not measured) — nominal rate = the device's rate, ``source_id`` =
  the serial;
- ``cctf-events-<serial>``: type ``Markers``, one string channel (``cctf.session.markers``).

Timestamps are not the time a frame was read: each sample's time is the device's own sample
time mapped onto the host's clock by ``DeviceClockMapper`` (``rows["t_s"]``), moved onto LSL's
clock (``local_clock()``) by one measured offset. So USB jitter does not enter the stream.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from cctf import __version__, texts
from cctf.clock import Clock
from cctf.errors import CctfError

log = logging.getLogger(__name__)

PRESSURE_TYPE = "Pressure"
MARKERS_TYPE = "Markers"
CHANNEL = "pressure_mmhg"
HEAD_TYPE = "Orientation"
HEAD_CHANNELS = (("head_pitch_deg", "degrees", HEAD_TYPE), ("head_roll_deg", "degrees", HEAD_TYPE))
"""With a head sensor (issue 17) the pressure stream has these two more channels, the
session CSV's columns: zeroed flexion (+ = chin towards chest) and roll; NaN = not measured."""
HEAD_REFERENCE = ("zeroed: 0 = the head at rest (the first still 2 s, or the neutral given); "
                  "NaN = not measured")
CLOSE_LINGER_S = 0.5
"""On close, connected inlets get this long to take the last samples before the outlet goes
(liblsl drops what is still queued when an outlet is destroyed)."""


class LslUnavailable(CctfError):
    """``--lsl`` was asked for but pylsl (or its liblsl) cannot be loaded here."""


def add_lsl_argument(parser: argparse.ArgumentParser) -> None:
    """``--lsl`` (and ``--lsl-wait S``) on a command that streams from a device."""
    parser.add_argument("--lsl", action="store_true", help=texts.LSL_HELP)
    parser.add_argument("--lsl-wait", type=_wait_seconds, default=0.0, metavar="S",
                        help=texts.LSL_WAIT_HELP)


def _wait_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be 0–3600 seconds, got {value:g}")
    return value


def load_pylsl() -> ModuleType:
    """Import pylsl, or raise ``LslUnavailable`` with one line saying what to install."""
    try:
        import pylsl
    except ImportError as exc:
        raise LslUnavailable(texts.LSL_MISSING.format(error=_first_line(exc))) from None
    except (OSError, RuntimeError) as exc:  # pylsl without a liblsl for this platform
        raise LslUnavailable(texts.LSL_NO_LIBLSL.format(error=_first_line(exc))) from None
    return pylsl


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True, slots=True)
class StreamSource:
    """What the streams say about the device."""

    serial: str
    rate_hz: float
    calibration_id: str = ""
    firmware: str = ""
    sensor: str = ""
    head_sensor: bool = False  # HELLO says a head sensor is fitted: two more channels

    @classmethod
    def of_device(cls, device: Any, rate_hz: float | None = None) -> StreamSource:
        hello = device.hello
        if hello is None:
            raise ValueError("the device has not said HELLO yet")
        cal = device.calibration
        return cls(hello.serial_text, float(rate_hz or hello.sample_rate_hz),
                   str(cal.calibration_id if cal is not None else hello.calibration_id),
                   hello.firmware_text, hello.sensor_text, bool(hello.head_sensor))


def clock_offset_s(clock: Clock, lsl_clock: Callable[[], float], tries: int = 5) -> float:
    """``lsl_clock() − clock.now()``, from the tightest of a few bracketed reads."""
    best: tuple[float, float] | None = None
    for _ in range(tries):
        a = clock.now()
        mid = lsl_clock()
        b = clock.now()
        if best is None or b - a < best[0]:
            best = (b - a, mid - (a + b) / 2)
    assert best is not None
    return best[1]


class LslOutlet:
    """The two outlets of one device. Not thread-safe: push from one thread."""

    def __init__(self, source: StreamSource, clock: Clock, *,
                 pylsl: ModuleType | None = None) -> None:
        self.source = source
        self._lsl = pylsl or load_pylsl()
        lsl = self._lsl
        self.pressure_name = f"cctf-pressure-{source.serial}"
        self.events_name = f"cctf-events-{source.serial}"
        self.head = source.head_sensor
        channels = ((CHANNEL, "mmHg", PRESSURE_TYPE),) + (HEAD_CHANNELS if self.head else ())
        info = lsl.StreamInfo(self.pressure_name, PRESSURE_TYPE, len(channels), source.rate_hz,
                              lsl.cf_float32, source.serial)
        desc = info.desc()
        chans = desc.append_child("channels")
        for label, unit, kind in channels:
            ch = chans.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", unit)
            ch.append_child_value("type", kind)
            if kind == HEAD_TYPE:
                ch.append_child_value("reference", HEAD_REFERENCE)
        _describe(desc, source)
        events = lsl.StreamInfo(self.events_name, MARKERS_TYPE, 1, lsl.IRREGULAR_RATE,
                                lsl.cf_string, f"{source.serial}-events")
        ech = events.desc().append_child("channels").append_child("channel")
        ech.append_child_value("label", "marker")
        ech.append_child_value("type", MARKERS_TYPE)
        _describe(events.desc(), source)
        # Sockets open here: the outlets become discoverable on the local network.
        self._pressure = lsl.StreamOutlet(info)
        self._events = lsl.StreamOutlet(events)
        self.offset_s = clock_offset_s(clock, lsl.local_clock)
        self.samples = 0
        self.markers = 0
        log.info("LSL outlets %s and %s open (clock offset %.6f s)", self.pressure_name,
                 self.events_name, self.offset_s)

    def lsl_time(self, host_s: float | np.ndarray) -> float | np.ndarray:
        """A time on the device's host time line (``Device.clock``) on LSL's clock."""
        return host_s + self.offset_s

    def wait_for_consumers(self, timeout_s: float) -> bool:
        """Wait (real time) until both streams have an inlet, e.g. LabRecorder recording."""
        if timeout_s <= 0:
            return False
        end = time.monotonic() + timeout_s
        ok = self._pressure.wait_for_consumers(timeout_s)
        return ok and self._events.wait_for_consumers(max(0.0, end - time.monotonic()))

    def push_rows(self, rows: np.ndarray,
                  head: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Samples (``SAMPLE_DTYPE`` rows) stamped with their mapped sample times. With a head
        sensor, ``head`` = zeroed (pitch, roll) per row; NaN (or no ``head``: not zeroed yet)
        = not measured, never 0."""
        if not len(rows):
            return
        stamps = np.asarray(rows["t_s"], dtype=np.float64) + self.offset_s
        values = np.asarray(rows["pressure_mmhg"], dtype=np.float32).reshape(-1, 1)
        if self.head:
            angles = (np.full((len(rows), 2), np.nan, dtype=np.float32) if head is None
                      else np.column_stack(head).astype(np.float32))
            values = np.hstack((values, angles))
        self._pressure.push_chunk(values.tolist(), stamps.tolist())
        self.samples += len(rows)

    def push_marker(self, text: str, host_s: float) -> None:
        """One marker at a time on the device's host time line (a sample's ``t_s``)."""
        self._events.push_sample([text], float(host_s) + self.offset_s)
        self.markers += 1

    def metadata(self, t0_host_s: float) -> dict[str, object]:
        """For the session file: its t_s = 0 on LSL's clock (sample k: that + t_s[k])."""
        return {"lsl_streams": f"{self.pressure_name} {self.events_name}",
                "lsl_clock_at_t0_s": f"{t0_host_s + self.offset_s:.6f}"}

    def close(self, linger_s: float = CLOSE_LINGER_S) -> None:
        """Give connected inlets ``linger_s`` to take the last data, then close the outlets."""
        if self._pressure is None:
            return
        if linger_s > 0 and (self._pressure.have_consumers() or self._events.have_consumers()):
            time.sleep(linger_s)
        self._pressure = self._events = None  # pylsl destroys an outlet when it is released


def _describe(desc: Any, source: StreamSource) -> None:
    acq = desc.append_child("acquisition")
    acq.append_child_value("manufacturer", "cctf")
    acq.append_child_value("software", f"cctf {__version__}")
    acq.append_child_value("serial", source.serial)
    acq.append_child_value("firmware", source.firmware)
    acq.append_child_value("sensor", source.sensor)
    acq.append_child_value("calibration_id", source.calibration_id)
    acq.append_child_value("timestamps", "device sample times mapped to local_clock()")
