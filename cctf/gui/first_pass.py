"""Views that show the newest samples are drawn in the frame's first paint pass.

A frame (``AppController.tick``) takes the new samples in, then emits ``taken``: the views
that show the samples themselves — the trace, the number, the dial, the set-up level — redraw
then, and the window paints them at once (``show_now``, ``MainWindow``). Only after that does
the rest of the frame run (``ticked``: the panels, the banner, the buttons), painted in a
second pass when something there changed. Sample → screen so waits for the analysis of the
samples, not for everything the frame updates (issue 14).
"""

from __future__ import annotations

from collections.abc import Callable

from cctf.gui.controller import AppController


class SampleFollower:
    """Calls ``show`` (which shows the newest samples) on ``taken`` (first pass), and on
    ``ticked`` only when no samples came since the last ``taken`` (a signal going stale must
    still show; ``ticked`` runs at most ``PANELS_FPS`` times a second while samples stream,
    so one ``ticked`` may follow several ``taken``)."""

    def __init__(self, controller: AppController, show: Callable[[], None]) -> None:
        self.show = show
        self._taken = False
        controller.taken.connect(self._on_taken)
        controller.ticked.connect(self._on_ticked)

    def _on_taken(self) -> None:
        self._taken = True
        self.show()

    def _on_ticked(self) -> None:
        if self._taken:
            self._taken = False
        else:
            self.show()


class SamplesFirst:
    """For a widget whose ``refresh`` shows the newest samples (see ``SampleFollower``)."""

    def follow_samples(self, controller: AppController) -> None:
        self._follower = SampleFollower(controller, self.refresh)

    def refresh(self) -> None:
        raise NotImplementedError
