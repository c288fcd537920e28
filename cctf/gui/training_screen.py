"""Home training, for the patient: a high-contrast, big-type screen usable lying down.

The whole panel takes the colour of where the pressure is (in the band, too low, too high) and
says it in words; a rep counter and the rest timer; a prescription editor (target, repetitions,
hold, rest) before, and a short summary in plain language after. Space starts and pauses.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.errors import ConfigError
from cctf.gui import theme
from cctf.gui.controller import RECORDS_ERRORS, AppController, SessionReport
from cctf.gui.gauge import Gauge
from cctf.gui.patients import PatientPicker
from cctf.records.progress import current_prescription
from cctf.session.training import Prescription, TrainingRunner

log = logging.getLogger(__name__)

DARK = "#101014"
ON_DARK = "#F5F5F5"
STEP_BG = {"rest": "#2B2B33", "done": "#2B2B33", "paused": "#5C3D00", "": "#2B2B33"}


def _big_label(point_size: int, bold: bool = True) -> QLabel:
    label = QLabel("")
    label.setFont(theme.font(point_size, bold))
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return theme.steady(label, 100)


class PrescriptionEditor(QFrame):
    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        p = controller.prescription
        self.target = QDoubleSpinBox()
        self.target.setRange(21, 40)
        self.target.setDecimals(0)
        self.target.setSingleStep(2)
        self.target.setValue(p.target_mmhg)
        self.target.setSuffix(texts.FIELD_SUFFIX["baseline_mmhg"])
        self.reps = QSpinBox()
        self.reps.setRange(1, 30)
        self.reps.setValue(p.reps)
        self.hold = QSpinBox()
        self.hold.setRange(1, 60)
        self.hold.setValue(int(p.hold_s))
        self.hold.setSuffix(texts.FIELD_SUFFIX["hold_s"])
        self.rest = QSpinBox()
        self.rest.setRange(1, 120)
        self.rest.setValue(int(p.rest_s))
        self.rest.setSuffix(texts.FIELD_SUFFIX["hold_s"])
        grid = QGridLayout(self)
        rows: tuple[tuple[str, QDoubleSpinBox | QSpinBox], ...] = (
                (texts.RX_TARGET, self.target), (texts.RX_REPS, self.reps),
                (texts.RX_HOLD, self.hold), (texts.RX_REST, self.rest))
        for r, (text, box) in enumerate(rows):
            label = QLabel(text)
            label.setFont(theme.font(theme.TITLE_PT))
            box.setFont(theme.font(theme.TITLE_PT, bold=True))
            box.setMinimumWidth(150)
            box.setMinimumHeight(48)
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.setAccessibleName(text)
            box.valueChanged.connect(self._edited)
            grid.addWidget(label, r, 0)
            for col, (sign, step) in ((1, ("−", box.stepDown)), (3, ("+", box.stepUp))):
                button = QPushButton(sign)
                button.setFont(theme.font(theme.TITLE_PT, bold=True))
                button.setFixedSize(56, 48)
                button.setProperty("step", True)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.setAccessibleName(f"{text} {sign}")
                button.clicked.connect(step)
                grid.addWidget(button, r, col)
            grid.addWidget(box, r, 2)
        self.error = QLabel("")
        grid.addWidget(self.error, len(rows), 0, 1, 4)
        self.boxes = (self.target, self.reps, self.hold, self.rest)

    def load(self, rx: Prescription) -> None:
        """Show ``rx`` (a patient's prescription) and run with it."""
        for box in self.boxes:
            box.blockSignals(True)
        self.target.setValue(rx.target_mmhg)
        self.reps.setValue(rx.reps)
        self.hold.setValue(int(rx.hold_s))
        self.rest.setValue(int(rx.rest_s))
        for box in self.boxes:
            box.blockSignals(False)
        self.error.setText("")
        self.controller.set_prescription(rx)

    def _edited(self) -> None:
        try:
            rx = dataclasses.replace(
                self.controller.prescription, target_mmhg=float(self.target.value()),
                reps=self.reps.value(), hold_s=float(self.hold.value()),
                rest_s=float(self.rest.value()))
        except ConfigError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.controller.set_prescription(rx)


class TrainingScreen(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.showing_summary = False
        self.setObjectName("training")
        self.setStyleSheet(
            f"QWidget#training, QWidget#training QWidget {{ background: {DARK}; "
            f"color: {ON_DARK}; }}"
            f" QWidget#training QPushButton {{ background: {theme.ACCENT}; color: white; "
            f"border: 0; border-radius: 8px; padding: 12px 28px; }}"
            f" QWidget#training QPushButton:disabled {{ background: #3A4A57; color: #9AA; }}"
            f" QWidget#training QSpinBox, QWidget#training QDoubleSpinBox {{ background: #22222A;"
            f" color: {ON_DARK}; border: 1px solid #555; border-radius: 6px; }}"
            # Big − and + buttons replace the arrows (NoButtons with a border trips a Qt bug).
            f" QWidget#training QAbstractSpinBox::up-button,"
            f" QWidget#training QAbstractSpinBox::down-button {{ width: 0; border: 0; }}"
            f" QWidget#training QPushButton[step=\"true\"] {{ padding: 0; }}")
        self.start_action = QAction(texts.TRAINING_START_PAUSE, self)
        self.start_action.setShortcut(QKeySequence("Space"))
        self.start_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.start_action.triggered.connect(self.space)
        self.addAction(self.start_action)

        # Before: the patient, the prescription and set-up.
        self.picker = PatientPicker(controller)
        self.picker.setFont(theme.font(theme.BODY_PT + 2))
        self.editor = PrescriptionEditor(controller)
        self.rx_line = QLabel("")
        self.rx_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rx_line.setStyleSheet("color: #C8C8C8;")
        self.per_day = QSpinBox()
        self.per_day.setRange(1, 10)
        self.per_day.setValue(2)
        self.per_day.setPrefix(texts.RX_PER_DAY + ": ")
        self.prescribe_button = QPushButton("")
        self.prescribe_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.prescribe_button.clicked.connect(self.prescribe)
        rx_row = QHBoxLayout()
        rx_row.addStretch(1)
        rx_row.addWidget(self.per_day)
        rx_row.addWidget(self.prescribe_button)
        rx_row.addStretch(1)
        self.setup_line = _big_label(theme.TITLE_PT, bold=False)
        self.start_button = QPushButton(texts.TRAINING_START)
        self.start_button.setFont(theme.font(theme.TITLE_PT + 6, bold=True))
        self.start_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.start_button.clicked.connect(self.start_action.trigger)
        before = QWidget()
        b = QVBoxLayout(before)
        title = _big_label(theme.CUE_PT)
        title.setText(texts.TRAINING_TITLE)
        howto = _big_label(theme.TITLE_PT, bold=False)
        howto.setText(texts.TRAINING_HOWTO)
        howto.setStyleSheet("color: #C8C8C8;")
        b.addWidget(self.picker)
        b.addStretch(1)
        b.addWidget(title)
        b.addWidget(howto)
        b.addSpacing(12)
        b.addWidget(self.editor, 0, Qt.AlignmentFlag.AlignHCenter)
        b.addWidget(self.rx_line)
        b.addLayout(rx_row)
        b.addSpacing(12)
        b.addWidget(self.setup_line)
        b.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignHCenter)
        b.addStretch(1)

        # During: the big status block, the dial, the counters.
        self.block = QFrame()
        self.word = _big_label(theme.HUGE_PT)
        self.hint = _big_label(theme.CUE_PT - 6)
        self.count = _big_label(theme.HUGE_PT)
        bl = QVBoxLayout(self.block)
        bl.addStretch(1)
        bl.addWidget(self.word)
        bl.addWidget(self.hint)
        bl.addWidget(self.count)
        bl.addStretch(1)
        self.gauge = Gauge(dark=True)
        self.reps_label = _big_label(theme.CUE_PT)
        self.pressure_label = _big_label(theme.TITLE_PT, bold=False)
        self.pause_button = QPushButton(texts.PAUSE)
        self.pause_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pause_button.clicked.connect(self.start_action.trigger)
        self.stop_button = QPushButton(texts.TRAINING_STOP)
        self.stop_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stop_button.clicked.connect(controller.end_session)
        side = QVBoxLayout()
        side.addWidget(self.gauge, 2)
        side.addWidget(self.pressure_label)
        side.addWidget(self.reps_label)
        row = QHBoxLayout()
        row.addWidget(self.pause_button)
        row.addWidget(self.stop_button)
        side.addLayout(row)
        during = QWidget()
        d = QHBoxLayout(during)
        d.addWidget(self.block, 3)
        d.addLayout(side, 2)

        # After: the summary.
        self.summary_title = _big_label(theme.CUE_PT)
        self.summary_facts = _big_label(theme.TITLE_PT + 6, bold=False)
        self.summary_message = _big_label(theme.TITLE_PT + 2, bold=False)
        again = QPushButton(texts.TRAINING_AGAIN)
        again.setFont(theme.font(theme.TITLE_PT, bold=True))
        again.clicked.connect(self.back_to_start)
        after = QWidget()
        a = QVBoxLayout(after)
        a.addStretch(1)
        a.addWidget(self.summary_title)
        a.addSpacing(12)
        a.addWidget(self.summary_facts)
        a.addSpacing(12)
        a.addWidget(self.summary_message)
        a.addSpacing(24)
        a.addWidget(again, 0, Qt.AlignmentFlag.AlignHCenter)
        a.addStretch(1)

        self.pages = QStackedWidget()
        for page in (before, during, after):
            self.pages.addWidget(page)
        self.before, self.during, self.after = before, during, after
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self._block_colour = ""
        controller.ticked.connect(self.refresh)
        controller.session_changed.connect(self.sync)
        controller.session_finished.connect(self._finished)
        controller.patient_changed.connect(self.load_prescription)
        self.load_prescription()
        self.sync()

    # --- the patient's prescription ----------------------------------------------------------

    def load_prescription(self) -> None:
        """The chosen patient's current prescription into the editor (it then runs)."""
        c = self.controller
        code = c.patient_code
        self.prescribe_button.setVisible(code is not None)
        self.per_day.setVisible(code is not None)
        self.rx_line.setText("")
        if code is None or c.records is None:
            return
        self.prescribe_button.setText(texts.RX_SAVE.format(code=code))
        try:
            rx = current_prescription(c.records, code, date.today())
        except RECORDS_ERRORS as exc:
            log.error("could not read the prescription: %s", exc)
            return
        if rx is None:
            return
        try:
            self.editor.load(Prescription(**rx.prescription))
        except (ConfigError, TypeError) as exc:
            log.error("stored prescription not usable: %s", exc)
            return
        self.per_day.setValue(rx.sessions_per_day)
        self.rx_line.setText(texts.RX_LOADED.format(code=code, day=rx.start_date))

    def prescribe(self) -> bool:
        """Store the editor's prescription for the chosen patient, from today."""
        c = self.controller
        code = c.patient_code
        if code is None or c.records is None:
            return False
        today = date.today()
        try:
            c.records.prescribe(code, dataclasses.asdict(c.prescription),
                                sessions_per_day=self.per_day.value(), start=today)
        except RECORDS_ERRORS as exc:
            c.notice.emit(texts.RECORDS_WRITE_FAILED.format(error=exc))
            return False
        text = texts.RX_SAVED.format(code=code, day=today)
        self.rx_line.setText(text)
        c.notice.emit(text)
        return True

    # --- actions -----------------------------------------------------------------------------

    def space(self) -> None:
        c = self.controller
        if c.session is not None and c.session.kind == "training":
            c.toggle_pause()
        elif self.pages.currentWidget() is self.before and not self.editor.error.text():
            self.showing_summary = False
            c.begin_training()
        elif self.pages.currentWidget() is self.after:
            self.back_to_start()

    def back_to_start(self) -> None:
        self.showing_summary = False
        self.sync()

    def _finished(self, report: SessionReport) -> None:
        if report.kind != "training" or report.summary is None:
            return
        s = report.summary
        self.summary_title.setText(texts.SUMMARY_TITLE.format(done=s.reps_done,
                                                              planned=s.reps_planned))
        self.summary_facts.setText(texts.SUMMARY_FACTS.format(
            in_band=s.time_in_band_s, longest=s.longest_hold_s))
        self.summary_message.setText(s.message)
        self.showing_summary = True
        self.sync()

    # --- view --------------------------------------------------------------------------------

    def sync(self) -> None:
        c = self.controller
        if c.session is not None and c.session.kind == "training":
            self.pages.setCurrentWidget(self.during)
        elif self.showing_summary:
            self.pages.setCurrentWidget(self.after)
        else:
            self.pages.setCurrentWidget(self.before)
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        c = self.controller
        visible = self.isVisible()
        running = c.session is not None and c.session.kind == "training"
        can_start = c.device is not None and c.session is None
        on_page = self.pages.currentWidget()
        self.start_action.setEnabled(visible and (running or (
            can_start and on_page is self.before) or on_page is self.after))
        self.start_button.setEnabled(can_start)
        if not visible:
            return
        if on_page is self.before:
            self._refresh_before()
        elif on_page is self.during and running:
            self._refresh_during()

    def _refresh_before(self) -> None:
        c = self.controller
        if c.device is None:
            text = texts.SETUP_NO_DEVICE
        else:
            s = c.setup
            text = texts.TRAINING_SETUP.get(s.state, "").format(level=s.level_mmhg)
        if self.setup_line.text() != text:
            self.setup_line.setText(text)

    def _refresh_during(self) -> None:
        c = self.controller
        s = c.session
        cue = c.cue
        assert s is not None and s.runner is not None and cue is not None
        step = "paused" if c.paused else cue.step
        band = c.band
        word = texts.TRAINING_WORD.get(step, "")
        hint = ""
        count = ""
        if step in ("nod", "hold", "relax"):
            hint = texts.TRAINING_BAND.get(band, "")
            colour = theme.BAND_COLOURS.get(band, STEP_BG[""])
            left = c.hold_remaining_s() if step == "hold" else None
            if left is not None:
                count = f"{math.ceil(left)}"
        else:
            colour = STEP_BG.get(step, STEP_BG[""])
            left = c.step_remaining_s()
            if step == "rest" and left is not None:
                hint = texts.TRAINING_REST_HINT
                count = f"{math.ceil(left)}"
        for label, text in ((self.word, word), (self.hint, hint), (self.count, count)):
            if label.text() != text:
                label.setText(text)
        if colour != self._block_colour:
            self._block_colour = colour
            self.block.setStyleSheet(f"QFrame {{ background: {colour}; border-radius: 16px; }}"
                                     f" QLabel {{ background: transparent; color: white; }}")
        runner = s.runner
        assert isinstance(runner, TrainingRunner)
        reps = texts.TRAINING_REPS.format(done=runner.reps_done,
                                          planned=runner.prescription.reps)
        if self.reps_label.text() != reps:
            self.reps_label.setText(reps)
        p = c.display_mmhg
        self.gauge.set_state(p, c.target_band)
        pressure = texts.TRAINING_PRESSURE.format(value=p,
                                                  target=runner.prescription.target_mmhg)
        if self.pressure_label.text() != pressure:
            self.pressure_label.setText(pressure)
        pause = texts.RESUME if c.paused else texts.PAUSE
        if self.pause_button.text() != pause:
            self.pause_button.setText(pause)
