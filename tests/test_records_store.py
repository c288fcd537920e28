"""Patients, sessions, results and the therapist's annotations in the records."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cctf.errors import ConfigError, RecordsError
from cctf.records.recovery import begin_session, complete_session, reanalyse
from cctf.records.startup import open_records

from .records_helpers import clinic_csv


@pytest.fixture
def records(tmp_path):
    r = open_records(tmp_path / "data")
    yield r
    r.close()


@pytest.mark.parametrize("code", ["", "../etc", "a/b", "P 1", "-P", "x" * 33, "CON", "nul.txt",
                                  "P1.", "Jané", None, 42])
def test_bad_patient_ids_are_refused(records, code):
    with pytest.raises(ConfigError, match="patient ID"):
        records.add_patient(code)


def test_patients_name_birth_year_notes_and_unique_ids(records):
    p = records.add_patient("P-0042", name="  Jane\x00 Doe ", birth_year="1980",
                            notes="line 1\r\nline 2")
    assert (p.code, p.name, p.birth_year, p.notes) == ("P-0042", "Jane Doe", 1980,
                                                       "line 1\nline 2")
    with pytest.raises(RecordsError, match="already exists"):
        records.add_patient("p-0042")  # IDs are folder names: unique whatever the case
    for year in (1800, date.today().year + 1, "abc"):
        with pytest.raises(ConfigError, match="birth year"):
            records.add_patient("P-2", birth_year=year)
    assert records.update_patient("P-0042", name=None, birth_year=None).name is None
    assert [x.code for x in records.patients()] == ["P-0042"]
    with pytest.raises(RecordsError, match="no patient 'P-404'"):
        records.patient("P-404")


def test_prescriptions_are_validated_and_dated(records):
    records.add_patient("P-1")
    with pytest.raises(ConfigError, match="target_mmhg"):
        records.prescribe("P-1", {"target_mmhg": 90}, sessions_per_day=2, start=date(2025, 1, 1))
    with pytest.raises(ConfigError, match="sessions per day"):
        records.prescribe("P-1", {}, sessions_per_day=0, start=date(2025, 1, 1))
    records.prescribe("P-1", {"target_mmhg": 26, "reps": 8}, sessions_per_day=3,
                      start=date(2025, 2, 1))
    records.prescribe("P-1", {"target_mmhg": 24}, sessions_per_day=2, start=date(2025, 1, 1))
    got = records.prescriptions("P-1")
    assert [(r.start_date.month, r.reps, r.sessions_per_day) for r in got] == [(1, 10, 2),
                                                                               (2, 8, 3)]


def _session(records, tmp_path, activation=8, passed=10, **kw):
    active = begin_session(records, "P-1", "clinic", **kw)
    clinic_csv(active.csv_path, activation, passed)
    return complete_session(records, active)


def test_a_completed_session_stores_its_trials_faults_and_scores(records, tmp_path):
    records.add_patient("P-1")
    s = _session(records, tmp_path, 6, 7, started_at=datetime(2025, 3, 3, 10, 0))
    assert (s.status, s.activation_score_mmhg, s.performance_index) == ("complete", 6, 42)
    assert (s.device_serial, s.device_firmware, s.calibration_id) == ("SIM00001", "1.0.0", "7")
    assert s.csv_rows > 0 and len(s.csv_sha256) == 64 and s.duration_s > 300
    assert s.csv_path.startswith("sessions/P-1/2025-03-03_100000_clinic")
    result = records.load_result(s.id)
    assert len(result.trials) == 4 + 10
    assert result.trials[3].faults[0].type == "undershoot"
    assert result.to_dict()["performance_index"] == 42


def test_annotations_change_verdicts_and_scores_and_survive_reanalysis(records, tmp_path):
    records.add_patient("P-1")
    s = _session(records, tmp_path, 8, 10)
    assert s.performance_index == 80
    records.mark_compensation(s.id, 5, "breath")  # an endurance hold
    records.mark_compensation(s.id, 6, "scm")
    assert records.session(s.id).performance_index == 64
    records.override_verdict(s.id, 6, True)  # the therapist overrules the mark
    records.supersede(s.id, 0)  # the first stage was repeated: not scored
    assert records.session(s.id).performance_index == 72
    assert records.session(s.id).activation_score_mmhg == 8  # the run starts at 24 now

    result = reanalyse(records, s.id)  # e.g. after an analysis update
    assert result.performance_index == 72
    t5, t6 = result.trials[5], result.trials[6]
    assert (t5.manual_faults, t5.passed) == (["breath"], False)
    assert (t6.manual_faults, t6.verdict_override, t6.passed) == (["scm"], True, True)
    assert result.trials[0].superseded

    records.override_verdict(s.id, 6, None)
    records.clear_compensation(s.id, 5)
    records.supersede(s.id, 0, False)
    assert records.session(s.id).performance_index == 72  # 9 passed: trial 6 still marked
    with pytest.raises(RecordsError, match="no trial 99"):
        records.mark_compensation(s.id, 99, "jaw")


def test_the_apps_result_with_its_marks_is_stored_as_given(records, tmp_path):
    from cctf.analysis.offline import analyze_recording
    from cctf.sessionfile import read_session

    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    clinic_csv(active.csv_path, 4, 10)
    result = analyze_recording(read_session(active.csv_path))
    result.trials[4].manual_faults.append("jaw")  # as the runner would hand it over
    result.trials[4].settle()
    result.performance_index = 36.0
    s = complete_session(records, active, result, notes="jaw substitution on hold 1")
    assert s.performance_index == 36 and s.therapist_notes == "jaw substitution on hold 1"
    assert records.load_result(s.id).trials[4].manual_faults == ["jaw"]


def test_history_is_in_time_order_across_time_zones(records, tmp_path):
    from datetime import timedelta, timezone

    records.add_patient("P-1")
    late = datetime(2025, 3, 3, 10, 0, tzinfo=timezone(timedelta(hours=-5)))  # 15:00 UTC
    early = datetime(2025, 3, 3, 12, 0, tzinfo=timezone(timedelta(hours=1)))  # 11:00 UTC
    a = _session(records, tmp_path, started_at=late)
    b = _session(records, tmp_path, started_at=early)
    assert [s.id for s in records.sessions("P-1")] == [b.id, a.id]
    assert [s.id for s in records.sessions(kinds=("training",))] == []
