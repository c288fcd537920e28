"""The training sound track, computed from sample time: spoken cues and biofeedback tones.

A patient lying on their back must not look at a screen (turning the head is the very
compensation the exercise avoids), so training is guided by ear. Two parts, both pure and
headless (no Qt, no clock):

- ``CueScheduler`` turns the runner's cue steps and the pressure samples into timed cue events
  (nod, hold, countdown 3-2-1, relax "Let go", rest, done, higher, lower, in_band).
- ``Soundtrack`` mixes biofeedback tones and the bundled voice clips for those events into a
  mono 16-bit buffer, frame by frame from sample time.

The app plays the buffers as they come (``cctf.gui.audio``); ``cctf train --fast`` writes them
to a WAV file. Both are the same computation, so a session on a virtual clock sounds exactly
like one in real time, and feeding samples one by one, in chunks or all at once gives the same
cue log. The tone mapping is documented in docs/app.md ("Sound").
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from cctf import texts
from cctf.voice import CLIP_RATE_HZ, phrase

CUE_KINDS = ("nod", "hold", "relax", "rest", "done", "higher", "lower", "in_band", "countdown")
SOUND_MODES = ("off", "cues", "feedback")  # silent / voice only / voice + tones

# Tone mapping (docs/app.md): below the band a tone that rises towards the band's lower edge,
# above it a tone at least a fifth higher that rises with the distance; pulses speed up with
# the distance; in the band, silence with a soft tick each second.
BELOW_EDGE_HZ = 392.0  # G4 just below the band, falling an octave over FULL_SCALE_MMHG
ABOVE_EDGE_HZ = 588.0  # D5 (a fifth above G4) just above, rising an octave over FULL_SCALE_MMHG
FULL_SCALE_MMHG = 10.0  # distance from the band's edge at which pitch and pulse rate saturate
PULSE_EDGE_HZ = 1.5  # pulses a second just outside the band
PULSE_PER_MMHG = 0.5  # pulses a second added per mmHg of distance (6.5 Hz at full scale)
PULSE_DUTY = 0.6  # part of each pulse period that sounds (a raised-cosine bell)
TONE_LEVEL = 0.22  # peak amplitude of the tone (full scale = 1)
HARMONIC = 0.15  # a little second harmonic: warmer than a bare sine
TICK_HZ = 1046.5  # C6, 30 ms decay: the soft in-band tick
TICK_LEVEL = 0.10
VOICE_LEVEL = 0.9
GAIN_TAU_S = 0.008  # the tone fades in and out over ~8 ms: no clicks
BLOCK_S = 10  # frames are rendered at most this many seconds at a time
STALE_S = 0.25  # a frame this long after the newest sample is silent: no data, no feedback


@dataclass(frozen=True, slots=True)
class Step:
    """A cue step as the sound track sees it (``TrainingRunner.steps``)."""

    step: str  # setup, nod, hold, relax, rest, done
    since_s: float  # sample time the step began
    target_mmhg: float = math.nan
    reps_done: int = 0
    reps_planned: int = 0
    paused: bool = False


@dataclass(frozen=True, slots=True)
class CueEvent:
    """One cue: the JSON line of ``cctf train --cues-out`` (a contract: field names, kinds)."""

    t_s: float
    kind: str  # one of CUE_KINDS
    text: str
    target_mmhg: float
    pressure_mmhg: float

    def as_dict(self) -> dict[str, object]:
        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 3)

        return {"t_s": round(self.t_s, 4), "kind": self.kind, "text": self.text,
                "target_mmhg": num(self.target_mmhg), "pressure_mmhg": num(self.pressure_mmhg)}


class CueScheduler:
    """Turns cue steps and pressure samples into cue events, from sample time only.

    Nudges ("A little more" / "A little less") are spoken when the pressure has stayed on one
    side of the band for a while (below: ``low_after_s``, and not in the first
    ``nod_grace_s`` of a nod, which is still on its way up; above: ``high_after_s``), at most
    every ``repeat_s`` each. "Just right" follows a nudge when a hold is back in the band. The
    count 3-2-1 runs over the last seconds of a hold while the pressure stays in the band.
    """

    def __init__(self, band_mmhg: float, hold_s: float, *, nod_grace_s: float = 4.0,
                 low_after_s: float = 1.5, high_after_s: float = 0.5, repeat_s: float = 4.0,
                 break_after_s: float = 0.25) -> None:
        self.band_mmhg = band_mmhg
        self.hold_s = hold_s
        self.nod_grace_s = nod_grace_s
        self.low_after_s = low_after_s
        self.high_after_s = high_after_s
        self.repeat_s = repeat_s
        self.break_after_s = break_after_s
        self.step = Step("setup", -math.inf)
        self.events: list[CueEvent] = []
        self._pending: deque[Step] = deque()
        self._side = "in"  # in, low, high
        self._side_since = -math.inf
        self._last_nudge: dict[str, float] = {"higher": -math.inf, "lower": -math.inf}
        self._nudged = False
        self._hold_since: float | None = None
        self._counted: set[int] = set()
        # Per sample: (t_s, deviation from the target, tone on), for the synthesiser.
        self.control: list[tuple[float, float, bool]] = []

    def band_of(self, pressure_mmhg: float) -> str:
        """in / low / high against the current step's target."""
        dev = pressure_mmhg - self.step.target_mmhg
        if abs(dev) <= self.band_mmhg:
            return "in"
        return "low" if dev < 0 else "high"

    def feed(self, t_s: np.ndarray, pressure_mmhg: np.ndarray, steps: Iterable[Step] = ()
             ) -> list[CueEvent]:
        """New samples, with the steps that began up to the last of them (in order)."""
        self._pending.extend(steps)
        new: list[CueEvent] = []
        for t, p in zip(np.asarray(t_s, dtype=float).tolist(),
                        np.asarray(pressure_mmhg, dtype=float).tolist(), strict=True):
            while self._pending and self._pending[0].since_s <= t + 1e-9:
                self._enter(self._pending.popleft(), t, p, new)
            self._sample(t, p, new)
            cued = self.step.step in ("nod", "hold") and not math.isnan(p)
            self.control.append((t, p - self.step.target_mmhg if cued else math.nan, cued))
        self.events += new
        return new

    def flush(self, t_s: float, pressure_mmhg: float = math.nan, steps: Iterable[Step] = ()
              ) -> list[CueEvent]:
        """Steps that began after the last sample (the session was stopped): apply them now."""
        self._pending.extend(steps)
        new: list[CueEvent] = []
        while self._pending:
            self._enter(self._pending.popleft(), t_s, pressure_mmhg, new)
        self.events += new
        return new

    # --- internals -----------------------------------------------------------------------

    def _say(self, out: list[CueEvent], t: float, kind: str, p: float, **values: float) -> None:
        target = self.step.target_mmhg
        text = texts.VOICE[kind].format(**{k: f"{v:g}" for k, v in values.items()})
        out.append(CueEvent(t, kind, text, target, p))

    def _enter(self, step: Step, t: float, p: float, out: list[CueEvent]) -> None:
        previous = self.step
        self.step = step
        at = step.since_s if math.isfinite(step.since_s) else t
        self._side, self._side_since = "in", at
        self._hold_since = None
        self._counted = set()
        self._nudged = False
        if step.step == "nod":
            self._last_nudge = {"higher": -math.inf, "lower": -math.inf}
            self._say(out, at, "nod", p, target=step.target_mmhg)
        elif step.step == "hold":
            self._hold_since = at
            self._say(out, at, "hold", p)
        elif step.step == "relax":
            self._say(out, at, "relax", p)
        elif step.step == "rest" and previous.step != "rest":
            self._say(out, at, "rest", p)
        elif step.step == "done" and previous.step != "done":
            self._say(out, at, "done", p, done=step.reps_done, planned=step.reps_planned)

    def _sample(self, t: float, p: float, out: list[CueEvent]) -> None:
        step = self.step.step
        if step not in ("nod", "hold") or math.isnan(p):
            return
        side = self.band_of(p)
        if side != self._side:
            # "Just right" after a nudge, during a hold (in a nod, "Hold" follows at once).
            if side == "in" and self._nudged and step == "hold":
                self._nudged = False
                self._say(out, t, "in_band", p)
            self._side, self._side_since = side, t
        out_for = t - self._side_since
        if side == "low" and out_for >= self.low_after_s and (
            step == "hold" or t - self.step.since_s >= self.nod_grace_s
        ):
            self._nudge(out, t, "higher", p)
        elif side == "high" and out_for >= self.high_after_s:
            self._nudge(out, t, "lower", p)
        if step != "hold":
            return
        if side == "in":
            if self._hold_since is None:
                self._hold_since = t
                self._counted = set()
        elif out_for >= self.break_after_s:
            self._hold_since = None
        if self._hold_since is None or side != "in":
            return
        left = self._hold_since + self.hold_s - t
        for count in (3, 2, 1):
            if count < self.hold_s and left <= count and count not in self._counted:
                self._counted.add(count)
                if left > count - 1:
                    self._say(out, t, "countdown", p, count=count)

    def _nudge(self, out: list[CueEvent], t: float, kind: str, p: float) -> None:
        if t - self._last_nudge[kind] < self.repeat_s:
            return
        self._last_nudge[kind] = t
        self._nudged = True
        self._say(out, t, kind, p)


class Soundtrack:
    """Cue events and the audio for them, rendered frame by frame from sample time.

    ``feed`` takes the same input as ``CueScheduler.feed`` and returns the new cue events and
    the audio frames up to the newest sample (int16, ``rate_hz``); ``flush`` renders what is
    still sounding (a last phrase). Frame k is at session time k / rate_hz; each frame sounds
    the pressure of the newest sample at or before it.
    """

    def __init__(self, band_mmhg: float, hold_s: float, *, mode: str = "feedback",
                 volume: float = 0.8, voice: bool = True, lang: str = "en",
                 rate_hz: int = CLIP_RATE_HZ) -> None:
        if mode not in SOUND_MODES:
            raise ValueError(f"sound mode must be one of {SOUND_MODES}, got {mode!r}")
        if rate_hz != CLIP_RATE_HZ:
            raise ValueError(f"the sound track is rendered at {CLIP_RATE_HZ} Hz")
        self.scheduler = CueScheduler(band_mmhg, hold_s)
        self.mode = mode
        self.volume = min(1.0, max(0.0, volume))
        self.voice = voice  # False: the app speaks with the system's text-to-speech instead
        self.lang = lang
        self.rate_hz = rate_hz
        self._frame = 0  # next frame to render
        self._future = np.zeros(0, dtype=np.float64)  # mixed ahead, from frame ``_frame``
        self._voice_free = 0  # first frame after the last queued phrase
        # Samples not yet behind the rendered frames: time, deviation from target, tone on.
        self._ctl_t = np.zeros(0)
        self._ctl_dev = np.zeros(0)
        self._ctl_on = np.zeros(0, dtype=bool)
        self._last_dev, self._last_on = math.nan, False  # the newest sample rendered
        self._last_ct = -math.inf
        self._tone_phase = 0.0
        self._pulse_phase = 0.0
        self._was_on = False
        self._zi = np.zeros(1)

    @property
    def events(self) -> list[CueEvent]:
        return self.scheduler.events

    def feed(self, t_s: np.ndarray, pressure_mmhg: np.ndarray, steps: Iterable[Step] = ()
             ) -> tuple[list[CueEvent], np.ndarray]:
        t = np.asarray(t_s, dtype=float)
        p = np.asarray(pressure_mmhg, dtype=float)
        self.scheduler.feed(t[:0], p[:0], steps)  # queued: each applies at its sample time
        events: list[CueEvent] = []
        pieces: list[np.ndarray] = []
        # BLOCK_S of samples at a time: a whole session at once needs no more memory.
        cuts = np.searchsorted(t, t[0] + BLOCK_S * np.arange(1, math.ceil(
            (t[-1] - t[0]) / BLOCK_S) + 1), side="left") if len(t) else []
        for a, b in itertools.pairwise([0, *cuts, len(t)]):
            if b > a:
                new, pcm = self._feed_piece(t[a:b], p[a:b])
                events += new
                pieces.append(pcm)
        return events, np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)

    def _feed_piece(self, t: np.ndarray, p: np.ndarray) -> tuple[list[CueEvent], np.ndarray]:
        sched = self.scheduler
        events = sched.feed(t, p)
        if sched.control:
            ctl = np.array(sched.control, dtype=np.float64).reshape(-1, 3)
            sched.control.clear()
            self._ctl_t = np.concatenate((self._ctl_t, ctl[:, 0]))
            self._ctl_dev = np.concatenate((self._ctl_dev, ctl[:, 1]))
            self._ctl_on = np.concatenate((self._ctl_on, ctl[:, 2].astype(bool)))
        for e in events:
            self._queue_voice(e)
        return events, self._render_until(float(t[-1]))

    def flush(self, steps: Iterable[Step] = ()) -> tuple[list[CueEvent], np.ndarray]:
        """The end: steps still pending or new (a stop after the last sample), and everything
        still sounding (the tail of the last phrase)."""
        events = self.scheduler.flush(self._frame / self.rate_hz, steps=steps)
        for e in events:
            self._queue_voice(e)
        n = len(self._future)
        if n == 0:
            return events, np.zeros(0, dtype=np.int16)
        out = self._future
        self._future = np.zeros(0)
        self._frame += n
        return events, self._to_pcm(out)

    # --- internals -----------------------------------------------------------------------

    def _queue_voice(self, e: CueEvent) -> None:
        if self.mode == "off" or not self.voice:
            return
        kind = e.kind
        values = {"target": e.target_mmhg}
        if kind == "countdown":
            values = {"count": float(e.text)}
        elif kind == "done":
            step = self.scheduler.step
            values = {"done": step.reps_done, "planned": step.reps_planned}
        clip = phrase(kind, texts.VOICE[kind], values, self.lang)
        start = max(math.ceil(e.t_s * self.rate_hz - 1e-9), self._voice_free, self._frame)
        self._mix(start, VOICE_LEVEL * clip.astype(np.float64))
        self._voice_free = start + len(clip)

    def _mix(self, start: int, sound: np.ndarray) -> None:
        offset = start - self._frame
        need = offset + len(sound)
        if need > len(self._future):
            self._future = np.concatenate((self._future, np.zeros(need - len(self._future))))
        self._future[offset:need] += sound

    def _render_until(self, t_s: float) -> np.ndarray:
        end = math.floor(t_s * self.rate_hz + 1e-9) + 1  # frames at or before t_s
        block = BLOCK_S * self.rate_hz  # bounded memory when a whole session comes at once
        pieces = [self._render_block(min(end, self._frame + block))
                  for _ in range(max(0, math.ceil((end - self._frame) / block)))]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)

    def _render_block(self, end: int) -> np.ndarray:
        n = end - self._frame
        if n <= 0:
            return np.zeros(0, dtype=np.int16)
        frames = np.arange(self._frame, end)
        frame_t = frames / self.rate_hz
        ctl_t = self._ctl_t
        idx = np.searchsorted(ctl_t, frame_t, side="right") - 1
        dev = np.concatenate(([self._last_dev], self._ctl_dev))[idx + 1]
        on = np.concatenate(([self._last_on], self._ctl_on))[idx + 1]
        sample_t = np.concatenate(([self._last_ct], ctl_t))[idx + 1]
        on &= frame_t - sample_t <= STALE_S  # a gap in the data sounds as silence
        band = self.scheduler.band_mmhg
        out = np.zeros(n)
        if self.mode == "feedback":
            out += self._tones(dev, band, on)
            self._ticks(frames, dev, band, on)
        if len(self._future):
            k = min(n, len(self._future))
            out[:k] += self._future[:k]
            self._future = self._future[k:]
        # Keep only the newest sample at or before the rendered frames.
        keep = int(np.searchsorted(ctl_t, (end - 1) / self.rate_hz, side="right"))
        if keep:
            self._last_dev, self._last_on = float(self._ctl_dev[keep - 1]), bool(
                self._ctl_on[keep - 1])
            self._last_ct = float(ctl_t[keep - 1])
            self._ctl_t = self._ctl_t[keep:]
            self._ctl_dev = self._ctl_dev[keep:]
            self._ctl_on = self._ctl_on[keep:]
        self._frame = end
        return self._to_pcm(out)

    def _tones(self, dev: np.ndarray, band: float, on: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            beyond = np.abs(dev) - band
            sound = on & (beyond > 0)
        x = np.clip(np.where(sound, beyond, 0.0), 0.0, FULL_SCALE_MMHG)
        below = sound & (dev < 0)
        freq = np.where(below, BELOW_EDGE_HZ * 2.0 ** (-x / FULL_SCALE_MMHG),
                        ABOVE_EDGE_HZ * 2.0 ** (x / FULL_SCALE_MMHG))
        rate = PULSE_EDGE_HZ + PULSE_PER_MMHG * x
        # Pitch phase runs on continuously (no clicks when the pitch glides).
        phase = self._tone_phase + np.cumsum(2 * np.pi * freq / self.rate_hz)
        self._tone_phase = float(phase[-1] % (2 * np.pi))
        # Pulse phase: restarts at 0 whenever the tone starts, so each pulse begins softly.
        inc = np.where(sound, rate / self.rate_hz, 0.0)
        cs = np.cumsum(inc)
        prev = np.concatenate(([self._was_on], sound[:-1]))
        starts = sound & ~prev
        base = np.where(starts, cs - inc, -np.inf)
        base = np.maximum.accumulate(base)
        pulse = np.where(np.isfinite(base), cs - base, self._pulse_phase + cs)
        self._pulse_phase = float(pulse[-1] % 1.0)
        self._was_on = bool(sound[-1])
        frac = pulse % 1.0
        bell = np.where(frac < PULSE_DUTY, np.sin(np.pi * frac / PULSE_DUTY) ** 2, 0.0)
        from scipy.signal import lfilter  # here: scipy.signal costs ~1 s to import at start-up

        a = math.exp(-1.0 / (GAIN_TAU_S * self.rate_hz))
        gain, self._zi = lfilter([1 - a], [1, -a], sound.astype(float), zi=self._zi)
        wave = np.sin(phase) + HARMONIC * np.sin(2 * phase)
        return TONE_LEVEL / (1 + HARMONIC) * gain * bell * wave

    def _ticks(self, frames: np.ndarray, dev: np.ndarray, band: float, on: np.ndarray
               ) -> None:
        with np.errstate(invalid="ignore"):
            inside = on & (np.abs(dev) <= band)
        at = frames[inside & (frames % self.rate_hz == 0)]
        if not len(at):
            return
        n = round(0.12 * self.rate_hz)
        k = np.arange(n) / self.rate_hz
        tick = TICK_LEVEL * np.exp(-k / 0.03) * np.sin(2 * np.pi * TICK_HZ * k)
        tick[: round(0.002 * self.rate_hz)] *= np.linspace(0, 1, round(0.002 * self.rate_hz))
        for f in at.tolist():
            self._mix(int(f), tick)

    def _to_pcm(self, out: np.ndarray) -> np.ndarray:
        return np.round(np.clip(out * self.volume, -1.0, 1.0) * 32767).astype(np.int16)
