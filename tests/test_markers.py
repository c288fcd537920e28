"""Marker strings of the LSL events stream: one per analysis event kind, cue changes found the
same whether the samples come one by one, in chunks or all at once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cctf.analysis.results import Event
from cctf.session.markers import cue_changes, event_marker, link_marker, therapist_marker


@pytest.mark.parametrize(("event", "marker"), [
    (Event("trial_start", 1.0, 2, "stage", 24.0), "trial_start trial=3 phase=stage target_mmhg=24"),
    (Event("reached", 2.0, 2), "reached trial=3"),
    (Event("held", 12.0, 2), "held trial=3"),
    (Event("hold_broken", 5.0, 2), "hold_broken trial=3"),
    (Event("fault", 5.0, 2, "overshoot", 1.237), "fault trial=3 type=overshoot value=1.237"),
    (Event("trial_end", 16.0, 2, "stage", 1.0), "verdict trial=3 phase=stage passed"),
    (Event("trial_end", 16.0, 0, "endurance", 0.0), "verdict trial=1 phase=endurance failed"),
    (Event("session", 30.0, None, "leak", 0.5), "session_event type=leak value=0.5"),
    (Event("session", 30.0, None, "signal_gap", math.nan), "session_event type=signal_gap "
                                                            "value=nan"),
])
def test_each_event_kind_has_its_marker(event, marker):
    assert event_marker(event) == marker


def test_link_and_therapist_markers():
    assert link_marker("disconnected") == "link disconnected"
    assert link_marker("reconnected", 3.0123) == "link reconnected duration_s=3.012"
    assert therapist_marker("Trial 2:  verdict\nchanged") == "therapist Trial 2: verdict changed"


def _session():
    t = np.arange(600) * 0.02
    target = np.full(600, np.nan)
    phase = np.full(600, "", dtype=object)
    for a, b, tgt, ph in ((100, 200, 22.0, "stage"), (250, 350, 24.0, "stage"),
                          (350, 450, 24.0, "endurance")):
        target[a:b], phase[a:b] = tgt, ph
    return t, target, phase


@pytest.mark.parametrize("chunk", [1, 7, 600])
def test_cue_changes_are_the_same_for_any_chunking(chunk):
    t, target, phase = _session()
    got, last = [], None
    for i in range(0, len(t), chunk):
        found, last = cue_changes(t[i:i + chunk], target[i:i + chunk], phase[i:i + chunk], last)
        got += found
    assert got == [(2.0, "cue target_mmhg=22 phase=stage"), (4.0, "cue none"),
                   (5.0, "cue target_mmhg=24 phase=stage"),
                   (7.0, "cue target_mmhg=24 phase=endurance"), (9.0, "cue none")]
