"""The patient's history in the app, on real records in a temporary data folder: the session
list, a past session reopened read-only with changes kept with reasons, its report written
and opened, edit / delete / attach, the progress view's fixed axes, Preferences, the last
patient and screen remembered, and "cannot open" said in words."""

from __future__ import annotations

import json
from datetime import datetime

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialogButtonBox

from cctf.records import audit, clinic_settings
from cctf.records.recovery import begin_session, complete_session
from cctf.records.store import Records

from .gui_helpers import make_app
from .records_helpers import clinic_csv, training_csv


def add_sessions(records) -> tuple[int, int, int]:
    records.add_patient("P-7", name="Ann Example")
    ids = []
    for day, (act, passed) in ((3, (4, 5)), (17, (6, 7))):
        a = begin_session(records, "P-7", "clinic", started_at=datetime(2025, 3, day, 10))
        clinic_csv(a.csv_path, act, passed)
        ids.append(complete_session(records, a).id)
    t = begin_session(records, "P-7", "training", started_at=datetime(2025, 3, 20, 9),
                      prescription={"target_mmhg": 24, "reps": 10})
    training_csv(t.csv_path, held=8)
    ids.append(complete_session(records, t).id)
    return tuple(ids)  # type: ignore[return-value]


def open_history(qtbot, controller, window):
    controller.records_changed.emit()
    controller.select_patient("P-7")
    dialog = window.clinic.setup_page.picker.show_progress()
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    return dialog


def test_the_session_list_newest_first_with_scores_status_and_progress(qtbot, records_app):
    controller, window = records_app
    first, _second, _training = add_sessions(controller.records)
    controller.records.conn.execute(  # a test the data could not score
        "UPDATE sessions SET performance_index = NULL WHERE id = ?", (first,))
    dialog = open_history(qtbot, controller, window)
    cells = [[dialog.sessions.item(r, c).text() for c in range(7)]
             for r in range(dialog.sessions.rowCount())]
    assert [row[1] for row in cells] == ["home training", "clinic test", "clinic test"]
    assert cells[0][0] == "20 Mar 2025 09:00" and cells[0][3] == "8 of 10"
    assert cells[1][3:6] == ["6 mmHg", "42", "complete"]
    assert cells[2][4] == "not measured", "None is not measured, never 0"
    # the progress view: dates on the axis and fixed clinical axes with reference lines
    assert isinstance(dialog.activation_plot.getAxis("bottom"), pg.DateAxisItem)
    assert dialog.activation_plot.viewRange()[1] == pytest.approx([0, 10])
    assert dialog.pi_plot.viewRange()[1] == pytest.approx([0, 100])
    lines = [i for i in dialog.activation_plot.items() if isinstance(i, pg.InfiniteLine)]
    assert sorted(line.value() for line in lines) == [4, 8]
    x_range = dialog.activation_plot.viewRange()[0]
    assert x_range[1] - x_range[0] > 14 * 86400, "two weeks of dates, not a fraction of one"
    dialog.close()


def test_a_past_session_reopened_changed_with_reasons_and_reported(qtbot, records_app, monkeypatch):
    controller, window = records_app
    _, second, _ = add_sessions(controller.records)
    dialog = open_history(qtbot, controller, window)
    dialog.select_session(second)
    review = dialog.open_session()
    qtbot.waitUntil(review.isVisible, timeout=2000)
    assert review.table.rowCount() == len(controller.records.load_result(second).trials)
    assert len(review.trace.getData()[0]) > 100, "its trace from the session CSV"
    assert "Performance index: 42 / 100" in review.performance.text()
    failed = next(t for t in controller.records.load_result(second).trials
                  if t.phase == "endurance" and not t.passed)
    review.table.selectRow(failed.index)
    assert not review.override(True), "no reason: refused"
    assert "needs a reason" in review.message.text()
    assert audit.edits(controller.records, second) == []
    review.reason.setText("steady on the video")
    assert review.override(True)
    assert controller.records.session(second).performance_index == 48
    assert "Performance index: 48 / 100" in review.performance.text()
    assert "reason: steady on the video" in review.log.toPlainText()
    review.notes_box.setPlainText("Reviewed on video.")
    assert review.save_notes()
    assert controller.records.session(second).therapist_notes == "Reviewed on video."
    # the history list follows
    row = next(r for r in range(dialog.sessions.rowCount())
               if dialog.sessions.item(r, 4).text() == "48")
    assert dialog.sessions.item(row, 5).text() == "complete"

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    assert review.open_report() and "No report written yet" in review.message.text()
    review.report_button.click()
    qtbot.waitUntil(lambda: "Report saved to" in review.message.text(), timeout=30000)
    why = review.open_report()
    assert why and "no PDF viewer is set up" in why and why in review.message.text()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    assert review.open_report() is None
    assert opened and opened[0].endswith("_clinic_report.pdf")
    assert "No report" not in review.message.text()
    review.close()
    dialog.close()


def test_edit_and_delete_a_patient_as_thoroughly_as_the_command(qtbot, records_app):
    controller, window = records_app
    add_sessions(controller.records)
    folder = controller.data_dir / "sessions" / "P-7"
    assert list(folder.glob("*.csv"))
    dialog = open_history(qtbot, controller, window)
    editor = dialog.edit_patient()
    assert editor.name.text() == "Ann Example" and editor.code.isReadOnly()
    editor.name.setText("Ann B. Example")
    editor.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert controller.records.patient("P-7").name == "Ann B. Example"

    assert not dialog.delete_patient(), "asks first"
    box = dialog.confirm
    assert box is not None and box.isVisible() and "cannot be undone" in box.text()
    assert controller.records.find_patient("P-7") is not None
    delete = next(b for b in box.buttons() if b.text() == "Delete P-7")
    delete.click()
    assert controller.records.find_patient("P-7") is None
    assert not folder.exists()
    assert controller.patient_code is None
    assert window.clinic.setup_page.picker.combo.findData("P-7") == -1


def test_attach_a_recording_made_without_a_patient(qtbot, records_app):
    controller, window = records_app
    controller.records.add_patient("P-7")
    loose = controller.data_dir / "recordings"
    loose.mkdir(parents=True)
    clinic_csv(loose / "2025-03-03_100000_clinic.csv", 6, 7)
    dialog = open_history(qtbot, controller, window)
    attacher = dialog.attach()
    assert attacher.list.count() == 1
    sid = attacher.attach()
    assert sid is not None and "attached to P-7" in attacher.message.text()
    session = controller.records.session(sid)
    assert (session.patient_code, session.status, session.performance_index) == (
        "P-7", "imported", 42)
    assert (loose / "2025-03-03_100000_clinic.csv").exists(), "the original is left alone"
    assert attacher.list.count() == 0 and not attacher.attach_button.isEnabled()
    assert dialog.rows[0].session_id == sid


@pytest.mark.skipif(not hasattr(Records, "exclude_from_progress"),
                    reason="Records.exclude_from_progress comes with issue 9")
def test_exclude_and_include_a_session_from_progress(qtbot, records_app):
    controller, window = records_app
    first, _, _ = add_sessions(controller.records)
    dialog = open_history(qtbot, controller, window)
    assert dialog.exclude(first, "cuff leaked")
    row = next(r for r in dialog.rows if r.session_id == first)
    assert row.excluded_reason == "cuff leaked" and row.cells()[6] == "excluded"
    assert dialog.include(first)
    assert next(r for r in dialog.rows if r.session_id == first).excluded_reason is None


def test_the_last_patient_and_screen_are_remembered(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CCTF_CONFIG_DIR", str(tmp_path / "config"))
    root = tmp_path / "data"
    controller, window = make_app(qtbot, root, open_records=True)
    controller.records.add_patient("P-3")
    controller.records_changed.emit()
    controller.select_patient("P-3")
    window.tabs.setCurrentWidget(window.training)
    state = json.loads((root / "app-state.json").read_text())
    assert state == {"patient_code": "P-3", "screen": "training"}
    controller.shutdown()
    window.close()

    controller, window = make_app(qtbot, root, open_records=True)
    try:
        assert controller.patient_code == "P-3"
        assert window.tabs.currentWidget() is window.training
        assert window.clinic.setup_page.picker.combo.currentData() == "P-3"
    finally:
        controller.shutdown()
        window.close()
    (root / "app-state.json").write_text('{"patient_code": "P-GONE", "screen": "nowhere"}')
    controller, window = make_app(qtbot, root, open_records=True)
    try:
        assert controller.patient_code is None
        assert window.tabs.currentWidget() is window.clinic
    finally:
        controller.shutdown()


def test_open_folder_without_a_file_manager_says_why(qtbot, records_app, monkeypatch):
    controller, window = records_app
    from cctf.gui.controller import SessionReport

    results = window.clinic.results
    path = controller.data_dir / "recordings" / "x.csv"
    path.parent.mkdir(parents=True)
    path.write_text("")
    results.report = SessionReport("clinic", path, None, None, None, (), (), 0.0, 0.0, None)
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    why = results._open_folder()
    assert why and "no file manager is set up" in why
    assert why in results.record_status.text()


def test_preferences_write_the_settings_file_and_never_replace_a_broken_one(qtbot, records_app,
                                                                            tmp_path):
    _controller, window = records_app
    prefs = window.show_preferences()
    path = tmp_path / "config" / "settings.toml"
    assert prefs.path == path and str(path) in " ".join(
        w.text() for w in prefs.findChildren(type(prefs.error)))
    prefs.clinic.setText("Physiotherapy North")
    prefs.therapist.setText("A. Example, PT")
    prefs.signature.setChecked(False)
    prefs.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert clinic_settings.load(path) == clinic_settings.ClinicSettings(
        "Physiotherapy North", "A. Example, PT", False)
    path.write_text("[report\n")
    prefs = window.show_preferences()
    assert prefs.broken and "not valid TOML" in prefs.error.text()
    assert not prefs.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert path.read_text() == "[report\n"
    prefs.reject()


def test_menus_and_tabs_have_distinct_alt_keys(qtbot, records_app):
    """Alt+H opens the Help menu, not Home training (a key shared is a key that misleads)."""
    _controller, window = records_app
    titles = [a.text() for a in window.menuBar().actions()]
    titles += [window.tabs.tabText(k) for k in range(window.tabs.count())]
    keys = [t[t.index("&") + 1].lower() for t in titles if "&" in t]
    assert len(keys) == len(titles) and len(set(keys)) == len(keys), titles


def test_the_progress_report_opens_or_says_why(qtbot, records_app, monkeypatch):
    controller, window = records_app
    add_sessions(controller.records)
    dialog = open_history(qtbot, controller, window)
    assert not dialog.open_report_button.isEnabled()
    dialog.report_button.click()
    qtbot.waitUntil(lambda: "Report saved to" in dialog.saved.text(), timeout=30000)
    assert dialog.open_report_button.isEnabled()
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    why = dialog.open_report()
    assert why and "no PDF viewer" in why and why == dialog.saved.text()
    dialog.report_path.unlink()
    assert "does not exist" in dialog.open_report()
    dialog.close()
