"""Home training, for the patient: a high-contrast, big-type screen usable lying down.

The whole panel takes the colour of where the pressure is (in the band, too low, too high) and
says it in words; a rep counter and the rest timer; a prescription editor (target, repetitions,
hold, rest) before, and a short summary in plain language after. Space starts and pauses
whatever has the keyboard focus (an application-wide key filter, so a spin box cannot swallow
it). The sound (``TrainingSound``) guides by ear; its state is always shown, and a missing
audio device is said on screen.

``patient_mode=True`` (``cctf train``): only the patient's view — no patient picker, no
prescription editor, no therapist controls; Enter starts and pauses too, the buttons and
type are huge and scale with the window.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.errors import ConfigError
from cctf.gui import theme
from cctf.gui.audio import TrainingSound
from cctf.gui.controller import RECORDS_ERRORS, AppController, SessionReport
from cctf.gui.first_pass import SampleFollower
from cctf.gui.gauge import Gauge
from cctf.gui.patients import PatientPicker
from cctf.records.progress import current_prescription
from cctf.session.training import Prescription, TrainingRunner

log = logging.getLogger(__name__)

DARK = "#101014"
ON_DARK = "#F5F5F5"
STEP_BG = {"rest": "#2B2B33", "done": "#2B2B33", "paused": "#5C3D00", "relax": "#2B2B33",
           "": "#2B2B33"}
STALE_S = 1.0  # no sample for this long: the device is not delivering ("not connected")
START_KEYS = (Qt.Key.Key_Space,)
PATIENT_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)


class StartKeys(QObject):
    """Application-wide: Space (and Enter in patient mode) start and pause training while the
    screen is shown, whichever widget has the focus. The shortcut-override is claimed so no
    widget or shortcut takes the key first; the key press then triggers the action once."""

    def __init__(self, screen: TrainingScreen) -> None:
        super().__init__(screen)
        self.screen = screen

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        assert isinstance(event, QKeyEvent)
        screen = self.screen
        keys = PATIENT_KEYS if screen.patient_mode else START_KEYS
        if event.key() not in keys or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if not isinstance(obj, QWidget) or not screen.isVisible() or (
            obj.window() is not screen.window() or QApplication.activeModalWidget() is not None
        ):
            return False
        if isinstance(obj, QLineEdit | QTextEdit | QPlainTextEdit) and not isinstance(
            obj.parent(), QAbstractSpinBox
        ):
            return False  # a text box types its spaces (a spin box has no use for them)
        event.accept()
        if kind == QEvent.Type.KeyPress and not event.isAutoRepeat():
            screen.refresh()
            if screen.start_action.isEnabled():
                screen.start_action.trigger()
        return True


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
        for k, (text, box) in enumerate(rows):
            # Issue 13: two pairs side by side, so the editor fits a 720-px-high screen.
            r, first = k // 2, (k % 2) * 5
            label = QLabel(text)
            label.setFont(theme.font(theme.TITLE_PT))
            box.setFont(theme.font(theme.TITLE_PT, bold=True))
            box.setMinimumWidth(150)
            box.setMinimumHeight(42)
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.setAccessibleName(text)
            box.valueChanged.connect(self._edited)
            grid.addWidget(label, r, first)
            for col, (sign, step) in ((first + 1, ("−", box.stepDown)),
                                      (first + 3, ("+", box.stepUp))):
                button = QPushButton(sign)
                button.setFont(theme.font(theme.TITLE_PT, bold=True))
                button.setFixedSize(56, 42)
                button.setProperty("step", True)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.setAccessibleName(f"{text} {sign}")
                button.clicked.connect(step)
                grid.addWidget(button, r, col)
            grid.addWidget(box, r, first + 2)
        grid.setColumnMinimumWidth(4, 24)
        self.error = QLabel("")
        self.error.setVisible(False)  # room only when there is something to say
        self.error.setText = self._say  # type: ignore[method-assign]
        grid.addWidget(self.error, 2, 0, 1, 9)
        self.boxes = (self.target, self.reps, self.hold, self.rest)

    def _say(self, text: str) -> None:
        QLabel.setText(self.error, text)
        self.error.setVisible(bool(text))

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
    def __init__(self, controller: AppController, parent: QWidget | None = None, *,
                 patient_mode: bool = False, sound: TrainingSound | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.patient_mode = patient_mode
        self.sound: TrainingSound | None = None
        self.showing_summary = False
        self.setObjectName("training")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
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
        self.keys = StartKeys(self)  # filters the app's events only while shown (showEvent)

        # Sound: its state always visible; a missing device said on screen; the settings.
        self.sound_state = QLabel("")
        self.sound_state.setFont(theme.font(theme.BODY_PT, bold=True))  # fits 1280 px
        self.no_sound = QLabel(texts.SOUND_NONE)
        self.no_sound.setFont(theme.font(theme.BODY_PT, bold=True))
        self.no_sound.setStyleSheet(f"background: {theme.ORANGE}; color: black; "
                                    f"border-radius: 6px; padding: 4px 12px;")
        self.sound_mode = QComboBox()
        for mode, name in texts.SOUND_MODES.items():
            self.sound_mode.addItem(name, mode)
        self.sound_mode.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sound_mode.setAccessibleName(texts.SOUND_MODE_NAME)
        self.sound_mode.currentIndexChanged.connect(self._mode_chosen)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setFixedWidth(120)
        self.volume.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.volume.setAccessibleName(texts.SOUND_VOLUME)
        self.volume.valueChanged.connect(self._volume_chosen)
        self.mute_button = QPushButton(texts.MUTE)
        self.mute_button.setCheckable(True)
        self.mute_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mute_button.toggled.connect(self._mute_chosen)
        self.mute_button.setStyleSheet("padding: 4px 12px;")
        sound_row = QHBoxLayout()
        sound_row.addWidget(self.sound_state)
        sound_row.addWidget(self.no_sound)
        sound_row.addStretch(1)
        volume_label = QLabel(texts.SOUND_VOLUME)
        sound_row.addWidget(self.mute_button)
        sound_row.addWidget(self.sound_mode)
        sound_row.addWidget(volume_label)
        sound_row.addWidget(self.volume)

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
        b.setSpacing(4)
        b.setContentsMargins(4, 4, 4, 4)
        title = _big_label(theme.CUE_PT)
        title.setText(texts.TRAINING_TITLE)
        howto = _big_label(theme.TITLE_PT, bold=False)
        howto.setText(texts.TRAINING_HOWTO)
        howto.setStyleSheet("color: #C8C8C8;")
        b.addWidget(self.picker)
        b.addStretch(1)
        b.addWidget(title)
        b.addWidget(howto)
        b.addWidget(self.editor, 0, Qt.AlignmentFlag.AlignHCenter)
        b.addWidget(self.rx_line)
        b.addLayout(rx_row)
        b.addWidget(self.setup_line)
        self.title = title
        title.setMinimumHeight(1)  # its type follows the window: not its minimum
        b.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignHCenter)
        b.addStretch(1)
        self.rx_summary = _big_label(theme.TITLE_PT + 6)
        b.insertWidget(b.indexOf(self.editor), self.rx_summary)
        if patient_mode:
            for widget in (self.picker, self.editor, self.rx_line, self.per_day,
                           self.prescribe_button):
                widget.hide()
                widget.setEnabled(False)
            self.start_button.setText(texts.TRAINING_BIG_START)
            self.start_button.setMinimumSize(420, 160)
            keys_hint = _big_label(theme.TITLE_PT, bold=False)
            keys_hint.setText(texts.TRAINING_KEYS_HINT)
            keys_hint.setStyleSheet("color: #C8C8C8;")
            b.insertWidget(b.indexOf(self.start_button) + 1, keys_hint)
        else:
            self.rx_summary.hide()

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
        self.block.installEventFilter(self)
        if not patient_mode:  # scaled to the block in resizeEvent (issue 13)
            for label in (self.word, self.count, self.hint):
                label.setMinimumHeight(1)
        self.gauge = Gauge(dark=True, stage_bands=False, background=DARK)
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
        if patient_mode:
            self.pause_button.setFont(theme.font(theme.CUE_PT, bold=True))
            self.pause_button.setMinimumHeight(140)
            side.addWidget(self.pause_button)
        row = QHBoxLayout()
        if not patient_mode:
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
        layout.setSpacing(4)
        layout.addLayout(sound_row)
        layout.addWidget(self.pages, 1)
        self._block_colour = ""
        controller.ticked.connect(self.refresh)
        self._newest = SampleFollower(controller, self._show_pressure)  # with the trace
        controller.session_changed.connect(self.sync)
        controller.session_finished.connect(self._finished)
        controller.patient_changed.connect(self.load_prescription)
        controller.connection_changed.connect(self.refresh)
        controller.session_changed.connect(self.refresh)
        self.load_prescription()
        self.set_sound(sound)
        self.sync()

    # --- sound -------------------------------------------------------------------------------

    def set_sound(self, sound: TrainingSound | None) -> None:
        """Show and control ``sound`` (None: no sound at all, said on screen)."""
        self.sound = sound
        if sound is not None:
            sound.changed.connect(self._show_sound)
        self._show_sound()

    def _mode_chosen(self) -> None:
        if self.sound is not None:
            self.sound.set_mode(self.sound_mode.currentData())

    def _mute_chosen(self, muted: bool) -> None:
        if self.sound is not None and self.sound.muted != muted:
            self.sound.set_muted(muted)

    def _volume_chosen(self, value: int) -> None:
        if self.sound is not None:
            self.sound.set_volume(value / 100)

    def _show_sound(self) -> None:
        state = self.sound.state if self.sound is not None else "none"
        self.sound_state.setText(texts.SOUND_STATE[state])
        self.no_sound.setVisible(state == "none")
        usable = state != "none"
        if self.sound is not None:  # the settings as they are (also when changed elsewhere)
            for widget, value in ((self.volume, round(self.sound.volume * 100)),
                                  (self.sound_mode, self.sound_mode.findData(self.sound.mode))):
                widget.blockSignals(True)
                if isinstance(widget, QSlider):
                    widget.setValue(value)
                else:
                    widget.setCurrentIndex(max(0, value))
                widget.blockSignals(False)
        muted = self.sound is not None and self.sound.muted
        if self.mute_button.isChecked() != muted:
            self.mute_button.blockSignals(True)
            self.mute_button.setChecked(muted)
            self.mute_button.blockSignals(False)
        self.mute_button.setEnabled(usable)
        self.sound_mode.setEnabled(usable)
        self.volume.setEnabled(usable)

    def data_live(self) -> bool:
        """Samples are arriving now (not just a device object that has gone quiet)."""
        c = self.controller
        latest = c.history.latest_t_s
        return c.device is not None and not math.isnan(latest) and (
            c.now_display_s - latest <= STALE_S)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.patient_mode:  # issue 13: the title and Start fit 720 px, grow beyond
            k = max(0.6, min(1.6, self.window().height() / 1000))
            self._scale_block()
            self.title.setFont(theme.font(round(theme.CUE_PT * k), bold=True))
            self.start_button.setFont(theme.font(round((theme.TITLE_PT + 6)
                                                       * min(max(k, 0.8), 1.3)), bold=True))
        if self.patient_mode:  # type and buttons grow with the window (readable at 2 m)
            k = max(0.6, min(self.width() / 1280, self.height() / 800))
            self.word.setFont(theme.font(round(theme.HUGE_PT * k)))
            self.count.setFont(theme.font(round(theme.HUGE_PT * k)))
            self.hint.setFont(theme.font(round((theme.CUE_PT - 6) * k)))
            self.start_button.setFont(theme.font(round(theme.CUE_PT * k), bold=True))
            self.pause_button.setFont(theme.font(round(theme.CUE_PT * k), bold=True))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.block and event.type() == QEvent.Type.Resize:
            self._scale_block()
        return False

    def _scale_block(self) -> None:
        """The status block's words as large as the block allows (issue 13)."""
        if self.patient_mode:
            return
        big = max(0.5, min(2.2, self.block.height() / 480))
        for label, pt in ((self.word, theme.HUGE_PT), (self.count, theme.HUGE_PT),
                          (self.hint, theme.CUE_PT - 6)):
            if label.font().pointSize() != round(pt * big):
                label.setFont(theme.font(round(pt * big), bold=True))

    # --- the patient's prescription ----------------------------------------------------------

    def load_prescription(self) -> None:
        """The chosen patient's current prescription into the editor (it then runs)."""
        c = self.controller
        if self.patient_mode:
            return  # fixed when patient mode starts (cctf train); never changed here
        code = c.patient_code
        self.prescribe_button.setVisible(code is not None)
        self.per_day.setVisible(code is not None)
        self.rx_line.setText("")
        self.rx_line.setVisible(False)
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
        self.rx_line.setVisible(not self.patient_mode)

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
        self.rx_line.setVisible(True)
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
        self.summary_facts.setText(texts.SUMMARY_FACTS_HOLDING.format(
            holding=s.time_holding_s, in_band=s.time_in_band_s, longest=s.longest_hold_s))
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
        app = QApplication.instance()
        if app is not None:  # every event of the app passes through it: only while shown
            app.installEventFilter(self.keys)
        self.refresh()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.keys)

    def refresh(self) -> None:
        c = self.controller
        visible = self.isVisible()
        running = c.session is not None and c.session.kind == "training"
        can_start = self.data_live() and c.session is None
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
        rx = c.prescription
        summary = texts.TRAINING_RX_SUMMARY.format(reps=rx.reps, hold=rx.hold_s,
                                                   target=rx.target_mmhg)
        if self.rx_summary.text() != summary:
            self.rx_summary.setText(summary)
        if c.device is None and not self.patient_mode:
            text = texts.SETUP_NO_DEVICE
        elif not self.data_live():
            text = texts.TRAINING_NO_DATA
        else:
            s = c.setup
            text = texts.TRAINING_SETUP.get(s.state, "").format(level=s.level_mmhg)
        if self.setup_line.text() != text:
            self.setup_line.setText(text)

    def _show_pressure(self) -> None:
        """The gauge and the pressure line while training: in the frame's first paint pass
        (``first_pass``), and with the rest of the page."""
        c = self.controller
        s = c.session
        if not (self.isVisible() and self.pages.currentWidget() is self.during and s is not None
                and s.kind == "training" and isinstance(s.runner, TrainingRunner)):
            return
        p = c.display_mmhg
        self.gauge.set_state(p, c.target_band)
        pressure = texts.TRAINING_PRESSURE.format(value=p,
                                                  target=s.runner.prescription.target_mmhg)
        if self.pressure_label.text() != pressure:
            self.pressure_label.setText(pressure)

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
        if not self.data_live():
            hint = texts.TRAINING_NO_DATA
            colour = STEP_BG["paused"]
        elif step == "relax":
            hint = texts.TRAINING_RELAX_HINT
            colour = STEP_BG["relax"]
        elif step in ("nod", "hold"):
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
            elif step == "paused":
                hint = texts.TRAINING_PAUSED_HINT
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
        self._show_pressure()
        if self.patient_mode:
            pause = texts.TRAINING_BIG_RESUME if c.paused else texts.TRAINING_BIG_PAUSE
        else:
            pause = texts.RESUME if c.paused else texts.PAUSE
        if self.pause_button.text() != pause:
            self.pause_button.setText(pause)
