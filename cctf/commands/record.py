"""``cctf record``: stream from a device or the simulator into a session CSV.

Progress goes to stderr once a second; the link health is printed at the end. With ``--sim``
the simulator's built-in cue schedule fills the target and phase columns, so the file can be
analysed; from a real device they are blank (no test is being cued).
"""

from __future__ import annotations

import argparse
import sys

from cctf.acquisition.device import Device
from cctf.acquisition.recorder import SessionRecorder
from cctf.acquisition.transport import SerialTransport
from cctf.clock import Clock, MonotonicClock, VirtualClock

_POLL_S = 0.2


def record(args: argparse.Namespace) -> int:
    clock: Clock
    metadata: dict[str, object] = {}
    if args.record_sim is not None:
        from cctf.sim.factory import build_transport, cue_lookup, schedule_of

        clock = VirtualClock() if args.fast else MonotonicClock()
        transport = build_transport(args.record_sim, clock, seed=args.seed, autocue=True)
        metadata.update(source="simulator", scenario=args.record_sim)
        if args.seed is not None:
            metadata["seed"] = args.seed
    else:
        if args.fast:
            print("cctf: --fast only works with --sim", file=sys.stderr)
            return 2
        clock = MonotonicClock()
        transport = SerialTransport(args.record_port)
        metadata["source"] = f"serial {args.record_port}"
    device = Device(transport, clock=clock)
    device.connect()
    try:
        device.read_calibration()
        device.start(rate_hz=args.rate_hz, threaded=not args.fast)
        recorder = SessionRecorder(device, args.output, metadata)
        recorder.start()
        if args.record_sim is not None:
            schedule = schedule_of(transport.firmware)
            recorder.cues = cue_lookup(schedule, recorder.t0_s - transport.origin_s)
        end = recorder.t0_s + args.seconds
        next_report = recorder.t0_s
        try:
            while (now := clock.now()) < end:
                if args.fast:
                    device.run_for(min(_POLL_S, end - now))
                else:
                    clock.sleep(min(_POLL_S, end - now))
                recorder.poll()
                if clock.now() >= next_report and not args.fast:
                    _progress(device, recorder, clock.now() - recorder.t0_s, args.seconds)
                    next_report += 1.0
        except KeyboardInterrupt:
            print("\ncctf record: interrupted, saving what was recorded", file=sys.stderr)
        device.stop()
        recorder.close()
    finally:
        device.close()
    health = device.health()
    print(f"\nwrote {recorder.rows} samples to {args.output}", file=sys.stderr)
    print(f"link: {health.summary()}", file=sys.stderr)
    return 0


def _progress(device: Device, recorder: SessionRecorder, done_s: float, total_s: float) -> None:
    h = device.health()
    latest = device.buffer.latest(1)
    p = f"{latest['pressure_mmhg'][0]:6.2f} mmHg" if len(latest) else "   --   "
    print(
        f"\r{done_s:6.1f}/{total_s:.0f} s  {p}  {h.rate_hz:6.1f} Hz  rows {recorder.rows}  "
        f"corrupt {h.corrupt} missing {h.missing}  {h.state.value:<12}",
        end="", file=sys.stderr, flush=True,
    )
