"""The app's session recorder: rows are handed over on the UI thread, written on another.

The controller calls ``write`` each tick with the rows it just fed to the runner (target and
phase included); a writer thread appends them to a session CSV (``cctf.sessionfile``) and
makes them durable at least every ``flush_interval_s`` — so a crash loses at most a second,
and the UI thread never waits on the disk. ``close`` adds final metadata (link statistics,
results, the therapist's actions) to the header.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cctf import texts
from cctf.sessionfile import SessionWriter

log = logging.getLogger(__name__)

EXTRA_COLUMNS = ("raw", "flags", "seq", "marker")
# The closing ``ended`` line: ``cctf.sessionfile.ended_metadata`` (via cctf.session.finish).


class BackgroundRecorder:
    """A ``SessionWriter`` on its own thread."""

    def __init__(
        self,
        path: str | Path,
        metadata: Mapping[str, object],
        extra_columns: Sequence[str] = EXTRA_COLUMNS,
        *,
        flush_interval_s: float = 1.0,
    ) -> None:
        self.path = Path(path)
        self.extra_columns = tuple(extra_columns)
        self.flush_interval_s = flush_interval_s
        self.rows = 0  # rows handed over so far
        self.error: str | None = None
        self._queue: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, args=(dict(metadata),), name="cctf-recorder", daemon=True
        )
        self._thread.start()

    # --- UI thread -------------------------------------------------------------------------

    def write(
        self,
        t_s: np.ndarray,
        pressure_mmhg: np.ndarray,
        target_mmhg: np.ndarray,
        phase: Sequence[str],
        extra: Mapping[str, np.ndarray],
    ) -> None:
        """Queue rows (arrays are copied by the caller's slicing; nothing here blocks)."""
        if self._closed or len(t_s) == 0:
            return
        self._queue.put(("rows", (t_s, pressure_mmhg, target_mmhg, phase, extra)))
        self.rows += len(t_s)

    def sync(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far is on disk (tests, and before reading back)."""
        if self._closed:
            return True
        done = threading.Event()
        self._queue.put(("sync", done))
        return done.wait(timeout_s)

    def close(self, final_metadata: Mapping[str, object] | None = None, *,
              wait: bool = True, timeout_s: float = 10.0) -> None:
        """Write what is queued, merge ``final_metadata`` into the header, close the file
        (``wait=False``: the writer thread finishes on its own; ``join`` waits for it)."""
        if not self._closed:
            self._closed = True
            self._queue.put(("close", dict(final_metadata or {})))
        if wait:
            self.join(timeout_s)

    def join(self, timeout_s: float = 10.0) -> bool:
        """Wait until the file is complete and closed; False if it took too long."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.error("the recorder did not finish writing %s in %.0f s", self.path, timeout_s)
            return False
        return True

    # --- writer thread ---------------------------------------------------------------------

    def _run(self, metadata: dict[str, object]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            writer = SessionWriter(self.path, metadata, self.extra_columns)
        except OSError as exc:
            self.error = texts.RECORDING_FAILED.format(path=self.path,
                                                      error=exc.strerror or exc)
            log.error("%s", self.error)
            writer = None
        last_flush = time.monotonic()
        dirty = False
        while True:
            wait = max(0.0, self.flush_interval_s - (time.monotonic() - last_flush))
            try:
                kind, item = self._queue.get(timeout=wait if dirty else None)
            except queue.Empty:
                kind, item = "flush", None
            if writer is not None and kind == "rows":
                t, p, target, phase, extra = item  # type: ignore[misc]
                try:
                    writer.write(t, p, target, phase, extra)
                    dirty = True
                except OSError as exc:
                    self._fail(exc)
                    writer = None
            if writer is not None and dirty and (
                kind in ("flush", "sync", "close")
                or time.monotonic() - last_flush >= self.flush_interval_s
            ):
                try:
                    writer.flush()
                except OSError as exc:
                    self._fail(exc)
                    writer = None
                last_flush = time.monotonic()
                dirty = False
            if kind == "sync":
                item.set()  # type: ignore[union-attr]
            elif kind == "close":
                if writer is not None:
                    try:
                        writer.close(item)  # type: ignore[arg-type]
                    except OSError as exc:
                        self._fail(exc)
                return

    def _fail(self, exc: OSError) -> None:
        self.error = texts.RECORDING_FAILED.format(path=self.path, error=exc.strerror or exc)
        log.error("%s", self.error)
