"""Clinic: the CCFT test, for the therapist — set-up, familiarisation, stage test, endurance,
results.

Keys: Space start / pause / resume, R repeat the last trial, O override its verdict, 1–4 mark
compensation seen by hand (SCM or scalene, breath holding, jaw or hyoid, other), Ctrl+Z undo
the last correction, T tare, Ctrl+E end the test now (after a confirmation). O and 1–4 act on
the last trial unless a row was selected since it started. The screen is a view: the
controller runs the protocol; with no signal for 0.5 s the live views grey out.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.analysis.head import HEAD_FLAG_TYPES
from cctf.gui import theme
from cctf.gui.controller import COMPENSATION_KINDS, AppController, SessionReport
from cctf.gui.cue_banner import CueBanner
from cctf.gui.elided import ElidedLabel
from cctf.gui.first_pass import SamplesFirst
from cctf.gui.gauge import Gauge
from cctf.gui.head_trace import HeadTrace
from cctf.gui.keys import menu_text
from cctf.gui.live_view import LiveView
from cctf.gui.patients import PatientPicker
from cctf.gui.protocol_form import ProtocolForm
from cctf.gui.readout import Readout
from cctf.gui.results_screen import ResultsScreen, TrialTable, trial_row
from cctf.gui.sizes import scaled_pt
from cctf.gui.steady import SteadyBox
from cctf.session.cue_text import live_verdict
from cctf.session.head_live import hold_flexion_deg, live_head_texts, stage_angles
from cctf.session.setup import start_warning

SETUP_COLOURS = {"ready": theme.BLUISH_GREEN, "steadying": "#3C7FA6", "waiting": "#5E5E5E",
                 "deflated": "#5E5E5E", "low": theme.BLUE, "high": theme.VERMILLION,
                 "settling": "#A86F00", "falling": "#A86F00"}


def _button(text: str, action: QAction | None = None, primary: bool = False) -> QPushButton:
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the screen's shortcuts
    button.setStyleSheet("QPushButton { padding: 6px 10px; }")
    if primary:
        button.setProperty("primary", True)
    if action is not None:
        button.clicked.connect(action.trigger)
    return button


class StepStrip(QLabel):
    """Set-up › Familiarisation › Stage test › Endurance › Results, the current one bold."""

    def show_step(self, current: str, practice: bool = True) -> None:
        """``practice``: the protocol has familiarisation trials (else that step is left out)."""
        parts = []
        for key, name in texts.CLINIC_STEPS.items():
            if key == "practice" and not practice and current != "practice":
                continue
            if key == current:
                parts.append(f"<span style='color:{theme.ACCENT}; font-weight:bold;'>"
                             f"● {name}</span>")
            else:
                parts.append(f"<span style='color:{theme.MUTED};'>{name}</span>")
        html = " &nbsp;›&nbsp; ".join(parts)
        if self.text() != html:
            self.setText(html)


class PressurePanel(SamplesFirst, QWidget):
    """Readout and gauge side by side."""

    def __init__(self, controller: AppController, parent: QWidget | None = None,
                 readout_pt: int = theme.READOUT_PT) -> None:
        super().__init__(parent)
        self.controller = controller
        self.readout = Readout(point_size=readout_pt)
        self.gauge = Gauge()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.readout, 1)
        layout.addWidget(self.gauge, 1)
        self.follow_samples(controller)  # the number goes on screen with the trace

    def refresh(self) -> None:
        if not self.isVisible():
            return
        c = self.controller
        p = c.display_mmhg
        signal = c.signal_status
        why = "" if signal.live else texts.NO_SIGNAL_WHY[signal.reason]
        self.readout.set_state(p, c.band, no_signal=why)
        self.gauge.set_state(p, c.target_band, live=signal.live)


class SetupPage(SamplesFirst, QWidget):
    def __init__(self, controller: AppController, screen: ClinicScreen) -> None:
        super().__init__()
        self.controller = controller
        self.status = QLabel("")
        self._status_colour = ""
        self.status.setFont(theme.font(theme.TITLE_PT + 4, bold=True))
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(90)
        self.status.setAccessibleName(texts.SETUP_STATUS_NAME)
        theme.steady(self.status, 300)
        steps = QLabel(texts.SETUP_STEPS_HTML)
        steps.setWordWrap(True)
        steps.setTextFormat(Qt.TextFormat.RichText)
        self.live = LiveView(controller, span_s=30.0)
        self.pressure = PressurePanel(controller, readout_pt=54)
        self.form = ProtocolForm(controller)
        self.picker = PatientPicker(controller)
        self.patient_note = QLabel("")
        self.patient_note.setWordWrap(True)
        self.tare_button = _button(texts.TARE_BUTTON, screen.tare_action)
        self.tare_button.setToolTip(texts.TARE_TIP)
        self.start_button = _button(texts.START_TEST, screen.start_action, primary=True)
        self.start_button.setFont(theme.font(theme.TITLE_PT, bold=True))
        self.start_button.setMinimumHeight(44)

        tare = QHBoxLayout()
        tare_note = QLabel(texts.TARE_NOTE)
        tare_note.setWordWrap(True)
        tare_note.setProperty("muted", True)
        tare.addWidget(tare_note, 1)
        steps.setFont(theme.font(theme.SMALL_PT))
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.status.setMinimumHeight(0)
        self.pressure.setMinimumHeight(96)
        # Issue 13: one top row (status, readout, dial) scaled to the window; the whole
        # protocol form without scrolling beside the steps and the trace.
        top = QHBoxLayout()
        top.addWidget(SteadyBox(self.status), 3)  # its text changes each frame
        top.addWidget(self.pressure, 2)
        left = QVBoxLayout()
        left.addWidget(steps)
        left.addWidget(self.live, 1)
        # The head sensor's zeroing ("lie still for 2 s", Zero again) without its plot: with
        # one the set-up steps were cut at 1280×720 (issue 17); the run page shows the angle.
        self.head = HeadTrace(controller, span_s=30.0, plot_px=0)
        left.addWidget(self.head)
        # Tare beside the start button; its note is step 1 and the button's tooltip.
        tare_note.setVisible(False)
        start_row = QHBoxLayout()
        start_row.addWidget(self.tare_button)
        start_row.addWidget(self.start_button, 1)
        left.addLayout(start_row)
        right = QVBoxLayout()
        right.addWidget(self.picker)
        right.addWidget(self.patient_note)
        right.addWidget(self.form)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        self.follow_samples(controller)  # the level goes on screen with the trace
        controller.patient_changed.connect(self._patient_note)
        controller.records_changed.connect(self._patient_note)
        self._patient_note()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # The readout and dial row: a fifth of the page, 90–300 px (issue 13).
        self.pressure.setMaximumHeight(max(96, min(300, self.height() // 6)))
        self.status.setFont(theme.font(scaled_pt(theme.TITLE_PT + 4, self.height(), 700,
                                                 lowest=0.8), bold=True))

    def _patient_note(self) -> None:
        c = self.controller
        if c.patient_code is not None:
            text = texts.PATIENT_CHOSEN.format(code=c.patient_code)
            style = f"color: {theme.TEXT};"
        else:
            text = texts.PATIENT_NEEDED
            style = f"color: {theme.TEXT}; background: #FCEBC5; border-radius: 6px; padding: 4px;"
        self.patient_note.setText(text)
        self.patient_note.setStyleSheet(style)

    def refresh(self) -> None:
        if not self.isVisible():
            return
        c = self.controller
        signal = c.signal_status
        if c.device is None:
            text, colour = texts.SETUP_NO_DEVICE, "#5E5E5E"
        elif not signal.live:
            text, colour = texts.NO_SIGNAL_WHY[signal.reason], theme.NO_SIGNAL
        else:
            s = c.setup
            text = texts.SETUP_STATE[s.state].format(
                level=s.level_mmhg, baseline=c.settings.baseline_mmhg)
            colour = SETUP_COLOURS.get(s.state, "#5E5E5E")
        if self.status.text() != text:
            self.status.setText(text)
        if colour != self._status_colour:  # a style sheet re-polishes: not every new level
            self._status_colour = colour
            self.status.setStyleSheet(
                f"color: white; background: {colour}; border-radius: 10px; padding: 10px 16px;")
        p = c.history.latest_mmhg
        self.tare_button.setEnabled(c.device is not None and (math.isnan(p) or abs(p) < 10))


class LiveTrialPanel(QFrame):
    """Reached / holding / held, and faults as they are detected, for the cued trial."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setProperty("card", True)
        self.reached = QLabel("")
        self.held = QLabel("")
        for label in (self.reached, self.held):
            label.setFont(theme.font(theme.TITLE_PT - 2, bold=True))
        self.faults = QLabel("")
        self.faults.setWordWrap(True)
        self.faults.setStyleSheet(f"color: {theme.VERMILLION}; font-weight: bold;")
        self.faults.setFont(theme.font(theme.SMALL_PT + 1, bold=True))
        # Issue 17: the head's flexion at this hold and per stage (only with a head sensor).
        self.head = ElidedLabel(mode=Qt.TextElideMode.ElideRight)  # one line, whole in tip
        self.head.setFont(theme.font(theme.SMALL_PT))
        self.head.setVisible(False)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self._boxes = {label: SteadyBox(label) for label in (self.reached, self.held)}
        top.addWidget(self._boxes[self.reached], 1)  # "holding 3 / 10 s": no layout pass
        top.addWidget(self._boxes[self.held], 1)
        layout.addLayout(top)
        layout.addWidget(self.faults)
        layout.addWidget(self.head)
        controller.ticked.connect(self.refresh)

    def refresh(self) -> None:
        if not self.isVisible():
            return
        c = self.controller
        s = c.session
        cue = c.cue
        reached = held = faults = ""
        reached_colour = held_colour = theme.MUTED
        if s is not None and s.runner is not None and cue is not None:
            runner = s.runner
            live = s.live
            if cue.step in ("nod", "hold", "relax") and live.index is not None:
                if live.reached_s is not None:
                    reached = texts.LIVE_REACHED.format(seconds=live.reached_s - live.start_s)
                    reached_colour = theme.BLUISH_GREEN
                elif cue.step == "nod":
                    reached = texts.LIVE_REACHING
                open_trial = runner.analyzer.open_trial
                state, verdict = (live_verdict(open_trial, live.held, live.faults)
                                  if open_trial is not None else ("", ""))
                if state:
                    held = verdict
                    held_colour = theme.VERMILLION if state == "failed" else theme.BLUISH_GREEN
                elif live.reached_s is not None:
                    left = c.hold_remaining_s()
                    done = runner.hold_s - math.ceil(left if left is not None else 0.0)
                    held = texts.LIVE_HOLDING.format(done=max(0.0, done), hold=runner.hold_s)
                    held_colour = theme.TEXT
                lines = [texts.describe_fault(kind, value) for kind, value in live.faults]
                if open_trial is not None:
                    lines += [texts.MANUAL_FAULT_TEXT[k] + texts.MARKED_BY_HAND
                              for k in open_trial.manual_faults]
                    lines += [texts.describe_flag(f.type, f.value, open_trial.flag_review.get(
                        f.type)) for f in open_trial.flags]  # possible breath holding
                faults = "\n".join(texts.FAULT_SYMBOL + line for line in lines)
            elif runner.trials:
                last = runner.trials[-1]
                cells, colour = trial_row(last)
                reached = texts.LAST_TRIAL.format(trial=last.index + 1,
                                                  target=last.target_mmhg)
                held, held_colour = cells[3], colour
                faults = cells[4] if not (last.passed and not last.faults) else ""
        for label, text, colour in ((self.reached, reached, reached_colour),
                                    (self.held, held, held_colour)):
            if self._boxes[label].set_text(text):
                label.setStyleSheet(f"color: {colour};")
        if self.faults.text() != faults:
            self.faults.setText(faults)
        self._show_head()

    def _show_head(self) -> None:
        """The head lines, set only when they change (nothing without a sensor)."""
        c = self.controller
        s = c.session
        lines = [""]
        if c.head.fitted and s is not None and s.runner is not None:
            cue, live = c.cue, s.live
            under_way = (cue is not None and cue.step in ("nod", "hold", "relax")
                         and live.index is not None and s.runner.analyzer.open_trial is not None)
            now = math.nan
            if under_way and live.reached_s is not None:
                offset = s.t0_host_s - c.origin_s  # session time → display time
                now = hold_flexion_deg(c.head, live.reached_s + offset, s.latest_t_s + offset)
            lines = live_head_texts(stage_angles(s.runner.trials), under_way, now,
                                    live.reached_s is not None)
        text, shorter = lines[0], lines[1:]  # at 1280 px: the oldest stages left out first
        if self.head.text() != text:
            self.head.setText(text, shorter)
        if self.head.isVisibleTo(self) != bool(text):
            self.head.setVisible(bool(text))


class RunPage(QWidget):
    def __init__(self, controller: AppController, screen: ClinicScreen) -> None:
        super().__init__()
        self.controller = controller
        self.banner = CueBanner(controller)
        self.live = LiveView(controller, span_s=40.0)
        self.pressure = PressurePanel(controller, readout_pt=52)
        self.trial = LiveTrialPanel(controller)
        self.table = TrialTable(wrap=False)  # more trials in view during the test
        self.table.itemSelectionChanged.connect(
            lambda: controller.select_trial(self.table.selected_trial()))
        self.alerts = QLabel("")
        self.alerts.setWordWrap(True)
        self.alerts.setStyleSheet(f"color: {theme.TEXT}; background: #FCEBC5; "
                                  "border-radius: 6px; padding: 6px;")
        self.alerts.setVisible(False)
        self.pause_button = _button(texts.PAUSE, screen.start_action)
        self.repeat_button = _button(texts.REPEAT, screen.repeat_action)
        self.override_button = _button(texts.OVERRIDE, screen.override_action)
        self.end_button = _button(texts.END_TEST, screen.end_action)
        marks = QHBoxLayout()
        marks.setSpacing(4)
        mark_label = QLabel(texts.MARK_LABEL)
        mark_label.setToolTip(texts.MARK_TIP)
        marks.addWidget(mark_label)
        self.mark_buttons = []
        for action in screen.mark_actions:
            b = _button(action.text().replace("&", ""), action)
            b.setToolTip(texts.MARK_TIP)
            b.setStyleSheet(f"QPushButton {{ border: 2px solid {theme.MANUAL}; "
                            "padding: 6px 5px; }")  # issue 13: the row fits 1280 px
            self.mark_buttons.append(b)
            marks.addWidget(b)

        # Issue 13: the trial table under the trace, as wide as it (no cut "what was seen"),
        # the readout, dial and live trial beside them; all scaled to the window.
        self.table.setColumnHidden(1, True)  # the part: the banner and step strip say it
        grid = QGridLayout()
        grid.addWidget(self.banner, 0, 0, 1, 2)
        left = QVBoxLayout()
        left.addWidget(self.live, 3)
        left.addWidget(self.table, 2)
        grid.addLayout(left, 1, 0)
        side = QVBoxLayout()
        side.addWidget(self.pressure, 3)
        # The head angle when a sensor is on (issue 17): beside the trace, above the trial's
        # panel, 64 px at 1280×720 and taller with room — under the trace the page outgrew
        # 1280×720.
        self.head = HeadTrace(controller, span_s=40.0, plot_px=64, rezero=False, grow=True)
        side.addWidget(self.head, 2)
        side.addWidget(self.trial, 2)
        grid.addLayout(side, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.repeat_button)
        buttons.addWidget(self.override_button)
        buttons.addStretch(1)
        buttons.addLayout(marks)
        buttons.addStretch(1)
        buttons.addWidget(self.end_button)
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(self.alerts)
        layout.addLayout(buttons)
        controller.ticked.connect(self.refresh)
        controller.session_changed.connect(self.refresh)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Issue 13: reads from 2 m at any size. From the window's height, not the page's: the
        # banner's own size must not feed back into its type size.
        self.banner.scale_to(self.window().height() / 760)

    def refresh(self) -> None:
        if not self.isVisible():
            return
        c = self.controller
        s = c.session
        if s is None or s.runner is None:
            return
        self.table.show_trials(s.runner.trials, s.runner.analyzer.open_trial)
        if s.corrections is not None and s.corrections.selected is None and (
            self.table.selectedItems()
        ):
            self.table.clearSelection()  # a new trial started: O and 1–4 act on the last
        text = texts.RESUME if c.paused else texts.PAUSE
        if self.pause_button.text() != text:
            self.pause_button.setText(text)
        alerts = s.alerts.current(s.latest_t_s)  # a gap's alert goes once samples are back
        if c.link_state.value == "reconnecting":
            alerts.insert(0, texts.ALERT_RECONNECTING)
        alert_text = "\n".join(texts.ALERT_PREFIX + a for a in alerts[-3:])
        if self.alerts.text() != alert_text:
            self.alerts.setText(alert_text)
            self.alerts.setVisible(bool(alert_text))


class ClinicScreen(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.showing_results = False
        self.start_action = self._action(texts.ACTION_START_PAUSE, "Space", self.space)
        self.repeat_action = self._action(texts.REPEAT, "R", controller.repeat_last_trial)
        self.override_action = self._action(texts.OVERRIDE, "O", self.override)
        self.mark_actions = [
            self._action(texts.MARK_BUTTON[kind], str(k + 1),
                         lambda _=False, kind=kind: controller.mark_compensation(kind))
            for k, kind in enumerate(COMPENSATION_KINDS)
        ]
        self.confirm_flag_action = self._action(texts.FLAG_CONFIRM_KEY, "B",
                                                lambda: controller.review_flag(True))
        self.dismiss_flag_action = self._action(texts.FLAG_DISMISS_KEY, "Shift+B",
                                                lambda: controller.review_flag(False))
        self.confirm_head_action = self._action(  # head sensor: retraction / chin poke
            texts.HEAD_FLAG_CONFIRM_KEY, "H",
            lambda: controller.review_flag(True, HEAD_FLAG_TYPES))
        self.dismiss_head_action = self._action(
            texts.HEAD_FLAG_DISMISS_KEY, "Shift+H",
            lambda: controller.review_flag(False, HEAD_FLAG_TYPES))
        self.undo_action = self._action(texts.UNDO, "Ctrl+Z", controller.undo_correction)
        self.tare_action = self._action(texts.TARE_BUTTON, "T", controller.tare)
        self.end_action = self._action(texts.END_TEST, "Ctrl+E",
                                       lambda: controller.request_end("end"))

        self.steps = StepStrip()
        self.steps.setFont(theme.font(theme.BODY_PT + 1))
        self.setup_page = SetupPage(controller, self)
        self.run_page = RunPage(controller, self)
        self._results: ResultsScreen | None = None  # built after the first frame, see results
        self.pages = QStackedWidget()
        for page in (self.setup_page, self.run_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addWidget(self.steps)
        layout.addWidget(self.pages, 1)
        controller.session_changed.connect(self.sync)
        controller.session_finished.connect(self._finished)
        controller.connection_changed.connect(self.sync)
        controller.ticked.connect(self._update_actions)
        self.sync()

    @property
    def results(self) -> ResultsScreen:
        """The results page, built on first use: not on the first frame (issue 14; the app
        builds it after the first frame with data, ``MainWindow.build_screens``)."""
        if self._results is None:
            self._results = ResultsScreen(self.controller)
            self._results.new_test.connect(self.new_test)
            self.pages.addWidget(self._results)
        return self._results

    def results_built(self) -> bool:
        return self._results is not None

    def _action(self, text: str, key: str, slot) -> QAction:
        action = QAction(menu_text(text, key), self)  # the key shows once
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # on while shown
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    @property
    def actions_for_menu(self) -> list[QAction]:
        return [self.start_action, self.repeat_action, self.override_action,
                *self.mark_actions, self.confirm_flag_action, self.dismiss_flag_action,
                self.confirm_head_action, self.dismiss_head_action, self.undo_action,
                self.tare_action, self.end_action]

    # --- actions -----------------------------------------------------------------------------

    def space(self) -> None:
        c = self.controller
        if c.session is not None and c.session.kind == "clinic":
            c.toggle_pause()
        elif self._can_start_now():
            warning = start_warning(c.setup, c.settings.baseline_mmhg)
            if warning is not None and not self.confirm_start(warning):
                return  # the therapist waits for the cuff to settle
            c.begin_clinic()  # (refuses without a device: the link may have gone meanwhile)

    def _can_start_now(self) -> bool:
        c = self.controller
        return (c.session is None and self.pages.currentWidget() is self.setup_page
                and self.setup_page.form.valid and c.signal_status.live)

    def confirm_start(self, warning: str) -> bool:
        """Ask before starting on a cuff that has not settled (tests replace this)."""
        box = self.start_question(warning)
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            box.deleteLater()

    def start_question(self, warning: str) -> QMessageBox:
        """The question, kept current while it is open: the guide goes on judging the cuff
        (a question that still said "letting it settle…" over a window that said "steady:
        ready to start" showed a stale state as the reason to wait)."""
        c = self.controller
        box = QMessageBox(QMessageBox.Icon.Question, texts.START_NOT_SETTLED_TITLE,
                          texts.START_NOT_SETTLED_ASK.format(state=warning),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)

        def follow() -> None:
            if not c.signal_status.live:
                text = texts.START_ASK_NO_SIGNAL
            else:
                now = start_warning(c.setup, c.settings.baseline_mmhg)
                text = (texts.START_SETTLED_NOW if now is None
                        else texts.START_NOT_SETTLED_ASK.format(state=now))
            if box.text() != text:
                box.setText(text)

        c.ticked.connect(follow)
        box.finished.connect(lambda *_: c.ticked.disconnect(follow))
        return box

    def override(self) -> None:
        self.controller.toggle_override()  # the selection reaches the controller when made

    def new_test(self) -> None:
        self.results.save_notes(quiet=True)
        self.showing_results = False
        self.sync()

    def _finished(self, report: SessionReport) -> None:
        if report.kind != "clinic":
            return
        self.results.show_report(report)
        self.showing_results = True
        self.sync()

    # --- view --------------------------------------------------------------------------------

    def sync(self) -> None:
        c = self.controller
        s = c.session
        if s is not None and s.kind == "clinic":
            self.pages.setCurrentWidget(self.run_page)
            phase = c.phase or "stage"
            self._show_step(phase if phase in texts.CLINIC_STEPS else "stage")
        elif self.showing_results:
            self.pages.setCurrentWidget(self.results)
            self._show_step("results")
        else:
            self.pages.setCurrentWidget(self.setup_page)
            self._show_step("setup")
        self._update_actions()

    def _show_step(self, current: str) -> None:
        c = self.controller
        s = c.session
        settings = s.settings if s is not None and s.settings is not None else c.settings
        if self.showing_results and self.results.report is not None and (
                self.results.report.settings is not None):
            settings = self.results.report.settings
        self.steps.show_step(current, practice=settings.practice_trials > 0)

    def _update_actions(self) -> None:
        if not self.isVisible():
            for action in self.actions_for_menu:
                action.setEnabled(False)  # another screen's keys are live
            return
        c = self.controller
        s = c.session
        running = s is not None and s.kind == "clinic"
        if running:
            phase = c.phase or "stage"
            self._show_step(phase if phase in texts.CLINIC_STEPS else "stage")
        on_setup = self.pages.currentWidget() is self.setup_page
        live = c.signal_status.live
        can_start = (on_setup and c.device is not None and live and s is None
                     and self.setup_page.form.valid)
        self.start_action.setEnabled(running or can_start)
        self.setup_page.start_button.setEnabled(can_start)
        start_text = texts.START_TEST if live else texts.START_NEEDS_DEVICE
        if live and can_start and not c.setup.ready:
            start_text = texts.START_NOT_SETTLED  # allowed, but it asks first
        if self.setup_page.start_button.text() != start_text:
            self.setup_page.start_button.setText(start_text)
            # Only "Start test" is in big type: the longer warnings ("plug in the sensor",
            # "cuff not settled yet") in small type, or the set-up page outgrows a 1280-px
            # laptop screen (a real window opened 1512 px wide).
            self.setup_page.start_button.setFont(theme.font(
                theme.TITLE_PT if start_text == texts.START_TEST else theme.SMALL_PT, bold=True))
        has_trials = running and s is not None and s.runner is not None and bool(s.runner.trials)
        self.repeat_action.setEnabled(has_trials)
        self.override_action.setEnabled(has_trials)
        self.undo_action.setEnabled(running and s is not None and s.corrections is not None
                                    and bool(s.corrections.done))
        for action in self.mark_actions:
            action.setEnabled(running and s is not None and s.runner is not None
                              and (s.runner.analyzer.open_trial is not None or has_trials))
        flagged = (running and s is not None and s.corrections is not None
                   and s.corrections.review_target("breath_hold") is not None)
        self.confirm_flag_action.setEnabled(flagged)
        self.dismiss_flag_action.setEnabled(flagged)
        head_flagged = (running and s is not None and s.corrections is not None
                        and s.corrections.review_target(HEAD_FLAG_TYPES) is not None)
        self.confirm_head_action.setEnabled(head_flagged)
        self.dismiss_head_action.setEnabled(head_flagged)
        self.end_action.setEnabled(running)
        self.tare_action.setEnabled(on_setup and self.setup_page.tare_button.isEnabled())

