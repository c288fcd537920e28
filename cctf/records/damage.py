"""Damage the integrity check cannot see: a stored value no measurement could have produced.

``PRAGMA integrity_check`` proves the file's structure, not its values: a flipped byte can
turn a score into −7.3e167 and leave a sound database. Every session, trial and patient row
is checked against physical bounds when it is read; a row out of bounds raises
``DamagedRecordError`` (it is reported, never shown as data). What a session CSV can give
back (scores, trials, times) ``cctf recover`` recomputes from it (``repair_damaged``).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from datetime import datetime

from cctf.errors import RecordsError

PRESSURE_MMHG = (-50.0, 400.0)  # physically possible cuff pressures (also the CSV reader's)
WEEK_S = 7 * 86400.0

SESSION_BOUNDS: dict[str, tuple[float, float]] = {
    "duration_s": (0.0, WEEK_S),
    "baseline_mmhg": PRESSURE_MMHG,
    "rate_hz": (0.0, 1000.0),
    "activation_score_mmhg": PRESSURE_MMHG,
    "performance_index": (0.0, 100_000.0),
    "reps_planned": (0.0, 100_000.0),
    "reps_done": (0.0, 100_000.0),
    "csv_rows": (0.0, 1e10),
}
TRIAL_BOUNDS: dict[str, tuple[float, float]] = {
    "idx": (0.0, 1e6),
    "target_mmhg": PRESSURE_MMHG,
    "cue_start_s": (-WEEK_S, WEEK_S),
    "cue_end_s": (-WEEK_S, WEEK_S),
    "rest_mmhg": PRESSURE_MMHG,
    "reached": (0.0, 1.0),
    "held": (0.0, 1.0),
    "passed": (0.0, 1.0),
    "time_to_reach_s": (0.0, WEEK_S),
    "rise_time_s": (0.0, WEEK_S),
    "hold_mean_mmhg": PRESSURE_MMHG,
    "hold_sd_mmhg": (0.0, 450.0),
    "longest_hold_s": (0.0, WEEK_S),
    "shortfall_mmhg": (-450.0, 450.0),
    "time_in_band_s": (0.0, WEEK_S),
    "peak_mmhg": PRESSURE_MMHG,
    "breath_ripple_ratio": (0.0, 1e6),  # a ratio of ripple powers (v6)
    "head_rest_deg": (-180.0, 180.0),  # issue 17: head angles, degrees
    "head_flexion_deg": (-180.0, 180.0),
    "head_flexion_sd_deg": (0.0, 360.0),
    "head_flexion_gain_deg": (-360.0, 360.0),
    "head_lift_motion": (0.0, 1.0),
}
SESSION_TEXT = {"kind": ("clinic", "training", "monitor")}
# Derived from the CSV: cleared and computed again by ``repair_damaged``.
DERIVED_SESSION_COLUMNS = ("duration_s", "baseline_mmhg", "rate_hz", "activation_score_mmhg",
                           "performance_index", "reps_done", "csv_rows", "csv_sha256")


class DamagedRecordError(RecordsError):
    """A stored value is impossible: the database was damaged behind cctf's back."""

    def __init__(self, what: str, problem: str) -> None:
        super().__init__(f"{what} in the records is damaged ({problem}); it is not shown. Run "
                         "'cctf recover' to compute it again from its session CSV (or "
                         "'cctf recover --repair-database' to restore the last backup)")
        self.what = what
        self.problem = problem


def value_problem(row: Mapping[str, object] | sqlite3.Row, bounds: Mapping[str, tuple[float, float]]
                  ) -> str | None:
    """The first column of ``row`` outside ``bounds`` (None when all are plausible)."""
    keys = row.keys() if hasattr(row, "keys") else row
    for column, (low, high) in bounds.items():
        if column not in keys:
            continue
        value = row[column]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{column} holds {type(value).__name__} data, not a number"
        if not (math.isfinite(value) and low <= value <= high):
            return f"{column} = {value:.4g} is outside {low:g}…{high:g}"
    return None


def session_problem(row: sqlite3.Row) -> str | None:
    found = value_problem(row, SESSION_BOUNDS)
    if found:
        return found
    keys = row.keys()
    for column, allowed in SESSION_TEXT.items():
        if column in keys and row[column] not in allowed:
            return f"{column} {str(row[column])[:20]!r} is not one of {', '.join(allowed)}"
    if "started_at" in keys:
        try:
            datetime.fromisoformat(str(row["started_at"]))
        except ValueError:
            return "started_at is not a time"
    return None


def check_session_row(row: sqlite3.Row) -> None:
    problem = session_problem(row)
    if problem:
        raise DamagedRecordError(f"session {row['id']}", problem)


def check_trial_row(session_id: int, row: sqlite3.Row) -> None:
    problem = value_problem(row, TRIAL_BOUNDS)
    if problem:
        raise DamagedRecordError(f"a trial of session {session_id}", problem)


def check_patient_row(row: sqlite3.Row) -> None:
    year = row["birth_year"]
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                             or not 1850 <= year <= 2200):
        raise DamagedRecordError(f"patient {row['code']!s:.20}", "birth_year is not a year")


def damaged_sessions(conn: sqlite3.Connection) -> dict[int, str]:
    """Every session whose row or trials hold impossible values: id → the first problem."""
    found: dict[int, str] = {}
    for row in conn.execute("SELECT * FROM sessions").fetchall():
        problem = session_problem(row)
        if problem:
            found[row["id"]] = problem
    for row in conn.execute("SELECT * FROM trials").fetchall():
        if row["session_id"] not in found:
            problem = value_problem(row, TRIAL_BOUNDS)
            if problem:
                found[row["session_id"]] = f"a trial: {problem}"
    return found
