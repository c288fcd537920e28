"""Analysis speed: offline throughput, per-update cost in real time, and `cctf analyze` vs parsing.

    python benchmarks/bench_analysis.py [--quick]

Builds a one-hour 100 Hz session by tiling a simulated healthy CCFT session (trials all along),
then measures:
1. offline throughput of the engine fed all at once (samples/s);
2. per-update cost for 20 ms chunks at 50 Hz, as the app feeds it (p50/p99/max);
3. `cctf analyze` of the one-hour file (parse + analysis) against `numpy.loadtxt` of the same
   file: the aim is that analysis adds less than the parse costs.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.offline import analyze_arrays
from cctf.cli import main as cctf_main
from cctf.sessionfile import SessionWriter, read_session


def simulated_session(rate_hz: int, seconds: float, workdir: Path) -> Path:
    """Record the healthy scenario once (fast), then tile it to ``seconds``."""
    one = workdir / "one.csv"
    cctf_main(["record", "--sim", "healthy", "--fast", "--seconds", "380", "--rate-hz",
               str(rate_hz), "-o", str(one)])
    rec = read_session(one)
    period = float(rec.t_s[-1] - rec.t_s[0]) + 1.0 / rate_hz
    reps = int(np.ceil(seconds / period))
    t = np.concatenate([rec.t_s + k * period for k in range(reps)])
    keep = t < t[0] + seconds
    out = workdir / "hour.csv"
    w = SessionWriter(out, {"source": "benchmark"})
    w.write(t[keep], np.tile(rec.pressure_mmhg, reps)[keep], np.tile(rec.target_mmhg, reps)[keep],
            list(np.tile(rec.phase, reps)[keep]))
    w.close()
    return out


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 900.0 if args.quick else 3600.0
    repeats = 2 if args.quick else 3
    rows: list[tuple[str, str, str]] = []
    import logging

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        devnull = open(os.devnull, "w")  # noqa: SIM115
        stdout, stderr = sys.stdout, sys.stderr
        sys.stderr = devnull
        path = simulated_session(100, seconds, Path(tmp))
        sys.stderr = stderr
        rec = read_session(path)
        n = len(rec)
        size_mb = path.stat().st_size / 1e6

        t_all = best_of(lambda: analyze_arrays(rec.t_s, rec.pressure_mmhg, rec.target_mmhg,
                                               rec.phase, rate_hz=100.0), repeats)
        rows.append(("Offline throughput", f"{seconds / 60:.0f} min at 100 Hz, all at once",
                     f"{n / t_all / 1e6:.2f} M samples/s ({t_all * 1000:.0f} ms)"))

        # Real-time: 50 Hz, 20 ms chunks (one sample each), as the app's timer feeds it.
        sub = slice(0, n, 2)
        t50, p50, tg50, ph50 = rec.t_s[sub], rec.pressure_mmhg[sub], rec.target_mmhg[sub], \
            rec.phase[sub]
        engine = CcftAnalyzer(50.0)
        costs = []
        for i in range(len(t50)):
            t0 = time.perf_counter()
            engine.update(t50[i : i + 1], p50[i : i + 1], tg50[i : i + 1], ph50[i : i + 1])
            costs.append(time.perf_counter() - t0)
        q = statistics.quantiles(costs, n=100)
        rows.append(("Per-update cost", "50 Hz, 20 ms chunks",
                     f"p50 {q[49] * 1e6:.0f} µs · p99 {q[98] * 1e6:.0f} µs · "
                     f"max {max(costs) * 1e3:.1f} ms (budget 20 ms)"))

        def run_analyze() -> None:
            sys.stdout = devnull
            try:
                cctf_main(["analyze", str(path), "--json"])
            finally:
                sys.stdout = stdout

        t_cli = best_of(run_analyze, repeats)
        t_parse = best_of(lambda: read_session(path), repeats)
        header_lines = len(rec.metadata) + 1
        t_loadtxt = best_of(lambda: np.loadtxt(path, delimiter=",", skiprows=header_lines,
                                               usecols=(0, 1)), repeats)
        rows.append(("`cctf analyze --json`", f"{size_mb:.1f} MB file, {n} rows",
                     f"{t_cli:.3f} s total: cctf's checked parse {t_parse:.3f} s, "
                     f"analysis {t_all:.3f} s"))
        rows.append(("`numpy.loadtxt` of the same file", "columns t_s, pressure_mmhg",
                     f"{t_loadtxt:.3f} s → analysis costs {t_all / t_loadtxt:.2f}× the "
                     "loadtxt parse"))
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text()
                .splitlines() if ln.startswith("model name")), platform.processor())
    print(f"Machine: Python {platform.python_version()}, {cpu}, {os.cpu_count()} cores\n")
    print("| Benchmark | Condition | Result |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
