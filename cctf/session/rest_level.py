"""The rest level a live trace marks as its baseline line: the latest measured one.

A leaking cuff lets the rest level fall between trials (20 → 18.5 mmHg); a line that stayed at
the first trial's rest, or at the nominal 20, would hide that. Before any rest has been
measured there is no line (NaN), never a made-up value.
"""

from __future__ import annotations

import math

from cctf.analysis.engine import CcftAnalyzer


def current_rest_mmhg(analyzer: CcftAnalyzer) -> float:
    """The open trial's rest level once measured, else the last finished trial's, else NaN."""
    open_trial = analyzer.open_trial
    if open_trial is not None and not math.isnan(open_trial.rest_mmhg):
        return open_trial.rest_mmhg
    for trial in reversed(analyzer.trials):
        if not math.isnan(trial.rest_mmhg):
            return trial.rest_mmhg
    return math.nan
