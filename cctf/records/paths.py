"""Where cctf keeps its records: one data folder per user, readable by the owner only.

    <data>/cctf.db                   the records database (SQLite, WAL)
    <data>/sessions/<PATIENT>/*.csv  raw samples, one CSV per session (the source of truth)
    <data>/locks/session-<id>.lock   held (flock) while a session is recording
    <data>/backups/cctf-<date>.db    a daily copy of the database, the last few kept

The folder is, in order: ``--data-dir``, ``$CCTF_DATA_DIR``, then the platform's user data
folder: ``$XDG_DATA_HOME/cctf`` or ``~/.local/share/cctf`` (Linux and other Unix),
``~/Library/Application Support/cctf`` (macOS), ``%LOCALAPPDATA%\\cctf`` (Windows: the local
folder, because domain profiles copy the roaming ``%APPDATA%`` to a server, and patient data
must not leave the machine; a folder left there by an older cctf is moved once, see
``move_roaming_data_dir``). The per-platform rules of every cctf folder live in
``cctf.userdirs``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cctf import texts
from cctf.errors import CctfError
from cctf.userdirs import APP_NAME, platform_dir

log = logging.getLogger(__name__)
ENV_VAR = "CCTF_DATA_DIR"
DB_NAME = "cctf.db"


def platform_data_dir(
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Path:
    """The platform's per-user data folder for cctf (no override applied)."""
    return platform_dir("data", platform, env, home)


def roaming_data_dir(env: Mapping[str, str], home: Path) -> Path:
    """Where cctf before 0.2 kept its data on Windows: the roaming ``%APPDATA%\\cctf``."""
    base = env.get("APPDATA")
    return Path(base) / APP_NAME if base else home / "AppData" / "Roaming" / APP_NAME


def move_roaming_data_dir(local: Path, roaming: Path) -> Path:
    """Move an older cctf's roaming data folder to the local one, once; the folder to use.

    Never overwrites: if the local folder exists, both are left as they are (a warning names
    the roaming one). The move is a rename of the whole folder, so it happens entirely or not
    at all; if it cannot be done (files in use, another drive) the roaming folder is used as
    it is this time, with a warning, and nothing is copied or deleted.
    """
    if not roaming.is_dir() or roaming == local:
        return local
    if local.exists():
        log.warning(texts.DATA_ROAMING_LEFT, roaming, local)
        return local
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        os.rename(roaming, local)
    except FileNotFoundError:
        if local.is_dir():  # another cctf process moved it at the same moment
            return local
        raise
    except OSError as exc:
        log.warning(texts.DATA_ROAMING_NOT_MOVED, roaming, local, exc.strerror or exc)
        return roaming
    log.warning(texts.DATA_ROAMING_MOVED, roaming, local)
    return local


def resolve_data_dir(override: str | Path | None = None,
                     env: Mapping[str, str] | None = None,
                     *, platform: str | None = None, home: Path | None = None) -> Path:
    """``override`` (``--data-dir``), else ``$CCTF_DATA_DIR``, else the platform folder
    (on Windows, after moving an older cctf's roaming folder there once)."""
    env = os.environ if env is None else env
    chosen = override or env.get(ENV_VAR)
    if not chosen:
        platform = platform or sys.platform
        chosen = platform_data_dir(platform, env, home)
        if platform.startswith("win"):
            chosen = move_roaming_data_dir(chosen, roaming_data_dir(env, home or Path.home()))
    return Path(chosen).expanduser().absolute()


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700; tighten an existing cctf folder."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.name == "posix" and (path.stat().st_mode & 0o077):
            os.chmod(path, 0o700)
    except OSError as exc:
        raise CctfError(
            f"cannot create the data folder {path}: {exc.strerror or exc} "
            "(choose another with --data-dir or CCTF_DATA_DIR)"
        ) from exc
    if not path.is_dir():
        raise CctfError(f"the data folder {path} is not a folder")
    return path


@dataclass(frozen=True, slots=True)
class DataDir:
    """The layout of one data folder. ``ensure()`` creates it (0700 throughout)."""

    root: Path

    @classmethod
    def resolve(cls, override: str | Path | None = None) -> DataDir:
        return cls(resolve_data_dir(override))

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def sessions(self) -> Path:
        return self.root / "sessions"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def patient_dir(self, code: str) -> Path:
        """Sessions of one patient; ``code`` is a validated pseudonymous ID (no path tricks)."""
        return self.sessions / code

    def ensure(self) -> DataDir:
        for folder in (self.root, self.sessions, self.locks, self.backups):
            make_private_dir(folder)
        return self

    def relative(self, path: Path) -> str:
        """How the database stores a file: relative to the root when inside it (the folder
        can then be moved or restored elsewhere), else absolute."""
        path = Path(path).absolute()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def absolute(self, stored: str) -> Path:
        p = Path(stored)
        return p if p.is_absolute() else self.root / p
