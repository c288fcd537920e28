"""Peak memory of reading a large session CSV: the streaming reader against the plain one.

    python benchmarks/bench_parse_memory.py [--rows 10000000] [--quick]

Writes, in a temporary folder, a session CSV of ``--rows`` rows in the recorder's format
(``t_s,pressure_mmhg,target_mmhg,phase,raw,flags,seq``; 10⁷ rows by default, about
0.4 GB) and a lean one with only the four required columns (10⁷ rows ≈ 0.2 GB, the size in
issue 10). Each reader runs in a fresh child process; its peak resident memory
(``VmHWM``, reset after the imports; Linux) is reported above the resident size at the
start and as a
multiple of the file size. The contract (issue 10): the parse stays within 4 × the file.

- **streaming**: ``cctf.sessionfile.read_session`` (chunked, NumPy; ``cctf.sessionread``);
- **plain**: the former reader — the whole text, ``splitlines``, one bulk ``split`` and
  a cast per column (what ``read_session`` did before issue 10);
- **cctf analyze**: the whole command (parse + the real-time engine + the report);
- **cctf import**: ``import_session_csv`` into empty records (checks, copy, parse, formula scan,
  analysis, storing the result).

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, time

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])

def mark():
    # Reset the peak (VmHWM) to the current resident size: importing NumPy touches far
    # more memory than it keeps, which would hide the parse.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status("VmRSS:")

import numpy as np
mode, path = sys.argv[1], sys.argv[2]
if mode == "streaming":
    from cctf.sessionfile import read_session
    base = mark()
    t0 = time.perf_counter()
    rec = read_session(path)
    n = len(rec)
elif mode == "plain":
    from pathlib import Path
    base = mark()
    t0 = time.perf_counter()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    i = 0
    while lines[i].startswith("#"):
        i += 1
    ncol = len(lines[i].split(","))
    body = lines[i + 1:]
    fields = np.array(",".join(body).split(","), dtype=object).reshape(len(body), ncol)
    t = fields[:, 0].astype(np.float64)
    p = fields[:, 1].astype(np.float64)
    tg = np.where(fields[:, 2] == "", "nan", fields[:, 2]).astype(np.float64)
    ph = np.array([s.strip() for s in fields[:, 3]], dtype=object)
    n = len(t)
elif mode == "import":
    import tempfile
    from cctf.records.importer import import_session_csv
    from cctf.records.startup import open_records
    folder = tempfile.mkdtemp(prefix="cctf-parse-")
    records = open_records(folder)
    records.add_patient("P1")
    base = mark()
    t0 = time.perf_counter()
    import_session_csv(records, path, "P1")
    n = -1
else:
    from cctf.cli import main
    import contextlib, io
    base = mark()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        main(["analyze", path])
    n = -1
dt = time.perf_counter() - t0
peak = status("VmHWM:")
print(n, base, peak, dt)
if mode == "import":  # the records and the imported copy of the file: not left behind
    import shutil
    records.close()
    shutil.rmtree(folder, ignore_errors=True)
"""


def write_csv(path: Path, rows: int, lean: bool) -> None:
    """A plausible session: 50 Hz, cued stages, recorder columns unless ``lean``."""
    rng = np.random.default_rng(1)
    header = "# cctf_session_format: 1\n# source: benchmark\n"
    header += "t_s,pressure_mmhg,target_mmhg,phase" + ("" if lean else ",raw,flags,seq") + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        step = 500_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            i = np.arange(start, start + n)
            t = (i + 1) * 0.02
            p = 20.0 + 2.0 * np.sin(i / 300.0) + rng.normal(0, 0.1, n)
            cued = (i // 500) % 2 == 1
            tgt = np.where(cued, "22.00", "")
            ph = np.where(cued, "stage", "")
            cols = [np.char.mod("%.4f", t), np.char.mod("%.3f", p), tgt, ph]
            if not lean:
                cols += [np.char.mod("%d", 4700 + (p * 3).astype(int)), np.full(n, "4"),
                         np.char.mod("%d", i % 65536)]
            lines = cols[0]
            for c in cols[1:]:
                lines = np.char.add(np.char.add(lines, ","), c)
            f.write("\n".join(lines.tolist()) + "\n")


def run(mode: str, path: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    _n, base, peak, dt = out.stdout.split()
    return (int(peak) - int(base)) * 1024 / 1e6, float(dt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--quick", action="store_true", help="10⁶ rows")
    ap.add_argument("--lean-only", action="store_true",
                    help="only the four-column file (the issue's 10⁷-row, ~0.2 GB case)")
    args = ap.parse_args()
    rows = 1_000_000 if args.quick else args.rows
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, {os.cpu_count()} CPUs; {rows:,} rows")
    print()
    print("| file | MB | reader | peak MB above start | × file | s |")
    print("|---|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for lean in (True,) if args.lean_only else (True, False):
            path = Path(tmp) / ("lean.csv" if lean else "recorder.csv")
            t0 = time.perf_counter()
            write_csv(path, rows, lean)
            size_mb = path.stat().st_size / 1e6
            label = "4 columns" if lean else "recorder (7 columns)"
            print(f"<!-- wrote {label} in {time.perf_counter() - t0:.0f} s -->")
            for mode in ("plain", "streaming", "analyze", "import"):
                peak_mb, dt = run(mode, path)
                name = {"plain": "plain (former)", "streaming": "streaming (cctf)",
                        "analyze": "cctf analyze (all)", "import": "cctf import (all)"}[mode]
                print(f"| {label} | {size_mb:.0f} | {name} | {peak_mb:.0f} | "
                      f"{peak_mb / size_mb:.2f} | {dt:.1f} |", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
