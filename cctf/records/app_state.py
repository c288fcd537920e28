"""What the app remembers between runs: the last patient and screen.

A small JSON file in the data folder (``<data>/app-state.json``, 0600) — beside the records
it refers to, so another data folder has its own. A missing, unreadable or odd file is the
same as none: the app starts with no patient on the first screen (never an error).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from cctf.errors import ConfigError
from cctf.records.files import atomic_writer
from cctf.records.models import validate_code

log = logging.getLogger(__name__)

STATE_NAME = "app-state.json"
SCREENS = ("clinic", "training", "monitor")


@dataclass(frozen=True, slots=True)
class AppState:
    patient_code: str | None = None
    screen: str = "clinic"


def state_path(data_root: Path) -> Path:
    return Path(data_root) / STATE_NAME


def load_state(data_root: Path) -> AppState:
    path = state_path(data_root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AppState()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return AppState()
    if not isinstance(data, dict):
        return AppState()
    code = data.get("patient_code")
    try:
        code = validate_code(code) if code is not None else None
    except ConfigError:
        code = None
    screen = data.get("screen")
    return AppState(code, screen if screen in SCREENS else "clinic")


def save_state(data_root: Path, state: AppState) -> bool:
    """Write the state (atomically); False (logged) when the folder cannot take it."""
    path = state_path(data_root)
    try:
        if not path.parent.is_dir():
            return False
        with atomic_writer(path) as out:
            out.write(json.dumps(asdict(state)).encode("utf-8"))
    except OSError as exc:
        log.warning("could not remember the last patient and screen in %s: %s", path, exc)
        return False
    return True
