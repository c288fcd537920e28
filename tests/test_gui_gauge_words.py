"""The dial's words never overprint one another or get cut, at any size a window gives it: a
1280×720 set-up page gives it ~90 px, where the stage numbers 22…28 ran into each other and
the unit under the value was cut ("mmHa")."""

from __future__ import annotations

import itertools
import math

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF

from cctf import texts
from cctf.gui.gauge import Gauge


def _ink(font, rect: QRectF, text: str) -> QRectF:
    return QFontMetricsF(font).boundingRect(rect, int(Qt.AlignmentFlag.AlignCenter), text)


@pytest.mark.parametrize("side_px", [90, 110, 140, 200, 300, 500])
@pytest.mark.parametrize("live", [True, False])
def test_no_word_of_the_dial_touches_another_or_is_cut(qtbot, side_px, live):
    gauge = Gauge()
    qtbot.addWidget(gauge)
    gauge.resize(side_px, side_px)
    gauge.set_state(20.4 if live else math.nan, (22.0, 1.0), live=live)
    words = [(text, _ink(font, rect, text)) for text, font, rect in gauge.text_layout()]
    for (a, ra), (b, rb) in itertools.combinations(words, 2):
        assert not ra.intersects(rb), f"{a!r} runs into {b!r} at {side_px} px"
    inside = QRectF(gauge.rect())
    for text, ink in words:
        assert inside.contains(ink), f"{text!r} is cut by the dial's edge at {side_px} px"
    # The value and the unit are repainted each frame inside value_rect: never cut by it.
    repainted = QRectF(gauge.value_rect())
    value, unit = words[-2], words[-1]
    assert repainted.contains(value[1]) and repainted.contains(unit[1])
    assert unit[0] == (texts.UNIT if live else texts.NO_SIGNAL)
    numbers = [w for w, _ in words[:-2]]
    assert {"20", "30"} <= set(numbers)  # the band's ends always
    if side_px >= 140:
        assert {"10", "40"} <= set(numbers)  # the scale's ends where the value leaves room
    if side_px >= 300:
        assert {"22", "24", "26", "28"} <= set(numbers)  # the stages where they fit
    gauge.grab()  # and it paints with that layout
