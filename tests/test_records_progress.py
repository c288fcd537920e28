"""Progress: the smallest real difference, scores over time, home adherence."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest

from cctf.records.progress import (
    ProgressPoint,
    adherence,
    adherence_from,
    changes,
    compare,
    progress_series,
    summary_words,
)
from cctf.records.recovery import begin_session, complete_session
from cctf.records.startup import open_records

from .records_helpers import clinic_csv, training_csv


def _pt(pi: float, day: int = 1, activation: float = 0.0, sid: int = 1) -> ProgressPoint:
    return ProgressPoint(sid, f"2025-03-{day:02d}T10:00:00+01:00", date(2025, 3, day),
                         activation, pi, "complete")


@pytest.mark.parametrize(
    ("before", "after", "real"),
    [(40, 64, False), (40, 65, True), (80, 55, True), (80, 56, False), (30, 30, False),
     (0, 100, True)],
)
def test_a_change_is_real_from_25_pi_units(before, after, real):
    change = compare(_pt(before), _pt(after, 8))
    assert change.real is real
    assert change.delta_pi == after - before
    assert ("a real change" in change.words) is real
    assert ("within measurement error" in change.words) is (not real)


def test_the_smallest_real_difference_is_a_setting():
    assert compare(_pt(40), _pt(50), srd_pi=10).real
    assert not compare(_pt(40), _pt(50), srd_pi=10.5).real
    with pytest.raises(ValueError):
        compare(_pt(40), _pt(50), srd_pi=0)


def test_summary_words_name_the_source_and_cover_few_tests():
    assert "No clinic test" in summary_words([])
    assert "Only one clinic test" in summary_words([_pt(40)])
    words = summary_words([_pt(20), _pt(40, 5), _pt(60, 9)])
    assert "20 → 60 (+40)" in words and "a real change" in words
    assert "James & Doe 2010, one small study" in words
    assert [c.real for c in changes([_pt(20), _pt(40, 5), _pt(60, 9)])] == [False, False]


def test_scores_over_time_from_the_records(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    for day, (act, passed) in zip((3, 10, 24), ((2, 5), (4, 6), (8, 10)), strict=True):
        a = begin_session(records, "P-1", "clinic", started_at=datetime(2025, 3, day, 10))
        clinic_csv(a.csv_path, act, passed)
        complete_session(records, a)
    t = begin_session(records, "P-1", "training", started_at=datetime(2025, 3, 11, 10))
    training_csv(t.csv_path)
    complete_session(records, t)
    series = progress_series(records, "P-1")
    assert [(p.day.day, p.activation_score_mmhg, p.performance_index) for p in series] == [
        (3, 2, 10), (10, 4, 24), (24, 8, 80)]
    assert [c.real for c in changes(series)] == [False, True]
    records.close()


def _training(day: date, reps_done: int, hour: int = 9):
    from cctf.records.models import SessionRecord

    when = datetime(day.year, day.month, day.day, hour, tzinfo=timezone(timedelta(hours=2)))
    return SessionRecord(0, "P", "training", "complete", when.isoformat(), 300.0, "", "", "",
                         None, None, math.nan, math.nan, math.nan, math.nan, 10, reps_done, "",
                         "x.csv", None, None, "")


def _rx(start: date, per_day: int, reps: int = 10):
    from cctf.records.models import PrescriptionRecord

    return PrescriptionRecord(1, "P", start, per_day, {"reps": reps}, "")


def test_adherence_counts_sessions_and_holds_against_the_prescription_per_day():
    mon = date(2025, 3, 3)
    sessions = [_training(mon, 10), _training(mon, 8, 18), _training(mon, 10, 21),  # 3 on day 1
                _training(mon + timedelta(days=2), 6), _training(mon - timedelta(days=1), 10)]
    adh = adherence_from(sessions, [_rx(mon, 2)], mon, mon + timedelta(days=6))
    day1 = adh.days[0]
    assert (day1.sessions_done, day1.sessions_prescribed, day1.reps_done, day1.reps_planned) == (
        3, 2, 28, 20)
    assert (adh.sessions_done, adh.sessions_prescribed) == (4, 14)
    # A third session on Monday does not make up for a missed Tuesday.
    assert adh.sessions_fraction == pytest.approx(3 / 14)
    assert adh.reps_fraction == pytest.approx((20 + 6) / 140)
    assert adh.days_trained == 2
    words = adh.words("this week")
    assert words.startswith("this week: trained on 2 of 7 days; 4 of 14 sessions (21 %)")


def test_adherence_follows_prescription_changes_and_weeks():
    start = date(2025, 3, 1)  # a Saturday
    rxs = [_rx(date(2025, 3, 3), 2), _rx(date(2025, 3, 10), 3, 8)]
    adh = adherence_from([_training(date(2025, 3, 10), 8)], rxs, start, date(2025, 3, 16))
    assert [d.sessions_prescribed for d in adh.days[:3]] == [0, 0, 2]
    assert adh.days[9].sessions_prescribed == 3 and adh.days[9].reps_planned == 24
    weeks = adh.weeks()
    assert [len(w.days) for w in weeks] == [2, 7, 7]
    assert weeks[0].words() == "No home programme prescribed for these dates."
    assert adherence_from([], [], start, start).words().startswith("No home programme")


def test_adherence_from_the_records_uses_the_patients_prescription(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    records.prescribe("P-1", {"target_mmhg": 24, "reps": 10}, sessions_per_day=2,
                      start=date(2025, 3, 3))
    for day, held in ((3, 10), (3, 7), (4, 9)):
        t = begin_session(records, "P-1", "training", started_at=datetime(2025, 3, day, 9))
        training_csv(t.csv_path, held=held)
        complete_session(records, t)
    s = records.sessions("P-1")[0]
    assert s.prescription["target_mmhg"] == 24 and s.reps_planned == 10 and s.reps_done == 10
    adh = adherence(records, "P-1", date(2025, 3, 3), date(2025, 3, 4))
    assert (adh.sessions_done, adh.sessions_prescribed, adh.reps_done, adh.reps_planned) == (
        3, 4, 26, 40)
    records.close()
