"""Unexpected errors at the command line's edge, said in one line a user can act on.

A full disk, a records database SQLite cannot read, a file system error, memory or
recursion exhausted by a hostile file: each becomes one ``cctf:`` sentence (the CLI prints it,
exit status 1); ``-v`` logs the traceback for a bug report.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from cctf.diskspace import disk_full_error, is_disk_full, os_error_folder


def _data_root(args: argparse.Namespace | None) -> Path | None:
    if args is None:
        return None
    try:
        from cctf.records.paths import resolve_data_dir

        return resolve_data_dir(getattr(args, "data_dir", None))
    except Exception:
        return None


def explain(exc: BaseException, args: argparse.Namespace | None = None) -> str:
    """One sentence for ``exc`` (no traceback, no partial patient data from a damaged row)."""
    root = _data_root(args)
    if isinstance(exc, sqlite3.Error):
        if is_disk_full(exc, root or Path.cwd()):
            return str(disk_full_error(root or Path.cwd()))
        where = f" {root / 'cctf.db'}" if root is not None else ""
        return (f"the records database{where} cannot be read or written "
                f"({type(exc).__name__}: {str(exc)[:120]}); nothing more was changed. "
                "Run 'cctf recover --repair-database' if this persists")
    if isinstance(exc, OSError):
        if is_disk_full(exc):
            return str(disk_full_error(os_error_folder(exc)))
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    if isinstance(exc, UnicodeError):
        return "a file or record holds text that is not valid UTF-8 (damaged?); refused"
    if isinstance(exc, MemoryError):
        return "out of memory (a file far larger than a session?); refused"
    if isinstance(exc, RecursionError):
        return "input nested too deeply; refused"
    return (f"unexpected error ({type(exc).__name__}: {str(exc)[:200]}); nothing more was "
            "changed. Run with -v for details and please report it")
