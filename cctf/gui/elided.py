"""A one-line label that shortens its text with "…" to the width it is given, so a long path
or status never widens or grows the window. ``text()`` is the whole text; ``shown()`` what
fits; the whole text is also the tooltip unless ``tooltip=False`` (the owner sets its own)."""

from __future__ import annotations

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
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:
        self.full_text = text
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
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self.full_text, self.mode, max(width, 0))
        if shown != QLabel.text(self):
            QLabel.setText(self, shown)
