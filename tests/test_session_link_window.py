"""Link quality over the last 30 s from running counts: amber above 1 % lost or corrupt."""

from __future__ import annotations

from cctf import texts
from cctf.session.link_window import LinkWindow


def _feed(window: LinkWindow, t0: float, t1: float, ok0: int, lost_per_s: float,
          corrupt_per_s: float = 0.0, rate: int = 50, start=(0, 0)) -> tuple[int, int, int]:
    ok, lost, corrupt = ok0, float(start[0]), float(start[1])
    t = t0
    while t <= t1 + 1e-9:
        window.add(t, ok, int(lost), int(corrupt))
        t += 0.25
        ok += int(rate * 0.25)
        lost += lost_per_s * 0.25
        corrupt += corrupt_per_s * 0.25
    return ok, int(lost), int(corrupt)


def test_clean_link_is_ok():
    w = LinkWindow()
    _feed(w, 0.0, 40.0, 0, 0.0)
    q = w.quality(40.0)
    assert q.level == "ok" and q.lost == 0 and 1400 <= q.expected <= 1600


def test_three_percent_lost_is_unstable_and_says_so():
    w = LinkWindow()
    _feed(w, 0.0, 40.0, 0, lost_per_s=1.5)  # 1.5 of 51.5 a second ≈ 3 %
    q = w.quality(40.0)
    assert q.level == "unstable" and q.worst[0] == "lost"
    text = texts.LINK_STATE["unstable"] + " " + texts.LINK_UNSTABLE.format(
        pct=100 * q.worst[1], what="lost", window=q.window_s)
    assert text == "Unstable link: 3 % lost in the last 30 s"


def test_corruption_alone_can_make_it_unstable():
    w = LinkWindow()
    _feed(w, 0.0, 30.0, 0, lost_per_s=0.0, corrupt_per_s=1.0)
    q = w.quality(30.0)
    assert q.level == "unstable" and q.worst[0] == "corrupt"


def test_old_losses_leave_the_window():
    w = LinkWindow()
    ok, lost, corrupt = _feed(w, 0.0, 10.0, 0, lost_per_s=20.0)  # a bad burst early on
    assert w.quality(10.0).level == "unstable"
    _feed(w, 10.25, 45.0, ok, lost_per_s=0.0, start=(lost, corrupt))
    q = w.quality(45.0)
    assert q.level == "ok" and q.lost == 0


def test_half_a_percent_is_still_ok():
    w = LinkWindow()
    _feed(w, 0.0, 60.0, 0, lost_per_s=0.25)
    assert w.quality(60.0).level == "ok"


def test_no_frames_is_none_and_new_counts_restart():
    w = LinkWindow()
    assert w.quality(0.0).level == "none"
    w.add(0.0, 100, 5, 0)
    w.add(1.0, 100, 5, 0)
    assert w.quality(1.0).level == "none"  # nothing arrived
    w.add(2.0, 10, 0, 0)  # another device object: counts start again
    w.add(3.0, 60, 0, 0)
    assert w.quality(3.0).level == "ok"


def test_plurals():
    assert texts.plural(1, "frame") == "1 frame" and texts.plural(2, "frame") == "2 frames"
    assert (texts.link_details(50, 1, 2, 1)
            == "50 Hz · 1 frame lost · 2 corrupt frames · 1 reconnect")
    assert texts.link_details(50, 0, 1, 0) == "50 Hz · 0 frames lost · 1 corrupt frame"
