"""No garbage collection while the ``cctf`` command loads: imported by ``cctf.cli`` before
NumPy, ended by ``resume()`` once cli's own imports are done.

Loading NumPy and cctf creates tens of thousands of objects, so the collector runs some thirty
times and finds nothing to free (~8 ms of every command's start; issue 14, the one-hour
``cctf analyze``). ``resume`` sets the loaded objects aside (``gc.freeze``: modules, classes
and functions, which live as long as the program) so that later collections do not walk them
all at once, and turns collection back on as it was.
"""

from __future__ import annotations

import gc

_paused = gc.isenabled()
gc.disable()


def resume() -> None:
    """Collection on again, if this module turned it off (once)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
