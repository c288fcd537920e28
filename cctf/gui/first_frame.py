"""Work that waits until the app's first frame with data is on screen.

Opening the audio output, the patient records and the like takes tens of milliseconds each,
and none of it is needed to show the pressure. ``after_first_frame(work)`` runs ``work`` on
the event loop's next turn, unless a start-up is holding (``hold()``, by
``cctf.gui.startup.start``): then it waits for ``release()`` (the first frame with data, or
a fallback delay when no data comes). Outside the app (tests, tools) nothing holds.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer

_waiting: list[Callable[[], None]] | None = None  # None: nothing holds


def hold() -> None:
    """From now, ``after_first_frame`` queues its work until ``release()``."""
    global _waiting
    if _waiting is None:
        _waiting = []


def holding() -> bool:
    return _waiting is not None


def after_first_frame(work: Callable[[], None]) -> None:
    if _waiting is None:
        QTimer.singleShot(0, work)
    else:
        _waiting.append(work)


def release() -> None:
    """Run the queued work, in order, each on its own turn of the event loop (so a frame due
    in between is not kept waiting for all of it). Later calls run at once."""
    global _waiting
    queued, _waiting = _waiting or [], None
    for work in queued:
        QTimer.singleShot(0, work)
