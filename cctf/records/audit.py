"""Changes to a finished session, kept as an audit trail: who changed what, when, and why.

After a session has ended the therapist may still add notes, override a verdict or mark
compensation they saw (on video, say). Each change is applied (verdicts and scores follow, as
during the recording) and a ``session_edits`` row records the time and the reason in the same
transaction, so the change and its record cannot part. Reports list the trail.

    edit_override(records, session_id, trial_index, passed=True, reason="…", now=…)
    edits(records, session_id)  # oldest first
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cctf.errors import ConfigError, RecordsError
from cctf.records.db import transaction
from cctf.records.models import MAX_NOTES, clean_text
from cctf.records.store import Records

MAX_REASON = 500
COMPENSATION_KINDS = ("scm", "breath", "jaw", "other")


@dataclass(frozen=True, slots=True)
class SessionEdit:
    id: int
    session_id: int
    at: str  # ISO 8601 with the UTC offset
    action: str  # notes, override, compensation, clear_compensation
    trial_index: int | None
    value: str
    reason: str


def _stamp(now: datetime | None) -> str:
    when = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.astimezone()
    return when.isoformat(timespec="seconds")


def _reason(reason: str, required: bool) -> str:
    text = clean_text(reason, "reason", MAX_REASON, multiline=False)
    if required and not text:
        raise ConfigError("a change to a finished session needs a reason (it is kept with "
                          "the session and shown on its report)")
    return text


def _finished(records: Records, session_id: int, trial_index: int | None = None) -> None:
    session = records.session(session_id)
    if session.status == "recording":
        raise RecordsError(f"session {session_id} is still recording: change it from the "
                           "clinic screen")
    if trial_index is not None:
        result = records.load_result(session_id)
        if result is None or all(t.index != trial_index for t in result.trials):
            raise RecordsError(f"session {session_id} has no trial {trial_index + 1}")


def _log(records: Records, session_id: int, action: str, trial_index: int | None, value: str,
         reason: str, now: datetime | None) -> None:
    records.conn.execute(
        "INSERT INTO session_edits (session_id, at, action, trial_idx, value, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)", (session_id, _stamp(now), action, trial_index, value,
                                      reason))


def edit_notes(records: Records, session_id: int, notes: str, *, reason: str = "",
               now: datetime | None = None) -> None:
    """Replace the therapist's notes (the trail keeps that they changed, and when)."""
    _finished(records, session_id)
    text = clean_text(notes, "therapist notes", MAX_NOTES, multiline=True)
    if text == records.session(session_id).therapist_notes:
        return
    with transaction(records.conn):
        records.set_notes(session_id, text)
        _log(records, session_id, "notes", None, f"{len(text)} characters",
             _reason(reason, False), now)


def edit_override(records: Records, session_id: int, trial_index: int, passed: bool | None,
                  *, reason: str, now: datetime | None = None) -> None:
    """The therapist's verdict on a trial (None: back to the measured one)."""
    _finished(records, session_id, trial_index)
    why = _reason(reason, True)
    with transaction(records.conn):
        records.override_verdict(session_id, trial_index, passed)
        value = "measured" if passed is None else ("pass" if passed else "fail")
        _log(records, session_id, "override", trial_index, value, why, now)


def edit_compensation(records: Records, session_id: int, trial_index: int, kind: str | None,
                      *, reason: str, now: datetime | None = None) -> None:
    """Compensation seen afterwards (fails the trial); ``kind`` None clears the marks."""
    _finished(records, session_id, trial_index)
    why = _reason(reason, True)
    if kind is not None and kind not in COMPENSATION_KINDS:
        raise ConfigError(f"compensation must be one of {', '.join(COMPENSATION_KINDS)}")
    with transaction(records.conn):
        if kind is None:
            records.clear_compensation(session_id, trial_index)
            _log(records, session_id, "clear_compensation", trial_index, "", why, now)
        else:
            records.mark_compensation(session_id, trial_index, kind)
            _log(records, session_id, "compensation", trial_index, kind, why, now)


def edit_flag_review(records: Records, session_id: int, trial_index: int, flag_type: str,
                     confirmed: bool | None, *, reason: str,
                     now: datetime | None = None) -> None:
    """Confirm (True: fails the trial) or dismiss (False) a hypothesis flag such as
    ``breath_hold`` afterwards, or take the review back (None). Logged as a ``compensation``
    edit whose value is ``confirmed:``, ``dismissed:`` or ``unreviewed:`` and the flag (the
    session_edits CHECK predates flags; no schema change)."""
    _finished(records, session_id, trial_index)
    why = _reason(reason, True)
    word = {True: "confirmed", False: "dismissed", None: "unreviewed"}[confirmed]
    with transaction(records.conn):
        records.review_flag(session_id, trial_index, flag_type, confirmed)
        _log(records, session_id, "compensation", trial_index, f"{word}:{flag_type}", why, now)


def edits(records: Records, session_id: int) -> list[SessionEdit]:
    rows = records.conn.execute(
        "SELECT * FROM session_edits WHERE session_id = ? ORDER BY id", (session_id,))
    return [SessionEdit(r["id"], r["session_id"], r["at"], r["action"], r["trial_idx"],
                        r["value"], r["reason"]) for r in rows.fetchall()]


# --- in patient archives (cctf export / import) ---------------------------------------------

ACTIONS = ("notes", "override", "compensation", "clear_compensation")


def to_dicts(records: Records, session_id: int) -> list[dict[str, object]]:
    return [{"at": e.at, "action": e.action, "trial_index": e.trial_index, "value": e.value,
             "reason": e.reason} for e in edits(records, session_id)]


def check_dicts(rows: object) -> list[dict[str, object]]:
    """An archive's ``edits`` list, checked (``ValueError`` naming the problem)."""
    if not isinstance(rows, list):
        raise ValueError("edits must be a list")
    for row in rows:
        if not isinstance(row, dict) or row.get("action") not in ACTIONS:
            raise ValueError("an edit is malformed")
        datetime.fromisoformat(str(row.get("at"))[:40])
        idx = row.get("trial_index")
        if idx is not None and not isinstance(idx, int):
            raise ValueError("an edit's trial is not a number")
        for key, limit in (("value", 40), ("reason", MAX_REASON)):
            if not isinstance(row.get(key, ""), str) or len(row.get(key, "")) > limit:
                raise ValueError(f"an edit's {key} is malformed")
    return rows  # type: ignore[return-value]


def restore(records: Records, session_id: int, rows: list[dict[str, object]]) -> None:
    """The trail itself (the changes' effects come with the annotations and notes)."""
    records.conn.executemany(
        "INSERT INTO session_edits (session_id, at, action, trial_idx, value, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(session_id, str(r["at"]), r["action"], r.get("trial_index"),
          clean_text(r.get("value", ""), "value", 40, multiline=False),
          clean_text(r.get("reason", ""), "reason", MAX_REASON, multiline=False))
         for r in rows])
