"""What the analysis has said so far about the cued trial, for the live display.

The analysis stays the judge; this only follows its events (``follow``) so that a screen can
say "reached", "holding 4 of 10 s", "held" or the faults seen, without asking the analyzer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cctf.analysis.results import Event


@dataclass(slots=True)
class LiveTrial:
    index: int | None = None
    start_s: float = math.nan  # session time the cue began
    reached_s: float | None = None  # session time the target was reached
    hold_since_s: float | None = None  # session time the current in-band hold began
    held: bool = False
    broken: int = 0  # holds broken so far
    faults: list[tuple[str, float]] = field(default_factory=list)  # (type, value)

    def follow(self, e: Event) -> LiveTrial:
        """The state after event ``e`` (a new object when a trial starts)."""
        if e.kind == "trial_start":
            return LiveTrial(index=e.trial, start_s=e.t_s)
        if e.trial != self.index:
            return self
        if e.kind == "reached":
            self.reached_s = self.hold_since_s = e.t_s
        elif e.kind == "hold_broken":
            self.hold_since_s = None
            self.broken += 1
        elif e.kind == "held":
            self.held = True
        elif e.kind == "fault":
            self.faults.append((e.type, e.value))
        return self

    def hold_remaining_s(self, hold_s: float, latest_t_s: float) -> float:
        """Seconds left of the hold at sample time ``latest_t_s`` (it stops with the data)."""
        if self.held:
            return 0.0
        if self.hold_since_s is None:
            return hold_s
        return max(0.0, hold_s - (latest_t_s - self.hold_since_s))
