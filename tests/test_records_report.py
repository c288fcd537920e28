"""Reports: a one-page session PDF and a progress PDF, rendered to an image and read back."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from datetime import date, datetime

import numpy as np
import pytest
from matplotlib.image import imread

from cctf.cli import main
from cctf.records.progress_report import write_progress_report
from cctf.records.recovery import begin_session, complete_session
from cctf.records.report import report_input, write_session_report
from cctf.records.startup import open_records

from .records_helpers import clinic_csv, training_csv

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="needs poppler-utils (pdftoppm, pdftotext, pdfinfo)")


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")))


def first_page_image(path, tmp_path) -> np.ndarray:
    """The first page at 40 dpi as an RGB array (rows, columns, 3) in 0..1."""
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(path), str(out)], check=True)
    return imread(out.with_suffix(".png"))[:, :, :3]


@pytest.fixture
def clinic_records(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-0042", name="Jane Secret", birth_year=1980)
    active = begin_session(records, "P-0042", "clinic", started_at=datetime(2025, 3, 3, 10, 15),
                           protocol={"preset": "research", "baseline_mmhg": 20, "step_mmhg": 2,
                                     "n_stages": 5, "hold_s": 10, "rest_s": 10,
                                     "endurance_reps": 10, "band_mmhg": 1})
    clinic_csv(active.csv_path, 6, 7)
    s = complete_session(records, active, notes="Mild SCM activity late in the endurance set.")
    records.mark_compensation(s.id, 8, "scm")
    yield records, s.id
    records.close()


def test_the_session_report_is_one_a4_page_with_everything_on_it(clinic_records, tmp_path):
    records, sid = clinic_records
    pdf = write_session_report(report_input(records, sid), tmp_path / "report.pdf")
    assert stat.S_IMODE(os.stat(pdf).st_mode) == 0o600
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for words in ("P-0042", "03 Mar 2025, 10:15", "SIM00001", "firmware 1.0.0",
                  "calibration 7", "research", "hold 10 s",
                  "Activation score: 6 mmHg (highest level held 10 s: 26 mmHg)",
                  "28 mmHg without neck pain, 24 mmHg with chronic neck pain",
                  "Performance index: 36 / 100", "Jull's scale",
                  "did not reach the target", "superficial flexor (SCM or scalene) activity",
                  "Mild SCM activity late in the endurance set.",
                  "not a certified medical device"):
        assert words in text, words
    assert "Jane Secret" not in text  # the name only when asked for
    assert b"Jane" not in pdf.read_bytes()

    page = first_page_image(pdf, tmp_path)
    h, w, _ = page.shape
    assert h / w == pytest.approx(297 / 210, rel=0.01)  # A4 portrait
    ink = page.mean(axis=2) < 0.8
    assert 0.02 < ink.mean() < 0.4, "a page with content, not blank nor black"
    assert ink[: h // 10].mean() > 0.02, "the header is at the top"
    r, g, b = page[:, :, 0], page[:, :, 1], page[:, :, 2]
    red = r > np.maximum(g, b) + 0.2
    green = (g > r + 0.1) & (g > b + 0.05)
    assert red.sum() > 20 and green.sum() > 50  # failed and passed trials, bands and table


def test_the_name_appears_when_asked(clinic_records, tmp_path):
    records, sid = clinic_records
    pdf = write_session_report(report_input(records, sid), tmp_path / "r.pdf", include_name=True)
    assert "Name: Jane Secret" in pdf_text(pdf)


def test_cctf_report_from_an_id_and_from_a_bare_csv(clinic_records, tmp_path, capsys):
    records, sid = clinic_records
    data = str(records.data.root)
    assert main(["report", str(sid), "-o", str(tmp_path / "a.pdf"), "--data-dir", data]) == 0
    assert "Performance index: 36 / 100" in pdf_text(tmp_path / "a.pdf")
    bare = training_csv(tmp_path / "home.csv", held=7, metadata={"prescription_reps": 10,
                                                               "prescription_target_mmhg": 24})
    empty = tmp_path / "nothing-here"
    assert main(["report", str(bare), "-o", str(tmp_path / "b.pdf"),
                 "--data-dir", str(empty)]) == 0
    assert not empty.exists(), "a report from a CSV creates no records"
    text = pdf_text(tmp_path / "b.pdf")
    assert "Home training" in text and "Holds done: 7 of 10" in text
    assert main(["report", "999", "-o", str(tmp_path / "c.pdf"), "--data-dir", data]) == 1
    assert "no session 999" in capsys.readouterr().err


def test_the_progress_report(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-7")
    records.prescribe("P-7", {"target_mmhg": 24, "reps": 10}, sessions_per_day=2,
                      start=date(2025, 3, 3))
    for day, (act, passed) in zip((3, 17, 31), ((2, 5), (4, 6), (8, 10)), strict=True):
        a = begin_session(records, "P-7", "clinic", started_at=datetime(2025, 3, day, 10))
        clinic_csv(a.csv_path, act, passed)
        complete_session(records, a)
    for day in (4, 5, 5, 12):
        t = begin_session(records, "P-7", "training", started_at=datetime(2025, 3, day, 9))
        training_csv(t.csv_path, held=8)
        complete_session(records, t)
    pdf = write_progress_report(records, "P-7", tmp_path / "progress.pdf", today=date(2025, 4, 1))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for words in ("progress report", "P-7", "3 clinic tests, 4 home training sessions",
                  "performance index 10 → 80 (+70): a real change",
                  "James & Doe 2010", "+56 PI: real change", "+14 PI: within measurement error",
                  "2 × a day", "not a certified medical device"):
        assert words in text, words
    page = first_page_image(pdf, tmp_path)
    assert 0.02 < (page.mean(axis=2) < 0.8).mean() < 0.4
    records.close()


def test_with_a_head_sensor_the_trial_table_gains_the_flexion_column(tmp_path):
    """Issue 17: a recording with head angles gets a "head flexion" column (the angle at each
    hold, "not measured" rather than 0) and the flexion-per-mmHg line; without, no column."""
    import math

    from cctf.records.report import trial_row
    from cctf.sim.scenarios import load_scenario

    csv = tmp_path / "retraction.csv"
    seconds = str(load_scenario("retraction").duration_s)
    assert main(["record", "--sim", "retraction", "--fast", "--seconds", seconds,
                 "-o", str(csv)]) == 0
    empty = tmp_path / "no-records"
    assert main(["report", str(csv), "-o", str(tmp_path / "h.pdf"),
                 "--data-dir", str(empty)]) == 0
    text = pdf_text(tmp_path / "h.pdf")
    assert "head flexion" in text and "°/mmHg" in text
    assert "possible retraction" in text
    lines = [ln for ln in text.splitlines() if "22 mmHg" in ln]
    assert lines and "°" in lines[0]

    from cctf.analysis.results import TrialResult

    t = TrialResult(0, "stage", 22.0, 0.0, 10.0, 20.0)
    assert len(trial_row(t, 10.0)[0]) == 5
    row = trial_row(t, 10.0, head=True)[0]
    assert len(row) == 6 and row[4] == "not measured" and math.isnan(t.head_flexion_deg)
