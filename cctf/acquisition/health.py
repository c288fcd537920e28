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
    """Sample rate over a sliding window of sample times (host time line)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def add(self, t_s: float) -> None:
        self._times.append(t_s)
        while self._times and self._times[0] < t_s - self.window_s:
            self._times.popleft()

    def reset(self) -> None:
        self._times.clear()

    @property
    def rate_hz(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0
