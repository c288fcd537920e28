"""Serve the simulated board on a pseudo-terminal that any serial program can open.

The port is published as a symlink (stable across simulated unplug/replug, like a udev name)
pointing at the current ``/dev/pts/N``. Like an Arduino Uno, the board reboots whenever a
program opens the port. A pulled cable (a ``LinkFaults.disconnects_s`` entry) closes the pty
and removes the symlink until it is plugged back in. Timing is deadline based: the loop sleeps
until the board's next sample is due, so the rate is exact over any run length.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import tempfile
import threading
import tty
from pathlib import Path

from cctf.clock import Clock, MonotonicClock
from cctf.sim.firmware import SimulatedFirmware

log = logging.getLogger(__name__)

_IDLE_POLL_S = 0.02


PTY_PREFIXES = ("/dev/pts/", "/dev/ttys", "/dev/pty")


class LinkPathError(ValueError):
    """``--link PATH`` names something cctf must not replace, or cannot create."""


def check_link_path(path: str | Path) -> None:
    """``path`` may become the port symlink: it is free, or a symlink to a pty (one an
    earlier simulator made and left behind); its folder exists and is writable."""
    p = Path(path)
    if os.path.lexists(p) and not (p.is_symlink() and os.readlink(p).startswith(PTY_PREFIXES)):
        raise LinkPathError(f"{path} exists and is not a port symlink cctf made: "
                            "refused (choose another --link path)")
    parent = p.parent
    if not parent.is_dir():
        raise LinkPathError(f"cannot create {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise LinkPathError(f"cannot create {path}: the folder {parent} is not writable")


class PtyServer:
    """Run ``firmware`` on a pty until ``stop()``; ``port`` is the path to give a serial program."""

    def __init__(
        self,
        firmware: SimulatedFirmware,
        *,
        link_path: str | Path | None = None,
        clock: Clock | None = None,
        reset_on_open: bool = True,
    ) -> None:
        self.firmware = firmware
        self.clock = clock or MonotonicClock()
        self.reset_on_open = reset_on_open
        self._own_dir: str | None = None
        if link_path is None:
            self._own_dir = tempfile.mkdtemp(prefix="cctf-sim-")
            link_path = Path(self._own_dir) / "ttyCCTF0"
        self.port = str(link_path)
        self._master: int | None = None
        self._pty_name: str | None = None
        self._attached = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self.bytes_sent = 0
        self.bytes_dropped = 0
        self.errors = 0  # steps that raised (logged; the server keeps serving)

    def sim_time_s(self) -> float:
        return self.clock.now() - self._t0

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> str:
        """Create the pty, boot the board and serve in a background thread; returns the port."""
        self._t0 = self.clock.now()
        self._plug_in()
        self.firmware.power_on(0.0)
        self._thread = threading.Thread(target=self._serve, name="cctf-sim-pty", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stop.set()
        self.clock.wake()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._unplug()
        if self._own_dir is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._own_dir)

    def __enter__(self) -> PtyServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the pty -------------------------------------------------------------------------

    def _plug_in(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass untouched
        name = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        self._attached = False
        tmp = f"{self.port}.new"
        for path in (tmp, self.port):  # never replace a file cctf did not make
            check_link_path(path)
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(name, tmp)
        os.replace(tmp, self.port)
        self._pty_name = name
        log.info("simulated device on %s (-> %s)", self.port, name)

    def _unplug(self) -> None:
        if self._master is not None:
            os.close(self._master)
            self._master = None
        self._attached = False
        if os.path.islink(self.port) and os.readlink(self.port) == self._pty_name:
            os.unlink(self.port)  # only the link this server made

    def _serve(self) -> None:
        # A simulated board must not stop serving because one step failed (a bug the fuzz
        # tests did not find): log it, count it, and carry on with the next step.
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:
                self.errors += 1
                log.exception("simulator pty loop: a step failed; serving on")
                self.clock.sleep(_IDLE_POLL_S)

    def _step(self) -> None:
        fw = self.firmware
        now = self.sim_time_s()
        out = fw.advance(now)
        if not fw.connected:
            if self._master is not None:
                self._unplug()
        elif self._master is None:
            self._plug_in()
        if self._master is None:
            self.clock.sleep(min(_IDLE_POLL_S, max(0.0, fw.next_event_s() - now)))
            return
        self._poll_host(now)
        if out:
            self._send(out)
        wait = max(0.0, fw.next_event_s() - self.sim_time_s())
        if self._attached:
            readable, _, _ = select.select([self._master], [], [], min(wait, 0.25))
            if readable:
                self._poll_host(self.sim_time_s())
        else:
            self.clock.sleep(min(wait, _IDLE_POLL_S))

    def _poll_host(self, now: float) -> None:
        """Read host bytes; notice a program opening or closing the port."""
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            data = b""
            attached = True
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            data = b""
            attached = False  # nobody has the port open
        else:
            attached = True
        if attached and not self._attached:
            log.info("a program opened %s", self.port)
            if self.reset_on_open:
                self.firmware.power_on(now)  # DTR reset, as on an Uno
                self._send(self.firmware.take_output())
        elif not attached and self._attached:
            log.info("the program closed %s", self.port)
        self._attached = attached
        if data:
            self.firmware.receive(data, now)
            self._send(self.firmware.take_output())

    def _send(self, data: bytes) -> None:
        if not data or self._master is None:
            return
        if not self._attached:
            self.bytes_dropped += len(data)  # nobody listening: a real board's bytes vanish too
            return
        try:
            n = os.write(self._master, data)
        except BlockingIOError:
            n = 0
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            n = 0
        self.bytes_sent += n
        self.bytes_dropped += len(data) - n
