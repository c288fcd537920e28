"""The head sensor's hypotheses reviewed like possible breath holding (issue 17): a confirmed
retraction or chin poke fails the trial exactly as a confirmed breath hold does, H acts on the
head flags in turn (undoable), head_lift says whether the motion confirms it, the live panel's
angles, `cctf record --head-neutral`, and the progress across sessions."""

from __future__ import annotations

import copy
import math
import shutil
import subprocess
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from cctf import texts
from cctf.analysis.breath import review_flag
from cctf.analysis.head import HEAD_FLAG_TYPES
from cctf.analysis.offline import analyze_recording
from cctf.analysis.results import Fault, TrialResult
from cctf.analysis.scoring import ScoringPlan
from cctf.cli import main
from cctf.errors import ConfigError
from cctf.records import audit
from cctf.records.clinic_settings import ClinicSettings
from cctf.records.edf import session_annotations
from cctf.records.progress import progress
from cctf.records.progress_head import head_progress, head_summary
from cctf.records.progress_report import write_progress_report
from cctf.records.recovery import begin_session, complete_session
from cctf.records.report import report_input, write_session_report
from cctf.records.startup import open_records
from cctf.session.corrections import Corrections
from cctf.session.flag_review import FlagReviews
from cctf.session.head_live import (
    HeadLive,
    hold_flexion_deg,
    live_head_text,
    live_head_texts,
)
from cctf.sessionfile import read_session
from cctf.sim.scenarios import load_scenario


def _record(folder, scenario: str, *extra: str, seconds: float | None = None):
    path = folder / f"{scenario}{len(extra)}.csv"
    seconds = seconds or load_scenario(scenario).duration_s
    assert main(["record", "--sim", scenario, "--fast", "--seconds", str(seconds),
                 "-o", str(path), *extra]) == 0
    return path


@pytest.fixture(scope="module")
def retraction_csv(tmp_path_factory):
    return _record(tmp_path_factory.mktemp("retraction"), "retraction")


@pytest.fixture(scope="module")
def retraction(retraction_csv):
    return analyze_recording(read_session(retraction_csv))


# --- one meaning: a confirmed head flag fails the trial like a confirmed breath hold ----------


def test_a_confirmed_retraction_fails_the_trial_and_the_scores_like_a_confirmed_breath_hold(
        retraction):
    r_head = copy.deepcopy(retraction)
    k = next(t.index for t in r_head.trials if any(f.type == "retraction" for f in t.flags))
    assert k == 1 and r_head.trials[k].passed and r_head.activation_score_mmhg == 10
    # The same session, the same trial flagged as possible breath holding instead.
    r_breath = copy.deepcopy(retraction)
    t_b = r_breath.trials[k]
    t_b.flags = [Fault("breath_hold", t_b.cue_start_s, 6.0) if f.type == "retraction" else f
                 for f in t_b.flags]
    stored = []
    head = FlagReviews(r_head, ScoringPlan(), 20.0, store=lambda *a: stored.append(a))
    breath = FlagReviews(r_breath, ScoringPlan(), 20.0)
    change = head.review(k, "retraction", True)
    breath.review(k, "breath_hold", True)
    assert change.text == "Trial 2: passed → failed (possible retraction confirmed)"
    assert stored == [(1, "retraction", True, texts.FLAG_REVIEW_RESULTS_REASON)]
    for r in (r_head, r_breath):
        assert not r.trials[k].passed and not r.trials[k].measured_passed
        assert r.activation_score_mmhg == 2  # only 22 mmHg held without compensation
    assert r_head.performance_index == r_breath.performance_index
    assert r_head.complete == r_breath.complete
    head.review(k, "retraction", False)  # dismissed: passes again, score back
    assert r_head.trials[k].passed and r_head.activation_score_mmhg == 10
    assert head.undo().review is False and r_head.activation_score_mmhg == 2
    assert head.flag_types(k) == ["retraction"] and head.any_flag


def test_a_head_flag_confirmed_in_the_records_fails_the_trial_there_too(tmp_path, retraction_csv):
    """Records.review_flag / audit.edit_flag_review take any flag type; the score follows."""
    records = open_records(tmp_path / "data")
    try:
        records.add_patient("P-1")
        active = begin_session(records, "P-1", "clinic")
        active.csv_path.write_bytes(retraction_csv.read_bytes())
        sid = complete_session(records, active).id
        assert records.session(sid).activation_score_mmhg == 10
        with pytest.raises(ConfigError, match="needs a reason"):
            audit.edit_flag_review(records, sid, 2, "retraction", True, reason="")
        audit.edit_flag_review(records, sid, 2, "retraction", True, reason="seen retracting")
        assert records.session(sid).activation_score_mmhg == 4  # 26 mmHg failed: 24 held
        assert records.load_result(sid).trials[2].flag_review == {"retraction": True}
        assert [e.value for e in audit.edits(records, sid)] == ["confirmed:retraction"]
        # The reports carry the review: the PDF's trial table, its edit trail, and EDF+.
        result = records.load_result(sid)
        notes = session_annotations(result, 0.0, read_session(retraction_csv).t_s)
        mine = [a.text for a in notes if a.text.startswith("trial 3 flag retraction")]
        assert len(mine) == 1 and "confirmed by the therapist" in mine[0]
        if shutil.which("pdftotext"):
            pdf = write_session_report(report_input(records, sid), tmp_path / "r.pdf",
                                       clinic=ClinicSettings())
            text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                                  capture_output=True, text=True).stdout
            assert "possible retraction" in text and "confirmed by the therapist" in text
            assert "trial 3: possible retraction confirmed" in text
    finally:
        records.close()


# --- H during the test: the head flags in turn -----------------------------------------------


class _Runner:
    """The two things ``Corrections.review`` asks of a runner, over finished trials."""

    def __init__(self, trials: list[TrialResult]) -> None:
        self.trials = trials
        self.analyzer = SimpleNamespace(open_trial=None, trials=trials)

    def review_flag(self, index: int, flag_type: str, confirmed: bool | None) -> None:
        review_flag(self.trials[index], flag_type, confirmed)


def _trial(index: int, *flags: str) -> TrialResult:
    t = TrialResult(index, "stage", 22.0 + 2 * index, 10.0 * index, 10.0 * index + 20, 20.0,
                    reached=True, held=True, passed=True)
    t.flags = [Fault(k, 10.0 * index + 5, 2.0) for k in flags]
    return t


def test_h_confirms_the_latest_trials_head_flags_one_by_one_and_undo_takes_them_back():
    trials = [_trial(0, "retraction"), _trial(1, "breath_hold", "retraction", "chin_poke"),
              _trial(2)]
    stored = []
    fixes = Corrections(_Runner(trials), store=lambda *a: stored.append(a))
    first = fixes.review(HEAD_FLAG_TYPES, True)
    assert (first.trial_index, first.mark) == (1, "retraction") and not trials[1].passed
    assert first.text == "Trial 2: passed → failed (possible retraction confirmed)"
    second = fixes.review(HEAD_FLAG_TYPES, True)  # again: the next head flag of that trial
    assert (second.trial_index, second.mark) == (1, "chin_poke")
    assert second.text == "Trial 2: failed → failed (possible chin poke confirmed)"
    assert fixes.review(HEAD_FLAG_TYPES, True) is None  # all confirmed: nothing left
    assert trials[1].flag_review == {"retraction": True, "chin_poke": True}
    assert "breath_hold" not in trials[1].flag_review  # B's flag is not H's
    fixes.select(0)  # a row chosen since the last trial started
    dismissed = fixes.review(HEAD_FLAG_TYPES, False)
    assert (dismissed.trial_index, dismissed.mark) == (0, "retraction") and trials[0].passed
    assert stored == [("review_flag", 1, "retraction", True), ("review_flag", 1, "chin_poke", True),
                      ("review_flag", 0, "retraction", False)]
    for _ in range(3):
        fixes.undo()
    assert all(t.flag_review == {} for t in trials) and trials[1].passed
    assert stored[-1] == ("review_flag", 1, "retraction", None)


# --- head_lift confirmed by motion, where the fault is shown ----------------------------------


def test_head_lift_says_whether_the_head_sensor_saw_the_head_rise(tmp_path):
    from cctf.gui.results_screen import trial_row as app_row
    from cctf.records.report import trial_row as pdf_row

    assert texts.fault_words("head_lift", 2.0) == texts.describe_fault("head_lift", 2.0)
    assert "not confirmed by motion" in texts.fault_words("head_lift", 2.0, False)
    result = analyze_recording(read_session(_record(tmp_path, "head-lift")))
    lifted = [t for t in result.trials if any(f.type == "head_lift" for f in t.faults)]
    assert lifted and all(t.head_lift_motion for t in lifted)
    t = lifted[0]
    app, pdf = app_row(t)[0][4], pdf_row(t, 10.0, head=True)[0][5]
    for words in (app, pdf):
        assert "possible head lift" in words and "confirmed by motion: the head rose" in words
    t.head_lift_motion = None  # no sensor: the fault alone, as before
    assert "motion" not in app_row(t)[0][4] and "motion" not in pdf_row(t, 10.0)[0][4]


# --- the live trial panel's angles -------------------------------------------------------------


def test_the_live_angles_say_not_measured_never_zero():
    text = live_head_text([(22.0, 3.14), (24.0, math.nan)], True, math.nan, True)
    assert text == "head flexion — this hold not measured · 22 mmHg 3.1° · 24 mmHg not measured"
    assert "0.0°" not in text
    assert live_head_text([], True) == "head flexion — this hold: from reaching the target"
    assert live_head_text([(22.0, 2.0)], False) == "head flexion — 22 mmHg 2.0°"  # resting
    assert live_head_text([], False) == ""  # between trials, nothing finished yet


def test_the_live_line_for_a_narrow_panel_leaves_out_the_oldest_stages_first():
    """Issue 17: at 1280 px the panel shows the longest of these that fits."""
    stages = [(22.0, 2.6), (24.0, math.nan), (26.0, 1.2), (28.0, 1.6), (30.0, 2.0)]
    lines = live_head_texts(stages, True, 1.9, True)  # holding in endurance
    assert lines[0] == live_head_text(stages, True, 1.9, True)  # the whole, in the tooltip
    assert lines[1] == ("head flexion — this hold 1.9° · … · 24 mmHg not measured · "
                        "26 mmHg 1.2° · 28 mmHg 1.6° · 30 mmHg 2.0°")
    assert lines[-2] == "head flexion — this hold 1.9° · … · 30 mmHg 2.0°"
    assert lines[-1] == "head flexion — this hold 1.9° · …"  # the last resort
    assert [len(t) for t in lines] == sorted((len(t) for t in lines), reverse=True)
    # Not reached yet: the long words only with a stage beside them, then the short ones.
    waiting = live_head_texts(stages[:2], True)
    assert waiting == [
        "head flexion — this hold: from reaching the target · 22 mmHg 2.6° · 24 mmHg not "
        "measured",
        "head flexion — this hold: from reaching the target · … · 24 mmHg not measured",
        "head flexion — this hold: not yet · 22 mmHg 2.6° · 24 mmHg not measured",
        "head flexion — this hold: not yet · … · 24 mmHg not measured",
        "head flexion — this hold: not yet · …"]
    resting = live_head_texts(stages[:3], False)  # between trials: a stage always stays
    assert resting[-1] == "head flexion — … · 26 mmHg 1.2°" and len(resting) == 3
    assert live_head_texts([], False) == [""]


def test_the_flexion_at_the_hold_so_far_needs_most_of_the_hold_measured():
    head = HeadLive(fitted=True)
    t = np.arange(0, 10, 0.02)
    rows = np.zeros(len(t), dtype=[("head_pitch_deg", "f8"), ("head_roll_deg", "f8")])
    rows["head_pitch_deg"] = np.where(t > 5, 4.0, 0.0)
    rows["head_roll_deg"] = 0.0
    rows["head_pitch_deg"][(t > 8) & (t < 8.5)] = np.nan  # a short loss: still measured
    head.feed(t, rows)
    assert hold_flexion_deg(head, 6.0, 9.9) == pytest.approx(4.0)
    rows2 = rows.copy()
    rows2["head_pitch_deg"][:] = np.nan  # then the sensor goes quiet for 2 s
    head.feed(t[-100:] + 10, rows2[-100:])  # 18–20 s
    assert math.isnan(hold_flexion_deg(head, 18.0, 20.0))  # not measured, not 0
    assert math.isnan(hold_flexion_deg(HeadLive(False), 6.0, 9.9))  # no sensor


# --- cctf record --head-neutral ---------------------------------------------------------------


@pytest.mark.parametrize("bad", ["4", "4,x", "4,nan", "-200,1", "1,2,3", ""])
def test_a_bad_head_neutral_is_one_cctf_line_and_exit_2(tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as exc:
        main(["record", "--sim", "head-nod", "--fast", "--seconds", "3",
              "-o", str(tmp_path / "x.csv"), f"--head-neutral={bad}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cctf: ") and "PITCH,ROLL" in err[0]
    assert not (tmp_path / "x.csv").exists()


def test_a_given_neutral_zeroes_every_angle_from_the_start(tmp_path):
    own = read_session(_record(tmp_path, "head-nod", seconds=12))
    given = read_session(_record(tmp_path, "head-nod", "--head-neutral=3,-1", seconds=12))
    assert given.metadata["head_neutral_deg"] == "pitch 3.00 roll -1.00"
    # Zeroed from the first still 2 s, the default: no angle until that window ended; with a
    # neutral given, every measured sample has one (the sensor settles for 0.5 s after START).
    assert np.isnan(own.head_pitch_deg[own.t_s < 2.0]).all()
    assert np.isfinite(given.head_pitch_deg[given.t_s > 0.6]).all()
    late = (own.t_s > 3.0) & np.isfinite(own.head_pitch_deg)
    shift = given.head_pitch_deg[late] - own.head_pitch_deg[late]
    assert shift == pytest.approx(np.full(late.sum(), shift.mean()), abs=0.011)  # 2-dp cells
    assert shift.mean() == pytest.approx(1.0, abs=0.05)  # the patient's rest is 4°, given 3°


# --- progress across sessions ----------------------------------------------------------------


def test_progress_lists_the_flexion_per_test_and_not_measured_without_a_sensor(
        tmp_path, retraction_csv):
    healthy = _record(tmp_path, "healthy", seconds=140)
    records = open_records(tmp_path / "data")
    try:
        records.add_patient("P-1")
        for csv in (healthy, retraction_csv):
            active = begin_session(records, "P-1", "clinic")
            active.csv_path.write_bytes(csv.read_bytes())
            complete_session(records, active)
        found = head_progress(records, progress(records, "P-1").all)
        assert [h.measured for h in found] == [False, True]
        assert found[0].stage_words == found[0].slope_words == "not measured"
        assert found[1].stage_words.startswith("22: 2.6°, 24: 0.8°")
        assert found[1].slope_words.startswith("-0.03°/mmHg")
        line = head_summary(found)
        assert "not measured" in line and "-0.03°/mmHg" in line
        assert head_summary(found[:1]) == ""  # no test had a sensor: nothing shown
        if shutil.which("pdftotext"):
            pdf = write_progress_report(records, "P-1", tmp_path / "p.pdf", today=date.today(),
                                        clinic=ClinicSettings())
            text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                                  capture_output=True, text=True).stdout
            assert texts.HEAD_PROGRESS_TITLE in " ".join(text.split())
            rows = [ln for ln in text.splitlines() if "°/mmHg" in ln or "22: 2.6°" in ln]
            assert any("-0.03°/mmHg" in ln and "22: 2.6°" in ln for ln in rows), rows
            assert sum("not measured" in ln for ln in text.splitlines()) >= 1
    finally:
        records.close()
