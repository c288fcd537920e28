"""Named simulation scenarios: a patient, a cuff, a sensor, a cable and a test script.

Scenarios are TOML files (format: docs/scenarios.md). The shipped ones live in
``sim/scenarios/``; ``load_scenario`` also takes the path of a user's file. Every problem in a
file is a ``ConfigError`` naming the file, the key and what is wrong, because these files are
written by hand.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import os
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from cctf.errors import ConfigError

from .faults import LinkFaults
from .patient import CompensationRule, PatientParams, ScriptedSession, SignatureParams
from .physiology import CuffParams
from .schedule import ccft_schedule, schedule_end_s
from .source import Cue

logger = logging.getLogger(__name__)

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
"""Where the shipped scenario files live (installed as package data of ``cctf.sim``)."""


@dataclass(frozen=True, slots=True)
class SensorSettings:
    """What a scenario asks of the sensor model (``[sensor]``); the model itself is sensor.py."""

    sensor_noise_mmhg: float = 0.03  # white noise SD of one sample

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sensor_noise_mmhg) and self.sensor_noise_mmhg >= 0):
            raise ConfigError(
                f"sensor.sensor_noise_mmhg must be a finite number >= 0, "
                f"got {self.sensor_noise_mmhg}"
            )

    @property
    def noise_mmhg(self) -> float:
        """Alias matching ``sensor.SensorParams.noise_mmhg``."""
        return self.sensor_noise_mmhg


@dataclass(frozen=True, slots=True)
class HeadSettings:
    """The optional head-motion sensor (``[head]``, issue 17): whether one is fitted, how the
    resting head tilts it (device-absolute angles the host zeroes) and its noise."""

    fitted: bool = False
    neutral_pitch_deg: float = 4.0  # the headband never sits level: host zeroing removes it
    neutral_roll_deg: float = -1.0
    noise_deg: float = 0.05  # white noise SD of one reading (MPU-6050 class, filtered)

    def __post_init__(self) -> None:
        for name in ("neutral_pitch_deg", "neutral_roll_deg", "noise_deg"):
            value = getattr(self, name)
            if not math.isfinite(value) or abs(value) > 90:
                raise ConfigError(f"head.{name} must be a finite number of degrees, got {value}")
        if self.noise_deg < 0:
            raise ConfigError(f"head.noise_deg must be >= 0, got {self.noise_deg}")


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything one simulated session needs, loaded from a scenario file."""

    name: str
    description: str = ""
    seed: int = 0
    patient: PatientParams = field(default_factory=PatientParams)
    cuff: CuffParams = field(default_factory=CuffParams)
    sensor: SensorSettings = field(default_factory=SensorSettings)
    link: LinkFaults = field(default_factory=LinkFaults)
    schedule: tuple[Cue, ...] = field(default_factory=ccft_schedule)
    head: HeadSettings = field(default_factory=HeadSettings)

    @property
    def duration_s(self) -> float:
        """Device time by which the scripted test is over (last cue's end + 10 s)."""
        return schedule_end_s(self.schedule)

    def make_source(self, seed: int | None = None, autocue: bool = False) -> ScriptedSession:
        """The patient on the cuff as a ``PressureSource`` (``seed`` overrides the file's)."""
        return ScriptedSession(
            self.patient,
            self.cuff,
            self.schedule,
            seed=self.seed if seed is None else seed,
            autocue=autocue,
            neutral_pitch_deg=self.head.neutral_pitch_deg,
            neutral_roll_deg=self.head.neutral_roll_deg,
        )


# --- reading files -------------------------------------------------------------------------

_TOP_KEYS = {"name", "description", "seed"}
_TABLES = {"patient", "signatures", "cuff", "sensor", "link", "schedule", "head"}


def list_scenarios() -> list[tuple[str, str]]:
    """(name, description) of every shipped scenario, sorted by name."""
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        out.append((path.stem, load_scenario(str(path)).description))
    return out


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """A shipped scenario by name (``"healthy"``) or a scenario file by path."""
    text = os.fspath(name_or_path)
    looks_like_path = isinstance(name_or_path, os.PathLike) or text.endswith(".toml")
    looks_like_path = looks_like_path or "/" in text or "\\" in text
    if looks_like_path:
        return _load_file(Path(text))
    path = SCENARIO_DIR / f"{text}.toml"
    if not path.is_file():
        names = ", ".join(p.stem for p in sorted(SCENARIO_DIR.glob("*.toml")))
        raise ConfigError(
            f"unknown scenario {text!r}; available: {names} (or give the path of a .toml file)"
        )
    return _load_file(path)


MAX_SCENARIO_BYTES = 256 * 1024  # the shipped ones are about 1 kB


def _read_text(path: Path) -> str:
    """A regular file of sane size only (a FIFO or /dev/zero would block or never end)."""
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"scenario file {path} is not a regular file")
        data = f.read(MAX_SCENARIO_BYTES + 1)
    if len(data) > MAX_SCENARIO_BYTES:
        raise ConfigError(f"scenario file {path} is larger than {MAX_SCENARIO_BYTES} bytes")
    return data.decode("utf-8")


def _load_file(path: Path) -> Scenario:
    try:
        data = tomllib.loads(_read_text(path))
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except FileNotFoundError:
        raise ConfigError(f"scenario file {path} not found") from None
    except OSError as exc:
        raise ConfigError(f"cannot read scenario file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected UTF-8 TOML)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return scenario_from_dict(data, default_name=path.stem)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def scenario_from_dict(data: dict[str, Any], default_name: str = "custom") -> Scenario:
    """Build a scenario from parsed TOML; errors name the section and key, not the file."""
    for key, value in data.items():
        if key in _TABLES and not isinstance(value, dict):
            raise ConfigError(f"[{key}] must be a table, got {value!r}")
        if key == "compensations":
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError("compensations must be an array of tables ([[compensations]])")
        elif key not in _TOP_KEYS | _TABLES:
            known = ", ".join(sorted(_TOP_KEYS | _TABLES | {"compensations"}))
            raise ConfigError(f"unknown top-level key {key!r}; known keys: {known}")
    name = _convert(data.get("name", default_name), str, "name")
    description = _convert(data.get("description", ""), str, "description")
    seed = _convert(data.get("seed", 0), int, "seed")
    if seed < 0:
        raise ConfigError(f"seed must be >= 0, got {seed}")

    rules = tuple(
        _build(CompensationRule, table, f"[[compensations]] #{i + 1}")
        for i, table in enumerate(data.get("compensations", []))
    )
    signatures = _build(SignatureParams, data.get("signatures", {}), "[signatures]")
    patient = _build(
        PatientParams,
        data.get("patient", {}),
        "[patient]",
        signatures=signatures,
        compensations=rules,
    )
    return Scenario(
        name=name,
        description=description,
        seed=seed,
        patient=patient,
        cuff=_build(CuffParams, data.get("cuff", {}), "[cuff]"),
        sensor=_build(SensorSettings, data.get("sensor", {}), "[sensor]"),
        link=_build(LinkFaults, data.get("link", {}), "[link]"),
        schedule=_build_schedule(data.get("schedule", {})),
        head=_build(HeadSettings, data.get("head", {}), "[head]"),
    )


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints``, once per class: the app lists every scenario at start-up
    (the connection bar), and resolving the hints again for each table took most of it."""
    return typing.get_type_hints(cls)


def _build(cls: type, table: dict[str, Any], where: str, **fixed: Any) -> Any:
    """``cls(**table)`` with every key known and every value of its field's type."""
    hints = _type_hints(cls)
    settable = [f.name for f in fields(cls) if f.name not in fixed]
    kwargs = dict(fixed)
    for key, value in table.items():
        if key not in settable:
            raise ConfigError(
                f"{where}: unknown key {key!r}; known keys: {', '.join(sorted(settable))}"
            )
        kwargs[key] = _convert(value, hints[key], f"{where} {key}")
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except TypeError as exc:  # a required field (e.g. a compensation's kind) is missing
        missing = [f.name for f in fields(cls) if f.name not in kwargs
                   and f.default is MISSING and f.default_factory is MISSING]
        if missing:
            raise ConfigError(f"{where}: missing key {missing[0]!r} (required; known keys: "
                              f"{', '.join(sorted(settable))})") from None
        raise ConfigError(f"{where}: {exc}") from None


def _build_schedule(table: dict[str, Any]) -> tuple[Cue, ...]:
    params = inspect.signature(ccft_schedule).parameters
    kwargs = {}
    for key, value in table.items():
        if key not in params:
            known = ", ".join(params)
            raise ConfigError(f"[schedule]: unknown key {key!r}; known keys: {known}")
        kwargs[key] = _convert(value, _SCHEDULE_TYPES.get(key, float), f"[schedule] {key}")
    try:
        return ccft_schedule(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"[schedule]: {exc}") from None


_SCHEDULE_TYPES: dict[str, Any] = {"n_stages": int, "endurance_reps": int}


def _convert(value: Any, hint: Any, where: str) -> Any:
    """``value`` as TOML gave it, checked and converted to the field's annotated type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):  # "float | None": TOML has no null
        return _convert(value, next(a for a in args if a is not type(None)), where)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: must be true or false, got {value!r}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where}: must be a number, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: must be an integer, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: must be a string, got {value!r}")
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: must be an array, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{where}: must have {len(args)} items, got {value!r}")
        items = enumerate(zip(value, args, strict=True))
        return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in items)
    raise TypeError(f"no TOML conversion for {hint!r} at {where}")  # a bug here, not in a file
