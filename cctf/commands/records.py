"""The records commands: ``cctf patients``, ``sessions``, ``recover``, ``import``, ``export``
and ``report``. Each opens the records of ``--data-dir`` (or ``$CCTF_DATA_DIR``, or the
platform's data folder) and first recovers any session a crash interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from cctf import texts
from cctf.errors import (
    CctfError,
    ConfigError,
    CorruptDatabaseError,
    FileFormatError,
    RecordsError,
)
from cctf.records.paths import DataDir
from cctf.records.store import Records


def run(command: str, args: argparse.Namespace) -> int:
    """Run one records command; a file system error becomes one clear line."""
    try:
        return int(globals()[command](args))
    except OSError as exc:
        from cctf.diskspace import disk_full_error, is_disk_full, os_error_folder

        if is_disk_full(exc):
            raise disk_full_error(os_error_folder(exc)) from exc
        where = f"{exc.filename}: " if exc.filename else ""
        raise CctfError(f"{where}{exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        from cctf.diskspace import disk_full_error, is_disk_full

        root = _data_dir(args).root
        if is_disk_full(exc, root):
            raise disk_full_error(root) from exc
        raise


def _data_dir(args: argparse.Namespace) -> DataDir:
    return DataDir.resolve(getattr(args, "data_dir", None))


def open_and_recover(args: argparse.Namespace) -> Records:
    """Open the records; report (on stderr) sessions recovered after a crash."""
    from cctf.records.recovery import recover_interrupted
    from cctf.records.startup import open_records

    records = open_records(_data_dir(args))
    for r in recover_interrupted(records):
        print(f"cctf: session {r.session_id} of {r.patient_code} was interrupted; "
              f"{r.note}", file=sys.stderr)
    return records


MAX_ID = 2**63 - 1  # SQLite's largest integer


def _session_arg(records: Records, text: str) -> int:
    try:
        sid = int(text)
    except ValueError:
        found = records.session_by_csv(Path(text))
        if found is None:
            raise RecordsError(f"{text} is not a session id, nor a CSV in the records") from None
        return found.id
    if not 1 <= sid <= MAX_ID:
        raise RecordsError(f"no session {text} in the records (see 'cctf sessions')")
    return sid


def _num(x: float, fmt: str = "g") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


# --- cctf patients -----------------------------------------------------------------------------


def patients(args: argparse.Namespace) -> int:
    action = args.patients_action or "list"
    with open_and_recover(args) as records:
        if action == "list":
            found = records.patients()
            if getattr(args, "json", False):
                print(json.dumps([dict(p.to_dict(include_name=args.show_names),
                                       sessions=len(records.sessions(p.code))) for p in found],
                                 indent=2, ensure_ascii=False))
                return 0
            if not found:
                print(f"no patients yet in {records.data.root} (add one: cctf patients add ID)")
            for p in found:
                n = len(records.sessions(p.code))
                extra = f"  born {p.birth_year}" if p.birth_year else ""
                name = f"  {p.name}" if p.name and args.show_names else ""
                print(f"{p.code:<20} {n:>4} sessions{extra}{name}")
            return 0
        if action == "add":
            p = records.add_patient(args.id, name=args.name, birth_year=args.birth_year,
                                    notes=args.notes or "")
            print(f"added patient {p.code}")
            return 0
        if action == "edit":
            changes = {k: getattr(args, k) for k in ("name", "birth_year", "notes")
                       if getattr(args, k) is not None}
            records.update_patient(args.id, **changes)
            print(f"updated patient {args.id}")
            return 0
        if action == "show":
            return _show_patient(records, args.id, args.show_names)
        if action == "prescribe":
            rx = records.prescribe(
                args.id, {"target_mmhg": args.target, "reps": args.reps, "hold_s": args.hold,
                          "rest_s": args.rest}, sessions_per_day=args.per_day,
                start=args.start or date.today(), notes=args.notes or "")
            print(f"prescribed for {args.id} from {rx.start_date}: {args.reps} × {args.hold:g} s "
                  f"at {args.target:g} mmHg, {args.per_day} × a day")
            return 0
        if action == "delete":
            from cctf.records.erase import delete_patient

            report = delete_patient(records, args.id, confirm=args.yes)
            print(f"deleted patient {report.patient_code}: {report.sessions} sessions, "
                  f"{len(report.files_removed)} files, {len(report.backups_removed)} backups")
            for path in report.left_alone:
                print(f"note: {path} (a damaged database kept aside) may still hold their data",
                      file=sys.stderr)
            return 0
    raise ConfigError(f"unknown action {action!r}")  # pragma: no cover - argparse limits it


def _show_patient(records: Records, code: str, show_name: bool) -> int:
    from cctf.records.progress import (
        adherence,
        current_prescription,
        summary_words,
    )

    p = records.patient(code)
    print(f"patient {p.code}" + (f" ({p.name})" if show_name and p.name else ""))
    if p.birth_year:
        print(f"born {p.birth_year}")
    if p.notes:
        print(f"notes: {p.notes}")
    today = date.today()
    rx = current_prescription(records, p.code, today)
    if rx is not None:
        r = rx.prescription
        print(f"home programme since {rx.start_date}: {r['reps']} × {r['hold_s']:g} s at "
              f"{r['target_mmhg']:g} mmHg, {rx.sessions_per_day} × a day")
        start = max(rx.start_date, date.fromordinal(today.toordinal() - 6))
        print(adherence(records, p.code, start, today).words("last 7 days"))
    from cctf.records.progress import progress
    from cctf.texts import PROGRESS_NOT_COMPARED

    found = progress(records, p.code)
    print(summary_words(found.series))
    if found.others:  # listed and marked: why each is not in the series
        print(PROGRESS_NOT_COMPARED.format(n=len(found.others), which="; ".join(
            f"session {o.session_id} ({o.note})" for o in found.others)))
    _print_sessions(records.sessions(p.code))
    return 0


# --- cctf sessions -----------------------------------------------------------------------------


def _score(s, x: float) -> str:  # type: ignore[no-untyped-def]
    """A clinic score: the number, or "not measured" (never 0, never "-")."""
    from cctf.texts import NOT_MEASURED

    if s.kind != "clinic" or not s.analysed:
        return _num(x)
    return NOT_MEASURED if x is None or math.isnan(x) else _num(x)


def _print_sessions(sessions: list) -> None:  # type: ignore[type-arg]
    from cctf.texts import ENDED_EARLY, PROGRESS_EXCLUDED, STATUS_WORDS

    if not sessions:
        print("no sessions")
        return
    print(f"{'id':>5}  {'patient':<12} {'started':<25} {'kind':<9} {'status':<12} "
          f"{'activation':>12} {'PI':>12} {'holds':>7}")
    for s in sessions:
        holds = f"{s.reps_done}/{s.reps_planned or '?'}" if s.kind == "training" else ""
        marks = []
        if s.ended_early_s is not None:
            marks.append(ENDED_EARLY.format(t_s=s.ended_early_s))
        if s.progress_excluded_reason:
            marks.append(PROGRESS_EXCLUDED.format(reason=s.progress_excluded_reason))
        print(f"{s.id:>5}  {s.patient_code:<12} {s.started_at:<25} {s.kind:<9} "
              f"{STATUS_WORDS.get(s.status, s.status):<12} "
              f"{_score(s, s.activation_score_mmhg):>12} {_score(s, s.performance_index):>12} "
              f"{holds:>7}" + ("  " + "; ".join(marks) if marks else ""))


def _exclusion(records: Records, args: argparse.Namespace) -> int:
    """``cctf sessions exclude ID --reason TEXT`` / ``cctf sessions include ID``."""
    from cctf.texts import SESSIONS_EXCLUDED, SESSIONS_INCLUDED

    if args.session_id is None:
        raise ConfigError(f"cctf sessions {args.session} needs a session ID")
    sid = _session_arg(records, args.session_id)
    if args.session == "exclude":
        if not args.reason:
            raise ConfigError("cctf sessions exclude needs --reason TEXT (shown in progress)")
        records.exclude_from_progress(sid, args.reason)
        print(SESSIONS_EXCLUDED.format(id=sid, reason=records.session(sid)
                                       .progress_excluded_reason))
    else:
        records.include_in_progress(sid)
        print(SESSIONS_INCLUDED.format(id=sid))
    return 0


def sessions(args: argparse.Namespace) -> int:
    with open_and_recover(args) as records:
        if args.session in ("exclude", "include"):
            return _exclusion(records, args)
        if getattr(args, "session_id", None) is not None or getattr(args, "reason", None):
            raise ConfigError("ID and --reason go with 'cctf sessions exclude' or 'include'")
        if args.session is not None:
            sid = _session_arg(records, args.session)
            if args.notes is not None:
                records.set_notes(sid, args.notes)
                print(f"notes saved on session {sid}")
                return 0
            s = records.session(sid)
            if args.json:
                out = s.to_dict()
                result = records.load_result(sid)
                out["result"] = result.to_dict() if result is not None else None
                print(json.dumps(out, indent=2, ensure_ascii=False))
                return 0
            _print_sessions([s])
            print(f"file: {records.csv_path(s)}")
            if s.status_note:
                print(f"note: {s.status_note}")
            if s.therapist_notes:
                print(f"therapist's notes: {s.therapist_notes}")
            return 0
        if args.notes is not None:
            raise ConfigError("--notes needs a SESSION")
        found = records.sessions(args.patient)
        if args.json:
            print(json.dumps([s.to_dict() for s in found], indent=2, ensure_ascii=False))
        else:
            _print_sessions(found)
    return 0


# --- cctf recover ------------------------------------------------------------------------------


def recover(args: argparse.Namespace) -> int:
    from cctf.records.rebuild import rebuild_from_csvs
    from cctf.records.recovery import recover_interrupted
    from cctf.records.startup import LostDatabaseError, open_records, repair_database

    data = _data_dir(args)
    try:
        records = open_records(data)
    except (CorruptDatabaseError, LostDatabaseError) as exc:
        if not args.repair_database and not isinstance(exc, LostDatabaseError):
            raise
        report = repair_database(data)
        if report.moved_to.exists():
            print(f"moved the damaged database to {report.moved_to}")
        else:
            print(f"the records database {data.db_path} was missing")
        print("restored from " + (str(report.restored_from) if report.restored_from
                                  else "no backup (started empty)"))
        _print_rebuild(report.rebuilt)
        records = open_records(data)
    with records:
        if args.repair_database:
            print(f"the records database {data.db_path} passes its integrity check")
        found = recover_interrupted(records, include_other_hosts=args.all_hosts)
        for r in found:
            print(f"recovered session {r.session_id} of {r.patient_code}: {r.note}")
        if not found:
            print("no interrupted sessions")
        from cctf.records.recovery import repair_damaged

        for fix in repair_damaged(records):
            if fix.fixed:
                print(f"session {fix.session_id} was damaged ({fix.problem}): {fix.note}")
            else:
                print(f"cctf: session {fix.session_id} is damaged ({fix.problem}): {fix.note}",
                      file=sys.stderr)
        if args.rebuild:
            _print_rebuild(rebuild_from_csvs(records))
    return 0


def _print_rebuild(report) -> None:  # type: ignore[no-untyped-def]
    print(f"rebuilt from the session CSVs: {len(report.sessions_added)} sessions added, "
          f"{len(report.patients_added)} patients added")
    for path, why in report.skipped:
        print(f"skipped {path}: {why}", file=sys.stderr)


# --- cctf import / export ----------------------------------------------------------------------


def import_(args: argparse.Namespace) -> int:
    source = Path(args.file)
    with open_and_recover(args) as records:
        if source.suffix.lower() == ".zip":
            from cctf.records.archive import import_patient_archive

            report = import_patient_archive(records, source, as_code=args.as_code)
            print(f"imported patient {report.patient_code} with "
                  f"{len(report.session_ids)} sessions")
            return 0
        if not args.patient:
            raise ConfigError("importing a session CSV needs --patient ID")
        from cctf.records.importer import import_session_csv

        sid = import_session_csv(records, source, args.patient, kind=args.kind)
        s = records.session(sid)
        print(f"imported {source} as session {sid} ({s.kind}) of patient {s.patient_code}")
    return 0


def _output(args: argparse.Namespace) -> Path:
    """The checked output path (``cctf.outputs``): never overwritten without --force."""
    from cctf.outputs import resolve_output

    return resolve_output(args.output, force=getattr(args, "force", False))


def _writing(args: argparse.Namespace,
             body: Callable[[argparse.Namespace, Path, Path], int]) -> int:
    """Run a command that writes ``-o``: the output checked first (never overwritten without
    ``--force``), and a file-system error said about the path the user typed."""
    typed = args.output
    out = _output(args)
    try:
        return body(args, out, typed)
    except OSError as exc:
        from cctf.outputs import output_os_error

        raise output_os_error(typed, exc) from exc


def export(args: argparse.Namespace) -> int:
    return _writing(args, _export)


def _export(args: argparse.Namespace, out: Path, typed: Path) -> int:
    with open_and_recover(args) as records:
        if args.patient and args.session is None:
            from cctf.records.archive import export_patient

            export_patient(records, args.patient, out,
                           exported_at=datetime.now().astimezone().isoformat(timespec="seconds"),
                           include_reports=args.with_reports, include_name=not args.no_name)
            print(f"wrote {typed}")
            return 0
        if args.session is None:
            raise ConfigError("export what? give a SESSION (with --edf or --csv) or --patient ID")
        sid = _session_arg(records, args.session)
        session = records.session(sid)
        src = records.csv_path(session)
        if _export_format(args, out) == "edf":
            from cctf.records.edf import write_edf
            from cctf.records.meta import read_recorded

            recording = read_recorded(src)
            result = records.load_result(sid)
            if result is None:
                raise RecordsError(f"session {sid} is still recording")
            try:
                write_edf(out, recording, result, patient_code=session.patient_code,
                          started=session.started)
            except ValueError as exc:
                raise RecordsError(f"session {sid}: cannot write EDF+: {exc}") from None
        else:
            from cctf.formulas import check_no_formulas
            from cctf.records.files import copy_private

            check_no_formulas(src, f"session {sid} ({src})")  # never hand a spreadsheet one
            copy_private(src, out)
            later = annotations_not_in_file(records, sid, src)
            if later:
                print("cctf: " + texts.EXPORT_CSV_LATER_ANNOTATIONS.format(
                    trials=", ".join(str(i + 1) for i in later)), file=sys.stderr)
        print(f"wrote {typed}")
    return 0


def annotations_not_in_file(records: Records, session_id: int, path: Path) -> list[int]:
    """Trials (indices) whose annotations in the records differ from those the session file's
    header carries (``cctf.file_annotations``): changed after the session, or a file that
    carries none (older cctf, a crash). A file that cannot be read: none said."""
    from cctf.file_annotations import parse_annotations
    from cctf.records.results import stored_annotations
    from cctf.sessionread import read_metadata

    try:  # the header only: the rows were just copied, and may be 150 MB
        in_file = parse_annotations(read_metadata(path, str(path))) or {}
    except (CctfError, OSError, ValueError):
        return []
    stored = stored_annotations(records.conn, session_id)

    def norm(marks: dict[str, list[str]]) -> tuple:
        override = marks.get("override") or []
        return (tuple(sorted(marks.get("compensation", []))), override[-1:],
                bool(marks.get("superseded")))

    return sorted(i for i in set(stored) | set(in_file)
                  if norm(stored.get(i, {})) != norm(in_file.get(i, {})))


def _export_format(args: argparse.Namespace, out: Path) -> str:
    """--edf or --csv if given, else from the output's extension (.edf), else the CSV."""
    if args.edf or args.csv:
        return "edf" if args.edf else "csv"
    return "edf" if out.suffix.lower() == ".edf" else "csv"


# --- cctf report -------------------------------------------------------------------------------


def report(args: argparse.Namespace) -> int:
    return _writing(args, _report)


def _report(args: argparse.Namespace, out: Path, typed: Path) -> int:
    if not (math.isfinite(args.srd) and args.srd > 0):
        raise ConfigError(f"--srd must be a number above 0, got {args.srd}")
    if args.progress:
        if not args.patient:
            raise ConfigError("--progress needs --patient ID")
        from cctf.records.progress_report import write_progress_report

        with open_and_recover(args) as records:
            write_progress_report(records, args.patient, out, today=date.today(),
                                  srd_pi=args.srd, include_name=args.show_name)
        print(f"wrote {typed}")
        return 0
    if args.session is None:
        raise ConfigError("report what? give a SESSION (id or CSV) or --patient ID --progress")
    from cctf.records.report import csv_report_input, report_input, write_session_report

    path = Path(args.session)
    if not args.session.isdigit() and path.suffix.lower() == ".csv" and path.exists():
        try:
            inp = csv_report_input(path)  # a bare CSV needs no records (none are created)
        except ConfigError as exc:  # e.g. a sample rate no device has: say which file
            raise FileFormatError(str(path), None, str(exc)) from None
        if _data_dir(args).db_path.exists():
            with open_and_recover(args) as records:
                known = records.session_by_csv(path)
                inp = report_input(records, known.id) if known else inp
    else:
        with open_and_recover(args) as records:
            inp = report_input(records, _session_arg(records, args.session))
    write_session_report(inp, out, include_name=args.show_name)
    print(f"wrote {typed}")
    return 0
