"""Make the bundled spoken prompts (run once at development time; the clips are committed).

    python -m cctf.voice.make_prompts [--lang en] [--voice en-gb] [--speed 150]

Needs espeak-ng and sox (``apt-get install espeak-ng sox``). Each template of
``cctf.texts.VOICE`` is cut at its ``{fields}``: every literal part becomes one clip
(``<kind>_<part>.wav``) and the fields are filled at run time from the number clips
``n<N>.wav`` (0–40). Clips are 16 kHz mono 16-bit WAV with the silence trimmed. A translation
adds its own folder (``cctf/voice/<lang>/``) made from its own templates.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from cctf import texts
from cctf.voice import CLIP_RATE_HZ, NUMBERS, literal_parts

log = logging.getLogger("cctf.voice.make_prompts")


def clip_texts(templates: dict[str, str]) -> dict[str, str]:
    """File stem → the words it says."""
    out = {f"{kind}_{i}": part for kind, template in templates.items()
           for i, part in enumerate(literal_parts(template)) if part.strip(" :,")}
    out.update({f"n{n}": str(n) for n in NUMBERS})
    return out


def synthesise(text: str, path: Path, voice: str, speed: int) -> None:
    """espeak-ng → sox: 16 kHz mono 16-bit, leading and trailing silence trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                       check=True)
        subprocess.run(["sox", str(raw), "-r", str(CLIP_RATE_HZ), "-c", "1", "-b", "16",
                        str(path), "silence", "1", "0.02", "0.5%", "reverse",
                        "silence", "1", "0.02", "0.5%", "reverse", "gain", "-n", "-3"],
                       check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", default="en")
    ap.add_argument("--voice", default="en-gb", help="espeak-ng voice (default en-gb)")
    ap.add_argument("--speed", type=int, default=150, help="words a minute (default 150)")
    args = ap.parse_args(argv)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            ap.error(f"{tool} is not installed (apt-get install espeak-ng sox)")
    folder = Path(__file__).parent / args.lang
    folder.mkdir(exist_ok=True)
    for stem, words in clip_texts(texts.VOICE).items():
        synthesise(words, folder / f"{stem}.wav", args.voice, args.speed)
        log.info("%s: %s", stem, words)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raise SystemExit(main())
