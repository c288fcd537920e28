"""Drive the clinic runner against the in-process simulator's scripted patient, closed loop."""

from __future__ import annotations

import numpy as np

from cctf.acquisition.device import Device
from cctf.clock import VirtualClock
from cctf.session.clinic import CcftTestRunner
from cctf.session.settings import ProtocolSettings
from cctf.sim.factory import build_transport


class ClinicHarness:
    """A simulated patient who follows the runner's cues, on a virtual clock."""

    def __init__(self, scenario: str, settings: ProtocolSettings, rate_hz: int = 50) -> None:
        self.clock = VirtualClock()
        self.transport = build_transport(scenario, self.clock, autocue=False, rate_hz=rate_hz)
        self.device = Device(self.transport, clock=self.clock)
        self.device.connect()
        self.device.start(threaded=False)
        self.runner = CcftTestRunner(settings, float(rate_hz))
        self.cursor = 0
        self.shown: tuple[float | None, str] | None = None
        self.t: list[np.ndarray] = []
        self.p: list[np.ndarray] = []
        self.events: list = []

    def step(self, dt_s: float = 0.1) -> None:
        self.device.run_for(dt_s)
        pull = self.device.buffer.read(self.cursor)
        self.cursor = pull.cursor
        rows = pull.rows
        fed = self.runner.feed(rows["t_s"], rows["pressure_mmhg"])
        self.events += fed.events
        self.t.append(rows["t_s"])
        self.p.append(rows["pressure_mmhg"])
        cue = self.runner.cue
        key = (cue.target_mmhg if cue.step in ("nod", "hold", "relax") else None, cue.phase)
        if key != self.shown:
            self.shown = key
            self.transport.firmware.source.cue(self.transport.sim_time_s(), key[0], key[1])

    def run(self, setup_s: float = 25.0, limit_s: float = 1500.0) -> None:
        """Set-up (the backflow drop settles), begin, and run until the protocol is done."""
        self.step(setup_s)
        self.runner.begin()
        while not self.runner.done and self.clock.now() < limit_s:
            self.step()
        self.events += self.runner.finish()

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(self.t), np.concatenate(self.p)
