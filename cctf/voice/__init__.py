"""Bundled spoken prompts: short clips per language (``cctf/voice/<lang>/*.wav``), composed
into phrases such as "Nod gently to 24" from a literal part and a number clip.

No Qt: the headless renderer and the app both mix these clips into their sound track. The
clips are made once by ``make_prompts.py`` (espeak-ng) from the templates in
``cctf.texts.VOICE``.
"""

from __future__ import annotations

import string
import wave
from functools import cache
from pathlib import Path

import numpy as np

CLIP_RATE_HZ = 16_000
NUMBERS = range(41)  # number clips 0–40 (targets 21–40, holds 0–30)
GAP_S = 0.06  # silence between the parts of a composed phrase
_FOLDER = Path(__file__).parent


def literal_parts(template: str) -> list[str]:
    """The literal text between the ``{fields}`` of a template, in order (may be empty)."""
    return [literal for literal, _, _, _ in string.Formatter().parse(template)]


def _fields(template: str) -> list[str | None]:
    return [field for _, field, _, _ in string.Formatter().parse(template)]


@cache
def clip(stem: str, lang: str = "en") -> np.ndarray:
    """One clip as float32 in [-1, 1] at CLIP_RATE_HZ (empty if there is no such clip)."""
    path = _FOLDER / lang / f"{stem}.wav"
    if not path.is_file():
        return np.zeros(0, dtype=np.float32)
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != CLIP_RATE_HZ:
            raise ValueError(f"{path}: not a {CLIP_RATE_HZ} Hz mono 16-bit WAV")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (data.astype(np.float32) / 32768.0).copy()


def phrase(kind: str, template: str, values: dict[str, float], lang: str = "en"
           ) -> np.ndarray:
    """The clips of ``template`` (a cue kind's) filled with ``values``, at CLIP_RATE_HZ."""
    gap = np.zeros(round(GAP_S * CLIP_RATE_HZ), dtype=np.float32)
    pieces: list[np.ndarray] = []
    for i, (part, field) in enumerate(zip(literal_parts(template), _fields(template),
                                          strict=True)):
        if part.strip(" :,"):
            pieces += [clip(f"{kind}_{i}", lang), gap]
        if field:
            n = round(values.get(field, -1))
            if n in NUMBERS:
                pieces += [clip(f"n{n}", lang), gap]
    return np.concatenate(pieces[:-1]) if pieces else np.zeros(0, dtype=np.float32)
