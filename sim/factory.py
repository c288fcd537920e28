"""Build a simulated device from a scenario: firmware, sensor, patient and link faults."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cctf.clock import Clock
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.scenarios import Scenario, load_scenario
from cctf.sim.sensor import SensorParams, SimulatedSensor
from cctf.sim.source import Cue
from cctf.sim.transport import SimTransport


def build_firmware(
    scenario: Scenario | str,
    *,
    seed: int | None = None,
    autocue: bool = True,
    rate_hz: int | None = None,
) -> SimulatedFirmware:
    """The simulated board for ``scenario``: a name, a scenario file, a loaded Scenario, or a
    session CSV to replay."""
    if isinstance(scenario, str) and scenario.lower().endswith(".csv"):
        from cctf.sim.replay import replay_firmware

        fw = replay_firmware(scenario, seed=seed or 0)
        if rate_hz:
            fw.default_rate_hz = rate_hz
        return fw
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    seed = sc.seed if seed is None else seed
    source = sc.make_source(seed=seed, autocue=autocue)
    sensor = SimulatedSensor(SensorParams(noise_mmhg=sc.sensor.noise_mmhg), seed=seed + 7)
    head = source.head_angles if sc.head.fitted else None
    return SimulatedFirmware(
        source, sensor=sensor, faults=sc.link, seed=seed, default_rate_hz=rate_hz or 50,
        head=head, head_noise_deg=sc.head.noise_deg,
    )


def build_transport(
    scenario: Scenario | str,
    clock: Clock,
    *,
    seed: int | None = None,
    autocue: bool = True,
    rate_hz: int | None = None,
) -> SimTransport:
    fw = build_firmware(scenario, seed=seed, autocue=autocue, rate_hz=rate_hz)
    return SimTransport(fw, clock, name=f"sim:{_name(scenario)}")


def _name(scenario: Scenario | str) -> str:
    return scenario if isinstance(scenario, str) else scenario.name


def schedule_of(firmware: SimulatedFirmware) -> tuple[Cue, ...]:
    """The cue script the simulated patient (or the replayed recording) follows."""
    return tuple(getattr(firmware.source, "schedule", ()))


def cue_lookup(
    schedule: tuple[Cue, ...], offset_s: float = 0.0
) -> Callable[[np.ndarray], tuple[np.ndarray, list[str]]]:
    """Vectorised target/phase at session times ``t`` (sim time = t + offset_s)."""

    def lookup(t: np.ndarray) -> tuple[np.ndarray, list[str]]:
        sim_t = np.asarray(t) + offset_s
        target = np.full(len(sim_t), np.nan)
        phase = np.full(len(sim_t), "", dtype=object)
        for cue in schedule:
            m = (sim_t >= cue.start_s) & (sim_t < cue.end_s)
            target[m] = cue.target_mmhg
            phase[m] = cue.phase
        return target, list(phase)

    return lookup
