"""Link quality over the last 30 s, from the device's running counts (no Qt, no wall time).

The counts a ``LinkHealth`` carries grow for as long as the device object lives, so 175 frames
lost an hour ago would colour the bar for ever; this keeps snapshots of them and judges only
what changed within ``WINDOW_S``: "unstable" when more than 1 % of the frames that should
have arrived were lost, or as many arrived corrupt.

    window = LinkWindow()
    window.add(clock_s, frames_ok, missing, corrupt)    # a few times a second
    q = window.quality(clock_s)                          # q.level: "ok" / "unstable"
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW_S = 30.0
UNSTABLE_FRACTION = 0.01


@dataclass(frozen=True, slots=True)
class LinkQuality:
    level: str  # "ok", "unstable" or "none" (no frames in the window)
    lost: int  # frames lost within the window
    corrupt: int  # frames that arrived corrupt within the window
    expected: int  # frames that should have arrived within the window
    window_s: float

    @property
    def lost_fraction(self) -> float:
        return self.lost / self.expected if self.expected else 0.0

    @property
    def corrupt_fraction(self) -> float:
        return self.corrupt / self.expected if self.expected else 0.0

    @property
    def worst(self) -> tuple[str, float]:
        """("lost" or "corrupt", its fraction): whichever is larger."""
        if self.corrupt_fraction > self.lost_fraction:
            return "corrupt", self.corrupt_fraction
        return "lost", self.lost_fraction


class LinkWindow:
    """Snapshots of cumulative (frames_ok, missing, corrupt) on one clock."""

    def __init__(self, window_s: float = WINDOW_S,
                 unstable_fraction: float = UNSTABLE_FRACTION) -> None:
        self.window_s = window_s
        self.unstable_fraction = unstable_fraction
        self._snaps: deque[tuple[float, int, int, int]] = deque()

    def reset(self) -> None:
        self._snaps.clear()

    def add(self, t_s: float, frames_ok: int, missing: int, corrupt: int) -> None:
        if self._snaps:
            last = self._snaps[-1]
            if frames_ok < last[1] or missing < last[2] or corrupt < last[3]:
                self._snaps.clear()  # another device object: counts started again
            elif t_s < last[0]:
                return
        self._snaps.append((t_s, frames_ok, missing, corrupt))
        # Keep one snapshot at or before the window's start: the baseline to count from.
        while len(self._snaps) > 2 and self._snaps[1][0] <= t_s - self.window_s:
            self._snaps.popleft()

    def quality(self, now_s: float | None = None) -> LinkQuality:
        if len(self._snaps) < 2:
            return LinkQuality("none", 0, 0, 0, self.window_s)
        newest = self._snaps[-1]
        start = now_s - self.window_s if now_s is not None else newest[0] - self.window_s
        base = self._snaps[0]
        for snap in self._snaps:
            if snap[0] <= start:
                base = snap
        ok = newest[1] - base[1]
        lost = newest[2] - base[2]
        corrupt = newest[3] - base[3]
        expected = ok + lost
        if expected <= 0:
            return LinkQuality("none", lost, corrupt, expected, self.window_s)
        worst = max(lost, corrupt) / expected
        level = "unstable" if worst > self.unstable_fraction else "ok"
        return LinkQuality(level, lost, corrupt, expected, self.window_s)
