"""The cue banner: what the patient is asked to do now (nod … hold … relax … rest), the target,
and a countdown — in words large enough to read from the treatment table. With no signal
for 0.5 s it greys out, says "No signal" and why, and shows no countdown (it stops)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.steady import SteadyBox
from cctf.session.cue_text import cue_detail

STEP_COLOURS = {"nod": theme.BLUE, "hold": theme.BLUISH_GREEN, "relax": "#3C7FA6",
                "rest": "#5E5E5E", "paused": "#A86F00", "done": "#5E5E5E", "setup": "#5E5E5E",
                "get_ready": "#3C7FA6",
                "no_signal": theme.NO_SIGNAL}


class CueBanner(QFrame):
    def __init__(self, controller: AppController, parent: QWidget | None = None,
                 *, point_size: int = theme.CUE_PT) -> None:
        super().__init__(parent)
        self.controller = controller
        self.point_size = point_size
        self.word = QLabel("")
        self.word.setFont(theme.font(point_size, bold=True))
        self.detail = QLabel("")
        self.detail.setFont(theme.font(theme.TITLE_PT))
        self.count = QLabel("")
        self.count.setFont(theme.font(point_size, bold=True))
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count.setFixedWidth(self.count.fontMetrics().horizontalAdvance("888 s") + 8)
        self.detail.setWordWrap(True)
        # Issue 13: the type follows the window (scale_to); its size must not hold the window
        # open when it shrinks, so the big labels take no part in the minimum size.
        for label in (self.word, self.count):
            label.setMinimumHeight(1)  # a minimum of its own: not the font's
        layout = QHBoxLayout(self)
        layout.setContentsMargins(22, 6, 22, 6)
        layout.setSpacing(24)
        # The countdown and the detail ("this try ends in 15 s") change every second: in
        # boxes that re-lay out the window only when their text changes shape (cctf/gui/steady).
        self._detail_box = SteadyBox(self.detail)
        self._count_box = SteadyBox(self.count)
        layout.addWidget(self.word)
        layout.addWidget(self._detail_box, stretch=1)
        layout.addWidget(self._count_box)
        self.setAccessibleName(texts.CUE_NAME)
        self._style = ""
        controller.ticked.connect(self.refresh)
        controller.session_changed.connect(self.refresh)

    def scale_to(self, k: float) -> None:
        """Type ``k`` times its base size (0.7–2.5): the banner grows with the window."""
        k = min(max(k, 0.7), 2.5)
        pt = max(8, round(self.point_size * k))
        if self.word.font().pointSize() == pt:
            return
        self.word.setFont(theme.font(pt, bold=True))
        self.count.setFont(theme.font(pt, bold=True))
        self.detail.setFont(theme.font(max(8, round(theme.TITLE_PT * k))))
        self.count.setFixedWidth(self.count.fontMetrics().horizontalAdvance("888 s") + 8)
        self._count_box.setFixedWidth(self.count.width())
        self._detail_box.relayout()
        self._count_box.relayout()

    def refresh(self) -> None:
        if not self.isVisible():
            return
        c = self.controller
        cue = c.cue
        if cue is None:
            self._show("setup", texts.CUE_WORD["setup"], "", "")
            return
        signal = c.signal_status
        if not signal.live and cue.step != "done":
            self._show("no_signal", texts.NO_SIGNAL, texts.NO_SIGNAL_REASON[signal.reason], "")
            return
        step = "paused" if c.paused else cue.step
        word = texts.CUE_WORD.get(step, step)
        count = ""
        runner = c.session.runner if c.session is not None else None
        detail = cue_detail(runner, step) if runner is not None else ""
        if step == "hold":
            left = c.hold_remaining_s()
            if left is not None:
                count = texts.SECONDS.format(n=math.ceil(left))
        elif step in ("nod", "rest", "get_ready"):
            left = c.step_remaining_s()
            if left is not None:
                count = (str(max(1, math.ceil(left))) if step == "get_ready"
                         else texts.SECONDS.format(n=math.ceil(left)))
        elif step == "paused":
            detail = texts.CUE_PAUSED_DETAIL
        self._show(step, word, detail, count)

    def _show(self, step: str, word: str, detail: str, count: str) -> None:
        if self.word.text() != word:
            self.word.setText(word)
        self._detail_box.set_text(detail)
        self._count_box.set_text(count)
        colour = STEP_COLOURS.get(step, "#5E5E5E")
        style = (f"CueBanner {{ background: {colour}; "
                 "border-radius: 10px; } QLabel { color: white; }")
        if style != self._style:
            self._style = style
            self.setStyleSheet(style)
            # The countdown and the detail change every second: filled with the banner's
            # colour, only they are repainted, not the window, the screen and the banner
            # behind them (issue 14).
            for label in (self.detail, self.count):
                theme.own_background(label, colour)
