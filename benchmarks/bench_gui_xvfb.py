"""The live view's cost as a user's desktop pays it: whole processes under Xvfb, side by side
with a plainly written pyqtgraph monitor (benchmarks/naive_monitor.py), offscreen as a second
column.

    python benchmarks/bench_gui_xvfb.py [--seconds 8] [--screenshots DIR]
    python benchmarks/bench_gui_xvfb.py --quick      # 50 and 200 Hz, Xvfb only, about 1 min

Needs Xvfb (Debian: xvfb xauth libxcb-cursor0 …, see benchmarks/README.md). For each case a
simulator (``cctf sim --rate-hz R``, its own process) serves a pty, and one GUI process reads it:
either the app (its clinic set-up screen, or during a CCFT test, or minimised; window 1600×1000
on a 1600×1000×24 Xvfb screen) or the naive monitor (10 minutes pre-filled, 30 fps). Each GUI
process says when it first drew data; after a warm-up of 2 s, its CPU (user + system, all
threads, from /proc/PID/stat) is read over a fixed window and given in % of one core; RSS
(VmRSS) at the end. The same cases then run with QT_QPA_PLATFORM=offscreen (not with --quick).

Latency, sample → screen (app cases): the device's ``SampleBuffer.append`` is wrapped to stamp
when each sample became readable; when a live view's canvas has painted, every sample the
controller had taken in before that frame and not yet shown gets latency = now − readable.
The child writes its p50/p95/p99 (samples after the warm-up) to a file the parent reads.

Host took (steal): the share of the machine's CPU time that a virtual machine's host gave to
something else during the window (/proc/stat); every frame waits through it, so judge a
latency figure with it (on the 2-core VM of issue 14, 0–15 % from one run to the next).

UI thread CPU per frame (app cases): the child also writes its UI thread's CPU time
(``time.thread_time``) and the frames run (``controller.frames``); the parent divides the two
over the measured window. On a shared machine a CPU share moves ±30 % with the load, the cost
of a frame much less: use it to decide between two versions of the code.

    python benchmarks/bench_gui_xvfb.py --quick --cases naive,setup --rates 50   # one pair

Where a frame's time goes (issue 14, latency during a test), in the app child:
``CCTF_BENCH_FRAMES=FILE`` writes one row per frame: [the newest sample's wait for its
frame, the tick, tick end → the live canvas's paint end, the newest sample's total] in ms;
``CCTF_BENCH_PROFILE=FILE`` adds a cProfile of the ticks; ``CCTF_BENCH_PAINTS=1`` counts
paint and layout-request events per widget into FILE with the suffix ``.paints`` (a Python
event filter on every event: it costs CPU, so not for A/B runs).

    CCTF_BENCH_FRAMES=/tmp/frames.json python benchmarks/bench_gui_xvfb.py --quick \
        --cases test --rates 50 --seconds 6

``CCTF_MAX_FPS=N`` sets the app's frame cap (``AppController(max_fps=…)``, 50 by default: a
frame per sample at 50 Hz; 33 gives the 25 frames a second of the code before stop 24).

Xvfb is started on a free display (``-displayfd``), so runs by several people do not meet.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
HISTORY_S = 600.0
_display = {"name": ":77"}  # set to a free display when Xvfb starts
CASES = [  # (name, program, rate_hz, state)
    ("naive monitor", "naive", 50, "live"),
    ("app, clinic set-up screen", "app", 50, "setup"),
    ("app, during a CCFT test", "app", 50, "test"),
    ("app, window minimised", "app", 50, "minimised"),
    ("app as `cctf --sim` (simulator in-process), set-up", "app", 50, "sim"),
    ("naive monitor", "naive", 200, "live"),
    ("app, clinic set-up screen", "app", 200, "setup"),
]
QUICK = {("naive", 50, "live"), ("app", 50, "setup"), ("app", 50, "test"),
         ("app", 50, "minimised"), ("naive", 200, "live"), ("app", 200, "setup")}


def _watch_latency(controller, window, out: Path) -> None:
    """Stamp samples readable → painted (see the module docstring); stats to ``out``."""
    from PySide6.QtCore import QTimer

    from cctf.gui.live_view import LiveView

    buffer = controller.device.buffer
    stamps: list[tuple[int, int, float]] = []  # samples [a, b) readable at time t
    append = buffer.append

    def stamped(rows):
        before = buffer.written
        append(rows)
        stamps.append((before, buffer.written, time.monotonic()))

    buffer.append = stamped
    state = {"shown": controller._cursor, "lat": [], "t0": time.monotonic() + 2.0}

    def painted(original):
        def paint(event):
            upto = controller._cursor
            original(event)
            now = time.monotonic()
            a = state["shown"]
            if upto <= a:
                return
            state["shown"] = upto
            if now < state["t0"]:
                return
            while stamps and stamps[0][1] <= a:
                stamps.pop(0)
            for lo, hi, at in stamps:
                k = min(hi, upto) - max(lo, a)
                if k > 0:
                    state["lat"].extend([now - at] * k)
        return paint

    for live in window.findChildren(LiveView):
        live.canvas.paintEvent = painted(live.canvas.paintEvent)
    frames_out = os.environ.get("CCTF_BENCH_FRAMES")
    if frames_out:
        _watch_frames(controller, window, stamps, Path(frames_out))

    def dump() -> None:
        lat = state["lat"]
        # The UI thread's own CPU time and the frames it ran (this timer runs in the UI
        # thread): CPU per frame moves far less with the machine's load than a CPU share.
        stats = {"ui_cpu_s": time.thread_time(), "frames": controller.frames,
                 "at_s": time.monotonic()}
        if lat:
            q = np.percentile(lat, [50, 95, 99]) * 1e3
            stats.update({"p50_ms": q[0], "p95_ms": q[1], "p99_ms": q[2], "n": len(lat)})
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(stats))
        tmp.replace(out)

    timer = QTimer(window)
    timer.timeout.connect(dump)
    timer.start(500)


def _watch_frames(controller, window, stamps, out: Path) -> None:
    """Per frame (``CCTF_BENCH_FRAMES=FILE``): the newest sample's wait for its frame, the
    tick's time, tick end → the live canvas's paint end, all in ms; one JSON list per dump."""
    from PySide6.QtCore import QTimer

    from cctf.gui.live_view import LiveView

    rows: list[list[float]] = []
    cur: dict[str, float] = {}
    tick = controller.tick

    prof = None
    if os.environ.get("CCTF_BENCH_PROFILE"):
        import cProfile
        prof = cProfile.Profile()

    def timed_tick() -> None:
        t0 = time.monotonic()
        newest = stamps[-1][2] if stamps else t0
        if prof is not None:
            prof.runcall(tick)
        else:
            tick()
        cur.update(wait=t0 - newest, t0=t0, t1=time.monotonic(), cpu=time.thread_time())

    controller.tick = timed_tick
    controller.pacer.frame = timed_tick

    def painted(original):
        def paint(event):
            original(event)
            if "t1" in cur:
                now = time.monotonic()
                rows.append([1e3 * cur["wait"], 1e3 * (cur["t1"] - cur["t0"]),
                             1e3 * (now - cur["t1"]), 1e3 * (now - cur["t0"] + cur["wait"])])
                cur.clear()
        return paint

    for live in window.findChildren(LiveView):
        live.canvas.paintEvent = painted(live.canvas.paintEvent)

    from collections import Counter

    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    painted_by: Counter = Counter()

    class Paints(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                painted_by[type(obj).__name__ + ":" + obj.objectName()] += 1
            elif event.type() == QEvent.Type.LayoutRequest:
                painted_by["LayoutRequest " + type(obj).__name__] += 1
            return False

    if os.environ.get("CCTF_BENCH_PAINTS"):  # a Python filter on every event: costs CPU
        paints = Paints(window)
        QApplication.instance().installEventFilter(paints)
    def dump() -> None:
        out.write_text(json.dumps(rows))
        out.with_suffix(".paints").write_text(json.dumps(painted_by.most_common()))
        if prof is not None:
            prof.dump_stats(os.environ["CCTF_BENCH_PROFILE"])

    timer = QTimer(window)
    timer.timeout.connect(dump)
    timer.start(500)


def app_child(port: str, state: str) -> None:
    """The app as ``cctf --port PORT`` builds it, plus the state to measure."""
    from PySide6.QtWidgets import QApplication

    from cctf.gui import theme
    from cctf.gui.controller import AppController
    from cctf.gui.main import MainWindow

    app = QApplication(sys.argv)
    app.setApplicationName("cctf")
    theme.apply(app)
    # the parent's folder for this run (it removes it: this child is terminated, not ended)
    data_dir = Path(os.environ["CCTF_BENCH_DATA"])
    controller = AppController(data_dir=data_dir, discover_fn=list,
                               max_fps=float(os.environ.get("CCTF_MAX_FPS", "50")))
    window = MainWindow(controller)
    window.resize(1600, 1000)
    window.show()
    done = {"ready": False}

    def drawn() -> None:
        if done["ready"] or not len(controller.history):
            return
        done["ready"] = True
        # Ten minutes already on the clock and in the history, so every view scrolls as it
        # does in steady state (the set-up trace stands still for its first 30 s otherwise).
        n = int(HISTORY_S * controller.rate_hz)
        controller.history.clear()
        t = np.arange(n) / controller.rate_hz
        controller.history.extend(t, 20.0 + 0.3 * np.sin(2 * np.pi * 0.25 * t))
        controller.origin_s -= HISTORY_S
        if os.environ.get("CCTF_BENCH_LATENCY"):
            _watch_latency(controller, window, Path(os.environ["CCTF_BENCH_LATENCY"]))
        if state == "test":
            controller.begin_clinic()
        elif state == "minimised":
            window.showMinimized()
        print(f"ready {time.monotonic()}", flush=True)

    window.clinic.setup_page.live.drawn.connect(drawn)
    if state == "sim":
        controller.connect_sim("healthy")
    else:
        controller.connect_port(port)
    controller.start()
    try:
        app.exec()
    finally:
        controller.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (all threads)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _steal() -> tuple[int, int] | None:
    """(steal, all) CPU ticks of the machine so far (/proc/stat): the time a virtual
    machine's host ran something else while this one wanted the CPU. Every frame waits
    through it, so a latency figure means little without it (issue 14: 0–15 % here)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(v) for v in fields[:8]]
        return ticks[7], sum(ticks)
    except (OSError, ValueError, IndexError):
        return None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def measure(program: str, rate_hz: int, state: str, qpa: str, seconds: float,
            shot: Path | None) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="cctf-bench-"))  # removed below, whatever happens
    lat_file = work / "latency.json"
    env = dict(os.environ, QT_QPA_PLATFORM=qpa, DISPLAY=_display["name"],
               CCTF_BENCH_LATENCY=str(lat_file), CCTF_BENCH_DATA=str(work / "data"))
    sim = subprocess.Popen([sys.executable, "-m", "cctf.cli", "sim", "--scenario", "healthy",
                            "--rate-hz", str(rate_hz)], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    gui = None
    try:
        port = sim.stdout.readline().strip()
        if program == "naive":
            cmd = [sys.executable, str(REPO / "benchmarks" / "naive_monitor.py"), "--port", port,
                   "--rate-hz", str(rate_hz)]
        else:
            cmd = [sys.executable, __file__, "--app-child", port, state]
        t0 = time.monotonic()
        gui = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
        line = gui.stdout.readline()
        if not line.startswith("ready"):
            raise RuntimeError(f"{program} did not start: {line!r}")
        first_s = float(line.split()[1]) - t0
        time.sleep(2.0)
        hz = os.sysconf("SC_CLK_TCK")
        c0, w0 = _cpu_ticks(gui.pid), time.monotonic()
        st0 = _steal()
        s0 = _read_json(lat_file)
        time.sleep(seconds)
        c1, w1 = _cpu_ticks(gui.pid), time.monotonic()
        st1 = _steal()
        s1 = _read_json(lat_file)
        rss = _rss_mb(gui.pid)
        if shot is not None and qpa == "xcb":
            shot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["import", "-display", _display["name"], "-window", "root", str(shot)],
                           check=False, capture_output=True)
        lat = s1
        frames = s1.get("frames", 0) - s0.get("frames", 0)
        ui_ms = (1e3 * (s1["ui_cpu_s"] - s0["ui_cpu_s"]) / frames if frames > 0
                 else float("nan"))
        return {"cpu_pct": 100.0 * (c1 - c0) / hz / (w1 - w0), "rss_mb": rss,
                "first_data_s": first_s, "latency_p95_ms": lat.get("p95_ms", float("nan")),
                "latency_p50_ms": lat.get("p50_ms", float("nan")),
                "frames_per_s": frames / max(1e-9, s1.get("at_s", 0) - s0.get("at_s", 0)),
                "ui_ms_per_frame": ui_ms,
                "steal_pct": (100.0 * (st1[0] - st0[0]) / max(1, st1[1] - st0[1])
                              if st0 and st1 else float("nan"))}
    finally:
        for proc in (gui, sim):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=None,
                        help="the measured window per case (default 8 s, 4 s with --quick)")
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--quick", action="store_true",
                        help="fewer cases, 4 s each, Xvfb only (no offscreen column)")
    parser.add_argument("--cases", default="",
                        help="only these states, comma-separated (naive, setup, test, "
                             "minimised, sim), e.g. naive,setup")
    parser.add_argument("--rates", default="", help="only these rates, e.g. 50")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "gui_xvfb.json")
    parser.add_argument("--app-child", nargs=2, metavar=("PORT", "STATE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app_child:
        app_child(*args.app_child)
        return
    if args.seconds is None:
        args.seconds = 4.0 if args.quick else 8.0
    load = os.getloadavg()[0]
    # A display no one else uses (others may run this script at the same time).
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                             "1600x1000x24", "-nolisten", "tcp"], stderr=subprocess.DEVNULL,
                            pass_fds=(write_fd,))
    os.close(write_fd)
    with os.fdopen(read_fd) as displayfd:
        _display["name"] = ":" + displayfd.readline().strip()
    wanted = {c for c in args.cases.split(",") if c}
    rates = {int(r) for r in args.rates.split(",") if r}
    rows = []
    started = time.monotonic()
    try:
        for name, program, rate, state in CASES:
            if args.quick and (program, rate, state) not in QUICK:
                continue
            if wanted and ("naive" if program == "naive" else state) not in wanted:
                continue
            if rates and rate not in rates:
                continue
            shot = (args.screenshots / f"{program}-{state}-{rate}.png" if args.screenshots
                    else None)
            x = measure(program, rate, state, "xcb", args.seconds, shot)
            o = (measure(program, rate, state, "offscreen", args.seconds, None)
                 if not args.quick else {"cpu_pct": float("nan")})
            rows.append({"case": name, "rate_hz": rate, "state": state, "xvfb": x,
                         "offscreen": o})
            print(f"  {name}, {rate} Hz: Xvfb {x['cpu_pct']:.1f} %, offscreen "
                  f"{o['cpu_pct']:.1f} %, p95 {x['latency_p95_ms']:.0f} ms, UI thread "
                  f"{x.get('ui_ms_per_frame', float('nan')):.2f} ms CPU per frame at "
                  f"{x.get('frames_per_s', float('nan')):.1f} frames/s", file=sys.stderr,
                  flush=True)
    finally:
        xvfb.terminate()
        xvfb.wait(5)
    import pyqtgraph
    import PySide6

    machine = (f"Python {platform.python_version()}, {os.cpu_count()} cores, PySide6 "
               f"{PySide6.__version__}, pyqtgraph {pyqtgraph.__version__}, load average "
               f"{load:.2f} at start, {os.getloadavg()[0]:.2f} at the end")
    print(f"Machine: {machine}\n")
    print(f"`python benchmarks/bench_gui_xvfb.py --seconds {args.seconds:g}"
          f"{' --quick' if args.quick else ''}` "
          f"({time.monotonic() - started:.0f} s):\n")
    print("| Process | Rate | CPU, Xvfb 1600×1000 | CPU, offscreen | RSS, Xvfb | "
          "first data on screen, Xvfb | sample → screen p50 / p95, Xvfb | "
          "UI thread CPU per frame, Xvfb | host took (steal) |")
    print("|---|---|---|---|---|---|---|---|---|")
    naive = {r["rate_hz"]: r["xvfb"]["cpu_pct"] for r in rows if r["case"] == "naive monitor"}
    for r in rows:
        x, o = r["xvfb"], r["offscreen"]
        ratio = ("" if r["case"] == "naive monitor" or r["rate_hz"] not in naive else
                 f" ({x['cpu_pct'] / naive[r['rate_hz']]:.2f}× naive)")
        latency = ("—" if r["state"] == "minimised" or r["case"] == "naive monitor" else
                   f"{x['latency_p50_ms']:.0f} / {x['latency_p95_ms']:.0f} ms")
        per_frame = ("—" if r["case"] == "naive monitor" else
                     f"{x['ui_ms_per_frame']:.2f} ms × {x['frames_per_s']:.0f}/s")
        print(f"| {r['case']} | {r['rate_hz']} Hz | {x['cpu_pct']:.1f} %{ratio} | "
              f"{o['cpu_pct']:.1f} % | {x['rss_mb']:.0f} MB | {x['first_data_s']:.2f} s | "
              f"{latency} | {per_frame} | {x['steal_pct']:.1f} % |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n",
                        encoding="utf-8")


if __name__ == "__main__":
    main()
