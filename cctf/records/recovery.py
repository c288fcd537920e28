"""A session's life in the records, and recovery after a crash.

    active = begin_session(records, "P-0042", "clinic")   # before the first sample is written
    SessionRecorder(device, active.csv_path, active.metadata)  # or the app's recorder
    ...
    complete_session(records, active, result)             # after the CSV is closed

``begin_session`` registers the session as ``recording`` and holds a lock file
(``cctf.records.lock``) until ``complete_session``. If the process dies (a crash, a power cut,
``kill -9``) the lock goes with it: ``recover_interrupted`` (run at every start) finds such
sessions, reads the rows that reached the disk (an unfinished last line is left out), runs
the analysis again from the CSV, keeps any annotations stored meanwhile, and marks them
``recovered``. The CSV itself is never modified.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cctf.analysis.offline import analyze_recording
from cctf.analysis.results import SessionResult
from cctf.analysis.scoring import ScoringPlan
from cctf.errors import FileFormatError, RecordsError
from cctf.records.db import checkpoint, transaction
from cctf.records.files import free_path
from cctf.records.lock import SessionLock, this_host
from cctf.records.meta import (
    analysis_config,
    duration_s,
    file_sha256,
    read_recorded,
    session_info,
)
from cctf.records.models import SessionRecord, validate_kind
from cctf.records.paths import make_private_dir
from cctf.records.progress import current_prescription
from cctf.records.store import Records
from cctf.sessionfile import SessionRecording, read_session

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ActiveSession:
    """A session being recorded. Put ``metadata`` into the CSV header."""

    id: int
    patient_code: str
    kind: str
    csv_path: Path
    metadata: dict[str, str]
    lock: SessionLock = field(repr=False)


@dataclass(frozen=True, slots=True)
class Recovered:
    session_id: int
    patient_code: str
    csv_path: Path
    rows: int
    dropped_tail_bytes: int
    trials: int
    note: str


def new_session_path(records: Records, code: str, kind: str, started: datetime) -> Path:
    """``sessions/<code>/<YYYY-MM-DD_HHMMSS>_<kind>.csv`` (``-2``, ``-3``… if taken)."""
    folder = make_private_dir(records.data.patient_dir(code))
    return free_path(folder / f"{started.strftime('%Y-%m-%d_%H%M%S')}_{kind}.csv",
                     lambda p: p.exists() or records.session_by_csv(p) is not None)


def lock_path(records: Records, session_id: int) -> Path:
    return records.data.locks / f"session-{session_id}.lock"


def begin_session(
    records: Records, patient_code: str, kind: str, *,
    started_at: datetime | None = None, csv_path: Path | None = None,
    device_serial: str = "", device_firmware: str = "", calibration_id: str = "",
    protocol: dict[str, Any] | None = None, prescription: dict[str, Any] | None = None,
) -> ActiveSession:
    """Register a session as ``recording`` and hold its lock; call before the CSV is created.
    ``csv_path`` defaults to a new file in the patient's folder. A training session without
    ``prescription`` runs against the patient's current one."""
    validate_kind(kind)
    patient = records.patient(patient_code)
    started = (started_at or datetime.now()).astimezone()
    if kind == "training" and prescription is None:
        rx = current_prescription(records, patient.code, started.date())
        prescription = rx.prescription if rx is not None else None
    # The row and the lock appear together: recovery never sees one without the other. The
    # file name is chosen inside the same (immediate, so serialised) transaction: recordings
    # started at once by several processes never pick the same name.
    with transaction(records.conn):
        path = Path(csv_path) if csv_path is not None else new_session_path(
            records, patient.code, kind, started)
        session_id = records.add_session(
            patient.code, kind, status="recording",
            started_at=started.isoformat(timespec="seconds"), csv_path=path,
            device_serial=device_serial, device_firmware=device_firmware,
            calibration_id=calibration_id, protocol=protocol, prescription=prescription,
            pid=os.getpid(), host=this_host())
        lock = SessionLock(lock_path(records, session_id))
        if not lock.acquire():
            raise RecordsError(f"cannot lock session {session_id}: another cctf holds it")
    log.info("session %d (%s, patient %s) recording to %s", session_id, kind, patient.code, path)
    metadata = {"patient": patient.code, "records_session_id": str(session_id),
                "session": kind}
    return ActiveSession(session_id, patient.code, kind, path, metadata, lock)


def analyse_session(records: Records, session: SessionRecord,
                    recording: SessionRecording) -> SessionResult:
    """Judge a session's CSV with the thresholds and plan it ran with (and, from its
    ``ended`` metadata, how it ended: a crash leaves none, so the data decides)."""
    return analyze_recording(recording,
                             config=analysis_config(session.protocol, session.prescription),
                             plan=ScoringPlan.from_protocol(session.protocol))


def store_file_facts(records: Records, session_id: int, path: Path,
                     recording: SessionRecording) -> None:
    """Checksum, rows and duration of the CSV; device and settings its header names that
    the registration left blank."""
    info = session_info(recording)
    records.fill_missing(session_id, device_serial=info.device_serial,
                         device_firmware=info.device_firmware,
                         calibration_id=info.calibration_id, protocol=info.protocol,
                         prescription=info.prescription)
    records.set_file_facts(session_id, sha256=file_sha256(path), rows=len(recording),
                           duration_s=duration_s(recording))


def complete_session(records: Records, active: ActiveSession,
                     result: SessionResult | None = None, *,
                     notes: str | None = None, ended_early: bool | None = None) -> SessionRecord:
    """Store the result (``None``: analyse the CSV) and mark the session ``complete`` — or
    ``ended_early`` when the result says it was (``result.ended_early_s``, from the runner or
    the CSV's ``ended`` metadata) or ``ended_early=True``; then let go of the lock. Call after
    the CSV is closed (the app: after the recorder joined)."""
    try:
        recording = read_recorded(active.csv_path)
    except FileFormatError as exc:
        if result is None:
            raise
        log.warning("session %d: cannot read its CSV back (%s)", active.id, exc)
        recording = None
    if recording is not None:
        store_file_facts(records, active.id, active.csv_path, recording)
    if result is None:
        assert recording is not None
        result = analyse_session(records, records.session(active.id), recording)
    stored = records.save_result(active.id, result, keep_annotations=False)
    if notes is not None:
        records.set_notes(active.id, notes)
    early = stored.ended_early_s is not None if ended_early is None else ended_early
    status = "ended_early" if early else "complete"
    records.set_status(active.id, status)
    checkpoint(records.conn)  # the session is in the database file, not only in its WAL
    active.lock.release()
    log.info("session %d %s", active.id, status)
    return records.session(active.id)


def abandon_session(records: Records, active: ActiveSession, note: str) -> None:
    """A session that failed to start: keep what exists, release the lock, and mark it
    recovered so that nothing waits on it."""
    records.set_status(active.id, "recovered", note)
    active.lock.release()


def recover_interrupted(records: Records, *, include_other_hosts: bool = False
                        ) -> list[Recovered]:
    """Recover every ``recording`` session whose process is gone (its lock can be taken).
    Sessions recorded on another machine sharing the folder are left alone unless
    ``include_other_hosts``."""
    done: list[Recovered] = []
    for session in records.sessions(statuses=("recording",)):
        host = records.conn.execute("SELECT host FROM sessions WHERE id = ?",
                                    (session.id,)).fetchone()["host"]
        if host not in (None, this_host()) and not include_other_hosts:
            log.warning("session %d is recording on %s; not touched", session.id, host)
            continue
        lock = SessionLock(lock_path(records, session.id))
        if not lock.acquire():
            continue  # still recording
        try:
            if records.session(session.id).status != "recording":
                continue  # completed between the query and the lock
            done.append(_recover(records, session))
        finally:
            lock.release()
    return done


def _recover(records: Records, session: SessionRecord) -> Recovered:
    path = records.csv_path(session)
    try:
        recording = read_session(path, tolerate_truncated_tail=True)
    except FileFormatError as exc:
        missing = not path.exists()
        note = ("interrupted before any data was written" if missing
                else f"interrupted; the CSV cannot be read: {exc.problem}")
        records.save_result(session.id, SessionResult(float("nan"), [], [], None, None,
                                                      complete=False), keep_annotations=True)
        records.set_status(session.id, "recovered", note)
        log.warning("session %d: %s", session.id, note)
        return Recovered(session.id, session.patient_code, path, 0, 0, 0, note)
    store_file_facts(records, session.id, path, recording)
    result = analyse_session(records, records.session(session.id), recording)
    result = records.save_result(session.id, result, keep_annotations=True)
    note = f"recovered after an interruption: {len(recording)} rows kept"
    if recording.dropped_tail_bytes:
        note += f" (an unfinished last line of {recording.dropped_tail_bytes} bytes left out)"
    records.set_status(session.id, "recovered", note)
    log.warning("session %d (patient %s): %s", session.id, session.patient_code, note)
    return Recovered(session.id, session.patient_code, path, len(recording),
                     recording.dropped_tail_bytes, len(result.trials), note)


def reanalyse(records: Records, session_id: int) -> SessionResult:
    """Judge a stored session again from its CSV (after an analysis update), keeping the
    therapist's annotations."""
    session = records.session(session_id)
    if not session.analysed:
        raise RecordsError(f"session {session_id} is still recording")
    recording = read_recorded(records.csv_path(session))
    return records.save_result(session_id, analyse_session(records, session, recording),
                               keep_annotations=True)


@dataclass(frozen=True, slots=True)
class Repaired:
    session_id: int
    problem: str
    note: str
    fixed: bool


def repair_damaged(records: Records) -> list[Repaired]:
    """Sessions whose stored values are impossible (``cctf.records.damage``): compute what
    their CSV gives (scores, trials, times, kind, start) again, keeping the therapist's
    annotations and notes. A session whose CSV cannot be read is reported, not changed."""
    from cctf.records.damage import DERIVED_SESSION_COLUMNS, SESSION_TEXT, damaged_sessions

    done: list[Repaired] = []
    for session_id, problem in sorted(damaged_sessions(records.conn).items()):
        row = records.conn.execute("SELECT csv_path, kind, started_at FROM sessions "
                                   "WHERE id = ?", (session_id,)).fetchone()
        path = records.data.absolute(str(row["csv_path"]))
        try:
            recording = read_recorded(path)
        except FileFormatError as exc:
            done.append(Repaired(session_id, problem, f"its CSV cannot be read ({exc.problem}); "
                                 "restore the last backup with 'cctf recover "
                                 "--repair-database'", False))
            continue
        info = session_info(recording)
        sets = ", ".join(f"{c} = NULL" for c in DERIVED_SESSION_COLUMNS)
        with transaction(records.conn):
            records.conn.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (session_id,))
            if row["kind"] not in SESSION_TEXT["kind"]:
                records.conn.execute("UPDATE sessions SET kind = ? WHERE id = ?",
                                     (info.kind, session_id))
            try:
                datetime.fromisoformat(str(row["started_at"]))
            except ValueError:
                records.conn.execute("UPDATE sessions SET started_at = ? WHERE id = ?",
                                     (info.started_at, session_id))
            records.conn.execute("DELETE FROM trials WHERE session_id = ?", (session_id,))
            records.conn.execute("DELETE FROM faults WHERE session_id = ?", (session_id,))
            store_file_facts(records, session_id, path, recording)
            session = records.session(session_id)
            if session.status != "recording":
                records.save_result(session_id, analyse_session(records, session, recording),
                                    keep_annotations=True)
        log.warning("session %d was damaged (%s); computed again from %s", session_id,
                    problem, path)
        done.append(Repaired(session_id, problem, f"computed again from {path}", True))
    checkpoint(records.conn)
    return done
