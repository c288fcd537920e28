"""Start-up and batch analysis, each against the plain alternative in the same run.

    python benchmarks/bench_startup.py [--runs 3] [--sessions 100]
    python benchmarks/bench_startup.py --quick     # one run of each, about 1 min

Children run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed, one warm-up run
first), as an installed cctf runs: pip compiles the package on install; a shell that sets
``PYTHONDONTWRITEBYTECODE`` would otherwise recompile cctf's sources in every child.

Every figure is a whole child process (interpreter start included), wall time from spawn, the
median of ``--runs``; peak memory is the child's ru_maxrss (os.wait4; this process imports
neither numpy nor cctf, so the figure is the child's own).
1. ``cctf analyze`` of one 6-minute 50 Hz session vs a plain script that reads the same file
   with ``numpy.loadtxt`` (and vs ``python -c pass``, the interpreter alone).
2. ``cctf analyze`` of ``--sessions`` six-minute sessions in one call vs one process running
   ``numpy.loadtxt`` over the same files; a shell loop of single calls is extrapolated from 1.
3. ``cctf analyze`` of one hour at 100 Hz: wall and peak memory vs ``numpy.loadtxt``.
4. The app: ``cctf --sim`` to the first frame with data (benchmarks/bench_gui.py's start-up
   child, offscreen) vs a plain PySide6 + pyqtgraph window drawing one curve.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # children: as installed (see above)
LOADTXT = ("import sys, numpy as np\n"
           "for f in sys.argv[1:]:\n"
           "    n = sum(1 for line in open(f) if line.startswith('#')) + 1\n"
           "    np.loadtxt(f, delimiter=',', skiprows=n, usecols=(0, 1))\n")
PLAIN_WINDOW = ("import time, numpy as np, pyqtgraph as pg\n"
                "from PySide6.QtWidgets import QApplication\n"
                "app = QApplication([]); w = pg.PlotWidget(); w.resize(1280, 800)\n"
                "w.plot(np.arange(100), np.sin(np.arange(100) / 10)); w.show()\n"
                "app.processEvents(); w.repaint(); print(time.monotonic())\n")


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall s, peak RSS MB, stdout) of one child process."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, out if proc.returncode in (0, 2) else ""


def median_run(cmd: list[str], runs: int) -> tuple[float, float]:
    results = [run(cmd)[:2] for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="one run of each")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    load = os.getloadavg()[0]
    py = sys.executable
    cctf = [py, "-m", "cctf.cli"]
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        one = d / "s6.csv"
        subprocess.run([*cctf, "record", "--sim", "healthy", "--fast", "--seconds", "360",
                        "-o", str(one)], check=True, capture_output=True)
        many = []
        for k in range(args.sessions):
            many.append(d / f"s{k:03d}.csv")
            shutil.copyfile(one, many[-1])
        # The same one-hour file as benchmarks/bench_analysis.py, written by a child: this
        # process stays small, because a child's ru_maxrss starts at the parent's resident
        # size when it forks (with cctf and the simulator imported here, every child,
        # numpy.loadtxt's too, read ~110 MB).
        subprocess.run([py, "-c", "import sys; from pathlib import Path; "
                        f"sys.path.insert(0, {str(REPO / 'benchmarks')!r}); "
                        "from bench_analysis import simulated_session; "
                        f"simulated_session(100, 3600.0, Path({str(d)!r}))"],
                       check=True, capture_output=True)
        hour = d / "hour.csv"

        run([*cctf, "analyze", str(one)])  # warm-up: bytecode caches written
        t_pass, _ = median_run([py, "-c", "pass"], args.runs)
        t_np, _ = median_run([py, "-c", LOADTXT, str(one)], args.runs)
        t_an, m_an = median_run([*cctf, "analyze", str(one)], args.runs)
        rows.append(("`cctf analyze` one 6-min 50 Hz session", f"{t_an:.2f} s, {m_an:.0f} MB",
                     f"numpy.loadtxt script {t_np:.2f} s ({t_an / t_np:.2f}×); "
                     f"`python -c pass` {t_pass:.2f} s"))
        t_many, _ = median_run([*cctf, "analyze", "--json", *map(str, many)], 1)
        t_npm, _ = median_run([py, "-c", LOADTXT, *map(str, many)], 1)
        rows.append((f"`cctf analyze --json` {args.sessions} six-minute sessions, one call",
                     f"{t_many:.2f} s", f"numpy.loadtxt of the same files in one process "
                     f"{t_npm:.2f} s ({t_many / t_npm:.2f}×); a shell loop of single calls "
                     f"≈ {args.sessions * t_an:.0f} s"))
        t_h, m_h = median_run([*cctf, "analyze", "--json", str(hour)], args.runs)
        t_hn, m_hn = median_run([py, "-c", LOADTXT, str(hour)], args.runs)
        rows.append(("`cctf analyze` 1 h at 100 Hz", f"{t_h:.2f} s, peak {m_h:.0f} MB",
                     f"numpy.loadtxt script {t_hn:.2f} s, peak {m_hn:.0f} MB "
                     f"({t_h / t_hn:.2f}× the time, {m_h / m_hn:.2f}× the memory)"))

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    app, plain = [], []
    subprocess.run([py, str(REPO / "benchmarks" / "bench_gui.py"), "--startup-child"],
                   capture_output=True, env=env, check=True)  # warm-up: bytecode caches
    for _ in range(args.runs):
        t0 = time.monotonic()
        out = subprocess.run([py, str(REPO / "benchmarks" / "bench_gui.py"), "--startup-child"],
                             capture_output=True, text=True, env=env, check=True).stdout
        app.append(float(out.strip().splitlines()[-1].split('"data": ')[1].rstrip("}")) - t0)
        t0 = time.monotonic()
        out = subprocess.run([py, "-c", PLAIN_WINDOW], capture_output=True, text=True, env=env,
                             check=True).stdout
        plain.append(float(out.strip().splitlines()[-1]) - t0)
    rows.append(("`cctf --sim` start to first frame with data (offscreen)",
                 f"{statistics.median(app):.2f} s",
                 f"a plain PySide6 + pyqtgraph window with one curve {statistics.median(plain):.2f}"
                 f" s ({statistics.median(app) / statistics.median(plain):.2f}×)"))

    print(f"Machine: Python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{load:.2f} at start, {os.getloadavg()[0]:.2f} at the end\n")
    print(f"`python benchmarks/bench_startup.py --runs {args.runs} --sessions {args.sessions}`"
          "\n")
    print("| What | cctf | plain alternative, same run |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
