"""Run blocking work (port probing, connecting, tare, closing a link) off the UI thread.

    run_in_background(lambda: discover(), on_done=show_ports, on_error=show_error)

The callbacks run on the UI thread (a queued Qt signal carries the result back). Errors are
passed as the exception; nothing is raised into Qt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

_alive: set[_Bridge] = set()  # bridges stay referenced until their result is delivered


class _Bridge(QObject):
    """Lives on the UI thread: signals emitted from the worker are queued to its slots."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, on_done: Callable[[Any], object] | None,
                 on_error: Callable[[BaseException], None] | None) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_error)

    @Slot(object)
    def _deliver_done(self, value: object) -> None:
        _alive.discard(self)
        if self._on_done is not None:
            self._on_done(value)

    @Slot(object)
    def _deliver_error(self, exc: object) -> None:
        _alive.discard(self)
        if self._on_error is not None:
            self._on_error(exc)  # type: ignore[arg-type]


def run_in_background(
    work: Callable[[], Any],
    on_done: Callable[[Any], object] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    name: str = "cctf-worker",
) -> threading.Thread:
    """Start ``work`` on a daemon thread; deliver its result or exception on the UI thread."""
    bridge = _Bridge(on_done, on_error)  # made on the calling (UI) thread: slots run there
    _alive.add(bridge)

    def run() -> None:
        try:
            value = work()
        except Exception as exc:  # delivered to on_error, never lost
            log.debug("background %s failed: %s", name, exc)
            bridge.failed.emit(exc)
        else:
            bridge.done.emit(value)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
