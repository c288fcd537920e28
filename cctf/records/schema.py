"""The records schema as an ordered list of migrations; ``PRAGMA user_version`` is the version.

A migration is applied once, in its own transaction, and never edited after release: a
change is a new migration at the end. ``tests/test_records_db.py`` keeps a frozen copy of the
version 1 schema and migrates a database written with it.

Version 1: patients, sessions, trials, faults (and session events), annotations (the
therapist's hand: compensation marked by hand, verdict overrides, repeated trials; kept
when a session is analysed again).
Version 2: prescriptions (home training, for adherence), and per session the CSV's SHA-256
and row count (to notice a raw file changed behind cctf's back) and a status note.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

V1 = """
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT,
    birth_year INTEGER,
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('clinic', 'training', 'monitor')),
    status TEXT NOT NULL CHECK (status IN ('recording', 'complete', 'recovered', 'imported')),
    started_at TEXT NOT NULL,
    duration_s REAL,
    device_serial TEXT NOT NULL DEFAULT '',
    device_firmware TEXT NOT NULL DEFAULT '',
    calibration_id TEXT NOT NULL DEFAULT '',
    protocol_json TEXT,
    prescription_json TEXT,
    baseline_mmhg REAL,
    rate_hz REAL,
    activation_score_mmhg REAL,
    performance_index REAL,
    reps_planned INTEGER,
    reps_done INTEGER,
    therapist_notes TEXT NOT NULL DEFAULT '',
    csv_path TEXT NOT NULL UNIQUE,
    pid INTEGER,
    host TEXT
);
CREATE INDEX sessions_by_patient ON sessions (patient_id, started_at);
CREATE INDEX sessions_by_status ON sessions (status);
CREATE TABLE trials (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    phase TEXT NOT NULL,
    target_mmhg REAL NOT NULL,
    cue_start_s REAL,
    cue_end_s REAL,
    rest_mmhg REAL,
    reached INTEGER NOT NULL,
    held INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    time_to_reach_s REAL,
    rise_time_s REAL,
    hold_mean_mmhg REAL,
    hold_sd_mmhg REAL,
    longest_hold_s REAL,
    shortfall_mmhg REAL,
    time_in_band_s REAL,
    peak_mmhg REAL,
    UNIQUE (session_id, idx)
);
CREATE TABLE faults (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    trial_idx INTEGER,
    type TEXT NOT NULL,
    t_s REAL,
    value REAL
);
CREATE INDEX faults_by_session ON faults (session_id);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    trial_idx INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('compensation', 'override', 'superseded')),
    value TEXT NOT NULL DEFAULT ''
);
CREATE INDEX annotations_by_session ON annotations (session_id);
"""

V2 = """
CREATE TABLE prescriptions (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    start_date TEXT NOT NULL,
    sessions_per_day INTEGER NOT NULL CHECK (sessions_per_day BETWEEN 1 AND 10),
    prescription_json TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX prescriptions_by_patient ON prescriptions (patient_id, start_date);
ALTER TABLE sessions ADD COLUMN csv_sha256 TEXT;
ALTER TABLE sessions ADD COLUMN csv_rows INTEGER;
ALTER TABLE sessions ADD COLUMN status_note TEXT NOT NULL DEFAULT '';
"""

V3 = """
CREATE TABLE session_edits (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('notes', 'override', 'compensation',
                                           'clear_compensation')),
    trial_idx INTEGER,
    value TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_edits_by_session ON session_edits (session_id, id);
"""


def statements(script: str) -> list[str]:
    """Split a schema script (no semicolons inside statements) into statements:
    ``executescript`` would commit, and a migration must be one transaction."""
    return [s.strip() for s in script.split(";") if s.strip()]


def _sql(script: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in statements(script):
            conn.execute(statement)

    return apply


@dataclass(frozen=True, slots=True)
class Migration:
    version: int  # user_version after it
    description: str
    apply: Callable[[sqlite3.Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, sessions, trials, faults, annotations", _sql(V1)),
    Migration(2, "prescriptions; CSV checksum, row count and status note per session", _sql(V2)),
    Migration(3, "session_edits: the therapist's changes after a session, with reasons",
              _sql(V3)),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
