"""Render the app's main screens from the simulator to ``docs/screenshots/*.png``.

    python docs/make_screenshots.py [--out DIR]

Runs offscreen (no display needed) on a virtual clock: each screen is the real app, driven by
the in-process simulator's scripted patient, grabbed with ``QWidget.grab``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.main import MainWindow
from cctf.gui.simlink import attach_virtual_sim
from cctf.session.settings import preset
from cctf.sim.scenarios import load_scenario

SIZE = (1280, 800)


class Shooter:
    def __init__(self, app: QApplication, out: Path, data_dir: Path) -> None:
        self.app = app
        self.out = out
        self.data_dir = data_dir
        self.window: MainWindow | None = None
        self.controller: AppController | None = None

    def fresh(self, scenario, tab: str = "clinic") -> AppController:
        if self.window is not None:
            assert self.controller is not None
            self.controller.shutdown()
            self.window.close()
        controller = AppController(data_dir=self.data_dir, discover_fn=list)
        window = MainWindow(controller)
        window.resize(*SIZE)
        window.show()
        window.tabs.setCurrentWidget(getattr(window, tab))
        name = scenario if isinstance(scenario, str) else scenario.name
        window.bar.choose_simulator(Path(name).name)
        attach_virtual_sim(controller, scenario)
        self.window, self.controller = window, controller
        return controller

    def run_until(self, condition: Callable[[], bool], limit_s: float = 900.0,
                  step_s: float = 0.1) -> None:
        c = self.controller
        assert c is not None and c.device is not None
        end = c.device.clock.now() + limit_s
        while not condition():
            if c.device.clock.now() > end:
                raise RuntimeError("the simulated session did not reach the wanted state")
            c.run_virtual(step_s, step_s)

    def shot(self, name: str) -> None:
        assert self.window is not None
        for _ in range(3):
            self.app.processEvents()
        self.window.statusBar().clearMessage()
        path = self.out / f"{name}.png"
        self.window.grab().save(str(path))
        print(f"wrote {path}")  # noqa: T201 - a script reporting what it wrote


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    theme.apply(app)
    with tempfile.TemporaryDirectory(prefix="cctf-shots-") as tmp:
        s = Shooter(app, args.out, Path(tmp))

        # Clinic set-up: inflated, the backflow settled, ready to start.
        c = s.fresh("healthy")
        s.run_until(lambda: c.setup.ready)
        c.run_virtual(6.0)
        s.shot("clinic-setup")

        # Clinic mid-test: a compensating patient's jerky, overshooting nod at 24 mmHg.
        c = s.fresh("compensator")
        s.run_until(lambda: c.setup.ready)
        c.begin_clinic()
        s.run_until(lambda: c.session.live.index == 1 and c.cue.step == "hold"
                    and len(c.session.live.faults) >= 2)
        c.run_virtual(2.0)
        s.shot("clinic-test")

        # Results of a complete research-protocol session (healthy: 8 mmHg, PI 80).
        c = s.fresh("healthy")
        s.run_until(lambda: c.setup.ready)
        c.begin_clinic()
        s.run_until(lambda: c.session is None, step_s=0.25)
        s.shot("clinic-results")
        assert c.last_report is not None and c.last_report.recorder.join()
        recorded = c.last_report.path

        # Home training: holding in the band.
        c = s.fresh("healthy", tab="training")
        c.set_prescription(dataclasses.replace(c.prescription, target_mmhg=24.0, reps=6))
        s.run_until(lambda: c.setup.ready)
        s.shot("training-start")
        c.begin_training()
        s.run_until(lambda: c.session.runner.reps_done == 2 and c.cue.step == "hold"
                    and c.band == "in" and (c.hold_remaining_s() or 0) < 6)
        s.shot("training")
        s.run_until(lambda: c.session is None)
        s.shot("training-summary")

        # Connection bar and live view while a bad cable drops out (reconnecting).
        scenario = load_scenario("bad-cable")
        c = s.fresh(scenario, tab="monitor")
        c.set_settings(preset("short"), name="short")
        s.run_until(lambda: c.link_state.value == "reconnecting", limit_s=60)
        c.run_virtual(1.0)
        s.shot("connection-reconnecting")

        # Monitor: the clinic session recorded above, replayed as a live device, recorded
        # again with manual markers; a 2-minute window.
        c = s.fresh(str(recorded), tab="monitor")
        assert s.window is not None
        s.window.monitor.span.setCurrentIndex(2)
        c.run_virtual(30.0)
        c.start_recording()
        c.run_virtual(14.0)
        c.add_marker("patient swallowed")
        c.run_virtual(40.0)
        c.add_marker("")
        c.run_virtual(16.0)
        s.shot("monitor")
        assert s.controller is not None
        s.controller.shutdown()
        patient_mode(app, args.out, Path(tmp))
    return 0


def patient_mode(app: QApplication, out: Path, data_dir: Path) -> None:
    """``cctf train``: the patient's full-screen view, mid-hold on an overshooting nod."""
    from cctf.gui.patient_mode import PatientWindow
    from cctf.session.training import Prescription

    controller = AppController(data_dir=data_dir, discover_fn=list)
    window = PatientWindow(controller, Prescription(target_mmhg=24.0, reps=6))
    window.resize(*SIZE)
    window.show()
    attach_virtual_sim(controller, "overshoot")
    controller.run_virtual(20.0, 0.25)
    controller.begin_training()
    while not (controller.cue.step == "hold" and controller.band == "high"
               and controller.display_mmhg > 25.5):
        controller.run_virtual(0.1, 0.1)
    for _ in range(3):
        app.processEvents()
    path = out / "patient-mode.png"
    window.grab().save(str(path))
    print(f"wrote {path}")  # noqa: T201 - a script reporting what it wrote
    controller.shutdown()
    window.close()


if __name__ == "__main__":
    sys.exit(main())
