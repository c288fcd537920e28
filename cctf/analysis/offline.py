"""Analyse a whole recording through the same real-time path the app uses."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.median import median
from cctf.analysis.results import SessionResult
from cctf.analysis.scoring import ScoringPlan
from cctf.errors import ConfigError
from cctf.sessionfile import Ending, SessionRecording, parse_ended

DEFAULT_BLOCK = 1 << 16
# No sample for longer than this before the recording's end is an outage open at the end (the
# same allowance as cctf.acquisition.recorder.TRAILING_GAP_S: delivery takes up to a poll).
TRAILING_GAP_S = 1.0


def estimate_rate_hz(t_s: np.ndarray) -> float:
    """Nominal sample rate from the median interval (robust to jitter and missing samples)."""
    if len(t_s) < 2:
        return 50.0
    dt = median(np.diff(t_s))
    return 1.0 / dt if dt > 0 else 50.0


def analyze_arrays(
    t_s: np.ndarray,
    pressure_mmhg: np.ndarray,
    target_mmhg: np.ndarray,
    phase: np.ndarray,
    *,
    rate_hz: float | None = None,
    config: AnalysisConfig | None = None,
    chunk_size: int | None = None,
    plan: ScoringPlan | None = None,
    ending: Ending | None = None,
    end_s: float | None = None,
    head_pitch_deg: np.ndarray | None = None,
) -> SessionResult:
    """Feed the arrays to a ``CcftAnalyzer`` (all at once, or ``chunk_size`` at a time).
    ``ending``: how the test ended (None: the data decides, see ``CcftAnalyzer.finish``)."""
    rate = rate_hz if rate_hz is not None else estimate_rate_hz(np.asarray(t_s))
    engine = CcftAnalyzer(rate, config, plan)
    n = len(t_s)
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    # Fed in blocks by default: the same answer as all at once (the engine's contract), with
    # memory bounded by the block, not the recording (a 10⁷-row file, issue 10).
    step = chunk_size or DEFAULT_BLOCK
    for a in range(0, n, step):
        b = a + step
        engine.update(t_s[a:b], pressure_mmhg[a:b], target_mmhg[a:b], phase[a:b],
                      None if head_pitch_deg is None else head_pitch_deg[a:b])
    if ending is None:
        engine.finish(end_s)
    else:
        engine.finish(end_s, ended_early_s=ending.early_at_s, complete=ending.complete)
    return engine.result()


def protocol_of(metadata: Mapping[str, str]) -> dict[str, str]:
    """The ``protocol_<field>`` metadata the app writes, as {field: text}."""
    return {k[len("protocol_"):]: v for k, v in metadata.items()
            if k.startswith("protocol_") and k != "protocol_version"}


def config_from_protocol(protocol: Mapping[str, object] | None) -> AnalysisConfig:
    """The thresholds a session ran with: hold, band and nominal baseline from its protocol;
    defaults for anything missing or unusable."""
    cfg = AnalysisConfig()
    changes: dict[str, Any] = {}
    for key, name in (("hold_s", "hold_s"), ("band_mmhg", "band_mmhg"),
                      ("baseline_mmhg", "nominal_baseline_mmhg")):
        try:
            value = float(str((protocol or {}).get(key, "nan")))
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            changes[name] = value
    try:
        return replace(cfg, **changes)
    except ConfigError:  # an odd file: judge it with the defaults
        return cfg


def analyze_recording(
    recording: SessionRecording,
    *,
    config: AnalysisConfig | None = None,
    chunk_size: int | None = None,
    plan: ScoringPlan | None = None,
) -> SessionResult:
    """Judge a session file with the thresholds and plan its metadata name (``protocol_*``;
    ``config``/``plan`` given win) and the way it ``ended``."""
    protocol = protocol_of(recording.metadata)
    return analyze_arrays(
        recording.t_s, recording.pressure_mmhg, recording.target_mmhg, recording.phase,
        config=config if config is not None else config_from_protocol(protocol),
        chunk_size=chunk_size,
        plan=plan if plan is not None else ScoringPlan.from_protocol(protocol),
        ending=parse_ended(recording.metadata),
        end_s=recording_end_s(recording),
        head_pitch_deg=recording.head_pitch_deg,
    )


def recording_end_s(recording: SessionRecording) -> float | None:
    """When the recorder stopped (``recording_end_s`` in the header), if it says so and that
    is more than ``TRAILING_GAP_S`` after the last sample: the samples of a recording whose
    link died stop earlier."""
    try:
        end = float(recording.metadata.get("recording_end_s", "nan"))
    except ValueError:
        return None
    if not np.isfinite(end) or not len(recording) or (
            end - float(recording.t_s[-1]) <= TRAILING_GAP_S):
        return None  # the last samples were still being delivered: not an outage
    return min(end, float(recording.t_s[-1]) + 7 * 86400.0)
