"""Link health: what a clinician's status bar and a session file's footer need to know."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from enum import StrEnum


class LinkState(StrEnum):
    CLOSED = "closed"
    CONNECTING = "connecting"
    IDLE = "idle"  # connected, not streaming
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """Something that happened to the link, on the host time line (``Device.clock``)."""

    kind: str  # "disconnected", "reconnected", "gap", "device_reset", "other_device"
    t_s: float
    detail: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True)
class LinkHealth:
    """A snapshot; every count is since the device object was made."""

    state: LinkState
    rate_hz: float  # measured over the last few seconds of samples
    samples: int
    frames_ok: int
    corrupt: int
    missing: int
    resyncs: int
    duplicates: int
    device_resets: int
    reconnects: int
    gaps: int
    gap_s: float
    bytes_in: int

    def summary(self) -> str:
        """One line for a status bar or the end of ``cctf record``."""
        return (
            f"{self.state.value}, {self.rate_hz:.1f} Hz, {self.samples} samples, "
            f"{self.corrupt} corrupt, {self.missing} missing, {self.resyncs} resyncs, "
            f"{self.device_resets} device resets, {self.reconnects} reconnects "
            f"({self.gaps} gaps, {self.gap_s:.2f} s)"
        )

    def as_metadata(self) -> dict[str, str]:
        out = {f"link_{k}": str(v) for k, v in asdict(self).items() if k != "state"}
        out["link_rate_hz"] = f"{self.rate_hz:.3f}"
        out["link_gap_s"] = f"{self.gap_s:.3f}"
        return out


class RateMeter:
    """Sample rate over a sliding window, fed whole batches (cheap at any rate)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._batches: deque[tuple[float, int]] = deque()  # (time of last sample, count)

    def add(self, t_last_s: float, n: int = 1) -> None:
        self._batches.append((t_last_s, n))
        while len(self._batches) > 2 and self._batches[1][0] < t_last_s - self.window_s:
            self._batches.popleft()

    def reset(self) -> None:
        self._batches.clear()

    @property
    def rate_hz(self) -> float:
        """Samples after the oldest batch, over the time since its last sample."""
        if len(self._batches) < 2:
            return 0.0
        span = self._batches[-1][0] - self._batches[0][0]
        n = sum(count for _, count in self._batches) - self._batches[0][1]
        return n / span if span > 0 else 0.0
