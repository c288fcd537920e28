"""Write what a device streams to a session CSV, durable at least every second.

The recorder is a buffer consumer like any other: ``poll()`` pulls new rows and appends them,
and flushes to disk when ``flush_interval_s`` of clock time has passed. ``close()`` adds the
link statistics and events to the header. ``t_s`` in the file is seconds since ``start()`` on
the device's host time line. Given a ``wall`` clock, the header also gets the wall-clock time
of t_s = 0 and a (wall clock, device time) pair every 10 s (``walltime``, docs/time.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cctf import __version__
from cctf.acquisition.device import Device
from cctf.acquisition.head_zero import NEUTRAL_KEY, NO_NEUTRAL, HeadNeutral, StreamZeroing
from cctf.acquisition.health import LinkHealth
from cctf.acquisition.walltime import ClockPairs, WallClock
from cctf.sessionfile import HEAD_COLUMNS, SessionWriter

log = logging.getLogger(__name__)

CueLookup = Callable[[np.ndarray], tuple[np.ndarray, list[str]]]
"""Maps session times (s) to (target_mmhg with NaN for none, phase strings)."""

EXTRA_COLUMNS = ("raw", "flags", "seq")

# No sample for this long before the end: an outage open at the end (delivery of the last
# samples takes up to a poll). The same allowance as cctf.analysis.offline.TRAILING_GAP_S.
TRAILING_GAP_S = 1.0


class SessionRecorder:
    """Consumer of ``device.buffer`` that appends to a session CSV."""

    def __init__(
        self,
        device: Device,
        path: str | Path,
        metadata: Mapping[str, object] | None = None,
        *,
        cues: CueLookup | None = None,
        flush_interval_s: float = 1.0,
        wall: WallClock | None = None,
        overwrite: bool = True,
        head_neutral: HeadNeutral | None = None,
    ) -> None:
        self.device = device
        self.wall = wall  # the wall clock for t0_wall_clock and clock_pairs (time.time)
        self.clock_pairs: ClockPairs | None = None
        self.path = Path(path)
        self.cues = cues
        self.flush_interval_s = flush_interval_s
        self.t0_s: float | None = None
        self.rows = 0
        self.missed = 0
        self.before_start = 0  # received, but measured before start(): not in the file, counted
        self.last_t_s: float | None = None  # session time of the last row written
        self.trailing_gap_s = 0.0  # set by close()
        self.health: LinkHealth | None = None  # the health written at close()
        self._cursor = 0
        self._last_flush_s = 0.0
        meta: dict[str, object] = {
            "app": f"cctf {__version__}",
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if device.hello is not None:
            meta.update(device.hello.as_metadata())
        if device.rate_hz is not None:  # the rate in force, not the boot HELLO's default
            meta["sample_rate_hz"] = str(device.rate_hz)
        if device.calibration is not None:
            cal = device.calibration
            meta["calibration_slope_mmhg_per_count"] = f"{cal.slope_mmhg_per_count:.8f}"
            meta["calibration_zero_raw"] = cal.zero_raw
        meta.update(metadata or {})
        # Head sensor fitted: zeroed angles in two more columns. Without a neutral from the
        # app's calibration step, the recording's first still 2 s give it; rows up to the end
        # of that window have no angle (whatever the polling, so the file is reproducible).
        self.head = device.hello is not None and device.hello.head_sensor
        self.head_zeroing = StreamZeroing(head_neutral)
        columns: tuple[str, ...] = EXTRA_COLUMNS
        if self.head:
            columns = EXTRA_COLUMNS + HEAD_COLUMNS
            if head_neutral is not None:
                meta[NEUTRAL_KEY] = head_neutral.metadata_value()
        self._writer = SessionWriter(self.path, meta, columns, overwrite=overwrite)

    @property
    def head_neutral(self) -> HeadNeutral | None:
        """The neutral given, or found in the recording's first still 2 s (None: not yet)."""
        return self.head_zeroing.neutral

    def start(self) -> None:
        """Record from now on (older samples in the buffer are skipped)."""
        self._cursor = self.device.buffer.written
        self.t0_s = self.device.clock.now()
        self._last_flush_s = self.t0_s
        if self.wall is not None:
            self.clock_pairs = ClockPairs(self.device.clock, self.t0_s, self.wall)

    def poll(self) -> int:
        """Append every new sample; flush when due. Returns the number of rows written."""
        if self.t0_s is None:
            self.start()
        assert self.t0_s is not None
        pull = self.device.buffer.read(self._cursor)
        self._cursor = pull.cursor
        if pull.missed:
            self.missed += pull.missed
            log.error("recorder fell behind: %d samples overwritten before saving", pull.missed)
        rows = pull.rows
        if len(rows):
            t = rows["t_s"] - self.t0_s
            keep = t >= 0  # samples measured before start() but delivered after it
            self.before_start += int(len(keep) - np.count_nonzero(keep))
            rows, t = rows[keep], t[keep]
            if self.clock_pairs is not None:
                self.clock_pairs.update(rows)
            targets, phases = self.cues(t) if self.cues else (None, None)
            extra = {"raw": rows["raw"], "flags": rows["flags"], "seq": rows["seq"]}
            if self.head:
                extra.update(self._head_cells(t, rows))
            self._writer.write(t, rows["pressure_mmhg"], targets, phases, extra)
            self.rows += len(rows)
            if len(t):
                self.last_t_s = float(t[-1])
        now = self.device.clock.now()
        if now - self._last_flush_s >= self.flush_interval_s:
            self._writer.flush()
            self._last_flush_s = now
        return len(rows)

    def _head_cells(self, t: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Zeroed pitch and roll as text, blank where not measured or not yet zeroed."""
        zeroed = self.head_zeroing.zero(t, rows["head_pitch_deg"], rows["head_roll_deg"])
        cells = {}
        for name, values in zip(HEAD_COLUMNS, zeroed, strict=True):
            out = np.full(len(t), "", dtype=object)
            ok = np.isfinite(values)
            out[ok] = [f"{v:.2f}" for v in values[ok]]
            cells[name] = out
        return cells

    def close(self, extra_metadata: Mapping[str, object] | None = None) -> None:
        """Save the last rows and put the link statistics and events into the header. An
        outage still open at the end counts as a gap up to the end of the recording."""
        self.poll()
        health = self.device.health()
        t0 = self.t0_s or 0.0
        end_s = self.device.clock.now() - t0
        last_s = self.last_t_s if self.last_t_s is not None else 0.0
        self.trailing_gap_s = end_s - last_s if end_s - last_s > TRAILING_GAP_S else 0.0
        if self.trailing_gap_s:
            health = replace(health, gaps=health.gaps + 1,
                             gap_s=health.gap_s + self.trailing_gap_s)
        self.health = health
        final: dict[str, object] = dict(health.as_metadata())
        final["recorder_missed_samples"] = self.missed
        final["recorder_samples_before_start"] = self.before_start
        final["recording_end_s"] = f"{end_s:.3f}"
        events = [
            f"{e.kind}@{e.t_s - t0:.3f}s" + (f"+{e.duration_s:.3f}s" if e.duration_s else "")
            for e in self.device.events
        ]
        if self.trailing_gap_s:
            events.append(f"gap@{last_s:.3f}s+{self.trailing_gap_s:.3f}s (open at the end)")
        final["link_events"] = "; ".join(events) if events else "none"
        if self.clock_pairs is not None:
            final.update(self.clock_pairs.metadata())
        # every change of the rate in force during the recording: "t_s@rate_hz; ..."
        changes = [(t - t0, r) for t, r in self.device.rate_changes]
        before = [c for c in changes if c[0] <= 0][-1:]
        final["sample_rate_changes"] = "; ".join(
            f"{max(t, 0.0):.3f}s@{r}Hz" for t, r in before + [c for c in changes if c[0] > 0]
        ) or "none"
        if self.head and self.head_zeroing.found:
            final[NEUTRAL_KEY] = (self.head_neutral.metadata_value()
                                  if self.head_neutral is not None else NO_NEUTRAL)
        final.update(extra_metadata or {})
        self._writer.close(final)
