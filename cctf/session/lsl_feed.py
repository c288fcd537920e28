"""Feed an LSL outlet from a running session: samples, cue changes, analysis events, link
events and therapist marks, each at the time of its sample (``cctf.acquisition.lsl``).

``LslFeed`` is what the app and ``cctf train`` call with what they already have each tick.
``DeviceLslPump`` is a buffer consumer of its own for commands without a session runner
(``cctf record``): it looks the cued targets up and runs the analysis live for the markers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from cctf.acquisition.device import Device
from cctf.acquisition.head_zero import HeadNeutral, StreamZeroing
from cctf.acquisition.health import LinkEvent
from cctf.acquisition.lsl import LslOutlet, load_pylsl
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.results import Event
from cctf.session.markers import cue_changes, event_marker, link_marker, therapist_marker

log = logging.getLogger(__name__)

STREAMED_LINK_EVENTS = ("disconnected", "reconnected", "device_reset", "gap", "other_device")


class LslFeed:
    """Markers and samples of one session onto an outlet; times are on the device's host
    time line, session times are turned into it with ``t0_host_s``."""

    def __init__(self, outlet: LslOutlet, t0_host_s: float = 0.0, link_events_seen: int = 0
                 ) -> None:
        self.outlet = outlet
        self.t0_host_s = t0_host_s
        self._cue: tuple[float, str] | None = None
        self._link_seen = link_events_seen
        self._queue: list[tuple[float, str]] = []

    def start_session(self, t0_host_s: float) -> None:
        self.t0_host_s = t0_host_s
        self._cue = None
        self._queue.append((t0_host_s, "recording start"))

    def stop_session(self, host_s: float) -> None:
        self._queue.append((host_s, "recording stop"))
        self._cue = None
        self.flush()

    def samples(self, rows: np.ndarray,
                head: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.outlet.push_rows(rows, head)

    def cues(self, t_session_s: np.ndarray, target_mmhg: np.ndarray, phase: Sequence[str]
             ) -> None:
        changes, self._cue = cue_changes(t_session_s, target_mmhg, phase, self._cue)
        self._queue += [(t + self.t0_host_s, m) for t, m in changes]

    def events(self, events: Sequence[Event]) -> None:
        for e in events:
            marker = event_marker(e)
            if marker is not None:
                self._queue.append((e.t_s + self.t0_host_s, marker))

    def link(self, device_events: Sequence[LinkEvent]) -> None:
        """The device's link events not streamed yet (pass ``device.events``)."""
        for e in device_events[self._link_seen:]:
            if e.kind in STREAMED_LINK_EVENTS:
                self._queue.append((e.t_s, link_marker(e.kind, e.duration_s)))
        self._link_seen = len(device_events)

    def mark(self, text: str, host_s: float) -> None:
        """A therapist's action or marker, at the newest sample's time."""
        self._queue.append((host_s, therapist_marker(text)))

    def flush(self) -> None:
        """Push the queued markers, earliest first (stable for equal times)."""
        queued, self._queue = sorted(self._queue, key=lambda m: m[0]), []
        for host_s, text in queued:
            self.outlet.push_marker(text, host_s)


CueLookup = Callable[[np.ndarray], tuple[np.ndarray, list[str]]]


class DeviceLslPump:
    """Everything new in ``device.buffer`` onto the outlet (its own cursor, like the recorder)."""

    def __init__(self, device: Device, outlet: LslOutlet, t0_host_s: float, *,
                 rate_hz: float, cues: CueLookup | None = None,
                 head_neutral: HeadNeutral | None = None) -> None:
        self.device = device
        self.feed = LslFeed(outlet, link_events_seen=len(device.events))
        # Head sensor: zeroed as the recorder zeroes the file (the same rows from t0, so the
        # same still window), or from the neutral given (``cctf record --head-neutral``).
        self.head = StreamZeroing(head_neutral) if outlet.head else None
        self.cues = cues
        self._analyzer = CcftAnalyzer(rate_hz) if cues is not None else None
        self._cursor = device.buffer.written
        self.feed.start_session(t0_host_s)

    def poll(self) -> int:
        pull = self.device.buffer.read(self._cursor)
        self._cursor = pull.cursor
        if pull.missed:
            log.error("LSL outlet fell behind: %d samples overwritten unsent", pull.missed)
        rows = pull.rows
        t0 = self.feed.t0_host_s
        rows = rows[rows["t_s"] >= t0] if len(rows) else rows
        if len(rows):
            head = (self.head.zero(rows["t_s"] - t0, rows["head_pitch_deg"],
                                   rows["head_roll_deg"]) if self.head is not None else None)
            self.feed.samples(rows, head)
            if self.cues is not None and self._analyzer is not None:
                t = rows["t_s"] - t0
                target, phase = self.cues(t)
                self.feed.cues(t, target, phase)
                self.feed.events(self._analyzer.update(t, rows["pressure_mmhg"], target,
                                                       phase))
        self.feed.link(self.device.events)
        self.feed.flush()
        return len(rows)

    def close(self) -> None:
        self.poll()
        if self._analyzer is not None:
            self.feed.events(self._analyzer.finish())
        last = self.device.buffer.latest(1)
        end = float(last["t_s"][0]) if len(last) else self.feed.t0_host_s
        self.feed.stop_session(end)


OutletOpener = Callable[[Device, float], LslOutlet]


def open_outlet(device: Device, rate_hz: float) -> LslOutlet:
    from cctf.acquisition.lsl import StreamSource

    return LslOutlet(StreamSource.of_device(device, rate_hz), device.clock)


class LslSwitch:
    """The app's LSL setting: off by default; while on, the attached device has an outlet
    and everything the app sees goes to it. Every method is a no-op while off."""

    def __init__(self, opener: OutletOpener = open_outlet,
                 check: Callable[[], object] = load_pylsl) -> None:
        self.opener = opener
        self.check = check  # raises LslUnavailable without pylsl, before anything changes
        self.enabled = False
        self.feed: LslFeed | None = None
        self._device: Device | None = None
        self._rate_hz = 0.0

    @property
    def streaming(self) -> bool:
        return self.feed is not None

    def set_enabled(self, on: bool) -> None:
        """Turn streaming on or off (raises ``LslUnavailable`` without pylsl; stays off)."""
        if on:
            self.check()
        if on and not self.enabled and self._device is not None:
            self.feed = LslFeed(self.opener(self._device, self._rate_hz),
                                link_events_seen=len(self._device.events))
        if not on:
            self._close()
        self.enabled = on

    def attach(self, device: Device, rate_hz: float) -> None:
        self.detach()
        self._device, self._rate_hz = device, rate_hz
        if self.enabled:
            self.feed = LslFeed(self.opener(device, rate_hz), link_events_seen=len(device.events))

    def detach(self) -> None:
        self._close()
        self._device = None

    def _close(self) -> None:
        feed, self.feed = self.feed, None
        if feed is not None:
            feed.flush()
            feed.outlet.close()

    def samples(self, rows: np.ndarray,
                head: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Rows as they arrive; ``head``: their zeroed (pitch, roll) with a head sensor."""
        if self.feed is not None:
            self.feed.samples(rows, head)

    def start_session(self, t0_host_s: float) -> None:
        if self.feed is not None:
            self.feed.start_session(t0_host_s)

    def stop_session(self, host_s: float) -> None:
        if self.feed is not None:
            self.feed.stop_session(host_s)

    def cues(self, t_session_s: np.ndarray, target_mmhg: np.ndarray, phase: Sequence[str]
             ) -> None:
        if self.feed is not None:
            self.feed.cues(t_session_s, target_mmhg, phase)

    def events(self, events: Sequence[Event]) -> None:
        if self.feed is not None:
            self.feed.events(events)

    def link(self, device_events: Sequence[LinkEvent]) -> None:
        if self.feed is not None:
            self.feed.link(device_events)

    def mark(self, text: str, host_s: float) -> None:
        if self.feed is not None and host_s == host_s:  # not NaN (no sample yet)
            self.feed.mark(text, host_s)

    def flush(self) -> None:
        if self.feed is not None:
            self.feed.flush()

    def metadata(self, t0_host_s: float) -> dict[str, object]:
        """For the session file while streaming (``lsl_clock_at_t0_s``), else nothing."""
        return self.feed.outlet.metadata(t0_host_s) if self.feed is not None else {}


def apply_lsl_flag(args: object, switch: LslSwitch) -> None:
    """``--lsl`` on a command that runs the app's controller (``cctf train``): turn the
    switch on (the outlet opens when a device is attached). Without pylsl this raises
    ``LslUnavailable``, which ``cctf.cli.main`` prints as one ``cctf:`` line."""
    if getattr(args, "lsl", False):
        switch.check()
        switch.enabled = True
