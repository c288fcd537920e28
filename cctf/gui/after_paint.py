"""Work that must follow a frame but need not be on it: run after the frame's paint.

A widget's ``update()`` posts Qt's paint request (``QEvent.UpdateRequest``) at low priority; a
zero timer or a queued call is posted at normal priority and so runs *before* the paint. An
event posted here at a priority below the paint request's runs after it, in the same pass of
the event loop: a sample reaches the screen without waiting for bookkeeping that does not
change the picture (at 50 Hz a frame has about 10 ms for its tick and paint, issue 14).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt

_EVENT = QEvent.Type(QEvent.registerEventType())
_PRIORITY = int(Qt.EventPriority.LowEventPriority.value) - 1  # below the paint request


class AfterPaint(QObject):
    """``post(fn)``: call ``fn`` once, after the paint already asked for; posts made before
    it ran are merged into one event and run in the order posted."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._due: list[Callable[[], None]] = []

    def post(self, fn: Callable[[], None]) -> None:
        if not self._due:
            QCoreApplication.postEvent(self, QEvent(_EVENT), _PRIORITY)
        self._due.append(fn)

    def run_due(self) -> None:
        """Run what is due now (also before anything that must see it done)."""
        due, self._due = self._due, []
        for fn in due:
            fn()

    def event(self, event: QEvent) -> bool:
        if event.type() == _EVENT:
            self.run_due()
            return True
        return super().event(event)
