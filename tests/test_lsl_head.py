"""LSL with a head sensor (issue 17): the pressure stream gains ``head_pitch_deg`` and
``head_roll_deg`` (degrees, zeroed, NaN = not measured) — received by a real pylsl inlet on
this machine from `cctf record`, and from the app (a recording fake outlet) equal to what the
app zeroed; without a sensor the stream stays one channel (tests/test_lsl.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cctf.gui.simlink import attach_virtual_sim
from cctf.sessionfile import read_session

from .conftest import REPO
from .gui_helpers import make_app
from .lsl_fake import FakeOutlet, real_inlet, use_fake


def test_an_inlet_receives_the_zeroed_angles_the_file_has(tmp_path):
    pytest.importorskip("pylsl")
    inlet, env = real_inlet(tmp_path)
    csv = tmp_path / "s.csv"
    try:
        rec_proc = subprocess.run(
            [sys.executable, "-m", "cctf.cli", "record", "--sim", "head-nod", "--fast",
             "--seconds", "40", "--lsl", "--lsl-wait", "60", "-o", str(csv)],
            capture_output=True, text=True, cwd=REPO, env=env, timeout=180)
        assert rec_proc.returncode == 0, rec_proc.stderr
        rec = read_session(csv)
        out, _ = inlet.communicate(f"{len(rec)}\n", timeout=120)
    finally:
        inlet.kill()
    lines = out.splitlines()
    assert lines[0] == "ready", out
    got = json.loads(lines[1])
    info = got["info"]
    assert info["channels"] == 3
    assert info["channel_list"] == [["pressure_mmhg", "mmHg", "Pressure"],
                                    ["head_pitch_deg", "degrees", "Orientation"],
                                    ["head_roll_deg", "degrees", "Orientation"]]
    rows = np.array(got["rows"], dtype=float)
    assert rows.shape == (len(rec), 3) and rec.has_head
    np.testing.assert_allclose(rows[:, 0], rec.pressure_mmhg, atol=1e-3)
    for col, angles in ((1, rec.head_pitch_deg), (2, rec.head_roll_deg)):
        streamed = rows[:, col]
        # Not measured (settling, before the still 2 s ended) is NaN in both, never 0.
        np.testing.assert_array_equal(np.isnan(streamed), np.isnan(angles))
        ok = np.isfinite(angles)
        assert ok.sum() > 0.8 * len(rec)
        np.testing.assert_allclose(streamed[ok], angles[ok], atol=0.006)  # the file: 2 dp
    assert np.nanmax(rows[:, 1]) > 2.0  # the patient nodded: the angle moved


@pytest.mark.parametrize("scenario, channels", [("head-nod", 3), ("healthy", 1)])
def test_the_app_streams_the_angles_it_shows(qtbot, tmp_path, scenario, channels):
    controller, _ = make_app(qtbot, tmp_path)
    try:
        device, _, clock = attach_virtual_sim(controller, scenario)
        use_fake(controller, clock.now)
        assert controller.set_lsl(True)
        pressure = FakeOutlet.made[0]
        assert pressure.info.channels == channels
        first = device.buffer.written
        controller.run_virtual(8.0)
        rows = np.array(pressure.rows, dtype=float)
        assert rows.shape == (device.buffer.written - first, channels)
        if channels == 1:
            return
        labels = [c.values["label"] for _, c in pressure.info.desc().children[0][1].children]
        assert labels == ["pressure_mmhg", "head_pitch_deg", "head_roll_deg"]
        head = controller.head
        assert head.neutral is not None  # zeroed from the first still 2 s
        t_display = np.array(pressure.stamps) - controller.origin_s
        shown = np.interp(t_display, head.t, head.pitch)  # the trace the app shows
        ok = np.isfinite(rows[:, 1])
        assert ok.any() and not ok.all()  # not measured before the neutral: NaN, not 0
        assert np.isnan(rows[t_display <= head.neutral.to_s, 1]).all()
        np.testing.assert_allclose(rows[ok, 1], shown[ok], atol=1e-4)
    finally:
        controller.shutdown()
