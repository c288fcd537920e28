"""Files readable by their owner only, written whole or not at all (temp file + rename)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from cctf.atomicfile import atomic_writer

PRIVATE_FILE = 0o600


def write_private_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path) as out:
        out.write(data)


def copy_private(src: Path, dst: Path, check: Callable[[Path], None] | None = None) -> None:
    """Copy ``src`` to ``dst`` (0600) via a temporary file; ``check(tmp)`` may raise to
    abandon the copy (then ``dst`` is never created)."""
    with atomic_writer(dst) as out, open(src, "rb") as inp:
        shutil.copyfileobj(inp, out, 1 << 20)
        if check is not None:
            out.flush()
            check(Path(out.name))


def create_private(path: Path) -> None:
    """Create an empty 0600 file if none exists (before SQLite opens it: SQLite gives its WAL
    and shared-memory files the same mode as the database file)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def free_path(first: Path, taken: Callable[[Path], bool] = Path.exists) -> Path:
    """``first``, or ``<stem>-2<suffix>``, ``-3`` … the first name not ``taken``: a new file
    never reuses an existing one (two sessions in one second, an import of the same test)."""
    path, n = first, 1
    while taken(path):
        n += 1
        path = first.with_name(f"{first.stem}-{n}{first.suffix}")
    return path

