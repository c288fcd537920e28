"""Firmware in the loop: the real cctf firmware under simavr, on a virtual serial port.

    with FirmwareSim("firmware/build/cctf.elf", trace=(t_s, p_mmhg)) as sim:
        device = Device(SerialTransport(sim.port))

The runner (``runner.c``, built by ``build.sh`` into ``build/cctf-avr-runner``) loads the ELF
into simavr, feeds ADC0 from a pressure trace through the MPX5010DP transfer function, bridges
USART0 to a pty and paces simulated time to the wall clock (or runs flat out). This module
builds it on demand, writes its traces, supervises the process and follows its event lines,
and serves ``cctf sim --firmware PATH.elf``. How it works and its limits:
docs/firmware-in-the-loop.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cctf.errors import CctfError, ConfigError, DeviceError
from cctf.sim.faults import LinkFaults
from cctf.sim.sensor import DATASHEET_SLOPE_MMHG_PER_COUNT, OVERSAMPLE

log = logging.getLogger(__name__)

AVR_DIR = Path(__file__).resolve().parent
RUNNER_SOURCE = AVR_DIR / "runner.c"
BUILD_SCRIPT = AVR_DIR / "build.sh"
RUNNER_NAME = "cctf-avr-runner"
DEBIAN_PACKAGES = "gcc pkg-config libsimavr-dev libelf-dev"
ADC_LSB_MV = 5000.0 / 1024  # one 10-bit count with the 5 V AVcc reference
_EVENT_PREFIX = f"{RUNNER_NAME}: "


class RunnerBuildError(CctfError):
    """The simavr runner cannot be built (missing packages or a compiler error)."""


# --- building the runner ---------------------------------------------------------------------


def build_dir() -> Path:
    """Where the runner is built: ``$CCTF_AVR_BUILD_DIR``, else the user's cache folder
    (``~/.cache/cctf/avr-runner/<key>``), never the installed package (read-only for some,
    and left behind by ``pip uninstall``). The key is a digest of the runner's sources, so
    two cctf versions or checkouts never share a binary built from other sources."""
    if override := os.environ.get("CCTF_AVR_BUILD_DIR"):
        return Path(override)
    from cctf.userdirs import user_cache_dir

    return user_cache_dir() / "avr-runner" / _sources_key()


def _sources_key() -> str:
    digest = hashlib.sha256()
    for source in (RUNNER_SOURCE, BUILD_SCRIPT):
        with contextlib.suppress(OSError):
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def runner_path() -> Path:
    return build_dir() / RUNNER_NAME


def missing_simavr() -> str | None:
    """Why the runner cannot be built here, or None if gcc, libsimavr and libelf are present."""
    missing = []
    if shutil.which(os.environ.get("CC", "gcc")) is None:
        missing.append("a C compiler (gcc)")
    have_simavr = Path("/usr/include/simavr/sim_avr.h").is_file()
    if not have_simavr and shutil.which("pkg-config"):
        probe = subprocess.run(["pkg-config", "--exists", "simavr"], check=False)
        have_simavr = probe.returncode == 0
    if not have_simavr:
        missing.append("libsimavr (headers in /usr/include/simavr)")
    if not any(Path(p).is_file() for p in ("/usr/include/libelf.h", "/usr/include/gelf.h")):
        missing.append("libelf")
    if not missing:
        return None
    return (f"cannot build the simavr runner: missing {', '.join(missing)}; "
            f"on Debian/Ubuntu: apt-get install {DEBIAN_PACKAGES}")


def build_runner(force: bool = False) -> Path:
    """The runner executable, compiled first if it is missing or older than its sources."""
    exe = runner_path()
    sources = (RUNNER_SOURCE, BUILD_SCRIPT)
    if not all(p.is_file() for p in sources):
        if exe.is_file():
            return exe
        raise RunnerBuildError(
            f"the simavr runner's source ({RUNNER_SOURCE.name}, {BUILD_SCRIPT.name}) is not in "
            f"{AVR_DIR}: run cctf from a source checkout (pip install -e .)"
        )
    newest = max(p.stat().st_mtime for p in sources)
    if not force and exe.is_file() and exe.stat().st_mtime >= newest:
        return exe
    if (why := missing_simavr()) is not None:
        raise RunnerBuildError(why)
    log.info("building %s", exe)
    env = dict(os.environ, CCTF_AVR_BUILD_DIR=str(exe.parent))
    done = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0 or not exe.is_file():
        raise RunnerBuildError(
            f"building the simavr runner failed ({BUILD_SCRIPT}):\n{done.stderr.strip()}\n"
            f"(it needs the Debian packages {DEBIAN_PACKAGES})"
        )
    return exe


# --- traces ----------------------------------------------------------------------------------


def write_trace(path: str | os.PathLike[str], t_s: np.ndarray, pressure_mmhg: np.ndarray) -> Path:
    """Write a pressure trace for the runner; binary float64 pairs if the name ends in .bin or
    .f64 (compact, exact), else ``t_s pressure_mmhg`` text lines. Times must increase."""
    path = Path(path)
    t = np.asarray(t_s, dtype=float)
    p = np.asarray(pressure_mmhg, dtype=float)
    if t.ndim != 1 or t.shape != p.shape or len(t) == 0:
        raise ConfigError(f"a trace needs two 1-D arrays of equal length, got {t.shape} {p.shape}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p))):
        raise ConfigError("a trace must hold finite numbers only")
    if np.any(np.diff(t) <= 0):
        raise ConfigError("trace times must increase strictly")
    if path.suffix in (".bin", ".f64"):
        np.column_stack((t, p)).astype("<f8").tofile(path)
    else:
        np.savetxt(path, np.column_stack((t, p)), fmt="%.6f", header="t_s pressure_mmhg")
    return path


def write_head_trace(
    path: str | os.PathLike[str], t_s: np.ndarray, pitch_deg: np.ndarray,
    roll_deg: np.ndarray | None = None,
) -> Path:
    """Write a head-angle trace for the runner's MPU-6050 (``--head-trace``): float64 triples
    (t_s, pitch_deg, roll_deg) if the name ends in .bin or .f64, else text lines. Pitch is about
    the ear-to-ear axis (+ = flexion), roll + = right ear down (firmware/cctf/head.h)."""
    path = Path(path)
    t = np.asarray(t_s, dtype=float)
    p = np.asarray(pitch_deg, dtype=float)
    r = np.zeros_like(t) if roll_deg is None else np.asarray(roll_deg, dtype=float)
    if t.ndim != 1 or t.shape != p.shape or t.shape != r.shape or len(t) == 0:
        raise ConfigError(f"a head trace needs 1-D arrays of equal length, got {t.shape} "
                          f"{p.shape} {r.shape}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p)) and np.all(np.isfinite(r))):
        raise ConfigError("a head trace must hold finite numbers only")
    if np.any(np.diff(t) <= 0):
        raise ConfigError("head trace times must increase strictly")
    if path.suffix in (".bin", ".f64"):
        np.column_stack((t, p, r)).astype("<f8").tofile(path)
    else:
        np.savetxt(path, np.column_stack((t, p, r)), fmt="%.6f",
                   header="t_s pitch_deg roll_deg")
    return path


def scenario_trace(
    scenario: str, *, seed: int | None = None, rate_hz: float = 1000.0, margin_s: float = 30.0
) -> tuple[np.ndarray, np.ndarray]:
    """True cuff pressure of a scenario's self-cueing patient, sampled for the runner (t from 0
    over the scenario's duration plus ``margin_s``; the runner holds the last value after)."""
    t, p, _ = scenario_traces(scenario, seed=seed, rate_hz=rate_hz, margin_s=margin_s)
    return t, p


def scenario_traces(
    scenario: str, *, seed: int | None = None, rate_hz: float = 1000.0, margin_s: float = 30.0
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """The cuff pressure (as ``scenario_trace``) and, when the scenario fits a head sensor
    (``[head] fitted``), the same patient's head (t_s, pitch_deg, roll_deg) for the runner's
    MPU-6050 part; None without one (the firmware then reports no sensor)."""
    from cctf.sim.scenarios import load_scenario

    sc = load_scenario(scenario)
    source = sc.make_source(seed=sc.seed if seed is None else seed, autocue=True)
    t = np.arange(0.0, sc.duration_s + margin_s, 1.0 / rate_hz)
    chunk = max(1, int(rate_hz))  # the source is causal: feed it consecutive chunks
    p_parts, pitch_parts, roll_parts = [], [], []
    for i in range(0, len(t), chunk):
        p_parts.append(source.pressure_mmhg(t[i:i + chunk]))
        if sc.head.fitted:
            pitch, roll = source.head_angles(t[i:i + chunk])
            pitch_parts.append(pitch)
            roll_parts.append(roll)
    head = ((t, np.concatenate(pitch_parts), np.concatenate(roll_parts)) if sc.head.fitted
            else None)
    return t, np.concatenate(p_parts), head


def noise_mv_for(sample_noise_mmhg: float) -> float:
    """Per-conversion noise (mV) giving ``sample_noise_mmhg`` on a 16-conversion sample."""
    return sample_noise_mmhg / DATASHEET_SLOPE_MMHG_PER_COUNT / np.sqrt(OVERSAMPLE) * ADC_LSB_MV


def fault_args(faults: LinkFaults) -> list[str]:
    """The runner's options for a scenario's link faults (the same meaning as in the Python
    simulator, sim/faults.py)."""
    out: list[str] = []
    if faults.garbage_rate_hz:
        out += ["--garbage-rate-hz", repr(float(faults.garbage_rate_hz))]
    if faults.corrupt_prob:
        out += ["--corrupt-prob", repr(float(faults.corrupt_prob))]
    if faults.drop_prob:
        out += ["--drop-prob", repr(float(faults.drop_prob))]
    if faults.boot_hello_loss_prob:
        out += ["--lose-boot-hello", repr(float(faults.boot_hello_loss_prob))]
    for start, duration in faults.disconnects_s:
        out += ["--unplug", f"{float(start)!r}:{float(duration)!r}"]
    for at in faults.resets_s:
        out += ["--reset-at", repr(float(at))]
    return out


# --- the runner as a subprocess ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunnerEvent:
    """One ``cctf-avr-runner: KIND sim_s=… key=value …`` line from the runner's stderr."""

    kind: str  # ready, open, close, reset, rx, lag, unplug, replug, fault, stop, halted, ...
    sim_s: float | None
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, line: str) -> RunnerEvent | None:
        if not line.startswith(_EVENT_PREFIX):
            return None
        words = line[len(_EVENT_PREFIX):].split()
        if not words or "=" in words[0] or words[0].endswith(":"):
            return None
        fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        sim_s = fields.pop("sim_s", None)
        return cls(words[0], float(sim_s) if sim_s is not None else None, fields)


class FirmwareSim:
    """The runner with a firmware and a pressure input; ``port`` is the path to open.

    ``trace`` is a trace file (see ``write_trace``) or a ``(t_s, pressure_mmhg)`` pair of
    arrays; without it the pressure is ``pressure_mmhg`` (default 0). ``faults`` (a scenario's
    ``LinkFaults``) are injected by the runner between the MCU's UART and the pty: garbage, bit
    flips, lost SAMPLEs, lost boot HELLOs, a pulled cable, watchdog resets. The runner's event
    lines are kept in ``events()``; ``wait_for`` blocks on them (no polling).

    ``head_trace`` (a file, see ``write_head_trace``, or a ``(t_s, pitch_deg, roll_deg)`` tuple)
    fits an MPU-6050 head sensor on the I2C bus; without it there is none and the firmware's
    HELLO says so (peripherals 0). ``head_noise_mg`` adds accelerometer noise; ``head_fail_s``
    lists ``(start_s, duration_s)`` windows in which the sensor stops answering.
    """

    def __init__(
        self,
        firmware: str | os.PathLike[str],
        *,
        trace: str | os.PathLike[str] | tuple[np.ndarray, np.ndarray] | None = None,
        pressure_mmhg: float = 0.0,
        fast: bool = False,
        duration_s: float | None = None,
        link_path: str | os.PathLike[str] | None = None,
        reset_on_open: bool = False,
        noise_mv: float = 0.0,
        offset_mv: float = 0.0,
        seed: int = 1,
        eeprom: str | os.PathLike[str] | None = None,
        verbose: bool = False,
        on_line: Callable[[str], None] | None = None,
        start_timeout_s: float = 10.0,
        faults: LinkFaults | None = None,
        head_trace: str | os.PathLike[str] | tuple[np.ndarray, ...] | None = None,
        head_noise_mg: float = 0.0,
        head_fail_s: Sequence[tuple[float, float]] = (),
    ) -> None:
        self.firmware = Path(firmware)
        self.faults = faults or LinkFaults()
        self.trace = trace
        self.pressure_mmhg = pressure_mmhg
        self.fast = fast
        self.duration_s = duration_s
        self.reset_on_open = reset_on_open
        self.noise_mv = noise_mv
        self.offset_mv = offset_mv
        self.seed = seed
        self.eeprom = eeprom
        self.verbose = verbose
        self.on_line = on_line
        self.start_timeout_s = start_timeout_s
        self.head_trace = head_trace
        self.head_noise_mg = head_noise_mg
        self.head_fail_s = tuple(head_fail_s)
        self._own_dir: str | None = None
        self._link_path = Path(link_path) if link_path is not None else None
        self.port = ""
        self.pty = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._events: list[RunnerEvent] = []
        self._other_lines: deque[str] = deque(maxlen=40)
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def command(self) -> list[str]:
        """The runner's command line (builds the runner and writes the trace if needed)."""
        cmd = [str(build_runner()), "--link", self.port, "--seed", str(self.seed)]
        trace = self.trace
        if isinstance(trace, tuple):
            trace = write_trace(Path(self._workdir()) / "trace.bin", *trace)
        if trace is not None:
            cmd += ["--trace", os.fspath(trace)]
        else:
            cmd += ["--pressure-mmhg", repr(float(self.pressure_mmhg))]
        if self.noise_mv:
            cmd += ["--noise-mv", repr(float(self.noise_mv))]
        if self.offset_mv:
            cmd += ["--offset-mv", repr(float(self.offset_mv))]
        if self.fast:
            cmd.append("--fast")
        if self.duration_s is not None:
            cmd += ["--duration-s", repr(float(self.duration_s))]
        if self.reset_on_open:
            cmd.append("--reset-on-open")
        if self.eeprom is not None:
            cmd += ["--eeprom", os.fspath(self.eeprom)]
        if self.verbose:
            cmd.append("-v")
        return [*cmd, *fault_args(self.faults), *self._head_args(), str(self.firmware)]

    def _head_args(self) -> list[str]:
        head = self.head_trace
        if head is None:
            return []
        if isinstance(head, tuple):
            head = write_head_trace(Path(self._workdir()) / "head.bin", *head)
        out = ["--head-trace", os.fspath(head)]
        if self.head_noise_mg:
            out += ["--head-noise-mg", repr(float(self.head_noise_mg))]
        for start, duration in self.head_fail_s:
            out += ["--head-fail", f"{float(start)!r}:{float(duration)!r}"]
        return out

    def start(self) -> str:
        """Start the runner; returns the port once the pty exists and the MCU is running."""
        if not self.firmware.is_file():
            raise DeviceError(f"firmware {self.firmware} not found: build it (firmware/build.sh)")
        link = self._link_path or Path(self._workdir()) / "ttyCCTF0"
        self.port = str(link)
        cmd = self.command()
        log.debug("starting %s", " ".join(cmd))
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_stderr, name="cctf-avr-runner",
                                        daemon=True)
        self._reader.start()
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], self.start_timeout_s)
        first = self._proc.stdout.readline().decode(errors="replace").strip() if ready else ""
        if not first:
            self.stop()
            raise DeviceError(f"the simavr runner did not start {self.firmware}: "
                              f"{self.diagnostics() or 'no output'}")
        self.pty = first
        return self.port

    def stop(self, timeout_s: float = 5.0) -> int | None:
        """Stop the runner (SIGTERM, then SIGKILL); returns its exit status."""
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("the simavr runner did not stop; killing it")
                proc.kill()
                proc.wait()
            if self._reader is not None:
                self._reader.join(timeout=timeout_s)
            if proc.stdout is not None:
                proc.stdout.close()
        if self.port and self.pty and os.path.islink(self.port):
            with contextlib.suppress(OSError):
                if os.readlink(self.port) == self.pty:  # left behind by a killed runner
                    os.unlink(self.port)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None
        return proc.returncode if proc is not None else None

    def __enter__(self) -> FirmwareSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def returncode(self) -> int | None:
        """None while the runner runs."""
        return self._proc.poll() if self._proc is not None else None

    def wait(self, timeout_s: float) -> int | None:
        """Wait for the runner to exit by itself (``duration_s``); None on timeout."""
        assert self._proc is not None
        try:
            return self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    # --- events --------------------------------------------------------------------------

    def events(self, kind: str | None = None) -> list[RunnerEvent]:
        with self._cond:
            return [e for e in self._events if kind is None or e.kind == kind]

    def wait_for(
        self,
        kind: str,
        timeout_s: float,
        where: Callable[[RunnerEvent], bool] | None = None,
    ) -> RunnerEvent | None:
        """The first event of ``kind`` (matching ``where``), waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for e in self._events:
                    if e.kind == kind and (where is None or where(e)):
                        return e
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._reader is not None and not self._reader.is_alive()):
                    return None
                self._cond.wait(remaining)

    def diagnostics(self) -> str:
        """The runner's last non-event lines (errors, simavr messages)."""
        if self._reader is not None and self.returncode is not None:
            self._reader.join(timeout=2.0)
        with self._cond:
            return "; ".join(self._other_lines)

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        with self._proc.stderr:
            for raw in self._proc.stderr:
                line = raw.decode(errors="replace").rstrip("\n")
                ev = RunnerEvent.parse(line)
                with self._cond:
                    if ev is not None:
                        self._events.append(ev)
                    elif line:
                        self._other_lines.append(line)
                    self._cond.notify_all()
                if ev is not None:
                    log.debug("%s", line)
                if self.on_line is not None:
                    self.on_line(line)
        with self._cond:
            self._cond.notify_all()

    def _workdir(self) -> str:
        if self._own_dir is None:
            self._own_dir = tempfile.mkdtemp(prefix="cctf-avr-")
        return self._own_dir


# --- cctf sim --firmware ---------------------------------------------------------------------
# A command-line front end (cli.py's ``cmd_sim`` hands over to it), so it talks to the user on
# stdout/stderr like the modules under cctf/commands/: hence the T201 exemptions below.

_SHOWN_EVENTS = ("lag", "halted", "crashed", "stop", "unplug", "replug")


def serve_firmware(args) -> int:
    """``cctf sim --firmware PATH.elf [--scenario NAME] [--link PATH] [--seed N]``: the real
    firmware on a pty, its ADC fed with the scenario's cuff pressure, paced to real time."""
    from cctf.sim.scenarios import load_scenario

    scenario = load_scenario(args.scenario)
    if getattr(args, "rate_hz", None):
        _say(f"cctf sim: --rate-hz is ignored with --firmware: the firmware boots at its own "
             f"default rate; ask for {args.rate_hz} Hz from the app or `cctf record --rate-hz`")
    t, p, head = scenario_traces(args.scenario, seed=args.seed)
    verbose = getattr(args, "verbose", 0) > 0

    def show(line: str) -> None:
        ev = RunnerEvent.parse(line)
        if verbose or ev is None or ev.kind in _SHOWN_EVENTS:
            _say(line)

    sim = FirmwareSim(
        args.firmware,
        trace=(t, p),
        link_path=args.link,
        reset_on_open=True,  # like an Uno (and the Python simulator): opening the port reboots
        noise_mv=noise_mv_for(scenario.sensor.noise_mmhg),
        seed=scenario.seed if args.seed is None else args.seed,
        on_line=show,
        faults=scenario.link,  # the scenario's cable, between the MCU's UART and the pty
        head_trace=head,  # the scenario's head sensor on the I2C bus, if it fits one
    )
    port = sim.start()
    try:
        print(port, flush=True)  # noqa: T201 - the port path is this command's output
        ready = sim.wait_for("ready", 5.0)
        mcu = "simavr"
        if ready is not None:
            mhz = int(ready.fields.get("freq_hz", "0")) / 1e6
            mcu = f"{ready.fields.get('mcu', '?')} at {mhz:g} MHz under simavr"
        faults = "" if scenario.link.clean else ", with the scenario's link faults"
        if head is not None:
            faults += ", its head sensor on I2C"
        _say(f"cctf sim: firmware {args.firmware} on {mcu}, ADC0 fed with scenario "
             f"{args.scenario!r} ({t[-1]:.0f} s of pressure){faults}, on {port}; Ctrl-C to stop")
        status = _serve_until_interrupted(sim)
    finally:
        sim.stop()
    return status


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)  # noqa: T201 - see the section comment


def _serve_until_interrupted(sim: FirmwareSim) -> int:
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            if (code := sim.returncode) is not None:
                _say(f"cctf sim: the simavr runner stopped (status {code}): "
                     f"{sim.diagnostics() or 'see above'}")
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


__all__: Sequence[str] = (
    "FirmwareSim",
    "RunnerBuildError",
    "RunnerEvent",
    "build_runner",
    "fault_args",
    "missing_simavr",
    "noise_mv_for",
    "scenario_trace",
    "scenario_traces",
    "serve_firmware",
    "write_head_trace",
    "write_trace",
)
