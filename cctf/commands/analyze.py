"""``cctf analyze``: judge a recorded session through the real-time engine and report it."""

from __future__ import annotations

import argparse
import csv
import errno
import json
import math
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from cctf import DISCLAIMER, texts
from cctf.analysis.offline import analyze_recording, config_from_protocol, protocol_of
from cctf.analysis.results import FAULT_TYPES, SessionResult
from cctf.analysis.scoring import ScoringPlan
from cctf.errors import CctfError, ConfigError, FileFormatError
from cctf.file_annotations import Annotations, parse_annotations
from cctf.sessionfile import SessionRecording, read_session
from cctf.texts import (
    ANALYZE_SUMMARY_EXISTS,
    ANALYZE_SUMMARY_FAILED,
    PI_SCALE_TEXT,
    REFERENCE_TEXT,
    describe_fault,
    describe_flag,
)


def _f(x: float, fmt: str) -> str:
    return "-" if x is None or math.isnan(x) else format(x, fmt)


def head_lines(result: SessionResult) -> list[str]:
    """The head sensor's figures per trial and across stages (only when one was fitted)."""
    lines = [texts.HEAD_SECTION]
    for t in result.trials:
        lines.append(texts.HEAD_TRIAL_LINE.format(
            number=t.number, phase=t.phase or "-", target=t.target_mmhg,
            flexion=texts.head_deg(t.head_flexion_deg), sd=texts.head_deg(t.head_flexion_sd_deg),
            gain=texts.head_deg(t.head_flexion_gain_deg),
            lift=texts.HEAD_LIFT_MOTION if t.head_lift_motion else ""))
    slope = result.head_slope
    lines.append(texts.HEAD_SLOPE.format(slope=slope.slope_deg_per_mmhg, r2=slope.r2,
                                         n=slope.n_stages) if slope else texts.HEAD_SLOPE_NONE)
    lines.append("")
    return lines


def format_report(name: str, result: SessionResult, duration_s: float,
                  hold_s: float = 10.0) -> str:
    """The table people read: trials numbered from 1, "not measured" rather than 0."""
    lines = [
        f"cctf analysis of {name}",
        f"{_f(result.rate_hz, '.0f')} Hz, {duration_s:.1f} s, "
        f"session baseline {_f(result.baseline_mmhg, '.2f')} mmHg",
        "",
        f"{'#':>3}  {'phase':<10} {'target':>6} {'cue at':>7} {'reach':>6} {'rise':>5} "
        f"{'hold SD':>7} {'in band':>7}  result  faults",
    ]
    for t in result.trials:
        faults = [describe_fault(f.type, f.value) for f in t.faults] + [
            f"marked by hand: {m}" for m in t.manual_faults
        ] + [describe_flag(f.type, f.value, t.flag_review.get(f.type)) for f in t.flags]
        verdict = "PASS" if t.passed else ("held" if t.held else "FAIL")
        if t.interrupted:
            verdict = "-"
            faults.insert(0, texts.TRIAL_INTERRUPTED)
        lines.append(
            f"{t.number:>3}  {t.phase or '-':<10} {t.target_mmhg:>6.1f} {t.cue_start_s:>6.1f}s "
            f"{_f(t.time_to_reach_s, '5.1f'):>5}s {_f(t.rise_time_s, '.2f'):>5} "
            f"{_f(t.hold_sd_mmhg, '.2f'):>7} {t.time_in_band_s:>6.1f}s  {verdict:<6}  "
            + ("; ".join(faults) if faults else "")
        )
    if not result.trials:
        lines.append("  (no cued trials in this file)")
    lines.append("")
    if result.head_measured:
        lines += head_lines(result)
    for e in result.session_events:
        lines.append(f"session: at {e.t_s:.1f} s, {describe_fault(e.type, e.value)}")
    why_act, why_pi = texts.why_not_measured(result)
    ending = texts.ending_line(result)
    if ending:
        lines.append(ending)
    lines += [
        texts.ANALYZE_ACTIVATION.format(score=texts.score_text(
            result.activation_score_mmhg, "g", "mmHg", why_act)),
        texts.ANALYZE_PI.format(pi=texts.score_text(result.performance_index, "g", "", why_pi))
        + ("" if why_pi else texts.ANALYZE_PI_SCALE.format(scale=PI_SCALE_TEXT)),
        REFERENCE_TEXT if hold_s == 10.0 else texts.REFERENCE_OTHER_HOLD.format(hold_s=hold_s),
        DISCLAIMER,
    ]
    return "\n".join(lines)


# --- many files in one process (issue 14) ----------------------------------------------------
# Kept apart from ``analyze`` above: the per-file report is built by the same pieces
# (``analyze_recording``, ``format_report``, ``SessionResult.to_dict``).

# Header keys the recorder writes only when it closes a file (as cctf.records.rebuild reads them).
CLOSED_MARKERS = ("link_events", "therapist_actions")
SUMMARY_FIELDS = ("file", "rate_hz", "baseline_mmhg", "activation_score_mmhg",
                  "performance_index", "complete", "file_closed", "trials",
                  *(f"faults_{name}" for name in FAULT_TYPES), "annotated_trials")


def summary_row(name: str, recording: SessionRecording, result: SessionResult,
                annotated_trials: int = 0) -> dict[str, str]:
    """One ``--summary-csv`` row: scores, whether the test is complete (``SessionResult.complete``:
    stopping rule reached, every planned endurance hold recorded, not ended early), whether the
    recorder closed the file, and the trials' faults counted by type (empty cells where a score
    is not measured, never 0)."""
    counts = Counter(f.type for t in result.trials for f in t.faults)
    d = result.to_dict()
    closed = any(k in recording.metadata for k in CLOSED_MARKERS)
    row = {
        "file": name,
        "rate_hz": "" if d["rate_hz"] is None else f"{d['rate_hz']:g}",
        "baseline_mmhg": "" if d["baseline_mmhg"] is None else f"{d['baseline_mmhg']:g}",
        "activation_score_mmhg": "" if d["activation_score_mmhg"] is None
        else f"{d['activation_score_mmhg']:g}",
        "performance_index": "" if d["performance_index"] is None
        else f"{d['performance_index']:g}",
        "complete": "true" if result.complete else "false",
        "file_closed": "true" if closed and not recording.dropped_tail_bytes else "false",
        "trials": str(len(result.trials)),
    }
    row.update({f"faults_{name}": str(counts.get(name, 0)) for name in FAULT_TYPES})
    row["annotated_trials"] = str(annotated_trials)
    return row


def file_annotations(recording: SessionRecording, result: SessionResult) -> Annotations:
    """The therapist's annotations the file's header records (``cctf.file_annotations``; read
    checked them), on trials this analysis has: those decided the app's scores."""
    found = {t.index for t in result.trials}
    return {k: v for k, v in (parse_annotations(recording.metadata) or {}).items()
            if k in found}


def with_annotations(recording: SessionRecording, result: SessionResult,
                     annotations: Annotations) -> SessionResult:
    """``result`` with the annotations on its trials and the scores settled again, as the
    records do (``apply_annotations``): the scores the app showed for the file."""
    from cctf.records.results import apply_annotations

    protocol = protocol_of(recording.metadata)
    return apply_annotations(result, annotations,
                             config_from_protocol(protocol).nominal_baseline_mmhg,
                             ScoringPlan.from_protocol(protocol))


def _trial_numbers(annotations: Annotations) -> str:
    return texts.plural(len(annotations), "trial") + ": " + ", ".join(
        str(k + 1) for k in sorted(annotations))


def analyze_files(args: argparse.Namespace) -> int:
    """``cctf analyze FILE…``: each file's report (a table, or one JSON object per line with
    its ``file``), and with ``--summary-csv`` one row per session. A file that cannot be read
    gets one ``cctf:`` line and the others are still analysed; the exit status is 2 if any
    file was malformed or unreadable, else 1 if any other error, else 0."""
    out_csv: Path | None = args.summary_csv
    if out_csv is not None and out_csv.exists():
        raise CctfError(ANALYZE_SUMMARY_EXISTS.format(path=out_csv))
    if out_csv is not None and not out_csv.parent.is_dir():  # before the work, not after it
        raise CctfError(ANALYZE_SUMMARY_FAILED.format(path=out_csv,
                                                      error=os.strerror(errno.ENOENT)))
    rows: list[dict[str, str]] = []
    status = 0
    first = True
    for path in args.files:
        name = str(path)
        try:
            recording = read_session(path, keep_extra=False)
            try:
                result = analyze_recording(recording, chunk_size=args.chunk_size)
            except ConfigError as exc:  # e.g. a sample rate no device has: say which file
                raise FileFormatError(name, None, str(exc)) from None
            annotations = file_annotations(recording, result)
            if annotations and not args.signal_only:
                result = with_annotations(recording, result, annotations)
        except FileFormatError as exc:
            print(f"cctf: {exc}", file=sys.stderr, flush=True)
            status = 2
            continue
        except CctfError as exc:
            print(f"cctf: {name}: {exc}", file=sys.stderr, flush=True)
            status = max(status, 1)
            continue
        applied = {} if args.signal_only else annotations
        if args.json:
            print(json.dumps({"file": name, **result.to_dict(),
                              "annotations": {str(k): v for k, v in applied.items()}}))
        else:
            if not first:
                print()
            duration_s = float(recording.t_s[-1] - recording.t_s[0]) if len(recording) else 0.0
            hold_s = config_from_protocol(protocol_of(recording.metadata)).hold_s
            print(format_report(name, result, duration_s, hold_s=hold_s))
            if annotations:
                print((texts.ANALYZE_NOT_ANNOTATED if args.signal_only else
                       texts.ANALYZE_ANNOTATED).format(trials=_trial_numbers(annotations)))
        first = False
        if out_csv is not None:
            rows.append(summary_row(name, recording, result, len(applied)))
    if out_csv is not None:
        _write_summary(out_csv, rows)
    return status


def _write_summary(path: Path, rows: list[dict[str, str]]) -> None:
    """Write the summary into a temporary file of cctf's own, next to the final name, and
    link it there (no half-written file; a file that appeared meanwhile is never replaced).
    Only that temporary file is ever removed: a user's ``OUT.part`` is not cctf's."""
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".cctf-part",
                                    dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=SUMMARY_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        os.link(tmp, path)  # fails rather than replace a file that appeared meanwhile
    except FileExistsError:
        raise CctfError(ANALYZE_SUMMARY_EXISTS.format(path=path)) from None
    except OSError as exc:
        raise CctfError(ANALYZE_SUMMARY_FAILED.format(path=path, error=exc.strerror)) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
