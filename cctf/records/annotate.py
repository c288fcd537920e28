"""Put annotations that came with a file (an archive's entry, a session file's header) on a
session just analysed into the records, through the same calls the app makes."""

from __future__ import annotations

import logging

from cctf.analysis.results import SessionResult
from cctf.file_annotations import Annotations
from cctf.records.results import review_of
from cctf.records.store import Records

log = logging.getLogger(__name__)

_EMPTY = SessionResult(float("nan"), [], [], 0.0, 0.0)


def annotate(records: Records, session_id: int, annotations: Annotations, source: str) -> int:
    """The therapist's marks on the trials the analysis finds again (others are logged, with
    ``source`` saying where they came from); returns how many were applied."""
    found = {t.index: t for t in (records.load_result(session_id) or _EMPTY).trials}
    applied = 0
    for idx, marks in sorted(annotations.items()):
        if idx not in found:
            log.warning("session %d: no trial %d for the %s's annotations %s",
                        session_id, idx, source, marks)
            continue
        for kind in marks.get("compensation", []):
            review = review_of(kind)  # a flag's review, on the flag the analysis finds again
            if review is None:
                records.mark_compensation(session_id, idx, kind)
            elif any(f.type == review[0] for f in found[idx].flags):
                records.review_flag(session_id, idx, review[0], review[1])
            else:
                log.warning("session %d: trial %d has no %s flag for the %s's review",
                            session_id, idx, review[0], source)
                continue
            applied += 1
        if marks.get("override"):
            records.override_verdict(session_id, idx, marks["override"][-1] == "pass")
            applied += 1
        if marks.get("superseded"):
            records.supersede(session_id, idx)
            applied += 1
    return applied
