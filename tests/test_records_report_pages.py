"""Reports a clinic files: nothing cut (long notes, a third fault, long trial tables continue
on further pages), ≥ 8 pt text, a legend for every mark, the therapist's actions with times,
changes after the session with their reasons, clinic and signature from the settings file,
the progress report's reference lines on the increment scale, and one duration formatter."""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import subprocess
from datetime import UTC, date, datetime

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from cctf.analysis.results import Fault
from cctf.durations import format_duration
from cctf.records import audit
from cctf.records.clinic_settings import ClinicSettings
from cctf.records.progress import ProgressPoint
from cctf.records.progress_report import draw_progress, write_progress_report
from cctf.records.recovery import begin_session, complete_session
from cctf.records.report import legend_lines, report_input, write_session_report
from cctf.records.startup import open_records
from cctf.sessionfile import SessionWriter

from .records_helpers import clinic_csv, write_session_csv

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="needs poppler-utils (pdftoppm, pdftotext, pdfinfo)")
CLINIC = ClinicSettings("Physiotherapy North", "A. Example, PT", True)


def pdf_text(path, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def page_images(path, tmp_path) -> list[np.ndarray]:
    """Every page at 30 dpi, as grey levels 0..1."""
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "pg")],
                   check=True)
    return [imread(p)[:, :, :3].mean(axis=2) for p in sorted(tmp_path.glob("pg-*.png"))]


def font_sizes(path) -> set[float]:
    """The sizes of every piece of text, from pdftotext's bounding boxes (yMax - yMin is
    the font's height, about 1.2 × its size in points)."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return {round(float(b) - float(a), 1) for a, b in
            re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html)}


@pytest.fixture
def records(tmp_path):
    recs = open_records(tmp_path / "data")
    recs.add_patient("P-0042")
    yield recs
    recs.close()


def clinic_session(records, notes: str = "", **csv_kw) -> int:
    active = begin_session(records, "P-0042", "clinic", started_at=datetime(2025, 3, 3, 10, 15),
                           protocol={"baseline_mmhg": 20, "step_mmhg": 2, "n_stages": 5,
                                     "hold_s": 10, "rest_s": 10, "endurance_reps": 10,
                                     "band_mmhg": 1})
    clinic_csv(active.csv_path, 6, 7, **csv_kw)
    return complete_session(records, active, notes=notes).id


# --- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "0 s"), (0.49, "0 s"), (0.5, "1 s"), (59.49, "59 s"), (59.5, "1 min 00 s"),
    (60, "1 min 00 s"), (119.97, "2 min 00 s"), (119.4, "1 min 59 s"), (341.2, "5 min 41 s"),
    (3599.5, "1 h 00 min 00 s"), (3725, "1 h 02 min 05 s"),
    (math.nan, "—"), (-1, "—"), (math.inf, "—"),
])
def test_one_duration_formatter_rounds_before_it_splits(seconds, words):
    assert format_duration(seconds) == words


# --- nothing cut ---------------------------------------------------------------------------------


@needs_poppler
def test_long_notes_continue_on_the_next_page_whole(records, tmp_path):
    notes = " ".join(f"n{i:04d}" for i in range(1000))[:4990] + " THE-END"
    assert len(notes) >= 4990
    sid = clinic_session(records, notes)
    pdf = write_session_report(report_input(records, sid), tmp_path / "r.pdf", clinic=CLINIC)
    text = pdf_text(pdf)
    assert "…" not in text
    at = text.index("Therapist's notes")
    for word in notes.split():  # every word, in order (page furniture may come between)
        found = text.find(word, at)
        assert found >= 0, word
        at = found + len(word)
    pages = page_images(pdf, tmp_path)
    assert len(pages) >= 2
    for k, page in enumerate(pages, start=1):
        assert f"Page {k} of {len(pages)}" in text
        ink = (page < 0.8).mean()
        assert 0.01 < ink < 0.4, f"page {k} has content"
    assert "(continued)" in text
    assert min(font_sizes(pdf)) >= 8 * 1.1, "no text under 8 pt"


@needs_poppler
def test_a_third_fault_and_a_long_trial_table_are_never_cut(records, tmp_path):
    sid = clinic_session(records)
    inp = report_input(records, sid)
    first = inp.result.trials[0]
    first.faults = [Fault("overshoot", 12.0, 2.5), Fault("fast_rise", 12.5, 0.31),
                    Fault("unsteady", 16.0, 0.93)]
    extra = [dataclasses.replace(first, index=100 + k, faults=[Fault("head_lift", 20.0, 1.5)],
                                 manual_faults=[]) for k in range(60)]
    inp.result.trials.extend(extra)
    pdf = write_session_report(inp, tmp_path / "r.pdf", clinic=CLINIC)
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", " ", text)
    for words in ("overshot the target (peak 2.5 mmHg above)", "nodded too fast (0.31 s",
                  "unsteady hold (SD 0.93 mmHg)"):
        assert words in flat, words
    for k in range(60):
        assert re.search(rf"(?m)^\s*{101 + k}\b", pdf_text(pdf, layout=True)), k + 101
    assert len(page_images(pdf, tmp_path)) >= 2
    assert text.count("what was seen") >= 2, "the table's header is repeated"
    assert "…" not in text and "more trials" not in text


# --- marks, actions, changes after the session, clinic --------------------------------------


def session_with_actions(records, tmp_path) -> int:
    """A recording as the app writes it: actions in the marker column and the metadata,
    and a marker typed by hand."""
    active = begin_session(records, "P-0042", "clinic", started_at=datetime(2025, 3, 3, 10, 15))
    path = clinic_csv(tmp_path / "plain.csv", 6, 7)
    from cctf.sessionfile import read_session

    rec = read_session(path)
    marks = np.full(len(rec), "", dtype=object)
    marks[int(np.searchsorted(rec.t_s, 12.0))] = "paused"
    marks[int(np.searchsorted(rec.t_s, 20.0))] = "resumed"
    marks[int(np.searchsorted(rec.t_s, 30.0))] = "swallow"
    marks[int(np.searchsorted(rec.t_s, 75.0))] = "repeat trial 4 (28 mmHg) | cough"
    w = SessionWriter(active.csv_path, rec.metadata, ("marker",))
    w.write(rec.t_s, rec.pressure_mmhg, rec.target_mmhg, list(rec.phase), {"marker": marks})
    w.close({"therapist_actions": "12.0s paused; 20.0s resumed; 75.0s repeat trial 4 (28 mmHg)"})
    return complete_session(records, active).id


@needs_poppler
def test_the_report_lists_actions_markers_and_later_changes_with_reasons(records, tmp_path):
    sid = session_with_actions(records, tmp_path)
    audit.edit_override(records, sid, 2, True, reason="seen on video: steady",
                        now=datetime(2025, 3, 4, 9, 30, tzinfo=UTC))
    audit.edit_compensation(records, sid, 5, "breath", reason="held breath on video",
                            now=datetime(2025, 3, 4, 9, 31, tzinfo=UTC))
    inp = report_input(records, sid)
    legend = " ".join(words for _, words in legend_lines(inp))
    assert "marked by hand" in legend and "markers set by hand" in legend
    assert "fault found by the analysis" in legend
    pdf = write_session_report(inp, tmp_path / "r.pdf", clinic=CLINIC)
    text = re.sub(r"[ \t]+", " ", pdf_text(pdf, layout=True))
    for words in ("0:12 paused", "0:20 resumed", "0:30 marker M1: swallow",
                  "1:15 repeat trial 4 (28 mmHg)", "marker M2: cough",
                  "04 Mar 2025 09:30 (after) trial 3: verdict set to pass — reason: seen on "
                  "video: steady",
                  "trial 6: breath holding marked by hand — reason: held breath on video",
                  "Physiotherapy North", "Therapist: A. Example, PT", "Signature:"):
        assert words in text, words
    assert text.count("paused") == 1, "an action in both the metadata and the column once"


@needs_poppler
def test_without_settings_there_is_a_signature_line_and_no_clinic(records, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("CCTF_CONFIG_DIR", str(tmp_path / "config"))
    sid = clinic_session(records)
    pdf = write_session_report(report_input(records, sid), tmp_path / "r.pdf")
    text = pdf_text(pdf)
    assert "Signature:" in text and "Physiotherapy" not in text
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.toml").write_text(
        '[report]\nclinic = "Clinic From File"\nsignature_line = false\n')
    text = pdf_text(write_session_report(report_input(records, sid), tmp_path / "r2.pdf"))
    assert "Clinic From File" in text and "Signature:" not in text


# --- progress ------------------------------------------------------------------------------------


def test_progress_reference_lines_sit_on_the_increment_scale():
    fig = Figure()
    ax_act, ax_pi = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    points = [ProgressPoint(session_id=k, started_at=f"2025-03-{day:02d}T10:00:00+00:00",
                            day=date(2025, 3, day), activation_score_mmhg=act,
                            performance_index=pi, status="complete")
              for k, (day, act, pi) in enumerate(((3, 4.0, 20.0), (17, 8.0, 60.0)), start=1)]
    draw_progress(ax_act, ax_pi, points, 10.0)
    levels = sorted({float(ln.get_ydata()[0]) for ln in ax_act.get_lines()
                     if ln.get_linestyle() == "--"})
    assert levels == [4.0, 8.0], "28 and 24 mmHg are +8 and +4 above baseline"
    labels = [t.get_text() for t in ax_act.texts]
    assert any("+8 mmHg" in s and "28 mmHg" in s for s in labels)
    assert ax_act.get_ylim() == (0.0, 10.5) and ax_pi.get_ylim() == (0.0, 100.0)


@needs_poppler
def test_the_progress_report_names_the_clinic(records, tmp_path):
    for day in (3, 17):
        a = begin_session(records, "P-0042", "clinic", started_at=datetime(2025, 3, day, 10))
        write_session_csv(a.csv_path, [(22.0, "stage", True), (24.0, "stage", False)])
        complete_session(records, a)
    pdf = write_progress_report(records, "P-0042", tmp_path / "p.pdf", today=date(2025, 4, 1),
                                clinic=CLINIC)
    text = pdf_text(pdf)
    assert "Physiotherapy North" in text and "+8 mmHg (28 mmHg level)" in text
    assert "Page 1 of" in text and min(font_sizes(pdf)) >= 8 * 1.1


def _boxes(fig, renderer):
    """Window extents of every non-empty text the page itself and its axes carry (not the
    tick labels), with the axes' frame."""
    texts_ = [t for t in fig.texts if t.get_text().strip()]
    frames = []
    for ax in fig.axes:
        texts_ += [t for t in ax.texts if t.get_text().strip()]
        frames.append(ax.get_window_extent(renderer))
    return [(t.get_text(), t.get_window_extent(renderer).expanded(0.98, 0.9))
            for t in texts_], frames


def test_no_text_on_a_page_overprints_another_and_reference_labels_stay_off_the_trace(
        records, tmp_path):
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from cctf.records import report
    from cctf.records.pdfpage import RC, Page

    sid = session_with_actions(records, tmp_path)
    audit.edit_compensation(records, sid, 5, "breath", reason="video")
    audit.edit_compensation(records, sid, 6, "scm", reason="video")
    inp = report_input(records, sid)
    with rc_context(RC):
        page = Page("continued")
        report._build(page, inp, False, CLINIC)
        page.footers()
        for fig in page.figures:
            renderer = FigureCanvasAgg(fig).get_renderer()
            boxes, frames = _boxes(fig, renderer)
            for k, (text_a, a) in enumerate(boxes):
                for text_b, b in boxes[k + 1:]:
                    assert not a.overlaps(b), f"{text_a!r} overprints {text_b!r}"
            for text, box in boxes:
                if "neck pain" in text:
                    assert not any(box.overlaps(f) for f in frames), f"{text!r} on the trace"
