"""``cctf calibrate``: tare and two-point calibration of a device against a pressure reference.

    cctf calibrate (--port PORT | --sim [SCENARIO]) [--points 0,40] [--yes]
                   [--seconds-per-point 3] [--reset | --show | --tare]

The guided procedure (hardware/calibration.md explains the bench set-up):

1. the sensor port is opened to air and the device is tared (TARE);
2. for each reference point the user applies the pressure (a water column or an aneroid gauge),
   the device streams for ``--seconds-per-point`` and the median raw reading is taken; a reading
   that is not steady (SD above 1 mmHg, or drifting) is refused;
3. the two points are written (SET_CAL), read back (GET_CAL) and checked, and the live reading
   at the last point must agree with the reference within ±0.3 mmHg.

``--show`` only shows the calibration in use; ``--reset`` goes back to the datasheet transfer
function (RESET_CAL); ``--tare`` does step 1 only (zero at atmosphere, as before each
session). With ``--sim`` the device is the in-process simulator on a virtual clock (so the
whole procedure runs in well under a second) and the command itself applies each reference
pressure: the scenario supplies the simulated sensor's noise and the link's faults, not the
patient. The simulated unit carries the offset and gain error of ``cctf.sim.sensor``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cctf.acquisition.device import Device
from cctf.acquisition.protocol import CalFlags, Calibration, Hello, SampleFlags, SensorModel
from cctf.acquisition.transport import SerialTransport
from cctf.clock import Clock, MonotonicClock, VirtualClock
from cctf.errors import CctfError, ConfigError, DeviceError

if TYPE_CHECKING:
    from cctf.sim.firmware import SimulatedFirmware
    from cctf.sim.source import ConstantSource

MAX_REFERENCE_MMHG = 75.0  # the MPX5010DP's full scale, 10 kPa
MIN_SPAN_MMHG = 10.0  # closer points make the slope too sensitive to the reference's error
MIN_SECONDS, MAX_SECONDS = 0.5, 60.0
MAX_SD_MMHG = 1.0  # a reference reading noisier than this is not a reference
MAX_DRIFT_MMHG = 0.5  # between the two halves of a window: a leak, or air still settling
VERIFY_TOLERANCE_MMHG = 0.3
SLOPE_TOLERANCE = 0.20  # measured slope vs the datasheet's, for sensors whose datasheet we know
SETTLE_S = 1.0  # readings discarded after a change (pressure settling, frames in flight)
MIN_SAMPLES = 5
SHOW_SECONDS = 1.0

KPA_PER_MMHG = 0.133322368
CMH2O_PER_MMHG = 1.35951  # mercury/water density ratio: 20 mmHg ≈ 27.2 cm of water
# MPX5010DP on the 10-bit ADC, 16 conversions summed (PROTOCOL.md §8.2): 1474.56 counts per kPa.
MPX5010DP_SLOPE_MMHG_PER_COUNT = 1.0 / (16 * 1024 * 0.09 * KPA_PER_MMHG)
_DATASHEET_SLOPES: dict[SensorModel | None, float] = {
    SensorModel.MPX5010DP: MPX5010DP_SLOPE_MMHG_PER_COUNT,
    SensorModel.SIMULATOR: MPX5010DP_SLOPE_MMHG_PER_COUNT,  # the simulator models it
}


class CalibrationRefused(CctfError):
    """The procedure stopped: a reading was unusable or the result did not verify."""


class CalibrationCancelled(CctfError):
    """The user stopped the procedure (or stdin closed) before the calibration was written."""


# --- arguments -------------------------------------------------------------------------------


def parse_points(text: str) -> tuple[float, float]:
    """``"0,40"`` → (0.0, 40.0): two distinct reference pressures within the sensor's range."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"--points must be two pressures in mmHg like 0,40, got {text!r}")
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise ConfigError(f"--points must be two numbers in mmHg like 0,40, got {text!r}") from None
    for p in (a, b):
        if not (math.isfinite(p) and 0.0 <= p <= MAX_REFERENCE_MMHG):
            raise ConfigError(
                f"--points: {p:g} mmHg is outside the sensor's range 0–{MAX_REFERENCE_MMHG:g} mmHg"
            )
    if abs(a - b) < MIN_SPAN_MMHG:
        raise ConfigError(
            f"--points must be two different pressures at least {MIN_SPAN_MMHG:g} mmHg apart "
            f"(ideally spanning 0–40), got {a:g} and {b:g}"
        )
    return a, b


def _check_seconds(value: float) -> float:
    if not (math.isfinite(value) and MIN_SECONDS <= value <= MAX_SECONDS):
        raise ConfigError(
            f"--seconds-per-point must be {MIN_SECONDS:g}–{MAX_SECONDS:g} s, got {value:g}"
        )
    return value


# --- the simulated bench ---------------------------------------------------------------------


@dataclass
class SimBench:
    """One simulated unit on a virtual clock, with a reference pressure the command sets.

    A bench outlives the devices opened on it, as a board keeps its EEPROM between sessions:
    tests reuse one across several ``cctf calibrate`` runs.
    """

    firmware: SimulatedFirmware
    source: ConstantSource
    clock: VirtualClock
    name: str = "sim"

    def device(self) -> Device:
        from cctf.sim.transport import SimTransport

        return Device(SimTransport(self.firmware, self.clock, name=self.name), clock=self.clock)

    def apply(self, mmhg: float) -> None:
        self.source.level_mmhg = mmhg


def sim_bench(scenario: str) -> SimBench:
    """The simulated unit for ``--sim SCENARIO``: its sensor noise and link faults, with a
    constant reference pressure (0 mmHg: port open to air) instead of the patient."""
    from cctf.sim.factory import build_firmware
    from cctf.sim.source import ConstantSource

    if scenario.lower().endswith(".csv"):
        raise ConfigError(
            f"cctf calibrate --sim needs a simulator scenario, not a recording ({scenario})"
        )
    firmware = build_firmware(scenario, autocue=False)
    source = ConstantSource(0.0)
    firmware.source = source  # the reference replaces the scripted patient
    return SimBench(firmware, source, VirtualClock(), name=f"sim:{scenario}")


# --- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A window of samples at one reference pressure."""

    n: int
    raw_median: float
    raw_sd: float  # counts
    sd_mmhg: float  # raw_sd through the nominal slope
    drift_mmhg: float  # median of the second half minus the first, through the nominal slope
    pressure_mmhg: float  # median of what the device reports with its calibration in use
    over_range: int
    sensor_fault: int


class _Link:
    """A streaming device and how to wait on it: pumping (simulator) or a reader thread."""

    def __init__(self, device: Device, clock: Clock, threaded: bool) -> None:
        self.device = device
        self.clock = clock
        self.threaded = threaded

    def start(self) -> None:
        self.device.start(threaded=self.threaded)

    def wait(self, seconds: float) -> None:
        if self.threaded:
            end = self.clock.now() + seconds
            while (left := end - self.clock.now()) > 0:
                self.clock.sleep(min(left, 0.2))
        else:
            self.device.run_for(seconds)

    def measure(self, seconds: float, slope: float) -> Reading:
        self.wait(SETTLE_S)
        cursor = self.device.buffer.written
        self.wait(seconds)
        rows = self.device.buffer.read(cursor).rows
        if len(rows) < MIN_SAMPLES:
            raise DeviceError(
                f"{self.device.transport.name}: only {len(rows)} samples in {seconds:g} s; "
                "check the cable (cctf record shows the link's health)"
            )
        flags = rows["flags"]
        fault = int(np.count_nonzero(flags & SampleFlags.SENSOR_FAULT))
        over = int(np.count_nonzero(flags & SampleFlags.OVER_RANGE))
        raw = rows["raw"].astype(float)
        half = len(raw) // 2
        drift = float(np.median(raw[half:]) - np.median(raw[:half])) * slope
        return Reading(
            n=len(rows),
            raw_median=float(np.median(raw)),
            raw_sd=float(np.std(raw, ddof=1)),
            sd_mmhg=float(np.std(raw, ddof=1)) * abs(slope),
            drift_mmhg=drift,
            pressure_mmhg=float(np.median(rows["pressure_mmhg"])),
            over_range=over,
            sensor_fault=fault,
        )


def reading_problem(reading: Reading, reference_mmhg: float) -> str | None:
    """Why ``reading`` cannot serve as the reference point, or None if it can."""
    at = f"at {reference_mmhg:g} mmHg"
    if reading.sensor_fault:
        return (f"the sensor is not responding {at} ({reading.sensor_fault} of {reading.n} "
                "samples flagged SENSOR_FAULT): check its wiring (hardware/wiring.md)")
    if reading.over_range:
        return (f"the reading {at} is beyond the sensor's range ({reading.over_range} of "
                f"{reading.n} samples flagged OVER_RANGE): lower the pressure")
    if reading.sd_mmhg > MAX_SD_MMHG:
        return (f"the reading {at} is not stable (SD {reading.sd_mmhg:.2f} mmHg over "
                f"{reading.n} samples, limit {MAX_SD_MMHG:g}): keep the tubing still, check for "
                "leaks and let the pressure settle")
    if abs(reading.drift_mmhg) > MAX_DRIFT_MMHG:
        return (f"the reading {at} is drifting ({reading.drift_mmhg:+.2f} mmHg within the "
                f"window, limit ±{MAX_DRIFT_MMHG:g}): a leak, or air still settling after "
                "pumping; wait and try again")
    return None


# --- talking to the user ---------------------------------------------------------------------


Ask = Callable[[str], str]


def _ask(prompt: str, yes: bool, ask: Ask) -> None:
    """Show one step; without --yes wait for Enter (q stops)."""
    if yes:
        print(prompt)
        return
    try:
        answer = ask(f"{prompt}\n  press Enter when ready (q to stop): ")
    except EOFError:
        print()
        raise CalibrationCancelled(
            "no answer on stdin; run with --yes to calibrate without prompts"
        ) from None
    if answer.strip().lower() in ("q", "quit", "n", "no"):
        raise CalibrationCancelled("stopped by the user")


def _confirm(question: str, yes: bool, ask: Ask) -> bool:
    if yes:
        return True
    try:
        answer = ask(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def describe_calibration(cal: Calibration, nominal: float | None) -> str:
    if cal.flags & CalFlags.TWO_POINT:
        kind = "two-point calibration"
    else:
        kind = "datasheet transfer function (not calibrated)"
    if cal.flags & CalFlags.TARED:
        kind += ", tared"
    if cal.calibration_id == 0:
        kind += "; never written (default record)"
    slope = cal.slope_mmhg_per_count
    vs = ""
    if nominal:
        vs = f" (datasheet {nominal:.6f}, {round(100 * (slope / nominal - 1), 2) + 0.0:+.2f} %)"
    return (
        f"calibration id {cal.calibration_id}: {kind}\n"
        f"  points {cal.raw_a} counts = {cal.mmhg_a:.3f} mmHg, "
        f"{cal.raw_b} counts = {cal.mmhg_b:.3f} mmHg; zero {cal.zero_raw} counts\n"
        f"  slope {slope:.6f} mmHg/count{vs}"
    )


def _describe_device(hello: Hello, name: str) -> str:
    return (f"device {hello.serial_text} on {name}: firmware {hello.firmware_text}, "
            f"{hello.sensor_text}, {hello.sample_rate_hz} Hz")


# --- the command -----------------------------------------------------------------------------


def _show_json(hello: Hello, port: str, cal: Calibration, nominal: float | None,
               r: Reading) -> dict[str, object]:
    """``cctf calibrate --show --json``: the device, its calibration and what it reads now."""
    return {
        "port": port,
        "device": {"serial": hello.serial_text, "firmware": hello.firmware_text,
                   "sensor": hello.sensor_text, "sample_rate_hz": hello.sample_rate_hz},
        "calibration": {"calibration_id": cal.calibration_id, "raw_a": cal.raw_a,
                        "mmhg_a": cal.mmhg_a, "raw_b": cal.raw_b, "mmhg_b": cal.mmhg_b,
                        "zero_raw": cal.zero_raw, "flags": int(cal.flags),
                        "slope_mmhg_per_count": cal.slope_mmhg_per_count},
        "datasheet_slope_mmhg_per_count": nominal,
        "reading": {"pressure_mmhg": r.pressure_mmhg, "sd_mmhg": r.sd_mmhg,
                    "raw_median": r.raw_median, "samples": r.n},
    }


def calibrate(args: argparse.Namespace, ask: Ask = input) -> int:
    points = parse_points(args.points)
    seconds = _check_seconds(args.seconds_per_point)
    bench: SimBench | None = None
    clock: Clock
    if args.cal_sim is not None:
        bench = sim_bench(args.cal_sim)
        clock = bench.clock
        device = bench.device()
    else:
        clock = MonotonicClock()
        device = Device(SerialTransport(args.cal_port), clock=clock)
    apply = bench.apply if bench is not None else (lambda _mmhg: None)

    hello = device.connect()
    link = _Link(device, clock, threaded=bench is None)
    try:
        nominal = _DATASHEET_SLOPES.get(_model(hello))
        cal = device.read_calibration()
        if getattr(args, "json", False):
            if not args.show:
                raise ConfigError("--json goes with --show")
            link.start()
            r = link.measure(SHOW_SECONDS, nominal or cal.slope_mmhg_per_count)
            print(json.dumps(_show_json(hello, device.transport.name, cal, nominal, r), indent=2))
            return 0
        print(_describe_device(hello, device.transport.name))
        print(describe_calibration(cal, nominal))
        if args.show:
            link.start()
            r = link.measure(SHOW_SECONDS, nominal or cal.slope_mmhg_per_count)
            print(f"now reads {r.pressure_mmhg:.2f} mmHg (SD {r.sd_mmhg:.3f} mmHg, raw "
                  f"{r.raw_median:.1f} counts, {r.n} samples)")
            return 0
        if args.reset:
            if not _confirm("Forget the stored calibration and go back to the datasheet?",
                            args.yes, ask):
                raise CalibrationCancelled("reset not confirmed; the calibration is unchanged")
            cal = device.reset_calibration()
            print("restored the datasheet calibration:")
            print(describe_calibration(cal, nominal))
            return 0
        slope = nominal or cal.slope_mmhg_per_count
        if args.tare:
            link.start()
            _tare(link, seconds, slope, apply, args.yes, ask, "zero at atmosphere")
            device.stop()
            return 0
        return _procedure(link, points, seconds, slope, nominal, apply, args.yes, ask)
    finally:
        device.close()


def _model(hello: Hello) -> SensorModel | None:
    try:
        return SensorModel(hello.sensor_model)
    except ValueError:
        return None


def _measure_point(link: _Link, reference: float, seconds: float, slope: float,
                   yes: bool, ask: Ask) -> Reading:
    """Measure at ``reference``; interactively, offer another try when the reading is bad."""
    while True:
        reading = link.measure(seconds, slope)
        problem = reading_problem(reading, reference)
        if problem is None:
            return reading
        if yes:
            raise CalibrationRefused(problem)
        print(f"  {problem}")
        _ask("  measure again?", yes, ask)


def _procedure(link: _Link, points: tuple[float, float], seconds: float, slope: float,
               nominal: float | None, apply: Callable[[float], None], yes: bool,
               ask: Ask) -> int:
    link.start()
    tared = _tare(link, seconds, slope, apply, yes, ask, "step 1 of 3: zero at atmosphere")
    try:
        raws = _measure_points(link, points, seconds, slope, apply, yes, ask)
    except (CalibrationCancelled, CalibrationRefused) as exc:
        raise type(exc)(f"{exc} (the two-point calibration was not written; the tare of "
                        f"step 1 stays, id {tared.calibration_id})") from None
    _store_and_verify(link, points, raws, seconds, nominal, yes, ask)
    return 0


def _tare(link: _Link, seconds: float, slope: float, apply: Callable[[float], None],
          yes: bool, ask: Ask, title: str) -> Calibration:
    print(f"\n{title}")
    _ask("  disconnect the cuff and open the sensor port (P1) to air", yes, ask)
    apply(0.0)
    before = _measure_point(link, 0.0, seconds, slope, yes, ask)
    tared = link.device.tare()
    print(f"  read {before.pressure_mmhg:+.2f} mmHg open to air; tared: zero "
          f"{tared.zero_raw} counts (calibration id {tared.calibration_id})")
    return tared


def _measure_points(link: _Link, points: tuple[float, float], seconds: float, slope: float,
                    apply: Callable[[float], None], yes: bool, ask: Ask) -> list[int]:
    print(f"\nstep 2 of 3: reference points {points[0]:g} and {points[1]:g} mmHg")
    raws: list[int] = []
    for i, ref in enumerate(points, 1):
        how = ("leave the port open to air" if ref == 0 else
               f"apply {ref:g} mmHg from the reference (water column {CMH2O_PER_MMHG * ref:.1f} "
               "cm, or the aneroid gauge) to P1")
        _ask(f"  point {i}: {how}", yes, ask)
        apply(ref)
        r = _measure_point(link, ref, seconds, slope, yes, ask)
        raws.append(round(r.raw_median))
        print(f"  point {i}: {ref:g} mmHg → raw {r.raw_median:.1f} counts (SD "
              f"{r.sd_mmhg:.3f} mmHg over {r.n} samples); the device read "
              f"{r.pressure_mmhg:.2f} mmHg before calibration ({r.pressure_mmhg - ref:+.2f})")
    return raws


def _store_and_verify(link: _Link, points: tuple[float, float], raws: list[int],
                      seconds: float, nominal: float | None, yes: bool, ask: Ask) -> None:
    device = link.device
    (pa, pb), (ra, rb) = points, raws
    if ra == rb:
        raise CalibrationRefused(
            f"the readings at {pa:g} and {pb:g} mmHg are the same ({ra} counts): is the "
            "reference connected to the sensor's P1 port?"
        )
    measured = (pb - pa) / (rb - ra)
    if nominal and (measured <= 0 or abs(measured / nominal - 1) > SLOPE_TOLERANCE):
        off = 100 * (measured / nominal - 1)
        raise CalibrationRefused(
            f"the measured slope {measured:.6f} mmHg/count is {off:+.0f} % off the datasheet's "
            f"{nominal:.6f} (limit ±{100 * SLOPE_TOLERANCE:.0f} %): check the reference "
            "pressures, that the tube is on P1 (not P2) and that nothing leaks; the two-point "
            "calibration was not written"
        )

    print("\nstep 3 of 3: store and verify")
    written = device.write_calibration(ra, pa, rb, pb)
    stored = device.read_calibration()
    _check_record(stored, written, ra, pa, rb, pb)
    check = _measure_point(link, pb, seconds, stored.slope_mmhg_per_count, yes, ask)
    error = check.pressure_mmhg - pb
    if abs(error) > VERIFY_TOLERANCE_MMHG:
        raise CalibrationRefused(
            f"verification failed: at the {pb:g} mmHg reference the device now reads "
            f"{check.pressure_mmhg:.2f} mmHg ({error:+.2f}, limit ±{VERIFY_TOLERANCE_MMHG:g}); "
            f"the new calibration (id {stored.calibration_id}) is stored but suspect: check the "
            "reference and run cctf calibrate again"
        )
    device.stop()
    print(f"  at {pb:g} mmHg the device now reads {check.pressure_mmhg:.2f} mmHg ({error:+.2f}, "
          f"limit ±{VERIFY_TOLERANCE_MMHG:g})")
    print(f"\ncalibrated: id {stored.calibration_id}, slope "
          f"{stored.slope_mmhg_per_count:.6f} mmHg/count, zero {stored.zero_raw} counts")
    print(describe_calibration(stored, nominal))


def _check_record(stored: Calibration, written: Calibration, ra: int, pa: float, rb: int,
                  pb: float) -> None:
    """The record read back must be the one just written, with the points sent."""
    zero = ra - round(pa * (rb - ra) / (pb - pa))
    ok = (
        stored == written
        and (stored.raw_a, stored.raw_b) == (ra, rb)
        and abs(stored.mmhg_a - pa) < 5e-4
        and abs(stored.mmhg_b - pb) < 5e-4
        and stored.flags & CalFlags.TWO_POINT
        and abs(stored.zero_raw - zero) <= 1
    )
    if not ok:
        raise CalibrationRefused(
            f"the device stored a different record than was sent (sent {ra}={pa:g} mmHg, "
            f"{rb}={pb:g} mmHg; read back {stored}): run cctf calibrate again; if it repeats, "
            "the EEPROM or the firmware is at fault"
        )
