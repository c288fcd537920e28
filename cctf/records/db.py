"""The records database: open (integrity check, WAL, foreign keys), migrate, back up.

    conn = open_database(path)           # raises CorruptDatabaseError, never overwrites
    move_aside(path, stamp)              # only with the user's consent: cctf.db.corrupt-<stamp>

Connections are in autocommit mode (``isolation_level=None``); ``transaction(conn)`` wraps
work that must happen whole or not at all. ``secure_delete`` is on, so deleted rows (a
deleted patient) are overwritten on disk rather than left in free pages.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import stat
import struct
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from cctf.errors import CorruptDatabaseError, RecordsError
from cctf.records.files import create_private
from cctf.records.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 5.0
BACKUPS_KEPT = 7
_SIDE_FILES = ("-wal", "-shm")


def _text(data: bytes) -> str:
    """Damaged text in a row (not UTF-8) is shown with replacement marks, never raised."""
    return data.decode("utf-8", "replace")


def connect(path: Path) -> sqlite3.Connection:
    """A raw connection (no checks); the file is created 0600 first if missing."""
    _refuse_not_a_file(Path(path))
    create_private(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
    conn.row_factory = sqlite3.Row
    conn.text_factory = _text
    return conn


def _refuse_not_a_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RecordsError(f"cannot open the records database {path}: "
                           f"{exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise RecordsError(f"the records database {path} is {kind}: move it away or choose "
                           "another data folder (--data-dir); nothing was changed")


def missing_wal_frames(path: Path) -> int:
    """Committed changes SQLite's shared-memory index says are in ``<db>-wal`` but that the
    file no longer holds (it was deleted or cut short behind cctf's back): 0 when sound.

    The index header (the first 48 bytes of ``<db>-shm``, native byte order) gives the
    page size at offset 14 and the number of valid WAL frames at 16; a WAL holding them is
    32 + frames × (24 + page size) bytes long."""
    path = Path(path)
    shm = path.with_name(path.name + "-shm")
    wal = path.with_name(path.name + "-wal")
    try:
        with open(shm, "rb") as f:
            header = f.read(48)
    except OSError:
        return 0
    if len(header) < 48 or header[12] != 1:  # isInit
        return 0
    page = struct.unpack("=H", header[14:16])[0]
    page = 65536 if page == 1 else page
    frames = struct.unpack("=I", header[16:20])[0]
    if frames == 0 or page < 512:
        return 0
    try:
        size = wal.stat().st_size
    except FileNotFoundError:
        size = 0
    if size >= 32 + frames * (24 + page):
        return 0
    held = max(0, (size - 32) // (24 + page))
    return frames - held


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy everything committed from the WAL into the database file (and empty the WAL):
    after each session and at close, so that losing the ``-wal`` file loses nothing. Busy
    readers only postpone it."""
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.ProgrammingError:  # already closed: nothing to do
        return
    except sqlite3.Error as exc:
        log.warning("could not checkpoint the records database: %s", exc)


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check``: [] when the database is sound."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def open_database(path: Path, *, target_version: int = SCHEMA_VERSION) -> sqlite3.Connection:
    """Open (creating if missing), check integrity, set WAL/foreign keys, migrate.

    A damaged file raises ``CorruptDatabaseError`` and is left exactly as it was. A database
    from a newer cctf raises ``RecordsError`` (nothing changed)."""
    path = Path(path)
    _refuse_not_a_file(path)
    lost = missing_wal_frames(path)
    if lost:
        raise CorruptDatabaseError(
            str(path), f"its write-ahead log {path.name}-wal is missing or cut short: "
            f"{lost} committed changes are not there")
    conn = connect(path)
    try:
        try:
            problems = integrity_problems(conn)
        except sqlite3.OperationalError as exc:  # locked, unreadable, full: not damage
            from cctf.diskspace import disk_full_error, is_disk_full

            if is_disk_full(exc, path.parent):
                raise disk_full_error(path.parent) from exc
            raise RecordsError(f"cannot open the records database {path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise CorruptDatabaseError(str(path), str(exc)) from exc
        if problems:
            detail = "; ".join(problems[:3]) + (" …" if len(problems) > 3 else "")
            raise CorruptDatabaseError(str(path), f"integrity check: {detail}")
        _refuse_newer(conn)  # before anything writes
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        migrate(conn, target_version, backup_to=path.parent / "backups")
    except BaseException:
        conn.close()
        raise
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back. Inside an
    open transaction it joins it: the outermost one commits or rolls back the lot."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _refuse_newer(conn: sqlite3.Connection) -> int:
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise RecordsError(
            f"the records database has schema version {current}, newer than this cctf knows "
            f"({SCHEMA_VERSION}): update cctf; nothing was changed"
        )
    return current


def migrate(conn: sqlite3.Connection, target_version: int = SCHEMA_VERSION,
            backup_to: Path | None = None) -> list[int]:
    """Apply the migrations after the database's version up to ``target_version``, each in
    its own transaction. An existing database is first copied to ``backup_to``. Returns the
    versions applied."""
    current = _refuse_newer(conn)
    pending = [m for m in MIGRATIONS if current < m.version <= target_version]
    if pending and current > 0 and backup_to is not None:
        backup(conn, backup_to / f"cctf-before-v{pending[-1].version}-from-v{current}.db")
    for m in pending:
        with transaction(conn):
            m.apply(conn)
            conn.execute(f"PRAGMA user_version={m.version}")
        log.info("records database migrated to version %d: %s", m.version, m.description)
    return [m.version for m in pending]


def backup(conn: sqlite3.Connection, dest: Path, *, keep_existing: bool = False) -> Path | None:
    """A consistent copy of the open database (SQLite's online backup), 0600, never written
    over another file. Each call copies into its own temporary file, so cctf processes
    backing up at once (two recordings starting together) never touch each other's copy.
    The copy is published without replacing anything: when ``dest`` exists, it is kept and
    this copy dropped (``keep_existing``: returns None) or this copy is numbered
    ``<stem>-2<suffix>``, ``-3`` …"""
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)  # mkstemp made it 0600
    tmp = Path(name)
    try:
        out = sqlite3.connect(tmp)
        try:
            conn.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            out.close()
        return _publish(tmp, dest, keep_existing)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


_NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)
"""Errors of ``os.link`` where the folder has no hard links (some network or FAT drives)."""


def _publish(tmp: Path, dest: Path, keep_existing: bool) -> Path | None:
    """Give ``tmp`` the name ``dest`` (or the next free numbered name) without replacing
    a file: a hard link fails when the name is taken, where a rename would overwrite."""
    for n in range(1, 1000):
        name = dest if n == 1 else dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
        try:
            os.link(tmp, name)
            return name
        except FileExistsError:
            pass
        except OSError as exc:  # no hard links in this folder (some network or FAT drives)
            if exc.errno not in _NO_LINKS:
                raise
            if not name.exists():
                os.replace(tmp, name)
                return name
        if keep_existing:
            return None
    raise FileExistsError(errno.EEXIST, "no free backup name", str(dest))


def remove_stale_parts(folder: Path, older_than_s: float = 3600.0) -> None:
    """Remove backup copies cctf left half-made (a crash during a backup): only its own
    ``.cctf-….db.….part`` files, and only old ones (a younger one may be in progress)."""
    now = time.time()
    for part in folder.glob(".cctf-*.db.*.part"):
        with contextlib.suppress(OSError):
            if now - part.stat().st_mtime > older_than_s:
                part.unlink()


def daily_backup(conn: sqlite3.Connection, folder: Path, today: date,
                 keep: int = BACKUPS_KEPT) -> Path | None:
    """Copy the database to ``folder/cctf-<today>.db`` unless done today; keep the last
    ``keep`` daily copies. Skipped while the database holds no patient."""
    if conn.execute("SELECT 1 FROM patients LIMIT 1").fetchone() is None:
        return None
    dest = folder / f"cctf-{today.isoformat()}.db"
    made = None
    remove_stale_parts(folder)
    if not dest.exists():
        made = backup(conn, dest, keep_existing=True)
    dailies = sorted(folder.glob("cctf-[0-9]*.db"))
    for old in dailies[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return made


def latest_sound_backup(folder: Path) -> Path | None:
    """The newest backup that passes the integrity check (or None)."""
    for candidate in sorted(folder.glob("cctf-*.db"), key=lambda p: p.stat().st_mtime,
                            reverse=True):
        try:
            conn = sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)
            try:
                if not integrity_problems(conn) and schema_version(conn) <= SCHEMA_VERSION:
                    return candidate
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            continue
    return None


def move_aside(path: Path, stamp: str) -> Path:
    """Rename a damaged database (and its WAL and shared-memory files) to
    ``<name>.corrupt-<stamp>``: never deleted, never overwritten. Returns the new path."""
    path = Path(path)
    dest = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    if path.exists():
        os.replace(path, dest)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, dest.with_name(dest.name + suffix))
    log.warning("moved the damaged records database to %s", dest)
    return dest
