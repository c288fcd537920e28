"""The firmware: it builds for both sensors and fits the ATmega328P, its host tests pass, and
its protocol header agrees with ``cctf.acquisition.protocol`` (and its sensor constants with the
firmware model in ``cctf.sim``).

The builds need Debian's AVR toolchain and Arduino core (gcc-avr, binutils-avr, avr-libc,
arduino-core-avr) and are skipped only when avr-gcc is absent; the host tests need a host C
compiler; the header checks need nothing.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from enum import IntEnum, IntFlag
from pathlib import Path

import pytest

from cctf.acquisition import protocol as P
from cctf.sim import firmware as sim_firmware
from cctf.sim import sensor as sim_sensor

pytestmark = pytest.mark.firmware

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "firmware"
SKETCH = FIRMWARE / "cctf"
BUILD = FIRMWARE / "build.sh"
HOST_TESTS = FIRMWARE / "test" / "run.sh"

FLASH_MAX = 32256  # 32 KiB minus the 512-byte bootloader
RAM_MAX = 2048
RAM_STATIC_MAX = 1500  # the stack peaks near 500 bytes (measured under simavr): keep 548
SENSORS = ("mpx5010", "hx710b")
NO_AVR_GCC = "avr-gcc is not installed (Debian: gcc-avr binutils-avr avr-libc arduino-core-avr)"


# --- reading C headers ---------------------------------------------------------------------

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)\s+(.+?)\s*$")
_COMMENT = re.compile(r"/\*.*?\*/|//.*$")


def _c_int(expr: str, known: dict[str, int]) -> int | None:
    """Value of a C integer constant expression of literals, known names, + - * / and ( );
    None if it is anything else (a string, a function-like macro...)."""
    text = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr)
    text = re.sub(r"\(\s*[A-Za-z_]\w*_t\s*\)", "", text)  # casts such as (uint8_t)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name) and node.id in known:
            return known[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult
                                                      | ast.Div | ast.LShift):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.LShift):
                return a << b
            return int(a / b)
        raise ValueError(ast.dump(node))

    try:
        return ev(tree)
    except ValueError:
        return None


def c_defines(*headers: Path) -> dict[str, int]:
    """The integer #defines of C headers. A name defined twice (in #if branches) is left out,
    except when both definitions have the same value."""
    values: dict[str, int] = {}
    twice: set[str] = set()
    for header in headers:
        for line in header.read_text(encoding="utf-8").splitlines():
            m = _DEFINE.match(_COMMENT.sub("", line))
            if not m or "(" in m.group(1):
                continue
            name, value = m.group(1), _c_int(m.group(2), values)
            if value is None:
                continue
            if name in values and values[name] != value:
                twice.add(name)
            values[name] = value
    return {k: v for k, v in values.items() if k not in twice}


PROTOCOL_H = c_defines(SKETCH / "protocol.h")

# C prefix -> the Python enum whose members it spells (CCTF_TYPE_SAMPLE is FrameType.SAMPLE).
ENUMS: dict[str, type[IntEnum] | type[IntFlag]] = {
    "CCTF_TYPE_": P.FrameType,
    "CCTF_FLAG_": P.SampleFlags,
    "CCTF_STATUS_": P.AckStatus,
    "CCTF_SENSOR_MODEL_": P.SensorModel,
    "CCTF_RESET_": P.ResetCause,
    "CCTF_CALFLAG_": P.CalFlags,
    "CCTF_HEADFLAG_": P.HeadFlags,
    "CCTF_PERIPHERAL_": P.Peripherals,
}
SCALARS = {
    "CCTF_PROTOCOL_VERSION": P.PROTOCOL_VERSION,
    "CCTF_BAUD_RATE": P.BAUD_RATE,
    "CCTF_MAX_PACKET_BYTES": P.MAX_PACKET_BYTES,
    "CCTF_MAX_ENCODED_BYTES": P.MAX_ENCODED_BYTES,
    "CCTF_PRESSURE_SCALE": P.PRESSURE_SCALE,
    "CCTF_MIN_RATE_HZ": P.MIN_RATE_HZ,
    "CCTF_MAX_RATE_HZ": P.MAX_RATE_HZ,
    "CCTF_SAMPLE_BODY_BYTES": P.SAMPLE_BODY_BYTES,
    "CCTF_HELLO_BODY_BYTES": P.HELLO_BODY_BYTES,
    "CCTF_CAL_BYTES": P.CAL_BYTES,
    "CCTF_SAMPLE_WIRE_BYTES": P.SAMPLE_WIRE_BYTES,
    "CCTF_HEAD_BODY_BYTES": P.HEAD_BODY_BYTES,
    "CCTF_HELLO_P_BODY_BYTES": P.HELLO_P_BODY_BYTES,
    "CCTF_ANGLE_SCALE": P.ANGLE_SCALE,
}
# Sizes only the C side needs, derived from the Python values.
C_ONLY = {
    "CCTF_RX_BUF_BYTES": P.MAX_ENCODED_BYTES - 1,  # a frame before its delimiter
    "CCTF_HELLO_PACKET_BYTES": 1 + P.HELLO_BODY_BYTES + 2,
    "CCTF_ACK_MAX_PACKET_BYTES": 1 + 3 + P.CAL_BYTES + 2,
    "CCTF_SERIAL_BYTES": 8,
    "CCTF_HEAD_PACKET_BYTES": 1 + P.HEAD_BODY_BYTES + 2,
    "CCTF_HEAD_WIRE_BYTES": 1 + P.HEAD_BODY_BYTES + 2 + 2,  # COBS adds one byte, + delimiter
    "CCTF_HELLO_P_PACKET_BYTES": 1 + P.HELLO_P_BODY_BYTES + 2,
}


def _python_value(name: str) -> int:
    if name in SCALARS:
        return int(SCALARS[name])
    if name in C_ONLY:
        return C_ONLY[name]
    for prefix, enum in ENUMS.items():
        if name.startswith(prefix):
            member = name[len(prefix):]
            assert member in enum.__members__, f"{name}: {enum.__name__} has no {member}"
            return int(enum[member])
    raise AssertionError(f"protocol.h defines {name}, which has no Python counterpart here")


@pytest.mark.parametrize("name", sorted(PROTOCOL_H), ids=str)
def test_protocol_h_constant_equals_python(name):
    assert PROTOCOL_H[name] == _python_value(name), (
        f"protocol.h: {name} = {PROTOCOL_H[name]}, Python: {_python_value(name)}")


@pytest.mark.parametrize("prefix", list(ENUMS), ids=str)
def test_every_python_code_is_in_protocol_h(prefix):
    enum = ENUMS[prefix]
    names = [n for n in enum.__members__ if not (issubclass(enum, IntFlag) and n == "NONE")]
    missing = [f"{prefix}{n}" for n in names if f"{prefix}{n}" not in PROTOCOL_H]
    assert not missing, f"protocol.h lacks {missing}"


def test_every_python_scalar_is_in_protocol_h():
    assert len(PROTOCOL_H) > 40, "the protocol.h parser found too few #defines"
    missing = [n for n in SCALARS if n not in PROTOCOL_H]
    assert not missing, f"protocol.h lacks {missing}"


def test_sensor_constants_match_the_firmware_model():
    """The simulator models this firmware: same oversampling, limits, defaults and version."""
    c = c_defines(SKETCH / "protocol.h", SKETCH / "sampling.h", SKETCH / "sensor.h",
                  SKETCH / "config.h", SKETCH / "device.h")
    assert c["CCTF_MPX_OVERSAMPLE"] == sim_sensor.OVERSAMPLE
    assert c["CCTF_ADC_MAX"] == sim_sensor.ADC_MAX
    assert c["CCTF_MPX_RAW_MAX"] == sim_sensor.RAW_MAX
    assert c["CCTF_MPX_OVER_RANGE_RAW"] == sim_sensor.RAW_MAX - 16
    assert c["CCTF_MPX_SENSOR_FAULT_RAW"] == sim_firmware.SENSOR_FAULT_RAW
    raw_a, mmhg_a, raw_b, mmhg_b = sim_sensor.datasheet_points()
    assert (c["CCTF_MPX5010DP_DATASHEET_RAW_A"], c["CCTF_MPX5010DP_DATASHEET_MMHG_A"],
            c["CCTF_MPX5010DP_DATASHEET_RAW_B"], c["CCTF_MPX5010DP_DATASHEET_MMHG_B"]) == (
        raw_a, round(mmhg_a * P.PRESSURE_SCALE), raw_b, round(mmhg_b * P.PRESSURE_SCALE))
    assert c["CCTF_MPX5010DP_DEFAULT_RATE_HZ"] == sim_firmware.DEFAULT_RATE_HZ
    assert c["CCTF_HX710B_DEFAULT_RATE_HZ"] in (10, 40)
    assert (c["CCTF_FW_MAJOR"], c["CCTF_FW_MINOR"], c["CCTF_FW_PATCH"]) == (
        sim_firmware.FIRMWARE_VERSION)
    assert c["CCTF_TARE_WINDOW_MAX"] == P.TARE_WINDOW_MAX >= P.tare_window_len(P.MAX_RATE_HZ)
    assert c["CCTF_TARE_MAX_PENDING"] == sim_firmware.TARE_MAX_PENDING


# --- host tests ----------------------------------------------------------------------------


def test_host_tests_pass():
    if shutil.which(os.environ.get("CC", "cc")) is None:
        pytest.skip("no host C compiler (cc) for the firmware's host tests")
    done = subprocess.run(["bash", str(HOST_TESTS)], cwd=FIRMWARE, capture_output=True,
                          text=True, timeout=120, check=False)
    lines = done.stdout.strip().splitlines()
    summary = re.fullmatch(r"(\d+) passed, (\d+) failed", lines[-1]) if lines else None
    assert done.returncode == 0 and summary, (
        f"firmware host tests failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0
    assert passed >= 150, f"only {passed} host test cases ran"


# --- builds --------------------------------------------------------------------------------


def _build(sensor: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(BUILD), "--sensor", sensor, "--out", str(out), *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Both firmware variants, built in parallel into temporary directories."""
    if shutil.which("avr-gcc") is None:
        pytest.skip(NO_AVR_GCC)
    outs = {s: tmp_path_factory.mktemp(f"fw-{s}") for s in SENSORS}
    with ThreadPoolExecutor(len(SENSORS)) as pool:
        done = dict(zip(SENSORS, pool.map(lambda s: _build(s, outs[s]), SENSORS), strict=True))
    for sensor, result in done.items():
        assert result.returncode == 0, (
            f"build.sh --sensor {sensor} failed:\n{result.stdout}\n{result.stderr}")
    return {s: (outs[s], done[s].stdout) for s in SENSORS}


def _avr_size(elf: Path) -> tuple[int, int]:
    """(flash, static RAM) in bytes from the ELF's sections."""
    out = subprocess.run(["avr-size", "-A", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    size = {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\.\w+)\s+(\d+)\s+\d+", out, re.MULTILINE)}
    data = size.get(".data", 0)
    return size.get(".text", 0) + data, data + size.get(".bss", 0) + size.get(".noinit", 0)


@pytest.mark.parametrize("sensor", SENSORS)
def test_firmware_builds_and_fits(builds, sensor):
    out, stdout = builds[sensor]
    elf, hex_ = out / "cctf.elf", out / "cctf.hex"
    assert elf.is_file() and hex_.is_file()
    records = hex_.read_text().split()
    assert records and all(r.startswith(":") for r in records)
    assert records[-1] == ":00000001FF"
    flash = int(re.search(rf"^flash: (\d+) bytes of {FLASH_MAX}", stdout, re.MULTILINE).group(1))
    ram = int(re.search(rf"^ram: (\d+) bytes of {RAM_MAX}", stdout, re.MULTILINE).group(1))
    assert (flash, ram) == _avr_size(elf), "build.sh reports other sizes than avr-size"
    assert flash < FLASH_MAX, f"{sensor}: {flash} bytes of flash"
    assert ram <= RAM_STATIC_MAX, f"{sensor}: {ram} bytes of static RAM, stack needs the rest"
    assert not list(out.glob(".build.*")), "build.sh left its work directory behind"


def test_sensor_choice_reaches_the_firmware(builds):
    """Same sketch, two drivers: the HX710B build has no Timer1 sampling ISR (it is paced by
    the converter), the MPX5010DP build has one."""
    def symbols(sensor: str) -> str:
        return subprocess.run(["avr-nm", str(builds[sensor][0] / "cctf.elf")],
                              capture_output=True, text=True, check=True).stdout
    isr = re.compile(r"^\w+ T __vector_11$", re.MULTILINE)  # TIMER1_COMPA_vect, defined
    assert isr.search(symbols("mpx5010"))
    assert not isr.search(symbols("hx710b"))


def test_serial_option_and_clear_errors(tmp_path):
    if shutil.which("avr-gcc") is None:
        pytest.skip(NO_AVR_GCC)
    done = _build("mpx5010", tmp_path / "serial", "--serial", "CCTF0042")
    assert done.returncode == 0, done.stderr
    assert b"CCTF0042" in (tmp_path / "serial" / "cctf.elf").read_bytes()
    bad = _build("bmp280", tmp_path / "bad")
    assert bad.returncode != 0 and "unknown sensor 'bmp280'" in bad.stderr
    bad = _build("mpx5010", tmp_path / "bad", "--serial", "TOO-LONG-SERIAL")
    assert bad.returncode != 0 and "--serial" in bad.stderr


def test_build_names_the_packages_when_the_toolchain_is_missing(tmp_path):
    """Without avr-gcc on PATH build.sh stops at once and says what to install."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "sed", "cat", "mktemp", "rm", "mkdir"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    bash = shutil.which("bash")
    assert bash
    done = subprocess.run([bash, str(BUILD), "--out", str(tmp_path / "out")],
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode != 0
    for package in ("gcc-avr", "binutils-avr", "avr-libc"):
        assert package in done.stderr, done.stderr
