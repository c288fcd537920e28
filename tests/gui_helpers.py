"""Shared set-up for the app's pytest-qt tests: a window on a controller, driven on sample time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cctf.gui.controller import AppController
from cctf.gui.main import MainWindow

STEP_S = 0.25


def make_app(
    qtbot,
    data_dir: Path,
    *,
    tab: str | None = None,
    open_records: bool = False,
    exposed: bool = True,
) -> tuple[AppController, MainWindow]:
    """A shown main window (optionally on the named tab) over a controller with no ports."""
    controller = AppController(data_dir=data_dir, discover_fn=list)
    window = MainWindow(controller, open_records=open_records)
    # "End the test early?" is answered yes unless a test answers it itself: a modal dialog
    # would wait for ever in a test run (and at teardown, when the window closes).
    controller.confirm_end = lambda reason: True
    # Likewise "Start on a cuff that has not settled?" (tests that care answer it themselves).
    window.clinic.confirm_start = lambda warning: True
    qtbot.addWidget(window)
    window.show()
    if exposed:
        qtbot.waitExposed(window)
        if tab is not None:
            window.tabs.setCurrentWidget(getattr(window, tab))
        window.activateWindow()
    return controller, window


def run_until(controller: AppController, condition: Callable[[], bool],
              limit_s: float = 900.0) -> None:
    """Advance the simulated session until ``condition`` holds (fails after ``limit_s``)."""
    clock = controller.device.clock
    end = clock.now() + limit_s
    while not condition():
        assert clock.now() < end, "condition not met in time"
        controller.run_virtual(STEP_S, STEP_S)


def start_clinic_test(qtbot, controller: AppController, window: MainWindow, scenario: str,
                      patient: str = "P-1") -> None:
    """A new patient chosen, the simulator's ``scenario`` attached, the cuff settled, and the
    test started with Space, as a therapist does."""
    from PySide6.QtCore import Qt

    from cctf.gui.simlink import attach_virtual_sim

    controller.records.add_patient(patient)
    controller.records_changed.emit()
    controller.select_patient(patient)
    attach_virtual_sim(controller, scenario)
    run_until(controller, lambda: controller.setup.ready)
    qtbot.keyClick(window, Qt.Key.Key_Space)
