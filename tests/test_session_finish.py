"""The app's recording and finish path, headless (moved out of the controller, issue 17):
rows into the file with the therapist's marks and the head's columns, the actions, where a
recording without a patient goes, and what ending a session leaves (early end, closing
metadata, the results' report)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from cctf.session.active import ActiveSession, recording_path
from cctf.session.finish import closing_metadata, finish_runner, session_report
from cctf.session.settings import preset
from cctf.sessionfile import HEAD_COLUMNS

from .clinic_harness import ClinicHarness


class _Recorder:
    """What the session asks of the app's BackgroundRecorder."""

    def __init__(self, head: bool) -> None:
        self.extra_columns = ("raw", "flags", "seq", "marker") + (HEAD_COLUMNS if head else ())
        self.path = "s.csv"
        self.written: list[tuple] = []

    def write(self, t, p, target, phase, extra) -> None:
        self.written.append((t, p, target, phase, extra))


def _rows(n: int) -> np.ndarray:
    rows = np.zeros(n, dtype=[("t_s", "f8"), ("pressure_mmhg", "f8"), ("raw", "i4"),
                              ("flags", "u1"), ("seq", "u4")])
    rows["pressure_mmhg"] = 20.0
    return rows


def test_rows_carry_the_pending_marks_once_and_the_head_columns_only_with_a_sensor():
    s = ActiveSession("clinic", None, 100.0, _Recorder(head=True))
    assert s.act("Trial 2: passed → failed, by hand") == "0s Trial 2: passed → failed, by hand"
    s.pending_marks.append("swallowed")
    t = np.array([1.0, 1.02, 1.04])
    head = (np.array([1.234, np.nan, 2.0]), np.array([0.5, np.nan, -0.25]))
    s.write(_rows(3), t, np.full(3, np.nan), [""] * 3, head)
    _, _, _, _, extra = s.recorder.written[0]
    assert list(extra["marker"]) == ["Trial 2: passed → failed; by hand | swallowed", "", ""]
    assert list(extra["head_pitch_deg"]) == ["1.23", "", "2.00"]  # not measured: blank, not 0
    assert s.pending_marks == [] and s.latest_t_s == 1.04 and s.has_head
    assert s.act("paused") == "1.0s paused"
    plain = ActiveSession("monitor", None, 0.0, _Recorder(head=False))
    plain.write(_rows(2), np.array([0.0, 0.02]), np.full(2, np.nan), ["", ""], None)
    assert "head_pitch_deg" not in plain.recorder.written[0][4] and not plain.has_head


def test_a_recording_without_a_patient_never_reuses_a_file(tmp_path):
    now = datetime(2026, 12, 1, 14, 5, 9)
    first = recording_path(tmp_path, "clinic", now)
    assert first == tmp_path / "recordings" / "2026-12-01_140509_clinic.csv"
    first.parent.mkdir()
    first.write_text("x")
    second = recording_path(tmp_path, "clinic", now)
    assert second.name == "2026-12-01_140509_clinic-2.csv"
    second.write_text("y")
    assert recording_path(tmp_path, "clinic", now).name == "2026-12-01_140509_clinic-3.csv"


@pytest.fixture(scope="module")
def mid_trial():
    h = ClinicHarness("healthy", preset("research"))
    h.step(25.0)
    h.runner.begin()
    while not (len(h.runner.trials) >= 1 and h.runner.analyzer.open_trial is not None):
        h.step(0.1)
    return h


def test_ending_mid_trial_voids_it_says_so_and_closes_the_file_as_ended_early(mid_trial):
    h = mid_trial
    latest = float(np.concatenate(h.t)[-1])
    s = ActiveSession("clinic", h.runner, 0.0, _Recorder(head=False), latest_t_s=latest)
    under_way = h.runner.analyzer.open_trial.index
    acted: list[str] = []
    ended = finish_runner(s, lambda text: acted.append(s.act(text)))
    assert ended.early is not None and ended.early.interrupted_trial == under_way
    assert ended.early.t_s == latest
    assert acted == [f"{latest:.1f}s trial {under_way + 1} interrupted (not scored)",
                     f"{latest:.1f}s ended early at {latest:.1f} s"]
    assert ended.result is not None and ended.summary is None
    interrupted = next(t for t in ended.result.trials if t.index == under_way)
    assert not interrupted.passed
    final = closing_metadata(None, s, ended, {"lsl_streams": "x"}, {"head_neutral_deg": "y"})
    assert final["ended"] == f"early at {latest:.2f} s"
    assert final["therapist_actions"] == "; ".join(s.actions)
    assert final["lsl_streams"] == "x" and "head_neutral_deg" not in final  # no head columns
    report = session_report(s, ended, 5.0, 5.0 + latest)
    assert (report.ended_early_s, report.interrupted_trial) == (latest, under_way)
    assert report.actions == tuple(s.actions) and report.session_id is None
    assert report.result is ended.result and report.kind == "clinic"


def test_a_monitor_recording_ends_complete_with_the_head_neutral_when_it_has_head_columns():
    s = ActiveSession("monitor", None, 0.0, _Recorder(head=True))
    ended = finish_runner(s)
    assert ended.result is None and ended.early is None and ended.events == []
    final = closing_metadata(None, s, ended, {}, {"head_neutral_deg": "pitch 4.00 roll -1.00"})
    assert final["ended"] == "complete" and final["therapist_actions"] == "none"
    assert final["head_neutral_deg"] == "pitch 4.00 roll -1.00"
    assert session_report(s, ended, 0.0, 1.0).ended_early_s is None
