"""Files readable by their owner only, written whole or not at all (temp file + rename)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Write to a private temporary file next to ``path``; on success fsync and rename it
    over ``path``; on any error remove it and leave ``path`` as it was."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(path.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)  # mkstemp made it 0600; reopened by name so that ``out.name`` is the path
    try:
        with open(tmp, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


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


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); harmless where directories cannot be opened."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("cannot fsync %s", folder)
    finally:
        os.close(fd)


def free_path(first: Path, taken: Callable[[Path], bool] = Path.exists) -> Path:
    """``first``, or ``<stem>-2<suffix>``, ``-3`` … the first name not ``taken``: a new file
    never reuses an existing one (two sessions in one second, an import of the same test)."""
    path, n = first, 1
    while taken(path):
        n += 1
        path = first.with_name(f"{first.stem}-{n}{first.suffix}")
    return path

