"""The head sensor's cost on the link and the host (issue 17), against no sensor, same run.

    python benchmarks/bench_head_link.py [--seconds 120] [--rate 250]

Streams ``--seconds`` of simulated device time at ``--rate`` from the Python firmware model
(SAMPLE, and with the sensor a HEAD after each) into a ``Device`` on a virtual clock, and prints
a Markdown table: wire bytes per second (and the share of 115200 baud = 11 520 B/s), host CPU
time (the firmware model and the host together: they share the process) to produce, decode, pair
HEAD to SAMPLE and buffer, and the share of samples with an angle.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from cctf.acquisition.device import Device
from cctf.clock import VirtualClock
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.source import ConstantSource
from cctf.sim.transport import SimTransport

LINE_BYTES_PER_S = 115200 / 10


def head(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return 4.0 + 3.0 * np.sin(np.asarray(t) / 3.0), np.full(len(t), -1.0)


def run(seconds: float, rate: int, with_head: bool) -> dict[str, float]:
    clock = VirtualClock()
    fw = SimulatedFirmware(ConstantSource(20.0, 0.05), seed=1, head=head if with_head else None)
    transport = SimTransport(fw, clock)
    device = Device(transport, clock=clock, buffer_capacity=rate * int(seconds) + 1000)
    device.connect()
    device.start(rate_hz=rate, threaded=False)
    bytes_in = device._decoder.stats.bytes_in
    t0 = time.process_time()
    device.run_for(seconds)
    cpu = time.process_time() - t0
    rows = device.buffer.read(0).rows
    wire = device._decoder.stats.bytes_in - bytes_in
    return {"samples": len(rows), "wire_Bps": wire / seconds, "cpu_s": cpu,
            "with_angle": float(np.isfinite(rows["head_pitch_deg"]).mean())}


def main() -> None:
    logging.disable(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--rate", type=int, default=250)
    args = ap.parse_args()
    print(f"{args.seconds:g} s at {args.rate} Hz (Python firmware model, virtual clock)\n")
    print("| link | samples | wire B/s | of 115200 baud | CPU s (sim + host) | per sample µs "
          "| samples with an angle |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, flag in (("pressure only", False), ("with head sensor", True)):
        r = run(args.seconds, args.rate, flag)
        print(f"| {label} | {r['samples']} | {r['wire_Bps']:.0f} | "
              f"{100 * r['wire_Bps'] / LINE_BYTES_PER_S:.0f} % | {r['cpu_s']:.2f} | "
              f"{1e6 * r['cpu_s'] / r['samples']:.1f} | {100 * r['with_angle']:.1f} % |")


if __name__ == "__main__":
    main()
