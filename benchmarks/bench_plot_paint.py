"""One repaint of the live view's plot, as it was and as it is now, in the same run.

    python benchmarks/bench_plot_paint.py [--frames 60]

A 680×420 pyqtgraph plot styled like cctf's live view (antialiased, grid at alpha 0.25, a
2.5-px trace of 30 s at 50 Hz = 1500 points, scrolling each frame), repainted synchronously
(``viewport().repaint()``, offscreen raster). Variants: every sample stroked and the axes
replayed each frame (before issue 14); a minimum and maximum per two pixel columns
(``peak_decimate`` to the plot's width, as the live view now does) with the left axis and its
grid cached as a pixmap (now); pyqtgraph's segment mode (drawLines: cheap, but it drew the
2.5-px trace visibly aliased, so cctf does not use it); the floor with no trace at all; and
cctf's own ``TraceCanvas`` (issue 14b: one QPainter widget, background pixmap, trace in
pieces, decimated per pixel column), repainted the same way (``repaint()``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QGraphicsItem

from cctf.gui import theme
from cctf.gui.history import peak_decimate


def repaint_ms(app: QApplication, frames: int, *, segments: bool, cached_axis: bool,
               points: int = 1500, decimate: bool = False) -> float:
    pg.setConfigOptions(antialias=True, foreground=theme.TEXT, background=theme.SURFACE)
    w = pg.PlotWidget()
    w.resize(680, 420)
    w.showGrid(x=True, y=True, alpha=0.25)
    curve = pg.PlotDataItem(pen=pg.mkPen(theme.TRACE, width=2.5), skipFiniteCheck=True)
    if segments:
        curve.curve.setSegmentedLineMode("on")
    w.addItem(curve)
    if cached_axis:
        w.getAxis("left").setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    w.setYRange(14, 34, padding=0)
    w.show()
    app.processEvents()
    t, p = _trace(points)
    times = []
    for k in range(frames):
        tk = t + k / 30.0
        if decimate:
            curve.setData(*peak_decimate(tk, p, 680))
        else:
            curve.setData(tk, p) if points else curve.setData([], [])
        w.setXRange(tk[0] if points else k / 30.0, (tk[-1] if points else 30 + k / 30.0),
                    padding=0)
        app.processEvents()
        t0 = time.perf_counter()
        w.viewport().repaint()
        times.append(time.perf_counter() - t0)
    w.close()
    return float(np.median(times[5:])) * 1e3


def _trace(points: int) -> tuple[np.ndarray, np.ndarray]:
    """The same 50-Hz pressure trace for every case (seeded)."""
    rng = np.random.default_rng(0)
    t = np.arange(points) / 50.0
    return t, 20.0 + 0.3 * np.sin(t) + rng.normal(0.0, 0.05, points)


def canvas_ms(app: QApplication, frames: int, points: int = 1500) -> float:
    from cctf.gui.history import column_decimate
    from cctf.gui.trace_canvas import Series, TraceCanvas

    w = TraceCanvas("pressure (mmHg)", "time (min:s)")
    w.resize(680, 420)
    w.show()
    app.processEvents()
    t, p = _trace(points)
    times = []
    for k in range(frames):
        tk = t + k / 30.0
        td, pd = column_decimate(tk, p, 30.0 / w.plot_rect().width())
        w.set_series("pressure", Series(td, pd, theme.TRACE))
        w.scene.t0, w.scene.t1 = tk[0], tk[-1]
        app.processEvents()
        t0 = time.perf_counter()
        w.repaint()
        times.append(time.perf_counter() - t0)
    w.close()
    return float(np.median(times[5:])) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    app = QApplication(sys.argv)
    load = os.getloadavg()[0]
    rows = [
        ("every sample as one antialiased path, axes replayed (before)",
         dict(segments=False, cached_axis=False)),
        ("min/max per two pixel columns, left axis + grid cached (now)",
         dict(segments=False, cached_axis=True, decimate=True)),
        ("segment mode, left axis cached (not used: aliased trace)",
         dict(segments=True, cached_axis=True)),
        ("no trace (floor: axes, grid, background)",
         dict(segments=False, cached_axis=True, points=0)),
    ]
    results = [(name, repaint_ms(app, args.frames, **kw)) for name, kw in rows]
    results.append(("cctf TraceCanvas: background pixmap, trace in pieces, per-column "
                    "min/max (now, issue 14b)", canvas_ms(app, args.frames)))
    print(f"`python benchmarks/bench_plot_paint.py --frames {args.frames}` (load average "
          f"{load:.2f} at start)\n")
    print("| Plot repaint, 680×420, 1500 points | median ms | × before |\n|---|---|---|")
    for name, ms in results:
        print(f"| {name} | {ms:.1f} | {ms / results[0][1]:.2f} |")


if __name__ == "__main__":
    main()
