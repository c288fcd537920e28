"""Import a session CSV from another machine, and the checks that keep hostile files out.

    session_id = import_session_csv(records, "from-clinic-laptop.csv", "P-0042")

The file is first copied to a private temporary file in the patient's folder; that copy (the
very bytes that will be kept) is checked — a regular file of sane size, text with sane
lines, a valid session CSV (``read_session``, strict), no cell that a spreadsheet would run
as a formula — and only then renamed into place, inside the database transaction that
registers and analyses it. Any problem: a clear message, and the records and files are as
they were.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cctf.analysis.offline import estimate_rate_hz
from cctf.errors import FileFormatError, RecordsError
from cctf.file_annotations import parse_annotations
from cctf.formulas import check_no_formulas
from cctf.records.annotate import annotate
from cctf.records.db import transaction
from cctf.records.files import copy_private, free_path
from cctf.records.meta import file_sha256, session_info
from cctf.records.models import validate_kind
from cctf.records.paths import make_private_dir
from cctf.records.recovery import analyse_session, store_file_facts
from cctf.records.store import Records
from cctf.sessionfile import SessionRecording, read_session

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 256 * 1024 * 1024  # a 6-hour session at 200 Hz is about 150 MB
MAX_LINE_BYTES = 64 * 1024
MAX_COLUMNS = 32
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")


def check_file(path: Path, name: str | None = None, max_bytes: int = MAX_FILE_BYTES) -> None:
    """A regular file, not too big, without NUL bytes or over-long lines."""
    name = name or str(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise FileFormatError(name, None, f"cannot read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise FileFormatError(name, None, "not a regular file")
    if st.st_size > max_bytes:
        raise FileFormatError(name, None, f"too large for a session ({st.st_size} bytes, at "
                                          f"most {max_bytes})")
    line, length = 1, 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if b"\x00" in chunk:
                raise FileFormatError(name, None, "binary data (NUL bytes): not a session CSV")
            parts = chunk.split(b"\n")
            for k, part in enumerate(parts):
                length += len(part)
                if length > MAX_LINE_BYTES:
                    raise FileFormatError(name, line, f"line longer than {MAX_LINE_BYTES} "
                                                      "bytes: not a session CSV")
                if k < len(parts) - 1:
                    line, length = line + 1, 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def looks_like_formula(text: str) -> bool:
    """A cell a spreadsheet might execute (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM``)."""
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped.startswith(_FORMULA_START) and not _is_number(stripped)


def check_cells(recording: SessionRecording, name: str) -> None:
    """Refuse metadata and extra columns holding formula-like text (numeric columns are
    already numbers, ``phase`` is one of five words)."""
    if len(recording.extra) + 4 > MAX_COLUMNS:
        raise FileFormatError(name, None, f"{len(recording.extra) + 4} columns, at most "
                                          f"{MAX_COLUMNS}")
    for key, value in recording.metadata.items():
        if looks_like_formula(key) or looks_like_formula(value):
            raise FileFormatError(name, None, f"metadata {key[:40]!r} looks like a spreadsheet "
                                              "formula: refused")
    for column, cells in recording.extra.items():
        if looks_like_formula(column):
            raise FileFormatError(name, None, f"column name {column[:30]!r} looks like a "
                                              "spreadsheet formula: refused")
        for k, cell in enumerate(cells):
            if cell.lstrip(" ")[:1] in _FORMULA_START and looks_like_formula(cell):
                raise FileFormatError(name, None, f"column {column!r}, data row {k + 1}: "
                                                  f"{cell[:30]!r} looks like a spreadsheet "
                                                  "formula: refused")


def validate_session_file(path: Path, name: str) -> SessionRecording:
    """Every check on one file; errors name ``name`` (the file the user gave)."""
    check_file(path, name)
    try:
        recording = read_session(path, keep_extra=False)
        check_no_formulas(path, name)  # every line and cell, at C speed
    except FileFormatError as exc:
        raise FileFormatError(name, exc.line, exc.problem) from None
    if len(recording) == 0:
        raise FileFormatError(name, None, "no samples")
    if not np.all(np.isfinite(recording.t_s)) or recording.t_s[-1] - recording.t_s[0] > 48 * 3600:
        raise FileFormatError(name, None, "t_s spans more than 48 hours: not a session")
    check_cells(recording, name)
    rate = estimate_rate_hz(recording.t_s)
    if not 1.0 <= rate <= 1000.0:
        raise FileFormatError(name, None, f"samples {1000 / rate:.3g} ms apart ({rate:.6g} Hz): "
                                          "cctf analyses 1–1000 Hz")
    return recording


def refuse_duplicate(records: Records, sha256: str, name: str) -> None:
    """The same bytes are in the records already (by content hash, whatever the file name)."""
    dup = records.conn.execute(
        "SELECT s.id, p.code FROM sessions s JOIN patients p ON p.id = s.patient_id "
        "WHERE s.csv_sha256 = ?", (sha256,)).fetchone()
    if dup is not None:
        raise RecordsError(f"{name} is already in the records (session {dup['id']} of "
                           f"patient {dup['code']}, same content); not imported again")


def imported_path(records: Records, code: str, kind: str, started_at: str) -> Path:
    folder = records.data.patient_dir(code)
    try:
        stamp = datetime.fromisoformat(started_at).strftime("%Y-%m-%d_%H%M%S")
    except ValueError:
        stamp = "undated"
    return free_path(folder / f"{stamp}_{kind}_imported.csv")


def import_session_csv(records: Records, source: str | Path, patient_code: str, *,
                       kind: str | None = None) -> int:
    """Copy, check, register and analyse a session CSV for an existing patient, with the
    therapist's annotations its header carries (``cctf.file_annotations``); returns the new
    session's id (status ``imported``). The source file is only read."""
    source = Path(source)
    name = str(source)
    patient = records.patient(patient_code)
    if kind is not None:
        validate_kind(kind)
    check_file(source, name)  # before copying: refuse junk early, whatever its size
    folder = records.data.patient_dir(patient.code)
    new_folder = not folder.exists()
    make_private_dir(folder)
    checked: list[SessionRecording] = []

    digest: list[str] = []

    def check(tmp: Path) -> None:
        checked.append(validate_session_file(tmp, name))
        digest.append(file_sha256(tmp))
        refuse_duplicate(records, digest[-1], name)

    staging = folder / f".import-{os.getpid()}-{secrets.token_hex(4)}.part"
    dest: Path | None = None
    try:
        copy_private(source, staging, check)  # ``staging`` exists only if the copy passed
        recording = checked[-1]
        info = session_info(recording, datetime.fromtimestamp(source.stat().st_mtime, UTC))
        final_kind = kind or info.kind
        with transaction(records.conn):
            refuse_duplicate(records, digest[-1], name)  # again: another import may have won
            dest = imported_path(records, patient.code, final_kind, info.started_at)
            os.replace(staging, dest)
            session_id = records.add_session(
                patient.code, final_kind, status="imported", started_at=info.started_at,
                csv_path=dest, device_serial=info.device_serial,
                device_firmware=info.device_firmware, calibration_id=info.calibration_id,
                protocol=info.protocol, prescription=info.prescription)
            store_file_facts(records, session_id, dest, recording)
            result = analyse_session(records, records.session(session_id), recording)
            records.save_result(session_id, result)
            # the therapist's annotations made while it was recorded (the header's line)
            annotate(records, session_id, parse_annotations(recording.metadata) or {},
                     "imported file")
    except BaseException:
        for leftover in (staging, dest):
            if leftover is not None:
                with contextlib.suppress(OSError):
                    leftover.unlink()
        if new_folder:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    log.info("imported %s as session %d of patient %s", source, session_id, patient.code)
    return session_id
