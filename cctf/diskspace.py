"""A full disk, said as such: "the disk is full (N MB free in FOLDER)".

SQLite reports a full disk as ``database or disk is full`` (SQLITE_FULL) or, when the write
that failed was the journal's, as ``disk I/O error``; the operating system as ``ENOSPC`` or
``EDQUOT``. Rows already on disk stay there: recovery finds them at the next start.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from cctf.errors import CctfError

# Below this much free space a SQLite "disk I/O error" is taken for a full disk.
NEARLY_FULL_BYTES = 1 << 20
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DiskFullError(CctfError):
    """No room left to write; nothing already on disk was removed."""


def free_bytes(folder: Path) -> int | None:
    """Free bytes on the file system holding ``folder`` (its nearest existing parent)."""
    p = Path(folder).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def is_disk_full(exc: BaseException, folder: Path | None = None) -> bool:
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
            return True
        if folder is not None and ((code is not None and code & 0xFF == sqlite3.SQLITE_IOERR)
                                   or "disk I/O error" in str(exc)):
            free = free_bytes(folder)
            return free is not None and free < NEARLY_FULL_BYTES
    return False


def disk_full_error(folder: Path) -> DiskFullError:
    folder = Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = free_bytes(folder)
    amount = "?" if free is None else f"{free / 1e6:.1f}"
    return DiskFullError(f"the disk is full ({amount} MB free in {folder}); what was already "
                         "saved is kept: free some space and run the command again")


def os_error_folder(exc: OSError) -> Path:
    """The folder an OSError is about (its file's parent), else the working folder."""
    name = exc.filename
    if name:
        p = Path(os.fsdecode(name))
        return p if p.is_dir() else p.parent
    return Path.cwd()
