"""Event markers as one-line strings: what cctf's LSL events stream carries (docs/lsl.md).

Each marker is ``kind key=value ...`` — the first word says what happened, so a script can
split on spaces; trials are numbered from 1 as everywhere people read them. Markers are
machine text (a contract for analysis scripts), not words for the screen.

    cue target_mmhg=24 phase=stage        a target was cued (``cue none``: no target)
    trial_start trial=3 phase=stage target_mmhg=24
    reached trial=3 | held trial=3 | hold_broken trial=3
    fault trial=3 type=overshoot value=1.24
    verdict trial=3 phase=stage passed    (or ``failed``)
    session_event type=leak value=0.51
    therapist <what the therapist did or marked>
    link disconnected | link reconnected duration_s=3.012 | link device_reset | link gap ...
    recording start | recording stop
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cctf.analysis.results import Event


def _num(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "nan"


def cue_marker(target_mmhg: float, phase: str) -> str:
    if math.isnan(target_mmhg):
        return "cue none"
    return f"cue target_mmhg={target_mmhg:g} phase={phase or 'none'}"


def event_marker(e: Event) -> str | None:
    """An analysis event as a marker (None for kinds that are not streamed)."""
    trial = f"trial={e.trial + 1}" if e.trial is not None else "trial=none"
    if e.kind == "trial_start":
        return f"trial_start {trial} phase={e.type or 'none'} target_mmhg={e.value:g}"
    if e.kind in ("reached", "held", "hold_broken"):
        return f"{e.kind} {trial}"
    if e.kind == "fault":
        return f"fault {trial} type={e.type} value={_num(e.value)}"
    if e.kind == "trial_end":
        return f"verdict {trial} phase={e.type or 'none'} " + (
            "passed" if e.value == 1.0 else "failed")
    if e.kind == "session":
        return f"session_event type={e.type} value={_num(e.value)}"
    return None


def link_marker(kind: str, duration_s: float = 0.0) -> str:
    return f"link {kind}" + (f" duration_s={duration_s:.3f}" if duration_s else "")


def therapist_marker(text: str) -> str:
    return "therapist " + " ".join(text.split())


def cue_changes(
    t_s: np.ndarray, target_mmhg: np.ndarray, phase: Sequence[str],
    last: tuple[float, str] | None,
) -> tuple[list[tuple[float, str]], tuple[float, str] | None]:
    """Markers where (target, phase) changes, at the first sample of each new cue; ``last`` is
    the cue before these samples (None at the start) and the new one is returned with them."""
    out: list[tuple[float, str]] = []
    for i in range(len(t_s)):
        key = (float(target_mmhg[i]), str(phase[i]) if not math.isnan(target_mmhg[i]) else "")
        if last is None or not _same(key, last):
            if last is not None or not math.isnan(key[0]):
                out.append((float(t_s[i]), cue_marker(*key)))
            last = key
    return out, last


def _same(a: tuple[float, str], b: tuple[float, str]) -> bool:
    both_nan = math.isnan(a[0]) and math.isnan(b[0])
    return (both_nan or a[0] == b[0]) and a[1] == b[1]
