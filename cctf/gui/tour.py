"""Every screen and dialog of the app in a realistic state, one after the other, driven by the
in-process simulator on a virtual clock — for ``docs/make_screenshots.py`` and the layout test
(tests/test_gui_layout_sizes.py), so both look at the same states.

``tour(visit)`` builds the app once and, at each state, calls ``visit(name, widget)``; the
caller resizes, checks or grabs ``widget`` (the main window, a dialog, or the patient window)
as often as it likes before returning. Worst cases on purpose: no patient chosen on the first
set-up (the longest picker text), a compensating patient (long "what was seen" texts), the
therapist's repeat, override, hand marks and a pause (a long action log), a long report path
and a long status message.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget

from cctf.gui.controller import AppController
from cctf.gui.main import MainWindow
from cctf.gui.simlink import attach_virtual_sim
from cctf.session.settings import preset

Visit = Callable[[str, QWidget], None]

# A protocol long enough for every part of the results (stages, endurance, a PI) and short
# enough to run in a few seconds of real time.
TOUR_SETTINGS = dict(hold_s=4.0, rest_s=3.0, endurance_reps=4, practice_trials=1)
PATIENT = "P-0042"
LONG_NOTICE = ("Report saved to /home/therapist/Documents/cctf/sessions/P-0042/"
               "P-0042_2026-12-01_clinic_report.pdf")


def settle(app: QApplication | None = None) -> None:
    app = app or QApplication.instance()  # type: ignore[assignment]
    for _ in range(3):
        app.processEvents()  # type: ignore[union-attr]


def run_until(controller: AppController, condition: Callable[[], bool],
              limit_s: float = 900.0, step_s: float = 0.25) -> None:
    assert controller.device is not None
    end = controller.device.clock.now() + limit_s
    while not condition():
        if controller.device.clock.now() > end:
            raise RuntimeError("the simulated session did not reach the wanted state")
        controller.run_virtual(step_s, step_s)


def tour(visit: Visit, data_dir: Path | None = None) -> None:
    """Show every state in turn and let ``visit`` look at it (see the module docstring)."""
    if data_dir is None:
        with tempfile.TemporaryDirectory(prefix="cctf-tour-") as tmp:
            tour(visit, Path(tmp))
        return
    controller = AppController(data_dir=data_dir, discover_fn=list)
    controller.confirm_end = lambda reason: True
    window = MainWindow(controller, open_records=True)
    window.resize(1280, 720)
    window.show()
    try:
        _main_window(visit, controller, window)
    finally:
        controller.shutdown()
        window.close()
    _reconnecting(visit, data_dir)
    _head_test(visit, data_dir)
    _patient_mode(visit, data_dir)


@contextlib.contextmanager
def _own_window(data_dir: Path, make: Callable[[AppController], QWidget] = MainWindow
                ) -> Iterator[tuple[AppController, Any]]:
    """A state the main tour cannot reach (another scenario, another window): its own
    controller and window at 1280×720, shut down and closed after the visit."""
    controller = AppController(data_dir=data_dir, discover_fn=list)
    controller.confirm_end = lambda reason: True
    window = make(controller)
    window.resize(1280, 720)
    window.show()
    try:
        yield controller, window
    finally:
        controller.shutdown()
        window.close()


def _reconnecting(visit: Visit, data_dir: Path) -> None:
    """The monitor while a bad cable drops out: "Reconnecting…", not an error."""
    from cctf.sim.scenarios import load_scenario

    with _own_window(data_dir) as (controller, window):
        window.tabs.setCurrentWidget(window.monitor)
        window.bar.choose_simulator("bad-cable")
        attach_virtual_sim(controller, load_scenario("bad-cable"))
        controller.set_settings(preset("short"), name="short")
        run_until(controller, lambda: controller.link_state.value == "reconnecting",
                  limit_s=60)
        controller.run_virtual(1.0, 0.25)
        settle()
        visit("connection-reconnecting", window)


def _head_test(visit: Visit, data_dir: Path) -> None:
    """Issue 17: a head sensor on the set-up page, then a test with it — the head trace beside
    the pressure, and the live trial panel's flexion per stage, with a retraction flagged."""
    with _own_window(data_dir) as (controller, window):
        window.tabs.setCurrentWidget(window.clinic)
        window.bar.choose_simulator("retraction")
        attach_virtual_sim(controller, "retraction")
        run_until(controller, lambda: controller.setup.ready)
        controller.run_virtual(2.0)
        settle()
        visit("clinic-setup-head", window)  # the head trace zeroed, under the pressure
        controller.begin_clinic()
        runner = controller.session.runner if controller.session is not None else None
        assert runner is not None
        # In the rest after the third stage: the last trial's verdict and the per-stage
        # angles (mid-hold is the main tour's "clinic-test-in-band").
        run_until(controller, lambda: len(runner.trials) >= 3
                  and runner.analyzer.open_trial is None
                  and controller.cue is not None and controller.cue.step == "rest")
        controller.run_virtual(2.0)
        settle()
        visit("clinic-test-head", window)


def _main_window(visit: Visit, c: Any, window: MainWindow) -> None:
    # c: the AppController; Any because the tour reads session state it has just made exist
    window.tabs.setCurrentWidget(window.clinic)
    c.ticked.emit()  # what the app's timer does: every view shows the state it is in
    settle()
    visit("clinic-no-device", window)  # as the app opens before a device is found
    window.bar.choose_simulator("compensator")
    attach_virtual_sim(c, "compensator")
    c.set_settings(preset("research").with_changes(**TOUR_SETTINGS))
    window.clinic.setup_page.form.show_settings(c.settings, c.settings_name)
    run_until(c, lambda: c.setup.ready)
    c.run_virtual(4.0)
    settle()
    visit("clinic-setup", window)

    # New patient: the dialog, with its error showing, then the patient chosen for the test.
    assert c.records is not None
    dialog = window.clinic.setup_page.picker.new_patient()
    dialog.code.setText("not a code!")
    dialog.accept()  # refused: says why
    settle()
    visit("new-patient", dialog)
    dialog.reject()
    c.records.add_patient(PATIENT, name="Ann Example", birth_year=1961)
    c.records_changed.emit()
    c.select_patient(PATIENT)

    prefs = window.show_preferences()
    settle()
    visit("preferences", prefs)
    prefs.reject()

    # During the test: practice, then the stages; repeat, override, hand marks, a pause.
    c.begin_clinic()
    run_until(c, lambda: c.phase == "stage" and c.session is not None
              and len(c.session.runner.trials) >= 2)
    c.repeat_last_trial()
    run_until(c, lambda: c.cue is not None and c.cue.step == "hold"
              and c.session.live.index is not None and len(c.session.live.faults) >= 1)
    c.mark_compensation("scm")
    c.toggle_pause()
    c.run_virtual(3.0, 0.25)
    c.toggle_pause()
    run_until(c, lambda: c.cue is not None and c.cue.step == "hold")
    c.mark_compensation("breath")
    c.run_virtual(1.0, 0.25)
    settle()
    visit("clinic-test", window)
    run_until(c, lambda: c.cue is not None and c.cue.step == "hold" and c.band == "in")
    c.run_virtual(0.5, 0.25)
    settle()
    visit("clinic-test-in-band", window)  # the readout says "✓ in the band" mid-hold
    run_until(c, lambda: c.session is not None and any(  # override an endurance rep
        t.phase == "endurance" for t in c.session.runner.trials))
    c.toggle_override()
    run_until(c, lambda: c.session is None)
    settle()
    assert c.last_report is not None
    c.last_report.recorder.join()
    run_until(c, lambda: window.clinic.results.save_notes_button.isEnabled(), limit_s=30)
    window.clinic.results._report_saved(Path(LONG_NOTICE.split(" to ", 1)[1]))
    c.notice.emit(LONG_NOTICE)  # the status bar, as when the report is written
    settle()
    visit("clinic-results", window)
    _flagged_results(visit, window)

    # The patient's history and a session reopened.
    history = window.clinic.setup_page.picker.show_progress()
    assert history is not None
    settle()
    visit("history", history)
    attacher = history.attach()
    settle()
    visit("attach", attacher)
    attacher.close()
    review = history.open_session(history.rows[0].session_id) if history.rows else None
    if review is not None:
        settle()
        visit("session-review", review)
        review.close()
    history.close()

    # Home training: before, during, after.
    from dataclasses import replace

    window.clinic.new_test()
    window.tabs.setCurrentWidget(window.training)
    c.set_prescription(replace(c.prescription, target_mmhg=24.0, reps=3, hold_s=5.0,
                               rest_s=3.0))
    settle()
    visit("training-setup", window)
    c.begin_training()
    run_until(c, lambda: c.session is not None and c.session.runner.reps_done == 1
              and c.cue.step == "hold" and (c.hold_remaining_s() or 0) < 4)
    settle()
    visit("training", window)
    run_until(c, lambda: c.session is None)
    settle()
    visit("training-summary", window)

    # Monitor: recording with markers.
    window.tabs.setCurrentWidget(window.monitor)
    c.start_recording()
    c.run_virtual(6.0, 0.25)
    c.add_marker("patient swallowed")
    c.run_virtual(6.0, 0.25)
    settle()
    visit("monitor", window)
    c.stop_recording()


def _flagged_results(visit: Visit, window: MainWindow) -> None:
    """The same results with a head sensor's column and slope line and a stage trial flagged
    for possible breath holding and possible retraction, the breath flag confirmed from the
    flag row (not stored: the tour's records keep the real session)."""
    from dataclasses import replace

    from cctf.analysis.results import Fault

    results = window.clinic.results
    report = results.report
    assert report is not None and report.result is not None
    trials = list(report.result.trials)
    at = next(i for i, t in enumerate(trials) if t.phase == "stage" and t.scored)
    trials[at] = replace(trials[at], flags=[Fault("breath_hold", trials[at].cue_start_s, 6.0),
                                            Fault("retraction", trials[at].cue_start_s, 0.4)])
    flagged = replace(report, result=replace(report.result, trials=trials,
                                             head_measured=True))
    results.show_report(flagged)
    assert results.flag_reviews is not None
    results.flag_reviews.store = None
    results.table.selectRow(at)
    # two flags: the button would ask which; the record is complete (waited for above)
    assert results.review_flag(True, "breath_hold")
    settle()
    visit("clinic-results-flagged", window)
    results.show_report(report)
    settle()


def _patient_mode(visit: Visit, data_dir: Path) -> None:
    """``cctf train``: the patient's full-screen view, mid-hold."""
    from cctf.gui.patient_mode import PatientWindow
    from cctf.session.training import Prescription

    def patient_window(controller: AppController) -> QWidget:
        return PatientWindow(controller, Prescription(target_mmhg=24.0, reps=6))

    with _own_window(data_dir, patient_window) as (controller, window):
        attach_virtual_sim(controller, "overshoot")
        controller.run_virtual(20.0, 0.25)
        controller.begin_training()
        run_until(controller, lambda: controller.cue is not None  # "A little less"
                  and controller.cue.step == "hold" and controller.band == "high"
                  and controller.display_mmhg > 25.5, step_s=0.1)
        settle()
        visit("patient-mode", window)
