"""The clinic screen driven end to end against the in-process simulator on a virtual clock:
set-up, stage test, endurance, therapist actions by key, results and the session file."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt

from cctf.analysis.offline import analyze_recording
from cctf.gui.simlink import attach_virtual_sim
from cctf.session.settings import preset
from cctf.sessionfile import read_session

from .gui_helpers import STEP_S, make_app, run_until


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path)
    yield controller, window
    controller.shutdown()


def press(qtbot, window, key) -> None:
    qtbot.keyClick(window, key)


def finished_file(controller):
    report = controller.last_report
    assert report.recorder.join(10.0)
    return read_session(report.path)


def test_healthy_patient_complete_session(qtbot, app):
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    clinic = window.clinic
    assert clinic.pages.currentWidget() is clinic.setup_page
    run_until(controller, lambda: controller.setup.ready)
    qtbot.waitUntil(lambda: "ready" in clinic.setup_page.status.text(), timeout=1000)
    assert clinic.setup_page.start_button.isEnabled()

    press(qtbot, window, Qt.Key.Key_Space)  # Space starts the test
    assert controller.session is not None and controller.session.kind == "clinic"
    assert clinic.pages.currentWidget() is clinic.run_page
    run_until(controller, lambda: controller.cue is not None and controller.cue.step == "hold")
    banner = clinic.run_page.banner
    assert banner.word.text() == "Hold" and "22 mmHg" in banner.detail.text()
    assert banner.count.text().endswith(" s")  # the hold countdown
    run_until(controller, lambda: controller.session is None)

    results = clinic.results
    assert clinic.pages.currentWidget() is results
    assert results.activation.value.text() == "8 mmHg"
    assert results.performance.value.text() == "80 / 100"
    assert "Jull's scale" in results.performance.note.text()
    reference = results.reference.note.text()
    assert "28 mmHg</b>&nbsp;</td><td>median without neck pain" in reference
    assert "24 mmHg</b>&nbsp;</td><td>median with chronic neck pain" in reference
    table = results.table
    assert table.rowCount() == 15  # 5 stages + 10 endurance
    assert "did not reach the target" in table.item(4, 4).text()  # 30 mmHg, ~2 short
    assert table.item(4, 3).text() == "✗ failed"
    assert len(results.overview.curve.getData()[0]) > 0  # the trace overview is drawn

    rec = finished_file(controller)
    meta = rec.metadata
    assert meta["session"] == "clinic" and meta["app"].startswith("cctf ")
    assert meta["device_serial"] and meta["sample_rate_hz"] == "50"
    assert "calibration_slope_mmhg_per_count" in meta and meta["protocol_hold_s"] == "10.0"
    assert meta["protocol_preset"] == "research"
    assert meta["result_activation_score_mmhg"] == "8" and meta["result_performance_index"] == "80"
    assert set(rec.phase) == {"", "stage", "endurance"}
    assert set(rec.target_mmhg[rec.phase == "stage"]) == {22, 24, 26, 28, 30}
    assert list(rec.extra) == ["raw", "flags", "seq", "marker"]
    again = analyze_recording(rec)  # the file alone reproduces the scores
    assert (again.activation_score_mmhg, again.performance_index) == (8, 80)


def test_compensating_patient_stops_at_24_with_faults_in_plain_words(qtbot, app):
    controller, window = app
    attach_virtual_sim(controller, "compensator")
    run_until(controller, lambda: controller.setup.ready)
    assert controller.begin_clinic()
    run_until(controller, lambda: controller.session is None)
    results = window.clinic.results
    assert results.activation.value.text() == "2 mmHg"
    table = results.table
    rows = [[table.item(r, c).text() for c in range(5)] for r in range(table.rowCount())]
    stages = [r for r in rows if r[1] == "stage"]
    assert [r[2] for r in stages] == ["22", "24"]  # stopped at the first failed stage
    assert stages[1][3] == "✗ failed"
    assert "nodded too fast" in stages[1][4] and "overshot the target" in stages[1][4]
    endurance = [r for r in rows if r[1] == "endurance"]
    assert len(endurance) == 10 and {r[2] for r in endurance} == {"22"}
    assert any("head lift" in r[4] for r in endurance)  # the one head lift, in words


def test_therapist_repeats_a_trial_and_marks_compensation_by_key(qtbot, app):
    controller, window = app
    controller.set_settings(preset("short"), name="short")
    attach_virtual_sim(controller, "compensator")
    run_until(controller, lambda: controller.setup.ready)
    press(qtbot, window, Qt.Key.Key_Space)
    runner = controller.session.runner
    run_until(controller, lambda: len(runner.trials) == 2)  # 22 passed, 24 failed
    assert not runner.trials[1].passed
    press(qtbot, window, Qt.Key.Key_R)  # repeat the failed 24 during the rest
    assert runner.upcoming()[0].target_mmhg == 24.0
    run_until(controller, lambda: runner.analyzer.open_trial is not None)
    press(qtbot, window, Qt.Key.Key_2)  # breath holding seen on the repeat
    assert runner.analyzer.open_trial.manual_faults == ["breath"]
    assert any(m.kind == "manual" for m in controller.markers)
    run_until(controller, lambda: controller.session is None)

    table = window.clinic.results.table
    rows = [[table.item(r, c).text() for c in range(5)] for r in range(table.rowCount())]
    assert rows[1][3] == "↺ repeated (not scored)"
    assert rows[2][2] == "24" and rows[2][3] == "✗ failed"
    assert "breath holding (marked by hand)" in rows[2][4]
    rec = finished_file(controller)
    assert ("Trial 3: in progress → failed (breath holding marked by hand)"
            in rec.metadata["therapist_actions"])
    assert "repeat trial 2" in rec.metadata["therapist_actions"]
    marks = [m for m in rec.extra["marker"] if m]
    assert any("repeat trial 2" in m for m in marks) and any("breath" in m for m in marks)


def test_override_and_hand_marks_change_the_score(qtbot, app):
    controller, window = app
    controller.set_settings(preset("short"), name="short")
    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    press(qtbot, window, Qt.Key.Key_Space)
    runner = controller.session.runner
    run_until(controller, lambda: runner.analyzer.open_trial is not None)
    press(qtbot, window, Qt.Key.Key_1)  # SCM activity on the first stage: it fails
    run_until(controller, lambda: len(runner.trials) == 1)
    assert not runner.trials[0].passed
    press(qtbot, window, Qt.Key.Key_O)  # the therapist overrides: passed after all
    assert runner.trials[0].passed and runner.trials[0].verdict_override is True
    run_until(controller, lambda: controller.session is None)
    results = window.clinic.results
    assert results.activation.value.text() == "8 mmHg"  # the test went on
    first = [results.table.item(0, c).text() for c in range(5)]
    assert first[3] == "✓ passed (therapist)"
    assert "superficial flexor (SCM or scalene) activity (marked by hand)" in first[4]


def test_space_pauses_and_the_interrupted_trial_is_repeated(qtbot, app):
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    press(qtbot, window, Qt.Key.Key_Space)
    run_until(controller, lambda: controller.cue.step == "hold")
    press(qtbot, window, Qt.Key.Key_Space)  # pause mid-hold
    assert controller.paused
    controller.run_virtual(STEP_S, STEP_S)
    banner = window.clinic.run_page.banner
    assert banner.word.text() == "Paused"
    controller.run_virtual(20.0)  # nothing is cued while paused
    assert controller.cue.step == "rest" and math.isnan(controller.cue.until_s)
    press(qtbot, window, Qt.Key.Key_Space)  # resume
    runner = controller.session.runner
    run_until(controller, lambda: len(runner.trials) >= 2)
    first, repeat = runner.trials[:2]
    assert first.superseded and (repeat.target_mmhg, repeat.passed) == (22.0, True)
    controller.end_session()  # Ctrl+E's action: results at once
    assert window.clinic.pages.currentWidget() is window.clinic.results


def test_protocol_form_validates_and_presets_fill_it(qtbot, app):
    controller, window = app
    form = window.clinic.setup_page.form
    form.preset.setCurrentIndex(form.preset.findData("short"))
    assert controller.settings == preset("short")
    assert form.inputs["hold_s"].value() == 3
    form.inputs["n_stages"].setValue(10)
    form.inputs["step_mmhg"].setValue(5)  # the top stage would be 70 mmHg
    assert "top stage would be 70 mmHg" in form.error.text() and not form.valid
    form.inputs["step_mmhg"].setValue(2)
    assert form.valid and controller.settings.n_stages == 10
    assert form.preset.currentData() == "custom"
