"""Monitor: the live trace with manual markers and recording, for developers and research.

Keys: Space starts / stops recording, M adds a marker (with the text typed beside it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.first_pass import SampleFollower
from cctf.gui.gauge import Gauge
from cctf.gui.head_trace import HeadTrace
from cctf.gui.keys import menu_text
from cctf.gui.live_view import LiveView
from cctf.gui.readout import Readout

SPANS_S = (10.0, 30.0, 120.0, 600.0)


class MonitorScreen(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.record_action = self._action(texts.RECORD_TOGGLE, "Space", self.toggle_recording)
        self.marker_action = self._action(texts.ADD_MARKER, "M", self.add_marker)

        self.span = QComboBox()
        for span in SPANS_S:
            self.span.addItem(texts.span_text(span), span)
        self.span.setCurrentIndex(1)
        self.record_button = QPushButton(texts.RECORD_START)
        self.record_button.setProperty("primary", True)
        self.record_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.record_button.clicked.connect(self.record_action.trigger)
        self.marker_text = QLineEdit()
        self.marker_text.setPlaceholderText(texts.MARKER_PLACEHOLDER)
        self.marker_text.returnPressed.connect(self.add_marker)
        self.marker_button = QPushButton(texts.ADD_MARKER)
        self.marker_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.marker_button.clicked.connect(self.marker_action.trigger)
        self.file_label = QLabel("")
        self.file_label.setProperty("muted", True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.steady(self.file_label)

        self.live = LiveView(controller, span_s=30.0)
        self.head = HeadTrace(controller, span_s=30.0)  # shown only with a head sensor
        self.span.currentIndexChanged.connect(lambda: self.live.set_span(self.span.currentData()))
        self.span.currentIndexChanged.connect(lambda: self.head.set_span(self.span.currentData()))
        self.readout = Readout()
        self.gauge = Gauge()
        self.link = QLabel("")
        self.link.setWordWrap(True)
        self.link.setProperty("muted", True)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.steady(self.link, 150)

        bar = QHBoxLayout()
        bar.addWidget(QLabel(texts.WINDOW_LABEL))
        bar.addWidget(self.span)
        bar.addSpacing(16)
        bar.addWidget(self.record_button)
        bar.addSpacing(16)
        bar.addWidget(self.marker_text, 1)
        bar.addWidget(self.marker_button)
        side = QVBoxLayout()
        side.addWidget(self.readout, 1)  # both grow with the window (issue 13)
        side.addWidget(self.gauge, 2)
        side.addWidget(self.link)
        body = QHBoxLayout()
        traces = QVBoxLayout()
        traces.addWidget(self.live, 1)
        traces.addWidget(self.head)
        body.addLayout(traces, 3)
        body.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(bar)
        layout.addLayout(body, 1)
        layout.addWidget(self.file_label)
        controller.ticked.connect(self.refresh)
        self._newest = SampleFollower(controller, self._show_pressure)  # with the trace
        controller.session_changed.connect(self.refresh)
        controller.session_finished.connect(self._finished)
        controller.health_changed.connect(self._show_health)

    def _action(self, text: str, key: str, slot) -> QAction:
        action = QAction(menu_text(text, key), self)  # the key shows once
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    @property
    def actions_for_menu(self) -> list[QAction]:
        return [self.record_action, self.marker_action]

    def toggle_recording(self) -> None:
        c = self.controller
        if c.session is not None and c.session.kind == "monitor":
            c.stop_recording()
        else:
            c.start_recording()

    def add_marker(self) -> None:
        self.controller.add_marker(self.marker_text.text())
        self.marker_text.clear()

    def _finished(self, report) -> None:
        if report.kind == "monitor":
            self.file_label.setText(texts.SAVED_TO.format(path=report.path))

    def _show_health(self, health) -> None:
        if health is None:
            self.link.setText("")
            return
        self.link.setText(texts.MONITOR_LINK.format(summary=health.summary()))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()
        self._show_pressure()

    def _show_pressure(self) -> None:
        """The number and the gauge: in the frame's first paint pass (``first_pass``)."""
        if not self.isVisible():
            return
        c = self.controller
        p = c.display_mmhg
        signal = c.signal_status  # no sample for 0.5 s: greyed, saying why
        self.readout.set_state(p, c.band, no_signal="" if signal.live
                               else texts.NO_SIGNAL_WHY[signal.reason])
        self.gauge.set_state(p, c.target_band, live=signal.live)

    def refresh(self) -> None:
        c = self.controller
        visible = self.isVisible()
        s = c.session
        recording = s is not None and s.kind == "monitor"
        self.record_action.setEnabled(visible and c.device is not None and (
            recording or s is None))
        self.marker_action.setEnabled(visible and c.device is not None)
        if not visible:
            return
        text = texts.RECORD_STOP if recording else texts.RECORD_START
        if self.record_button.text() != text:
            self.record_button.setText(text)
        self.record_button.setEnabled(self.record_action.isEnabled())
        if recording:
            assert s is not None
            self.file_label.setText(texts.RECORDING_STATUS.format(
                path=s.recorder.path, rows=s.recorder.rows,
                seconds=max(0.0, s.latest_t_s) if s.latest_t_s == s.latest_t_s else 0.0))
