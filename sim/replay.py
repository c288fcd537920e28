"""Replay a recorded session CSV as a live device.

The recorded pressure is played back through an ideal sensor (no offset or gain error, and
just enough noise, 0.01 mmHg, to dither the 16 oversampled ADC reads to their full resolution),
so what the host receives equals the recording to about 0.01 mmHg RMS; the
recording's cued trials become the replay's schedule, so targets come back too. A recording with
head angles (issue 17) replays them through a head sensor: each sample's own angle, the neutral
from the file's metadata added back (device-absolute, as the sensor reports), not measured where
the file has none (sent as HEAD_FAULT) — never interpolated across a missing one.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from cctf.acquisition.head_zero import NEUTRAL_KEY, parse_neutral
from cctf.acquisition.protocol import CalFlags
from cctf.sessionfile import SessionRecording, read_session
from cctf.sim.firmware import SimulatedFirmware
from cctf.sim.sensor import SensorParams, SimulatedSensor
from cctf.sim.source import Cue


class ReplaySource:
    """A ``PressureSource`` that plays a recording from its first sample, then holds the last."""

    def __init__(self, recording: SessionRecording) -> None:
        if len(recording) < 2:
            raise ValueError("a recording needs at least two samples to replay")
        self.recording = recording
        self.t0_s = float(recording.t_s[0])
        self.schedule = cues_of(recording)

    @property
    def duration_s(self) -> float:
        return float(self.recording.t_s[-1] - self.t0_s)

    def pressure_mmhg(self, t_s: np.ndarray) -> np.ndarray:
        rec = self.recording
        return np.interp(np.asarray(t_s) + self.t0_s, rec.t_s, rec.pressure_mmhg)

    def cue(self, t_s: float, target_mmhg: float | None, phase: str = "") -> None:
        pass  # a recording cannot follow new cues

    def head_angles(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The recorded head angle of the sample nearest each time (NaN: not measured)."""
        rec = self.recording
        assert rec.head_pitch_deg is not None and rec.head_roll_deg is not None
        neutral = parse_neutral(rec.metadata.get(NEUTRAL_KEY)) or (0.0, 0.0)
        t = np.asarray(t_s, dtype=float) + self.t0_s
        i = np.clip(np.searchsorted(rec.t_s, t), 1, len(rec.t_s) - 1)
        nearest = np.where(t - rec.t_s[i - 1] <= rec.t_s[i] - t, i - 1, i)
        return rec.head_pitch_deg[nearest] + neutral[0], rec.head_roll_deg[nearest] + neutral[1]


def cues_of(recording: SessionRecording) -> tuple[Cue, ...]:
    """The recording's trials (maximal runs of one non-blank target) as cues, in replay time."""
    target = recording.target_mmhg
    t = recording.t_s - recording.t_s[0]
    cues: list[Cue] = []
    i, n = 0, len(target)
    while i < n:
        if np.isnan(target[i]):
            i += 1
            continue
        j = i
        while j + 1 < n and target[j + 1] == target[i]:
            j += 1
        end = t[j + 1] if j + 1 < n else t[j] + (t[j] - t[j - 1] if j else 0.0)
        cues.append(Cue(float(t[i]), float(end), float(target[i]), str(recording.phase[i])))
        i = j + 1
    return tuple(cues)


def replay_firmware(path: str | Path, *, seed: int = 0) -> SimulatedFirmware:
    """A simulated board that plays back ``path`` (a session CSV)."""
    source = ReplaySource(read_session(path))
    sensor = SimulatedSensor(SensorParams(noise_mmhg=0.01, offset_mmhg=0.0, gain_error=0.0), seed)
    head = source.head_angles if source.recording.has_head else None
    fw = SimulatedFirmware(source, sensor=sensor, seed=seed, serial=b"REPLAY01", head=head)
    rate = _rate_of(source.recording)
    fw.default_rate_hz = rate
    # The ideal sensor follows the datasheet exactly, so the datasheet line is its calibration.
    fw.calibration = replace(fw.calibration, flags=CalFlags.TWO_POINT, calibration_id=1)
    return fw


def _rate_of(recording: SessionRecording) -> int:
    dt = np.median(np.diff(recording.t_s))
    return int(np.clip(round(1.0 / dt), 1, 250)) if dt > 0 else 50
