"""The app's LSL setting: off by default; on, the attached device's samples, cues, analysis
events, therapist marks and link events go to the outlet at their sample times.

pylsl is replaced by a recording fake here (no sockets); tests/test_lsl.py uses the real one.
"""

from __future__ import annotations

import numpy as np
import pytest

from cctf.acquisition.walltime import parse_pairs
from cctf.gui.simlink import attach_virtual_sim
from cctf.sessionfile import read_session

from .gui_helpers import make_app, run_until
from .lsl_fake import FakeOutlet, use_fake

LSL_OFFSET_S = 1234.5


def test_lsl_is_off_by_default_and_the_menu_turns_it_on(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path)
    try:
        device, _, clock = attach_virtual_sim(controller, "healthy")
        use_fake(controller, lambda: clock.now() + LSL_OFFSET_S)
        assert not window.lsl_action.isChecked() and not controller.lsl.streaming
        run_until(controller, lambda: controller.setup.ready)
        assert not FakeOutlet.made  # off: nothing was opened

        window.lsl_action.trigger()  # File ▸ Stream to LSL
        assert controller.lsl.streaming and len(FakeOutlet.made) == 2
        pressure, events = FakeOutlet.made
        assert pressure.info.name == "cctf-pressure-SIM00001" and pressure.info.rate == 50.0
        assert events.info.name == "cctf-events-SIM00001" and events.info.type == "Markers"
        assert "cctf-pressure-SIM00001" in window.statusBar().currentMessage()
        first = device.buffer.written

        assert controller.begin_clinic()
        run_until(controller, lambda: len(controller.session.runner.trials) >= 2)
        controller.add_marker("swallowed")
        controller.mark_compensation("scm")
        controller.run_virtual(1.0)
        controller.end_session()
        assert controller.last_report.recorder.join(10.0)
        rec = read_session(controller.last_report.path)
        controller.run_virtual(0.5)
        window.lsl_action.trigger()  # off again
        assert not controller.lsl.streaming

        # Every sample since the outlet opened, at its mapped time on the LSL clock.
        rows = device.buffer.read(first).rows
        assert len(pressure.values) == len(rows) > 0
        np.testing.assert_allclose(pressure.stamps, rows["t_s"] + LSL_OFFSET_S, atol=1e-9)
        np.testing.assert_allclose(pressure.values, rows["pressure_mmhg"], atol=1e-4)

        texts = [m for _, m in events.markers]
        assert texts[0] == "recording start" and texts[-1] == "recording stop"
        t0 = controller.last_report.t0_display_s + controller.origin_s + LSL_OFFSET_S
        assert events.markers[0][0] == t0
        assert "cue target_mmhg=22 phase=stage" in texts
        for expected in ("trial_start trial=1 phase=stage target_mmhg=22", "reached trial=1",
                         "held trial=1", "verdict trial=1 phase=stage passed",
                         "therapist swallowed"):
            assert expected in texts, expected
        assert any(m.startswith("therapist ") and "SCM" in m for m in texts), texts
        assert texts.index("reached trial=1") < texts.index("held trial=1") < texts.index(
            "verdict trial=1 phase=stage passed")
        cue_t = next(t for t, m in events.markers if m == "cue target_mmhg=24 phase=stage")
        k = np.flatnonzero(rec.target_mmhg == 24)[0]
        assert cue_t == pytest.approx(t0 + rec.t_s[k], abs=1e-3)

        assert float(rec.metadata["lsl_clock_at_t0_s"]) == pytest.approx(t0, abs=1e-6)
        # The session file says when t_s = 0 was on the wall clock, and every 10 s.
        assert rec.metadata["t0_wall_clock"].count(".") == 1  # microseconds
        pairs = parse_pairs(rec.metadata["clock_pairs"])
        assert len(pairs) >= int(rec.t_s[-1] // 10)
        assert [round(p[0] // 10) for p in pairs] == list(range(len(pairs)))
    finally:
        controller.shutdown()


def test_turning_lsl_on_without_pylsl_says_so_and_stays_off(qtbot, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pylsl", None)
    controller, window = make_app(qtbot, tmp_path)
    try:
        window.lsl_action.trigger()
        assert not window.lsl_action.isChecked() and not controller.lsl.enabled
        assert window.statusBar().currentMessage().startswith("--lsl needs pylsl")
    finally:
        controller.shutdown()
