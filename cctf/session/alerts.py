"""The session's alerts: every one kept for the results, but shown live only while it matters.

"no signal for 3.06 s" is news when the samples come back, not a standing condition: once the
link is back it is shown for ``GAP_SHOWN_S`` of sample time, then leaves the live panel (it
stays in the session's list and the results). Other alerts (leak, baseline off, the recorder's
error) stay until the session ends. No wall time: ``current`` takes the session's sample time.
"""

from __future__ import annotations

import math

GAP_SHOWN_S = 5.0  # sample time a signal-gap alert stays on screen after the samples are back


class AlertLog(list):
    """A ``list[str]`` of every alert, in order, that also knows how long each is current."""

    def __init__(self) -> None:
        super().__init__()
        self._until: dict[int, float] = {}  # index -> sample time it stops being shown

    def add(self, text: str, t_s: float, kind: str, value: float) -> None:
        """An analysis session event (``kind`` its type, ``value`` the gap length for gaps)."""
        if kind == "signal_gap" and math.isfinite(t_s) and math.isfinite(value):
            self._until[len(self)] = t_s + value + GAP_SHOWN_S
        self.append(text)

    def current(self, now_s: float) -> list[str]:
        """The alerts to show at sample time ``now_s`` (all of them when it is not known)."""
        if math.isnan(now_s):
            return list(self)
        return [text for i, text in enumerate(self) if now_s < self._until.get(i, math.inf)]
