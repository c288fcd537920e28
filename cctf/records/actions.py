"""The therapist's actions on a session, in time order, from what the records keep.

During a recording the app stamps each action (pause, resume, repeat, verdict override,
compensation marked by hand) into the CSV's ``marker`` column at the sample it happened, and
when the file closes lists them all in the ``therapist_actions`` metadata
(``"12.3s paused; 40.0s repeat trial 3 (24 mmHg)"``); markers typed by hand go into the
``marker`` column only. Changes made after the session are in the audit trail
(``cctf.records.audit``). A file cut off by a crash has no ``therapist_actions``: its
actions come from the ``marker`` column alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from cctf import texts
from cctf.records.audit import SessionEdit
from cctf.sessionfile import SessionRecording

_STAMPED = re.compile(r"^\s*(-?\d+(?:\.\d+)?)s\s+(.+?)\s*$")
_ACTION_PATTERNS = tuple(re.compile("^" + re.escape(t).replace(r"\{trial\}", r"\d+")
                                    .replace(r"\{target:g\}", r"[\d.]+")
                                    .replace(r"\{verdict\}", ".+").replace(r"\{kind\}", ".+")
                                    + "$")
                         for t in (texts.ACTION_PAUSED, texts.ACTION_RESUMED,
                                   texts.ACTION_REPEAT, texts.ACTION_OVERRIDE,
                                   texts.ACTION_MARK))


@dataclass(frozen=True, slots=True)
class ActionLine:
    """One row of the list: ``t_s`` (session time) for actions during the session, ``at``
    (wall clock) for changes after it. ``marker`` is set for a hand marker (M1, M2 …)."""

    text: str
    t_s: float = math.nan
    at: str = ""
    marker: str = ""


def is_action(text: str) -> bool:
    """A line the app wrote for a therapist's action (not a marker typed by hand)."""
    clean = text.replace(";", ",")
    return any(p.match(clean) or p.match(text) for p in _ACTION_PATTERNS)


def _stamped_actions(meta: str) -> list[ActionLine]:
    if not meta or meta.strip() == "none":
        return []
    found = []
    for part in meta.split("; "):
        m = _STAMPED.match(part)
        if m:
            found.append(ActionLine(m.group(2), t_s=float(m.group(1))))
    return found


def _marker_column(recording: SessionRecording) -> list[tuple[float, str]]:
    column = recording.extra.get("marker")
    if column is None:
        return []
    found = []
    for k in (i for i, v in enumerate(column) if isinstance(v, str) and v.strip()):
        for part in str(column[k]).split(" | "):
            if part.strip():
                found.append((float(recording.t_s[k]), part.strip()))
    return found


def hand_markers(recording: SessionRecording | None) -> list[ActionLine]:
    """Markers typed by hand, numbered M1, M2 … in time order."""
    if recording is None:
        return []
    marks = [(t, text) for t, text in _marker_column(recording) if not is_action(text)]
    return [ActionLine(text, t_s=t, marker=f"M{k}") for k, (t, text) in
            enumerate(marks, start=1)]


def session_actions(recording: SessionRecording | None) -> list[ActionLine]:
    """Actions during the session and hand markers, in time order."""
    if recording is None:
        return []
    stamped = _stamped_actions(recording.metadata.get("therapist_actions", ""))
    if not stamped and "therapist_actions" not in recording.metadata:
        stamped = [ActionLine(text, t_s=t) for t, text in _marker_column(recording)
                   if is_action(text)]
    lines = stamped + hand_markers(recording)
    return sorted(lines, key=lambda a: a.t_s)


def edit_words(edit: SessionEdit) -> str:
    template = texts.REPORT_EDIT.get(edit.action, edit.action)
    word, _, flag = edit.value.partition(":")
    if edit.action == "compensation" and word in texts.REPORT_EDIT_FLAG:  # a flag's review
        template = texts.REPORT_EDIT_FLAG[word].replace("{flag}", texts.FLAG_NAME.get(flag, flag))
    value = texts.MANUAL_FAULT_TEXT.get(edit.value, edit.value)
    text = template.format(trial=(edit.trial_index or 0) + 1, value=value)
    return texts.REPORT_EDIT_REASON.format(text=text, reason=edit.reason) if edit.reason \
        else text


def edit_lines(edits: list[SessionEdit]) -> list[ActionLine]:
    return [ActionLine(edit_words(e), at=e.at) for e in edits]


def time_words(line: ActionLine) -> str:
    """Session time as m:ss for actions during it; the date and time for later changes."""
    if line.at:
        try:
            return texts.REPORT_EDIT_TIME.format(when=datetime.fromisoformat(line.at))
        except ValueError:
            return line.at
    return clock_words(line.t_s)


def clock_words(t_s: float) -> str:
    if not math.isfinite(t_s) or t_s < 0:
        return "—"
    total = math.floor(t_s + 0.5)
    minutes, secs = divmod(total, 60)
    return f"{minutes}:{secs:02d}"
