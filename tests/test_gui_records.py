"""The app with the patient records: choose or create a patient, run a clinic test that lands
in the records (with the therapist's marks and notes), the PDF report, the progress view, the
prescription on the training screen, recovery at start, and a damaged database that does not
stop the app."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from cctf.gui.simlink import attach_virtual_sim
from cctf.records.recovery import begin_session
from cctf.records.startup import open_records
from cctf.session.settings import preset

from .gui_helpers import make_app, run_until
from .records_helpers import clinic_csv


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path / "data", open_records=True)
    yield controller, window
    controller.shutdown()


def new_patient(qtbot, picker, code, **fields):
    dialog = picker.new_patient()
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    dialog.code.setText(code)
    dialog.name.setText(fields.get("name", ""))
    if "year" in fields:
        dialog.year.setValue(fields["year"])
    dialog.notes.setPlainText(fields.get("notes", ""))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    return dialog


def test_new_patient_is_validated_created_and_chosen(qtbot, app):
    controller, window = app
    picker = window.clinic.setup_page.picker
    assert not window.records_notice.isVisible()
    assert "No patient chosen" in window.clinic.setup_page.patient_note.text()
    dialog = new_patient(qtbot, picker, "bad id!")
    assert "letters" in dialog.error.text() or dialog.error.text()  # refused, stays open
    assert dialog.isVisible() and controller.records.patients() == []
    dialog.reject()
    new_patient(qtbot, picker, "P-0042", name="Ann Example", year=1970, notes="left side")
    patient = controller.records.patient("P-0042")
    assert (patient.name, patient.birth_year, patient.notes) == ("Ann Example", 1970, "left side")
    assert controller.patient_code == "P-0042"
    assert picker.combo.currentData() == "P-0042"
    assert window.training.picker.combo.currentData() == "P-0042"  # both pickers follow
    assert "P-0042" in window.clinic.setup_page.patient_note.text()
    picker.combo.setCurrentIndex(0)
    picker.combo.activated.emit(0)
    assert controller.patient_code is None


def test_clinic_session_lands_in_the_records_with_marks_notes_report_and_progress(
        qtbot, app):
    controller, window = app
    controller.records.add_patient("P-7")
    controller.records_changed.emit()
    picker = window.clinic.setup_page.picker
    picker.combo.setCurrentIndex(picker.combo.findData("P-7"))
    picker.combo.activated.emit(picker.combo.currentIndex())
    assert controller.patient_code == "P-7"
    controller.set_settings(preset("short"), name="short")
    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    session = controller.session
    assert session is not None and session.record is not None
    sid = session.record.id
    assert session.recorder.path == session.record.csv_path
    assert session.record.csv_path.parent == controller.data_dir / "sessions" / "P-7"
    records = controller.records
    assert records.session(sid).status == "recording"
    assert records.session(sid).protocol["hold_s"] == 3.0
    runner = session.runner
    run_until(controller, lambda: runner.analyzer.open_trial is not None)
    qtbot.keyClick(window, Qt.Key.Key_2)  # breath holding on the first stage: stored at once
    marks = records.conn.execute("SELECT * FROM annotations WHERE session_id = ?",
                                 (sid,)).fetchall()
    assert len(marks) == 1
    run_until(controller, lambda: len(runner.trials) == 1)
    qtbot.keyClick(window, Qt.Key.Key_O)  # the therapist overrides: passed after all
    run_until(controller, lambda: controller.session is None)

    results = window.clinic.results
    assert window.clinic.pages.currentWidget() is results
    assert results.activation.value.text() == "8 mmHg"
    qtbot.waitUntil(lambda: records.session(sid).status == "complete", timeout=10000)
    stored = records.session(sid)
    shown = controller.last_report.result  # "short": no endurance, so PI not measured
    assert stored.activation_score_mmhg == 8 and shown.performance_index is None
    assert stored.performance_index != stored.performance_index  # NULL in the records (NaN)
    assert stored.csv_rows and stored.csv_sha256
    result = records.load_result(sid)
    assert result.trials[0].manual_faults == ["breath"] and result.trials[0].passed
    assert result.trials[0].verdict_override is True
    assert "P-7" in results.record_status.text()

    results.notes_box.setPlainText("Good control; repeat in 2 weeks.")
    assert results.report_button.isEnabled()
    results.report_button.click()  # saves the notes, writes the PDF on a worker
    qtbot.waitUntil(lambda: "Report saved to" in results.record_status.text(), timeout=30000)
    pdfs = list((controller.data_dir / "sessions" / "P-7").glob("*_report.pdf"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
    assert records.session(sid).therapist_notes == "Good control; repeat in 2 weeks."

    window.clinic.new_test()
    dialog = picker.show_progress()
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    xs, ys = dialog.pi_curve.getData()
    # The short preset measures no PI: no PI point (NaN), and nothing to compare.
    assert len(xs) == 1 and len(ys) == 1 and ys[0] != ys[0]
    assert list(dialog.activation_curve.getData()[1]) == [8]
    assert "measured performance index" in dialog.summary.text()
    dialog.report_button.click()
    qtbot.waitUntil(lambda: "Report saved to" in dialog.saved.text(), timeout=30000)
    assert list((controller.data_dir / "sessions" / "P-7").glob("*_progress_report.pdf"))
    dialog.close()


def test_a_session_without_a_patient_is_a_file_only(qtbot, app):
    controller, window = app
    controller.set_settings(preset("short"), name="short")
    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    assert controller.begin_clinic()
    path = controller.session.recorder.path
    assert path.parent == controller.data_dir / "recordings"
    run_until(controller, lambda: controller.session is None)
    assert controller.last_report.session_id is None
    assert controller.records.sessions() == []
    results = window.clinic.results
    assert not results.report_button.isEnabled()
    assert "No patient was chosen" in results.record_status.text()


def test_training_uses_and_saves_the_patients_prescription(qtbot, app):
    controller, window = app
    records = controller.records
    records.add_patient("P-9")
    records.prescribe("P-9", {"target_mmhg": 26.0, "reps": 2, "hold_s": 3.0, "rest_s": 3.0},
                      sessions_per_day=3, start=date.today())
    controller.records_changed.emit()
    window.tabs.setCurrentWidget(window.training)
    training = window.training
    controller.select_patient("P-9")
    assert controller.prescription.target_mmhg == 26.0 and controller.prescription.reps == 2
    assert training.editor.target.value() == 26 and training.per_day.value() == 3
    training.editor.reps.setValue(3)
    assert training.prescribe()
    assert records.prescriptions("P-9")[-1].prescription["reps"] == 3

    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    assert controller.begin_training()
    sid = controller.session.record.id
    run_until(controller, lambda: controller.session is None)
    qtbot.waitUntil(lambda: records.session(sid).status == "complete", timeout=10000)
    stored = records.session(sid)
    assert stored.kind == "training" and stored.prescription["reps"] == 3
    assert stored.reps_planned == 3


def test_app_start_recovers_an_interrupted_session(qtbot, tmp_path):
    root = tmp_path / "data"
    records = open_records(root)
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    clinic_csv(active.csv_path, 8, 10)
    active.lock.release(remove=False)  # the app died mid-session
    records.close()

    controller, window = make_app(qtbot, root, open_records=True)
    try:
        assert controller.records.session(active.id).status == "recovered"
        notice = window.records_notice
        assert notice.isVisible() and "Recovered an interrupted session of P-1" in \
            notice.text.text()
        assert not notice.repair_button.isVisible()
        assert controller.records.session(active.id).performance_index == 80
    finally:
        controller.shutdown()


def test_a_damaged_database_does_not_stop_the_app_and_can_be_repaired(qtbot, tmp_path):
    root = tmp_path / "data"
    records = open_records(root, today=date(2025, 3, 1))
    records.add_patient("P-1")
    records.close()
    open_records(root, today=date(2025, 3, 2)).close()  # that day's backup holds P-1
    damaged = bytes((i * 7919 + 13) % 256 for i in range(64 * 1024))
    (root / "cctf.db").write_bytes(damaged)

    controller, window = make_app(qtbot, root, open_records=True)
    try:
        assert controller.records is None and controller.records_corrupt
        notice = window.records_notice
        assert notice.isVisible() and "damaged" in notice.text.text()
        assert notice.repair_button.isVisible()
        assert (root / "cctf.db").read_bytes() == damaged  # untouched until asked
        assert not window.clinic.setup_page.picker.combo.isEnabled()
        controller.set_settings(preset("short"), name="short")
        attach_virtual_sim(controller, "healthy")  # a test still runs, as a file
        run_until(controller, lambda: controller.setup.ready)
        assert controller.begin_clinic()
        controller.end_session()

        notice.repair_button.click()
        assert controller.records is not None and not controller.records_corrupt
        assert "repaired" in notice.text.text()
        assert list(root.glob("cctf.db.corrupt-*"))
        assert [p.code for p in controller.records.patients()] == ["P-1"]  # from the backup
        assert window.clinic.setup_page.picker.combo.count() == 2
    finally:
        controller.shutdown()
