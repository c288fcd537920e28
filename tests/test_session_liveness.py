"""No signal for 0.5 s is not live, whatever the last value was; and the reason is named."""

from __future__ import annotations

from cctf.session.liveness import STALE_AFTER_S, SignalWatch, judge_signal


def test_live_while_samples_keep_arriving():
    watch = SignalWatch()
    watch.saw_samples(10.0)
    assert watch.status(10.0 + STALE_AFTER_S - 0.01, "streaming").live


def test_stale_after_half_a_second_without_samples():
    watch = SignalWatch()
    watch.saw_samples(10.0)
    status = watch.status(10.0 + STALE_AFTER_S, "streaming")
    assert not status.live and status.reason == "no_data"
    assert abs(status.age_s - STALE_AFTER_S) < 1e-9


def test_reasons_disconnected_reconnecting_device_reset():
    assert judge_signal(5.0, 4.9, "closed").reason == "disconnected"  # even with fresh data
    assert judge_signal(5.0, 3.0, "reconnecting").reason == "reconnecting"
    assert judge_signal(5.0, 3.0, "streaming", last_reset_s=3.2).reason == "device_reset"
    assert judge_signal(5.0, 3.0, "streaming", last_reset_s=1.0).reason == "no_data"


def test_never_live_before_the_first_sample():
    status = SignalWatch().status(0.0, "streaming")
    assert not status.live and status.reason == "no_data"


def test_live_again_when_samples_return():
    watch = SignalWatch()
    watch.saw_samples(1.0)
    assert not watch.status(3.0, "streaming").live
    watch.saw_samples(3.0)
    assert watch.status(3.1, "streaming").live
