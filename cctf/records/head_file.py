"""Head angles of a session stored before the records kept them (schema v7, issue 17).

A session recorded with the head sensor but stored before v7 has NULL head figures in the
records, while its session file has the ``head_pitch_deg,head_roll_deg`` columns. Every view
then takes the angles from the file's analysis (``analyze_recording``, the one meaning), trial
by trial; the stored verdicts and the therapist's annotations stay as they are. The file is
only read, never changed, and the records are not rewritten.

    head_from_recording(result, session, recording)   # the report: the file is read anyway
    head_from_file(records, session, result)          # progress: reads the file only if its
                                                      # header names the head columns

A file that is missing or unreadable leaves the angles "not measured" and is logged.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path

from cctf.analysis.offline import analyze_recording
from cctf.analysis.results import SessionResult
from cctf.errors import CctfError
from cctf.records.meta import analysis_config, read_recorded
from cctf.records.models import SessionRecord
from cctf.records.store import Records
from cctf.sessionfile import SessionRecording
from cctf.sessionread import HEAD_COLUMNS

log = logging.getLogger(__name__)

MEMO_SESSIONS = 256  # files' answers kept: the history window refreshes on every change
_memo: OrderedDict[tuple[object, ...], SessionResult | None] = OrderedDict()
_memo_lock = threading.Lock()  # the PDFs are written on a worker thread, the history on Qt's


def with_head_angles(stored: SessionResult, fresh: SessionResult) -> None:
    """A session stored before the records kept head angles (schema v7, issue 17): take them
    from the session file's fresh analysis, trial by trial (matched by cue time); the stored
    verdicts stay as they are."""
    by_cue = {round(t.cue_start_s, 3): t for t in fresh.trials}
    for t in stored.trials:
        f = by_cue.get(round(t.cue_start_s, 3))
        if f is not None:
            t.head_flexion_deg, t.head_flexion_sd_deg = f.head_flexion_deg, f.head_flexion_sd_deg
            t.head_flexion_gain_deg, t.head_rest_deg = f.head_flexion_gain_deg, f.head_rest_deg
            t.head_lift_motion = f.head_lift_motion
    stored.head_measured, stored.head_slope = fresh.head_measured, fresh.head_slope


def _analysed(session: SessionRecord, recording: SessionRecording) -> SessionResult:
    return analyze_recording(recording, config=analysis_config(session.protocol,
                                                               session.prescription))


def head_from_recording(result: SessionResult, session: SessionRecord,
                        recording: SessionRecording) -> None:
    """Fill in ``result``'s head angles from ``recording`` when the records have none and the
    file has the head columns (otherwise nothing changes)."""
    if recording.has_head and not result.head_measured:
        with_head_angles(result, _analysed(session, recording))


def names_head_columns(path: Path) -> bool:
    """Whether the session file's column header names the head sensor's columns (only the
    header is read). ``OSError`` if the file cannot be read."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            if not line.startswith("#"):
                return set(HEAD_COLUMNS) <= {c.strip() for c in line.split(",")}
    return False


def head_from_file(records: Records, session: SessionRecord, result: SessionResult,
                   recording: SessionRecording | None = None) -> None:
    """Fill in ``result``'s head angles from the session's file when the records have none and
    the file has the head columns (``recording``: the file as the caller has already read it,
    so that it is not read again)."""
    if not result.head_measured:
        fresh = _fresh_from_file(records, session, recording)
        if fresh is not None:
            with_head_angles(result, fresh)


def _fresh_from_file(records: Records, session: SessionRecord,
                     recording: SessionRecording | None = None) -> SessionResult | None:
    """The file's fresh analysis, None without head columns or when the file is missing or
    unreadable (logged). Remembered, failures too, while the file and the session's protocol
    stay the same (``MEMO_SESSIONS``): the history window refreshes on every change."""
    path = records.csv_path(session)
    problem: OSError | None = None
    try:
        st = path.stat()
        stamp: tuple[int, int] | None = (st.st_size, st.st_mtime_ns)
    except OSError as exc:
        stamp, problem = None, exc
    key = (str(path), stamp, json.dumps(session.protocol, sort_keys=True),
           json.dumps(session.prescription, sort_keys=True))
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
    fresh = None
    try:
        if problem is not None:
            raise problem
        if recording is not None:
            fresh = _analysed(session, recording) if recording.has_head else None
        elif names_head_columns(path):
            fresh = _analysed(session, read_recorded(path))
    except (CctfError, OSError) as exc:
        log.warning("session %d: head angles not read from %s (not measured): %s",
                    session.id, path, exc)
    with _memo_lock:
        _memo[key] = fresh
        while len(_memo) > MEMO_SESSIONS:
            _memo.popitem(last=False)
    return fresh
