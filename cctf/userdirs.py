"""Per-user folders outside the installed package: one place owns the per-platform rules.

Nothing is ever written into the installed package (``site-packages``): it may be read-only,
and ``pip uninstall`` would leave it behind. Each folder has an environment override; without
it, the platform's convention (written by hand: three rules do not justify a dependency):

    data     Unix: $XDG_DATA_HOME/cctf (else ~/.local/share/cctf)
             macOS: ~/Library/Application Support/cctf     Windows: %LOCALAPPDATA%\\cctf
    config   Unix: $XDG_CONFIG_HOME/cctf (else ~/.config/cctf)
             macOS: ~/Library/Preferences/cctf             Windows: %APPDATA%\\cctf
    cache    Unix: $XDG_CACHE_HOME/cctf (else ~/.cache/cctf)
             macOS: ~/Library/Caches/cctf                  Windows: %LOCALAPPDATA%\\cctf\\Cache

Patient data stay in the *local* Windows folder (domain profiles copy the roaming ``%APPDATA%``
to a server); the settings file, which holds no patient data, roams with the user. The data
folder's override and its move from an older cctf's roaming folder are in
``cctf.records.paths``; the cache may be deleted at any time and is rebuilt on demand.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "cctf"
CACHE_ENV_VAR = "CCTF_CACHE_DIR"
CONFIG_ENV_VAR = "CCTF_CONFIG_DIR"


@dataclass(frozen=True, slots=True)
class _FolderRule:
    xdg_var: str  # Unix: the XDG variable ...
    xdg_default: tuple[str, ...]  # ... and its default under the home folder
    mac: tuple[str, ...]  # macOS: under the home folder
    win_var: str  # Windows: the variable ...
    win_default: tuple[str, ...]  # ... its default under the home folder
    win_tail: tuple[str, ...] = ()  # ... and what follows cctf's own folder


_RULES = {
    "data": _FolderRule("XDG_DATA_HOME", (".local", "share"),
                        ("Library", "Application Support"),
                        "LOCALAPPDATA", ("AppData", "Local")),
    "config": _FolderRule("XDG_CONFIG_HOME", (".config",), ("Library", "Preferences"),
                          "APPDATA", ("AppData", "Roaming")),
    "cache": _FolderRule("XDG_CACHE_HOME", (".cache",), ("Library", "Caches"),
                         "LOCALAPPDATA", ("AppData", "Local"), ("Cache",)),
}


def platform_dir(kind: str, platform: str | None = None, env: Mapping[str, str] | None = None,
                 home: Path | None = None) -> Path:
    """The platform's per-user ``kind`` folder for cctf (``data``, ``config`` or ``cache``),
    no override applied."""
    rule = _RULES[kind]
    platform = platform or sys.platform
    env = os.environ if env is None else env
    home = home or Path.home()
    if platform.startswith("win"):
        base = env.get(rule.win_var)
        root = Path(base) if base else home.joinpath(*rule.win_default)
        return root.joinpath(APP_NAME, *rule.win_tail)
    if platform == "darwin":
        return home.joinpath(*rule.mac, APP_NAME)
    xdg = env.get(rule.xdg_var, "")
    # The XDG spec: a relative path is invalid and must be ignored.
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else home.joinpath(*rule.xdg_default)
    return base_dir / APP_NAME


def user_cache_dir(platform: str | None = None, env: Mapping[str, str] | None = None,
                   home: Path | None = None) -> Path:
    """The per-user cache folder for cctf (``$CCTF_CACHE_DIR`` overrides it)."""
    env = os.environ if env is None else env
    if override := env.get(CACHE_ENV_VAR):
        return Path(override)
    return platform_dir("cache", platform, env, home)


def user_config_dir(platform: str | None = None, env: Mapping[str, str] | None = None,
                    home: Path | None = None) -> Path:
    """The per-user config folder for cctf (``$CCTF_CONFIG_DIR`` overrides it)."""
    env = os.environ if env is None else env
    if override := env.get(CONFIG_ENV_VAR):
        return Path(override).expanduser().absolute()
    return platform_dir("config", platform, env, home)
