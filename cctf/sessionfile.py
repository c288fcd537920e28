"""The session CSV: cctf's interchange format, written incrementally and read strictly.

    # cctf_session_format: 1
    # device_serial: SIM00001
    t_s,pressure_mmhg,target_mmhg,phase,raw,flags
    0.0200,20.113,,,4759,4
    6.0000,20.402,22.0,stage,4812,4

Leading ``# key: value`` lines carry metadata; the header names the columns (the first four are
fixed, more may follow); ``target_mmhg`` is blank while no target is cued; ``phase`` is one of
``PHASES`` or blank. The writer flushes to disk on demand (at least every second in cctf) and
creates files readable by their owner only. The reader names the file, line and problem.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cctf.atomicfile import atomic_writer
from cctf.errors import FileFormatError
from cctf.file_annotations import ANNOTATIONS_KEY, parse_annotations
from cctf.sessionread import HEAD_COLUMNS  # the CSV's optional head columns (issue 17)

log = logging.getLogger(__name__)

FORMAT_VERSION = "1"
REQUIRED_COLUMNS = ("t_s", "pressure_mmhg", "target_mmhg", "phase")
PHASES = frozenset({"stage", "endurance", "training", "practice", ""})


@dataclass(slots=True)
class SessionRecording:
    """A session file in memory. Arrays have one entry per sample row."""

    metadata: dict[str, str]
    t_s: np.ndarray  # float64, seconds
    pressure_mmhg: np.ndarray  # float64
    target_mmhg: np.ndarray  # float64, NaN where no target is cued
    phase: np.ndarray  # object array of str ("" where blank)
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # further columns, as str
    dropped_tail_bytes: int = 0  # an unfinished last line left out (tolerate_truncated_tail)
    # head-motion sensor (issue 17): zeroed flexion and roll in degrees, NaN = not measured;
    # None when the file has no head columns (no sensor fitted, or an older file)
    head_pitch_deg: np.ndarray | None = None
    head_roll_deg: np.ndarray | None = None

    @property
    def has_head(self) -> bool:
        return self.head_pitch_deg is not None

    def __len__(self) -> int:
        return len(self.t_s)


ENDED_KEY = "ended"
_EARLY_PREFIX, _EARLY_SUFFIX = "early at ", " s"


@dataclass(frozen=True, slots=True)
class Ending:
    """How a cued test ended, as the app recorded it: complete, or ended early at a time."""

    early_at_s: float | None  # None: it finished normally

    @property
    def complete(self) -> bool:
        return self.early_at_s is None


def ended_metadata(early_at_s: float | None) -> dict[str, str]:
    """The ``ended`` metadata line's value: ``complete`` or ``early at {t_s:.2f} s``."""
    text = "complete" if early_at_s is None else f"{_EARLY_PREFIX}{early_at_s:.2f}{_EARLY_SUFFIX}"
    return {ENDED_KEY: text}


def parse_ended(metadata: Mapping[str, str]) -> Ending | None:
    """The ``ended`` metadata (None when the file does not say); ``ValueError`` if malformed."""
    text = metadata.get(ENDED_KEY)
    if text is None:
        return None
    text = text.strip()
    if text == "complete":
        return Ending(None)
    if text.startswith(_EARLY_PREFIX) and text.endswith(_EARLY_SUFFIX):
        try:
            t_s = float(text[len(_EARLY_PREFIX):-len(_EARLY_SUFFIX)])
        except ValueError:
            t_s = math.nan
        if math.isfinite(t_s):
            return Ending(t_s)
    raise ValueError(f"ended is {text[:40]!r}, expected 'complete' or 'early at <seconds> s'")


def _clean_value(value: object) -> str:
    """Metadata values live on one line: newlines would break the format."""
    return " ".join(str(value).split())


class SessionWriter:
    """Append-only writer; ``flush`` makes everything so far durable on disk."""

    def __init__(
        self,
        path: str | Path,
        metadata: Mapping[str, object],
        extra_columns: Sequence[str] = (),
        *,
        overwrite: bool = True,
    ) -> None:
        self.path = Path(path)
        self.extra_columns = tuple(extra_columns)
        self.rows_written = 0
        # ``overwrite=False``: an existing file is never truncated (O_EXCL).
        exclusive = 0 if overwrite else os.O_EXCL
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | exclusive, 0o600)
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        self._metadata = {"cctf_session_format": FORMAT_VERSION, **metadata}
        self._file.write(_header(self._metadata, self.extra_columns))
        self.flush()

    def write(
        self,
        t_s: np.ndarray,
        pressure_mmhg: np.ndarray,
        target_mmhg: np.ndarray | None = None,
        phase: Sequence[str] | None = None,
        extra: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Append rows; ``target_mmhg`` NaN (or None for all) writes a blank target."""
        n = len(t_s)
        targets = target_mmhg if target_mmhg is not None else np.full(n, np.nan)
        phases = phase if phase is not None else [""] * n
        extras = [extra[c] for c in self.extra_columns] if extra else []
        lines = []
        for i in range(n):
            tgt = targets[i]
            fields_ = [
                f"{t_s[i]:.4f}",
                f"{pressure_mmhg[i]:.3f}",
                "" if math.isnan(tgt) else f"{tgt:.2f}",
                phases[i],
            ]
            fields_ += [str(col[i]) for col in extras]
            lines.append(",".join(fields_))
        if lines:
            self._file.write("\n".join(lines) + "\n")
        self.rows_written += n

    def flush(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self, final_metadata: Mapping[str, object] | None = None) -> None:
        """Flush and close; ``final_metadata`` (e.g. link statistics) is merged into the header
        by rewriting the file to a temporary name and renaming it over the original."""
        if self._file.closed:
            return
        self.flush()
        self._file.close()
        if final_metadata:
            self._metadata.update(final_metadata)
            _rewrite_header(self.path, self._metadata, self.extra_columns)


def _header(metadata: Mapping[str, object], extra_columns: Sequence[str]) -> str:
    lines = [f"# {_clean_value(k)}: {_clean_value(v)}" for k, v in metadata.items()]
    lines.append(",".join((*REQUIRED_COLUMNS, *extra_columns)))
    return "\n".join(lines) + "\n"


def _rewrite_header(
    path: Path, metadata: Mapping[str, object], extra_columns: Sequence[str]
) -> None:
    """The new header, then the rows byte for byte, through a temporary file of cctf's own
    (``atomic_writer``: a fixed ``FILE.tmp`` would truncate and then remove a user's file)."""
    with atomic_writer(path) as dst, open(path, "rb") as src:
        for line in src:
            if not line.startswith(b"#"):
                break
        dst.write(_header(metadata, extra_columns).encode("utf-8"))
        # ``line`` is the old column header; the rows follow it.
        while chunk := src.read(1 << 20):
            dst.write(chunk)


# --- reading -------------------------------------------------------------------------------


def _metadata_line(path: str | Path, key: str) -> int | None:
    """The line number of metadata ``key`` in the file's header (for an error message)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            for number, line in enumerate(f, start=1):
                if not line.startswith("#"):
                    return None
                if line.lstrip("#").partition(":")[0].strip() == key:
                    return number
    except OSError:
        return None
    return None


def read_session(path: str | Path, *, tolerate_truncated_tail: bool = False,
                 keep_extra: bool = True) -> SessionRecording:
    """Read a session CSV; raise ``FileFormatError`` naming the line and the problem.

    ``tolerate_truncated_tail``: a file that does not end with a newline was cut off while a
    row was being written (a crash, ``kill -9``): leave that unfinished last line out instead
    of judging it (recovery). Every complete row is still checked strictly. Read in bounded
    memory from regular files only (``cctf.sessionread``); ``keep_extra=False`` checks the
    further columns but does not keep them (the analysis needs only the first four).
    """
    from cctf.sessionread import read_session_file

    parsed = read_session_file(path, str(path), tolerate_truncated_tail=tolerate_truncated_tail,
                               required=REQUIRED_COLUMNS, phases=PHASES,
                               keep_extra=keep_extra)
    if ENDED_KEY in parsed.metadata:  # how the session ended decides what is scored
        try:
            parse_ended(parsed.metadata)
        except ValueError as exc:
            raise FileFormatError(str(path), _metadata_line(path, ENDED_KEY), str(exc)) from None
    if ANNOTATIONS_KEY in parsed.metadata:  # the therapist's annotations decide verdicts too
        try:
            parse_annotations(parsed.metadata)
        except ValueError as exc:
            raise FileFormatError(str(path), _metadata_line(path, ANNOTATIONS_KEY),
                                  str(exc)) from None
    pitch, roll = (parsed.head.get(c) for c in HEAD_COLUMNS)
    if (pitch is None) != (roll is None):
        have = HEAD_COLUMNS[0] if pitch is not None else HEAD_COLUMNS[1]
        raise FileFormatError(str(path), None, f"column {have} without its partner "
                                               f"({','.join(HEAD_COLUMNS)} come together)")
    return SessionRecording(parsed.metadata, parsed.t_s, parsed.pressure_mmhg,
                            parsed.target_mmhg, parsed.phase, parsed.extra,
                            parsed.dropped_tail_bytes, pitch, roll)
