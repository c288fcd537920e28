"""Training sound track: how much faster than real time, per tick and for a whole session.

    python benchmarks/bench_soundtrack.py [--quick]

A 20-minute training session at 50 Hz (10 × (nod, hold, rest) cycles repeated; the pressure
sweeps below, through and above the band so every tone, tick and phrase is rendered) is fed
to ``Soundtrack``:
1. in 1/30-s chunks, as the app's timer does: per-tick cost p50/p99/max, and the real-time
   factor (audio seconds rendered per CPU second);
2. all at once (``cctf train --fast`` in one go): total time and peak memory (tracemalloc);
3. the plain alternative for scale: one ``np.sin`` over the same number of frames (a bare
   tone with no scheduler, no envelopes, no voice).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
import time
import tracemalloc

import numpy as np

from cctf.session.soundtrack import Soundtrack, Step
from cctf.voice import CLIP_RATE_HZ


def session(seconds: float, rate_hz: float = 50.0) -> tuple[np.ndarray, np.ndarray, list[Step]]:
    t = np.arange(0, seconds, 1 / rate_hz)
    cycle = 30.0  # 10 s nod, 10 s hold, 10 s rest
    phase = t % cycle
    p = 20 + 6 * np.clip(phase / 8, 0, 1) + 1.5 * np.sin(2 * np.pi * t / 7)
    steps: list[Step] = []
    for k, start in enumerate(np.arange(0, seconds, cycle)):
        steps += [Step("nod", float(start), 24.0, k, 99), Step("hold", float(start + 10), 24.0,
                                                              k, 99),
                  Step("rest", float(start + 20), reps_done=k + 1, reps_planned=99)]
    return t, p, [s for s in steps if s.since_s < seconds]


def split_steps(steps: list[Step], t_end: float, start: int) -> int:
    i = start
    while i < len(steps) and steps[i].since_s <= t_end:
        i += 1
    return i


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 2-minute session instead of 20")
    args = ap.parse_args()
    seconds = 120.0 if args.quick else 1200.0
    t, p, steps = session(seconds)
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, session {seconds:.0f} s at 50 Hz")

    # 1. Ticks of 1/30 s.
    track = Soundtrack(1.0, 10.0)
    tick_s = 1 / 30
    edges = np.searchsorted(t, np.arange(0, seconds + tick_s, tick_s))
    costs = []
    used = 0
    frames = 0
    for a, b in itertools.pairwise(edges):
        if a == b:
            continue
        nxt = split_steps(steps, float(t[b - 1]), used)
        t0 = time.perf_counter()
        _, pcm = track.feed(t[a:b], p[a:b], steps[used:nxt])
        costs.append(time.perf_counter() - t0)
        used = nxt
        frames += len(pcm)
    total = sum(costs)
    q = statistics.quantiles(costs, n=100)

    # 2. All at once.
    tracemalloc.start()
    t0 = time.perf_counter()
    whole = Soundtrack(1.0, 10.0)
    _, pcm_all = whole.feed(t, p, steps)
    once_s = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    # 3. Plain alternative.
    t0 = time.perf_counter()
    k = np.arange(len(pcm_all))
    bare = (0.2 * 32767 * np.sin(2 * np.pi * 440 * k / CLIP_RATE_HZ)).astype(np.int16)
    bare_s = time.perf_counter() - t0
    del bare

    audio_s = frames / CLIP_RATE_HZ
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| ticks of 1/30 s: per-tick cost p50 / p99 / max | {q[49] * 1e3:.2f} / "
          f"{q[98] * 1e3:.2f} / {max(costs) * 1e3:.2f} ms |")
    print(f"| ticks: real-time factor (audio s per CPU s) | {audio_s / total:.0f}× |")
    print(f"| all at once: {seconds:.0f} s of sound | {once_s:.2f} s, peak "
          f"{peak / 2**20:.0f} MiB |")
    print(f"| plain alternative: one np.sin over the same frames | {bare_s:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
