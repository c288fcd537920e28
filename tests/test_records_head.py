"""The records keep the head sensor's per-trial figures (schema v7 'head_angles', issue 17)."""

from __future__ import annotations

import math
import shutil
from datetime import datetime

import pytest

from cctf.analysis.offline import analyze_recording
from cctf.cli import main
from cctf.records.recovery import begin_session, complete_session
from cctf.records.startup import open_records
from cctf.sessionfile import read_session
from cctf.sim.scenarios import load_scenario


def test_head_figures_and_flags_survive_storing_and_loading(tmp_path):
    csv = tmp_path / "r.csv"
    seconds = str(load_scenario("retraction").duration_s)
    assert main(["record", "--sim", "retraction", "--fast", "--seconds", seconds,
                 "-o", str(csv)]) == 0
    fresh = analyze_recording(read_session(csv))
    records = open_records(tmp_path / "data")
    try:
        records.add_patient("P-17")
        active = begin_session(records, "P-17", "clinic", started_at=datetime(2025, 3, 3, 10))
        shutil.copyfile(csv, active.csv_path)
        s = complete_session(records, active)
        stored = records.load_result(s.id)
        assert stored.head_measured
        for a, b in zip(stored.trials, fresh.trials, strict=True):
            for name in ("head_rest_deg", "head_flexion_deg", "head_flexion_sd_deg",
                         "head_flexion_gain_deg"):
                assert getattr(a, name) == pytest.approx(getattr(b, name))
            assert a.head_lift_motion == b.head_lift_motion
            assert {f.type for f in a.flags} == {f.type for f in b.flags}
            assert not any(f.type == "retraction" for f in a.faults)
        assert stored.head_slope.slope_deg_per_mmhg == pytest.approx(
            fresh.head_slope.slope_deg_per_mmhg)
        # a session stored before v7 (no angles in the records): the PDF takes them from the file
        from cctf.records.report import report_input

        records.conn.execute("UPDATE trials SET head_rest_deg = NULL, head_flexion_deg = NULL, "
                             "head_flexion_sd_deg = NULL, head_flexion_gain_deg = NULL, "
                             "head_lift_motion = NULL WHERE session_id = ?", (s.id,))
        assert not records.load_result(s.id).head_measured
        shown = report_input(records, s.id).result
        assert shown.head_measured and shown.trials[2].head_flexion_deg == pytest.approx(
            fresh.trials[2].head_flexion_deg)
        # the therapist confirms a retraction: the trial fails like a hand mark
        records.review_flag(s.id, 1, "retraction", True)
        assert not records.load_result(s.id).trials[1].passed
        # a session without the sensor stores NULL: not measured, never 0
        plain = tmp_path / "p.csv"
        assert main(["record", "--sim", "overshoot", "--fast", "--seconds", "30",
                     "-o", str(plain)]) == 0
        active = begin_session(records, "P-17", "clinic", started_at=datetime(2025, 3, 4, 10))
        shutil.copyfile(plain, active.csv_path)
        sid = complete_session(records, active).id
        none = records.load_result(sid)
        assert none.trials and not none.head_measured and none.head_slope is None
        assert all(math.isnan(t.head_flexion_deg) and t.head_lift_motion is None
                   for t in none.trials)
        stored_values = records.conn.execute(
            "SELECT head_flexion_deg, head_lift_motion FROM trials WHERE session_id = ?",
            (sid,)).fetchall()
        assert stored_values and all(tuple(r) == (None, None) for r in stored_values)
    finally:
        records.close()
