"""Opening the records: the data folder, the integrity check, repair (only when asked), the
daily backup.

    records = open_records(data_dir)        # CorruptDatabaseError if the database is damaged
    report = repair_database(DataDir.resolve(data_dir))   # the user agreed: move aside, rebuild
    recover_interrupted(records)            # cctf.records.recovery, at every start
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cctf.errors import CorruptDatabaseError, RecordsError
from cctf.records.db import daily_backup, latest_sound_backup, move_aside, open_database
from cctf.records.files import copy_private
from cctf.records.paths import DataDir
from cctf.records.rebuild import RebuildReport, rebuild_from_csvs
from cctf.records.store import Records

log = logging.getLogger(__name__)


class LostDatabaseError(RecordsError):
    """The database file is missing or empty where records clearly existed."""


def open_records(data_dir: str | Path | DataDir | None = None, *,
                 today: date | None = None) -> Records:
    """Open (creating if needed) the records of ``data_dir`` (``--data-dir``, else
    ``$CCTF_DATA_DIR``, else the platform's folder). Checks integrity and migrates; raises
    ``CorruptDatabaseError`` for a damaged database, which is left untouched."""
    data = data_dir if isinstance(data_dir, DataDir) else DataDir.resolve(data_dir)
    refuse_lost_database(data)  # before anything is created
    data.ensure()
    conn = open_database(data.db_path)
    try:
        daily_backup(conn, data.backups, today or date.today())
    except (OSError, sqlite3.Error) as exc:  # a full disk must not stop a session starting
        log.error("could not back up the records database: %s", exc)
    return Records(conn, data)


def _evidence(data: DataDir) -> tuple[int, int]:
    """Session CSVs and backups in the folder: signs that records existed here."""
    sessions = 0
    if data.sessions.is_dir():
        for folder in data.sessions.iterdir():
            if folder.is_dir() and not folder.is_symlink():
                sessions += sum(1 for _ in folder.glob("*.csv"))
    backups = sum(1 for _ in data.backups.glob("cctf-*.db")) if data.backups.is_dir() else 0
    return sessions, backups


def database_lost(data: DataDir) -> bool:
    """The database is missing or empty although the folder holds sessions or backups (it
    was deleted or truncated): starting a blank one would hide everything."""
    try:
        size = data.db_path.stat().st_size
    except FileNotFoundError:
        size = 0
    except OSError:
        return False  # a folder or unreadable: said by open_database
    if size > 0:
        return False
    return any(_evidence(data))


def refuse_lost_database(data: DataDir) -> None:
    if database_lost(data):
        sessions, backups = _evidence(data)
        state = "empty" if data.db_path.exists() else "missing"
        raise LostDatabaseError(
            f"the records database {data.db_path} is {state}, but the folder holds "
            f"{sessions} session files and {backups} backups; nothing was written. Run "
            "'cctf recover' to restore the newest good backup and rebuild from the session "
            "CSVs")


def database_is_sound(data: DataDir) -> bool:
    try:
        open_database(data.db_path).close()
    except CorruptDatabaseError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class RepairReport:
    moved_to: Path
    restored_from: Path | None
    rebuilt: RebuildReport


def repair_database(data: DataDir, stamp: str | None = None) -> RepairReport:
    """With the user's consent: move the damaged database aside (``cctf.db.corrupt-<stamp>``,
    never deleted), start from the newest sound backup (or empty), then add back every
    session CSV the backup does not know."""
    data.ensure()
    stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S")
    moved = move_aside(data.db_path, stamp)
    backup = latest_sound_backup(data.backups)
    if backup is not None:
        copy_private(backup, data.db_path)
        log.warning("restored the records database from %s", backup)
    conn = open_database(data.db_path)
    records = Records(conn, data)
    try:
        rebuilt = rebuild_from_csvs(records)
    finally:
        records.close()
    return RepairReport(moved, backup, rebuilt)
