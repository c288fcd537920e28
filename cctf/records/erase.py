"""Delete a patient and all their data: database rows, session CSVs, and the backups that
still hold them.

The patient's folder is first renamed out of the way (one atomic step), then the rows are
deleted in one transaction (SQLite's ``secure_delete`` overwrites them on disk, and the WAL
is checkpointed and truncated); only then are the files removed. If the database step fails,
the folder is put back and nothing is lost. Daily backups holding the patient are deleted
and a fresh one made. Copies of a damaged database moved aside (``cctf.db.corrupt-…``) are
left for the user and named in the report.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cctf.errors import RecordsError
from cctf.records.db import backup, transaction
from cctf.records.lock import SessionLock
from cctf.records.recovery import lock_path
from cctf.records.store import Records

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Deleted:
    patient_code: str
    sessions: int = 0
    files_removed: list[Path] = field(default_factory=list)
    backups_removed: list[Path] = field(default_factory=list)
    left_alone: list[Path] = field(default_factory=list)  # may still hold the patient's data


def _holds_patient(db: Path, code: str) -> bool:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error:
        return True  # unreadable: assume it does
    try:
        return conn.execute("SELECT 1 FROM patients WHERE code = ? COLLATE NOCASE",
                            (code,)).fetchone() is not None
    except sqlite3.Error:
        return True
    finally:
        conn.close()


def delete_patient(records: Records, code: str, *, confirm: bool,
                   today: date | None = None) -> Deleted:
    """Delete ``code`` and everything about them. ``confirm`` must be True (the command's
    ``--yes``, the app's confirmation dialog): this cannot be undone."""
    patient = records.patient(code)
    if not confirm:
        raise RecordsError(f"deleting patient {patient.code} and all their data cannot be "
                           "undone: confirm (cctf patients delete ID --yes)")
    sessions = records.sessions(patient.code)
    for s in sessions:
        if s.status == "recording":
            lock = SessionLock(lock_path(records, s.id))
            if not lock.acquire():
                raise RecordsError(f"session {s.id} of {patient.code} is recording now: "
                                   "finish it first")
            lock.release()
    report = Deleted(patient.code, len(sessions))
    folder = records.data.patient_dir(patient.code)
    trash = folder.with_name(f".deleting-{patient.code}-{os.getpid()}")
    moved = folder.exists()
    if moved:
        os.replace(folder, trash)
    try:
        with transaction(records.conn):
            paths = records.delete_patient_rows(patient.code)
    except BaseException:
        if moved:
            os.replace(trash, folder)
        raise
    records.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if moved:
        report.files_removed += sorted(p for p in trash.rglob("*") if p.is_file())
        shutil.rmtree(trash, ignore_errors=True)
    for path in paths:  # sessions recorded outside the data folder (cctf record -o …)
        if not path.is_relative_to(folder) and path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()
                report.files_removed.append(path)
    for s in sessions:
        with contextlib.suppress(OSError):
            lock_path(records, s.id).unlink()
    _purge_backups(records, patient.code, report, today or date.today())
    log.info("deleted patient %s: %d sessions, %d files", patient.code, report.sessions,
                len(report.files_removed))
    return report


def _purge_backups(records: Records, code: str, report: Deleted, today: date) -> None:
    folder = records.data.backups
    for db in sorted(folder.glob("*.db")) if folder.is_dir() else []:
        if _holds_patient(db, code):
            with contextlib.suppress(OSError):
                db.unlink()
                report.backups_removed.append(db)
    if report.backups_removed:
        backup(records.conn, folder / f"cctf-{today.isoformat()}.db")
    report.left_alone += sorted(records.data.root.glob("cctf.db.corrupt-*"))
