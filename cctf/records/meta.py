"""What a session CSV says about its session: kind, start, device, protocol, prescription.

Both recorders write ``# key: value`` metadata (``cctf.acquisition.recorder`` and the app's
``cctf.gui.recording``): the device's HELLO (``device_serial``, ``firmware_version``,
``calibration_id``, ``sample_rate_hz``), ``started_at``, and from the app ``session`` (the
kind), ``protocol_<field>`` and ``prescription_<field>``. Records add ``patient`` and
``records_session_id``. Files from elsewhere may lack any of them: every field has a default.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from cctf.analysis.config import AnalysisConfig
from cctf.errors import FileFormatError
from cctf.records.models import SESSION_KINDS
from cctf.sessionfile import SessionRecording, read_session

# Keys starting "protocol_" that are not protocol settings (the wire protocol's version).
_NOT_SETTINGS = {"protocol_version"}


@dataclass(frozen=True, slots=True)
class SessionInfo:
    kind: str
    started_at: str
    device_serial: str
    device_firmware: str
    calibration_id: str
    protocol: dict[str, Any] | None
    prescription: dict[str, Any] | None
    patient_code: str | None


def _value(text: str) -> Any:
    """Metadata values are text; numbers and booleans come back as such for the JSON."""
    if text in ("True", "False"):
        return text == "True"
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text else number


def _prefixed(metadata: dict[str, str], prefix: str) -> dict[str, Any] | None:
    found = {k[len(prefix):]: _value(v) for k, v in metadata.items()
             if k.startswith(prefix) and k not in _NOT_SETTINGS and len(k) > len(prefix)}
    return found or None


def infer_kind(recording: SessionRecording) -> str:
    """``session`` metadata if valid, else from the phases cued: stage/endurance → clinic,
    training → training, nothing cued → monitor."""
    kind = recording.metadata.get("session", "")
    if kind in SESSION_KINDS:
        return kind
    phases = set(recording.phase.tolist()) if len(recording) else set()
    if phases & {"stage", "endurance", "practice"}:
        return "clinic"
    if "training" in phases:
        return "training"
    return "monitor"


def normalise_time(text: str, fallback: datetime) -> str:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        when = fallback
    if when.tzinfo is None:
        when = when.astimezone()  # a naive time is the recording machine's local time
    return when.isoformat(timespec="seconds")


def session_info(recording: SessionRecording, fallback_start: datetime | None = None
                 ) -> SessionInfo:
    meta = recording.metadata
    fallback = fallback_start or datetime.fromtimestamp(0, UTC)
    return SessionInfo(
        kind=infer_kind(recording),
        started_at=normalise_time(meta.get("started_at", ""), fallback),
        device_serial=meta.get("device_serial", "")[:64],
        device_firmware=meta.get("firmware_version", "")[:64],
        calibration_id=meta.get("calibration_id", "")[:64],
        protocol=_prefixed(meta, "protocol_"),
        prescription=_prefixed(meta, "prescription_"),
        patient_code=meta.get("patient") or None,
    )


def analysis_config(protocol: dict[str, Any] | None,
                    prescription: dict[str, Any] | None) -> AnalysisConfig:
    """The thresholds the session ran with: hold, band and nominal baseline from its protocol
    (clinic) or prescription (training), defaults for anything missing or unusable."""
    cfg = AnalysisConfig()
    source = protocol or prescription or {}
    changes: dict[str, Any] = {}
    for key, field in (("hold_s", "hold_s"), ("band_mmhg", "band_mmhg"),
                       ("baseline_mmhg", "nominal_baseline_mmhg")):
        value = source.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
                value) and value > 0:
            changes[field] = float(value)
    try:
        return replace(cfg, **changes)
    except ValueError:  # ConfigError: an odd file; judge it with the defaults
        return cfg


def duration_s(recording: SessionRecording) -> float:
    if len(recording) < 2:
        return 0.0
    return float(recording.t_s[-1] - recording.t_s[0]) + float(np.median(np.diff(recording.t_s)))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_recorded(path: Path) -> SessionRecording:
    """A session CSV as strictly as possible: a complete file whole; one cut off mid-row by
    a crash without its unfinished last line."""
    try:
        return read_session(path)
    except FileFormatError:
        return read_session(path, tolerate_truncated_tail=True)
