"""Headless rules behind issue 13's small things: a signal-gap alert leaves the live panel once
samples are back (sample time, not wall time), the baseline line is the latest measured rest
level (NaN before one), and starting on an unsettled cuff produces the guide's words."""

from __future__ import annotations

import math
from types import SimpleNamespace

from cctf import texts
from cctf.session.alerts import GAP_SHOWN_S, AlertLog
from cctf.session.rest_level import current_rest_mmhg
from cctf.session.setup import SetupStatus, start_warning


def test_a_gap_alert_is_shown_until_a_while_after_the_samples_are_back():
    log = AlertLog()
    log.add("no signal for 3.06 s", 10.0, "signal_gap", 3.06)
    log.add("rest level falling", 11.0, "leak", -0.9)
    log.append("the recorder stopped")
    back = 13.06
    assert log.current(back) == list(log)
    assert log.current(back + GAP_SHOWN_S - 0.01) == list(log)
    assert log.current(back + GAP_SHOWN_S) == ["rest level falling", "the recorder stopped"]
    assert log.current(math.nan) == list(log), "time unknown: nothing is hidden"
    assert list(log) == ["no signal for 3.06 s", "rest level falling", "the recorder stopped"]


def _trial(rest: float):
    return SimpleNamespace(rest_mmhg=rest)


def test_the_baseline_line_is_the_latest_measured_rest_level():
    analyzer = SimpleNamespace(open_trial=None, trials=[])
    assert math.isnan(current_rest_mmhg(analyzer)), "nothing before a rest is measured"
    analyzer.trials = [_trial(20.1), _trial(19.4)]
    assert current_rest_mmhg(analyzer) == 19.4
    analyzer.open_trial = _trial(math.nan)  # the next trial's rest not measured yet
    assert current_rest_mmhg(analyzer) == 19.4
    analyzer.open_trial = _trial(18.5)
    assert current_rest_mmhg(analyzer) == 18.5


def test_starting_on_an_unsettled_cuff_gives_the_guides_words():
    assert start_warning(SetupStatus("ready", 20.0), 20.0) is None
    words = start_warning(SetupStatus("steadying", 20.4), 20.0)
    assert words == texts.SETUP_STATE["steadying"].format(level=20.4, baseline=20.0)
    assert "settle" in words
