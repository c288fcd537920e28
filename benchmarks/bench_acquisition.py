"""Benchmarks of the device link: decoder, pty latency, reader CPU, virtual-clock speed.

    python benchmarks/bench_acquisition.py            # full run, under a minute
    python benchmarks/bench_acquisition.py --quick    # smaller run, under ~20 s

Prints a machine summary and a Markdown table, and writes the same figures as JSON to
``benchmarks/results/acquisition.json``. What each figure means is in ``benchmarks/README.md``.

1. Decoder throughput: ``StreamDecoder.feed`` over a pre-built stream of sample frames, in
   4 KiB, 64-byte and one-frame (22-byte) chunks, clean and with corrupt frames and garbage.
2. Latency over a real pty: a fake board thread writes sample frames at 200 Hz on the pty
   master; a real ``Device(SerialTransport(slave))`` with its reader thread decodes them; a
   consumer thread wakes on ``SampleBuffer.wait_until_written``. Latency per sample is the
   time it became readable minus the time just before its ``os.write``.
3. Reader CPU: the real simulator (``PtyServer``) runs here, and a child process (this script
   with ``--cpu-child``) runs only a Device with its reader thread and reports its own CPU time.
4. Virtual clock: the in-process simulator and a Device without a thread, ``run_for`` on a
   ``VirtualClock``; simulated seconds per wall second.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import platform
import resource
import select
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

import numpy as np
import serial

from cctf.acquisition import protocol as proto
from cctf.acquisition.decoder import StreamDecoder
from cctf.acquisition.device import Device
from cctf.acquisition.protocol import (
    Ack,
    AckStatus,
    Command,
    FrameType,
    Hello,
    ResetCause,
    Sample,
    SampleFlags,
    SensorModel,
)
from cctf.acquisition.transport import SerialTransport
from cctf.clock import VirtualClock
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.pty_server import PtyServer
from cctf.sim.source import ConstantSource
from cctf.sim.transport import SimTransport

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "acquisition.json"

LINE_BYTES_PER_S = proto.BAUD_RATE / 10  # 8N1: 10 bit times per byte → 11520 B/s
LINE_FRAMES_PER_S = LINE_BYTES_PER_S / proto.SAMPLE_WIRE_BYTES

REPEATS = 5
CORRUPT_FRAC = 0.02  # fraction of frames with one flipped bit
GARBAGE_FRAC = 0.01  # fraction of frames preceded by a burst of 1–40 random bytes


# --- 1. decoder throughput -----------------------------------------------------------------


def sample_stream(n_frames: int, seed: int = 0) -> list[bytes]:
    """Encoded sample frames like the firmware's: 200 Hz timestamps, a noisy pressure."""
    rng = np.random.default_rng(seed)
    raw = (30_000 + rng.normal(0, 40, n_frames)).astype(int)
    frames = []
    for i in range(n_frames):
        r = int(raw[i])
        frames.append(proto.encode(Sample(i, i * 5000, r, (r - 29_000) * 0.02, SampleFlags.NONE)))
    return frames


def damage(frames: list[bytes], seed: int = 1) -> tuple[bytes, int, int]:
    """The stream with CORRUPT_FRAC frames bit-flipped and GARBAGE_FRAC garbage bursts."""
    rng = np.random.default_rng(seed)
    out = bytearray(proto.DELIMITER)
    n_corrupt = n_bursts = 0
    for wire in frames:
        if rng.random() < GARBAGE_FRAC:
            n = int(rng.integers(1, 41))
            out += rng.integers(0, 256, n, dtype=np.uint8).tobytes()
            n_bursts += 1
        if rng.random() < CORRUPT_FRAC:
            w = bytearray(wire)
            bit = int(rng.integers(0, (len(w) - 1) * 8))  # never the delimiter, as the sim
            w[bit // 8] ^= 1 << (bit % 8)
            out += w
            n_corrupt += 1
        else:
            out += wire
    return bytes(out), n_corrupt, n_bursts


def time_feed(stream: bytes, chunk: int) -> tuple[float, StreamDecoder]:
    """Best of REPEATS wall times for feeding ``stream`` in ``chunk``-byte pieces."""
    pieces = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    best = float("inf")
    decoder = StreamDecoder()
    for _ in range(REPEATS):
        decoder = StreamDecoder()
        feed = decoder.feed
        t0 = time.perf_counter()
        for piece in pieces:
            feed(piece)
        best = min(best, time.perf_counter() - t0)
    return best, decoder


def bench_decoder(n_frames: int) -> list[dict]:
    frames = sample_stream(n_frames)
    clean = proto.DELIMITER + b"".join(frames)
    dirty, n_corrupt, n_bursts = damage(frames)
    cases = [
        ("clean", clean, 4096),
        ("clean", clean, 64),
        ("clean", clean, proto.SAMPLE_WIRE_BYTES),
        ("2 % corrupt + 1 % garbage bursts", dirty, 4096),
    ]
    results = []
    for label, stream, chunk in cases:
        seconds, dec = time_feed(stream, chunk)
        s = dec.stats
        results.append(
            {
                "stream": label,
                "chunk_bytes": chunk,
                "bytes": len(stream),
                "frames_in_stream": n_frames,
                "corrupted_frames_in_stream": n_corrupt if stream is dirty else 0,
                "garbage_bursts_in_stream": n_bursts if stream is dirty else 0,
                "best_s": seconds,
                "repeats": REPEATS,
                "mb_per_s": len(stream) / seconds / 1e6,
                "frames_per_s": n_frames / seconds,
                "x_line_rate": len(stream) / seconds / LINE_BYTES_PER_S,
                "samples_ok": s.samples_ok,
                "corrupt": s.corrupt,
                "missing": s.missing,
                "resyncs": s.resyncs,
            }
        )
    return results


# --- 2. latency over a pty -----------------------------------------------------------------


class FakeBoard(threading.Thread):
    """A minimal board on a pty master: answers commands, then streams pre-built samples.

    Each sample's ``perf_counter_ns`` is recorded just before the ``os.write`` that sends it.
    """

    def __init__(self, master: int, n_samples: int, rate_hz: int) -> None:
        super().__init__(name="bench-fake-board", daemon=True)
        self.master = master
        self.rate_hz = rate_hz
        self.frames = [
            proto.encode(Sample(i, i * 1_000_000 // rate_hz, 30_000, 20.0, SampleFlags.NONE))
            for i in range(n_samples)
        ]
        self.write_ns = np.zeros(n_samples, dtype=np.int64)
        self.sent = 0
        self.done = threading.Event()
        self.stop_event = threading.Event()
        self._streaming = False
        self._t0 = 0.0
        self._rx = bytearray()

    def run(self) -> None:
        period = 1.0 / self.rate_hz
        while not self.stop_event.is_set():
            due = self._t0 + self.sent * period if self._streaming else None
            timeout = 0.02 if due is None else max(0.0, due - time.perf_counter())
            readable, _, _ = select.select([self.master], [], [], timeout)
            if readable:
                self._read_commands()
            if due is not None and self._streaming and time.perf_counter() >= due:
                seq = self.sent
                self.write_ns[seq] = time.perf_counter_ns()
                os.write(self.master, self.frames[seq])
                self.sent += 1
                if self.sent == len(self.frames):
                    self._streaming = False
                    self.done.set()

    def _read_commands(self) -> None:
        try:
            data = os.read(self.master, 4096)
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            return
        self._rx += data
        *chunks, tail = bytes(self._rx).split(b"\x00")
        self._rx = bytearray(tail)
        for chunk in chunks:
            if not chunk:
                continue
            try:
                frame = proto.decode_frame(chunk)
            except proto.ParseError:
                continue
            if isinstance(frame, Command):
                self._answer(frame)

    def _answer(self, cmd: Command) -> None:
        data = cmd.args if cmd.command == FrameType.SET_RATE else b""
        reply = proto.encode(Ack(int(cmd.command), cmd.token, AckStatus.OK, data))
        if cmd.command == FrameType.IDENTIFY:
            reply += proto.encode(self._hello())
        os.write(self.master, reply)
        if cmd.command == FrameType.START and not self._streaming and not self.done.is_set():
            self._streaming = True
            self._t0 = time.perf_counter() + 0.05
        elif cmd.command == FrameType.STOP:
            self._streaming = False

    def _hello(self) -> Hello:
        return Hello(
            protocol_version=proto.PROTOCOL_VERSION,
            firmware_version=(1, 0, 0),
            sensor_model=SensorModel.SIMULATOR,
            sample_rate_hz=self.rate_hz,
            calibration_id=0,
            serial=b"BENCH001",
            next_seq=0,
            reset_cause=ResetCause.REQUEST,
            streaming=False,
        )


def bench_latency(n_measured: int, rate_hz: int = 200, warmup: int = 20) -> dict:
    n_total = warmup + n_measured
    master, slave = os.openpty()
    tty.setraw(slave)
    slave_path = os.ttyname(slave)
    board = FakeBoard(master, n_total, rate_hz)
    ready_ns = np.zeros(n_total, dtype=np.int64)
    device = Device(SerialTransport(slave_path))

    def consume() -> None:
        cursor = 0
        while cursor < n_total:
            if not device.buffer.wait_until_written(cursor + 1, 5.0):
                return
            now = time.perf_counter_ns()
            pull = device.buffer.read(cursor)
            for seq in pull.rows["seq"]:
                if 0 <= seq < n_total:
                    ready_ns[seq] = now
            cursor = pull.cursor

    consumer = threading.Thread(target=consume, name="bench-consumer", daemon=True)
    board.start()
    try:
        device.connect()
        consumer.start()
        device.start(rate_hz=rate_hz)
        board.done.wait(n_total / rate_hz + 10)
        consumer.join(5.0)
        health = device.health()
        device.close()
    finally:
        board.stop_event.set()
        board.join(2.0)
        os.close(master)
        os.close(slave)

    seen = ready_ns[warmup:] > 0
    lat_ms = (ready_ns[warmup:] - board.write_ns[warmup:])[seen] / 1e6
    return {
        "rate_hz": rate_hz,
        "samples_measured": int(seen.sum()),
        "samples_written": n_measured,
        "warmup_samples_excluded": warmup,
        "lost": int((~seen).sum()),
        "p50_ms": float(np.percentile(lat_ms, 50)),
        "p99_ms": float(np.percentile(lat_ms, 99)),
        "max_ms": float(lat_ms.max()),
        "mean_ms": float(lat_ms.mean()),
        "decoder_missing": health.missing,
        "decoder_corrupt": health.corrupt,
    }


# --- 3. reader CPU (a child process runs only the Device) ----------------------------------


def cpu_child(port: str, rate_hz: int, seconds: float) -> None:
    """Run in the child: a Device and its reader thread; print own CPU use as JSON."""
    device = Device(SerialTransport(port))
    device.connect()
    device.start(rate_hz=rate_hz)
    device.buffer.wait_until_written(rate_hz // 2, 5.0)  # settled: streaming for 0.5 s
    h0, n0 = device.health(), device.buffer.written
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    c0, w0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)  # the main thread idles; all CPU below is the reader's
    c1, w1 = time.process_time(), time.perf_counter()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    h1, n1 = device.health(), device.buffer.written
    device.close()
    wall = w1 - w0
    print(
        json.dumps(
            {
                "rate_hz": rate_hz,
                "wall_s": wall,
                "cpu_s": c1 - c0,
                "cpu_pct_one_core": 100 * (c1 - c0) / wall,
                "user_s": ru1.ru_utime - ru0.ru_utime,
                "system_s": ru1.ru_stime - ru0.ru_stime,
                "cpu_us_per_sample": (c1 - c0) / max(1, n1 - n0) * 1e6,
                "samples_received": n1 - n0,
                "samples_expected": round(rate_hz * wall),
                "missing": h1.missing - h0.missing,
                "corrupt": h1.corrupt - h0.corrupt,
                "voluntary_ctx_switches_per_s": (ru1.ru_nvcsw - ru0.ru_nvcsw) / wall,
            }
        )
    )


def bench_reader_cpu(rate_hz: int, seconds: float) -> dict:
    server = PtyServer(SimulatedFirmware(ConstantSource(20.0, 0.05), seed=5))
    server.start()
    try:
        c0, w0 = time.process_time(), time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--cpu-child",
                server.port,
                str(rate_hz),
                str(seconds),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
        )
        c1, w1 = time.process_time(), time.perf_counter()
    finally:
        server.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"cpu child failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # The simulator's CPU over the child's whole life (handshake included): context only.
    result["simulator_cpu_pct_one_core"] = 100 * (c1 - c0) / (w1 - w0)
    return result


# --- 4. virtual-clock end-to-end -----------------------------------------------------------


def bench_virtual(sim_seconds: float, rate_hz: int = 50) -> dict:
    clock = VirtualClock()
    firmware = SimulatedFirmware(ConstantSource(20.0, 0.05), seed=1)
    device = Device(SimTransport(firmware, clock), clock=clock)
    device.connect()
    device.start(rate_hz=rate_hz, threaded=False)
    t0 = time.perf_counter()
    device.run_for(sim_seconds)
    wall = time.perf_counter() - t0
    n = device.buffer.written
    health = device.health()
    device.close()
    return {
        "rate_hz": rate_hz,
        "simulated_s": sim_seconds,
        "wall_s": wall,
        "sim_s_per_wall_s": sim_seconds / wall,
        "samples": n,
        "samples_per_wall_s": n / wall,
        "us_per_sample": wall / n * 1e6,
        "missing": health.missing,
    }


# --- report --------------------------------------------------------------------------------


def machine() -> dict:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "numpy": np.__version__,
        "pyserial": serial.__version__,
        "load_avg_1min_at_start": os.getloadavg()[0],
    }


def table(res: dict) -> str:
    rows = [
        "| Benchmark | Condition | Result |",
        "|---|---|---|",
    ]
    for d in res["decoder"]:
        cond = f"{d['stream']}, {d['chunk_bytes']} B chunks"
        if d["stream"] != "clean":
            cond += f" ({d['corrupt']} corrupt dropped, {d['samples_ok']} samples kept)"
        rows.append(
            f"| Decoder throughput | {cond} | {d['mb_per_s']:.2f} MB/s · "
            f"{d['frames_per_s'] / 1e3:.0f} k frames/s · {d['x_line_rate']:.0f}× line rate |"
        )
    lat = res["latency"]
    rows.append(
        f"| Latency pty write → buffer readable | {lat['rate_hz']} Hz, "
        f"{lat['samples_measured']} samples, {lat['lost']} lost | "
        f"p50 {lat['p50_ms']:.2f} ms · p99 {lat['p99_ms']:.2f} ms · max {lat['max_ms']:.2f} ms |"
    )
    for c in res["reader_cpu"]:
        rows.append(
            f"| Reader process CPU (simulator on a pty) | {c['rate_hz']} Hz, "
            f"{c['wall_s']:.0f} s | {c['cpu_pct_one_core']:.1f} % of one core "
            f"({c['cpu_us_per_sample']:.0f} µs per sample) · "
            f"{c['samples_received']}/{c['samples_expected']} samples · "
            f"{c['missing']} missing |"
        )
    v = res["virtual"]
    rows.append(
        f"| Simulator + Device on a VirtualClock | {v['rate_hz']} Hz, "
        f"`run_for({v['simulated_s']:g})` | {v['sim_s_per_wall_s']:.0f} simulated s per wall s"
        f" · {v['us_per_sample']:.0f} µs per sample |"
    )
    return "\n".join(rows)


def summary_line(m: dict) -> str:
    return (
        f"Machine: Python {m['python']} ({m['implementation']}), {m['cpu_model']}, "
        f"{m['cpu_count']} cores ({m['cpus_usable']} usable), numpy {m['numpy']}, "
        f"pyserial {m['pyserial']}, {m['platform']}, "
        f"load average {m['load_avg_1min_at_start']:.2f} at start"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run (under ~20 s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument(
        "--cpu-child", nargs=3, metavar=("PORT", "RATE", "SECONDS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.cpu_child:
        port, rate, seconds = args.cpu_child
        cpu_child(port, int(rate), float(seconds))
        return 0

    quick = args.quick
    n_frames = 20_000 if quick else 100_000
    n_latency = 1000 if quick else 2000
    cpu_s = 3.0 if quick else 10.0
    sim_s = 200.0 if quick else 600.0

    m = machine()
    print(summary_line(m), flush=True)
    t_start = time.perf_counter()
    res: dict = {"machine": m, "quick": quick, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    print(f"decoder: {n_frames} frames, best of {REPEATS}…", flush=True)
    res["decoder"] = bench_decoder(n_frames)
    print(f"latency: {n_latency} samples at 200 Hz over a pty…", flush=True)
    res["latency"] = bench_latency(n_latency)
    res["reader_cpu"] = []
    for rate in (200, 50):
        print(f"reader CPU: {rate} Hz for {cpu_s:g} s…", flush=True)
        res["reader_cpu"].append(bench_reader_cpu(rate, cpu_s))
    print(f"virtual clock: run_for({sim_s:g}) at 50 Hz…", flush=True)
    res["virtual"] = bench_virtual(sim_s)
    res["total_wall_s"] = time.perf_counter() - t_start
    res["line_rate"] = {
        "bytes_per_s": LINE_BYTES_PER_S,
        "sample_wire_bytes": proto.SAMPLE_WIRE_BYTES,
        "max_frames_per_s": LINE_FRAMES_PER_S,
    }

    print()
    print(table(res))
    print()
    print(
        f"Line rate: {proto.BAUD_RATE} baud = {LINE_BYTES_PER_S:.0f} B/s; a sample frame is "
        f"{proto.SAMPLE_WIRE_BYTES} B ⇒ at most {LINE_FRAMES_PER_S:.0f} frames/s. "
        f"Total {res['total_wall_s']:.1f} s."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"JSON: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
