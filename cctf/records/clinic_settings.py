"""The clinic's own words on every report: clinic name, therapist, a signature line.

They live in a small TOML file in cctf's config folder, written by the app's Preferences
dialog or by hand::

    # <config>/settings.toml
    [report]
    clinic = "Physiotherapy North"
    therapist = "A. Example, PT"
    signature_line = true

The config folder is, in order: ``$CCTF_CONFIG_DIR``, then the platform's user config
folder: ``$XDG_CONFIG_HOME/cctf`` or ``~/.config/cctf`` (Linux and other Unix),
``~/Library/Preferences/cctf`` (macOS), ``%APPDATA%\\cctf`` (Windows). A missing file means
no clinic fields (and a signature line); a malformed one raises ``FileFormatError`` naming
the file and the problem (never silently replaced: ``save`` refuses to overwrite it).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cctf.errors import ConfigError, FileFormatError
from cctf.records.files import atomic_writer
from cctf.records.models import clean_text
from cctf.userdirs import user_config_dir

SETTINGS_NAME = "settings.toml"
MAX_FIELD = 120
_KEYS = {"clinic": str, "therapist": str, "signature_line": bool}


@dataclass(frozen=True, slots=True)
class ClinicSettings:
    clinic: str = ""
    therapist: str = ""
    signature_line: bool = True


def config_dir(platform: str | None = None, env: Mapping[str, str] | None = None,
               home: Path | None = None) -> Path:
    """``$CCTF_CONFIG_DIR``, else the platform's per-user config folder for cctf."""
    return user_config_dir(platform, env, home)


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env=env) / SETTINGS_NAME


def load(path: Path | None = None) -> ClinicSettings:
    """The settings in ``path`` (default: ``settings_path()``); defaults when it is missing."""
    path = Path(path) if path is not None else settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ClinicSettings()
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError(str(path), None, f"cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(str(path), None, f"not valid TOML: {exc}") from None
    report = data.get("report", {})
    if not isinstance(report, dict):
        raise FileFormatError(str(path), None, "[report] must be a table")
    values: dict[str, object] = {}
    for key, value in report.items():
        kind = _KEYS.get(key)
        if kind is None:
            raise FileFormatError(str(path), None, f"unknown key report.{key} (known: "
                                             f"{', '.join(_KEYS)})")
        if not isinstance(value, kind):
            raise FileFormatError(str(path), None, f"report.{key} must be {kind.__name__}")
        if kind is str:
            try:
                value = clean_text(value, key, MAX_FIELD, multiline=False)
            except ConfigError as exc:
                raise FileFormatError(str(path), None, str(exc)) from None
        values[key] = value
    return ClinicSettings(**values)  # type: ignore[arg-type]


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def dumps(settings: ClinicSettings) -> str:
    return ("# cctf settings (see docs/records.md)\n[report]\n"
            f"clinic = {_toml_string(settings.clinic)}\n"
            f"therapist = {_toml_string(settings.therapist)}\n"
            f"signature_line = {'true' if settings.signature_line else 'false'}\n")


def save(settings: ClinicSettings, path: Path | None = None) -> Path:
    """Write the settings (atomically, 0600). A file that does not parse is refused, not
    overwritten: it may hold the user's hand-written settings."""
    path = Path(path) if path is not None else settings_path()
    checked = ClinicSettings(
        clean_text(settings.clinic, "clinic", MAX_FIELD, multiline=False),
        clean_text(settings.therapist, "therapist", MAX_FIELD, multiline=False),
        bool(settings.signature_line))
    if path.exists():
        load(path)  # raises FileFormatError on a file we would clobber
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with atomic_writer(path) as out:
        out.write(dumps(checked).encode("utf-8"))
    return path
