"""A one-line label that shortens its text with "…" to the width it is given, so a long path
or status never widens or grows the window. ``text()`` is the whole text; ``shown()`` what
fits; the whole text is also the tooltip unless ``tooltip=False`` (the owner sets its own).
``setText(text, shorter)``: shorter versions the owner wrote, shown whole instead when the
text does not fit (the first that does; the last one elided if none does) — so what matters
most is what stays, not just the start."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None, *,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
                 tooltip: bool = True) -> None:
        super().__init__(parent)
        self.mode = mode
        self.tooltip = tooltip
        self.full_text = ""
        self.shorter: tuple[str, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str, shorter: Sequence[str] = ()) -> None:
        self.full_text = text
        self.shorter = tuple(shorter)
        if self.tooltip:
            self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self.full_text

    def shown(self) -> str:
        return QLabel.text(self)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width(), 0)
        fm = self.fontMetrics()
        versions = (self.full_text, *self.shorter)
        shown = next((t for t in versions if fm.horizontalAdvance(t) <= width), None)
        if shown is None:  # none fits whole: the shortest, elided
            shown = fm.elidedText(versions[-1], self.mode, width)
        if shown != QLabel.text(self):
            QLabel.setText(self, shown)
