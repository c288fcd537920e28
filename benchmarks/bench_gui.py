"""The app's speed: frame time, CPU and draw latency while streaming; start-up to first frame.

    python benchmarks/bench_gui.py [--quick] [--out FILE.json]

1. **Frame time and CPU while streaming** at 50 and 200 Hz. A simulator serves a healthy
   patient on a pty in a child process (``cctf sim``), so this process holds only the app: the
   device's reader thread and the UI thread. The Monitor screen shows a 10-minute window
   whose history is pre-filled with 10 minutes of samples at the rate, so every frame draws
   10 minutes (30 000 or 120 000 samples, decimated to the plot's pixels). A 30 fps timer runs
   the app's frame: ``controller.tick()`` (pull, feed, the views update) and a synchronous
   repaint of the whole window (``QWidget.repaint``, offscreen raster: an upper bound).
   Frame time = that work, per frame (p50, p99, max). CPU = this process's CPU time (all
   threads) over the wall time, in % of one core.
2. **Latency, sample in the buffer → drawn**: ``SampleBuffer.append`` is wrapped to stamp when
   each sample became readable; when a frame's repaint returns, every sample it drew for the
   first time gets latency = now − readable. The 33 ms frame period bounds it from above.
3. **Start-up to the first frame**: a child process (this script, ``--startup-child``) does
   what ``cctf --sim`` does — import, build the window, connect the simulator on a worker
   thread, stream — and reports when the live view first draws data. Measured from just
   before the child is spawned (interpreter start included), median of 5 runs (3 quick).
Prints a Markdown table and writes ``benchmarks/results/gui.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

REPO = Path(__file__).resolve().parents[1]
HISTORY_S = 600.0
FPS = 30


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def stream_benchmark(rate_hz: int, seconds: float, *, full_repaint: bool = True
                     ) -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from cctf.acquisition.device import Device
    from cctf.acquisition.transport import SerialTransport
    from cctf.clock import MonotonicClock
    from cctf.gui import theme
    from cctf.gui.controller import AppController
    from cctf.gui.main import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    theme.apply(app)
    sim = subprocess.Popen(
        [sys.executable, "-m", "cctf.cli", "sim", "--scenario", "healthy", "--rate-hz",
         str(rate_hz)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = sim.stdout.readline().strip()
        device = Device(SerialTransport(port), clock=MonotonicClock())
        device.connect()
        device.start()
        batches: list[tuple[int, int, float]] = []  # samples [a, b) readable at time t
        append = device.buffer.append

        def stamped(rows: np.ndarray) -> None:  # runs on the reader thread
            before = device.buffer.written
            append(rows)
            batches.append((before, before + len(rows), time.monotonic()))

        device.buffer.append = stamped  # type: ignore[method-assign]
        controller = AppController(data_dir=Path("/tmp"), discover_fn=list)
        window = MainWindow(controller)
        window.resize(1280, 800)
        window.show()
        window.tabs.setCurrentWidget(window.monitor)
        window.monitor.span.setCurrentIndex(3)  # the last 10 minutes
        controller.attach(device, f"pty {port}")
        n = int(HISTORY_S * rate_hz)
        t = np.arange(-n, 0) / rate_hz
        controller.history.extend(t, 20.0 + 0.3 * np.sin(2 * np.pi * 0.25 * t))
        app.processEvents()

        frames: list[float] = []
        latencies: list[float] = []
        drawn_upto = [controller._cursor]
        state = {"warm": True}

        def frame() -> None:
            t0 = time.perf_counter()
            controller.tick()
            if full_repaint:
                window.repaint()
            done = time.monotonic()
            frames.append(time.perf_counter() - t0)
            cursor = controller._cursor  # samples [drawn_upto, cursor) drawn for the first time
            for a, b, at in list(batches):
                k = min(b, cursor) - max(a, drawn_upto[0])
                if k > 0 and not state["warm"]:
                    latencies.extend([done - at] * k)
            drawn_upto[0] = cursor
            while batches and batches[0][1] <= cursor:
                batches.pop(0)

        timer = QTimer()
        timer.setInterval(round(1000 / FPS))
        timer.timeout.connect(frame)
        timer.start()
        loop = QEventLoop()
        QTimer.singleShot(1000, lambda: state.update(warm=False))  # warm-up second
        QTimer.singleShot(1000, frames.clear)
        cpu = {}
        QTimer.singleShot(1000, lambda: cpu.update(c0=time.process_time(), w0=time.monotonic()))
        QTimer.singleShot(int((seconds + 1) * 1000), loop.quit)
        loop.exec()
        cpu_s = time.process_time() - cpu["c0"]
        wall_s = time.monotonic() - cpu["w0"]
        timer.stop()
        health = device.health()
        samples_drawn = len(controller.history) - n
        controller.shutdown()
        window.close()
    finally:
        sim.terminate()
        sim.wait(5)
    return {
        "rate_hz": rate_hz, "full_repaint": full_repaint, "seconds": wall_s,
        "frames": len(frames),
        "fps": len(frames) / wall_s,
        "frame_p50_ms": _pct(frames, 50) * 1e3, "frame_p99_ms": _pct(frames, 99) * 1e3,
        "frame_max_ms": max(frames) * 1e3, "cpu_pct": 100 * cpu_s / wall_s,
        "latency_p50_ms": _pct(latencies, 50) * 1e3,
        "latency_p95_ms": _pct(latencies, 95) * 1e3,
        "latency_p99_ms": _pct(latencies, 99) * 1e3,
        "latency_max_ms": max(latencies) * 1e3 if latencies else float("nan"),
        "samples": samples_drawn, "missing": health.missing,
        "history_samples": n + samples_drawn,
    }


def startup_child() -> None:
    """Start as ``cctf --sim`` does (``cctf.gui.startup.start``: audio on, records opened in
    a fresh data folder) and print the monotonic time of the first frame with data."""
    import tempfile

    from cctf.gui.controller import AppController
    from cctf.gui.startup import start

    data_dir = Path(tempfile.mkdtemp(prefix="cctf-bench-"))
    marks: dict[str, float] = {}
    started = start("healthy", controller=AppController(data_dir=data_dir, discover_fn=list))
    app, controller = started.app, started.controller
    live = started.window.clinic.setup_page.live

    def drawn() -> None:
        marks.setdefault("window", time.monotonic())
        if len(controller.history) and "data" not in marks:
            marks["data"] = time.monotonic()
            app.quit()

    live.drawn.connect(drawn)  # before the event loop runs: no frame is missed
    app.exec()
    controller.shutdown()
    shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(marks), flush=True)


def startup_benchmark(runs: int) -> dict[str, float]:
    window, data = [], []
    for _ in range(runs):
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, __file__, "--startup-child"], capture_output=True,
                             text=True, check=True, timeout=60)
        marks = json.loads(out.stdout.strip().splitlines()[-1])
        window.append(marks["window"] - t0)
        data.append(marks["data"] - t0)
    return {"runs": runs, "window_s": statistics.median(window),
            "first_data_s": statistics.median(data), "first_data_min_s": min(data),
            "first_data_max_s": max(data)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gui.json")
    parser.add_argument("--startup-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.startup_child:
        startup_child()
        return
    import logging

    logging.disable(logging.WARNING)
    seconds = 5.0 if args.quick else 15.0
    started = time.monotonic()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    streams = [stream_benchmark(rate, seconds) for rate in (50, 200)]
    natural = [stream_benchmark(rate, seconds, full_repaint=False) for rate in (50, 200)]
    startup = startup_benchmark(3 if args.quick else 5)
    import pyqtgraph
    import PySide6

    machine = (f"Python {platform.python_version()}, {platform.processor() or platform.machine()}"
               f", {os.cpu_count()} cores, PySide6 {PySide6.__version__}, pyqtgraph "
               f"{pyqtgraph.__version__}, Qt platform {os.environ['QT_QPA_PLATFORM']}, "
               f"load average {load:.2f} at start")
    print(f"Machine: {machine}\n")
    print(f"`python benchmarks/bench_gui.py{' --quick' if args.quick else ''}` "
          f"({time.monotonic() - started:.0f} s):\n")
    print("| Benchmark | Condition | Result |")
    print("|---|---|---|")
    for s in streams:
        cond = (f"{s['rate_hz']} Hz from a pty, 10 min of history drawn "
                f"({s['history_samples'] / 1000:.0f} k samples), {s['seconds']:.0f} s")
        print(f"| Frame time (tick + full repaint) | {cond} | p50 {s['frame_p50_ms']:.1f} ms · "
              f"p99 {s['frame_p99_ms']:.1f} ms · max {s['frame_max_ms']:.1f} ms · "
              f"{s['fps']:.1f} fps |")
        print(f"| Process CPU (app: UI + reader thread) | {cond} | {s['cpu_pct']:.1f} % of one "
              f"core |")
        print(f"| Latency, sample in buffer → drawn | {s['rate_hz']} Hz, {s['samples']} samples,"
              f" {s['missing']} missing | p50 {s['latency_p50_ms']:.1f} ms · p95 "
              f"{s['latency_p95_ms']:.1f} ms · p99 "
              f"{s['latency_p99_ms']:.1f} ms · max {s['latency_max_ms']:.1f} ms |")
    for s in natural:
        print(f"| Process CPU as the app runs (Qt repaints what changed) | {s['rate_hz']} Hz, "
              f"10 min of history, {s['seconds']:.0f} s | {s['cpu_pct']:.1f} % of one core · "
              f"tick p50 {s['frame_p50_ms']:.1f} ms · p99 {s['frame_p99_ms']:.1f} ms |")
    print(f"| Start-up to first frame with data | `cctf --sim` path, median of "
          f"{startup['runs']} | {startup['first_data_s']:.2f} s (window painted at "
          f"{startup['window_s']:.2f} s; range {startup['first_data_min_s']:.2f}–"
          f"{startup['first_data_max_s']:.2f} s) |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "streams": streams, "natural": natural,
                                    "startup": startup}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
