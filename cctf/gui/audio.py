"""Sound through QtMultimedia.

``AudioCues``: short tones for the clinic test (start, hold, relax, out of the band, back).
``TrainingSound``: home training's sound track (spoken cues and biofeedback tones), rendered
by ``cctf.session.soundtrack`` from sample time and played as it comes through a
``QAudioSink``; spoken by the system's text-to-speech instead of the bundled clips where an
engine works. Anything that goes wrong (no QtMultimedia, no audio device) leaves the app
silent, says so (``available``), and never raises. ``muted`` silences on purpose.
"""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import time
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QUrl, Signal

from cctf.gui.first_frame import after_first_frame
from cctf.session.cued import Cue
from cctf.session.soundtrack import SOUND_MODES, CueEvent, Soundtrack, Step
from cctf.session.training import TrainingRunner
from cctf.voice import CLIP_RATE_HZ

if TYPE_CHECKING:
    from cctf.gui.controller import AppController, SessionReport

log = logging.getLogger(__name__)

RATE_HZ = 22_050
# name: ((frequency Hz, duration s), ...) played in sequence.
TONES: dict[str, tuple[tuple[float, float], ...]] = {
    "start": ((523.25, 0.12), (659.25, 0.18)),  # C5 → E5: rising, "go"
    "hold": ((659.25, 0.30),),  # E5: steady
    "relax": ((659.25, 0.12), (440.0, 0.25)),  # E5 → A4: falling, "let go"
    "out": ((311.13, 0.22),),  # E♭4: low, left the band
    "back": ((783.99, 0.08),),  # G5: short, back in the band
}


def write_tone(path: Path, notes: tuple[tuple[float, float], ...], volume: float = 0.35) -> None:
    """A mono 16-bit WAV of the notes, each with 10 ms fades (no clicks)."""
    frames = bytearray()
    fade = int(0.01 * RATE_HZ)
    for freq, dur in notes:
        n = int(dur * RATE_HZ)
        for i in range(n):
            env = min(1.0, i / fade, (n - 1 - i) / fade)
            sample = volume * env * math.sin(2 * math.pi * freq * i / RATE_HZ)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE_HZ)
        w.writeframes(bytes(frames))


class AudioCues(QObject):
    """Plays a tone per cue change; silent (never failing) without an audio device."""

    def __init__(self, parent: QObject | None = None, *, enabled: bool = True) -> None:
        super().__init__(parent)
        self.muted = False
        self.played: list[str] = []  # names played (not muted), newest last; tests read it
        self._available = False
        self._pending = enabled  # QtMultimedia not loaded yet (see ``_load_once``)
        self._effects: dict[str, object] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._last_step = ""
        self._last_band = ""
        self._last_band_tone_s = -math.inf
        self.suspended = False  # home training plays its own sound track
        if enabled:
            after_first_frame(self._load_once)

    @property
    def available(self) -> bool:
        """An audio device plays the tones (asking loads QtMultimedia if not yet done)."""
        self._load_once()
        return self._available

    def _load_once(self) -> None:
        """Load QtMultimedia and the tones after the first frame (``cctf.gui.first_frame``):
        its audio back end takes 30–100 ms, and the first tone is seconds away."""
        if self._pending:
            self._pending = False
            self._load()

    def _load(self) -> None:
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

            if not QMediaDevices.audioOutputs():
                log.info("no audio output device: audio cues are off")
                return
            self._tmp = tempfile.TemporaryDirectory(prefix="cctf-tones-")
            for name, notes in TONES.items():
                path = Path(self._tmp.name) / f"{name}.wav"
                write_tone(path, notes)
                effect = QSoundEffect(self)
                effect.setSource(QUrl.fromLocalFile(str(path)))
                effect.setVolume(0.8)
                self._effects[name] = effect
            self._available = True
        except Exception as exc:  # any failure: silent, one line
            log.warning("audio cues are off: %s", exc)
            self._effects.clear()
            self._available = False

    def play(self, name: str) -> None:
        if self.muted or self.suspended:
            return
        self.played.append(name)
        del self.played[:-50]
        self._load_once()
        effect = self._effects.get(name)
        if effect is None:
            return
        try:
            effect.play()  # type: ignore[attr-defined]
        except Exception as exc:
            log.warning("audio cue %s failed, audio off: %s", name, exc)
            self._effects.clear()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted

    # --- slots for the controller's signals --------------------------------------------------

    def on_cue(self, cue: Cue | None) -> None:
        step = cue.step if cue is not None else ""
        if step != self._last_step:
            if step == "nod":
                self.play("start")
            elif step == "hold":
                self.play("hold")
            elif step == "relax":
                self.play("relax")
            self._last_step = step

    def on_band(self, band: str) -> None:
        """A change of tone when the pressure leaves the band during a hold (at most one tone
        a second, so hovering at the edge does not chatter)."""
        if self._last_step == "hold" and time.monotonic() - self._last_band_tone_s >= 1.0:
            tone = ""
            if self._last_band == "in" and band in ("low", "high"):
                tone = "out"
            elif self._last_band in ("low", "high") and band == "in":
                tone = "back"
            if tone:
                self._last_band_tone_s = time.monotonic()
                self.play(tone)
        self._last_band = band


def has_audio_output() -> bool:
    """An audio output device exists (False without QtMultimedia, as offscreen CI)."""
    try:
        from PySide6.QtMultimedia import QMediaDevices

        return bool(QMediaDevices.audioOutputs())
    except Exception as exc:
        log.info("no QtMultimedia: %s", exc)
        return False


class TrainingSound(QObject):
    """Follows the controller's training session: feeds its samples and cue steps to a
    ``Soundtrack`` and plays the frames; keeps the cue log (``events``) for the view and tests.

    ``mode``: off / cues / feedback (``cctf.session.soundtrack.SOUND_MODES``); ``volume`` 0–1.
    """

    changed = Signal()  # mode, volume, mute or availability changed

    LEAD_S = 0.15  # silence queued before the first frames: absorbs the timer's jitter

    def __init__(self, controller: AppController, cues: AudioCues | None = None, *,
                 enabled: bool = True, mode: str = "feedback", volume: float = 0.8,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        if mode not in SOUND_MODES:
            raise ValueError(f"sound mode must be one of {SOUND_MODES}")
        self.controller = controller
        self.cues = cues
        self.mode = mode
        self.volume = volume
        self.muted = False
        self.available = False
        self.events: list[CueEvent] = []  # this session's cues, newest last
        self.steps: list[Step] = []  # this session's cue steps as fed to the sound track
        self.frames: list[np.ndarray] | None = None  # set to [] to keep the frames (tests)
        self.samples: list[tuple[np.ndarray, np.ndarray]] = []  # what was fed, with frames
        self.track: Soundtrack | None = None
        self._runner: TrainingRunner | None = None
        self._steps_seen = 0
        self._last_t = -math.inf
        self._sink: object | None = None
        self._io: object | None = None
        self._tts: object | None = None
        self._pending = enabled  # the audio output opens after the first frame
        if enabled:
            after_first_frame(self._open_once)
        controller.ticked.connect(self.update)
        controller.session_changed.connect(self.update)  # before the first cue's clinic tone
        controller.session_finished.connect(self._end)

    # --- settings ----------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        if mode in SOUND_MODES and mode != self.mode:
            self.mode = mode
            if self.track is not None:
                self.track.mode = mode
            self.changed.emit()

    def set_volume(self, volume: float) -> None:
        self.volume = min(1.0, max(0.0, volume))
        if self._sink is not None:
            self._sink.setVolume(self.volume)  # type: ignore[attr-defined]
        self.changed.emit()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self.changed.emit()

    @property
    def state(self) -> str:
        """none (no device), off, muted or on: what the patient should be told."""
        if not self.available:
            return "none"
        if self.mode == "off":
            return "off"
        return "muted" if self.muted else "on"

    # --- output ------------------------------------------------------------------------------

    def _open_once(self) -> None:
        """Open the output once, after the first frame (QtMultimedia and its audio back end
        take 30–100 ms that the first frame need not wait for); says so (``changed``)."""
        if self._pending:
            self._pending = False
            self._open()
            if self.available:
                self.changed.emit()

    def _open(self) -> None:
        if not has_audio_output():
            log.info("no audio output device: training sound is off")
            return
        try:
            from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

            fmt = QAudioFormat()
            fmt.setSampleRate(CLIP_RATE_HZ)
            fmt.setChannelCount(1)
            fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
            self._sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt, self)
            self._sink.setBufferSize(CLIP_RATE_HZ)  # type: ignore[attr-defined]
            self._sink.setVolume(self.volume)  # type: ignore[attr-defined]
            self.available = True
        except Exception as exc:
            log.warning("training sound is off: %s", exc)
            self._sink = None
            return
        self._tts = _system_voice()

    def _write(self, pcm: np.ndarray) -> None:
        if self._sink is None or self.muted or self.mode == "off" or not len(pcm):
            return
        try:
            if self._io is None:
                self._io = self._sink.start()  # type: ignore[attr-defined]
                pcm = np.concatenate((np.zeros(round(self.LEAD_S * CLIP_RATE_HZ),
                                               dtype=np.int16), pcm))
            data = pcm.astype("<i2").tobytes()
            free = self._sink.bytesFree()  # type: ignore[attr-defined]
            self._io.write(data[:max(0, free - free % 2)])  # type: ignore[attr-defined,union-attr]
        except Exception as exc:
            log.warning("training sound failed, sound off: %s", exc)
            self._sink = None
            self.available = False
            self.changed.emit()

    def _speak(self, events: list[CueEvent]) -> None:
        if self._tts is None or self.muted or self.mode == "off" or not events:
            return
        try:
            self._tts.say(events[-1].text)  # type: ignore[attr-defined]
        except Exception as exc:
            log.warning("text-to-speech failed, using the bundled voice: %s", exc)
            self._tts = None
            if self.track is not None:
                self.track.voice = True

    # --- following the session ---------------------------------------------------------------

    def update(self) -> None:
        """New samples: feed the sound track from where it left off."""
        c = self.controller
        s = c.session
        runner = s.runner if s is not None else None
        if not isinstance(runner, TrainingRunner) or s is None:
            return
        self._open_once()
        if runner is not self._runner:
            self._start(runner)
        self._feed(s.t0_host_s - c.origin_s)

    def _feed(self, offset: float) -> None:
        """Samples after the last fed, and the steps since; ``offset``: display time of
        session time 0."""
        runner, track = self._runner, self.track
        assert runner is not None and track is not None
        t_disp, p, _ = self.controller.history.window(self._last_t + offset + 1e-9)
        t = t_disp - offset
        keep = t > self._last_t
        t, p = t[keep], p[keep]
        steps = runner.steps[self._steps_seen:]
        self._steps_seen = len(runner.steps)
        self.steps += steps
        if not len(t) and not steps:
            return
        if len(t):
            self._last_t = float(t[-1])
        if self.frames is not None:
            self.samples.append((t.copy(), p.copy()))
        self._heard(*track.feed(t, p, steps))

    def _start(self, runner: TrainingRunner) -> None:
        rx = runner.prescription
        self._runner = runner
        self._steps_seen = 0
        self._last_t = -1e-3  # session time 0 is the first sample of the session
        self.events = []
        self.steps = []
        if self.frames is not None:
            self.frames = []
            self.samples = []
        self.track = Soundtrack(rx.band_mmhg, rx.hold_s, mode=self.mode, volume=1.0,
                                voice=self._tts is None)
        if self.cues is not None:
            self.cues.suspended = True

    def _end(self, report: SessionReport | None) -> None:
        """The session ended (its last samples may not have been fed yet): feed them, then
        let the last phrase finish."""
        runner, track = self._runner, self.track
        if runner is None or track is None:
            return
        if report is not None and report.kind == "training":
            self._feed(report.t0_display_s)
        steps = runner.steps[self._steps_seen:]
        self._steps_seen = len(runner.steps)
        self.steps += steps
        self._heard(*track.flush(steps))
        self._runner = None
        if self.cues is not None:
            self.cues.suspended = False

    def _heard(self, events: list[CueEvent], pcm: np.ndarray) -> None:
        self.events += events
        if self.frames is not None:
            self.frames.append(pcm)
        self._speak(events)
        self._write(pcm)


def remember_settings(sound: TrainingSound, *, mode: str | None = None,
                      volume: float | None = None) -> None:
    """Use the sound settings chosen last time (unless given), and keep every change for
    next time (QSettings: the user's configuration, not the records)."""
    from PySide6.QtCore import QSettings

    store = QSettings("cctf", "cctf")
    saved_mode = store.value("training/sound_mode", sound.mode)
    try:
        saved_volume = float(store.value("training/volume", sound.volume))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        saved_volume = sound.volume
    sound.set_mode(mode if mode is not None else str(saved_mode))
    sound.set_volume(volume if volume is not None else saved_volume)

    def save() -> None:
        store.setValue("training/sound_mode", sound.mode)
        store.setValue("training/volume", sound.volume)

    sound.changed.connect(save)


def _system_voice() -> object | None:
    """Qt's text-to-speech if a real engine answers (not the test engine), else None."""
    try:
        from PySide6.QtTextToSpeech import QTextToSpeech

        engines = [e for e in QTextToSpeech.availableEngines() if e != "mock"]
        if not engines:
            return None
        tts = QTextToSpeech(engines[0])
        if tts.state() == QTextToSpeech.State.Error or not tts.availableVoices():
            return None
        return tts
    except Exception as exc:
        log.info("no text-to-speech: %s", exc)
        return None
