"""The session report (PDF): page 1 as a summary, continued on further pages as needed.

    write_session_report(report_input(records, session_id), "report.pdf")
    write_session_report(csv_report_input("session.csv"), "report.pdf")   # no database

Patient ID (the name only when asked for), date, device, protocol, scores against the
reference values with the PI scale named, the trace with target bands, reference lines and
fault markers, a per-trial table in plain words, the therapist's actions (during the session
and changes after it, with reasons), the therapist's notes, the clinic's name and a signature
line (``clinic_settings``), and the disclaimer. Nothing is shortened: long tables and notes
continue on the next page. matplotlib draws it (see ``pdfpage``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from cctf import texts
from cctf.analysis.offline import analyze_recording
from cctf.analysis.results import SessionResult, TrialResult
from cctf.durations import format_duration
from cctf.errors import FileFormatError
from cctf.records import audit, clinic_settings
from cctf.records.actions import ActionLine, edit_lines, hand_markers, session_actions, time_words
from cctf.records.clinic_settings import ClinicSettings
from cctf.records.head_file import head_from_recording
from cctf.records.meta import analysis_config, duration_s, read_recorded, session_info
from cctf.records.models import parse_time
from cctf.records.pdfpage import (
    FAIL_COLOUR,
    GREY,
    MIN_PT,
    PASS_COLOUR,
    Page,
    decimate,
    render,
)
from cctf.records.store import Records
from cctf.sessionfile import SessionRecording

REFERENCE_LEVELS_MMHG = (28.0, 24.0)
HAND_COLOUR, MARKER_COLOUR, TRACE_COLOUR = "#6a1b9a", "#ef6c00", "#1a237e"
LABEL_RIGHT_IN = 1.15  # room right of the trace for the reference levels' labels


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
    actions: tuple[ActionLine, ...] = ()  # during the session, then changes after it


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
            else SessionResult(math.nan, [], [], None, None, complete=False))
    elif recording is not None:  # stored before the records kept head angles (v7)
        head_from_recording(result, session, recording)
    actions = (*session_actions(recording), *edit_lines(audit.edits(records, session_id)))
    return ReportInput(patient.code, patient.name, session.id, path.name, session.kind,
                       session.status, session.started_at, session.device_serial,
                       session.device_firmware, session.calibration_id, session.protocol,
                       session.prescription, result, recording, session.therapist_notes, note,
                       actions)


def csv_report_input(path: str | Path) -> ReportInput:
    """A report straight from a session CSV (analysed now; not in the records)."""
    recording = read_recorded(Path(path))
    info = session_info(recording)
    result = analyze_recording(recording, config=analysis_config(info.protocol,
                                                                 info.prescription))
    return ReportInput(info.patient_code or "—", None, None, Path(path).name, info.kind,
                       "file", info.started_at, info.device_serial, info.device_firmware,
                       info.calibration_id, info.protocol, info.prescription, result,
                       recording, "", "", tuple(session_actions(recording)))


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
    why_act, why_pi = texts.why_not_measured(r)
    if score is None:
        activation = texts.REPORT_ACTIVATION_NOT_MEASURED.format(why=why_act)
    else:
        activation = (texts.REPORT_ACTIVATION.format(score=score, level=base + score)
                      if score > 0 else texts.REPORT_ACTIVATION_NONE)
    passed = sum(1 for t in r.trials if t.phase == "endurance" and t.passed and t.scored)
    pi = (texts.REPORT_PI_NOT_MEASURED.format(why=why_pi) if r.performance_index is None
          else texts.REPORT_PI.format(pi=r.performance_index, passed=passed))
    hold_s = _g(inp.protocol or {}, "hold_s", 10)
    ending = ([(texts.REPORT_ENDED_EARLY.format(t_s=r.ended_early_s), 9, True)]
              if r.ended_early_s is not None else
              [(texts.REPORT_INCOMPLETE, 9, True)] if not r.complete else [])
    return [
        *ending,
        (activation, 10, True),
        (texts.REPORT_REFERENCE if hold_s == 10 else
         texts.REFERENCE_OTHER_HOLD.format(hold_s=hold_s), 8, False),
        (pi, 10, True),
        (texts.PI_SCALE_TEXT, 8, False),
    ]


def trial_row(t: TrialResult, hold_s: float, head: bool = False) -> tuple[list[str], str]:
    """One row of the trial table; ``head``: a head sensor was fitted (the angle column)."""
    seen = [texts.fault_words(f.type, f.value, t.head_lift_motion) for f in t.faults]
    seen += [texts.MANUAL_FAULT_TEXT.get(m, m) + texts.MARKED_BY_HAND for m in t.manual_faults]
    seen += [texts.describe_flag(f.type, f.value, t.flag_review.get(f.type)) for f in t.flags]
    if t.head_lift_motion and not any(f.type == "head_lift" for f in t.faults):
        seen.append(texts.HEAD_LIFT_MOTION.strip())  # the head rose; no head lift in pressure
    if not seen and t.held and not t.interrupted:
        seen.append(texts.HELD_STEADY.format(seconds=hold_s))
    verdict = texts.verdict_word(t.passed)
    if t.verdict_override is not None:
        verdict += texts.OVERRIDDEN_SUFFIX
    if t.superseded:
        verdict = texts.VERDICT_REPEATED
    if t.interrupted:
        verdict = texts.TRIAL_INTERRUPTED
    colour = GREY if t.superseded or t.interrupted else (PASS_COLOUR if t.passed
                                                         else FAIL_COLOUR)
    row = [str(t.index + 1), texts.PHASE_NAME.get(t.phase, t.phase) or "—",
           f"{t.target_mmhg:g} mmHg", verdict, "; ".join(seen)]
    if head:
        row.insert(4, texts.head_deg(t.head_flexion_deg))
    return row, colour


def _date_words(started_at: str) -> str:
    try:
        when = parse_time(started_at)
    except ValueError:
        return f"Date: {started_at}"
    offset = when.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return texts.REPORT_DATE.format(when=when, offset=offset)


# --- drawing ------------------------------------------------------------------------------------


def _label_rows(xs: list[float], width: float) -> list[int]:
    """A row (0, 1, 2 …) per label at ``xs`` so that labels ``width`` wide never overlap."""
    ends: list[float] = []
    rows = []
    for x in xs:
        for row, end in enumerate(ends):
            if x - width / 2 > end:
                ends[row] = x + width / 2
                rows.append(row)
                break
        else:
            ends.append(x + width / 2)
            rows.append(len(ends) - 1)
    return rows


def draw_trace(ax: Axes, inp: ReportInput, band_mmhg: float, width_in: float) -> None:
    """The pressure trace with target bands, trial numbers, faults, hand marks and hand
    markers; labels are stacked so that none overprints another, and the reference levels
    are named right of the plot, never over the trace."""
    rec = inp.recording
    r = inp.result
    minutes = rec is not None and len(rec) > 1 and rec.t_s[-1] > 600
    scale = 1 / 60 if minutes else 1.0
    if rec is None or len(rec) == 0:
        ax.text(0.5, 0.5, "raw samples not available", ha="center", va="center",
                transform=ax.transAxes, fontsize=MIN_PT, color=GREY)
        lo, hi = 15.0, 32.0
        x_lo, x_hi = 0.0, max((t.cue_end_s for t in r.trials if math.isfinite(t.cue_end_s)),
                              default=1.0) * scale
    else:
        ts, ps = decimate(rec.t_s, rec.pressure_mmhg)
        ax.plot(ts * scale, ps, color=TRACE_COLOUR, linewidth=0.6)
        lo = min(18.0, float(np.nanpercentile(rec.pressure_mmhg, 0.5)) - 1)
        hi = max(31.0, float(np.nanpercentile(rec.pressure_mmhg, 99.9)) + 1)
        x_lo, x_hi = float(rec.t_s[0]) * scale, float(rec.t_s[-1]) * scale
    top = max((t.target_mmhg for t in r.trials), default=0.0) + band_mmhg + 1.0
    lo = max(lo, -5.0)
    span_x = max(x_hi - x_lo, 1e-6)
    label_w = span_x * 0.16 / width_in  # about two digits at 8 pt, in data units
    rows = _label_rows([(t.cue_start_s + t.cue_end_s) / 2 * scale for t in r.trials], label_w)
    row_mmhg = 1.0  # 8 pt is about 1 mmHg at this height; reserve room above the bands
    hi = min(max(hi, top + row_mmhg * (max(rows, default=0) + 1) + 1.5), 80.0)
    for t, row in zip(r.trials, rows, strict=True):
        colour = GREY if t.superseded else (PASS_COLOUR if t.passed else FAIL_COLOUR)
        x0, x1 = t.cue_start_s * scale, t.cue_end_s * scale
        ax.add_patch(Rectangle((x0, t.target_mmhg - band_mmhg), x1 - x0, 2 * band_mmhg,
                               facecolor=colour, alpha=0.22, edgecolor="none"))
        ax.text((x0 + x1) / 2, t.target_mmhg + band_mmhg + 0.2 + row * row_mmhg,
                str(t.index + 1), fontsize=MIN_PT, ha="center", va="bottom", color=colour)
        for f in t.faults:
            y = (float(np.interp(f.t_s, rec.t_s, rec.pressure_mmhg)) if rec is not None
                 and len(rec) else t.target_mmhg)
            ax.plot([f.t_s * scale], [y], marker="x", color=FAIL_COLOUR, markersize=4,
                    markeredgewidth=0.9)
    marked = [t for t in r.trials if t.manual_faults]
    hand_rows = _label_rows([t.cue_end_s * scale for t in marked], label_w * 3.5)
    for t, row in zip(marked, hand_rows, strict=True):  # stacked: never overprinted
        y = t.target_mmhg - band_mmhg - 0.4
        ax.plot([t.cue_end_s * scale], [y], marker="v", color=HAND_COLOUR, markersize=4)
        ax.text(t.cue_end_s * scale, y - 0.4 - row * row_mmhg,
                "/".join(texts.MANUAL_FAULT_SHORT.get(k, k) for k in t.manual_faults),
                fontsize=MIN_PT, ha="center", va="top", color=HAND_COLOUR)
    markers = hand_markers(rec)
    marker_rows = _label_rows([m.t_s * scale for m in markers], label_w)
    for m, row in zip(markers, marker_rows, strict=True):
        ax.axvline(m.t_s * scale, color=MARKER_COLOUR, linestyle=":", linewidth=0.8)
        ax.text(m.t_s * scale, 1.0 - 0.02 - row * 0.07, m.marker,
                transform=ax.get_xaxis_transform(),
                fontsize=MIN_PT, ha="center", va="top", color=MARKER_COLOUR,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    for level in REFERENCE_LEVELS_MMHG:
        ax.axhline(level, color="#616161", linestyle="--", linewidth=0.6)
        ax.text(1.01, level, texts.REPORT_REFERENCE_LABELS[level],
                transform=ax.get_yaxis_transform(), fontsize=MIN_PT, va="center",
                ha="left", color="#616161", clip_on=False)
    ax.set_ylim(lo, hi)
    ax.set_xlim(x_lo, x_hi)
    ax.set_xlabel("time (min)" if minutes else "time (s)", fontsize=MIN_PT, labelpad=1)
    ax.set_ylabel(texts.AXIS_PRESSURE, fontsize=MIN_PT, labelpad=1)
    ax.grid(True, linewidth=0.3, color="#e0e0e0")


def legend_lines(inp: ReportInput) -> list[tuple[str, str]]:
    """(colour, words) for every kind of mark the trace shows, and only those."""
    r, words = inp.result, texts.REPORT_TRACE_LEGEND_13
    lines = [(TRACE_COLOUR, "— " + words["pressure"])]
    if any(t.passed and not t.superseded for t in r.trials):
        lines.append((PASS_COLOUR, "■ " + words["band_pass"]))
    if any(not t.passed and not t.superseded for t in r.trials):
        lines.append((FAIL_COLOUR, "■ " + words["band_fail"]))
    if any(t.superseded for t in r.trials):
        lines.append((GREY, "■ " + words["band_repeated"]))
    if any(t.faults for t in r.trials):
        lines.append((FAIL_COLOUR, words["fault"]))
    if any(t.manual_faults for t in r.trials):
        lines.append((HAND_COLOUR, words["hand"]))
    if hand_markers(inp.recording):
        lines.append((MARKER_COLOUR, words["marker"]))
    lines.append(("#616161", "- - " + words["reference"]))
    return lines


def _legend(page: Page, inp: ReportInput) -> None:
    """The legend as lines of text in two columns (never over the trace)."""
    items = legend_lines(inp)
    half = (len(items) + 1) // 2
    col_in = page.text_width_in / 2
    page.need(0.155 * half)
    top = page.y
    for k, (colour, words) in enumerate(items):
        col, row = divmod(k, half)
        page.text(col * col_in, top - row * 0.155, words, MIN_PT, color=colour)
    page.y = top - 0.155 * half - 0.04


def clinic_header(page: Page, clinic: ClinicSettings) -> None:
    if clinic.clinic:
        page.line(texts.REPORT_CLINIC.format(clinic=clinic.clinic), 10, bold=True)


def signature_block(page: Page, clinic: ClinicSettings) -> None:
    if not (clinic.signature_line or clinic.therapist):
        return
    page.need(0.7)
    page.space(0.2)
    if clinic.therapist:
        page.line(texts.REPORT_SIGNED_BY.format(therapist=clinic.therapist), 9)
    if clinic.signature_line:
        page.space(0.15)
        page.line(texts.REPORT_SIGNATURE, 9)


def _build(page: Page, inp: ReportInput, include_name: bool, clinic: ClinicSettings) -> None:
    page.line(_title(inp), 14, bold=True)
    clinic_header(page, clinic)
    page.line(texts.REPORT_PATIENT.format(code=inp.patient_code) + "      "
              + _date_words(inp.started_at), 10, bold=True)
    if include_name and inp.patient_name:
        page.line(texts.REPORT_NAME.format(name=inp.patient_name), 9)
    ident = (texts.REPORT_SESSION.format(id=inp.session_id, kind=inp.kind,
                                         status=texts.STATUS_WORDS.get(inp.status, inp.status))
             if inp.session_id is not None else f"{inp.kind} session")
    page.paragraph(f"{ident} · {inp.source_name}", MIN_PT)
    page.paragraph(texts.REPORT_DEVICE.format(serial=inp.device_serial or "—",
                                              firmware=inp.device_firmware or "—",
                                              calibration=inp.calibration_id or "—"), MIN_PT)
    page.paragraph(protocol_words(inp), MIN_PT)
    page.rule()
    for s, size, bold in score_lines(inp):
        page.paragraph(s, max(size, MIN_PT), bold=bold)
    r = inp.result
    facts = []
    if not math.isnan(r.baseline_mmhg):
        rate = 0.0 if math.isnan(r.rate_hz) else r.rate_hz
        dur = duration_s(inp.recording) if inp.recording is not None else math.nan
        facts.append(texts.REPORT_BASELINE.format(baseline=r.baseline_mmhg, rate=rate,
                                                  duration=format_duration(dur)))
    if r.session_events:
        facts.append(texts.REPORT_SESSION_EVENTS.format(events="; ".join(
            texts.describe_fault(e.type, e.value) for e in r.session_events)))
    if inp.status_note:
        facts.append(texts.REPORT_STATUS_NOTE.format(note=inp.status_note))
    for f in facts:
        page.paragraph(f, MIN_PT)
    page.space(0.08)
    band = _g(inp.protocol or inp.prescription or {}, "band_mmhg", 1.0)
    trace_width_in = page.text_width_in - 0.45 - LABEL_RIGHT_IN
    draw_trace(page.axes(2.7, right_in=LABEL_RIGHT_IN), inp, band, trace_width_in)
    _legend(page, inp)
    page.space(0.08)
    page.heading(texts.REPORT_TRIALS)
    hold_s = _g(inp.protocol or inp.prescription or {}, "hold_s", 10)
    rows, colours = [], []
    for t in r.trials:
        row, colour = trial_row(t, hold_s, r.head_measured)
        rows.append(row)
        colours.append(colour)
    if rows and r.head_measured:  # a head sensor was fitted: the flexion at each hold
        columns = (*texts.REPORT_TRIAL_COLUMNS[:4], texts.HEAD_COLUMN,
                   texts.REPORT_TRIAL_COLUMNS[4])
        page.table(columns, rows, (0.35, 0.95, 0.75, 1.35, 0.95), colours=colours)
        page.paragraph(texts.HEAD_SLOPE.format(slope=r.head_slope.slope_deg_per_mmhg,
                                               r2=r.head_slope.r2, n=r.head_slope.n_stages)
                       if r.head_slope else texts.HEAD_SLOPE_NONE, MIN_PT)
    elif rows:
        page.table(texts.REPORT_TRIAL_COLUMNS, rows, (0.35, 0.95, 0.75, 1.35), colours=colours)
    else:
        page.line(texts.REPORT_NO_TRIALS, MIN_PT)
    page.space(0.1)
    page.heading(texts.REPORT_ACTIONS)
    if inp.actions:
        page.table(texts.REPORT_ACTIONS_COLUMNS,
                   [[time_words(a), (texts.REPORT_MARKER_ACTION.format(label=a.marker,
                                                                       text=a.text)
                                     if a.marker else a.text)] for a in inp.actions],
                   (1.6,))
    else:
        page.line(texts.REPORT_NO_ACTIONS, MIN_PT)
    page.space(0.1)
    page.heading(texts.REPORT_NOTES)
    page.paragraph(inp.notes or texts.REPORT_NO_NOTES, MIN_PT)
    signature_block(page, clinic)


def _title(inp: ReportInput) -> str:
    return {"clinic": texts.REPORT_TITLE, "training": texts.REPORT_TRAINING_TITLE}.get(
        inp.kind, texts.REPORT_MONITOR_TITLE)


def write_session_report(inp: ReportInput, path: str | Path, *,
                         include_name: bool = False,
                         clinic: ClinicSettings | None = None) -> Path:
    """Write the PDF (atomically, 0600). The name appears only with ``include_name``; the
    PDF's own metadata carry no patient data. ``clinic``: the clinic's name, therapist and
    signature line (default: the settings file, ``clinic_settings.load()``)."""
    path = Path(path)
    clinic = clinic if clinic is not None else clinic_settings.load()
    continued = texts.REPORT_CONTINUED.format(title=_title(inp), code=inp.patient_code,
                                              when=_date_words(inp.started_at))
    render(lambda page: _build(page, inp, include_name, clinic), path, "cctf session report",
           continued)
    return path


def report_name_stem(code: str, started_at: str, kind: str) -> str:
    try:
        stamp = parse_time(started_at).strftime("%Y-%m-%d_%H%M")
    except ValueError:
        stamp = "undated"
    return f"{code}_{stamp}_{kind}_report"


def default_report_name(inp: ReportInput) -> str:
    return report_name_stem(inp.patient_code, inp.started_at, inp.kind) + ".pdf"
