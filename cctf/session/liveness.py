"""Is the data on screen live? The rule every live view follows (no Qt, no wall time).

A view shows a value as current only while samples keep arriving: when none has arrived for
``STALE_AFTER_S`` on the app's clock, it greys out with "No signal" and the reason — the
device is disconnected, the link is reconnecting, the device restarted, or nothing arrives.

    watch = SignalWatch()
    watch.saw_samples(clock_now_s)                       # each tick that brought rows
    status = watch.status(clock_now_s, link_state, last_reset_s)
    status.live, status.reason                           # True, "" / False, "reconnecting"
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cctf.acquisition.health import LinkEvent

STALE_AFTER_S = 0.5
REASONS = ("disconnected", "reconnecting", "device_reset", "no_data")


@dataclass(frozen=True, slots=True)
class SignalStatus:
    live: bool
    reason: str = ""  # one of REASONS when not live
    age_s: float = math.inf  # time since the newest sample arrived


LIVE = SignalStatus(True, "", 0.0)


def judge_signal(now_s: float, last_arrival_s: float | None, link_state: str,
                 last_reset_s: float | None = None,
                 stale_after_s: float = STALE_AFTER_S) -> SignalStatus:
    """Live when a sample arrived within ``stale_after_s`` of ``now_s`` (same clock).

    ``link_state`` is the device's ``LinkState`` value ("closed" when no device);
    ``last_reset_s`` the clock time of the device's last restart, if any.
    """
    age = math.inf if last_arrival_s is None else max(0.0, now_s - last_arrival_s)
    if link_state == "closed":
        return SignalStatus(False, "disconnected", age)
    if age < stale_after_s:
        return SignalStatus(True, "", age)
    if link_state == "reconnecting":
        return SignalStatus(False, "reconnecting", age)
    if last_reset_s is not None and (last_arrival_s is None or last_reset_s >= last_arrival_s
                                     - stale_after_s):
        return SignalStatus(False, "device_reset", age)
    return SignalStatus(False, "no_data", age)


def last_reset_s(events: Sequence[LinkEvent]) -> float | None:
    """Clock time of the device's last restart among the link's events, if any."""
    return next((e.t_s for e in reversed(events) if e.kind == "device_reset"), None)


class SignalWatch:
    """Remembers when samples last arrived; ``status`` judges with ``judge_signal``."""

    def __init__(self, stale_after_s: float = STALE_AFTER_S) -> None:
        self.stale_after_s = stale_after_s
        self.last_arrival_s: float | None = None

    def reset(self) -> None:
        self.last_arrival_s = None

    def saw_samples(self, now_s: float) -> None:
        self.last_arrival_s = now_s

    def status(self, now_s: float, link_state: str,
               last_reset_s: float | None = None) -> SignalStatus:
        return judge_signal(now_s, self.last_arrival_s, link_state, last_reset_s,
                            self.stale_after_s)
