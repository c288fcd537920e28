"""How fast the host gets the stream back after a reboot whose boot HELLO is lost.

    python benchmarks/bench_link_resume.py

The in-process simulator on a virtual clock (deterministic, no sleeps): a watchdog reset at
10 s with its HELLO lost. Without the liveness rule (PROTOCOL.md section 10.5) the stream never
comes back; with it, the host notices max(0.5 s, 5 periods) of silence, sends IDENTIFY, sees
"not streaming" and sends SET_RATE and START. Prints one row per rate.
"""

from __future__ import annotations

from cctf.acquisition.device import Device, liveness_timeout_s
from cctf.clock import VirtualClock
from cctf.sim.faults import LinkFaults
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.source import ConstantSource
from cctf.sim.transport import SimTransport

RESET_S = 10.0


def resume(rate_hz: int) -> tuple[float, float]:
    clock = VirtualClock()
    firmware = SimulatedFirmware(ConstantSource(20.0), seed=1, faults=LinkFaults(
        resets_s=(RESET_S,), boot_hello_loss_prob=1.0))
    device = Device(SimTransport(firmware, clock), clock=clock)
    device.connect()
    device.start(rate_hz=rate_hz, threaded=False)
    while clock.now() < RESET_S + 8.0:
        device.pump(0.005)
    t = device.buffer.read(0).rows["t_s"]
    before, after = t[t <= RESET_S], t[t > RESET_S]
    return after[0] - RESET_S, after[0] - before[-1]


def main() -> None:
    print(f"{'rate Hz':>8} {'silence rule s':>15} {'resumed after reboot s':>23} {'gap s':>7}")
    for rate in (1, 10, 50, 100, 250):
        resumed, gap = resume(rate)
        print(f"{rate:>8} {liveness_timeout_s(rate):>15.3f} {resumed:>23.3f} {gap:>7.3f}")


if __name__ == "__main__":
    main()
