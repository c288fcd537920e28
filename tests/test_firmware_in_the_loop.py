"""Firmware in the loop: the real firmware (firmware/build/cctf.elf) under simavr, its ADC0 fed
from a pressure trace through the MPX5010DP transfer function, recorded over a pty by the real
host code (``cctf record`` and ``Device``).

The runner's sensor is ideal (no offset or gain error unless a test adds one), so the
firmware's datasheet calibration is exact and a recording must match the trace to within the
converter's quantisation. Synchronisation is on real events only: the device's ACKs and the
sample buffer's condition variable on the host side, the runner's event lines (port opened,
host bytes received, stopped) on the simulator side. See docs/firmware-in-the-loop.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cctf.acquisition.cobs import cobs_decode
from cctf.acquisition.device import Device
from cctf.acquisition.protocol import CalFlags, FrameType, ResetCause, SampleFlags, SensorModel
from cctf.acquisition.transport import SerialTransport
from cctf.cli import main
from cctf.errors import DeviceError
from cctf.sessionfile import read_session
from cctf.sim.avr import FirmwareSim, RunnerEvent, build_runner, missing_simavr
from cctf.sim.sensor import DATASHEET_SLOPE_MMHG_PER_COUNT, KPA_PER_MMHG, OVERSAMPLE

pytestmark = [pytest.mark.firmware, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
FIRMWARE_BUILD = REPO / "firmware" / "build.sh"

ADC_COUNT_MMHG = OVERSAMPLE * DATASHEET_SLOPE_MMHG_PER_COUNT  # one 10-bit step: 0.081 mmHg
MV_PER_MMHG = 5000 * 0.09 * KPA_PER_MMHG  # sensor output change per mmHg: 6.0 mV


def _skip_reason() -> str | None:
    if shutil.which("avr-gcc") is None:
        return "avr-gcc is not installed (Debian: gcc-avr avr-libc binutils-avr)"
    return missing_simavr()


@pytest.fixture(scope="session")
def firmware_elf(tmp_path_factory) -> Path:
    """The firmware built from source by its own build script, once per session (into a
    temporary directory, so that a firmware/build/ in use is left alone)."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    assert FIRMWARE_BUILD.is_file(), f"{FIRMWARE_BUILD} is missing"
    out = tmp_path_factory.mktemp("firmware")
    done = subprocess.run(["bash", str(FIRMWARE_BUILD), "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"firmware build failed:\n{done.stdout}\n{done.stderr}"
    elf = out / "cctf.elf"
    assert elf.is_file(), f"{FIRMWARE_BUILD} did not produce {elf}"
    build_runner()
    return elf


def _staircase() -> tuple[np.ndarray, np.ndarray]:
    """20 mmHg, then ramps and 3 s holds at 22, 26 and 30, and back down to 20 (1 kHz)."""
    knots = np.array([(0, 20), (2, 20), (3, 22), (6, 22), (8, 26), (11, 26), (13, 30),
                      (16, 30), (19, 20), (60, 20)], dtype=float)
    t = np.arange(0.0, 60.0, 0.001)
    return t, np.interp(t, knots[:, 0], knots[:, 1])


def _best_offset(t_s: np.ndarray, p: np.ndarray, trace_t: np.ndarray, trace_p: np.ndarray,
                 lo_s: float, hi_s: float) -> float:
    """The shift c for which p(t_s) best matches trace(t_s + c), searched coarse then fine."""
    def rms(c: float) -> float:
        return float(np.sqrt(np.mean((p - np.interp(t_s + c, trace_t, trace_p)) ** 2)))

    grid = np.arange(lo_s, hi_s, 0.01)
    c = grid[np.argmin([rms(x) for x in grid])]
    fine = np.arange(c - 0.01, c + 0.01, 0.0002)
    return float(fine[np.argmin([rms(x) for x in fine])])


def _host_command(ev: RunnerEvent) -> int | None:
    """The type of the (single) command in an rx event's bytes: 00 COBS(packet) 00."""
    frames = [f for f in bytes.fromhex(ev.fields.get("hex", "")).split(b"\x00") if f]
    packet = cobs_decode(frames[0]) if len(frames) == 1 else None
    return packet[0] if packet else None


def test_cctf_record_from_the_real_firmware_matches_the_pressure_trace(firmware_elf, tmp_path):
    """`cctf record` over the pty, paced in real time: every sample arrives, at exactly the
    firmware's rate, and the pressures are the trace's to within the ADC's quantisation."""
    trace_t, trace_p = _staircase()
    out = tmp_path / "fw.csv"
    with FirmwareSim(firmware_elf, trace=(trace_t, trace_p), reset_on_open=True,
                     noise_mv=2.0, seed=3) as sim:
        assert main(["record", "--port", sim.port, "--seconds", "20", "-o", str(out)]) == 0
        closed = sim.wait_for("close", 5.0)
        assert closed is not None, sim.diagnostics()
    rec = read_session(out)
    meta = rec.metadata
    assert meta["link_missing"] == "0" and meta["link_corrupt"] == "0", meta
    assert meta["link_device_resets"] == "0" and meta["link_duplicates"] == "0", meta
    assert meta["protocol_version"] == "1" and meta["sample_rate_hz"] == "50", meta
    t, p = rec.t_s, rec.pressure_mmhg
    seq = rec.extra["seq"].astype(np.int64)
    flags = rec.extra["flags"].astype(np.int64)
    assert len(t) >= 990 and np.all(np.diff(seq) == 1)

    # Rate: t_s is the device's clock mapped onto the host's (whose lower-envelope fit may step
    # it by a fraction of a millisecond), so the mean interval is the device's to within 0.1 %.
    # (The device's own t_us spacing is checked exactly in the next test.)
    lagging = f"the runner fell behind real time: {sim.events('lag')}" if sim.events("lag") else ""
    assert np.all(np.abs(np.diff(t) - 0.02) < 0.001), lagging
    mean_interval = (t[-1] - t[0]) / (seq[-1] - seq[0])
    assert mean_interval == pytest.approx(0.02, rel=1e-3), lagging

    # Pressure against the trace: t_s is host time since the recording began, the trace's time
    # is the simulator's since it started; one offset maps one onto the other.
    c = _best_offset(t, p, trace_t, trace_p, 0.0, 10.0)
    err = p - np.interp(t + c, trace_t, trace_p)
    rms = float(np.sqrt(np.mean(err**2)))
    assert rms <= ADC_COUNT_MMHG + 0.1, f"RMS error {rms:.4f} mmHg"
    assert np.max(np.abs(err)) < 0.25, f"worst error {np.max(np.abs(err)):.3f} mmHg"
    assert np.all(flags & SampleFlags.NOT_CALIBRATED)  # the datasheet calibration
    assert not np.any(flags & (SampleFlags.OVER_RANGE | SampleFlags.SENSOR_FAULT))
    print(f"\nfirmware in the loop, cctf record: {len(t)} samples, RMS error {rms:.4f} mmHg, "
          f"worst {np.max(np.abs(err)):.3f} mmHg, mean interval {mean_interval * 1e3:.5f} ms")


def test_rate_tare_and_calibration_commands_work_against_the_real_firmware(firmware_elf):
    """Run as fast as the simulator can: SET_RATE, START/STOP, TARE, SET_CAL, GET_CAL and
    RESET_CAL through ``Device`` and their effect on the samples."""
    offset_mmhg = 0.6  # the sensor reads this high at atmosphere until tared
    with FirmwareSim(firmware_elf, pressure_mmhg=0.0, offset_mv=offset_mmhg * MV_PER_MMHG,
                     noise_mv=2.0, fast=True, verbose=True) as sim:
        device = Device(SerialTransport(sim.port))
        try:
            hello = device.connect()
            assert hello.protocol_version == 1
            assert hello.sensor_model == SensorModel.MPX5010DP
            assert hello.sample_rate_hz == 50 and not hello.streaming
            assert hello.reset_cause in (ResetCause.REQUEST, ResetCause.POWER_ON)
            before = device.read_calibration()
            assert not before.flags & CalFlags.TWO_POINT

            device.start(rate_hz=100)
            assert device.buffer.wait_until_written(300, 30.0)
            tare = device.tare()
            assert tare.flags & CalFlags.TARED
            assert tare.calibration_id != before.calibration_id
            tared_from = device.buffer.written
            assert device.buffer.wait_until_written(tared_from + 300, 30.0)
            raw_zero = tare.zero_raw
            cal = device.write_calibration(raw_zero, 0.0, raw_zero + 11796, 60.0)
            assert cal.flags & CalFlags.TWO_POINT and not cal.flags & CalFlags.TARED
            assert device.read_calibration() == cal
            calibrated_from = device.buffer.written
            assert device.buffer.wait_until_written(calibrated_from + 4000, 60.0)
            device.stop()
            reset = device.reset_calibration()
            assert reset.flags == CalFlags.NONE
            assert device.read_calibration() == reset
            health = device.health()
        finally:
            device.close()
    rows = device.buffer.read(0).rows
    assert (health.corrupt, health.missing, health.duplicates, health.device_resets) == (0,) * 4
    assert np.all(np.diff(rows["seq"]) == 1)

    # SET_RATE 100: the device's timestamps are 10 ms apart (4 µs timer resolution).
    dt = np.diff(rows["t_device_s"])
    np.testing.assert_allclose(dt, 0.01, atol=4e-6)

    # Before the tare the reading is the sensor's offset; after it, zero.
    untared = rows[:tared_from - 100]
    tared = rows[tared_from + 50:calibrated_from]
    assert np.mean(untared["pressure_mmhg"]) == pytest.approx(offset_mmhg, abs=0.05)
    assert np.all(untared["flags"] & SampleFlags.NOT_CALIBRATED)
    assert abs(np.mean(tared["pressure_mmhg"])) < 0.02
    assert np.all(np.abs(tared["pressure_mmhg"]) < 0.1)
    calibrated = rows[calibrated_from + 50:]
    assert not np.any(calibrated["flags"] & SampleFlags.NOT_CALIBRATED)
    assert abs(np.mean(calibrated["pressure_mmhg"])) < 0.02

    # The number of samples over the simulated time between START and STOP (from the
    # runner's clock, not the device's) is the rate: 0.1 % at 100 Hz over > 40 s.
    commands = [(ev.sim_s, _host_command(ev)) for ev in sim.events("rx")]
    start_s = next(s for s, c in commands if c == FrameType.START)
    stop_s = next(s for s, c in commands if c == FrameType.STOP)
    expected = (stop_s - start_s) * 100
    assert len(rows) == pytest.approx(expected, rel=1e-3, abs=1.5)
    speed = float(sim.events("stop")[0].fields["speed"])
    print(f"\nfirmware in the loop, fast: {len(rows)} samples in {stop_s - start_s:.3f} s "
          f"simulated (expected {expected:.1f}); runner at {speed:.1f}x real time")


def test_the_calibration_survives_a_restart_in_the_eeprom_file(firmware_elf, tmp_path):
    """The firmware stores its record in EEPROM (PROTOCOL.md 8.3); --eeprom keeps it across
    runs, and the next boot's HELLO and GET_CAL show the same record."""
    eeprom = tmp_path / "eeprom.bin"
    with FirmwareSim(firmware_elf, pressure_mmhg=0.0, offset_mv=3.0, fast=True,
                     eeprom=eeprom) as sim, Device(SerialTransport(sim.port)) as device:
        device.start()
        assert device.buffer.wait_until_written(50, 30.0)
        tared = device.tare()
    assert eeprom.stat().st_size == 1024 and tared.calibration_id != 0
    with FirmwareSim(firmware_elf, fast=True, eeprom=eeprom) as sim, \
            Device(SerialTransport(sim.port)) as device:
        assert device.hello.calibration_id == tared.calibration_id
        assert device.read_calibration() == tared


def test_the_runner_stops_at_its_duration_and_rejects_bad_input(firmware_elf, tmp_path):
    trace = tmp_path / "trace.txt"
    trace.write_text("# t_s pressure_mmhg\n0 20\n1.5, 25\n")
    sim = FirmwareSim(firmware_elf, trace=trace, fast=True, duration_s=2.0)
    port = sim.start()
    try:
        assert sim.wait(30.0) == 0
        stop = sim.wait_for("stop", 5.0)
        assert stop is not None and stop.fields["reason"] == "duration"
        assert stop.sim_s == pytest.approx(2.0, abs=1e-3)
        assert not os.path.lexists(port), "the runner left its link behind"
    finally:
        sim.stop()

    bad = tmp_path / "bad.txt"
    bad.write_text("0 20\n0 21\n")
    with pytest.raises(DeviceError, match=r"bad\.txt, line 2: times must increase"):
        FirmwareSim(firmware_elf, trace=bad).start()
    with pytest.raises(DeviceError, match="not found"):
        FirmwareSim(tmp_path / "missing.elf").start()
    not_elf = tmp_path / "not.elf"
    not_elf.write_bytes(b"not an ELF file")
    with pytest.raises(DeviceError, match="not an AVR ELF"):
        FirmwareSim(not_elf).start()


def test_cctf_sim_firmware_serves_the_real_firmware_until_ctrl_c(firmware_elf):
    sim = subprocess.Popen(
        [sys.executable, "-m", "cctf.cli", "sim", "--firmware", str(firmware_elf),
         "--scenario", "healthy"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = sim.stdout.readline().strip()
        assert port.endswith("ttyCCTF0"), (port, sim.stderr.read() if sim.poll() else "")
        device = Device(SerialTransport(port))
        try:
            hello = device.connect()
            device.start()
            assert device.buffer.wait_until_written(200, 10.0)
        finally:
            device.close()
        assert hello.sensor_model == SensorModel.MPX5010DP
        assert hello.reset_cause == ResetCause.EXTERNAL  # opening the port reset the MCU
        rows = device.buffer.read(0).rows
        assert device.health().missing == 0 and device.health().corrupt == 0
        # the healthy scenario's cuff is pumped up to about 21 mmHg within the first 2 s
        assert 18 < np.median(rows["pressure_mmhg"][-50:]) < 24
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(timeout=10) == 0, sim.stderr.read()
    assert not os.path.exists(port), "the simulator left its port behind"


def test_the_real_firmware_and_the_real_host_under_link_faults(firmware_elf):
    """The scenario faults of `bad-cable`, harder, injected by the runner between the MCU's UART
    and the pty: garbage, bit flips, lost SAMPLEs, a pulled cable, and a watchdog reset whose
    boot HELLO is lost. The host rides through all of it: it counts what was lost, reconnects,
    notices the silent reboot (PROTOCOL.md 10.5) and has the stream back at the rate it asked."""
    from cctf.acquisition.health import LinkState
    from cctf.sim.faults import LinkFaults

    unplug_s, reset_s = 4.0, 9.0
    faults = LinkFaults(garbage_rate_hz=2.0, corrupt_prob=0.05, drop_prob=0.02,
                        disconnects_s=((unplug_s, 1.0),), resets_s=(reset_s,),
                        boot_hello_loss_prob=1.0)
    with FirmwareSim(firmware_elf, pressure_mmhg=20.0, reset_on_open=True, faults=faults,
                     seed=4) as sim:
        device = Device(SerialTransport(sim.port))
        try:
            device.connect()  # its boot HELLO is lost: IDENTIFY gets the answer
            device.start(rate_hz=100)
            watchdog = sim.wait_for("reset", 20.0, lambda e: e.fields.get("cause") == "watchdog")
            assert watchdog is not None, sim.diagnostics()
            n = device.buffer.written
            assert device.buffer.wait_until_written(n + 200, 10.0), (
                f"streaming did not resume after the watchdog reset: {device.events}")
            state = device.state
        finally:
            device.close()
    stop = sim.events("stop")[-1].fields
    assert int(stop["garbage_bursts"]) > 0 and int(stop["corrupted"]) > 0
    assert int(stop["frames_lost"]) > 0 and int(stop["unplugs"]) == 1
    assert int(stop["boot_hellos_lost"]) >= 2  # the replug's and the watchdog's (at least)
    h = device.health()
    assert h.corrupt > 0 and h.missing > 0, h
    assert h.reconnects == 1 and h.device_resets >= 1, h
    kinds = [e.kind for e in device.events]
    assert "disconnected" in kinds and "silent" in kinds and "device_reset" in kinds, kinds
    assert state == LinkState.STREAMING
    rows = device.buffer.read(0).rows
    # the silent reboot cost well under a second and a half of samples (rule: 0.5 s of silence,
    # then IDENTIFY, START): the gap that follows the watchdog reset
    gaps = [e for e in device.events if e.kind == "gap"]
    assert gaps and gaps[-1].duration_s < 1.5, gaps
    last_epoch = rows[rows["epoch"] == rows["epoch"][-1]]
    assert np.median(np.diff(last_epoch["t_device_s"])) == pytest.approx(0.01, abs=1e-5)
    assert np.all(np.diff(rows["t_s"]) > 0)


def test_cctf_sim_firmware_passes_the_scenarios_link_faults_to_the_runner(firmware_elf):
    from cctf.sim.avr import fault_args
    from cctf.sim.scenarios import load_scenario

    link = load_scenario("bad-cable").link
    args = fault_args(link)
    assert args == ["--garbage-rate-hz", "0.2", "--corrupt-prob", "0.02", "--drop-prob", "0.01",
                    "--lose-boot-hello", "1.0", "--unplug", "40.0:3.0", "--reset-at", "90.0"]
    sim = FirmwareSim(firmware_elf, faults=link)
    assert sim.command()[-1 - len(args):-1] == args
