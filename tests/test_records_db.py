"""The records database: where it lives, permissions, migrations, and a damaged database."""

from __future__ import annotations

import math
import os
import sqlite3
import stat
from datetime import date, datetime
from pathlib import Path

import pytest

from cctf.cli import main
from cctf.errors import CorruptDatabaseError, RecordsError
from cctf.records.db import open_database, schema_version
from cctf.records.paths import DataDir, platform_data_dir, resolve_data_dir
from cctf.records.recovery import begin_session, complete_session
from cctf.records.schema import SCHEMA_VERSION
from cctf.records.startup import open_records, repair_database

from .records_helpers import clinic_csv

# The version 1 schema as released, frozen here: a migration test against today's V1 text
# would not notice that text being edited.
FROZEN_V1 = """
CREATE TABLE patients (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT, birth_year INTEGER, notes TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE TABLE sessions (id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('clinic', 'training', 'monitor')),
    status TEXT NOT NULL CHECK (status IN ('recording', 'complete', 'recovered', 'imported')),
    started_at TEXT NOT NULL, duration_s REAL, device_serial TEXT NOT NULL DEFAULT '',
    device_firmware TEXT NOT NULL DEFAULT '', calibration_id TEXT NOT NULL DEFAULT '',
    protocol_json TEXT, prescription_json TEXT, baseline_mmhg REAL, rate_hz REAL,
    activation_score_mmhg REAL, performance_index REAL, reps_planned INTEGER,
    reps_done INTEGER, therapist_notes TEXT NOT NULL DEFAULT '',
    csv_path TEXT NOT NULL UNIQUE, pid INTEGER, host TEXT);
CREATE INDEX sessions_by_patient ON sessions (patient_id, started_at);
CREATE INDEX sessions_by_status ON sessions (status);
CREATE TABLE trials (id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, phase TEXT NOT NULL, target_mmhg REAL NOT NULL, cue_start_s REAL,
    cue_end_s REAL, rest_mmhg REAL, reached INTEGER NOT NULL, held INTEGER NOT NULL,
    passed INTEGER NOT NULL, time_to_reach_s REAL, rise_time_s REAL, hold_mean_mmhg REAL,
    hold_sd_mmhg REAL, longest_hold_s REAL, shortfall_mmhg REAL, time_in_band_s REAL,
    peak_mmhg REAL, UNIQUE (session_id, idx));
CREATE TABLE faults (id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    trial_idx INTEGER, type TEXT NOT NULL, t_s REAL, value REAL);
CREATE INDEX faults_by_session ON faults (session_id);
CREATE TABLE annotations (id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    trial_idx INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('compensation', 'override', 'superseded')),
    value TEXT NOT NULL DEFAULT '');
CREATE INDEX annotations_by_session ON annotations (session_id);
PRAGMA user_version = 1;
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- where the data lives ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, "/home/u/.local/share/cctf"),
        ("linux", {"XDG_DATA_HOME": "/data/x"}, "/data/x/cctf"),
        ("linux", {"XDG_DATA_HOME": "relative/ignored"}, "/home/u/.local/share/cctf"),
        ("darwin", {}, "/home/u/Library/Application Support/cctf"),
        ("win32", {"APPDATA": "C:/Users/u/AppData/Roaming",
                   "LOCALAPPDATA": "C:/Users/u/AppData/Local"}, "C:/Users/u/AppData/Local/cctf"),
    ],
)
def test_platform_data_folder(platform, env, expected):
    assert platform_data_dir(platform, env, Path("/home/u")).as_posix() == expected


def test_override_beats_environment_beats_platform(tmp_path):
    env = {"CCTF_DATA_DIR": str(tmp_path / "env")}
    assert resolve_data_dir(tmp_path / "flag", env) == tmp_path / "flag"
    assert resolve_data_dir(None, env) == tmp_path / "env"
    assert resolve_data_dir(None, {"HOME": "/x"}).name == "cctf"


def test_folders_are_0700_and_files_0600(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    clinic_csv(active.csv_path)
    complete_session(records, active)
    records.close()
    open_records(tmp_path / "data").close()  # a second day's open makes a backup
    root = tmp_path / "data"
    for path in [root, *root.rglob("*")]:
        want = 0o700 if path.is_dir() else 0o600
        assert _mode(path) == want, f"{path} is {oct(_mode(path))}"


def test_an_existing_loose_folder_is_tightened(tmp_path):
    root = tmp_path / "data"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    DataDir(root).ensure()
    assert _mode(root) == 0o700


# --- schema and migrations -----------------------------------------------------------------------


def test_a_new_database_is_current_in_wal_mode_with_foreign_keys(tmp_path):
    conn = open_database(tmp_path / "cctf.db")
    assert schema_version(conn) == SCHEMA_VERSION == 7
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    conn.close()


def _v1_database_with_data(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(FROZEN_V1)
    conn.execute("INSERT INTO patients VALUES (1, 'P-OLD', 'Old Name', 1960, 'n', "
                 "'2024-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO sessions (id, patient_id, kind, status, started_at, csv_path, "
                 "activation_score_mmhg, performance_index, protocol_json, therapist_notes) "
                 "VALUES (1, 1, 'clinic', 'complete', '2024-01-02T09:00:00+01:00', "
                 "'sessions/P-OLD/a.csv', 6, 36, '{\"baseline_mmhg\": 20}', 'kept')")
    conn.execute("INSERT INTO trials (session_id, idx, phase, target_mmhg, reached, held, passed)"
                 " VALUES (1, 0, 'stage', 22, 1, 1, 1)")
    conn.execute("INSERT INTO faults (session_id, trial_idx, type, t_s, value) "
                 "VALUES (1, 0, 'overshoot', 3.5, 1.7)")
    conn.execute("INSERT INTO annotations (session_id, trial_idx, kind, value) "
                 "VALUES (1, 0, 'compensation', 'breath')")
    conn.commit()
    conn.close()


def test_migrating_a_version_1_database_keeps_its_data_and_backs_it_up(tmp_path):
    root = tmp_path / "data"
    DataDir(root).ensure()
    _v1_database_with_data(root / "cctf.db")
    records = open_records(root)
    assert schema_version(records.conn) == SCHEMA_VERSION
    p = records.patient("P-OLD")
    assert (p.name, p.birth_year, p.notes) == ("Old Name", 1960, "n")
    s = records.session(1)
    assert (s.activation_score_mmhg, s.performance_index, s.therapist_notes) == (6, 36, "kept")
    assert (s.csv_sha256, s.csv_rows, s.status_note) == (None, None, "")  # the new columns
    result = records.load_result(1)
    assert result.trials[0].faults[0].type == "overshoot"
    assert result.trials[0].manual_faults == ["breath"] and not result.trials[0].passed
    rx = records.prescribe("P-OLD", {"target_mmhg": 24}, sessions_per_day=2,
                           start=date(2024, 2, 1))  # the table version 2 added
    assert rx.reps == 10
    backup = root / "backups" / f"cctf-before-v{SCHEMA_VERSION}-from-v1.db"
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT name FROM patients").fetchone()[0] == "Old Name"
    old.close()
    records.close()


def test_migrating_a_version_2_database_allows_ended_early_and_keeps_every_trial(tmp_path):
    """Version 3 widens the status CHECK (SQLite cannot alter one; a table rebuild would
    cascade-delete the trials) and adds completeness, exclusion and ``interrupted``."""
    root = tmp_path / "data"
    DataDir(root).ensure()
    _v1_database_with_data(root / "cctf.db")
    open_database(root / "cctf.db", target_version=2).close()
    conn = sqlite3.connect(root / "cctf.db")
    with pytest.raises(sqlite3.IntegrityError):  # version 2 refuses the new status
        conn.execute("UPDATE sessions SET status = 'ended_early' WHERE id = 1")
    conn.close()
    records = open_records(root)
    assert schema_version(records.conn) == SCHEMA_VERSION
    assert records.conn.execute("SELECT count(*) FROM trials").fetchone()[0] == 1
    assert records.conn.execute("SELECT count(*) FROM faults").fetchone()[0] == 1
    assert records.conn.execute("SELECT count(*) FROM annotations").fetchone()[0] == 1
    s = records.session(1)
    assert (s.complete, s.ended_early_s, s.progress_excluded_reason) == (None, None, None)
    assert s.measured_complete  # analysed before v3, status complete: counted as before
    records.set_status(1, "ended_early")
    assert records.session(1).status == "ended_early" and not records.session(1).measured_complete
    with pytest.raises(sqlite3.IntegrityError):  # the CHECK is still there, only wider
        records.conn.execute("UPDATE sessions SET status = 'nonsense' WHERE id = 1")
    assert records.load_result(1).trials[0].interrupted is False
    assert records.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (root / "backups" / f"cctf-before-v{SCHEMA_VERSION}-from-v2.db").exists()
    # version 7 (head angles, issue 17): older trials have none — not measured, never 0
    old = records.load_result(1).trials[0]
    assert old.head_lift_motion is None and math.isnan(old.head_flexion_deg)
    records.close()


def test_a_database_from_a_newer_cctf_is_refused_untouched(tmp_path):
    path = tmp_path / "cctf.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(RecordsError, match="newer than this cctf"):
        open_database(path)
    assert path.read_bytes() == before


# --- a damaged database --------------------------------------------------------------------------


def _garbage(path: Path) -> bytes:
    data = bytes((i * 7919 + 13) % 256 for i in range(64 * 1024))
    path.write_bytes(data)
    return data


def test_garbage_bytes_give_a_clear_error_and_the_file_is_left_alone(tmp_path):
    root = tmp_path / "data"
    DataDir(root).ensure()
    data = _garbage(root / "cctf.db")
    with pytest.raises(CorruptDatabaseError) as err:
        open_records(root)
    message = str(err.value)
    assert "is damaged" in message and "cctf recover --repair-database" in message
    assert (root / "cctf.db").read_bytes() == data
    assert sorted(p.name for p in root.iterdir()) == ["backups", "cctf.db", "locks", "sessions"]


def test_a_damaged_page_fails_the_integrity_check(tmp_path):
    path = tmp_path / "cctf.db"
    conn = open_database(path)
    conn.executemany("INSERT INTO patients (code, notes, created_at) VALUES (?, ?, 'x')",
                     [(f"P-{i}", "n" * 300) for i in range(200)])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    raw = bytearray(path.read_bytes())
    for k in (1, 2):  # scribble over the patients table's and its index's root pages
        raw[k * page:k * page + 200] = b"\xff" * 200
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptDatabaseError, match="damaged"):
        open_database(path)
    assert path.read_bytes() == bytes(raw)


def test_repair_moves_the_damaged_file_aside_restores_the_backup_and_rebuilds(tmp_path):
    root = tmp_path / "data"
    records = open_records(root, today=date(2025, 3, 1))
    records.add_patient("P-1", name="Kept From Backup")
    first = begin_session(records, "P-1", "clinic", started_at=datetime(2025, 3, 3, 10))
    clinic_csv(first.csv_path, 4, 5)
    complete_session(records, first)
    records.close()
    records = open_records(root, today=date(2025, 3, 2))  # the daily backup holds session 1
    second = begin_session(records, "P-1", "clinic",  # recorded after the backup
                           started_at=datetime(2025, 3, 10, 10))
    clinic_csv(second.csv_path, 8, 10, metadata={"started_at": "2025-03-10T10:00:00+01:00"})
    complete_session(records, second)
    records.close()
    damaged = _garbage(root / "cctf.db")

    assert main(["sessions", "--data-dir", str(root)]) == 1  # refuses, changes nothing
    assert (root / "cctf.db").read_bytes() == damaged

    report = repair_database(DataDir(root), stamp="20250310-120000")
    assert report.moved_to == root / "cctf.db.corrupt-20250310-120000"
    assert report.moved_to.read_bytes() == damaged
    assert report.restored_from is not None
    assert len(report.rebuilt.sessions_added) == 1
    records = open_records(root)
    assert records.patient("P-1").name == "Kept From Backup"
    sessions = records.sessions("P-1")
    assert [s.performance_index for s in sessions] == [20, 80]
    assert all(records.csv_path(s).exists() for s in sessions)
    records.close()


def test_rebuild_without_any_backup_recovers_every_session_from_the_csvs(tmp_path, capsys):
    root = tmp_path / "data"
    folder = root / "sessions" / "P-9"
    folder.mkdir(parents=True)
    clinic_csv(folder / "2025-03-03_100000_clinic.csv", 6, 4)
    clinic_csv(folder / "2025-03-04_100000_clinic_imported.csv", 2, 1,
               metadata={"started_at": "2025-03-04T10:00:00+01:00"})
    DataDir(root).ensure()
    _garbage(root / "cctf.db")
    assert main(["recover", "--repair-database", "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "moved the damaged database" in out and "2 sessions added" in out
    records = open_records(root)
    s = records.sessions("P-9")
    assert [(x.status, x.activation_score_mmhg, x.performance_index) for x in s] == [
        ("complete", 6, 24), ("imported", 2, 2)]
    records.close()
