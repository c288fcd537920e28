"""Helpers for the records tests: synthetic session CSVs with known scores, a snapshot of a
data folder (to prove that a refused input changed nothing), and an independent EDF+ reader.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cctf.sessionfile import SessionWriter

from .analysis_traces import min_jerk

CUE_S, GAP_S, MOVE_S = 14.0, 10.0, 1.5


def _cue_plan(activation_mmhg: int, endurance_passed: int, reps: int) -> list[tuple]:
    """(target, phase, held) per cue: stages pass up to ``activation``, the next fails;
    endurance at the activation level, ``endurance_passed`` of ``reps`` held."""
    plan = []
    for k in range(5):
        target = 22 + 2 * k
        held = target - 20 <= activation_mmhg
        plan.append((float(target), "stage", held))
        if not held:
            break
    if activation_mmhg > 0:
        plan += [(20.0 + activation_mmhg, "endurance", r < endurance_passed) for r in range(reps)]
    return plan


def _training_plan(target: float, reps: int, held: int) -> list[tuple]:
    return [(target, "training", r < held) for r in range(reps)]


def write_session_csv(path: Path, plan: list[tuple], *, rate_hz: float = 20.0,
                      metadata: dict[str, object] | None = None,
                      head_deg_per_mmhg: float | None = None) -> Path:
    """A clean synthetic trace: rest at 20 mmHg, smooth nods to each cued level (a held cue
    sits on the target; a failed one stays 2.5 mmHg short). ``head_deg_per_mmhg``: with the
    head sensor's columns, the head flexing that much per mmHg of the nod (roll 0)."""
    starts = [5.0 + k * (CUE_S + GAP_S) for k in range(len(plan))]
    end = (starts[-1] + CUE_S + GAP_S) if plan else 30.0
    t = np.arange(int(end * rate_hz)) / rate_hz + 0.05
    p = np.full_like(t, 20.0)
    target = np.full_like(t, np.nan)
    phase = np.full(len(t), "", dtype=object)
    for a, (tgt, ph, held) in zip(starts, plan, strict=True):
        level = tgt if held else tgt - 2.5
        p += (level - 20.0) * (min_jerk((t - a) / MOVE_S) - min_jerk((t - a - CUE_S - 0.5)
                                                                     / MOVE_S))
        cue = (t >= a) & (t < a + CUE_S)
        target[cue] = tgt
        phase[cue] = ph
    meta = {"started_at": "2025-03-03T10:00:00+01:00", "device_serial": "SIM00001",
            "firmware_version": "1.0.0", "sample_rate_hz": f"{rate_hz:g}", "calibration_id": "7",
            **(metadata or {})}
    n = len(t)
    extra = {"raw": np.arange(n) + 700, "flags": np.zeros(n, int), "seq": np.arange(n)}
    if head_deg_per_mmhg is not None:
        extra["head_pitch_deg"] = np.round(head_deg_per_mmhg * (p - 20.0), 2)
        extra["head_roll_deg"] = np.zeros(n)
    w = SessionWriter(path, meta, tuple(extra))
    w.write(t, p, target, list(phase), extra)
    w.close({"link_events": "none"})
    return path


def clinic_csv(path: Path, activation_mmhg: int = 8, endurance_passed: int = 10, reps: int = 10,
               **kw: object) -> Path:
    """A clinic session scoring ``activation_mmhg`` and PI = activation × passed."""
    return write_session_csv(path, _cue_plan(activation_mmhg, endurance_passed, reps),
                             **kw)  # type: ignore[arg-type]


def training_csv(path: Path, target: float = 24.0, reps: int = 10, held: int = 10,
                 **kw: object) -> Path:
    meta = {"session": "training", **(kw.pop("metadata", None) or {})}  # type: ignore[dict-item]
    return write_session_csv(path, _training_plan(target, reps, held), metadata=meta,
                             **kw)  # type: ignore[arg-type]


# --- "nothing changed" -------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` by content (the database by its logical dump, so that a
    checkpoint does not count as a change)."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            out[rel] = "dir"
        elif path.name.endswith(("-wal", "-shm")):
            continue
        elif path.name == "cctf.db":
            conn = sqlite3.connect(path)
            try:
                out[rel] = "\n".join(conn.iterdump())
            finally:
                conn.close()
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --- an independent EDF+ reader (from the spec, not from cctf.records.edf) ------------------------


@dataclass
class EdfFile:
    header: dict[str, str]
    labels: list[str]
    dimensions: list[str]
    samples_per_record: list[int]
    n_records: int
    record_s: float
    signals: dict[str, np.ndarray]  # physical values
    annotations: list[tuple[float, float | None, str]]
    record_onsets: list[float]


def read_edf(path: Path) -> EdfFile:
    raw = Path(path).read_bytes()
    assert all(32 <= b < 127 for b in raw[:256]), "header must be printable ASCII"
    fields = [("version", 8), ("patient", 80), ("recording", 80), ("startdate", 8),
              ("starttime", 8), ("header_bytes", 8), ("reserved", 44), ("n_records", 8),
              ("record_s", 8), ("ns", 4)]
    header, pos = {}, 0
    for name, width in fields:
        header[name] = raw[pos:pos + width].decode("ascii").strip()
        pos += width
    ns = int(header["ns"])
    assert int(header["header_bytes"]) == 256 * (ns + 1)

    def column(width: int) -> list[str]:
        nonlocal pos
        out = [raw[pos + k * width:pos + (k + 1) * width].decode("ascii").strip()
               for k in range(ns)]
        pos += ns * width
        return out

    labels, _trans, dims = column(16), column(80), column(8)
    pmin, pmax = [float(x) for x in column(8)], [float(x) for x in column(8)]
    dmin, dmax = [int(x) for x in column(8)], [int(x) for x in column(8)]
    _pref, spr = column(80), [int(x) for x in column(8)]
    column(32)
    assert pos == 256 * (ns + 1)
    n_records, record_s = int(header["n_records"]), float(header["record_s"])
    record_bytes = 2 * sum(spr)
    assert len(raw) == pos + n_records * record_bytes, "file size must match the header"
    parts: dict[str, list[np.ndarray]] = {lb: [] for lb in labels}
    tal_bytes: list[bytes] = []
    for r in range(n_records):
        off = pos + r * record_bytes
        for k, lb in enumerate(labels):
            chunk = raw[off:off + 2 * spr[k]]
            off += 2 * spr[k]
            if lb == "EDF Annotations":
                tal_bytes.append(chunk)
            else:
                dig = np.frombuffer(chunk, "<i2").astype(float)
                gain = (pmax[k] - pmin[k]) / (dmax[k] - dmin[k])
                parts[lb].append((dig - dmin[k]) * gain + pmin[k])
    annotations, onsets = [], []
    for chunk in tal_bytes:
        tals = chunk.rstrip(b"\x00").split(b"\x14\x00")
        for j, tal in enumerate(t for t in tals if t):
            head, *texts = tal.split(b"\x14")
            onset_text, _, dur_text = head.partition(b"\x15")
            onset = float(onset_text)
            assert onset_text[:1] in (b"+", b"-")
            words = [x.decode("utf-8") for x in texts if x]
            if j == 0:
                assert not words, "each record starts with a time-keeping TAL"
                onsets.append(onset)
            else:
                for w in words:
                    annotations.append((onset, float(dur_text) if dur_text else None, w))
    signals = {lb: np.concatenate(v) for lb, v in parts.items() if lb != "EDF Annotations"}
    return EdfFile(header, labels, dims, spr, n_records, record_s, signals, annotations, onsets)
