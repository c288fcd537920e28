"""Audio cues through QtMultimedia: start (nod), hold, relax, and a change of tone when the
pressure leaves the band during a hold.

The tones are short sine WAVs generated once into a temporary folder. Anything that goes wrong
(no QtMultimedia, no audio device, a file that will not load) leaves the app silent with one
log line; it never raises. ``muted`` silences it on purpose.
"""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import time
import wave
from pathlib import Path

from PySide6.QtCore import QObject, QUrl

from cctf.session.cued import Cue

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
        self.available = False
        self.played: list[str] = []  # names played (not muted), newest last; tests read it
        self._effects: dict[str, object] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._last_step = ""
        self._last_band = ""
        self._last_band_tone_s = -math.inf
        if enabled:
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
            self.available = True
        except Exception as exc:  # any failure: silent, one line
            log.warning("audio cues are off: %s", exc)
            self._effects.clear()
            self.available = False

    def play(self, name: str) -> None:
        if self.muted:
            return
        self.played.append(name)
        del self.played[:-50]
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
