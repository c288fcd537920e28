"""Schema version 3: the measured verdict is stored beside the final one (which includes the
therapist's override), and a session's start in UTC with the local offset kept apart — for
new sessions and, by the migration, for those already in a version 2 database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cctf.analysis.results import Fault, SessionResult, TrialResult
from cctf.records.db import open_database, schema_version
from cctf.records.paths import DataDir
from cctf.records.schema import SCHEMA_VERSION, utc_parts
from cctf.records.startup import open_records


@pytest.mark.parametrize(
    ("started_at", "utc", "offset_min"),
    [
        ("2026-03-29T10:00:00+02:00", "2026-03-29T08:00:00Z", 120),  # summer time
        ("2026-01-10T10:00:00+01:00", "2026-01-10T09:00:00Z", 60),
        ("2026-01-10T23:30:00-05:00", "2026-01-11T04:30:00Z", -300),  # another day in UTC
        ("2026-01-10T10:00:00+05:45", "2026-01-10T04:15:00Z", 345),
        ("2026-01-10T10:00:00.250+00:00", "2026-01-10T10:00:00Z", 0),
        ("2026-01-10T10:00:00", None, None),  # no offset: the instant is unknown
        ("not a time", None, None),
    ],
)
def test_utc_parts(started_at, utc, offset_min):
    assert utc_parts(started_at) == (utc, offset_min)


def _trial(index: int, *, held: bool, faults=(), manual=(), override=None) -> TrialResult:
    t = TrialResult(index, "stage", 22.0 + 2 * index, 20.0 + 23 * index, 30.0 + 23 * index,
                    20.0, reached=True, held=held, faults=list(faults),
                    manual_faults=list(manual), verdict_override=override)
    t.settle()
    return t


def test_new_sessions_store_utc_offset_and_the_measured_verdict(tmp_path):
    records = open_records(tmp_path / "data")
    try:
        records.add_patient("P-1")
        sid = records.add_session("P-1", "clinic", status="recording",
                                  started_at="2026-03-29T10:00:00+02:00",
                                  csv_path=tmp_path / "data" / "sessions" / "P-1" / "a.csv")
        trials = [
            _trial(0, held=True),  # measured pass
            _trial(1, held=True, override=False),  # measured pass, failed by the therapist
            _trial(2, held=True, faults=[Fault("overshoot", 50.0, 2.0)], override=True),
            _trial(3, held=True, manual=["scm"]),  # compensation seen by hand: a fail
        ]
        records.save_result(sid, SessionResult(20.0, trials, [], 0.0, 0.0, 50.0))
        rows = records.conn.execute(
            "SELECT idx, passed, measured_passed FROM trials WHERE session_id = ? ORDER BY idx",
            (sid,)).fetchall()
        assert [tuple(r) for r in rows] == [(0, 1, 1), (1, 0, 1), (2, 1, 0), (3, 0, 0)]
        row = records.conn.execute(
            "SELECT started_at, started_utc, utc_offset_min FROM sessions WHERE id = ?",
            (sid,)).fetchone()
        assert tuple(row) == ("2026-03-29T10:00:00+02:00", "2026-03-29T08:00:00Z", 120)
    finally:
        records.close()


def _v2_database_with_data(path: Path) -> None:
    conn = open_database(path, target_version=2)
    conn.execute("INSERT INTO patients (id, code, created_at) VALUES (1, 'P-OLD', "
                 "'2024-01-01T00:00:00+00:00')")
    for sid, started in ((1, "2024-07-02T09:00:00+02:00"), (2, "2024-12-02T09:00:00+01:00"),
                         (3, "2024-12-03T09:00:00")):
        conn.execute("INSERT INTO sessions (id, patient_id, kind, status, started_at, csv_path) "
                     "VALUES (?, 1, 'clinic', 'complete', ?, ?)", (sid, started, f"{sid}.csv"))
    trials = [(0, 1, 1), (1, 1, 0), (2, 1, 1), (3, 0, 0), (4, 1, 0)]  # (idx, held, passed)
    conn.executemany("INSERT INTO trials (session_id, idx, phase, target_mmhg, reached, held, "
                     "passed) VALUES (1, ?, 'stage', 22, 1, ?, ?)", trials)
    conn.execute("INSERT INTO faults (session_id, trial_idx, type, t_s, value) "
                 "VALUES (1, 2, 'overshoot', 3.5, 1.7)")
    conn.execute("INSERT INTO faults (session_id, trial_idx, type, t_s, value) "
                 "VALUES (1, NULL, 'leak', 1.0, -0.5)")  # a session event: no trial's fault
    conn.execute("INSERT INTO annotations (session_id, trial_idx, kind, value) "
                 "VALUES (1, 4, 'compensation', 'breath')")
    conn.execute("INSERT INTO annotations (session_id, trial_idx, kind, value) "
                 "VALUES (1, 1, 'override', 'fail')")
    conn.execute("INSERT INTO annotations (session_id, trial_idx, kind, value) "
                 "VALUES (1, 2, 'override', 'pass')")
    conn.commit()
    conn.close()


def test_migrating_a_version_2_database_fills_in_the_new_columns(tmp_path):
    root = tmp_path / "data"
    DataDir(root).ensure()
    _v2_database_with_data(root / "cctf.db")
    records = open_records(root)
    try:
        assert schema_version(records.conn) == SCHEMA_VERSION >= 3
        measured = records.conn.execute(
            "SELECT idx, passed, measured_passed FROM trials ORDER BY idx").fetchall()
        # 1: held, overridden to fail -> measured pass; 2: a fault, overridden to pass ->
        # measured fail; 4: compensation marked by hand -> measured fail.
        assert [tuple(r) for r in measured] == [
            (0, 1, 1), (1, 0, 1), (2, 1, 0), (3, 0, 0), (4, 0, 0)]
        times = records.conn.execute(
            "SELECT id, started_at, started_utc, utc_offset_min FROM sessions ORDER BY id"
        ).fetchall()
        assert [tuple(r) for r in times] == [
            (1, "2024-07-02T09:00:00+02:00", "2024-07-02T07:00:00Z", 120),
            (2, "2024-12-02T09:00:00+01:00", "2024-12-02T08:00:00Z", 60),
            (3, "2024-12-03T09:00:00", None, None),
        ]
    finally:
        records.close()
    backup = root / "backups" / f"cctf-before-v{SCHEMA_VERSION}-from-v2.db"
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 2
    old.close()
