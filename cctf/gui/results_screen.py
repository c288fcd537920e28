"""Results of a clinic test: activation score and performance index against reference values,
each trial with its faults in plain words, and the trace overview. A test ended early says so;
a score the data cannot support reads "not measured" (never 0); the therapist's corrections
are listed as "Trial 7: failed → passed (therapist)"."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.analysis.head import HEAD_FLAG_TYPES
from cctf.analysis.results import TrialResult
from cctf.gui import theme
from cctf.gui.controller import RECORDS_ERRORS, AppController, SessionReport
from cctf.gui.elided import ElidedLabel
from cctf.gui.live_view import LiveView
from cctf.gui.sizes import scaled_pt
from cctf.session.flag_review import FlagReviews

MIN_ROWS = 4  # a trial table never shows fewer rows (issue 13)


class TrialTable(QTableWidget):
    """One row per trial: phase, target, verdict (symbol and word), what was seen."""

    COLUMNS = texts.TRIAL_COLUMNS

    def __init__(self, parent: QWidget | None = None, *, follow: bool = True,
                 wrap: bool = True) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.follow = follow  # scroll to the newest trial
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.wrap = wrap  # without a head column (with one there is no room: one line)
        self._set_wrap(wrap)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        for col in range(len(self.COLUMNS) - 1):  # fixed: widths never jump as rows change
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Issue 13: desk-distance type (the therapist's table, not the patient's banner) so
        # "what was seen" stays on one line; at least MIN_ROWS rows always shown.
        self.setStyleSheet(f"QTableWidget {{ font-size: {theme.SMALL_PT}pt; }}")
        self._shown: list[tuple] = []
        self._fix_widths()

    def _set_wrap(self, wrap: bool) -> None:
        self.setWordWrap(wrap)
        if wrap:
            self.setProperty("cctf_elided_columns", [])
            self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        else:  # one line a trial: a long "what was seen" ends in "…" (whole in its
            self.setTextElideMode(Qt.TextElideMode.ElideRight)  # tooltip and the live panel)
            self.setProperty("cctf_elided_columns", [self.columnCount() - 1])
            self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)

    def _fix_widths(self) -> None:
        """Each column as wide as the longest thing it can hold (in this font), the last
        one takes the rest and wraps."""
        bold = QFont(self.font())
        bold.setBold(True)
        fm_bold = QFontMetrics(bold)
        pad = 12
        # The rare long verdicts ("↺ repeated (not scored)") wrap onto a second line.
        longest: tuple[tuple[str, ...], ...] = (("88", *self.COLUMNS[:1]),
                   (*texts.PHASE_SHORT.values(), self.COLUMNS[1]),
                   ("88.5", self.COLUMNS[2]),
                   (texts.VERDICT_RUNNING, texts.verdict_word(True, symbol=True),
                    texts.verdict_word(False, symbol=True) + texts.OVERRIDDEN_SUFFIX,
                    self.COLUMNS[3],
                    *(() if self.wordWrap() else (texts.VERDICT_REPEATED,
                                                  texts.VERDICT_INTERRUPTED))))
        if self.columnCount() > len(self.COLUMNS):  # the head sensor's angle column
            longest += ((texts.head_deg(88.8), texts.head_deg(float("nan")),
                         texts.HEAD_COLUMN_APP),)
        head = QFontMetrics(self.horizontalHeader().font())
        titles = [item.text() if (item := self.horizontalHeaderItem(c)) is not None else ""
                  for c in range(self.columnCount())]  # None while the columns change
        for col, words in enumerate(longest):
            self.setColumnWidth(col, max(max(fm_bold.horizontalAdvance(w) for w in words),
                                         head.horizontalAdvance(titles[col]) + 8) + pad)
        fixed = sum(self.columnWidth(c) for c in range(self.columnCount() - 1))
        self.setMinimumWidth(fixed + fm_bold.horizontalAdvance(texts.HELD_STEADY.format(
            seconds=60)) + pad + 2 * self.frameWidth() + 20)  # + a vertical scrollbar
        rows = self.fontMetrics().height() + 16  # what a one-line row takes with its padding
        self.verticalHeader().setDefaultSectionSize(rows)
        self.setMinimumHeight(self.horizontalHeader().sizeHint().height()
                              + MIN_ROWS * rows + 2 * self.frameWidth() + 2)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        if self.follow:  # the newest trial stays in view whatever the window does
            self.scrollToBottom()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fix_widths()

    def show_trials(self, trials: list[TrialResult], open_trial: TrialResult | None = None,
                    *, interrupted: int | None = None, head: bool = False) -> None:
        """``head``: a head sensor was fitted: a column with each trial's flexion at the hold."""
        rows = [trial_row(t, interrupted=t.index == interrupted) for t in trials]
        if open_trial is not None:
            rows.append(_open_row(open_trial))
        if head != (self.columnCount() > len(self.COLUMNS)):
            self._set_head_column(head)
        if head:
            by_index = {t.index: t for t in trials}
            rows = [(with_head_cell(cells, by_index.get(int(cells[0]) - 1)), colour)
                    for cells, colour in rows]
        if rows == self._shown:
            return
        self._shown = rows
        self.blockSignals(True)  # refilling is not the therapist selecting a row
        self.setRowCount(len(rows))
        for r, (cells, colour) in enumerate(rows):
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if col == 3 and colour:
                    item.setForeground(theme.qcolor(colour))
                    font = QFont(self.font())  # the table's own (the item's is the app's)
                    font.setBold(True)
                    item.setFont(font)
                self.setItem(r, col, item)
        self.blockSignals(False)
        if self.follow:
            self.scrollToBottom()
        else:
            self.scrollToTop()

    def _set_head_column(self, head: bool) -> None:
        columns = (*self.COLUMNS[:4], texts.HEAD_COLUMN_APP, self.COLUMNS[4]) if head else (
            self.COLUMNS)
        self.setColumnCount(len(columns))
        self.setHorizontalHeaderLabels(columns)
        header = self.horizontalHeader()
        for col in range(len(columns) - 1):  # fixed, as without the head column (issue 13)
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(len(columns) - 1, QHeaderView.ResizeMode.Stretch)
        self._shown = []
        # Issue 13: with the head column "what was seen" is too narrow to wrap at 1280 px
        # (a flagged trial took 4 lines): one line a trial, whole in the tooltip.
        self._set_wrap(self.wrap and not head)
        self._fix_widths()

    def selected_trial(self) -> int | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        if not rows:
            return None
        item = self.item(rows[0].row(), 0)
        text = item.text() if item is not None else ""
        return int(text) - 1 if text.isdigit() else None


def action_rows(actions: tuple[str, ...] | list[str], corrections: tuple[str, ...] = (),
                alerts: tuple[str, ...] = ()) -> list[str]:
    """The therapist's actions one per line, times as m:ss ("21.0s repeat" → "0:21  repeat"),
    then the corrections and alerts."""
    rows = []
    for action in actions:
        stamp, _, text = action.partition(" ")
        try:
            seconds = float(stamp.removesuffix("s"))
        except ValueError:
            rows.append(action)
            continue
        whole = int(seconds)
        rows.append(texts.ACTION_ROW.format(clock=f"{whole // 60}:{whole % 60:02d}", text=text))
    rows += [texts.CORRECTION_ROW.format(text=c) for c in corrections]
    rows += [texts.ALERT_ROW.format(text=a) for a in alerts]
    return rows


def trial_row(t: TrialResult, *, interrupted: bool = False) -> tuple[tuple[str, ...], str]:
    if interrupted or getattr(t, "interrupted", False):
        verdict, colour = texts.VERDICT_INTERRUPTED, theme.MUTED
    elif t.superseded:
        verdict, colour = texts.VERDICT_REPEATED, theme.MUTED
    else:
        verdict = texts.verdict_word(t.passed, symbol=True)
        if t.verdict_override is not None:
            verdict += texts.OVERRIDDEN_SUFFIX
        colour = theme.BLUISH_GREEN if t.passed else theme.VERMILLION
    lift_motion = getattr(t, "head_lift_motion", None)  # head_lift confirmed by motion?
    seen = [texts.fault_words(f.type, f.value, lift_motion) for f in t.faults]
    seen += [texts.MANUAL_FAULT_TEXT.get(k, k) + texts.MARKED_BY_HAND for k in t.manual_faults]
    seen += [texts.describe_flag(f.type, f.value, t.flag_review.get(f.type)) for f in t.flags]
    if not seen and t.held:
        seen = [texts.HELD_STEADY.format(seconds=t.longest_hold_s)]
    return ((str(t.index + 1), texts.PHASE_SHORT.get(t.phase, t.phase),
             f"{t.target_mmhg:g}", verdict, "; ".join(seen)), colour)


def with_head_cell(cells: tuple[str, ...], t: TrialResult | None) -> tuple[str, ...]:
    """The row with the head's flexion at the hold (and its hypotheses) added (issue 17)."""
    angle = texts.head_deg(t.head_flexion_deg) if t is not None else ""
    seen = cells[4]
    if t is not None:
        head_flags = [texts.describe_flag(f.type, f.value, t.flag_review.get(f.type))
                      for f in t.flags if f.type in HEAD_FLAG_TYPES]
        head_flags = [h for h in head_flags if h not in seen]  # listed once (issue-17br too)
        if t.head_lift_motion and not any(f.type == "head_lift" for f in t.faults):
            head_flags.append(texts.HEAD_LIFT_MOTION.strip())  # else said with the fault
        seen = "; ".join([s for s in (seen, *head_flags) if s])
    return (*cells[:4], angle, seen)


def _open_row(t: TrialResult) -> tuple[tuple[str, ...], str]:
    return ((str(t.index + 1), texts.PHASE_SHORT.get(t.phase, t.phase), f"{t.target_mmhg:g}",
             texts.VERDICT_RUNNING, ""), theme.MUTED)


def score_text(value: float | None, template: str, key: str) -> str:
    """A score in words: "not measured" when the data cannot support one (never 0)."""
    return texts.NOT_MEASURED if value is None else template.format(**{key: value})


class ScoreCard(QFrame):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.title = QLabel(title)
        self.title.setProperty("muted", True)
        self.value = QLabel("")
        self.value.setFont(theme.font(theme.CUE_PT, bold=True))
        # Scaled with the screen (ResultsScreen.resizeEvent): no part in the minimum size.
        self.value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.value.setMinimumHeight(1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setFont(theme.font(theme.SMALL_PT))  # issue 13: the card whole at 720 px
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        layout.addStretch(1)


class ResultsScreen(QWidget):
    new_test = Signal()

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.report: SessionReport | None = None
        self.heading = QLabel(texts.RESULTS_TITLE)
        self.heading.setFont(theme.font(theme.TITLE_PT, bold=True))
        self.ended = QLabel("")  # "This test was ended early at 3:12: …"
        self.ended.setWordWrap(True)
        self.ended.setStyleSheet(f"color: {theme.TEXT}; background: #FCEBC5; "
                                 "border-radius: 6px; padding: 6px;")
        self.ended.setVisible(False)
        # Head sensor: flexion per mmHg across the stages: one line beside the notes (issue 13:
        # no row of its own at 1280×720), whole in its tooltip.
        self.head_slope = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        self.head_slope.setFont(theme.font(theme.SMALL_PT))
        self.head_slope.setVisible(False)
        self.activation = ScoreCard(texts.ACTIVATION_TITLE)
        self.performance = ScoreCard(texts.PI_TITLE)
        self.reference = ScoreCard(texts.REFERENCE_TITLE)
        self.reference.value.setVisible(False)
        self.reference.note.setTextFormat(Qt.TextFormat.RichText)
        self.table = TrialTable(follow=False)
        self.overview = LiveView(controller, compact=True)
        self.overview.setMinimumHeight(220)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.new_button = QPushButton(texts.NEW_TEST)
        self.new_button.setProperty("primary", True)
        self.new_button.clicked.connect(self.new_test)
        self.folder_button = QPushButton(texts.OPEN_FOLDER)
        self.folder_button.clicked.connect(self._open_folder)
        # The therapist's notes and the PDF report (both need the session in the records).
        self.record_status = QLabel("")
        self.record_status.setWordWrap(True)
        self.record_status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes_box = QPlainTextEdit()
        self.notes_box.setPlaceholderText(texts.NOTES_LABEL)
        self.notes_box.setAccessibleName(texts.NOTES_LABEL)
        self.notes_box.setMaximumHeight(110)
        self.save_notes_button = QPushButton(texts.NOTES_SAVE)
        self.save_notes_button.clicked.connect(self.save_notes)
        self.report_button = QPushButton(texts.REPORT_BUTTON)
        self.report_button.clicked.connect(self.write_report)
        self.report_path: str | bool | None = None  # False while writing, then a message
        self.written_report: Path | None = None  # the PDF written from this screen
        self.open_report_button = QPushButton(texts.RESULTS_OPEN_REPORT)
        self.open_report_button.clicked.connect(self.open_report)
        self.attach_button = QPushButton(texts.RESULTS_ATTACH)
        self.attach_button.clicked.connect(self.attach_to_patient)
        controller.record_completed.connect(self._record_completed)
        # Possible breath holding: confirm, dismiss or take back on the selected row; undo.
        self.flag_reviews: FlagReviews | None = None
        # Issue 13: one compact row beside the trace (short words, the whole in the tooltip),
        # shown only when a trial has the flag; the status one elided line under the notes.
        self.flag_buttons = {
            confirmed: QPushButton(short) for confirmed, short in (
                (True, texts.FLAG_CONFIRM_SHORT), (False, texts.FLAG_DISMISS_SHORT),
                (None, texts.FLAG_UNREVIEW_SHORT))}
        for (confirmed, button), tip in zip(self.flag_buttons.items(), (
                texts.FLAG_CONFIRM, texts.FLAG_DISMISS, texts.FLAG_UNREVIEW), strict=True):
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, c=confirmed: self.review_flag(c))
        self.flag_undo_button = QPushButton(texts.FLAG_UNDO_SHORT)
        self.flag_undo_button.setToolTip(texts.UNDO)
        self.flag_undo_button.clicked.connect(self.undo_flag_review)
        # What was done last (whole in its tooltip and the status bar), else what to do.
        self.flag_status = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        self.flag_row = QWidget()  # hidden unless a trial has possible breath holding
        flags = QHBoxLayout(self.flag_row)
        flags.setContentsMargins(0, 0, 0, 0)
        flags.addWidget(self.flag_status, 1)
        for button in (*self.flag_buttons.values(), self.flag_undo_button):
            flags.addWidget(button)
        # Issue 17: a trial with several flags (breath holding, retraction, chin poke): a
        # button asks which, in a menu at the button (no room for a chooser at 1280 px).
        self.flag_menu: QMenu | None = None
        self.flag_row.setStyleSheet(  # compact: four buttons in the trace column at 1280 px
            f"QPushButton {{ padding: 3px 6px; font-size: {theme.SMALL_PT}pt; }} "
            f"QLabel {{ font-size: {theme.SMALL_PT}pt; }}")
        self.flag_row.setVisible(False)
        self.table.itemSelectionChanged.connect(self._enable_flags)

        # Issue 13: fixed space for everything, whatever the window: the action log a compact
        # list (m:ss) beside the trial table, one elided line per status, cards that scale.
        self.action_log = QListWidget()
        self.action_log.setAccessibleName(texts.ACTIONS_TITLE)
        self.action_log.setToolTip(texts.ACTIONS_TITLE)
        self.action_log.setWordWrap(False)  # one line each, "…" if long, whole in a tooltip
        self.action_log.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.action_log.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.action_log.setMinimumHeight(2 * self.action_log.fontMetrics().lineSpacing() + 8)
        self.saved_to = ElidedLabel()
        self.saved_to.setProperty("muted", True)
        self.record_line = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        self.report_line = ElidedLabel()
        self.notes.setVisible(False)  # superseded by saved_to and the action log
        self.record_status.setVisible(False)
        self.overview.setMinimumHeight(80)  # room for the breath-flag row at 1280×720
        cards = QHBoxLayout()
        cards.addWidget(self.activation, 2)
        cards.addWidget(self.performance, 3)
        cards.addWidget(self.reference, 3)
        right = QVBoxLayout()
        right.addWidget(self.overview, 3)
        right.addWidget(self.action_log, 1)
        right.addWidget(self.flag_row)
        grid = QGridLayout()
        grid.addWidget(self.table, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 5)
        grid.setColumnStretch(1, 4)
        record = QHBoxLayout()
        record.addWidget(self.notes_box, 1)
        side = QVBoxLayout()
        side.setSpacing(2)
        lines = QHBoxLayout()
        lines.addWidget(self.record_line, 3)
        lines.addWidget(self.saved_to, 2)
        side.addLayout(lines)
        lines = QHBoxLayout()  # the report's line (once written) and the head's slope
        lines.addWidget(self.report_line, 1)
        lines.addWidget(self.head_slope, 1)
        side.addLayout(lines)
        row = QHBoxLayout()
        row.addWidget(self.save_notes_button)
        row.addWidget(self.report_button)
        row.addWidget(self.open_report_button)
        row.addWidget(self.attach_button)
        row.addStretch(1)
        row.addWidget(self.folder_button)
        row.addWidget(self.new_button)
        side.addLayout(row)
        record.addLayout(side, 1)
        self.heading.setVisible(False)  # the step strip above says "Results"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.ended)
        layout.addLayout(cards)
        layout.addLayout(grid, 1)
        layout.addLayout(record)
        self._enable_record()
        self._enable_flags()

    # --- possible breath holding: the therapist's review ------------------------------------

    def _start_flag_reviews(self, report: SessionReport) -> None:
        from cctf.session.clinic import scoring_plan

        settings = report.settings
        self.flag_reviews = None if report.result is None else FlagReviews(
            report.result, scoring_plan(settings) if settings is not None else None,
            settings.baseline_mmhg if settings is not None else 20.0, self._store_review)
        self.flag_status.setText(texts.FLAG_STATUS_HINT_ANY)  # shown only with a flag

    def _store_review(self, trial_index: int, flag_type: str, confirmed: bool | None,
                      reason: str) -> None:
        """A review on this screen is an edit of the finished session (the buttons wait for
        the record): through the audit trail with its fixed reason. Raises when refused."""
        c = self.controller
        if self.session_id is None or c.records is None:
            return  # not in the records: only this screen changes
        from cctf.records import audit

        audit.edit_flag_review(c.records, self.session_id, trial_index, flag_type, confirmed,
                               reason=reason)

    def _reviewable(self) -> bool:
        """Reviews wait until the session's record is complete (a second or so after the
        test): before that a review would change the record being saved, with no trace."""
        return (self.session_id is None or self.controller.records is None
                or self._completed_in_records())

    def _selected_flags(self) -> list[str]:
        reviews, index = self.flag_reviews, self.table.selected_trial()
        return reviews.flag_types(index) if reviews is not None and index is not None else []

    def _enable_flags(self) -> None:
        reviews = self.flag_reviews
        kinds = self._selected_flags()
        ready = self._reviewable()
        for button, generic, template in zip(self.flag_buttons.values(), (
                texts.FLAG_CONFIRM, texts.FLAG_DISMISS, texts.FLAG_UNREVIEW), (
                texts.FLAG_CONFIRM_OF, texts.FLAG_DISMISS_OF, texts.FLAG_UNREVIEW_OF),
                strict=True):
            button.setEnabled(bool(kinds) and ready)
            button.setToolTip(texts.FLAG_REVIEW_WAIT if not ready else template.format(
                flag=" / ".join(texts.FLAG_NAME.get(k, k) for k in kinds)) if kinds
                else generic)
        self.flag_undo_button.setEnabled(reviews is not None and bool(reviews.done) and ready)
        self.flag_row.setVisible(reviews is not None and reviews.any_flag)

    def review_flag(self, confirmed: bool | None, flag_type: str | None = None) -> bool:
        """Confirm, dismiss or take back a hypothesis flag on the selected trial: ``flag_type``,
        else its only flag; with several, a menu at the button asks which (False: asked)."""
        index = self.table.selected_trial()
        if self.flag_reviews is None or index is None:
            self._flag_say(texts.REVIEW_CHOOSE_TRIAL)
            return False
        kinds = self._selected_flags()
        if flag_type is None and len(kinds) > 1:
            self._ask_which(confirmed, kinds)
            return False
        if not self._reviewable():
            self._flag_say(texts.FLAG_REVIEW_WAIT)
            return False
        kind = flag_type or (kinds[0] if kinds else None)
        try:
            change = self.flag_reviews.review(index, kind, confirmed) if kind else None
        except RECORDS_ERRORS as exc:  # refused by the records: nothing changed
            self._flag_say(texts.RECORDS_WRITE_FAILED.format(error=exc))
            return False
        if change is None:
            self._flag_say(texts.FLAG_NO_FLAG_ANY.format(trial=index + 1))
            return False
        self._flag_changed(change.text)
        return True

    def _ask_which(self, confirmed: bool | None, kinds: list[str]) -> None:
        button = self.flag_buttons[confirmed]
        menu = QMenu(self)
        for kind in kinds:
            action = menu.addAction(texts.FLAG_NAME.get(kind, kind))
            action.triggered.connect(partial(self.review_flag, confirmed, kind))
        self.flag_menu = menu
        menu.popup(button.mapToGlobal(button.rect().bottomLeft()))

    def undo_flag_review(self) -> bool:
        """Take back the last review here: in the records a row going back (the audit trail
        keeps both)."""
        if not self._reviewable():
            self._flag_say(texts.FLAG_REVIEW_WAIT)
            return False
        try:
            change = self.flag_reviews.undo() if self.flag_reviews is not None else None
        except RECORDS_ERRORS as exc:
            self._flag_say(texts.RECORDS_WRITE_FAILED.format(error=exc))
            return False
        if change is None:
            self._flag_say(texts.NOTHING_TO_UNDO)
            return False
        self._flag_changed(texts.CORRECTION_UNDONE.format(text=change.text))
        return True

    def _flag_say(self, text: str) -> None:
        """In the flag row (elided) and whole in the status bar."""
        self.flag_status.setText(text)
        self.controller.notice.emit(text)

    def _flag_changed(self, text: str) -> None:
        """Show the changed verdicts and scores, keeping the notes and the reviews."""
        assert self.report is not None
        notes, reviews, selected, written = (self.notes_box.toPlainText(), self.flag_reviews,
                                             self.table.selected_trial(), self.report_path)
        self.show_report(self.report)
        self.flag_reviews, self.report_path = reviews, written
        self.notes_box.setPlainText(notes)
        self._enable_record()
        if reviews is not None and reviews.done:  # listed with the test's corrections
            self.notes.setText(self.notes.text() + "\n" + texts.FLAG_REVIEWS_PREFIX
                               + "; ".join(c.text for c in reviews.done))
            for row in action_rows((), tuple(c.text for c in reviews.done)):
                item = QListWidgetItem(row)  # whole in the action log beside the trace
                item.setToolTip(row)
                self.action_log.addItem(item)
            self.action_log.scrollToBottom()
        rows = [t.index for t in self.report.result.trials] if self.report.result else []
        if selected in rows:
            self.table.selectRow(rows.index(selected))
        self.flag_status.setText(text)
        self.controller.notice.emit(text)
        self._enable_flags()

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        pt = scaled_pt(theme.CUE_PT, self.height(), 1000, lowest=0.55, highest=1.6)
        for card in (self.activation, self.performance):  # "not measured" fits the card
            fm = QFontMetrics(theme.font(pt, bold=True))
            room = card.contentsRect().width() - 24
            if fm.horizontalAdvance(texts.NOT_MEASURED) > room > 0:
                pt = max(8, int(pt * room / fm.horizontalAdvance(texts.NOT_MEASURED)))
            if card.value.font().pointSize() != pt:
                card.value.setFont(theme.font(pt, bold=True))

    # --- the records ---------------------------------------------------------------------------

    @property
    def session_id(self) -> int | None:
        return self.report.session_id if self.report is not None else None

    def _completed_in_records(self) -> bool:
        c = self.controller
        sid = self.session_id
        if sid is None or c.records is None:
            return False
        try:
            found = c.records.find_session(sid)
        except RECORDS_ERRORS:
            return False
        return found is not None and found.status != "recording"

    def _enable_record(self) -> None:
        done = self._completed_in_records()
        self.notes_box.setEnabled(self.session_id is not None)
        self.save_notes_button.setEnabled(done)
        self.report_button.setEnabled(done and self.report_path is not False)
        self.open_report_button.setEnabled(done and self.report_path is not False)
        self.attach_button.setVisible(self.report is not None and self.session_id is None)
        self.attach_button.setEnabled(self.controller.records is not None)
        self.attach_button.setToolTip("" if self.controller.records is not None
                                      else texts.RESULTS_ATTACH_NO_RECORDS)
        if self.report is None:
            text = ""
        elif self.session_id is None:
            text = texts.NOTES_NOT_IN_RECORDS
        elif not done:
            text = texts.RECORD_PENDING
        else:
            text = texts.RECORD_SAVED.format(code=self.report.patient_code, id=self.session_id)
        if isinstance(self.report_path, str):
            text += "\n" + self.report_path
        self.record_status.setText(text)
        first, _, second = text.partition("\n")
        self.record_line.setText(first)
        self.report_line.setText(second)
        self.report_line.setVisible(bool(second))  # else the head's slope has the line

    def _record_completed(self, session_id: int) -> None:
        if session_id == self.session_id:
            self.save_notes(quiet=True)  # notes typed while it was being saved
            self._enable_record()
            self._enable_flags()  # the flags can be reviewed now

    def save_notes(self, quiet: bool = False) -> bool:
        c = self.controller
        sid = self.session_id
        if sid is None or c.records is None or not self._completed_in_records():
            return False
        text = self.notes_box.toPlainText()
        if quiet and not text.strip():
            return False
        try:
            c.records.set_notes(sid, text)
        except RECORDS_ERRORS as exc:
            c.notice.emit(texts.RECORDS_WRITE_FAILED.format(error=exc))
            return False
        if not quiet:
            c.notice.emit(texts.NOTES_SAVED)
        return True

    def write_report(self) -> None:
        """The session's PDF report, written by a worker with its own connection."""
        from cctf.gui.patients import session_report_pdf

        sid = self.session_id
        if sid is None:
            return
        self.save_notes(quiet=True)  # the report prints them
        self.report_path = False  # writing
        self._enable_record()
        self.record_status.setText(texts.REPORT_WRITING)
        self.report_line.setText(texts.REPORT_WRITING)
        self.report_line.setVisible(True)
        session_report_pdf(self.controller.data_dir, sid, self._report_saved,
                           self._report_failed)

    def _report_saved(self, path) -> None:  # type: ignore[no-untyped-def]
        self.written_report = Path(path)
        self.report_path = texts.REPORT_SAVED.format(path=path)
        self._enable_record()
        self.controller.notice.emit(self.report_path)

    def _report_failed(self, exc: BaseException) -> None:
        self.report_path = texts.REPORT_FAILED.format(error=exc)
        self._enable_record()

    # --- the results ----------------------------------------------------------------------------

    def _say(self, why: str) -> None:
        self.record_status.setText(why)
        self.controller.notice.emit(why)

    def open_report(self) -> str | None:
        """Open the session's PDF (the one written here, else the newest in the patient's
        folder); when there is none or nothing can open it, say why."""
        from cctf.gui.open_path import open_path
        from cctf.records.history import report_files

        path = self.written_report
        c = self.controller
        if path is None and self.session_id is not None and c.records is not None:
            try:
                found = report_files(c.records, self.session_id)
            except RECORDS_ERRORS:
                found = []
            path = found[0] if found else None
        why = (texts.RESULTS_NO_REPORT if path is None
               else open_path(path, texts.OPEN_WHAT_PDF))
        if why:
            self._say(why)
        return why

    def pick_patient(self, codes: list[str]) -> str | None:
        """Ask which patient the test belongs to (tests replace this)."""
        name = self.report.path.name if self.report is not None else ""
        code, ok = QInputDialog.getItem(self, texts.RESULTS_ATTACH_TITLE,
                                        texts.RESULTS_ATTACH_PICK.format(name=name), codes, 0,
                                        False)
        return code if ok and code else None

    def attach_to_patient(self) -> int | None:
        """A test run without a patient joins a patient's records (the History window's
        attach: a checked copy, status imported), so notes and the report become available."""
        from cctf.records.history import attach_recording

        c = self.controller
        report = self.report
        if report is None or report.session_id is not None:
            return None
        if c.records is None:
            self._say(texts.RESULTS_ATTACH_NO_RECORDS)
            return None
        codes = [p.code for p in c.records.patients()]
        if not codes:
            self._say(texts.RESULTS_ATTACH_NO_PATIENTS)
            return None
        code = self.pick_patient(codes)
        if code is None:
            return None
        report.recorder.join(10.0)  # every row on disk before it is copied
        try:
            session_id = attach_recording(c.records, report.path, code)
        except (*RECORDS_ERRORS, ValueError, OSError) as exc:
            self._say(texts.HISTORY_ATTACH_FAILED.format(error=exc))
            return None
        self.report = replace(report, session_id=session_id, patient_code=code)
        self.report_path = None
        self._enable_record()
        self._say(texts.RESULTS_ATTACHED.format(code=code, id=session_id))
        self._carry_reviews()
        c.records_changed.emit()
        return session_id

    def _carry_reviews(self) -> None:
        """The flags reviewed while the test was not in the records (keys during it, buttons
        here) follow it in, each an audit row: else this screen and the record would differ.
        What was done before is no longer undone here (the trail has it)."""
        reviews = self.flag_reviews
        if reviews is None:
            return
        try:
            for trial in reviews.result.trials:
                for flag_type, confirmed in trial.flag_review.items():
                    self._store_review(trial.index, flag_type, confirmed,
                                       texts.FLAG_REVIEW_ATTACHED_REASON)
        except RECORDS_ERRORS as exc:
            self._say(texts.RECORDS_WRITE_FAILED.format(error=exc))
        reviews.done.clear()
        self._enable_flags()

    def show_report(self, report: SessionReport) -> None:
        self.report = report
        self.report_path = None
        self.written_report = None
        self.notes_box.setPlainText("")
        self._start_flag_reviews(report)
        self._enable_record()
        result = report.result
        settings = report.settings
        early = report.ended_early_s
        if early is not None:
            whole = int(early)
            self.ended.setText(texts.RESULTS_ENDED_EARLY.format(minutes=whole // 60,
                                                                seconds=whole % 60))
        self.ended.setVisible(early is not None)
        if result is None:
            return
        scored = settings is None or settings.order == "ascending"
        baseline = settings.baseline_mmhg if settings is not None else 20.0
        a = result.activation_score_mmhg
        why_act, why_pi = texts.why_not_measured(result)  # None scores: "not measured"
        if scored and a is None:
            self.activation.value.setText(texts.NOT_MEASURED)
            self.activation.note.setText(why_act)
        elif scored and a is not None:
            self.activation.value.setText(texts.ACTIVATION_VALUE.format(score=a))
            self.activation.note.setText(
                texts.ACTIVATION_NOTE.format(level=baseline + a) if a > 0
                else texts.ACTIVATION_NONE.format(first=baseline + (settings.step_mmhg
                                                                    if settings else 2)))
        if scored:
            self.performance.value.setText(
                texts.NOT_MEASURED if result.performance_index is None
                else texts.PI_VALUE.format(pi=result.performance_index))
            reps = sum(1 for t in result.trials if t.phase == "endurance" and t.scored)
            passed = sum(1 for t in result.trials
                         if t.phase == "endurance" and t.scored and t.passed)
            self.performance.note.setText(texts.PI_NOTE.format(passed=passed, reps=reps,
                                                               scale=texts.PI_SCALE_TEXT))
            if why_pi:
                self.performance.note.setText(why_pi)
        else:
            self.activation.value.setText(texts.NOT_SCORED)
            self.activation.note.setText(texts.RANDOM_NOT_SCORED)
            self.performance.value.setText(texts.NOT_SCORED)
            self.performance.note.setText("")
        level = baseline + a if a is not None and a > 0 else None
        self.reference.note.setText(texts.REFERENCE_HTML.format(
            level=texts.LEVEL_HELD.format(level=level) if level and scored else ""))
        self.table.show_trials(result.trials, interrupted=report.interrupted_trial,
                               head=result.head_measured)
        slope = result.head_slope
        self.head_slope.setText(texts.HEAD_SLOPE.format(
            slope=slope.slope_deg_per_mmhg, r2=slope.r2, n=slope.n_stages) if slope
            else texts.HEAD_SLOPE_NONE)
        self.head_slope.setVisible(result.head_measured)
        self.overview.show_range(report.t0_display_s, report.end_display_s)
        notes = [texts.SAVED_TO.format(path=report.path)]
        notes += [texts.ALERT_PREFIX + a for a in report.alerts]
        if report.corrections:
            notes.append(texts.CORRECTIONS_PREFIX + "; ".join(report.corrections))
        if report.actions:
            notes.append(texts.ACTIONS_PREFIX + "; ".join(report.actions))
        self.notes.setText("\n".join(notes))
        self.saved_to.setText(notes[0])
        self.action_log.clear()
        for row in action_rows(report.actions, report.corrections, report.alerts):
            item = QListWidgetItem(row)
            item.setToolTip(row)
            self.action_log.addItem(item)
        self._enable_flags()

    def _open_folder(self) -> str | None:
        """Open the session's folder; when nothing can, say why (issue 13)."""
        from cctf.gui.open_path import open_path

        if self.report is None:
            return None
        why = open_path(self.report.path.parent, texts.OPEN_WHAT_FOLDER)
        if why:
            self.record_status.setText(why)
            self.report_line.setText(why)
            self.report_line.setVisible(True)
            self.controller.notice.emit(why)
        return why
