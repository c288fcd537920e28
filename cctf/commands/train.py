"""``cctf train``: home training for the patient.

    cctf train [--port PORT | --sim SCENARIO] [--patient ID] [--target/--reps/--hold-s]
        the full-screen patient view (cctf.gui.patient_mode)
    cctf train --sim SCENARIO --fast --audio-out FILE.wav --cues-out FILE.jsonl
        a session on a virtual clock, headless (no window, no Qt): what the patient would hear
        as a mono 16-bit WAV (16 kHz), and one JSON line per cue

The rendered run drives the simulated patient exactly as the app does (the cue is shown after
each 0.1 s of samples), so its cue log and sound track are those of the app on the same
scenario. Rendered runs are simulations and are not stored in the records.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tempfile
import wave
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from cctf import texts
from cctf.errors import CctfError, ConfigError
from cctf.session.soundtrack import CueEvent, Soundtrack, Step
from cctf.session.training import Prescription, TrainingRunner, TrainingSummary

log = logging.getLogger(__name__)

STEP_S = 0.1  # samples handed to the runner at a time, as the app's 30 Hz timer roughly does
PREROLL_S = 5.0  # rest level before the first cue (as in the app)
SETUP_LIMIT_S = 120.0


def train(args: argparse.Namespace) -> int:
    if args.volume is not None and not 0.0 <= args.volume <= 1.0:
        print(f"cctf: {texts.TRAIN_VOLUME.format(volume=args.volume)}", file=sys.stderr)
        return 2
    rendered = args.fast or args.audio_out is not None or args.cues_out is not None
    if rendered:
        if args.train_sim is None:
            print(f"cctf: {texts.TRAIN_NO_SIM_FAST}", file=sys.stderr)
            return 2
        outputs = [p for p in (args.audio_out, args.cues_out) if p is not None]
        if len(outputs) == 2 and outputs[0].resolve() == outputs[1].resolve():
            print(f"cctf: {texts.TRAIN_SAME_FILE}", file=sys.stderr)
            return 2
        for path in outputs:
            if path.exists() and not args.force:
                print(f"cctf: {texts.TRAIN_EXISTS.format(path=path)}", file=sys.stderr)
                return 1
            if path.is_dir() or not path.parent.is_dir():
                print(f"cctf: {texts.TRAIN_NO_FOLDER.format(path=path)}", file=sys.stderr)
                return 1
        rx = _prescription(args)
        summary, events, audio = render(
            args.train_sim, rx, seed=args.seed, mode=args.sound or "feedback",
            volume=0.8 if args.volume is None else args.volume)
        if args.audio_out is not None:
            write_wav(args.audio_out, audio)
            print(texts.TRAIN_WROTE.format(path=args.audio_out), file=sys.stderr)
        if args.cues_out is not None:
            write_cues(args.cues_out, events)
            print(texts.TRAIN_WROTE.format(path=args.cues_out), file=sys.stderr)
        print(texts.TRAIN_SUMMARY.format(done=summary.reps_done, planned=summary.reps_planned,
                                         holding=summary.time_holding_s,
                                         in_band=summary.time_in_band_s))
        return 0
    from cctf.display import require_display

    require_display()  # else Qt aborts the process with a page of plugin messages
    from cctf.gui.patient_mode import run_patient_mode

    return run_patient_mode(args)


def _prescription(args: argparse.Namespace) -> Prescription:
    if not args.patient:
        return prescription_from(args)
    from cctf.commands.records import open_and_recover

    records = open_and_recover(args)
    try:
        if records.find_patient(args.patient) is None:
            raise CctfError(f"no patient {args.patient!r} in the records")
        return prescription_from(args, records)
    finally:
        records.close()


def prescription_from(args: argparse.Namespace, records: object | None = None) -> Prescription:
    """--target/--reps/--hold-s over the patient's current prescription (or the default)."""
    rx = Prescription()
    if records is not None and args.patient:
        from cctf.records.progress import current_prescription

        stored = current_prescription(records, args.patient, date.today())  # type: ignore[arg-type]
        if stored is not None:
            try:
                rx = Prescription(**stored.prescription)
            except TypeError as exc:
                raise ConfigError(f"stored prescription not usable: {exc}") from None
    changes = {k: v for k, v in (("target_mmhg", args.target), ("reps", args.reps),
                                 ("hold_s", args.hold_s)) if v is not None}
    return replace(rx, **changes) if changes else rx


def render(scenario: str, rx: Prescription, *, seed: int | None = None, mode: str = "feedback",
           volume: float = 0.8, trace: list[tuple[np.ndarray, np.ndarray, list[Step]]] | None = None
           ) -> tuple[TrainingSummary, list[CueEvent], np.ndarray]:
    """A training session on the simulator on a virtual clock: its summary, cue log and sound
    track (int16 at 16 kHz from session time 0). ``trace`` collects what the sound track was
    fed (session time, pressure, new steps) chunk by chunk."""
    from cctf.acquisition.device import Device
    from cctf.clock import VirtualClock
    from cctf.session.setup import SetupGuide
    from cctf.sim.factory import build_transport

    clock = VirtualClock()
    transport = build_transport(scenario, clock, seed=seed, autocue=False)
    patient = transport.firmware.source
    device = Device(transport, clock=clock)
    device.connect()
    try:
        try:
            device.read_calibration()
        except CctfError as exc:
            log.warning("could not read the calibration: %s", exc)
        device.start(threaded=False)
        origin = clock.now()
        cursor = device.buffer.written
        guide = SetupGuide()
        history: list[np.ndarray] = []
        while not guide.status.ready:
            if clock.now() - origin > SETUP_LIMIT_S:
                raise CctfError(texts.TRAIN_NOT_READY.format(seconds=SETUP_LIMIT_S))
            device.run_for(STEP_S)
            pull = device.buffer.read(cursor)
            cursor = pull.cursor
            if len(pull.rows):
                history.append(pull.rows)
                guide.update(pull.rows["t_s"] - origin, pull.rows["pressure_mmhg"])
        rows = np.concatenate(history)
        preroll = rows[rows["t_s"] >= rows["t_s"][-1] - PREROLL_S]
        t0 = float(preroll["t_s"][0])
        runner = TrainingRunner(rx, float(device.hello.sample_rate_hz) if device.hello else 50.0)
        track = Soundtrack(rx.band_mmhg, rx.hold_s, mode=mode, volume=volume)
        audio: list[np.ndarray] = []
        shown: tuple[float | None, str] | None = None

        def feed(chunk: np.ndarray) -> None:
            nonlocal shown
            t = chunk["t_s"] - t0
            p = chunk["pressure_mmhg"]
            first = len(runner.steps)
            runner.feed(t, p)
            audio.append(track.feed(t, p, runner.steps[first:])[1])
            if trace is not None:
                trace.append((t, p, runner.steps[first:]))
            cue = runner.cue
            key = (cue.target_mmhg if cue.step in ("nod", "hold", "relax") else None, cue.phase)
            if key != shown:
                shown = key
                patient.cue(transport.sim_time_s(), key[0], key[1])

        feed(preroll)
        runner.begin()
        limit = rx.reps * (rx.hold_s + rx.reach_allowance_s + rx.rest_s + 5.0) + 60.0
        while not runner.done:
            if clock.now() - t0 > limit:  # cannot happen with a working runner: stop, say so
                log.error("the session did not end within %.0f s; stopping it", limit)
                runner.finish()
                break
            device.run_for(STEP_S)
            pull = device.buffer.read(cursor)
            cursor = pull.cursor
            if len(pull.rows):
                feed(pull.rows)
        audio.append(track.flush()[1])
        return runner.summary(), list(track.events), np.concatenate(audio)
    finally:
        device.close()


def _replace_with(path: Path, write: Callable[[Path], None]) -> None:
    """Write a new file next to ``path`` (a unique name: nothing else is touched) and rename
    it over ``path`` when complete: never a half-written file."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    part = Path(name)
    mask = os.umask(0)  # mkstemp makes it owner-only; a rendered file gets the usual mode
    os.umask(mask)
    part.chmod(0o666 & ~mask)
    try:
        write(part)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def write_wav(path: Path, audio: np.ndarray, rate_hz: int = 16_000) -> None:
    """Mono 16-bit PCM."""

    def write(part: Path) -> None:
        with wave.open(str(part), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate_hz)
            w.writeframes(np.asarray(audio, dtype="<i2").tobytes())

    _replace_with(path, write)


def write_cues(path: Path, events: list[CueEvent]) -> None:
    """One JSON object per line: t_s, kind, text, target_mmhg, pressure_mmhg (null: none)."""

    def write(part: Path) -> None:
        with open(part, "w", encoding="utf-8") as f:
            for e in events:
                d = e.as_dict()
                assert all(not isinstance(v, float) or math.isfinite(v) for v in d.values())
                f.write(json.dumps(d, ensure_ascii=False) + "\n")

    _replace_with(path, write)
