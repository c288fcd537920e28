"""Patients, prescriptions and sessions in the records database.

    records = open_records()                          # cctf.records.startup
    records.add_patient("P-0042", name="…", birth_year=1980)
    records.sessions("P-0042")                        # history, oldest first
    records.save_result(session_id, result)           # trials, faults, scores
    records.mark_compensation(session_id, trial, "breath")

Trial results and the therapist's annotations live in ``cctf.records.results``; ``Records``
is the one object the app and the commands hold.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cctf.analysis.results import FLAG_TYPES, SessionResult
from cctf.errors import ConfigError, RecordsError
from cctf.records import results as results_db
from cctf.records.damage import check_patient_row, check_session_row
from cctf.records.db import transaction
from cctf.records.models import (
    MAX_NAME,
    MAX_NOTES,
    STATUSES,
    Patient,
    PrescriptionRecord,
    SessionRecord,
    clean_text,
    nan_if_none,
    validate_birth_year,
    validate_code,
    validate_kind,
)
from cctf.records.paths import DataDir
from cctf.records.schema import utc_parts
from cctf.session.training import Prescription

log = logging.getLogger(__name__)

_SESSION_COLUMNS = """s.id, p.code AS patient_code, s.kind, s.status, s.started_at, s.duration_s,
    s.device_serial, s.device_firmware, s.calibration_id, s.protocol_json, s.prescription_json,
    s.baseline_mmhg, s.rate_hz, s.activation_score_mmhg, s.performance_index, s.reps_planned,
    s.reps_done, s.therapist_notes, s.csv_path, s.csv_sha256, s.csv_rows, s.status_note,
    s.complete, s.ended_early_s, s.progress_excluded_reason, s.progress_excluded_at"""


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _unjson(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Records:
    """The records of one data folder over one open connection (use from one thread)."""

    def __init__(self, conn: sqlite3.Connection, data: DataDir) -> None:
        self.conn = conn
        self.data = data

    def close(self) -> None:
        from cctf.records.db import checkpoint

        checkpoint(self.conn)
        self.conn.close()

    def __enter__(self) -> Records:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- patients --------------------------------------------------------------------------

    def add_patient(self, code: str, *, name: str | None = None,
                    birth_year: int | str | None = None, notes: str = "") -> Patient:
        code = validate_code(code)
        name = clean_text(name, "name", MAX_NAME, multiline=False) or None
        year = validate_birth_year(birth_year)
        notes = clean_text(notes, "notes", MAX_NOTES, multiline=True)
        try:
            self.conn.execute(
                "INSERT INTO patients (code, name, birth_year, notes, created_at) "
                "VALUES (?, ?, ?, ?, ?)", (code, name, year, notes, _now()))
        except sqlite3.IntegrityError:
            raise RecordsError(f"patient {code} already exists") from None
        log.info("added patient %s", code)
        return self.patient(code)

    def update_patient(self, code: str, **changes: object) -> Patient:
        """Change ``name``, ``birth_year`` or ``notes`` (None clears name and birth year)."""
        patient = self.patient(code)
        values: dict[str, object] = {}
        for key, value in changes.items():
            if key == "name":
                values[key] = clean_text(value, "name", MAX_NAME, multiline=False) or None
            elif key == "birth_year":
                values[key] = validate_birth_year(value)
            elif key == "notes":
                values[key] = clean_text(value, "notes", MAX_NOTES, multiline=True)
            else:
                raise ConfigError(f"a patient has no field {key!r}")
        if values:
            sets = ", ".join(f"{k} = ?" for k in values)
            self.conn.execute(f"UPDATE patients SET {sets} WHERE id = ?",
                              (*values.values(), patient.id))
        return self.patient(code)

    def find_patient(self, code: str) -> Patient | None:
        row = self.conn.execute("SELECT * FROM patients WHERE code = ?", (code,)).fetchone()
        if row is not None:
            check_patient_row(row)
        return None if row is None else Patient(
            row["id"], row["code"], row["name"], row["birth_year"], row["notes"],
            row["created_at"])

    def patient(self, code: str) -> Patient:
        found = self.find_patient(code)
        if found is None:
            raise RecordsError(f"no patient {code!r} in the records (see 'cctf patients')")
        return found

    def patients(self) -> list[Patient]:
        rows = self.conn.execute("SELECT code FROM patients ORDER BY code COLLATE NOCASE")
        return [self.patient(r["code"]) for r in rows.fetchall()]

    # --- prescriptions ---------------------------------------------------------------------

    def prescribe(self, code: str, prescription: dict[str, Any], *, sessions_per_day: int,
                  start: date, notes: str = "") -> PrescriptionRecord:
        """A home programme from ``start`` (replaces the previous one from then on).
        ``prescription`` holds ``cctf.session.training.Prescription`` fields; it is checked
        by building one."""
        patient = self.patient(code)
        try:
            checked = Prescription(**prescription)
        except TypeError as exc:
            raise ConfigError(f"not a prescription: {exc}") from None
        if not 1 <= int(sessions_per_day) <= 10:
            raise ConfigError(f"sessions per day must be 1–10, got {sessions_per_day!r}")
        cur = self.conn.execute(
            "INSERT INTO prescriptions (patient_id, start_date, sessions_per_day, "
            "prescription_json, notes) VALUES (?, ?, ?, ?, ?)",
            (patient.id, start.isoformat(), int(sessions_per_day), _json(asdict(checked)),
             clean_text(notes, "notes", MAX_NOTES, multiline=True)))
        return self._prescription(int(cur.lastrowid or 0))

    def _prescription(self, rx_id: int) -> PrescriptionRecord:
        row = self.conn.execute(
            "SELECT r.*, p.code FROM prescriptions r JOIN patients p ON p.id = r.patient_id "
            "WHERE r.id = ?", (rx_id,)).fetchone()
        return PrescriptionRecord(row["id"], row["code"], date.fromisoformat(row["start_date"]),
                                  row["sessions_per_day"], json.loads(row["prescription_json"]),
                                  row["notes"])

    def prescriptions(self, code: str) -> list[PrescriptionRecord]:
        patient = self.patient(code)
        rows = self.conn.execute("SELECT id FROM prescriptions WHERE patient_id = ? "
                                 "ORDER BY start_date, id", (patient.id,)).fetchall()
        return [self._prescription(r["id"]) for r in rows]

    # --- sessions --------------------------------------------------------------------------

    def add_session(
        self, code: str, kind: str, *, status: str, started_at: str, csv_path: Path,
        device_serial: str = "", device_firmware: str = "", calibration_id: str = "",
        protocol: dict[str, Any] | None = None, prescription: dict[str, Any] | None = None,
        notes: str = "", pid: int | None = None, host: str | None = None,
    ) -> int:
        patient = self.patient(code)
        validate_kind(kind)
        if status not in STATUSES:
            raise ConfigError(f"session status must be one of {', '.join(STATUSES)}")
        reps = prescription.get("reps") if prescription else None
        try:
            cur = self.conn.execute(
                "INSERT INTO sessions (patient_id, kind, status, started_at, started_utc, "
                "utc_offset_min, device_serial, "
                "device_firmware, calibration_id, protocol_json, prescription_json, "
                "therapist_notes, csv_path, pid, host, reps_planned) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (patient.id, kind, status, started_at, *utc_parts(started_at),
                 device_serial, device_firmware,
                 calibration_id, _json(protocol), _json(prescription),
                 clean_text(notes, "therapist notes", MAX_NOTES, multiline=True),
                 self.data.relative(csv_path), pid, host,
                 int(reps) if isinstance(reps, int | float) else None))
        except sqlite3.IntegrityError:
            raise RecordsError(f"{csv_path} is already in the records") from None
        return int(cur.lastrowid or 0)

    def find_session(self, session_id: int) -> SessionRecord | None:
        row = self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s JOIN patients p ON p.id = s.patient_id "
            "WHERE s.id = ?", (session_id,)).fetchone()
        return None if row is None else _session(row)

    def session(self, session_id: int) -> SessionRecord:
        found = self.find_session(session_id)
        if found is None:
            raise RecordsError(f"no session {session_id} in the records (see 'cctf sessions')")
        return found

    def session_by_csv(self, path: Path) -> SessionRecord | None:
        row = self.conn.execute("SELECT id FROM sessions WHERE csv_path = ?",
                                (self.data.relative(path),)).fetchone()
        return None if row is None else self.session(row["id"])

    def sessions(self, code: str | None = None, *, kinds: tuple[str, ...] | None = None,
                 statuses: tuple[str, ...] | None = None) -> list[SessionRecord]:
        """History, oldest first (by the instant each started)."""
        where: list[str] = []
        args: list[object] = []
        if code is not None:
            where.append("s.patient_id = ?")
            args.append(self.patient(code).id)
        for column, values in (("s.kind", kinds), ("s.status", statuses)):
            if values:
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                args.extend(values)
        sql = (f"SELECT {_SESSION_COLUMNS} FROM sessions s JOIN patients p "
               "ON p.id = s.patient_id" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY julianday(s.started_at), s.id")
        return [_session(r) for r in self.conn.execute(sql, args).fetchall()]

    def csv_path(self, session: SessionRecord) -> Path:
        return self.data.absolute(session.csv_path)

    def set_status(self, session_id: int, status: str, note: str = "") -> None:
        if status not in STATUSES:
            raise ConfigError(f"session status must be one of {', '.join(STATUSES)}")
        self.conn.execute("UPDATE sessions SET status = ?, status_note = ?, pid = NULL, "
                          "host = NULL WHERE id = ?", (status, note, session_id))

    def exclude_from_progress(self, session_id: int, reason: str) -> None:
        """The therapist leaves a session out of the progress series and its smallest-real-
        difference verdict, with a reason (shown in the progress report). Nothing else about
        the session changes; ``include_in_progress`` takes it back."""
        self.session(session_id)
        why = clean_text(reason, "reason", MAX_NAME, multiline=False)
        if not why:
            raise ConfigError("excluding a session from progress needs a reason")
        self.conn.execute("UPDATE sessions SET progress_excluded_reason = ?, "
                          "progress_excluded_at = ? WHERE id = ?", (why, _now(), session_id))
        log.info("session %d excluded from progress: %s", session_id, why)

    def include_in_progress(self, session_id: int) -> None:
        """Undo ``exclude_from_progress``."""
        self.session(session_id)
        self.conn.execute("UPDATE sessions SET progress_excluded_reason = NULL, "
                          "progress_excluded_at = NULL WHERE id = ?", (session_id,))

    def set_notes(self, session_id: int, notes: str) -> None:
        """The therapist's notes on a session (shown on its report)."""
        self.session(session_id)
        self.conn.execute("UPDATE sessions SET therapist_notes = ? WHERE id = ?",
                          (clean_text(notes, "therapist notes", MAX_NOTES, multiline=True),
                           session_id))

    def fill_missing(self, session_id: int, *, device_serial: str = "",
                     device_firmware: str = "", calibration_id: str = "",
                     protocol: dict[str, Any] | None = None,
                     prescription: dict[str, Any] | None = None) -> None:
        """Fill what the session's registration left blank (e.g. from its CSV header)."""
        self.conn.execute(
            "UPDATE sessions SET device_serial = CASE WHEN device_serial = '' THEN ? "
            "ELSE device_serial END, device_firmware = CASE WHEN device_firmware = '' THEN ? "
            "ELSE device_firmware END, calibration_id = CASE WHEN calibration_id = '' THEN ? "
            "ELSE calibration_id END, protocol_json = COALESCE(protocol_json, ?), "
            "prescription_json = COALESCE(prescription_json, ?) WHERE id = ?",
            (device_serial, device_firmware, calibration_id, _json(protocol),
             _json(prescription), session_id))

    def set_file_facts(self, session_id: int, *, sha256: str | None, rows: int | None,
                       duration_s: float | None) -> None:
        self.conn.execute("UPDATE sessions SET csv_sha256 = ?, csv_rows = ?, duration_s = ? "
                          "WHERE id = ?", (sha256, rows, duration_s, session_id))

    # --- results and annotations -----------------------------------------------------------

    def save_result(self, session_id: int, result: SessionResult, *,
                    keep_annotations: bool = False) -> SessionResult:
        """Store trials, faults, session events and scores (replacing earlier ones), in one
        transaction. The therapist's annotations come from ``result`` (the app's runner has
        them), or with ``keep_annotations`` the stored ones are applied to ``result`` (a
        session analysed again from its CSV). Returns what was stored."""
        session = self.session(session_id)
        with transaction(self.conn):
            return results_db.save(self.conn, session, result, keep_annotations)

    def load_result(self, session_id: int) -> SessionResult | None:
        """The stored result with the therapist's annotations (None while recording)."""
        session = self.session(session_id)
        if not session.analysed:
            return None
        return results_db.load(self.conn, session)

    def mark_compensation(self, session_id: int, trial_index: int, kind: str) -> None:
        """Compensation seen by hand (``scm``, ``breath``, ``jaw``, ``other`` or a word):
        fails the trial; the scores follow. Also during the recording (``ActiveSession.id``)."""
        self._annotate(session_id, trial_index, "compensation",
                       clean_text(kind, "compensation", 40, multiline=False))

    def override_verdict(self, session_id: int, trial_index: int, passed: bool | None) -> None:
        """The therapist's verdict (None: back to the measured one)."""
        self._annotate(session_id, trial_index, "override",
                       None if passed is None else ("pass" if passed else "fail"))

    def supersede(self, session_id: int, trial_index: int, superseded: bool = True) -> None:
        """A trial the therapist repeated: kept, not scored."""
        self._annotate(session_id, trial_index, "superseded", "yes" if superseded else None)

    def review_flag(self, session_id: int, trial_index: int, flag_type: str,
                    confirmed: bool | None) -> None:
        """The therapist confirms (True: fails the trial like the hand mark) or dismisses
        (False) a hypothesis flag such as ``breath_hold``; None takes the review back. While
        the session records the review is only kept; afterwards verdicts and scores follow."""
        if flag_type not in FLAG_TYPES:
            raise RecordsError(f"unknown flag {flag_type!r}; flags: {', '.join(FLAG_TYPES)}")
        session = self.session(session_id)
        with transaction(self.conn):
            if session.analysed:
                results_db.review(self.conn, session, trial_index, flag_type, confirmed)
            else:
                results_db.keep_review(self.conn, session.id, trial_index, flag_type, confirmed)

    def clear_compensation(self, session_id: int, trial_index: int) -> None:
        self._annotate(session_id, trial_index, "compensation", None)

    def _annotate(self, session_id: int, trial_index: int, kind: str, value: str | None) -> None:
        """While the session records, the mark is only kept (so that a crash does not lose
        it: recovery applies it); afterwards verdicts and scores follow at once."""
        session = self.session(session_id)
        with transaction(self.conn):
            if session.analysed:
                results_db.annotate(self.conn, session, trial_index, kind, value)
            else:
                results_db.keep_annotation(self.conn, session.id, trial_index, kind, value)

    # --- removal ---------------------------------------------------------------------------

    def delete_patient_rows(self, code: str) -> list[Path]:
        """Delete the patient and (cascading) every row about them; returns their CSV paths.
        Call inside a transaction (``cctf.records.erase`` removes the files)."""
        patient = self.patient(code)
        paths = [self.data.absolute(r["csv_path"]) for r in self.conn.execute(
            "SELECT csv_path FROM sessions WHERE patient_id = ?", (patient.id,)).fetchall()]
        self.conn.execute("DELETE FROM patients WHERE id = ?", (patient.id,))
        return paths


def _session(row: sqlite3.Row) -> SessionRecord:
    check_session_row(row)  # an impossible value is reported, never shown as data
    return SessionRecord(
        id=row["id"], patient_code=row["patient_code"], kind=row["kind"], status=row["status"],
        started_at=row["started_at"], duration_s=nan_if_none(row["duration_s"]),
        device_serial=row["device_serial"], device_firmware=row["device_firmware"],
        calibration_id=row["calibration_id"], protocol=_unjson(row["protocol_json"]),
        prescription=_unjson(row["prescription_json"]),
        baseline_mmhg=nan_if_none(row["baseline_mmhg"]), rate_hz=nan_if_none(row["rate_hz"]),
        activation_score_mmhg=nan_if_none(row["activation_score_mmhg"]),
        performance_index=nan_if_none(row["performance_index"]),
        reps_planned=row["reps_planned"], reps_done=row["reps_done"],
        therapist_notes=row["therapist_notes"], csv_path=row["csv_path"],
        csv_sha256=row["csv_sha256"], csv_rows=row["csv_rows"],
        status_note=row["status_note"],
        complete=None if row["complete"] is None else bool(row["complete"]),
        ended_early_s=row["ended_early_s"],
        progress_excluded_reason=row["progress_excluded_reason"],
        progress_excluded_at=row["progress_excluded_at"],
    )
