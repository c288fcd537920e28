"""PDF tables size and wrap their columns from the measured text widths: no cell runs into its
neighbour ("not measured" in the progress report's PI column ran into "complete"), however
long the words (a translation), and nothing is shortened."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from matplotlib import rc_context

from cctf import texts
from cctf.records.clinic_settings import ClinicSettings
from cctf.records.pdfpage import GAP_IN, MARGIN_IN, RC, Page, text_width_in, wrap_measured
from cctf.records.progress_report import write_progress_report
from cctf.records.recovery import begin_session, complete_session
from cctf.records.startup import open_records

from .records_helpers import clinic_csv

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">'
                   r"([^<]*)</word>")
_PAGE = re.compile(r"<page ")

# Longer words for the same places (German), to show the layout follows the words.
_LONG = {"NOT_MEASURED": "nicht gemessen",
         "REPORT_HISTORY_COLUMNS": ("Datum", "Art", "Aktivierung", "Leistungsindex",
                                    "Veränderung", "Status"),
         "STATUS_WORDS": {"complete": "abgeschlossen", "recovered": "wiederhergestellt",
                          "imported": "importiert", "ended_early": "vorzeitig beendet",
                          "recording": "Aufnahme läuft"}}


def _words(pdf: Path) -> list[tuple[int, float, float, float, str]]:
    """(page, top, left, right, word) of every word as poppler lays the PDF out."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    found = []
    for page, chunk in enumerate(_PAGE.split(html)[1:], start=1):
        found += [(page, float(y), float(x0), float(x1), w)
                  for x0, y, x1, w in _WORD.findall(chunk)]
    return found


def _overlaps(pdf: Path) -> list[tuple[str, str]]:
    """Pairs of words on the same line whose boxes overlap (text running into text)."""
    lines: dict[tuple[int, float], list[tuple[float, float, str]]] = {}
    for page, top, left, right, word in _words(pdf):
        lines.setdefault((page, round(top, 1)), []).append((left, right, word))
    bad = []
    for words in lines.values():
        words.sort()
        bad += [(a[2], b[2]) for a, b in itertools.pairwise(words)
                if a[1] > b[0] + 0.3]  # 0.3 pt: poppler's rounding
    return bad


def _progress_pdf(folder: Path) -> Path:
    """Four clinic tests, one without an endurance phase: its PI is "not measured"."""
    records = open_records(folder / "data")
    try:
        records.add_patient("P-1")
        for day, (act, passed, reps) in zip((3, 10, 17, 24), (
                (2, 5, 10), (4, 0, 0), (4, 6, 10), (8, 10, 10)), strict=True):
            a = begin_session(records, "P-1", "clinic", started_at=datetime(2025, 3, day, 10))
            clinic_csv(a.csv_path, act, passed, reps)
            s = complete_session(records, a)
        records.exclude_from_progress(s.id, "a cold; the patient could not lie still for long")
        return write_progress_report(records, "P-1", folder / "p.pdf", today=date(2025, 3, 30),
                                     clinic=ClinicSettings())
    finally:
        records.close()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (CI has it)")
@pytest.mark.parametrize("long_words", [False, True], ids=["english", "german"])
def test_no_word_of_the_progress_report_runs_into_another(tmp_path, monkeypatch, long_words):
    if long_words:
        for name, value in _LONG.items():
            monkeypatch.setattr(texts, name, value)
    pdf = _progress_pdf(tmp_path)
    words = [w for *_, w in _words(pdf)]
    not_measured = texts.NOT_MEASURED.split()
    assert any(words[k:k + len(not_measured)] == not_measured for k in range(len(words)))
    assert texts.STATUS_WORDS["complete"] in words
    assert _overlaps(pdf) == []
    page_right_pt = (8.27 - MARGIN_IN) * 72
    assert max(right for _, _, _, right, _ in _words(pdf)) <= page_right_pt + 0.5


def _cells(page: Page) -> list[tuple[float, float, float, str, bool]]:
    """(y, left, right, text, bold) in inches of every text drawn on the page."""
    found = []
    for fig in page.figures:
        for t in fig.texts:
            x, y = t.get_position()
            bold = t.get_fontweight() == "bold"
            left = x * page.width_in - MARGIN_IN
            found.append((y * page.height_in, left,
                          left + text_width_in(t.get_text(), int(t.get_fontsize()), bold),
                          t.get_text(), bold))
    return found


@pytest.mark.parametrize("status", ["complete", "vorzeitig beendet", "x" * 120])
def test_every_cell_fits_its_column_as_measured(status):
    """The same font metrics the PDF is set with: each cell ends at least a gap before the
    next column starts, and the last column ends inside the text width."""
    columns = ("date", "kind", "activation", "PI", "status", "change")
    rows = [["24 Mar 2025 10:00", "clinic", "not measured", "not measured", status,
             "excluded from progress: a cold; the patient could not lie still for long"],
            ["17 Mar 2025 10:00", "clinic", "4 mmHg", "24", "complete", "first test"]]
    with rc_context(RC):
        page = Page()
        start = len(page.figures[0].texts)
        page.table(columns, rows, (1.3, 0.6, 0.8, 0.5, 0.8))
        drawn = _cells(page)[start:]
    lefts = sorted({round(left, 6) for _, left, _, _, _ in drawn})
    assert len(lefts) == len(columns)
    for _, left, right, text, _ in drawn:
        k = lefts.index(round(left, 6))
        end = lefts[k + 1] - GAP_IN if k + 1 < len(lefts) else page.text_width_in
        assert right <= end + 1e-6, (text, right, end)
    # nothing shortened: every word of every cell is on the page; a word wider than its
    # column is split between characters, never cut
    shown = " ".join(text for *_, text, bold in drawn if not bold).split()
    for cell in (c for row in rows for c in row if c != "x" * 120):
        assert all(w in shown for w in cell.split()), cell
    split = "".join(t for *_, t, _ in drawn if t and set(t) == {"x"})
    assert split == ("x" * 120 if status == "x" * 120 else "")


def test_wrapping_keeps_every_word_and_splits_only_a_word_wider_than_the_column():
    text = "excluded from progress: a cold; the patient could not lie still for long"
    lines = wrap_measured(text, 8, 1.0)
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(text_width_in(ln, 8) <= 1.0 for ln in lines)
    long = "Leistungsindexveränderungsberechnung"
    parts = wrap_measured(long, 8, 0.6)
    assert "".join(parts) == long and len(parts) > 1
    assert all(text_width_in(p, 8) <= 0.6 for p in parts)
    assert wrap_measured("", 8, 1.0) == [""]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (CI has it)")
def test_the_session_reports_head_tables_and_lines_stay_inside_the_page(tmp_path):
    """The trial table with the head column, and the flexion-per-mmHg line under it (which
    ran past the right margin), wrap inside the text width."""
    from cctf.records.report import csv_report_input, write_session_report

    csv = clinic_csv(tmp_path / "h.csv", 8, 10, head_deg_per_mmhg=0.5)
    pdf = write_session_report(csv_report_input(csv), tmp_path / "s.pdf",
                               clinic=ClinicSettings())
    words = _words(pdf)
    assert "°/mmHg" in " ".join(w for *_, w in words)
    assert _overlaps(pdf) == []
    assert max(right for _, _, _, right, _ in words) <= (8.27 - MARGIN_IN) * 72 + 0.5
