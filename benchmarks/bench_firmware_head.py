"""Cycles the head sensor adds to the firmware's per-sample work, measured on the simulated
ATmega328P (simavr's cycle-exact core), against the same work without the sensor.

    python benchmarks/bench_firmware_head.py

Builds two small AVR programs from benchmarks/firmware_head/ with the firmware's own C files
(avr-gcc -Os, as firmware/build.sh), runs each under ``simavr`` and prints a Markdown table:
cycles per call (mean and worst, Timer1 at clk/1), microseconds at 16 MHz and the share of a
250-Hz tick (4 ms). Needs gcc-avr, avr-libc and simavr (Debian packages). What the figures
leave out (the pressure sensor's 16 ADC reads, ~1.8 ms; the I2C read, ~0.25 ms at 400 kHz) is
in firmware/PROTOCOL.md section 15.5.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKETCH = HERE.parent / "firmware" / "cctf"
SOURCES = ["head.c", "protocol.c", "device.c", "calibration.c", "sampling.c"]
F_CPU = 16_000_000
TICK_US = 4000  # 250 Hz


def run(program: str, work: Path) -> str:
    elf = work / f"{program}.elf"
    subprocess.run(
        ["avr-gcc", "-mmcu=atmega328p", f"-DF_CPU={F_CPU}L", "-Os", "-std=gnu11",
         "-DDECIMAL_DIG=__DECIMAL_DIG__", f"-I{SKETCH}", str(HERE / "firmware_head" / program),
         *(str(SKETCH / s) for s in SOURCES), "-o", str(elf), "-lm"],
        check=True)
    # the program prints one line and then spins: stop simavr once the line is out
    proc = subprocess.Popen(["simavr", "-m", "atmega328p", "-f", str(F_CPU), str(elf)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if "cycles" in line:
                return re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
    finally:
        proc.kill()
        proc.wait()
    raise RuntimeError(f"{program}: no result from simavr")


def main() -> int:
    missing = [t for t in ("avr-gcc", "simavr") if shutil.which(t) is None]
    if missing:
        print(f"needs {', '.join(missing)} (Debian: gcc-avr avr-libc simavr)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        filt = run("filter_cycles.c", work)
        sample = run("sample_cycles.c", work)
    f_mean, f_worst = map(int, re.search(r"mean (\d+) worst (\d+)", filt).groups())
    s = list(map(int, re.findall(r"mean (\d+) worst (\d+)", sample)[0]
                 + re.findall(r"mean (\d+) worst (\d+)", sample)[1]))
    rows = [
        ("SAMPLE only (no sensor): cctf_device_reading", s[0], s[1]),
        ("SAMPLE + HEAD: cctf_device_reading_head", s[2], s[3]),
        ("of which the head filter and angles", f_mean, f_worst),
    ]
    print("| per sample | cycles mean | cycles worst | µs worst at 16 MHz "
          "| share of a 250-Hz tick |")
    print("|---|---|---|---|---|")
    for name, mean, worst in rows:
        us = worst * 1e6 / F_CPU
        print(f"| {name} | {mean} | {worst} | {us:.0f} | {us / TICK_US:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
