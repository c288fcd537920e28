"""``cctf --sim`` start to the first frame with data: this checkout against another commit,
interleaved, on the same machine state.

    python benchmarks/bench_startup_ab.py --base HEAD~2 [--runs 10]

The base is ``git archive``d to a temporary folder and put first on ``PYTHONPATH`` (its
``cctf`` package is imported instead of this checkout's); both sides run this checkout's
``bench_gui.py --startup-child`` (the app's start as ``cctf --sim``, offscreen) alternately,
A B, B A, ..., and a plain PySide6 + pyqtgraph window (``bench_startup.py``'s) after each pair.
Wall time is from spawn to the first frame with data; CPU is the child's whole user + system
time (os.wait4): on a machine shared with other work it moves far less than the wall time.
Only the ``cctf`` package comes from the base: the simulator (``sim/``, installed as
``cctf.sim``) is this checkout's on both sides.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_startup import PLAIN_WINDOW  # noqa: E402

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # children: as installed (bench_startup.py)


def child(env: dict[str, str]) -> tuple[float, float]:
    """(wall s to the first frame with data, CPU s of the whole child)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(REPO / "benchmarks" / "bench_gui.py"),
                             "--startup-child"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env,
                            cwd=tempfile.gettempdir())
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the start-up child failed")
    return (json.loads(out.strip().splitlines()[-1])["data"] - t0,
            usage.ru_utime + usage.ru_stime)


def plain(env: dict[str, str]) -> float:
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", PLAIN_WINDOW], capture_output=True, text=True,
                         env=env, check=True).stdout
    return float(out.strip().splitlines()[-1]) - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.base],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp)
        env_a = dict(env, PYTHONPATH=tmp)
        child(env_a), child(env)  # warm-up: bytecode caches
        a: list[tuple[float, float]] = []
        b: list[tuple[float, float]] = []
        p: list[float] = []
        load = os.getloadavg()[0]
        for k in range(args.runs):
            for side in ((a, env_a), (b, env)) if k % 2 == 0 else ((b, env), (a, env_a)):
                side[0].append(child(side[1]))
            p.append(plain(env))

    def med(rows: list[tuple[float, float]], i: int) -> str:
        return f"{statistics.median(r[i] for r in rows):.2f} s"

    faster = sum(rb[0] < ra[0] for ra, rb in zip(a, b, strict=True))
    print(f"Load average {load:.2f} at start, {os.getloadavg()[0]:.2f} at the end; "
          f"{args.runs} runs each, alternating\n")
    print(f"`python benchmarks/bench_startup_ab.py --base {args.base} --runs {args.runs}`\n")
    print("| | first frame with data (wall, median) | child CPU (median) |\n|---|---|---|")
    print(f"| base `{args.base}` | {med(a, 0)} | {med(a, 1)} |")
    print(f"| this checkout | {med(b, 0)} | {med(b, 1)} |")
    print(f"| plain PySide6 + pyqtgraph window | {statistics.median(p):.2f} s | |")
    print(f"\nThis checkout faster in {faster} of {args.runs} pairs.")


if __name__ == "__main__":
    main()
