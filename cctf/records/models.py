"""What the records hold, as frozen dataclasses, and the checks on what people type in."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cctf.errors import ConfigError

SESSION_KINDS = ("clinic", "training", "monitor")
STATUSES = ("recording", "complete", "recovered", "imported", "ended_early")
ANNOTATION_KINDS = ("compensation", "override", "superseded")

# A pseudonymous ID is also a folder name: letters, digits, dot, dash, underscore; no path
# tricks, no spaces (EDF+ header fields are space-separated), at most 32 characters.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}
MAX_NAME = 200
MAX_NOTES = 20_000
MIN_BIRTH_YEAR = 1900


def validate_code(code: object) -> str:
    """A pseudonymous patient ID, e.g. ``P-0042``; raises ``ConfigError`` naming the rule."""
    if not isinstance(code, str) or not _CODE.fullmatch(code) or code.endswith("."):
        raise ConfigError(
            f"patient ID {code!r} is not valid: use 1–32 letters, digits, '.', '-' or '_', "
            "starting with a letter or digit (a pseudonym such as P-0042, not a name)"
        )
    if code.split(".")[0].lower() in _RESERVED:
        raise ConfigError(f"patient ID {code!r} is a reserved file name on Windows")
    return code


def validate_birth_year(year: object, this_year: int | None = None) -> int | None:
    if year is None or year == "":
        return None
    this_year = this_year or date.today().year
    try:
        value = int(str(year).strip())
    except ValueError:
        raise ConfigError(f"birth year must be a year such as 1980, got {year!r}") from None
    if not MIN_BIRTH_YEAR <= value <= this_year:
        raise ConfigError(f"birth year must be between {MIN_BIRTH_YEAR} and {this_year}, "
                          f"got {value}")
    return value


def clean_text(text: object, field: str, limit: int, *, multiline: bool) -> str:
    """Free text without control characters (newlines and tabs kept in notes)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ConfigError(f"{field} must be text, got {type(text).__name__}")
    keep = "\n\t" if multiline else ""
    cleaned = "".join(
        c for c in text.replace("\r\n", "\n")
        if c in keep or unicodedata.category(c)[0] != "C"
    ).strip()
    if len(cleaned) > limit:
        raise ConfigError(f"{field} is too long ({len(cleaned)} characters, at most {limit})")
    return cleaned


def validate_kind(kind: str) -> str:
    if kind not in SESSION_KINDS:
        raise ConfigError(f"session kind must be one of {', '.join(SESSION_KINDS)}, "
                          f"got {kind!r}")
    return kind


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as stored (``started_at``); naive times are taken as UTC-less local."""
    return datetime.fromisoformat(text)


def nan_if_none(x: object) -> float:
    return math.nan if x is None else float(x)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    code: str  # pseudonymous ID: shown on screens, reports and exports
    name: str | None  # optional; shown only where asked for
    birth_year: int | None
    notes: str
    created_at: str

    def to_dict(self, *, include_name: bool = True) -> dict[str, Any]:
        return {"code": self.code, "name": self.name if include_name else None,
                "birth_year": self.birth_year, "notes": self.notes,
                "created_at": self.created_at}


@dataclass(frozen=True, slots=True)
class PrescriptionRecord:
    """A home programme from ``start_date`` until the next one: the holds of one training
    session (``cctf.session.training.Prescription`` fields) done ``sessions_per_day``."""

    id: int
    patient_code: str
    start_date: date
    sessions_per_day: int
    prescription: dict[str, Any]
    notes: str

    @property
    def reps(self) -> int:
        return int(self.prescription.get("reps", 10))

    def to_dict(self) -> dict[str, Any]:
        return {"start_date": self.start_date.isoformat(),
                "sessions_per_day": self.sessions_per_day,
                "prescription": self.prescription, "notes": self.notes}


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    patient_code: str
    kind: str
    status: str
    started_at: str  # ISO 8601 with the recording machine's UTC offset
    duration_s: float
    device_serial: str
    device_firmware: str
    calibration_id: str
    protocol: dict[str, Any] | None
    prescription: dict[str, Any] | None
    baseline_mmhg: float
    rate_hz: float
    activation_score_mmhg: float
    performance_index: float
    reps_planned: int | None
    reps_done: int | None
    therapist_notes: str
    csv_path: str  # as stored: relative to the data folder when inside it
    csv_sha256: str | None
    csv_rows: int | None
    status_note: str
    complete: bool | None = None  # None: analysed before cctf knew (schema version < 3)
    ended_early_s: float | None = None  # the test was ended early at this session time
    progress_excluded_reason: str | None = None  # the therapist left it out of progress
    progress_excluded_at: str | None = None

    @property
    def measured_complete(self) -> bool:
        """Complete as far as the records know: older rows (``complete`` unknown) count as
        complete when their status is."""
        if self.complete is not None:
            return self.complete and self.status != "ended_early"
        return self.status in ("complete", "imported")

    @property
    def started(self) -> datetime:
        return parse_time(self.started_at)

    @property
    def analysed(self) -> bool:
        return self.status != "recording"

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if x is None or math.isnan(x) else round(x, 3)

        return {
            "id": self.id, "patient": self.patient_code, "kind": self.kind,
            "status": self.status, "started_at": self.started_at,
            "duration_s": num(self.duration_s), "device_serial": self.device_serial,
            "device_firmware": self.device_firmware, "calibration_id": self.calibration_id,
            "protocol": self.protocol, "prescription": self.prescription,
            "baseline_mmhg": num(self.baseline_mmhg), "rate_hz": num(self.rate_hz),
            "activation_score_mmhg": num(self.activation_score_mmhg),
            "performance_index": num(self.performance_index),
            "reps_planned": self.reps_planned, "reps_done": self.reps_done,
            "therapist_notes": self.therapist_notes, "csv_path": self.csv_path,
            "csv_sha256": self.csv_sha256, "csv_rows": self.csv_rows,
            "status_note": self.status_note,
            "complete": self.complete, "ended_early_s": self.ended_early_s,
            "progress_excluded_reason": self.progress_excluded_reason,
            "progress_excluded_at": self.progress_excluded_at,
        }
