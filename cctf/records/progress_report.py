"""The progress report (PDF): a patient's clinic tests over time, changes against
the smallest real difference, and home-programme adherence.

    write_progress_report(records, "P-0042", "progress.pdf", today=date.today())
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

from cctf import texts
from cctf.records import clinic_settings
from cctf.records.clinic_settings import ClinicSettings
from cctf.records.pdfpage import FAIL_COLOUR, GREY, MIN_PT, PASS_COLOUR, Page, render
from cctf.records.progress import (
    SRD_PI,
    Adherence,
    ProgressPoint,
    adherence,
    changes,
    current_prescription,
    progress,
    protocol_words,
    summary_words,
)
from cctf.records.progress_head import head_progress
from cctf.records.store import Records

ADHERENCE_WEEKS = 6


def _when(p: ProgressPoint) -> datetime:
    return datetime.fromisoformat(p.started_at)


def draw_progress(ax_act: Axes, ax_pi: Axes, points: list[ProgressPoint], srd_pi: float) -> None:
    # The activation score is the increase above baseline: the reference levels of 28 and
    # 24 mmHg (absolute) are drawn at +8 and +4 on this axis and named both ways. The fixed
    # clinical axes and the references are drawn even when no test can be compared yet.
    for level, label in texts.REPORT_PROGRESS_REFERENCE.items():
        ax_act.axhline(level, color="#616161", linestyle="--", linewidth=0.6)
        ax_act.text(0.003, level + 0.15, label, transform=ax_act.get_yaxis_transform(),
                    fontsize=MIN_PT, color="#616161", va="bottom")
    ax_act.set_ylim(0, 10.5)
    ax_act.set_ylabel(texts.REPORT_AXIS_ACTIVATION, fontsize=MIN_PT)
    if not points:
        ax_pi.set_ylim(0, 100)
        ax_pi.set_ylabel(texts.REPORT_AXIS_PI, fontsize=MIN_PT)
        for ax in (ax_act, ax_pi):
            ax.text(0.5, 0.5, texts.CHANGE_EMPTY, ha="center", va="center",
                    transform=ax.transAxes, fontsize=MIN_PT, color=GREY)
            ax.set_xticks([])
        return
    x: Any = [_when(p).replace(tzinfo=None) for p in points]  # dates; the stubs expect floats
    ax_act.plot(x, [p.activation_score_mmhg for p in points], marker="o", markersize=3.5,
                color="#1a237e", linewidth=1)
    measured = [p for p in points if p.pi_measured]
    first = measured[0].performance_index if measured else math.nan
    ax_pi.axhspan(first - srd_pi, first + srd_pi, color=GREY, alpha=0.18,
                  label=texts.REPORT_SRD_BAND + f" ({srd_pi:g}) around the first test")
    colours = [GREY] + [PASS_COLOUR if c.real and c.delta_pi > 0 else FAIL_COLOUR if c.real
                        else "#1a237e" for c in changes(points, srd_pi)]
    xm = [_when(p).replace(tzinfo=None) for p in measured]  # a PI not measured is no point
    ax_pi.plot(xm, [p.performance_index for p in measured],  # type: ignore[arg-type]
               color="#1a237e", linewidth=1)
    ax_pi.scatter(xm, [p.performance_index for p in measured],  # type: ignore[arg-type]
                  c=colours[:len(measured)], s=14, zorder=3)
    ax_pi.set_ylim(0, 100)
    ax_pi.set_ylabel(texts.REPORT_AXIS_PI, fontsize=MIN_PT)
    ax_pi.legend(fontsize=MIN_PT, loc="upper left", frameon=False)
    for ax in (ax_act, ax_pi):
        locator = AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.grid(True, linewidth=0.3, color="#e0e0e0")
        if x[-1] - x[0] < timedelta(days=2):  # one day: show a week around it
            ax.set_xlim(x[0] - timedelta(days=3), x[-1] + timedelta(days=3))


def _adherence_lines(records: Records, code: str, today: date) -> list[str]:
    rx = current_prescription(records, code, today)
    prescriptions = records.prescriptions(code)
    if not prescriptions:
        return [texts.ADHERENCE_NO_PRESCRIPTION]
    lines = []
    if rx is not None:
        p = rx.prescription
        lines.append(texts.REPORT_PRESCRIPTION.format(
            reps=p.get("reps", 10), hold=p.get("hold_s", 10), target=p.get("target_mmhg", 24),
            rest=p.get("rest_s", 10), band=p.get("band_mmhg", 1))
            + texts.PROGRESS_PER_DAY.format(n=rx.sessions_per_day, day=rx.start_date))
    start = max(prescriptions[0].start_date, today - timedelta(weeks=ADHERENCE_WEEKS) +
                timedelta(days=1))
    if start > today:
        return lines
    adh: Adherence = adherence(records, code, start, today)
    for week in adh.weeks():
        lines.append(week.words(texts.ADHERENCE_WEEK.format(day=week.days[0].day)))
    overall = adherence(records, code, prescriptions[0].start_date, today)
    lines.append(overall.words())
    return lines


def _build(page: Page, records: Records, code: str, today: date, srd_pi: float,
           include_name: bool, clinic: ClinicSettings) -> None:
    from cctf.records.report import clinic_header, signature_block

    patient = records.patient(code)
    found = progress(records, code)
    points = found.series
    page.line(texts.REPORT_PROGRESS_TITLE, 14, bold=True)
    clinic_header(page, clinic)
    page.line(texts.REPORT_PATIENT.format(code=patient.code) + "      "
              + texts.PROGRESS_AS_OF.format(day=today),
              10, bold=True)
    if include_name and patient.name:
        page.line(texts.REPORT_NAME.format(name=patient.name), 9)
    n_training = len(records.sessions(code, kinds=("training",)))
    page.line(texts.PROGRESS_COUNTS.format(tests=len(found.all), training=n_training), MIN_PT)
    page.rule()
    if found.protocol is not None:
        page.paragraph(texts.PROGRESS_SERIES_PROTOCOL.format(
            protocol=protocol_words(found.protocol)), MIN_PT)
    page.paragraph(summary_words(points, srd_pi), 9)
    if found.others:
        page.paragraph(texts.PROGRESS_NOT_COMPARED.format(n=len(found.others), which="; ".join(
            f"{_when(p):%d %b %Y} ({p.note})" for p in found.others)), MIN_PT)
    page.paragraph(texts.REPORT_REFERENCE, MIN_PT)
    page.paragraph(texts.REPORT_PROGRESS_AXIS_NOTE, MIN_PT)
    page.paragraph(texts.PI_SCALE_TEXT, MIN_PT)
    page.space(0.1)
    draw_progress(page.axes(1.5), page.axes(1.7), points, srd_pi)
    page.heading(texts.REPORT_ADHERENCE)
    for line in _adherence_lines(records, code, today):
        page.paragraph(line, MIN_PT)
    page.space(0.1)
    page.heading(texts.REPORT_HISTORY)
    rows, colours = [], []
    diffs = {c.after.session_id: c for c in changes(points, srd_pi)}
    first_id = next((p.session_id for p in points if p.pi_measured), None)
    for p in reversed(found.all):  # newest first
        c = diffs.get(p.session_id)
        change = p.note or (
            texts.PROGRESS_FIRST_TEST if p.session_id == first_id else
            texts.NOT_MEASURED if c is None else
            texts.PROGRESS_PI_CHANGE.format(delta=c.delta_pi, verdict=(
                texts.PROGRESS_REAL_CHANGE if c.real else texts.PROGRESS_WITHIN_ERROR)))
        rows.append([f"{_when(p):%d %b %Y %H:%M}", texts.PROGRESS_KIND_CLINIC,
                     texts.score_text(p.activation_score_mmhg, "g", "mmHg"),
                     texts.score_text(p.performance_index), texts.STATUS_WORDS.get(
                         p.status, p.status), change])
        colours.append(GREY if c is None or not c.real else
                       (PASS_COLOUR if c.delta_pi > 0 else FAIL_COLOUR))
    if rows:
        columns = (*texts.REPORT_HISTORY_COLUMNS[:4], texts.REPORT_HISTORY_COLUMNS[5],
                   texts.REPORT_HISTORY_COLUMNS[4])
        page.table(columns, rows, (1.3, 0.6, 0.8, 0.5, 0.8), colours=colours)
    else:
        page.line(texts.CHANGE_EMPTY, MIN_PT)
    _head_table(page, records, found.all)
    signature_block(page, clinic)


def _head_table(page: Page, records: Records, points: list[ProgressPoint]) -> None:
    """Issue 17: the head sensor's flexion test by test, newest first ("not measured" for a
    test without a sensor); nothing when no test had one."""
    found = head_progress(records, points)
    if not any(h.measured for h in found):
        return
    page.space(0.1)
    page.heading(texts.HEAD_PROGRESS_TITLE)
    rows = [[f"{_when(p):%d %b %Y %H:%M}", h.slope_words, h.stage_words]
            for p, h in zip(reversed(points), reversed(found), strict=True)]
    page.table(texts.HEAD_PROGRESS_COLUMNS, rows, (1.3, 1.6))


def write_progress_report(records: Records, code: str, path: str | Path, *, today: date,
                          srd_pi: float = SRD_PI, include_name: bool = False,
                          clinic: ClinicSettings | None = None) -> Path:
    """Write the PDF (atomically, 0600); ``clinic`` as for the session report (default:
    the settings file)."""
    if not (srd_pi > 0 and math.isfinite(srd_pi)):
        raise ValueError(f"srd_pi must be > 0, got {srd_pi}")
    path = Path(path)
    records.patient(code)
    clinic = clinic if clinic is not None else clinic_settings.load()
    render(lambda page: _build(page, records, code, today, srd_pi, include_name, clinic), path,
           "cctf progress report",
           texts.REPORT_CONTINUED.format(title=texts.REPORT_PROGRESS_TITLE, code=code,
                                         when=f"{today:%d %b %Y}"))
    return path
