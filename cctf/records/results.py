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

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.head import flexion_slope
from cctf.analysis.results import FLAG_TYPES, Fault, SessionResult, TrialResult
from cctf.analysis.scoring import ScoringPlan, session_scores
from cctf.errors import RecordsError
from cctf.file_annotations import Annotations  # trial index → kind → values
from cctf.records.damage import check_trial_row
from cctf.records.models import SessionRecord, nan_if_none

_TRIAL_FIGURES = ("cue_start_s", "cue_end_s", "rest_mmhg", "time_to_reach_s", "rise_time_s",
                  "hold_mean_mmhg", "hold_sd_mmhg", "longest_hold_s", "shortfall_mmhg",
                  "time_in_band_s", "peak_mmhg", "breath_ripple_ratio")
_HEAD_FIGURES = ("head_rest_deg", "head_flexion_deg", "head_flexion_sd_deg",
                 "head_flexion_gain_deg")  # issue 17; NULL: not measured (or no sensor)


# The therapist's review of a hypothesis flag is kept as a ``compensation`` annotation
# "confirmed:<flag>" or "dismissed:<flag>" (no schema change); it is not a hand mark.
REVIEW_PREFIXES = {"confirmed:": True, "dismissed:": False}


def review_of(value: str) -> tuple[str, bool] | None:
    for prefix, confirmed in REVIEW_PREFIXES.items():
        if value.startswith(prefix):
            return value[len(prefix):], confirmed
    return None


def review_value(flag_type: str, confirmed: bool) -> str:
    return ("confirmed:" if confirmed else "dismissed:") + flag_type


def scoring_plan(session: SessionRecord) -> ScoringPlan:
    return ScoringPlan.from_protocol(session.protocol)


def nominal_baseline(session: SessionRecord) -> float:
    value = (session.protocol or {}).get("baseline_mmhg")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 20.0


def annotations_of(result: SessionResult) -> Annotations:
    found: Annotations = defaultdict(dict)
    for t in result.trials:
        if t.manual_faults:
            found[t.index]["compensation"] = list(t.manual_faults)
        if t.flag_review:
            found[t.index].setdefault("compensation", []).extend(
                review_value(k, v) for k, v in t.flag_review.items())
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
                      nominal_baseline_mmhg: float,
                      plan: ScoringPlan | None = None) -> SessionResult:
    """A copy of ``result`` with the annotations on its trials, verdicts settled again and the
    scores (and whether it is complete) recomputed — ``None`` where not measured. Annotations
    of trials the result does not have are ignored."""
    out = copy.deepcopy(result)
    for trial in out.trials:
        marks = annotations.get(trial.index, {})
        compensation = marks.get("compensation", [])
        trial.manual_faults = [m for m in compensation if review_of(m) is None]
        trial.flag_review = dict(r for r in map(review_of, compensation) if r is not None)
        override = marks.get("override")
        trial.verdict_override = None if not override else override[-1] == "pass"
        trial.superseded = bool(marks.get("superseded"))
        trial.settle()
    scores = session_scores(out.trials, nominal_baseline_mmhg, plan,
                            ended_early=out.ended_early_s is not None)
    out.activation_score_mmhg = scores.activation_score_mmhg
    out.performance_index = scores.performance_index
    out.complete = scores.complete
    return out


def _reps_done(result: SessionResult) -> int:
    return sum(1 for t in result.trials if t.phase == "training" and t.held and not t.superseded)


def save(conn: sqlite3.Connection, session: SessionRecord, result: SessionResult,
         keep_annotations: bool) -> SessionResult:
    nominal = nominal_baseline(session)
    if keep_annotations:
        annotations = stored_annotations(conn, session.id)
        result = apply_annotations(result, annotations, nominal, scoring_plan(session))
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
        "measured_passed, interrupted, head_lift_motion, "
        + ", ".join(_TRIAL_FIGURES + _HEAD_FIGURES) + ") VALUES ("
        + ", ".join("?" * (10 + len(_TRIAL_FIGURES) + len(_HEAD_FIGURES))) + ")",
        [(session.id, t.index, t.phase, t.target_mmhg, t.reached, t.held, t.passed,
          t.measured_passed, t.interrupted, t.head_lift_motion,
          *(getattr(t, f) for f in _TRIAL_FIGURES),
          *(_nan_as_null(getattr(t, f)) for f in _HEAD_FIGURES))
         for t in result.trials])
    faults: list[tuple[int | None, Fault]] = [
        (t.index, f) for t in result.trials for f in t.faults]
    faults += [(t.index, f) for t in result.trials for f in t.flags]  # hypothesis flags
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
        "performance_index = ?, reps_done = ?, complete = ?, ended_early_s = ? WHERE id = ?",
        (result.baseline_mmhg, result.rate_hz,
         result.activation_score_mmhg if clinic else None,  # None (not measured): NULL
         result.performance_index if clinic else None,
         _reps_done(result) if training else None, result.complete, result.ended_early_s,
         session.id))


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
            held=bool(row["held"]), passed=bool(row["passed"]),
            faults=[f for f in faults[row["idx"]] if f.type not in FLAG_TYPES],
            flags=[f for f in faults[row["idx"]] if f.type in FLAG_TYPES],
            interrupted=bool(row["interrupted"]),
        )
        for name in _TRIAL_FIGURES[3:]:
            setattr(trial, name, nan_if_none(row[name]))
        trial.longest_hold_s = 0.0 if math.isnan(trial.longest_hold_s) else trial.longest_hold_s
        trial.time_in_band_s = 0.0 if math.isnan(trial.time_in_band_s) else trial.time_in_band_s
        for name in _HEAD_FIGURES:
            setattr(trial, name, nan_if_none(row[name]))
        lift = row["head_lift_motion"]
        trial.head_lift_motion = None if lift is None else bool(lift)
        trials.append(trial)
    bare = SessionResult(session.baseline_mmhg, trials, faults[None], None, None,
                         session.rate_hz, ended_early_s=session.ended_early_s)
    bare.head_measured = any(t.head_lift_motion is not None or any(
        math.isfinite(getattr(t, f)) for f in _HEAD_FIGURES) for t in trials)
    if bare.head_measured:
        bare.head_slope = flexion_slope(trials, AnalysisConfig())
    return apply_annotations(bare, stored_annotations(conn, session.id),
                             nominal_baseline(session), scoring_plan(session))


def _nan_as_null(value: float) -> float | None:
    return None if value != value else value


def keep_annotation(conn: sqlite3.Connection, session_id: int, trial_index: int, kind: str,
                    value: str | None) -> None:
    """Add (or with ``value`` None, remove) an annotation row, nothing else."""
    if kind != "compensation" or value is None:  # a flag's review is not a hand mark: kept
        conn.execute("DELETE FROM annotations WHERE session_id = ? AND trial_idx = ? AND "
                     "kind = ? AND NOT (kind = 'compensation' AND (value LIKE 'confirmed:%' "
                     "OR value LIKE 'dismissed:%'))", (session_id, trial_index, kind))
    if value is not None:
        conn.execute("INSERT INTO annotations (session_id, trial_idx, kind, value) "
                     "VALUES (?, ?, ?, ?)", (session_id, trial_index, kind, value))


def keep_review(conn: sqlite3.Connection, session_id: int, trial_index: int, flag_type: str,
                confirmed: bool | None) -> None:
    """Replace the review of one flag on one trial (None: no review), nothing else."""
    conn.execute("DELETE FROM annotations WHERE session_id = ? AND trial_idx = ? AND "
                 "kind = 'compensation' AND value IN (?, ?)",
                 (session_id, trial_index, review_value(flag_type, True),
                  review_value(flag_type, False)))
    if confirmed is not None:
        keep_annotation(conn, session_id, trial_index, "compensation",
                        review_value(flag_type, confirmed))


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


def review(conn: sqlite3.Connection, session: SessionRecord, trial_index: int, flag_type: str,
           confirmed: bool | None) -> None:
    """The therapist confirms or dismisses a hypothesis flag (None: takes it back); verdicts
    and scores follow. Refused when the trial has no such flag."""
    if conn.execute("SELECT 1 FROM faults WHERE session_id = ? AND trial_idx = ? AND type = ?",
                    (session.id, trial_index, flag_type)).fetchone() is None:
        raise RecordsError(f"session {session.id} trial {trial_index} has no {flag_type} flag")
    keep_review(conn, session.id, trial_index, flag_type, confirmed)
    result = load(conn, session)
    conn.executemany("UPDATE trials SET passed = ? WHERE session_id = ? AND idx = ?",
                     [(t.passed, session.id, t.index) for t in result.trials])
    _store_scores(conn, session, result)
