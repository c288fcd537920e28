"""The therapist's review of "possible breath holding" outside the analysis: during the test
(B / Shift+B through ``Corrections``, undoable), on the results of a session just ended
(``FlagReviews``, scores follow), in the records (hand marks cleared, reviews kept; the ripple
ratio stored), after the session with a reason (audit trail), in archives and in EDF+."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from cctf import texts
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.scoring import ScoringPlan
from cctf.records import audit
from cctf.records.actions import edit_words
from cctf.records.edf import session_annotations
from cctf.records.recovery import begin_session, complete_session
from cctf.records.startup import open_records
from cctf.session.corrections import Corrections
from cctf.session.flag_review import FlagReviews
from cctf.session.settings import preset

from .clinic_harness import ClinicHarness
from .test_breath_hold import _write_csv, breath_holder, flagged


@pytest.fixture(scope="module")
def holder_50():
    columns = breath_holder(50)[1]
    engine = CcftAnalyzer(50)
    engine.update(*columns)
    engine.finish()
    return columns, engine.result()


def _fresh(columns):
    engine = CcftAnalyzer(50)
    engine.update(*columns)
    engine.finish()
    return engine.result()


# --- during the test ---------------------------------------------------------------------


def _until(h: ClinicHarness, condition, limit_s: float = 900.0) -> None:
    end = h.clock.now() + limit_s
    while not condition():
        assert h.clock.now() < end, "condition not met in time"
        h.step(0.1)


@pytest.fixture(scope="module")
def live_holder():
    """The breath-holder scenario through the clinic runner, closed loop, to its 3rd trial."""
    h = ClinicHarness("breath-holder", preset("research"))
    h.step(25.0)
    h.runner.begin()
    _until(h, lambda: len(h.runner.trials) == 3)
    return h


def test_b_confirms_the_latest_flagged_trial_through_the_runner_and_undo_takes_it_back(
        live_holder):
    h = live_holder
    trials = h.runner.trials
    with_flag = [t.index for t in trials if t.flags]
    assert with_flag and with_flag[-1] == 2, "the breath-holder holds the breath at 24 and 26"
    assert any(e.kind == "flag" for e in h.events)  # shown live as it is decided
    stored = []
    fixes = Corrections(h.runner, store=lambda *a: stored.append(a))
    assert trials[2].passed
    change = fixes.review("breath_hold", True)
    assert change.trial_index == 2 and not trials[2].passed
    assert change.text == "Trial 3: passed → failed (possible breath holding confirmed)"
    assert stored == [("review_flag", 2, "breath_hold", True)]
    fixes.select(1)  # a row selected since the last trial started: the review acts on it
    change = fixes.review("breath_hold", False)
    assert change.trial_index == 1 and trials[1].flag_review == {"breath_hold": False}
    assert trials[1].passed
    undone = fixes.undo()
    assert undone.trial_index == 1 and trials[1].flag_review == {}
    undone = fixes.undo()
    assert undone.trial_index == 2 and trials[2].flag_review == {} and trials[2].passed
    assert stored[-2:] == [("review_flag", 1, "breath_hold", None),
                           ("review_flag", 2, "breath_hold", None)]
    fixes.select(0)  # trial 1 (22 mmHg) has no flag: nothing to review, nothing changes
    assert fixes.review("breath_hold", True) is None


def test_override_of_a_confirmed_trial_flips_the_measured_verdict_not_the_raw_one(
        live_holder):
    """O on a trial whose breath holding was confirmed: the measured verdict is 'failed'
    (held, no fault, but a confirmed flag), so O makes it passed — it used to recompute
    'measured' without the flag and set it failed again."""
    h = live_holder
    fixes = Corrections(h.runner)
    fixes.review("breath_hold", True)  # trial 3
    change = fixes.override()
    assert change.trial_index == 2 and change.override is True and h.runner.trials[2].passed
    fixes.undo()
    fixes.undo()
    assert h.runner.trials[2].verdict_override is None and h.runner.trials[2].flag_review == {}


# --- on the results of a session just ended ---------------------------------------------


def test_results_reviews_change_the_scores_and_undo_restores_them(holder_50):
    columns, _ = holder_50
    result = _fresh(columns)
    assert result.activation_score_mmhg == 8 and result.performance_index == 80
    stored = []
    reviews = FlagReviews(result, ScoringPlan(), 20.0, store=lambda *a: stored.append(a))
    assert reviews.review(0, "breath_hold", True) is None  # trial 1 has no flag
    change = reviews.review(2, "breath_hold", True)  # 26 mmHg: the score falls to 4
    assert change.text == "Trial 3: passed → failed (possible breath holding confirmed)"
    assert result.activation_score_mmhg == 4 and not result.trials[2].passed
    reviews.review(2, "breath_hold", False)
    assert result.activation_score_mmhg == 8 and result.trials[2].passed
    assert reviews.undo().review is False
    assert result.activation_score_mmhg == 4  # back to confirmed
    reviews.undo()
    assert result.activation_score_mmhg == 8 and result.trials[2].flag_review == {}
    assert reviews.undo() is None
    reviewed, undone = texts.FLAG_REVIEW_RESULTS_REASON, texts.FLAG_REVIEW_RESULTS_UNDO_REASON
    assert stored == [(2, "breath_hold", True, reviewed),
                      (2, "breath_hold", False, reviewed),
                      (2, "breath_hold", True, undone),
                      (2, "breath_hold", None, undone)]


# --- the records -------------------------------------------------------------------------


@pytest.fixture
def stored_session(tmp_path, holder_50):
    columns, _ = holder_50
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    _write_csv(active.csv_path, columns, 50)
    session = complete_session(records, active)
    yield records, session
    records.close()


def test_the_ripple_ratio_survives_load_result(stored_session, holder_50):
    """The CSV holds rounded pressures: the ratio from it agrees to 0.1 %."""
    records, session = stored_session
    _, result = holder_50
    loaded = records.load_result(session.id)
    for mine, back in zip(result.trials, loaded.trials, strict=True):
        if math.isnan(mine.breath_ripple_ratio):
            assert math.isnan(back.breath_ripple_ratio)
        else:
            assert back.breath_ripple_ratio == pytest.approx(mine.breath_ripple_ratio, rel=1e-3)
    assert sum(not math.isnan(t.breath_ripple_ratio) for t in loaded.trials) >= 10


def test_clearing_hand_marks_keeps_the_flag_review(stored_session):
    records, session = stored_session
    records.review_flag(session.id, 2, "breath_hold", True)
    records.mark_compensation(session.id, 2, "scm")
    records.clear_compensation(session.id, 2)
    trial = records.load_result(session.id).trials[2]
    assert trial.manual_faults == [] and trial.flag_review == {"breath_hold": True}
    assert not trial.passed and records.session(session.id).activation_score_mmhg == 4


def test_a_review_after_the_session_needs_a_reason_and_is_in_the_audit_trail(stored_session):
    records, session = stored_session
    with pytest.raises(Exception, match="needs a reason"):
        audit.edit_flag_review(records, session.id, 2, "breath_hold", True, reason="")
    when = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    audit.edit_flag_review(records, session.id, 2, "breath_hold", True,
                           reason="seen on the video", now=when)
    audit.edit_flag_review(records, session.id, 2, "breath_hold", None, reason="not sure",
                           now=when)
    audit.edit_flag_review(records, session.id, 1, "breath_hold", False, reason="talked",
                           now=when)
    words = [edit_words(e) for e in audit.edits(records, session.id)]
    assert words == [
        "trial 3: possible breath holding confirmed — reason: seen on the video",
        "trial 3: possible breath holding back to not reviewed — reason: not sure",
        "trial 2: possible breath holding dismissed — reason: talked"]
    loaded = records.load_result(session.id)
    assert loaded.trials[2].flag_review == {} and loaded.trials[1].flag_review == {
        "breath_hold": False}
    with pytest.raises(Exception, match="has no breath_hold flag"):
        audit.edit_flag_review(records, session.id, 0, "breath_hold", True, reason="x")
    assert len(audit.edits(records, session.id)) == 3  # the refused one is not logged


def test_the_edf_annotations_carry_the_flag_and_its_review(holder_50):
    columns, _ = holder_50
    result = _fresh(columns)
    result.trials[2].flag_review["breath_hold"] = True
    notes = session_annotations(result, 0.0, columns[0])
    mine = [a for a in notes if " flag breath_hold: " in a.text]
    assert [a.text.split(" flag")[0] for a in mine] == [
        f"trial {i + 1}" for i in flagged(result)]
    trial3 = next(a for a in mine if a.text.startswith("trial 3 "))
    flag = result.trials[2].flags[0]
    assert trial3.onset_s == pytest.approx(flag.t_s) and trial3.duration_s == flag.value
    assert "possible breath holding" in trial3.text and "confirmed by the therapist" in trial3.text
    assert all("to confirm or dismiss" in a.text for a in mine if not a.text.startswith(
        "trial 3 "))


def test_a_head_flag_is_annotated_at_its_time_without_a_duration(holder_50):
    """Only breath_hold's value is a stretch of seconds; a head flag's value is degrees and
    must not become the annotation's duration."""
    import dataclasses

    columns, _ = holder_50
    result = _fresh(columns)
    trial = result.trials[2]
    flag = trial.flags[0]
    trial.flags.append(dataclasses.replace(flag, type="retraction", value=1.5))
    notes = session_annotations(result, 0.0, columns[0])
    head = [a for a in notes if " flag retraction: " in a.text]
    assert len(head) == 1 and head[0].duration_s is None
    assert head[0].onset_s == pytest.approx(flag.t_s) and "1.5°" in head[0].text
