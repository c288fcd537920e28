"""The one-page session report (PDF).

    write_session_report(report_input(records, session_id), "report.pdf")
    write_session_report(csv_report_input("session.csv"), "report.pdf")   # no database

Patient ID (the name only when asked for), date, device, protocol, scores against the
reference values with the PI scale named, the trace with target bands, reference lines and
fault markers, a per-trial table in plain words, the therapist's notes, and the disclaimer.
matplotlib draws it (see ``pdfpage``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from cctf import texts
from cctf.analysis.offline import analyze_recording
from cctf.analysis.results import SessionResult, TrialResult
from cctf.errors import FileFormatError
from cctf.records.meta import analysis_config, duration_s, read_recorded, session_info
from cctf.records.models import parse_time
from cctf.records.pdfpage import (
    FAIL_COLOUR,
    GREY,
    LINE_IN,
    MARGIN_IN,
    PASS_COLOUR,
    Page,
    decimate,
    render,
    wrap,
)
from cctf.records.store import Records
from cctf.sessionfile import SessionRecording

REFERENCE_LINES_MMHG = ((28.0, "28: no neck pain"), (24.0, "24: chronic neck pain"))
NOTES_LINES = 7


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything a session report shows, from the records or from a bare CSV."""

    patient_code: str
    patient_name: str | None
    session_id: int | None
    source_name: str  # the CSV's file name
    kind: str
    status: str
    started_at: str
    device_serial: str
    device_firmware: str
    calibration_id: str
    protocol: dict[str, Any] | None
    prescription: dict[str, Any] | None
    result: SessionResult
    recording: SessionRecording | None
    notes: str
    status_note: str


def report_input(records: Records, session_id: int) -> ReportInput:
    session = records.session(session_id)
    patient = records.patient(session.patient_code)
    path = records.csv_path(session)
    try:
        recording: SessionRecording | None = read_recorded(path)
        note = session.status_note
    except FileFormatError as exc:
        recording, note = None, f"raw samples unavailable: {exc.problem}"
    result = records.load_result(session_id)
    if result is None:  # still recording: show what is on disk so far
        result = (analyze_recording(recording, config=analysis_config(
            session.protocol, session.prescription)) if recording is not None
            else SessionResult(math.nan, [], [], 0.0, 0.0))
    return ReportInput(patient.code, patient.name, session.id, path.name, session.kind,
                       session.status, session.started_at, session.device_serial,
                       session.device_firmware, session.calibration_id, session.protocol,
                       session.prescription, result, recording, session.therapist_notes, note)


def csv_report_input(path: str | Path) -> ReportInput:
    """A report straight from a session CSV (analysed now; not in the records)."""
    recording = read_recorded(Path(path))
    info = session_info(recording)
    result = analyze_recording(recording, config=analysis_config(info.protocol,
                                                                 info.prescription))
    return ReportInput(info.patient_code or "—", None, None, Path(path).name, info.kind,
                       "file", info.started_at, info.device_serial, info.device_firmware,
                       info.calibration_id, info.protocol, info.prescription, result,
                       recording, "", "")


# --- words --------------------------------------------------------------------------------------


def _g(d: dict[str, Any], key: str, default: float) -> float:
    v = d.get(key, default)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


def protocol_words(inp: ReportInput) -> str:
    if inp.kind == "training" and inp.prescription:
        rx = inp.prescription
        return texts.REPORT_PRESCRIPTION.format(
            reps=int(_g(rx, "reps", 10)), hold=_g(rx, "hold_s", 10), target=_g(rx, "target_mmhg",
                                                                                 24),
            rest=_g(rx, "rest_s", 10), band=_g(rx, "band_mmhg", 1))
    if inp.kind == "clinic" and inp.protocol:
        p = inp.protocol
        base, step, n = _g(p, "baseline_mmhg", 20), _g(p, "step_mmhg", 2), int(_g(p, "n_stages",
                                                                                    5))
        preset = p.get("preset")
        return texts.REPORT_PROTOCOL.format(
            preset=f"{preset} · " if isinstance(preset, str) and preset else "",
            targets=f"{base + step:g}–{base + step * n:g}", hold=_g(p, "hold_s", 10),
            rest=_g(p, "rest_s", 10), reps=int(_g(p, "endurance_reps", 10)),
            band=_g(p, "band_mmhg", 1))
    cued = sorted({t.target_mmhg for t in inp.result.trials})
    if cued:
        return f"{texts.REPORT_NO_PROTOCOL}; targets cued: {', '.join(f'{x:g}' for x in cued)} mmHg"
    return texts.REPORT_NO_PROTOCOL


def score_lines(inp: ReportInput) -> list[tuple[str, int, bool]]:
    """(text, size, bold) lines for the scores block."""
    r = inp.result
    if inp.kind == "training":
        planned = int(_g(inp.prescription or {}, "reps", 0)) or sum(
            1 for t in r.trials if t.phase == "training" and not t.superseded)
        done = sum(1 for t in r.trials if t.phase == "training" and t.held and not t.superseded)
        return [(texts.REPORT_REPS.format(done=done, planned=planned), 10, True)]
    if inp.kind != "clinic":
        return []
    base = _g(inp.protocol or {}, "baseline_mmhg", 20)
    score = r.activation_score_mmhg
    activation = (texts.REPORT_ACTIVATION.format(score=score, level=base + score) if score > 0
                  else texts.REPORT_ACTIVATION_NONE)
    passed = sum(1 for t in r.trials if t.phase == "endurance" and t.passed and not t.superseded)
    return [
        (activation, 10, True),
        (texts.REPORT_REFERENCE, 8, False),
        (texts.REPORT_PI.format(pi=r.performance_index, passed=passed), 10, True),
        (texts.PI_SCALE_TEXT, 8, False),
    ]


def trial_row(t: TrialResult, hold_s: float) -> tuple[list[str], str]:
    seen = [texts.describe_fault(f.type, f.value) for f in t.faults]
    seen += [texts.MANUAL_FAULT_TEXT.get(m, m) + texts.MARKED_BY_HAND for m in t.manual_faults]
    seen += [texts.describe_flag(f.type, f.value, t.flag_review.get(f.type)) for f in t.flags]
    if not seen and t.held:
        seen.append(texts.HELD_STEADY.format(seconds=hold_s))
    verdict = texts.verdict_word(t.passed)
    if t.verdict_override is not None:
        verdict += texts.OVERRIDDEN_SUFFIX
    if t.superseded:
        verdict = texts.VERDICT_REPEATED
    colour = GREY if t.superseded else (PASS_COLOUR if t.passed else FAIL_COLOUR)
    row = [str(t.index + 1), texts.PHASE_NAME.get(t.phase, t.phase) or "—",
           f"{t.target_mmhg:g} mmHg", verdict, "; ".join(seen)]
    return row, colour


def _date_words(started_at: str) -> str:
    try:
        when = parse_time(started_at)
    except ValueError:
        return f"Date: {started_at}"
    offset = when.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return texts.REPORT_DATE.format(when=when, offset=offset)


def _duration_words(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


# --- drawing ------------------------------------------------------------------------------------


def draw_trace(ax: Axes, inp: ReportInput, band_mmhg: float) -> None:
    rec = inp.recording
    r = inp.result
    minutes = rec is not None and len(rec) > 1 and rec.t_s[-1] > 600
    scale = 1 / 60 if minutes else 1.0
    if rec is None or len(rec) == 0:
        ax.text(0.5, 0.5, "raw samples not available", ha="center", va="center",
                transform=ax.transAxes, fontsize=8, color=GREY)
        lo, hi = 15.0, 32.0
    else:
        t, p = decimate(rec.t_s, rec.pressure_mmhg)
        ax.plot(t * scale, p, color="#1a237e", linewidth=0.6)
        lo = min(18.0, float(np.nanpercentile(rec.pressure_mmhg, 0.5)) - 1)
        hi = max(31.0, float(np.nanpercentile(rec.pressure_mmhg, 99.9)) + 1)
    top = max((t.target_mmhg for t in r.trials), default=0.0) + band_mmhg + 2.5
    lo, hi = max(lo, -5.0), min(max(hi, top), 80.0)
    for t in r.trials:
        colour = GREY if t.superseded else (PASS_COLOUR if t.passed else FAIL_COLOUR)
        x0, x1 = t.cue_start_s * scale, t.cue_end_s * scale
        ax.add_patch(Rectangle((x0, t.target_mmhg - band_mmhg), x1 - x0, 2 * band_mmhg,
                               facecolor=colour, alpha=0.22, edgecolor="none"))
        ax.text((x0 + x1) / 2, t.target_mmhg + band_mmhg + 0.3, str(t.index + 1), fontsize=5.5,
                ha="center", va="bottom", color=colour)
        for f in t.faults:
            y = (float(np.interp(f.t_s, rec.t_s, rec.pressure_mmhg)) if rec is not None
                 and len(rec) else t.target_mmhg)
            ax.plot([f.t_s * scale], [y], marker="x", color=FAIL_COLOUR, markersize=4,
                    markeredgewidth=0.9)
        if t.manual_faults:
            ax.plot([x1], [t.target_mmhg + band_mmhg + 1.6], marker="v", color="#6a1b9a",
                    markersize=3.5)
    for level, label in REFERENCE_LINES_MMHG:
        ax.axhline(level, color="#616161", linestyle="--", linewidth=0.6)
        ax.text(0.003, level + 0.15, label, transform=ax.get_yaxis_transform(), fontsize=5.5,
                va="bottom", ha="left", color="#616161")
    ax.set_ylim(lo, hi)
    if rec is not None and len(rec) > 1:
        ax.set_xlim(rec.t_s[0] * scale, rec.t_s[-1] * scale)
    ax.set_xlabel("time (min)" if minutes else "time (s)", fontsize=7, labelpad=1)
    ax.set_ylabel(texts.AXIS_PRESSURE, fontsize=7, labelpad=1)
    ax.grid(True, linewidth=0.3, color="#e0e0e0")
    pressure, band, fault, ref = texts.REPORT_TRACE_LEGEND
    ax.legend(handles=[
        Line2D([], [], color="#1a237e", linewidth=0.8, label=pressure),
        Patch(facecolor=PASS_COLOUR, alpha=0.3, label=band + " (passed)"),
        Patch(facecolor=FAIL_COLOUR, alpha=0.3, label=band + " (failed)"),
        Line2D([], [], color=FAIL_COLOUR, marker="x", linestyle="", label=fault),
        Line2D([], [], color="#6a1b9a", marker="v", linestyle="",
               label=texts.MARKED_BY_HAND.strip(" ()")),
        Line2D([], [], color="#616161", linestyle="--", label=ref),
    ], fontsize=5.5, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=6, frameon=False,
        borderaxespad=0.1, handlelength=1.5, columnspacing=1.0)


def _build(page: Page, inp: ReportInput, include_name: bool) -> None:
    title = {"clinic": texts.REPORT_TITLE, "training": texts.REPORT_TRAINING_TITLE}.get(
        inp.kind, texts.REPORT_MONITOR_TITLE)
    page.line(title, 14, bold=True)
    page.line(texts.REPORT_PATIENT.format(code=inp.patient_code) + "      "
              + _date_words(inp.started_at), 10, bold=True)
    if include_name and inp.patient_name:
        page.line(texts.REPORT_NAME.format(name=inp.patient_name), 9)
    ident = (texts.REPORT_SESSION.format(id=inp.session_id, kind=inp.kind, status=inp.status)
             if inp.session_id is not None else f"{inp.kind} session")
    page.line(f"{ident} · {inp.source_name}", 8)
    page.line(texts.REPORT_DEVICE.format(serial=inp.device_serial or "—",
                                         firmware=inp.device_firmware or "—",
                                         calibration=inp.calibration_id or "—"), 8)
    page.paragraph(protocol_words(inp), 8, max_lines=2)
    page.rule()
    for s, size, bold in score_lines(inp):
        page.line(s, size, bold=bold)
    r = inp.result
    facts = []
    if not math.isnan(r.baseline_mmhg):
        rate = 0.0 if math.isnan(r.rate_hz) else r.rate_hz
        dur = duration_s(inp.recording) if inp.recording is not None else 0.0
        facts.append(texts.REPORT_BASELINE.format(baseline=r.baseline_mmhg, rate=rate,
                                                  duration=_duration_words(dur)))
    if r.session_events:
        facts.append(texts.REPORT_SESSION_EVENTS.format(events="; ".join(
            texts.describe_fault(e.type, e.value) for e in r.session_events)))
    if inp.status_note:
        facts.append(texts.REPORT_STATUS_NOTE.format(note=inp.status_note))
    for f in facts:
        page.paragraph(f, 8, max_lines=2)
    page.space(0.25)  # the legend sits above the trace
    band = _g(inp.protocol or inp.prescription or {}, "band_mmhg", 1.0)
    draw_trace(page.axes(2.7), inp, band)
    page.line(texts.REPORT_TRIALS, 9, bold=True)
    hold_s = _g(inp.protocol or inp.prescription or {}, "hold_s", 10)
    rows, colours = [], []
    for t in r.trials:
        row, colour = trial_row(t, hold_s)
        rows.append(row)
        colours.append(colour)
    notes_lines = min(NOTES_LINES, len(wrap(inp.notes, 8, page.text_width_in))) or 1
    footer_in = MARGIN_IN + 0.45
    bottom = footer_in + 0.25 + LINE_IN[8] * (notes_lines + 1)  # room kept for the notes
    if rows:
        drawn = page.table(texts.REPORT_TRIAL_COLUMNS, rows, (0.3, 0.85, 0.7, 1.25),
                           bottom_in=bottom, colours=colours)
        if drawn < len(rows):
            page.line(texts.REPORT_MORE_TRIALS.format(n=len(rows) - drawn), 7)
    else:
        page.line(texts.REPORT_NO_TRIALS, 8)
    page.space(0.1)
    page.line(texts.REPORT_NOTES, 9, bold=True)
    room = int((page.y - footer_in) / LINE_IN[8])  # fewer trials leave more room for notes
    page.paragraph(inp.notes or texts.REPORT_NO_NOTES, 8, max_lines=max(1, room))


def write_session_report(inp: ReportInput, path: str | Path, *,
                         include_name: bool = False) -> Path:
    """Write the one-page PDF (atomically, 0600). The name appears only with
    ``include_name``; the PDF's own metadata carry no patient data."""
    path = Path(path)
    render(lambda page: _build(page, inp, include_name), path, "cctf session report")
    return path


def default_report_name(inp: ReportInput) -> str:
    try:
        stamp = parse_time(inp.started_at).strftime("%Y-%m-%d_%H%M")
    except ValueError:
        stamp = datetime.now().strftime("%Y-%m-%d_%H%M")
    return f"{inp.patient_code}_{stamp}_{inp.kind}_report.pdf"
