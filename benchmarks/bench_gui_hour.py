"""The app's memory over one hour of streaming at 200 Hz, on a virtual clock.

    python benchmarks/bench_gui_hour.py [--minutes 60] [--rate-hz 200] [--step-s 1.0]

The real window (offscreen), its clinic set-up screen shown, with the simulator attached on a
``VirtualClock`` (no reader thread): ``controller.run_virtual`` pumps the simulated device and
ticks the app every ``--step-s`` simulated seconds, so the views redraw and every sample goes
through history, the set-up guide and the health figures as it does live, only faster than
real time. Prints RSS (VmRSS) every 5 simulated minutes and the growth over the last half.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate-hz", type=int, default=200)
    parser.add_argument("--step-s", type=float, default=1.0)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    from PySide6.QtWidgets import QApplication

    from cctf.gui import theme
    from cctf.gui.controller import AppController
    from cctf.gui.main import MainWindow
    from cctf.gui.simlink import attach_virtual_sim

    app = QApplication(sys.argv)
    theme.apply(app)
    data_dir = Path(tempfile.mkdtemp(prefix="cctf-hour-"))
    controller = AppController(data_dir=data_dir, discover_fn=list)
    window = MainWindow(controller)
    window.resize(1600, 1000)
    window.show()
    attach_virtual_sim(controller, "healthy", rate_hz=args.rate_hz)
    started = time.monotonic()
    marks: list[tuple[float, float, int]] = [(0.0, rss_mb(), 0)]
    for k in range(1, int(args.minutes / 5) + 1):
        controller.run_virtual(300.0, step_s=args.step_s)
        app.processEvents()
        marks.append((5.0 * k, rss_mb(), len(controller.history)))
        print(f"  {5 * k:3.0f} min: RSS {marks[-1][1]:.0f} MB, {marks[-1][2]} samples in "
              f"history ({time.monotonic() - started:.0f} s wall)", file=sys.stderr, flush=True)
    wall = time.monotonic() - started
    half = marks[len(marks) // 2]
    print(f"`python benchmarks/bench_gui_hour.py --minutes {args.minutes:g} --rate-hz "
          f"{args.rate_hz} --step-s {args.step_s:g}` ({wall:.0f} s wall, "
          f"{60 * args.minutes / wall:.0f}× real time)\n")
    print("| simulated minutes | RSS | samples in history |\n|---|---|---|")
    for m, r, n in marks:
        print(f"| {m:g} | {r:.0f} MB | {n} |")
    print(f"\nGrowth over the second half: {marks[-1][1] - half[1]:+.0f} MB")
    controller.shutdown()
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
