"""``cctf record``: stream from a device or the simulator into a session CSV.

Progress goes to stderr once a second; the link health is printed at the end. With ``--sim``
the simulator's built-in cue schedule fills the target and phase columns, so the file can be
analysed; from a real device they are blank (no test is being cued).

With ``--patient ID`` the session is registered in the records before the first sample is
written (``begin_session``: status ``recording``, a held lock) and completed — analysed and
stored — when the file is closed; without ``-o`` the CSV goes into the patient's folder. If
the process dies mid-way, the next start of cctf recovers it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from cctf import texts
from cctf.acquisition.device import Device
from cctf.acquisition.recorder import SessionRecorder
from cctf.acquisition.transport import SerialTransport
from cctf.acquisition.walltime import following
from cctf.clock import Clock, MonotonicClock, VirtualClock

if TYPE_CHECKING:
    from cctf.acquisition.lsl import LslOutlet
    from cctf.records.recovery import ActiveSession
    from cctf.records.store import Records

_POLL_S = 0.2
_FAST_REPORT_S = 10.0


def record(args: argparse.Namespace) -> int:
    if args.output is None and not getattr(args, "patient", None):
        print("cctf: record needs -o FILE.csv (or --patient ID to save into the records)",
              file=sys.stderr)
        return 2
    if getattr(args, "lsl", False):
        from cctf.acquisition.lsl import load_pylsl

        load_pylsl()  # without it: one clear line, before any device is opened

    typed = args.output
    if args.output is not None:
        from cctf.outputs import resolve_output

        # Checked before the device is touched; never overwritten without --force.
        args.output = resolve_output(args.output, force=getattr(args, "force", False))
    try:
        return _record(args, typed)
    except OSError as exc:
        from cctf.outputs import output_os_error

        raise output_os_error(typed, exc) from exc


def _record(args: argparse.Namespace, typed: object) -> int:
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
    session: _Registered | None = None
    outlet: LslOutlet | None = None
    try:
        device.read_calibration()
        if args.rate_hz is not None:  # first, so that the file's header has the rate in force
            device.set_rate(args.rate_hz)
        if getattr(args, "patient", None):
            session = _begin(args, device, "clinic" if args.record_sim is not None
                             else "monitor")
            metadata.update(session.active.metadata)
            args.output = session.active.csv_path
        if getattr(args, "lsl", False):
            outlet = open_lsl(device, args)
        # The wall clock of t_s = 0 and every 10 s (docs/time.md); --fast: as if real time.
        # The recording starts before START: every sample the device sends is in the file
        # (sample 0 included), none is skipped as "older than the recording".
        neutral = getattr(args, "head_neutral", None)  # --head-neutral (issue 17)
        if neutral is not None and not (device.hello is not None and device.hello.head_sensor):
            print(texts.HEAD_NEUTRAL_NO_SENSOR, file=sys.stderr)
        recorder = SessionRecorder(device, args.output, metadata,
                                   wall=following(clock) if args.fast else time.time,
                                   overwrite=bool(getattr(args, "force", False)),
                                   head_neutral=neutral)
        recorder.start()
        device.start(threaded=not args.fast)
        assert recorder.t0_s is not None  # set by start()
        if args.record_sim is not None:
            schedule = schedule_of(transport.firmware)
            recorder.cues = cue_lookup(schedule, recorder.t0_s - transport.origin_s)
        pump = None
        if outlet is not None:
            from cctf.session.lsl_feed import DeviceLslPump

            pump = DeviceLslPump(device, outlet, recorder.t0_s, cues=recorder.cues,
                                 rate_hz=float(args.rate_hz or device.rate_hz or 0),
                                 head_neutral=neutral)
        end = recorder.t0_s + args.seconds
        next_report = recorder.t0_s
        try:
            while (now := clock.now()) < end:
                if args.fast:
                    device.run_for(min(_POLL_S, end - now))
                else:
                    clock.sleep(min(_POLL_S, end - now))
                recorder.poll()
                if pump is not None:
                    pump.poll()
                if clock.now() >= next_report:
                    # Live: one updating line a second. Fast: a line per 10 simulated seconds
                    # (rows up to that time are on disk), which scripts and tests can follow.
                    _progress(device, recorder, clock.now() - recorder.t0_s, args.seconds,
                              end="\n" if args.fast else "")
                    next_report += _FAST_REPORT_S if args.fast else 1.0
        except KeyboardInterrupt:
            print("\ncctf record: interrupted, saving what was recorded", file=sys.stderr)
        device.stop()
        extra: dict[str, object] = {}
        if pump is not None and outlet is not None:
            pump.close()
            extra = outlet.metadata(recorder.t0_s)
        recorder.close(extra)
    except BaseException:
        if session is not None:
            session.interrupted()
        raise
    finally:
        device.close()
        if outlet is not None:
            outlet.close()
    health = device.health()
    if recorder.trailing_gap_s:  # an outage still open at the end is a gap up to the end
        health = replace(health, gaps=health.gaps + 1,
                         gap_s=health.gap_s + recorder.trailing_gap_s)
    print(f"\nwrote {recorder.rows} samples to {typed or args.output}", file=sys.stderr)
    print(f"link: {health.summary()}", file=sys.stderr)
    if session is not None:
        session.complete()
    if getattr(args, "json", False):  # the summary for scripts, on stdout
        summary = {"output": str(args.output), "samples": recorder.rows,
                   "session_id": session.active.id if session is not None else None,
                   "link": dict(asdict(health), state=health.state.value)}
        print(json.dumps(summary, indent=2))
    return 0


def open_lsl(device: Device, args: argparse.Namespace) -> LslOutlet:
    """The device's LSL outlets (``--lsl``), after waiting ``--lsl-wait`` for a consumer."""
    from cctf.acquisition.lsl import LslOutlet, StreamSource

    outlet = LslOutlet(StreamSource.of_device(device, args.rate_hz), device.clock)
    names = {"pressure": outlet.pressure_name, "events": outlet.events_name}
    wait_s = getattr(args, "lsl_wait", 0.0) or 0.0
    if wait_s > 0:
        print(texts.LSL_WAITING.format(seconds=wait_s, **names), file=sys.stderr, flush=True)
        if not outlet.wait_for_consumers(wait_s):
            print(texts.LSL_NO_CONSUMER.format(seconds=wait_s), file=sys.stderr)
    print(texts.LSL_OPEN.format(**names), file=sys.stderr, flush=True)
    return outlet


class _Registered:
    """The records side of ``cctf record --patient``."""

    def __init__(self, records: Records, active: ActiveSession) -> None:
        self.records = records
        self.active = active

    def complete(self) -> None:
        from cctf.records.recovery import complete_session

        try:
            s = complete_session(self.records, self.active)
        finally:
            self.records.close()
        from cctf.texts import score_text

        scores = (f": activation {score_text(s.activation_score_mmhg, 'g', 'mmHg')}, "
                  f"PI {score_text(s.performance_index)}" if s.kind == "clinic" else "")
        print(f"saved as session {s.id} of patient {s.patient_code} in the records{scores}",
              file=sys.stderr)

    def interrupted(self) -> None:
        """Recording failed: keep what reached the disk, as a recovered session."""
        from cctf.records.recovery import recover_interrupted

        self.active.lock.release(remove=False)
        try:
            recover_interrupted(self.records)
        finally:
            self.records.close()


def _begin(args: argparse.Namespace, device: Device, kind: str) -> _Registered:
    from cctf.commands.records import open_and_recover
    from cctf.records.recovery import begin_session

    records = open_and_recover(args)
    try:
        hello, cal = device.hello, device.calibration
        active = begin_session(
            records, args.patient, kind, csv_path=args.output,
            device_serial=hello.serial_text if hello else "",
            device_firmware=hello.firmware_text if hello else "",
            calibration_id=str(cal.calibration_id) if cal else "")
    except BaseException:
        records.close()
        raise
    print(f"recording session {active.id} of patient {active.patient_code} to "
          f"{active.csv_path}", file=sys.stderr)
    return _Registered(records, active)


def _progress(
    device: Device, recorder: SessionRecorder, done_s: float, total_s: float, end: str = ""
) -> None:
    h = device.health()
    latest = device.buffer.latest(1)
    p = f"{latest['pressure_mmhg'][0]:6.2f} mmHg" if len(latest) else "   --   "
    print(
        f"\r{done_s:6.1f}/{total_s:.0f} s  {p}  {h.rate_hz:6.1f} Hz  rows {recorder.rows}  "
        f"corrupt {h.corrupt} missing {h.missing}  {h.state.value:<12}",
        end=end, file=sys.stderr, flush=True,
    )
