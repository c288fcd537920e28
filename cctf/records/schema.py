"""The records schema as an ordered list of migrations; ``PRAGMA user_version`` is the version.

A migration is applied once, in its own transaction, and never edited after release: a
change is a new migration at the end. ``tests/test_records_db.py`` keeps a frozen copy of the
version 1 schema and migrates a database written with it.

Version 1: patients, sessions, trials, faults (and session events), annotations (the
therapist's hand: compensation marked by hand, verdict overrides, repeated trials; kept
when a session is analysed again).
Version 2: prescriptions (home training, for adherence), and per session the CSV's SHA-256
and row count (to notice a raw file changed behind cctf's back) and a status note.
Version 3: per trial the measured verdict beside the final one (``passed`` includes the
therapist's override); per session the start in UTC with the local offset apart
(``started_at`` keeps the recording computer's offset, which differs across DST and
computers). Existing rows are filled in from what they hold.
Version 4: session status ``ended_early``; per session whether it is complete and when it was
ended early; the therapist's exclusion from progress (reason, when); per trial ``interrupted``
(still running when the session ended: not scored).
Version 5: ``session_edits``, the therapist's changes to a session after it ended (notes,
verdict overrides, compensation marked or cleared), each with its time and reason: the audit
trail shown in the report.
Version 6: per trial ``breath_ripple_ratio`` (possible breath holding, a hypothesis: the lowest
ripple power of the hold over the rest ripple; NULL when not measured, and for older rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

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

V5 = """
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


V3 = """
ALTER TABLE trials ADD COLUMN measured_passed INTEGER;
ALTER TABLE sessions ADD COLUMN started_utc TEXT;
ALTER TABLE sessions ADD COLUMN utc_offset_min INTEGER;
UPDATE trials SET measured_passed = (held AND NOT EXISTS (
    SELECT 1 FROM faults f WHERE f.session_id = trials.session_id AND f.trial_idx = trials.idx)
  AND NOT EXISTS (
    SELECT 1 FROM annotations a WHERE a.session_id = trials.session_id
      AND a.trial_idx = trials.idx AND a.kind = 'compensation'))
"""


def utc_parts(started_at: str) -> tuple[str | None, int | None]:
    """``started_at`` (ISO 8601) as UTC (``...Z``) and its offset from UTC in minutes; both
    None when the time has no offset (its instant is unknown) or cannot be read."""
    try:
        when = datetime.fromisoformat(started_at)
    except ValueError:
        return None, None
    offset = when.utcoffset()
    if offset is None:
        return None, None
    utc = when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return utc, int(offset.total_seconds() // 60)

V6 = """
ALTER TABLE trials ADD COLUMN breath_ripple_ratio REAL;
"""


def _v3(conn: sqlite3.Connection) -> None:
    _sql(V3)(conn)
    rows = conn.execute("SELECT id, started_at FROM sessions").fetchall()
    conn.executemany("UPDATE sessions SET started_utc = ?, utc_offset_min = ? WHERE id = ?",
                     [(*utc_parts(started_at), sid) for sid, started_at in rows])


V4 = """
ALTER TABLE sessions ADD COLUMN complete INTEGER;
ALTER TABLE sessions ADD COLUMN ended_early_s REAL;
ALTER TABLE sessions ADD COLUMN progress_excluded_reason TEXT;
ALTER TABLE sessions ADD COLUMN progress_excluded_at TEXT;
ALTER TABLE trials ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
"""

_V1_STATUS_CHECK = "CHECK (status IN ('recording', 'complete', 'recovered', 'imported'))"
_V4_STATUS_CHECK = ("CHECK (status IN ('recording', 'complete', 'recovered', 'imported', "
                    "'ended_early'))")


def _v4(conn: sqlite3.Connection) -> None:
    """Widen the sessions' status CHECK to allow ``ended_early``, then add the columns.

    SQLite cannot alter a CHECK constraint. Rebuilding the sessions table would, with foreign
    keys on, cascade-delete every trial; so the constraint's text is edited in the schema, the
    procedure SQLite documents for changes that leave the stored rows valid (widening a CHECK
    does), inside the migration's transaction and followed by an integrity check."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                       "name = 'sessions'").fetchone()
    sql = row[0]
    if _V1_STATUS_CHECK not in sql:
        raise sqlite3.DatabaseError("sessions.status constraint is not the expected one")
    version = int(conn.execute("PRAGMA schema_version").fetchone()[0])
    conn.execute("PRAGMA writable_schema=ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND "
                     "name = 'sessions'", (sql.replace(_V1_STATUS_CHECK, _V4_STATUS_CHECK),))
        conn.execute(f"PRAGMA schema_version={version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema=OFF")
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError("integrity check after widening sessions.status: "
                                    + "; ".join(problems[:3]))
    _sql(V4)(conn)


V7_HEAD_ANGLES = """
ALTER TABLE trials ADD COLUMN head_rest_deg REAL;
ALTER TABLE trials ADD COLUMN head_flexion_deg REAL;
ALTER TABLE trials ADD COLUMN head_flexion_sd_deg REAL;
ALTER TABLE trials ADD COLUMN head_flexion_gain_deg REAL;
ALTER TABLE trials ADD COLUMN head_lift_motion INTEGER
"""
"""The head-motion sensor's per-trial figures (issue 17, host side; NULL = not measured)."""


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
    Migration(3, "measured verdict per trial; session start in UTC with the offset apart", _v3),
    Migration(4, "status ended_early; complete, ended early, excluded from progress per "
              "session; interrupted per trial", _v4),
    Migration(5, "session_edits: the therapist's changes after a session, with reasons",
              _sql(V5)),
    Migration(6, "breath_ripple_ratio per trial (possible breath holding)", _sql(V6)),
    Migration(7, "head_angles (issue 17): per-trial head flexion at the hold, its SD, the "
              "flexion gained, the rest angle and head-lift motion", _sql(V7_HEAD_ANGLES)),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
