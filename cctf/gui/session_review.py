"""A past session reopened from the patient's history: its results read-only with its trace,
and what the therapist may still do — add notes, override a verdict, mark compensation seen
afterwards, confirm or dismiss a hypothesis flag — possible breath holding, retraction or chin
poke — (each kept with the time and a reason: ``cctf.records.audit``), and write or open its
PDF report."""

from __future__ import annotations

import logging
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.analysis.results import TrialResult
from cctf.errors import CctfError
from cctf.gui import theme
from cctf.gui.controller import RECORDS_ERRORS, AppController
from cctf.gui.open_path import open_path
from cctf.gui.results_screen import TrialTable
from cctf.gui.sizes import want
from cctf.records import audit
from cctf.records.actions import edit_lines, session_actions, time_words
from cctf.records.head_file import head_from_file
from cctf.records.history import report_files, score, session_row
from cctf.records.meta import read_recorded
from cctf.records.pdfpage import decimate

log = logging.getLogger(__name__)


class SessionReviewDialog(QDialog):
    def __init__(self, controller: AppController, session_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.session_id = session_id
        self.setModal(False)
        want(self, 1240, 720)  # capped to the screen (issue 13)
        self.heading = QLabel("")
        self.heading.setFont(theme.font(theme.BODY_PT + 2, bold=True))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setToolTip(texts.REVIEW_READ_ONLY)
        self.activation = QLabel("")
        self.performance = QLabel("")
        for label in (self.activation, self.performance):
            label.setFont(theme.font(theme.BODY_PT + 2, bold=True))
        self.table = TrialTable(follow=False)
        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setLabel("left", texts.AXIS_PRESSURE)
        self.plot.setLabel("bottom", texts.REVIEW_AXIS_TIME)
        self.trace = self.plot.plot([], [], pen=pg.mkPen(theme.TRACE, width=1.5))
        self.target = self.plot.plot([], [], pen=pg.mkPen(theme.BLUISH_GREEN, width=2,
                                                          style=Qt.PenStyle.DashLine))
        # changes after the session
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(texts.REVIEW_REASON)
        self.reason.setAccessibleName(texts.REVIEW_REASON)
        self.reason.setToolTip(texts.REVIEW_READ_ONLY)
        self.pass_button = QPushButton(texts.REVIEW_OVERRIDE_PASS)
        self.fail_button = QPushButton(texts.REVIEW_OVERRIDE_FAIL)
        self.measured_button = QPushButton(texts.REVIEW_OVERRIDE_CLEAR)
        self.kind = QComboBox()
        for kind, words in texts.MANUAL_FAULT_TEXT.items():
            self.kind.addItem(texts.MANUAL_FAULT_SHORT[kind], kind)
            self.kind.setItemData(self.kind.count() - 1, words, Qt.ItemDataRole.ToolTipRole)
        self.mark_button = QPushButton(texts.REVIEW_MARK)
        self.clear_button = QPushButton(texts.REVIEW_CLEAR_MARKS)
        self.pass_button.clicked.connect(lambda: self.override(True))
        self.fail_button.clicked.connect(lambda: self.override(False))
        self.measured_button.clicked.connect(lambda: self.override(None))
        # possible breath holding (a hypothesis flag): confirm, dismiss, back to not reviewed
        # (issue 17: and the head's possible retraction / chin poke — the flag chosen here)
        self.flag_kind = QComboBox()
        self.flag_kind.setToolTip(texts.FLAG_WHICH)
        self.flag_kind.setAccessibleName(texts.FLAG_WHICH)
        self.flag_buttons = {c: QPushButton(label) for c, label in (
            (True, texts.FLAG_CONFIRM_SHORT), (False, texts.FLAG_DISMISS_SHORT),
            (None, texts.FLAG_UNREVIEW_SHORT))}
        for confirmed, button in self.flag_buttons.items():
            button.clicked.connect(lambda _=False, c=confirmed: self.review_flag(c))
        self._trials: list[TrialResult] = []  # the trials shown (their flags fill flag_kind)
        self.table.itemSelectionChanged.connect(self._flag_choices)
        self.flag_kind.currentIndexChanged.connect(lambda _=0: self._flag_tips())
        self.mark_button.clicked.connect(lambda: self.mark(self.kind.currentData()))
        self.clear_button.clicked.connect(lambda: self.mark(None))
        self.notes_box = QPlainTextEdit()
        self.notes_box.setPlaceholderText(texts.NOTES_LABEL)
        self.notes_box.setAccessibleName(texts.NOTES_LABEL)
        self.save_notes_button = QPushButton(texts.NOTES_SAVE)
        self.save_notes_button.clicked.connect(self.save_notes)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_button = QPushButton(texts.REPORT_BUTTON)
        self.report_button.clicked.connect(self.write_report)
        self.open_report_button = QPushButton(texts.REVIEW_OPEN_REPORT)
        self.open_report_button.clicked.connect(self.open_report)
        self.folder_button = QPushButton(texts.OPEN_FOLDER)
        self.folder_button.clicked.connect(self.open_folder)
        close = QPushButton(texts.PROGRESS_CLOSE)
        close.clicked.connect(self.close)

        scores = QHBoxLayout()
        scores.addWidget(self.activation)
        scores.addSpacing(24)
        scores.addWidget(self.performance)
        scores.addStretch(1)
        edits = QGridLayout()
        edits.addWidget(self.reason, 0, 0, 1, 3)
        edits.addWidget(self.pass_button, 1, 0)
        edits.addWidget(self.fail_button, 1, 1)
        edits.addWidget(self.measured_button, 1, 2)
        edits.addWidget(self.kind, 2, 0)
        edits.addWidget(self.mark_button, 2, 1)
        edits.addWidget(self.clear_button, 2, 2)
        edits.addWidget(self.flag_kind, 3, 0, 1, 3)
        for col, button in enumerate(self.flag_buttons.values()):
            edits.addWidget(button, 4, col)
        side = QVBoxLayout()
        side.addLayout(edits)
        side.addWidget(self.notes_box, 1)
        side.addWidget(self.save_notes_button, 0, Qt.AlignmentFlag.AlignRight)
        lower = QHBoxLayout()
        lower.addWidget(self.table, 3)
        lower.addLayout(side, 2)
        for button in (self.pass_button, self.fail_button, self.measured_button,
                       self.mark_button, self.clear_button, *self.flag_buttons.values()):
            button.setMaximumWidth(220)
        self.plot.setMinimumHeight(120)
        self.log.setMaximumHeight(5 * self.log.fontMetrics().lineSpacing() + 12)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.open_report_button)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.status)
        layout.addLayout(scores)
        layout.addWidget(self.plot, 2)
        layout.addLayout(lower, 2)
        layout.addWidget(self.log)
        layout.addLayout(buttons)
        self.csv_path: Path | None = None
        self.refresh(trace=True)

    # --- what is shown ----------------------------------------------------------------------

    def refresh(self, trace: bool = False) -> None:
        records = self.controller.records
        if records is None:
            self.message.setText(texts.RECORDS_UNAVAILABLE)
            return
        try:
            s = records.session(self.session_id)
            result = records.load_result(self.session_id)
            edits = audit.edits(records, self.session_id)
        except RECORDS_ERRORS as exc:
            self.message.setText(texts.RECORDS_WRITE_FAILED.format(error=exc))
            return
        row = session_row(s)
        self.setWindowTitle(texts.REVIEW_TITLE.format(code=s.patient_code, id=s.id,
                                                      when=row.cells()[0]))
        self.heading.setText(self.windowTitle())
        self.status.setText(texts.REVIEW_STATUS.format(
            kind=row.cells()[1], status=row.cells()[5], protocol=row.protocol)
            + (f" · {s.status_note}" if s.status_note else ""))
        act, pi = score(s.activation_score_mmhg), score(s.performance_index)
        self.activation.setText(f"{texts.ACTIVATION_TITLE}: " + (
            texts.NOT_MEASURED_13 if act is None else texts.ACTIVATION_VALUE.format(score=act)))
        self.performance.setText(f"{texts.PI_TITLE}: " + (
            texts.NOT_MEASURED_13 if pi is None else texts.PI_VALUE.format(pi=pi)))
        for label in (self.activation, self.performance):
            label.setVisible(s.kind == "clinic")
        self.table.show_trials(result.trials if result is not None else [])
        editable = s.status != "recording" and result is not None and bool(result.trials)
        for button in (self.pass_button, self.fail_button, self.measured_button,
                       self.mark_button, self.clear_button):
            button.setEnabled(editable)
        flagged = result is not None and any(t.flags for t in result.trials)
        self._trials = list(result.trials) if result is not None else []
        for widget in (*self.flag_buttons.values(), self.flag_kind):
            widget.setEnabled(editable and flagged)
            widget.setVisible(flagged)
        self._flag_choices()
        if not self.notes_box.document().isModified():
            self.notes_box.setPlainText(s.therapist_notes)
        self.csv_path = records.csv_path(s)
        recording = None
        try:
            recording = read_recorded(self.csv_path)
        except (CctfError, OSError) as exc:
            self.message.setText(texts.REVIEW_NO_TRACE.format(error=exc))
        if recording is not None and recording.has_head and result is not None:
            # stored before the records kept head angles (v7): from the file's analysis, as
            # the reports and progress take them (remembered while the file is unchanged)
            head_from_file(records, s, result, recording)
        if result is not None and result.head_measured:
            self.table.show_trials(result.trials, head=True)
        if trace and recording is not None and len(recording):
            t, p = decimate(recording.t_s, recording.pressure_mmhg, 6000)
            self.trace.setData(t, p)
            tgt = recording.target_mmhg
            self.target.setData(recording.t_s, tgt, connect="finite")
        lines = [f"{texts.REVIEW_ACTIONS}:"]
        actions = session_actions(recording)
        lines += [f"  {time_words(a)}  {a.marker + ': ' if a.marker else ''}{a.text}"
                  for a in actions] or [f"  {texts.REPORT_NO_ACTIONS}"]
        lines.append(f"{texts.REVIEW_CHANGES}:")
        lines += [f"  {time_words(a)}  {a.text}" for a in edit_lines(edits)] or [
            f"  {texts.REVIEW_NO_CHANGES}"]
        self.log.setPlainText("\n".join(lines))

    # --- changes after the session ------------------------------------------------------------

    def _trial(self) -> int | None:
        index = self.table.selected_trial()
        if index is None:
            self.message.setText(texts.REVIEW_CHOOSE_TRIAL)
        return index

    def _apply(self, change, what: str) -> bool:  # type: ignore[no-untyped-def]
        records = self.controller.records
        if records is None:
            self.message.setText(texts.RECORDS_UNAVAILABLE)
            return False
        try:
            change(records)
        except RECORDS_ERRORS as exc:
            self.message.setText(texts.REVIEW_CHANGE_FAILED.format(error=exc))
            return False
        self.message.setText(texts.REVIEW_CHANGED.format(what=what))
        self.reason.clear()
        self.refresh()
        self.controller.records_changed.emit()
        return True

    def override(self, passed: bool | None) -> bool:
        index = self._trial()
        if index is None:
            return False
        word = texts.VERDICT_MEASURED if passed is None else texts.verdict_word(passed)
        return self._apply(lambda r: audit.edit_override(
            r, self.session_id, index, passed, reason=self.reason.text()),
            texts.ACTION_OVERRIDE.format(trial=index + 1, verdict=word))

    def mark(self, kind: str | None) -> bool:
        index = self._trial()
        if index is None:
            return False
        what = (texts.ACTION_MARK.format(kind=texts.MANUAL_FAULT_TEXT[kind], trial=index + 1)
                if kind else texts.REPORT_EDIT["clear_compensation"].format(trial=index + 1))
        return self._apply(lambda r: audit.edit_compensation(
            r, self.session_id, index, kind, reason=self.reason.text()), what)

    def _flag_choices(self) -> None:
        """The selected trial's hypothesis flags in the flag chooser (kept when unchanged)."""
        index = self.table.selected_trial()
        trial = next((t for t in self._trials if t.index == index), None)
        kinds = [] if trial is None else list(dict.fromkeys(f.type for f in trial.flags))
        if kinds != [self.flag_kind.itemData(k) for k in range(self.flag_kind.count())]:
            self.flag_kind.clear()
            for kind in kinds:
                self.flag_kind.addItem(texts.FLAG_NAME.get(kind, kind), kind)
        self._flag_tips()

    def _flag_tips(self) -> None:
        kind = self.flag_kind.currentData()
        name = texts.FLAG_NAME.get(kind, kind) if kind else None
        for button, generic, template in zip(self.flag_buttons.values(), (
                texts.FLAG_CONFIRM, texts.FLAG_DISMISS, texts.FLAG_UNREVIEW), (
                texts.FLAG_CONFIRM_OF, texts.FLAG_DISMISS_OF, texts.FLAG_UNREVIEW_OF),
                strict=True):
            button.setToolTip(template.format(flag=name) if name else generic)

    def review_flag(self, confirmed: bool | None, flag_type: str | None = None) -> bool:
        """Confirm, dismiss or take back a hypothesis flag on the selected trial (``flag_type``,
        else the one chosen: possible breath holding, retraction or chin poke), with the
        reason, in the audit trail."""
        index = self._trial()
        if index is None:
            return False
        kind = flag_type or self.flag_kind.currentData()
        if not kind:
            self.message.setText(texts.FLAG_NO_FLAG_ANY.format(trial=index + 1))
            return False
        what = texts.REPORT_EDIT_FLAG[{True: "confirmed", False: "dismissed",
                                       None: "unreviewed"}[confirmed]].format(
            trial=index + 1, flag=texts.FLAG_NAME.get(kind, kind))
        return self._apply(lambda r: audit.edit_flag_review(
            r, self.session_id, index, kind, confirmed, reason=self.reason.text()),
            what)

    def save_notes(self) -> bool:
        text = self.notes_box.toPlainText()
        ok = self._apply(lambda r: audit.edit_notes(r, self.session_id, text,
                                                     reason=self.reason.text()),
                         texts.REPORT_EDIT["notes"])
        if ok:
            self.notes_box.document().setModified(False)
        return ok

    # --- the report and files -----------------------------------------------------------------

    def write_report(self) -> None:
        from cctf.gui.patients import session_report_pdf

        if self.notes_box.document().isModified():
            self.save_notes()
        self.report_button.setEnabled(False)
        self.message.setText(texts.REPORT_WRITING)
        session_report_pdf(self.controller.data_dir, self.session_id, self._saved,
                           self._failed)

    def _saved(self, path: Path) -> None:
        self.report_button.setEnabled(True)
        self.message.setText(texts.REPORT_SAVED.format(path=path))

    def _failed(self, exc: BaseException) -> None:
        self.report_button.setEnabled(True)
        self.message.setText(texts.REPORT_FAILED.format(error=exc))

    def open_report(self) -> str | None:
        records = self.controller.records
        found = report_files(records, self.session_id) if records is not None else []
        if not found:
            self.message.setText(texts.REVIEW_NO_REPORT)
            return texts.REVIEW_NO_REPORT
        why = open_path(found[0], texts.OPEN_WHAT_PDF)
        if why:
            self.message.setText(why)
        return why

    def open_folder(self) -> str | None:
        if self.csv_path is None:
            return None
        why = open_path(self.csv_path.parent, texts.OPEN_WHAT_FOLDER)
        if why:
            self.message.setText(why)
        return why
