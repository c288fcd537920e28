"""Per-user folders outside the installed package: the cache for things cctf builds itself.

The data folder (patient records) is ``cctf.records.paths``; this module holds the cache, which
may be deleted at any time and is rebuilt on demand. Nothing is ever written into the installed
package (``site-packages``): it may be read-only, and ``pip uninstall`` would leave it behind.

    Linux and other Unix   $XDG_CACHE_HOME/cctf, else ~/.cache/cctf
    macOS                  ~/Library/Caches/cctf
    Windows                %LOCALAPPDATA%\\cctf\\Cache
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "cctf"
CACHE_ENV_VAR = "CCTF_CACHE_DIR"


def user_cache_dir(
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Path:
    """The platform's per-user cache folder for cctf (``$CCTF_CACHE_DIR`` overrides it)."""
    platform = platform or sys.platform
    env = os.environ if env is None else env
    home = home or Path.home()
    if override := env.get(CACHE_ENV_VAR):
        return Path(override)
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA")
        root = Path(base) if base else home / "AppData" / "Local"
        return root / APP_NAME / "Cache"
    if platform == "darwin":
        return home / "Library" / "Caches" / APP_NAME
    xdg = env.get("XDG_CACHE_HOME", "")
    # The XDG spec: a relative path is invalid and must be ignored.
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache"
    return base_dir / APP_NAME
