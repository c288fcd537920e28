"""A session's analysis result in the database: trials, faults, session events, scores, and
the therapist's annotations, which survive analysing the session again.

Annotations are per trial index (the analysis numbers trials the same way for the same CSV,
however it is fed): ``compensation`` (one row per kind marked by hand), ``override``
(``pass``/``fail``) and ``superseded``. Callers hold the transaction (``Records`` does).
"""

from __future__ import annotations

import copy
import math
import sqlite3
from collections import defaultdict

from cctf.analysis.results import Fault, SessionResult, TrialResult
from cctf.analysis.scoring import activation_score_mmhg, performance_index
from cctf.errors import RecordsError
from cctf.records.damage import check_trial_row
from cctf.records.models import SessionRecord, nan_if_none

_TRIAL_FIGURES = ("cue_start_s", "cue_end_s", "rest_mmhg", "time_to_reach_s", "rise_time_s",
                  "hold_mean_mmhg", "hold_sd_mmhg", "longest_hold_s", "shortfall_mmhg",
                  "time_in_band_s", "peak_mmhg")

Annotations = dict[int, dict[str, list[str]]]  # trial index → kind → values


def nominal_baseline(session: SessionRecord) -> float:
    value = (session.protocol or {}).get("baseline_mmhg")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 20.0


def annotations_of(result: SessionResult) -> Annotations:
    found: Annotations = defaultdict(dict)
    for t in result.trials:
        if t.manual_faults:
            found[t.index]["compensation"] = list(t.manual_faults)
        if t.verdict_override is not None:
            found[t.index]["override"] = ["pass" if t.verdict_override else "fail"]
        if t.superseded:
            found[t.index]["superseded"] = ["yes"]
    return dict(found)


def stored_annotations(conn: sqlite3.Connection, session_id: int) -> Annotations:
    found: Annotations = defaultdict(lambda: defaultdict(list))
    for row in conn.execute("SELECT trial_idx, kind, value FROM annotations WHERE session_id = ? "
                            "ORDER BY id", (session_id,)).fetchall():
        found[row["trial_idx"]][row["kind"]].append(row["value"])
    return {k: dict(v) for k, v in found.items()}


def apply_annotations(result: SessionResult, annotations: Annotations,
                      nominal_baseline_mmhg: float) -> SessionResult:
    """A copy of ``result`` with the annotations on its trials, verdicts settled again and the
    scores recomputed. Annotations of trials the result does not have are ignored."""
    out = copy.deepcopy(result)
    for trial in out.trials:
        marks = annotations.get(trial.index, {})
        trial.manual_faults = list(marks.get("compensation", []))
        override = marks.get("override")
        trial.verdict_override = None if not override else override[-1] == "pass"
        trial.superseded = bool(marks.get("superseded"))
        trial.settle()
    out.activation_score_mmhg = activation_score_mmhg(out.trials, nominal_baseline_mmhg)
    out.performance_index = performance_index(out.trials, out.activation_score_mmhg)
    return out


def _reps_done(result: SessionResult) -> int:
    return sum(1 for t in result.trials if t.phase == "training" and t.held and not t.superseded)


def save(conn: sqlite3.Connection, session: SessionRecord, result: SessionResult,
         keep_annotations: bool) -> SessionResult:
    nominal = nominal_baseline(session)
    if keep_annotations:
        annotations = stored_annotations(conn, session.id)
        result = apply_annotations(result, annotations, nominal)
    else:
        annotations = annotations_of(result)
        conn.execute("DELETE FROM annotations WHERE session_id = ?", (session.id,))
        conn.executemany(
            "INSERT INTO annotations (session_id, trial_idx, kind, value) VALUES (?, ?, ?, ?)",
            [(session.id, idx, kind, value) for idx, marks in annotations.items()
             for kind, values in marks.items() for value in values])
    conn.execute("DELETE FROM trials WHERE session_id = ?", (session.id,))
    conn.execute("DELETE FROM faults WHERE session_id = ?", (session.id,))
    conn.executemany(
        "INSERT INTO trials (session_id, idx, phase, target_mmhg, reached, held, passed, "
        + ", ".join(_TRIAL_FIGURES) + ") VALUES (" + ", ".join("?" * (7 + len(_TRIAL_FIGURES)))
        + ")",
        [(session.id, t.index, t.phase, t.target_mmhg, t.reached, t.held, t.passed,
          *(getattr(t, f) for f in _TRIAL_FIGURES)) for t in result.trials])
    faults = [(t.index, f) for t in result.trials for f in t.faults]
    faults += [(None, e) for e in result.session_events]
    conn.executemany(
        "INSERT INTO faults (session_id, trial_idx, type, t_s, value) VALUES (?, ?, ?, ?, ?)",
        [(session.id, idx, f.type, f.t_s, f.value) for idx, f in faults])
    _store_scores(conn, session, result)
    return result


def _store_scores(conn: sqlite3.Connection, session: SessionRecord,
                  result: SessionResult) -> None:
    clinic = session.kind == "clinic"
    training = session.kind == "training"
    conn.execute(
        "UPDATE sessions SET baseline_mmhg = ?, rate_hz = ?, activation_score_mmhg = ?, "
        "performance_index = ?, reps_done = ? WHERE id = ?",
        (result.baseline_mmhg, result.rate_hz,
         result.activation_score_mmhg if clinic else None,
         result.performance_index if clinic else None,
         _reps_done(result) if training else None, session.id))


def load(conn: sqlite3.Connection, session: SessionRecord) -> SessionResult:
    faults: dict[int | None, list[Fault]] = defaultdict(list)
    for row in conn.execute("SELECT trial_idx, type, t_s, value FROM faults WHERE session_id = ? "
                            "ORDER BY id", (session.id,)).fetchall():
        faults[row["trial_idx"]].append(
            Fault(row["type"], nan_if_none(row["t_s"]), nan_if_none(row["value"])))
    trials = []
    for row in conn.execute("SELECT * FROM trials WHERE session_id = ? ORDER BY idx",
                            (session.id,)).fetchall():
        check_trial_row(session.id, row)
        trial = TrialResult(
            index=row["idx"], phase=row["phase"], target_mmhg=row["target_mmhg"],
            cue_start_s=nan_if_none(row["cue_start_s"]), cue_end_s=nan_if_none(row["cue_end_s"]),
            rest_mmhg=nan_if_none(row["rest_mmhg"]), reached=bool(row["reached"]),
            held=bool(row["held"]), passed=bool(row["passed"]), faults=faults[row["idx"]],
        )
        for name in _TRIAL_FIGURES[3:]:
            setattr(trial, name, nan_if_none(row[name]))
        trial.longest_hold_s = 0.0 if math.isnan(trial.longest_hold_s) else trial.longest_hold_s
        trial.time_in_band_s = 0.0 if math.isnan(trial.time_in_band_s) else trial.time_in_band_s
        trials.append(trial)
    bare = SessionResult(session.baseline_mmhg, trials, faults[None], 0.0, 0.0, session.rate_hz)
    return apply_annotations(bare, stored_annotations(conn, session.id),
                             nominal_baseline(session))


def keep_annotation(conn: sqlite3.Connection, session_id: int, trial_index: int, kind: str,
                    value: str | None) -> None:
    """Add (or with ``value`` None, remove) an annotation row, nothing else."""
    if kind != "compensation" or value is None:
        conn.execute("DELETE FROM annotations WHERE session_id = ? AND trial_idx = ? AND "
                     "kind = ?", (session_id, trial_index, kind))
    if value is not None:
        conn.execute("INSERT INTO annotations (session_id, trial_idx, kind, value) "
                     "VALUES (?, ?, ?, ?)", (session_id, trial_index, kind, value))


def annotate(conn: sqlite3.Connection, session: SessionRecord, trial_index: int, kind: str,
             value: str | None) -> None:
    """Add (or with ``value`` None, remove) an annotation; verdicts and scores follow."""
    if conn.execute("SELECT 1 FROM trials WHERE session_id = ? AND idx = ?",
                    (session.id, trial_index)).fetchone() is None:
        raise RecordsError(f"session {session.id} has no trial {trial_index}")
    keep_annotation(conn, session.id, trial_index, kind, value)
    result = load(conn, session)
    conn.executemany("UPDATE trials SET passed = ? WHERE session_id = ? AND idx = ?",
                     [(t.passed, session.id, t.index) for t in result.trials])
    _store_scores(conn, session, result)
