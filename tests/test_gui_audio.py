"""Audio cues: a tone per cue step and on leaving the band; silent, never failing, without an
audio device; muted means silent."""

from __future__ import annotations

import builtins
import logging
import math
import wave

from cctf.gui.audio import TONES, AudioCues, write_tone
from cctf.session.cued import Cue


def _steps(audio: AudioCues, steps: list[str]) -> None:
    for step in steps:
        audio.on_cue(Cue(step, 22.0, "stage", 0, 0.0, math.nan))


def test_cues_play_start_hold_relax_and_a_tone_change_on_leaving_the_band(qtbot):
    audio = AudioCues()  # the real QtMultimedia path; offscreen CI has no audio device
    _steps(audio, ["nod", "hold"])
    audio.on_band("in")
    audio.on_band("low")  # left the band during the hold
    _steps(audio, ["relax", "rest"])
    assert audio.played == ["start", "hold", "out", "relax"]


def test_muted_is_silent(qtbot):
    audio = AudioCues()
    audio.set_muted(True)
    _steps(audio, ["nod", "hold", "relax"])
    assert audio.played == []


def test_no_multimedia_means_silent_with_one_log_line(qtbot, monkeypatch, caplog):
    real_import = builtins.__import__

    def no_multimedia(name, *args, **kwargs):
        if name.startswith("PySide6.QtMultimedia"):
            raise ImportError("libpulse.so.0: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_multimedia)
    with caplog.at_level(logging.INFO, logger="cctf.gui.audio"):
        audio = AudioCues()
    assert not audio.available
    assert len([r for r in caplog.records if r.name == "cctf.gui.audio"]) == 1
    _steps(audio, ["nod", "hold", "relax"])  # never raises
    assert audio.played == ["start", "hold", "relax"]


def test_tones_are_short_clean_wavs(tmp_path):
    for name, notes in TONES.items():
        path = tmp_path / f"{name}.wav"
        write_tone(path, notes)
        with wave.open(str(path)) as w:
            seconds = w.getnframes() / w.getframerate()
        assert 0.05 < seconds <= 0.5
