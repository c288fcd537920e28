"""Views that show the newest samples are drawn in the frame's first paint pass.

A frame (``AppController.tick``) takes the new samples in, then emits ``taken``: the views
that show the samples themselves — the trace, the number, the dial, the set-up level — redraw
then, and the window paints them at once (``show_now``, ``MainWindow``). Only after that does
the rest of the frame run (``ticked``: the panels, the banner, the buttons), painted in a
second pass when something there changed. Sample → screen so waits for the analysis of the
samples, not for everything the frame updates (issue 14).
"""

from __future__ import annotations

from cctf.gui.controller import AppController


class SamplesFirst:
    """For a widget whose ``refresh`` shows the newest samples: called on ``taken`` (first
    pass), and on ``ticked`` only in a frame without new samples (a signal going stale must
    still show)."""

    def follow_samples(self, controller: AppController) -> None:
        self._taken = False
        controller.taken.connect(self._on_taken)
        controller.ticked.connect(self._on_ticked)

    def refresh(self) -> None:
        raise NotImplementedError

    def _on_taken(self) -> None:
        self._taken = True
        self.refresh()

    def _on_ticked(self) -> None:
        if self._taken:
            self._taken = False
        else:
            self.refresh()
