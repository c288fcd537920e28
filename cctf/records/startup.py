"""Opening the records: the data folder, the integrity check, repair (only when asked), the
daily backup.

    records = open_records(data_dir)        # CorruptDatabaseError if the database is damaged
    report = repair_database(DataDir.resolve(data_dir))   # the user agreed: move aside, rebuild
    recover_interrupted(records)            # cctf.records.recovery, at every start
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cctf.errors import CorruptDatabaseError
from cctf.records.db import daily_backup, latest_sound_backup, move_aside, open_database
from cctf.records.files import copy_private
from cctf.records.paths import DataDir
from cctf.records.rebuild import RebuildReport, rebuild_from_csvs
from cctf.records.store import Records

log = logging.getLogger(__name__)


def open_records(data_dir: str | Path | DataDir | None = None, *,
                 today: date | None = None) -> Records:
    """Open (creating if needed) the records of ``data_dir`` (``--data-dir``, else
    ``$CCTF_DATA_DIR``, else the platform's folder). Checks integrity and migrates; raises
    ``CorruptDatabaseError`` for a damaged database, which is left untouched."""
    data = data_dir if isinstance(data_dir, DataDir) else DataDir.resolve(data_dir)
    data.ensure()
    conn = open_database(data.db_path)
    try:
        daily_backup(conn, data.backups, today or date.today())
    except OSError as exc:  # a full disk must not stop a session from starting
        log.error("could not back up the records database: %s", exc)
    return Records(conn, data)


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
