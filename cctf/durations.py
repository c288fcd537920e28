"""One way to write a duration for people: ``format_duration(119.97) == "2 min 00 s"``.

Rounded to whole seconds *first*, then split — so 119.97 s is "2 min 00 s", never
"1 min 60 s". Under a minute: "42 s"; from an hour: "1 h 02 min 05 s". A duration that is
not a finite, non-negative number is not measured: "—".
"""

from __future__ import annotations

import math

NOT_MEASURED = "—"


def format_duration(seconds: float) -> str:
    if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        return NOT_MEASURED
    total = math.floor(seconds + 0.5)  # half up, the same for every value
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
