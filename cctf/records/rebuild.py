"""Rebuild the records from the session CSVs, the source of truth for what was measured.

Each ``sessions/<PATIENT>/*.csv`` not yet in the database is added (the patient too, by ID
only) and analysed again. Status: ``imported`` for files whose name says so
(``…_imported.csv``), ``complete`` when the recorder closed the file (its header has the final
link statistics), otherwise ``recovered``. The therapist's annotations made while a file was
recorded come back from its header (``cctf.file_annotations``; older files have
none). What only the database knew (names, birth years, notes, prescriptions, changes made
after the session) comes back from a backup, not from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cctf.errors import CctfError, FileFormatError
from cctf.file_annotations import parse_annotations
from cctf.records.annotate import annotate
from cctf.records.db import transaction
from cctf.records.meta import session_info
from cctf.records.models import validate_code
from cctf.records.recovery import analyse_session, store_file_facts
from cctf.records.store import Records
from cctf.sessionfile import parse_ended, read_session

log = logging.getLogger(__name__)

CLOSED_MARKERS = ("link_events", "therapist_actions")  # written when a recorder closes


@dataclass(slots=True)
class RebuildReport:
    patients_added: list[str] = field(default_factory=list)
    sessions_added: list[int] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def rebuild_from_csvs(records: Records) -> RebuildReport:
    report = RebuildReport()
    root = records.data.sessions
    if not root.is_dir():
        return report
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        try:
            code = validate_code(folder.name)
        except CctfError:
            report.skipped.append((folder, "not a patient ID"))
            continue
        for path in sorted(folder.glob("*.csv")):
            if path.is_symlink() or not path.is_file():
                report.skipped.append((path, "not a regular file"))
                continue
            if records.session_by_csv(path) is not None:
                continue
            try:
                report.sessions_added.append(_add(records, code, path, report))
            except (FileFormatError, CctfError) as exc:
                report.skipped.append((path, str(exc)))
                log.warning("rebuild: skipped %s: %s", path, exc)
    return report


def _add(records: Records, code: str, path: Path, report: RebuildReport) -> int:
    recording = read_session(path, tolerate_truncated_tail=True)
    info = session_info(recording, datetime.fromtimestamp(path.stat().st_mtime, UTC))
    if "_imported" in path.stem:
        status = "imported"
    elif any(k in recording.metadata for k in CLOSED_MARKERS) and not recording.dropped_tail_bytes:
        ending = parse_ended(recording.metadata)
        status = "ended_early" if ending is not None and not ending.complete else "complete"
    else:
        status = "recovered"
    with transaction(records.conn):
        if records.find_patient(code) is None:
            records.add_patient(code)
            report.patients_added.append(code)
        session_id = records.add_session(
            code, info.kind, status=status, started_at=info.started_at, csv_path=path,
            device_serial=info.device_serial, device_firmware=info.device_firmware,
            calibration_id=info.calibration_id, protocol=info.protocol,
            prescription=info.prescription)
    store_file_facts(records, session_id, path, recording)
    records.save_result(session_id, analyse_session(records, records.session(session_id),
                                                    recording), keep_annotations=True)
    # the therapist's annotations made while it was recorded, from the file's closing header
    annotate(records, session_id, parse_annotations(recording.metadata) or {}, "session file")
    if status == "recovered":
        records.set_status(session_id, status, "rebuilt from its CSV")
    log.info("rebuild: added session %d from %s", session_id, path)
    return session_id
