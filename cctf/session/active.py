"""A session while it records, and what is left of it when it ends — headless, so that the
app's recording path (rows into the file, therapist's marks, where a recording without a
patient goes) is tested without a window.

``ActiveSession`` is what the app keeps while a clinic test, a training session or a monitor
recording runs; ``SessionReport`` is what the results and summary screens show once it ended
(``cctf.session.finish`` makes it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cctf.analysis.results import SessionResult
from cctf.records.files import free_path
from cctf.session.alerts import AlertLog
from cctf.session.corrections import Corrections
from cctf.session.cued import CuedRunner
from cctf.session.head_live import head_cells
from cctf.session.live_trial import LiveTrial
from cctf.session.settings import ProtocolSettings
from cctf.session.training import Prescription, TrainingSummary
from cctf.sessionfile import HEAD_COLUMNS

if TYPE_CHECKING:  # the records are imported when opened, after the first frame (startup.py)
    from cctf.acquisition.walltime import ClockPairs
    from cctf.records.recovery import ActiveSession as RecordsSession

UNASSIGNED = "recordings"  # sessions with no patient chosen: data folder/recordings/


@dataclass(slots=True)
class ActiveSession:
    kind: str  # "clinic", "training", "monitor"
    runner: CuedRunner | None
    t0_host_s: float  # host time of t_s = 0 in the session file
    recorder: Any  # cctf.gui.recording.BackgroundRecorder (write, close, join, path)
    band_mmhg: float = 1.0
    settings: ProtocolSettings | None = None
    prescription: Prescription | None = None
    actions: list[str] = field(default_factory=list)
    alerts: AlertLog = field(default_factory=AlertLog)  # a list[str]; gaps leave the screen
    pending_marks: list[str] = field(default_factory=list)
    shown: tuple[float | None, str] | None = None  # what the simulated patient was shown
    live: LiveTrial = field(default_factory=LiveTrial)
    latest_t_s: float = math.nan  # session time of the newest sample
    error_shown: bool = False  # the recorder's error was reported
    record: RecordsSession | None = None  # registered in the patient records
    pairs: ClockPairs | None = None  # the wall clock of t_s = 0 and every 10 s
    corrections: Corrections | None = None  # O, 1–4, B, H and undo (cued sessions)

    @property
    def has_head(self) -> bool:
        """The file has the head sensor's columns (a sensor was fitted when it began)."""
        return HEAD_COLUMNS[0] in self.recorder.extra_columns

    def write(self, rows: np.ndarray, t_s: np.ndarray, target_mmhg: np.ndarray,
              phase: list[str], head: tuple[np.ndarray, np.ndarray] | None) -> None:
        """One batch of rows into the file: the therapist's pending marks on its first row
        (joined by " | "), the head's zeroed angles when the file has their columns."""
        n = len(t_s)
        marks = np.full(n, "", dtype=object)
        if self.pending_marks and n:
            marks[0] = " | ".join(self.pending_marks)
            self.pending_marks.clear()
        extra = {"raw": rows["raw"], "flags": rows["flags"], "seq": rows["seq"], "marker": marks}
        if self.has_head:
            extra.update(head_cells(head, n))
        self.recorder.write(t_s, rows["pressure_mmhg"], target_mmhg, phase, extra)
        if n:
            self.latest_t_s = float(t_s[-1])

    def act(self, text: str) -> str:
        """A therapist's action: in the session's actions with its time, and as a marker on
        the next row written. Returns the stamped line."""
        stamp = f"{self.latest_t_s:.1f}s" if not math.isnan(self.latest_t_s) else "0s"
        self.actions.append(f"{stamp} {text}")
        self.pending_marks.append(text.replace(",", ";"))
        return self.actions[-1]


@dataclass(frozen=True, slots=True)
class SessionReport:
    """A finished session, for the results and summary screens."""

    kind: str
    path: Path
    result: SessionResult | None
    summary: TrainingSummary | None
    settings: ProtocolSettings | None
    actions: tuple[str, ...]
    alerts: tuple[str, ...]
    t0_display_s: float  # display time of the session's t_s = 0
    end_display_s: float
    recorder: Any  # cctf.gui.recording.BackgroundRecorder
    session_id: int | None = None  # in the patient records (None: not registered)
    patient_code: str | None = None
    ended_early_s: float | None = None  # session time the therapist ended it (None: complete)
    interrupted_trial: int | None = None  # the trial under way then (not scored)
    corrections: tuple[str, ...] = ()  # "Trial 7: failed → passed (therapist)", in order


def recording_path(data_dir: Path, kind: str, now: datetime) -> Path:
    """Where a session without a patient is recorded: ``recordings/<stamp>_<kind>.csv``, with
    ``-2``, ``-3`` … for two sessions in one second (an existing file is never reused)."""
    return free_path(data_dir / UNASSIGNED / f"{now.strftime('%Y-%m-%d_%H%M%S')}_{kind}.csv")
