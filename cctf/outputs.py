"""Where a command may write the file the user named (``-o``, ``--link``): one set of rules.

    target = resolve_output(args.output, force=args.force)   # then write ``target``

Nothing is overwritten behind the user's back: an existing file is replaced only with
``--force``; with ``--force`` a symlink is written through (the target changes, the link stays
a link); a folder, a device, a FIFO or a socket is never written over; a missing or read-only
folder is said in the user's own words (the path they typed), before anything is created.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cctf.errors import CctfError, ConfigError


class OutputError(CctfError):
    """The output path cannot or must not be written; nothing was changed."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve_output(path: str | Path, *, force: bool = False) -> Path:
    """Check ``path`` as an output; return the path to write (a symlink's target with
    ``force``). Raises ``OutputError`` (or ``ConfigError`` for an empty path)."""
    typed = str(path)
    if not typed.strip():
        raise ConfigError("the output file name is empty")
    p = Path(typed)
    target = p
    if os.path.lexists(p):
        is_link = p.is_symlink()
        try:
            st = p.stat()
        except FileNotFoundError:
            st = None  # a dangling symlink
        except OSError as exc:
            raise OutputError(f"cannot write {typed}: {exc.strerror or exc}") from None
        if st is not None:
            kind = _kind(st.st_mode)
            if kind is not None:
                raise OutputError(f"{typed} is {kind}: cctf writes only regular files "
                                  "(give a file name)")
        if not force:
            what = "a symlink" if is_link else "a file"
            raise OutputError(f"{typed} exists ({what}): cctf never overwrites a file; "
                              "choose another name or add --force to replace it")
        if is_link:
            target = Path(os.path.realpath(p))
    parent = target.parent
    if not parent.exists():
        raise OutputError(f"cannot write {typed}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"cannot write {typed}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {typed}: the folder {parent} is not writable")
    return target


def output_os_error(typed: str | Path | None, exc: OSError) -> CctfError:
    """An OSError met while writing ``typed``, said about the path the user typed (never
    a hidden temporary name); ``None``: about the file the error names."""
    from cctf.diskspace import disk_full_error, is_disk_full, os_error_folder

    if is_disk_full(exc):
        return disk_full_error(Path(typed).parent if typed is not None
                               else os_error_folder(exc))
    if typed is None:
        where = f"{exc.filename}: " if exc.filename else ""
        return CctfError(f"{where}{exc.strerror or exc}")
    return OutputError(f"cannot write {typed}: {exc.strerror or exc}")
