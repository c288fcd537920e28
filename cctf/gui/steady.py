"""A label whose text changes every frame, in a box that keeps the window's layout still.

Why: ``QLabel.setText`` calls ``updateGeometry``, and Qt answers that by invalidating every
layout up to the window, which then runs a whole layout pass (``QLayout::activate``, asking
every word-wrapped label of every stacked screen for its height) on the next event loop turn.
With the readout's number and the set-up status changing each frame that pass ran 25 times a
second: about a seventh of the UI thread under Xvfb (issue 14, py-spy).

A widget's ``updateGeometry`` invalidates its parent's layout, and that one all layouts up to
the window; a parent without a layout is only sent a ``LayoutRequest`` event, which a plain
widget ignores. So the label sits alone in a :class:`SteadyBox` (no layout), which the
window's layout sizes as it sized the label (same size policy, minimum, maximum and hints);
the box gives the label its own size. The label's text, font and style then change without a
layout pass; the box asks for one only when told (:meth:`SteadyBox.relayout`) or when a text
set with :meth:`SteadyBox.set_text` changes shape, and the layout sees the label's hints as
they are at its next pass.

Use it for labels whose box the layout decides, not their text (a size policy of
``Ignored``, a fixed width), or whose text is set with :meth:`SteadyBox.set_text`.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QWidget

_DIGIT = re.compile(r"[0-9]")


def shape(text: str) -> str:
    """``text`` with every digit as 0: two texts of one shape take the same room (UI fonts
    give all digits one width), so a countdown or a reading needs no new layout."""
    return _DIGIT.sub("0", text)


class SteadyBox(QWidget):
    """Holds ``label`` (see the module docstring); ``box.label`` is the label."""

    def __init__(self, label: QLabel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.setSizePolicy(label.sizePolicy())
        self.setMinimumSize(label.minimumSize())
        self.setMaximumSize(label.maximumSize())
        label.setParent(self)
        label.setGeometry(self.rect())

    def sizeHint(self) -> QSize:
        return self.label.sizeHint()

    def minimumSizeHint(self) -> QSize:
        return self.label.minimumSizeHint()

    def hasHeightForWidth(self) -> bool:
        return self.label.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        return self.label.heightForWidth(width)

    def set_text(self, text: str) -> bool:
        """Show ``text``; a layout pass only when it changed shape (see :func:`shape`): a
        countdown's next second needs none. True when the text changed."""
        old = self.label.text()
        if text == old:
            return False
        self.label.setText(text)
        if shape(text) != shape(old):
            self.relayout()
        return True

    def relayout(self) -> None:
        """The label's hints changed in a way the layout must see (a rare change: another
        font size, wrapping on or off)."""
        self.updateGeometry()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.label.setGeometry(self.rect())
