"""The therapist's annotations in a session file's header, so that they travel with the file.

The app keeps a session's annotations — compensation marked by hand, a verdict overridden, a
trial repeated (superseded), a hypothesis flag confirmed or dismissed — in the records. A
file taken to another machine (``cctf import``), analysed on its own (``cctf analyze``) or
used to rebuild lost records would otherwise be judged on the signal alone, with other
scores than the app showed. So the recorder's closing header gets one line:

    # annotations: {"1":{"compensation":["scm"]},"3":{"override":["pass"]}}

the records' own shape (``Annotations``, kept as such in the records): trial index (from 0, as the
analysis numbers the file's trials) → ``compensation`` (a hand mark's kind, or
``confirmed:<flag>`` / ``dismissed:<flag>``), ``override`` (``pass``/``fail``, the last one
counts) and ``superseded`` (``yes``). ``none``: the therapist changed nothing. The line holds
what was decided while the file was recorded; changes made afterwards are in the records'
audit trail (a patient archive carries both). A file without the line (older cctf, a crash)
is judged on the signal alone, as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

ANNOTATIONS_KEY = "annotations"
KINDS = ("compensation", "override", "superseded")
MAX_TRIALS = 1000  # far more trials than any session has
MAX_VALUE_CHARS = 40

Annotations = dict[int, dict[str, list[str]]]  # trial index → kind → values


def annotations_metadata(annotations: Mapping[int, Mapping[str, Sequence[str]]]
                         ) -> dict[str, str]:
    """The header line's value: compact JSON, trials in order; ``none`` when empty."""
    marks = {str(k): kinds for k in sorted(annotations)
             if (kinds := {kind: list(v) for kind, v in annotations[k].items() if v})}
    return {ANNOTATIONS_KEY: json.dumps(marks, separators=(",", ":"), ensure_ascii=False)
            if marks else "none"}


def check_annotations(value: object) -> Annotations:
    """The annotations of a file's header line or an archive's entry (a JSON object already
    parsed); ``ValueError`` naming what is wrong."""
    if not isinstance(value, dict):
        raise ValueError("annotations must be an object")
    if len(value) > MAX_TRIALS:
        raise ValueError(f"annotations for more than {MAX_TRIALS} trials")
    found: Annotations = {}
    for idx, marks in value.items():
        try:
            index = int(idx)
        except (TypeError, ValueError):
            raise ValueError(f"annotations: trial {str(idx)[:20]!r} is not a number") from None
        if index < 0 or str(index) != str(idx).strip():
            raise ValueError(f"annotations: trial {str(idx)[:20]!r} is not a trial index")
        if not isinstance(marks, dict) or not all(
                k in KINDS and isinstance(v, list)
                and all(isinstance(x, str) and 0 < len(x) <= MAX_VALUE_CHARS for x in v)
                for k, v in marks.items()):
            raise ValueError(f"annotations of trial index {index} are malformed")
        if any(v not in ("pass", "fail") for v in marks.get("override", [])):
            raise ValueError(f"annotations of trial index {index}: an override is 'pass' or 'fail'")
        if any(v != "yes" for v in marks.get("superseded", [])):
            raise ValueError(f"annotations of trial index {index}: superseded is 'yes'")
        found[index] = {k: list(v) for k, v in marks.items()}
    return found


def parse_annotations(metadata: Mapping[str, str]) -> Annotations | None:
    """The file's annotations: None when the header has no such line (older cctf, a crash),
    ``{}`` for ``none``; ``ValueError`` if malformed."""
    text = metadata.get(ANNOTATIONS_KEY)
    if text is None:
        return None
    text = text.strip()
    if text == "none":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError("annotations is not JSON (expected 'none' or an object of "
                         "trials)") from None
    return check_annotations(value)
