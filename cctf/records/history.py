"""A patient's history as the app lists it, headless: one row per session (newest first),
recordings not yet attached to a patient, attaching one, and a session's report files.

A score the session cannot support is ``None`` — "not measured" — never 0. Exclusion from
progress is read from the session (``progress_excluded_reason``, issue 9) when the records
know it; otherwise nothing is excluded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cctf import texts
from cctf.errors import FileFormatError
from cctf.records.importer import import_session_csv
from cctf.records.meta import file_sha256
from cctf.records.models import SessionRecord, parse_time
from cctf.records.store import Records


@dataclass(frozen=True, slots=True)
class SessionRow:
    session_id: int
    started_at: str
    kind: str
    status: str
    protocol: str  # preset or targets, in a few words
    activation_mmhg: float | None  # None: not measured
    performance_index: float | None
    reps: str  # training: "7 of 10", else ""
    excluded_reason: str | None  # left out of progress, and why

    @property
    def when(self) -> datetime | None:
        try:
            return parse_time(self.started_at)
        except ValueError:
            return None

    def cells(self) -> tuple[str, ...]:
        """date, kind, protocol, activation, PI, status, progress — as the list shows them."""
        when = self.when
        act = (texts.NOT_MEASURED_13 if self.activation_mmhg is None
               else f"{self.activation_mmhg:g} mmHg")
        pi = texts.NOT_MEASURED_13 if self.performance_index is None \
            else f"{self.performance_index:g}"
        if self.kind != "clinic":
            act, pi = (self.reps or "—"), "—"
        return (f"{when:%d %b %Y %H:%M}" if when else self.started_at,
                texts.SESSION_KIND_WORDS.get(self.kind, self.kind), self.protocol, act, pi,
                texts.SESSION_STATUS_WORDS.get(self.status, self.status),
                texts.EXCLUDED_MARK if self.excluded_reason else "")


def score(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _protocol(s: SessionRecord) -> str:
    p = s.protocol or {}
    preset = p.get("preset")
    if isinstance(preset, str) and preset:
        return preset
    if s.kind == "training" and s.prescription:
        target = s.prescription.get("target_mmhg")
        return f"{target:g} mmHg" if isinstance(target, int | float) else "—"
    if p:
        hold = p.get("hold_s")
        return f"hold {hold:g} s" if isinstance(hold, int | float) else "—"
    return "—"


def session_row(s: SessionRecord) -> SessionRow:
    reps = ""
    if s.kind == "training" and s.reps_done is not None:
        reps = (texts.HISTORY_REPS.format(done=s.reps_done, planned=s.reps_planned)
                if s.reps_planned else f"{s.reps_done}")
    excluded = getattr(s, "progress_excluded_reason", None)
    return SessionRow(s.id, s.started_at, s.kind, s.status, _protocol(s),
                      score(s.activation_score_mmhg), score(s.performance_index), reps,
                      excluded or None)


def session_rows(records: Records, code: str) -> list[SessionRow]:
    """Every session of the patient, newest first."""
    return [session_row(s) for s in reversed(records.sessions(code))]


def unassigned_recordings(records: Records, folder: Path) -> list[Path]:
    """Session CSVs in ``folder`` (the app's recordings without a patient) not yet in the
    records (by content: an attached recording is a copy with the same SHA-256), newest
    first."""
    if not folder.is_dir():
        return []
    known = {r[0] for r in records.conn.execute(
        "SELECT csv_sha256 FROM sessions WHERE csv_sha256 IS NOT NULL").fetchall()}
    found = []
    for path in folder.glob("*.csv"):
        try:
            if path.is_file() and file_sha256(path) not in known:
                found.append(path)
        except OSError:
            continue
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def attach_recording(records: Records, path: Path, code: str) -> int:
    """Attach a recording made without a patient: a checked copy joins the patient's records
    (status ``imported``); the original is left where it was. Returns the session id."""
    if not Path(path).is_file():
        raise FileFormatError(str(path), None, "no such file")
    return import_session_csv(records, path, code)


def report_files(records: Records, session_id: int) -> list[Path]:
    """The session's PDF reports in the patient's folder, newest first."""
    from cctf.records.report import report_name_stem

    s = records.session(session_id)
    folder = records.data.patient_dir(s.patient_code)
    if not folder.is_dir():
        return []
    stem = report_name_stem(s.patient_code, s.started_at, s.kind)
    found = [p for p in folder.glob(f"{stem}*.pdf") if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
