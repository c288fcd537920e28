"""Progress agrees with the session report on sessions stored before the records kept head
angles (schema v7, issue 17): their angles come from the session file's analysis; a file that
is missing or unreadable is "not measured" (logged), never 0 and never a traceback."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import shutil
import sqlite3
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from cctf import texts
from cctf.records import head_file
from cctf.records.clinic_settings import ClinicSettings
from cctf.records.db import open_database, schema_version
from cctf.records.paths import DataDir
from cctf.records.progress import progress
from cctf.records.progress_head import head_progress, head_summary
from cctf.records.progress_report import write_progress_report
from cctf.records.recovery import begin_session, complete_session
from cctf.records.report import report_input
from cctf.records.schema import SCHEMA_VERSION
from cctf.records.startup import open_records

from .records_helpers import clinic_csv

V7_COLUMNS = ("head_rest_deg", "head_flexion_deg", "head_flexion_sd_deg",
              "head_flexion_gain_deg", "head_lift_motion")
SLOPE = 0.5  # the synthetic head flexes 0.5° per mmHg of the nod


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _as_stored_before_v7(db: Path) -> None:
    """Turn a database into what version 6 wrote: the trials without the head columns.
    The trials table then matches a fresh version 6 database's, column for column."""
    conn = sqlite3.connect(db)
    for column in V7_COLUMNS:
        conn.execute(f"ALTER TABLE trials DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()


def _trial_columns(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return [(r[1], r[2]) for r in conn.execute("PRAGMA table_info(trials)")]


@pytest.fixture
def old_records(tmp_path):
    """Four clinic tests recorded with the records at version 6: one with the head sensor, one
    without, and two with the sensor whose files go missing or become unreadable."""
    root = tmp_path / "data"
    records = open_records(root)
    records.add_patient("P-1")
    kinds = ("head", "plain", "missing", "unreadable")
    paths = {}
    for day, kind in enumerate(kinds, start=3):
        a = begin_session(records, "P-1", "clinic", started_at=datetime(2025, 3, day, 10))
        clinic_csv(a.csv_path, 8, 10, head_deg_per_mmhg=None if kind == "plain" else SLOPE)
        paths[kind] = (complete_session(records, a).id, a.csv_path)
    records.close()
    _as_stored_before_v7(root / "cctf.db")
    fresh_v6 = open_database(tmp_path / "v6.db", target_version=6)
    old = sqlite3.connect(root / "cctf.db")
    assert _trial_columns(old) == _trial_columns(fresh_v6)  # the shape version 6 had
    old.close()
    fresh_v6.close()
    records = open_records(root)  # migrates to v7: the old trials' head figures are NULL
    assert schema_version(records.conn) == SCHEMA_VERSION >= 7
    assert (root / "backups" / f"cctf-before-v{SCHEMA_VERSION}-from-v6.db").exists()
    paths["missing"][1].unlink()
    path = paths["unreadable"][1]
    path.write_text(path.read_text().replace("\n0.1000,", "\n0.1000,twenty,", 1))
    try:
        yield records, {k: sid for k, (sid, _) in paths.items()}, DataDir(root)
    finally:
        records.close()


def test_progress_takes_the_head_angles_of_an_old_session_from_its_file(old_records, caplog):
    records, ids, data = old_records
    assert not records.load_result(ids["head"]).head_measured  # nothing stored before v7
    csv = records.csv_path(records.session(ids["head"]))
    before = _sha(csv)
    with caplog.at_level(logging.WARNING, logger="cctf.records.head_file"):
        found = {h.session_id: h for h in head_progress(records, progress(records, "P-1").all)}
    head = found[ids["head"]]
    assert head.measured
    assert [t for t, _ in head.stages] == [22, 24, 26, 28, 30]
    assert [d for _, d in head.stages][:4] == pytest.approx([1.0, 2.0, 3.0, 4.0], abs=0.02)
    assert head.slope is not None and head.slope.slope_deg_per_mmhg == pytest.approx(SLOPE,
                                                                                     abs=0.01)
    assert head.slope_words.startswith("0.50°/mmHg")
    # the same figures as the session report shows for it (one meaning)
    shown = report_input(records, ids["head"]).result
    assert shown.head_slope == head.slope
    assert [t.head_flexion_deg for t in shown.trials if t.phase == "stage"][:4] == pytest.approx(
        [d for _, d in head.stages][:4])
    # not measured, never 0: no sensor, a missing file, an unreadable file
    for kind in ("plain", "missing", "unreadable"):
        h = found[ids[kind]]
        assert not h.measured and h.slope is None and h.stages == ()
        assert h.stage_words == h.slope_words == texts.HEAD_NOT_MEASURED
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2
    assert any(f"session {ids['missing']}:" in m for m in logged)
    assert any(f"session {ids['unreadable']}:" in m and "not measured" in m for m in logged)
    # only read: the file is the same and the records still hold no angles for it
    assert _sha(csv) == before
    assert not records.load_result(ids["head"]).head_measured
    stored = records.conn.execute("SELECT head_flexion_deg FROM trials WHERE session_id = ?",
                                  (ids["head"],)).fetchall()
    assert stored and all(r[0] is None for r in stored)
    line = head_summary(list(found.values()))
    assert "0.50°/mmHg" in line and texts.HEAD_NOT_MEASURED in line
    assert data.db_path.exists()


def test_each_file_is_read_once_while_it_stays_the_same(old_records, monkeypatch, caplog):
    records, ids, _ = old_records
    reads = []
    real = head_file.read_recorded
    monkeypatch.setattr(head_file, "_memo", type(head_file._memo)())
    monkeypatch.setattr(head_file, "read_recorded", lambda p: reads.append(p) or real(p))
    points = progress(records, "P-1").all
    with caplog.at_level(logging.WARNING, logger="cctf.records.head_file"):
        for _ in range(3):  # the history window refreshes on every change
            assert [h.measured for h in head_progress(records, points)] == [
                True, False, False, False]
    # a file without head columns is never read whole; the others once, logged once
    assert reads == [records.csv_path(records.session(ids[k])) for k in ("head", "unreadable")]
    assert len(caplog.records) == 2
    # a file changed since (here only its time): read again
    path = records.csv_path(records.session(ids["head"]))
    os.utime(path, ns=(1, 1))
    head_progress(records, points)
    assert reads[2:] == [path]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (CI has it)")
def test_the_progress_report_shows_the_old_sessions_head_angles(old_records, tmp_path):
    records, ids, _ = old_records
    pdf = write_progress_report(records, "P-1", tmp_path / "p.pdf", today=date(2025, 3, 30),
                                clinic=ClinicSettings())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert texts.HEAD_PROGRESS_TITLE in " ".join(text.split())
    rows = [ln for ln in text.splitlines() if "°/mmHg" in ln]
    assert len(rows) == 1 and "03 Mar 2025" in rows[0] and "0.50°/mmHg" in rows[0]
    assert "22: 1.0°" in rows[0]
    assert not math.isnan(records.session(ids["head"]).performance_index)
