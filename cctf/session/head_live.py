"""The head sensor in the app (issue 17), headless: zeroing, zeroed angles and a short history.

One ``HeadLive`` per connection. While a sensor is fitted it zeroes itself from the first still
2 s of the stream (``HeadZeroing``: the patient lies still while the cuff is set up), turns
each sample's device-absolute angles into flexion/roll from that neutral (NaN = not measured,
and before the neutral is known), keeps the last ``keep_s`` for the trace, and says whether the
newest angle is current. Time is the samples' display time, never the wall clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cctf import texts
from cctf.acquisition.head_zero import NEUTRAL_KEY, NO_NEUTRAL, HeadNeutral, StreamZeroing
from cctf.analysis.head import stage_angles as stage_angles  # re-exported for the panel

STALE_S = 0.5
"""The newest angle older than this (by sample time) while samples arrive: not current."""


class HeadLive:
    def __init__(self, fitted: bool = False, keep_s: float = 120.0) -> None:
        self.fitted = fitted
        self.keep_s = keep_s
        self.zeroing = StreamZeroing()
        self.t = np.zeros(0)
        self.pitch = np.zeros(0)
        self.latest_t_s = math.nan  # display time of the newest sample seen
        self.latest_angle_t_s = math.nan  # ... and of the newest one with an angle

    @property
    def neutral(self) -> HeadNeutral | None:
        return self.zeroing.neutral

    def rezero(self) -> None:
        """Find the neutral again from the next still 2 s (the headband moved, or the patient
        was not lying still). Never during a recording: a file keeps one neutral."""
        self.zeroing = StreamZeroing()

    def feed(self, t_s: np.ndarray,
             rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Zeroed (pitch, roll) for these buffer rows; None when no sensor is fitted."""
        if not self.fitted:
            return None
        zp, zr = self.zeroing.zero(t_s, rows["head_pitch_deg"], rows["head_roll_deg"])
        if len(t_s):
            self.latest_t_s = float(t_s[-1])
            ok = np.flatnonzero(np.isfinite(zp))
            if len(ok):
                self.latest_angle_t_s = float(t_s[ok[-1]])
            self.t = np.concatenate((self.t, t_s))
            self.pitch = np.concatenate((self.pitch, zp))
            keep = self.t >= self.t[-1] - self.keep_s
            if not keep[0]:
                self.t, self.pitch = self.t[keep], self.pitch[keep]
        return zp, zr

    def window(self, t_from_s: float, t_to_s: float) -> tuple[np.ndarray, np.ndarray]:
        m = (self.t >= t_from_s) & (self.t <= t_to_s)
        return self.t[m], self.pitch[m]

    @property
    def current(self) -> bool:
        """The newest sample carries an angle (or one came within ``STALE_S`` of it)."""
        return (math.isfinite(self.latest_angle_t_s)
                and self.latest_t_s - self.latest_angle_t_s <= STALE_S)

    def metadata(self) -> dict[str, str]:
        """The session file's ``head_neutral_deg`` line (only when a sensor is fitted)."""
        if not self.fitted:
            return {}
        neutral = self.neutral
        return {NEUTRAL_KEY: neutral.metadata_value() if neutral is not None else NO_NEUTRAL}


def head_cells(head: tuple[np.ndarray, np.ndarray] | None, n: int) -> dict[str, np.ndarray]:
    """The session CSV's head columns as text: two decimals, blank = not measured."""
    out = {}
    for name, k in (("head_pitch_deg", 0), ("head_roll_deg", 1)):
        cells = np.full(n, "", dtype=object)
        if head is not None:
            values = head[k]
            ok = np.isfinite(values)
            cells[ok] = [f"{v:.2f}" for v in values[ok]]
        out[name] = cells
    return out


MIN_MEASURED_FRACTION = 0.8
"""As the analysis (``head_min_measured_fraction``): less of the window with an angle is
"not measured", never a mean of a few samples."""


def hold_flexion_deg(head: HeadLive, from_display_s: float, to_display_s: float) -> float:
    """The mean zeroed pitch from reaching the target to now (display times): the flexion at
    this hold so far, as the analysis will compute it at the trial's end; NaN when too little
    of it was measured (or no sensor)."""
    if not head.fitted or not to_display_s >= from_display_s:
        return math.nan
    _, pitch = head.window(from_display_s, to_display_s)
    ok = np.isfinite(pitch)
    if not len(pitch) or ok.mean() < MIN_MEASURED_FRACTION:
        return math.nan
    return float(pitch[ok].mean())


def live_head_text(stages: Sequence[tuple[float, float]], under_way: bool,
                   now_deg: float = math.nan, reached: bool = False) -> str:
    """The live trial panel's head line: during a cued trial (``under_way``) the flexion at
    the hold so far once the target is reached (``now_deg``), then each finished stage's.
    "not measured" where the sensor gave no angle — never 0; "" when there is nothing."""
    return live_head_texts(stages, under_way, now_deg, reached)[0]


def live_head_texts(stages: Sequence[tuple[float, float]], under_way: bool,
                    now_deg: float = math.nan, reached: bool = False) -> list[str]:
    """The head line whole (``live_head_text``), then shorter and shorter for a narrow panel:
    the oldest stages go first ("…" says that some did), "this hold" and the newest stage stay
    longest — at 1280 px the therapist sees the stages of now, not those of the start; while
    the target is not reached yet, a short "this hold: not yet" leaves room for them. The
    panel shows the longest that fits; the whole is its tooltip."""
    cells = [texts.HEAD_LIVE_STAGE.format(target=target, angle=texts.head_deg(deg))
             for target, deg in stages]
    nows: list[list[str]] = [[]]
    if under_way:
        nows = ([[texts.HEAD_LIVE_NOW.format(angle=texts.head_deg(now_deg))]] if reached
                else [[texts.HEAD_LIVE_WAITING], [texts.HEAD_LIVE_WAITING_SHORT]])
    if not under_way and not cells:
        return [""]
    out = []
    for k, now in enumerate(nows):  # "this hold" alone ("now · …") only as the last resort
        alone = 1 if now and k == len(nows) - 1 else 0
        for dropped in range(max(len(cells) + alone, 1)):
            parts = now + ([texts.HEAD_LIVE_EARLIER] if dropped else []) + cells[dropped:]
            out.append(texts.HEAD_LIVE.format(parts=" · ".join(parts)))
    return out
