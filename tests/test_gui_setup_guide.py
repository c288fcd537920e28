"""Set-up guidance (headless, used by the clinic and training screens): inflate to 20, the
backflow drop is expected, a falling baseline asks for re-inflation."""

from __future__ import annotations

import numpy as np

from cctf.acquisition.device import Device
from cctf.clock import VirtualClock
from cctf.session.setup import SetupGuide
from cctf.sim.factory import build_transport


def _states(guide: SetupGuide, t: np.ndarray, p: np.ndarray, chunk: int = 5) -> list[str]:
    out = []
    for a in range(0, len(t), chunk):
        s = guide.update(t[a:a + chunk], p[a:a + chunk]).state
        if not out or out[-1] != s:
            out.append(s)
    return out


def test_the_simulated_cuff_is_inflated_settles_and_becomes_ready():
    clock = VirtualClock()
    device = Device(build_transport("healthy", clock, autocue=False), clock=clock)
    device.connect()
    device.start(threaded=False)
    device.run_for(25.0)
    rows = device.buffer.read(0).rows
    states = _states(SetupGuide(), rows["t_s"], rows["pressure_mmhg"])
    assert states[0] == "deflated" and states[-1] == "ready"
    assert "falling" in states  # the backflow drop after pumping up, as the manual says
    device.close()


def test_a_falling_baseline_asks_for_re_inflation():
    t = np.arange(0, 30, 0.02)
    p = np.where(t < 10, 20.0, 20.0 - (t - 10) * 0.15)  # 9 mmHg/min after 10 s
    states = _states(SetupGuide(), t, p)
    assert states[:2] == ["steadying", "ready"] and "falling" in states
    assert states[-1] in ("falling", "low")


def test_high_low_and_deflated():
    t = np.arange(0, 10, 0.02)  # ready needs a known slope (4 s) and 3 s steady
    for level, state in ((0.5, "deflated"), (17.0, "low"), (23.5, "high"), (20.4, "ready")):
        assert _states(SetupGuide(), t, np.full(len(t), level))[-1] == state
