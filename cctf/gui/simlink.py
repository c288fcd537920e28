"""The in-process simulator as the app's device, with a patient who follows the app's cues.

The app shows a cue on the UI thread while the device's reader thread samples the simulated
patient; ``FollowingPatient`` queues each cue and hands it to the patient on the reader's
thread, just before the next samples are computed, so the two never race.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from cctf import texts
from cctf.acquisition.device import Device
from cctf.clock import Clock, VirtualClock
from cctf.sim.factory import build_transport
from cctf.sim.scenarios import Scenario
from cctf.sim.transport import SimTransport

if TYPE_CHECKING:
    from cctf.gui.controller import AppController


class FollowingPatient:
    """Wraps the firmware's pressure source: ``cue`` from any thread, applied in order."""

    def __init__(self, transport: SimTransport) -> None:
        self.transport = transport
        self.source = transport.firmware.source
        self._pending: deque[tuple[float, float | None, str]] = deque()
        transport.firmware.source = self

    def show(self, target_mmhg: float | None, phase: str = "") -> None:
        """Show ``target_mmhg`` to the patient now (None: relax)."""
        self.cue(self.transport.sim_time_s(), target_mmhg, phase)

    def cue(self, t_s: float, target_mmhg: float | None, phase: str = "") -> None:
        """The ``PressureSource`` call, queued."""
        self._pending.append((t_s, target_mmhg, phase))

    def pressure_mmhg(self, t_s):
        while self._pending:
            t, target, phase = self._pending.popleft()
            self.source.cue(t, target, phase)
        return self.source.pressure_mmhg(t_s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)


def sim_device(
    scenario: Scenario | str, clock: Clock, *, rate_hz: int | None = None,
    seed: int | None = None,
) -> tuple[Device, FollowingPatient]:
    """A simulated device (not yet connected) whose patient waits for the app's cues."""
    transport = build_transport(scenario, clock, autocue=False, rate_hz=rate_hz, seed=seed)
    patient = FollowingPatient(transport)
    return Device(transport, clock=clock), patient


def attach_virtual_sim(
    controller: AppController, scenario: Scenario | str = "healthy", *,
    rate_hz: int | None = None, seed: int | None = None,
) -> tuple[Device, FollowingPatient, VirtualClock]:
    """Attach a simulated device on a ``VirtualClock`` with no reader thread: the caller
    drives it with ``controller.run_virtual`` (tests, screenshots, benchmarks)."""
    clock = VirtualClock()
    device, patient = sim_device(scenario, clock, rate_hz=rate_hz, seed=seed)
    device.connect()
    device.read_calibration()
    device.start(threaded=False)
    name = scenario if isinstance(scenario, str) else scenario.name
    controller.attach(device, texts.SIM_LABEL.format(scenario=name), patient=patient,
                      threaded=False)
    return device, patient, clock
