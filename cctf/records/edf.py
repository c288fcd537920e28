"""EDF+ export of a session, for research tools (EDFbrowser, MNE, pyEDFlib, …).

Written by hand: the EDF+ header is a few fixed-width ASCII fields (spec:
https://www.edfplus.info/specs/edfplus.html), far less than a dependency. The file is EDF+C
(continuous) with 1-second data records and three signals:

- ``MISC Pressure``: the cuff pressure in mmHg, 16-bit over −20 … 100 mmHg (0.0018 mmHg per
  step), on a uniform grid at the session's nominal rate (cctf's sample times jitter
  slightly; values are linearly interpolated onto the grid), starting on a whole second of
  the wall clock (``aligned_start``; padded before the first sample, annotated);
- ``MISC Target``: the cued target in mmHg, 0 (exactly) while none is cued;
- ``MISC Head pitch``, ``MISC Head roll`` (only when a head sensor was fitted, issue 17): the
  zeroed head angles in degrees, 16-bit over −180 … 180° (0.0055° per step), nearest sample on
  the grid. EDF has no "not measured": such samples read −180° (the digital minimum) and an
  annotation marks each stretch;
- ``EDF Annotations``: trials (onset, duration, phase, target, verdict), faults in plain
  words, compensation marked by hand, session events, and signal gaps (no samples arrived:
  the values across a gap are interpolated — the annotation says where).

The header names the patient by pseudonymous ID only (``P-0042 X X X``) and the equipment
as ``cctf_<device serial>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from cctf import texts
from cctf.analysis.results import SessionResult
from cctf.records.files import atomic_writer
from cctf.sessionfile import SessionRecording

RECORD_S = 1.0
PHYS_MIN_MMHG, PHYS_MAX_MMHG = -20.0, 100.0
DIG_MIN, DIG_MAX = -32768, 32767
GAP_MIN_S = 0.2
# Research readers (issue 16): the ``MISC `` prefix is MNE's channel-type convention (read
# with ``infer_types=True``); the Target's limits make 0 (no target) read back exactly as 0.0
# in MNE, pyedflib/EDFlib and edfio: 0.01 mmHg per step, symmetric about 0.
PRESSURE_LABEL, TARGET_LABEL = "MISC Pressure", "MISC Target"
HEAD_PITCH_LABEL, HEAD_ROLL_LABEL = "MISC Head pitch", "MISC Head roll"
HEAD_PHYS_MIN, HEAD_PHYS_MAX = -180.0, 180.0  # the minimum (digital -32768) = not measured
TARGET_PHYS_MIN, TARGET_PHYS_MAX = -327.67, 327.67
TARGET_DIG_MIN, TARGET_DIG_MAX = -32767, 32767
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True, slots=True)
class Annotation:
    onset_s: float  # from the file's start
    duration_s: float | None
    text: str


def _field(value: str, width: int) -> bytes:
    """An EDF header field: printable ASCII, left-aligned, space-padded, cut to ``width``."""
    clean = "".join(c if 32 <= ord(c) < 127 else "_" for c in value)
    return clean[:width].ljust(width).encode("ascii")


def _number(value: float, width: int = 8) -> str:
    text = f"{value:.{width}g}" if isinstance(value, float) else str(value)
    while len(text) > width and "." in text:
        text = text[:-1]
    if len(text) > width:
        raise ValueError(f"{value} does not fit an EDF field of {width} characters")
    return text


def _subfield(value: str) -> str:
    """EDF+ identification subfields: no spaces; unknown is X."""
    value = "_".join(value.split())
    return value or "X"


def _onset(seconds: float) -> str:
    text = f"{seconds:+.4f}".rstrip("0").rstrip(".")
    return text if text not in ("+", "-", "-0") else "+0"


def _tal(a: Annotation) -> bytes:
    text = "".join(c for c in a.text if c not in "\x00\x14\x15")
    head = _onset(a.onset_s)
    if a.duration_s is not None and a.duration_s > 0:
        head += "\x15" + _onset(a.duration_s)[1:]
    return (head + "\x14" + text + "\x14\x00").encode("utf-8")


def to_digital(phys: np.ndarray, pmin: float, pmax: float) -> np.ndarray:
    scale = (DIG_MAX - DIG_MIN) / (pmax - pmin)
    return np.clip(np.round((phys - pmin) * scale + DIG_MIN), DIG_MIN, DIG_MAX).astype("<i2")


def target_digital(target_mmhg: np.ndarray) -> np.ndarray:
    """The Target signal's digital values: 0.01 mmHg steps, 0 ↔ 0 exactly."""
    return np.clip(np.round(np.asarray(target_mmhg) * 100.0), TARGET_DIG_MIN,
                   TARGET_DIG_MAX).astype("<i2")


def aligned_start(recording: SessionRecording, started: datetime) -> tuple[datetime, float]:
    """The file's start (naive local time, a whole second) and its session time.

    ``t_s = 0`` is at the session file's ``t0_wall_clock`` (microseconds, docs/time.md), or
    else ``started``. The file starts at the whole second at or before the first sample, so
    every reader (some drop the sub-second start field) puts each sample at the same time;
    the stretch before the first sample is padded and annotated.
    """
    w0 = _t0_wall(recording) or started
    first = w0 + timedelta(seconds=float(recording.t_s[0]))
    start = first.replace(microsecond=0)
    return start.replace(tzinfo=None), (start - w0).total_seconds()


def _t0_wall(recording: SessionRecording) -> datetime | None:
    text = recording.metadata.get("t0_wall_clock", "")
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def gap_annotations(t_s: np.ndarray, t0_s: float) -> list[Annotation]:
    """Every filled gap — each stretch where at least one sample is missing, however short."""
    if len(t_s) < 3:
        return []
    dt = np.diff(t_s)
    period = float(np.median(dt))
    out = []
    for k in np.flatnonzero(dt > 1.5 * period):
        missing = max(1, round(float(dt[k]) / period) - 1)
        out.append(Annotation(float(t_s[k]) - t0_s, float(dt[k]),
                              texts.EDF_GAP.format(missing=missing)))
    return out


def research_annotations(recording: SessionRecording, result: SessionResult, t0_s: float,
                         rate_hz: float) -> list[Annotation]:
    """Padding before the first sample, the therapist's verdicts and marks, and link events
    (disconnects, device resets); onsets are session times minus ``t0_s``."""
    out: list[Annotation] = []
    lead = float(recording.t_s[0]) - t0_s
    if lead > 0.5 / rate_hz:
        out.append(Annotation(0.0, lead, texts.EDF_PADDING.format(seconds=lead)))
    for t in result.trials:
        if t.verdict_override is not None:
            out.append(Annotation(t.cue_end_s - t0_s, None, texts.EDF_OVERRIDE.format(
                trial=t.index + 1, verdict=texts.verdict_word(t.verdict_override))))
    marks = recording.extra.get("marker")
    if marks is not None:
        for i in np.flatnonzero(marks != ""):
            for text in str(marks[i]).split(" | "):
                out.append(Annotation(float(recording.t_s[i]) - t0_s, None,
                                      texts.EDF_MARK.format(text=text.strip())))
    for kind, at_s, duration in link_events(recording.metadata.get("link_events", "")):
        if kind in texts.EDF_LINK:
            out.append(Annotation(at_s - t0_s, None,
                                  texts.EDF_LINK[kind].format(seconds=duration)))
    return out


def link_events(text: str) -> list[tuple[str, float, float]]:
    """The session file's ``link_events`` (``kind@12.345s+0.500s; ...``) as (kind, session
    time, duration)."""
    out = []
    for item in text.split(";"):
        kind, sep, when = item.strip().partition("@")
        if not sep:
            continue
        at, _, dur = when.partition("+")
        try:
            out.append((kind, float(at.rstrip("s")), float(dur.rstrip("s")) if dur else 0.0))
        except ValueError:
            continue
    return out


def session_annotations(result: SessionResult, t0_s: float, t_s: np.ndarray) -> list[Annotation]:
    """Trials, faults, hand marks, session events and signal gaps; onsets are session times
    minus ``t0_s``."""
    out: list[Annotation] = []
    for t in result.trials:
        verdict = texts.verdict_word(t.passed) + (" (repeated, not scored)" if t.superseded
                                                  else "")
        if t.interrupted:
            verdict = texts.TRIAL_INTERRUPTED
        out.append(Annotation(t.cue_start_s - t0_s, t.cue_end_s - t.cue_start_s,
                              f"trial {t.index + 1} {t.phase} {t.target_mmhg:g} mmHg: {verdict}"))
        for f in t.faults:
            out.append(Annotation(f.t_s - t0_s, None, f"trial {t.index + 1} fault {f.type}: "
                                  + texts.describe_fault(f.type, f.value)))
        for m in t.manual_faults:
            out.append(Annotation(t.cue_end_s - t0_s, None, f"trial {t.index + 1} marked by "
                                  f"hand: {texts.MANUAL_FAULT_TEXT.get(m, m)}"))
        for f in t.flags:  # hypothesis flags: the quiet stretch, with the therapist's review
            # breath_hold's value is the quiet stretch in seconds; the head flags' are degrees
            quiet_s = f.value if f.type == "breath_hold" and math.isfinite(f.value) else None
            out.append(Annotation(f.t_s - t0_s, quiet_s,
                                  f"trial {t.index + 1} flag {f.type}: " + texts.describe_flag(
                                      f.type, f.value, t.flag_review.get(f.type))))
    for e in result.session_events:
        out.append(Annotation(e.t_s - t0_s, None, f"session {e.type}: "
                              + texts.describe_fault(e.type, e.value)))
    if result.ended_early_s is not None:
        out.append(Annotation(result.ended_early_s - t0_s, None,
                              "session " + texts.ENDED_EARLY.format(t_s=result.ended_early_s)
                              + ": " + texts.ending_line(result)))
    out += gap_annotations(t_s, t0_s)
    out = [a for a in out if math.isfinite(a.onset_s)]
    return sorted(out, key=lambda a: a.onset_s)


def _header(patient_code: str, started: datetime, equipment: str, n_records: int,
            signals: Sequence[dict[str, object]]) -> bytes:
    ns = len(signals)
    date_words = f"{started.day:02d}-{_MONTHS[started.month - 1]}-{started.year}"
    yy = f"{started.year % 100:02d}" if 1985 <= started.year <= 2084 else "yy"
    head = b"".join([
        _field("0", 8),
        _field(f"{_subfield(patient_code)} X X X", 80),
        _field(f"Startdate {date_words} X X {_subfield(equipment)}", 80),
        _field(f"{started.day:02d}.{started.month:02d}.{yy}", 8),
        _field(f"{started.hour:02d}.{started.minute:02d}.{started.second:02d}", 8),
        _field(str(256 * (ns + 1)), 8),
        _field("EDF+C", 44),
        _field(str(n_records), 8),
        _field(_number(RECORD_S), 8),
        _field(str(ns), 4),
    ])
    for key, width in (("label", 16), ("transducer", 80), ("dimension", 8), ("pmin", 8),
                       ("pmax", 8), ("dmin", 8), ("dmax", 8), ("prefilter", 80),
                       ("samples", 8), ("reserved", 32)):
        head += b"".join(_field(str(s.get(key, "")), width) for s in signals)
    assert len(head) == 256 * (ns + 1)
    return head


def write_edf(path: str | Path, recording: SessionRecording, result: SessionResult, *,
              patient_code: str, started: datetime, rate_hz: float | None = None) -> Path:
    """Write the session as EDF+ (atomically, 0600). ``started``: the recording's start,
    t_s = 0 (local time where it was recorded), used when the session file has no
    ``t0_wall_clock`` (recorded before it existed)."""
    if len(recording) < 2:
        raise ValueError("an EDF+ file needs at least two samples")
    t_s = recording.t_s
    rate = rate_hz or _nominal_rate(recording)
    spr = max(1, round(rate * RECORD_S))
    start, t0 = aligned_start(recording, started)
    n = math.floor((t_s[-1] - t0) * spr / RECORD_S + 1e-9) + 1
    n_records = math.ceil(n / spr)
    grid = t0 + np.arange(n_records * spr) * (RECORD_S / spr)
    pressure = np.interp(grid, t_s, recording.pressure_mmhg)
    idx = np.clip(np.searchsorted(t_s, grid, side="right") - 1, 0, len(t_s) - 1)
    target = np.nan_to_num(recording.target_mmhg[idx], nan=0.0)
    pressure[n:] = pressure[n - 1]  # the last record is padded with the last value
    target[n:] = target[n - 1]
    heads = _head_signals(recording, grid, idx, n, rate) if recording.has_head else None

    # The file starts on a whole second of the wall clock (``aligned_start``): session time
    # t0; record k starts at +k s; every onset is a session time minus t0.
    annotations = session_annotations(result, t0, t_s)
    annotations += research_annotations(recording, result, t0, rate)
    if heads is not None:
        annotations += heads[2]
    annotations.sort(key=lambda a: a.onset_s)
    if n < n_records * spr:
        annotations.append(Annotation(n / spr * RECORD_S, None,
                                      "end of recording (the rest of this record repeats "
                                      "the last value)"))
    per_record: list[list[bytes]] = [
        [f"{_onset(k * RECORD_S)}\x14\x14\x00".encode()] for k in range(n_records)]
    for a in annotations:
        k = min(max(int(a.onset_s // RECORD_S), 0), n_records - 1)
        per_record[k].append(_tal(a))
    ann_bytes = max(sum(len(b) for b in tals) for tals in per_record)
    ann_spr = max(30, math.ceil(ann_bytes / 2))

    serial = recording.metadata.get("device_serial", "")
    sensor = recording.metadata.get("sensor_model", "")
    signals = [
        {"label": PRESSURE_LABEL,
         "transducer": f"cctf cuff pressure sensor {sensor}".strip(),
         "dimension": "mmHg", "pmin": _number(PHYS_MIN_MMHG), "pmax": _number(PHYS_MAX_MMHG),
         "dmin": DIG_MIN, "dmax": DIG_MAX, "prefilter": "none (raw calibrated pressure)",
         "samples": spr},
        {"label": TARGET_LABEL, "transducer": "cued target, 0 = none", "dimension": "mmHg",
         "pmin": _number(TARGET_PHYS_MIN), "pmax": _number(TARGET_PHYS_MAX),
         "dmin": TARGET_DIG_MIN, "dmax": TARGET_DIG_MAX, "prefilter": "", "samples": spr},
    ]
    if heads is not None:
        neutral = recording.metadata.get("head_neutral_deg", "").split()
        pitch0, roll0 = (neutral[1], neutral[3]) if len(neutral) == 4 else ("X", "X")
        for label in (HEAD_PITCH_LABEL, HEAD_ROLL_LABEL):
            signals.append({
                "label": label, "transducer": texts.HEAD_EDF_TRANSDUCER, "dimension": "deg",
                "pmin": _number(HEAD_PHYS_MIN), "pmax": _number(HEAD_PHYS_MAX), "dmin": DIG_MIN,
                "dmax": DIG_MAX, "samples": spr,
                "prefilter": texts.HEAD_EDF_PREFILTER.format(pitch=pitch0, roll=roll0)})
    signals += [
        {"label": "EDF Annotations", "transducer": "", "dimension": "", "pmin": "-1",
         "pmax": "1", "dmin": DIG_MIN, "dmax": DIG_MAX, "prefilter": "", "samples": ann_spr},
    ]
    p_dig = to_digital(pressure, PHYS_MIN_MMHG, PHYS_MAX_MMHG).reshape(n_records, spr)
    g_dig = target_digital(target).reshape(n_records, spr)
    h_dig = ([to_digital(h, HEAD_PHYS_MIN, HEAD_PHYS_MAX).reshape(n_records, spr)
              for h in heads[:2]] if heads is not None else [])
    path = Path(path)
    with atomic_writer(path) as out:
        out.write(_header(_code(patient_code), start, f"cctf_{serial}" if serial else "cctf",
                          n_records, signals))
        for k in range(n_records):
            tals = b"".join(per_record[k])
            out.write(p_dig[k].tobytes())
            out.write(g_dig[k].tobytes())
            for h in h_dig:
                out.write(h[k].tobytes())
            out.write(tals.ljust(2 * ann_spr, b"\x00"))
    return path


def _head_signals(recording: SessionRecording, grid: np.ndarray, idx: np.ndarray, n: int,
                  rate: float) -> tuple[np.ndarray, np.ndarray, list[Annotation]]:
    """Pitch and roll on the grid: the nearest sample's angle (never interpolated across a
    missing one), −180 where not measured, and an annotation per not-measured stretch."""
    assert recording.head_pitch_deg is not None and recording.head_roll_deg is not None
    t_s = recording.t_s
    nxt = np.clip(idx + 1, 0, len(t_s) - 1)
    nearest = np.where(np.abs(t_s[nxt] - grid) < np.abs(grid - t_s[idx]), nxt, idx)
    far = np.abs(t_s[nearest] - grid) > 1.0 / rate  # a signal gap: no sample near
    out = []
    for values in (recording.head_pitch_deg, recording.head_roll_deg):
        v = values[nearest].copy()
        v[far] = np.nan
        v[n:] = np.nan
        out.append(v)
    missing = np.isnan(out[0][:n]) | np.isnan(out[1][:n])
    notes = []
    edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
    t0 = grid[0]
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        seconds = (b - a) / rate
        notes.append(Annotation(float(grid[a] - t0), seconds,
                                texts.HEAD_EDF_NOT_MEASURED.format(seconds=seconds)))
    pitch, roll = (np.nan_to_num(v, nan=HEAD_PHYS_MIN) for v in out)
    return pitch, roll, notes


def _code(code: str) -> str:
    return code if code and code != "—" else "X"


def _nominal_rate(recording: SessionRecording) -> float:
    meta = recording.metadata.get("sample_rate_hz", "")
    try:
        rate = float(meta)
        if 1 <= rate <= 1000:
            return rate
    except ValueError:
        pass
    return 1.0 / float(np.median(np.diff(recording.t_s)))
