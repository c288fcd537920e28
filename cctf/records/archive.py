"""All of one patient's data in one zip archive, and back.

    export_patient(records, "P-0042", "P-0042.zip", exported_at=..., include_reports=True)
    import_patient_archive(records, "P-0042.zip")        # on another machine

The archive holds ``manifest.json`` (the patient, prescriptions, and per session its record,
result and the therapist's annotations), ``sessions/<file>.csv`` (the raw samples, as
recorded) and optionally ``reports/<file>.pdf``. It contains the patient's name when one is
recorded (``include_name=False`` leaves it out): treat it as patient data.

Importing trusts nothing in the archive: member names must be exactly ``manifest.json`` or
``sessions/<name>.csv`` / ``reports/<name>.pdf`` (no folders, ``..``, absolute paths, links),
sizes and compression ratios are bounded (no zip bombs), the manifest is checked field by
field, and every CSV passes the session import checks. Results are computed again from the
CSVs, not read from the manifest. It all goes in one transaction, files via temporary names:
a bad archive changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cctf import __version__
from cctf.errors import CctfError, FileFormatError, RecordsError
from cctf.file_annotations import check_annotations
from cctf.formulas import check_no_formulas
from cctf.records import audit
from cctf.records.annotate import annotate
from cctf.records.db import transaction
from cctf.records.files import atomic_writer, write_private_bytes
from cctf.records.importer import MAX_FILE_BYTES, validate_session_file
from cctf.records.meta import session_info
from cctf.records.models import SESSION_KINDS, validate_code
from cctf.records.paths import make_private_dir
from cctf.records.recovery import analyse_session, store_file_facts
from cctf.records.results import stored_annotations
from cctf.records.store import Records

log = logging.getLogger(__name__)

FORMAT = "cctf-patient-archive"
FORMAT_VERSION = 1
MAX_MEMBERS = 5000
MAX_MANIFEST_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_RATIO = 100  # CSVs compress about 5:1; a bomb compresses 1000:1
_MEMBER = re.compile(r"(manifest\.json|sessions/[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.csv|"
                     r"reports/[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.pdf)")


@dataclass(slots=True)
class ArchiveImport:
    patient_code: str
    session_ids: list[int] = field(default_factory=list)


# --- export ------------------------------------------------------------------------------------


def export_patient(records: Records, code: str, out: str | Path, *, exported_at: str,
                   include_reports: bool = False, include_name: bool = True) -> Path:
    """Write the archive atomically (0600). Sessions whose CSV is missing are listed with
    ``"file": null``."""
    from cctf.records.report import report_input, write_session_report

    patient = records.patient(code)
    sessions = records.sessions(code)
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "cctf_version": __version__,
        "exported_at": exported_at, "patient": patient.to_dict(include_name=include_name),
        "prescriptions": [rx.to_dict() for rx in records.prescriptions(code)],
        "sessions": [],
    }
    out = Path(out)
    with atomic_writer(out) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        used: set[str] = set()
        for s in sessions:
            entry = s.to_dict()
            entry.pop("csv_path")
            result = records.load_result(s.id)
            entry["result"] = result.to_dict() if result is not None else None
            entry["annotations"] = {str(k): v for k, v in
                                    stored_annotations(records.conn, s.id).items()}
            entry["edits"] = audit.to_dicts(records, s.id)  # changes after the session
            path = records.csv_path(s)
            if path.is_file():
                check_no_formulas(path, f"session {s.id} ({path})")  # never hand one out
                arc = _unique(f"sessions/{path.name}", used)
                zf.write(path, arc)
                entry["file"] = arc
                if include_reports:
                    tmp = out.with_name(f".{out.name}.{s.id}.pdf")
                    try:
                        write_session_report(report_input(records, s.id), tmp)
                        zf.write(tmp, _unique(f"reports/{path.stem}.pdf", used))
                    finally:
                        with contextlib.suppress(OSError):
                            tmp.unlink()
            else:
                entry["file"] = None
                log.warning("export: session %d has no CSV at %s", s.id, path)
            manifest["sessions"].append(entry)
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return out


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    used.add(candidate)
    return candidate


# --- import: checks ----------------------------------------------------------------------------


def _bad(name: str, problem: str) -> FileFormatError:
    return FileFormatError(name, None, problem)


def check_members(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _bad(name, f"{len(infos)} files in the archive, at most {MAX_MEMBERS}")
    total = 0
    seen: set[str] = set()
    for info in infos:
        member = info.filename
        if not _MEMBER.fullmatch(member):
            raise _bad(name, f"unexpected file {member[:80]!r} in the archive (only "
                             "manifest.json, sessions/*.csv and reports/*.pdf): refused")
        if member in seen:
            raise _bad(name, f"{member!r} appears twice in the archive")
        seen.add(member)
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver set no type
        if info.is_dir() or kind not in (0, stat.S_IFREG):
            raise _bad(name, f"{member!r} is a link or special file: refused")
        if info.flag_bits & 0x1:
            raise _bad(name, f"{member!r} is encrypted")
        limit = MAX_MANIFEST_BYTES if member == "manifest.json" else MAX_FILE_BYTES
        if info.file_size > limit:
            raise _bad(name, f"{member!r} is too large ({info.file_size} bytes)")
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size,
                                                                              1):
            raise _bad(name, f"{member!r} expands {info.file_size // max(info.compress_size, 1)}"
                             " times: refused (zip bomb?)")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise _bad(name, "the archive expands to more than 4 GB")
    if "manifest.json" not in seen:
        raise _bad(name, "no manifest.json: not a cctf patient archive")
    return infos


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """Read at most the declared size (+1 to notice a lying header)."""
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            ValueError, RuntimeError) as exc:  # a bad CRC, a patched header, a strange method
        raise _bad(name, f"{info.filename!r} is damaged ({exc})") from None
    if len(data) != info.file_size:
        raise _bad(name, f"{info.filename!r}: size does not match the archive's directory")
    return data


def _text(value: object, what: str, limit: int = 20_000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{what} must be text of at most {limit} characters")
    return value


def parse_manifest(data: bytes, name: str) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _bad(name, f"manifest.json is not valid JSON ({exc})") from None
    try:
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT!r}")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format_version {manifest.get('format_version')!r} is not "
                             f"{FORMAT_VERSION}")
        patient = manifest.get("patient")
        if not isinstance(patient, dict):
            raise ValueError("no patient")
        validate_code(patient.get("code"))
        sessions = manifest.get("sessions")
        prescriptions = manifest.get("prescriptions", [])
        if not isinstance(sessions, list) or not isinstance(prescriptions, list):
            raise ValueError("sessions and prescriptions must be lists")
        for s in sessions:
            _check_session_entry(s)
        for rx in prescriptions:
            if not isinstance(rx, dict) or not isinstance(rx.get("prescription"), dict):
                raise ValueError("a prescription entry is malformed")
            per_day = rx.get("sessions_per_day", 1)
            if isinstance(per_day, bool) or not isinstance(per_day, int) or not (
                    1 <= per_day <= 10):
                raise ValueError(f"sessions_per_day {str(per_day)[:20]!r} is not a whole "
                                 "number 1–10")
            date.fromisoformat(str(rx.get("start_date")))
    except (ValueError, TypeError, CctfError) as exc:
        raise _bad(name, f"manifest.json: {exc}") from None
    return manifest


def _check_session_entry(s: object) -> None:
    if not isinstance(s, dict):
        raise ValueError("a session entry is not an object")
    if s.get("kind") not in SESSION_KINDS:
        raise ValueError(f"session kind {s.get('kind')!r}")
    if s.get("file") is not None and not (isinstance(s["file"], str)
                                          and _MEMBER.fullmatch(s["file"])):
        raise ValueError(f"session file {str(s.get('file'))[:80]!r}")
    _text(s.get("therapist_notes"), "therapist notes")
    check_annotations(s.get("annotations") or {})
    audit.check_dicts(s.get("edits") or [])


# --- import ------------------------------------------------------------------------------------


def import_patient_archive(records: Records, source: str | Path, *,
                           as_code: str | None = None) -> ArchiveImport:
    """Add the archive's patient (``as_code`` to rename; the ID must be new) with their
    prescriptions and sessions. All or nothing."""
    source = Path(source)
    name = str(source)
    try:
        if not stat.S_ISREG(source.stat().st_mode):  # a FIFO or device would block or run on
            raise _bad(name, "not a regular file: refused")
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _bad(name, f"not a zip archive ({exc})") from None
    with zf:
        infos = {i.filename: i for i in check_members(zf, name)}
        manifest = parse_manifest(_read_member(zf, infos["manifest.json"], name), name)
        code = validate_code(as_code or manifest["patient"]["code"])
        if records.find_patient(code) is not None:
            raise RecordsError(f"patient {code} already exists here: import with another ID "
                               "(--as NEW-ID) or delete the existing one first")
        folder = records.data.patient_dir(code)
        if folder.exists():
            raise RecordsError(f"{folder} already exists but is not in the records: move it "
                               "away or run 'cctf recover --rebuild' first")
        make_private_dir(folder)
        staged: list[Path] = []
        try:
            files = _stage_csvs(zf, infos, manifest, folder, name, staged)
            report = _register(records, code, manifest, files, staged)
        except BaseException:
            for path in staged:
                with contextlib.suppress(OSError):
                    path.unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()
            raise
    log.info("imported patient %s with %d sessions from %s", code, len(report.session_ids),
             source)
    return report


def _stage_csvs(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                manifest: dict[str, Any], folder: Path, name: str,
                staged: list[Path]) -> dict[str, tuple[Path, Any]]:
    """Extract and check every session CSV under a temporary name; returns member →
    (staged path, recording)."""
    out: dict[str, tuple[Path, Any]] = {}
    for entry in manifest["sessions"]:
        member = entry.get("file")
        if member is None or member in out:
            continue
        if member not in infos:
            raise _bad(name, f"manifest.json names {member!r}, which the archive lacks")
        tmp = folder / f".import-{os.getpid()}-{secrets.token_hex(4)}.part"
        staged.append(tmp)
        write_private_bytes(tmp, _read_member(zf, infos[member], name))
        out[member] = (tmp, validate_session_file(tmp, f"{name}: {member}"))
    return out


def _register(records: Records, code: str, manifest: dict[str, Any],
              files: dict[str, tuple[Path, Any]], placed: list[Path]) -> ArchiveImport:
    """One transaction; every file moved into place is added to ``placed`` (for undoing)."""
    p = manifest["patient"]
    report = ArchiveImport(code)
    with transaction(records.conn):
        records.add_patient(code, name=p.get("name"), birth_year=p.get("birth_year"),
                            notes=_text(p.get("notes"), "notes"))
        for rx in manifest.get("prescriptions", []):
            records.prescribe(code, rx["prescription"],
                              sessions_per_day=int(rx.get("sessions_per_day", 1)),
                              start=date.fromisoformat(rx["start_date"]),
                              notes=_text(rx.get("notes"), "notes"))
        for entry in manifest["sessions"]:
            member = entry.get("file")
            if member is None:
                continue  # nothing measured to import
            tmp, recording = files[member]
            dest = tmp.with_name(Path(member).name)
            if tmp != dest:
                placed.append(dest)
                os.replace(tmp, dest)
                files[member] = (dest, recording)
            info = session_info(recording)
            status = entry.get("status") if entry.get("status") in (
                "complete", "recovered", "imported", "ended_early") else "recovered"
            session_id = records.add_session(
                code, entry["kind"], status=status,
                started_at=_time(entry.get("started_at"), info.started_at),
                csv_path=dest, device_serial=info.device_serial,
                device_firmware=info.device_firmware, calibration_id=info.calibration_id,
                protocol=entry.get("protocol") if isinstance(entry.get("protocol"), dict)
                else info.protocol,
                prescription=entry.get("prescription") if isinstance(
                    entry.get("prescription"), dict) else info.prescription,
                notes=_text(entry.get("therapist_notes"), "therapist notes"))
            store_file_facts(records, session_id, dest, recording)
            records.save_result(session_id, analyse_session(
                records, records.session(session_id), recording))
            annotate(records, session_id, check_annotations(entry.get("annotations") or {}),
                     "archive")
            excluded = entry.get("progress_excluded_reason")
            if isinstance(excluded, str) and excluded.strip():
                records.exclude_from_progress(session_id, _text(excluded, "reason", 200))
            audit.restore(records, session_id, entry.get("edits") or [])
            report.session_ids.append(session_id)
    return report


def _time(value: object, fallback: str) -> str:
    if isinstance(value, str) and len(value) <= 40:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value).isoformat(timespec="seconds")
    return fallback
