"""The patient records in the app: the patient picker, a new patient, a patient's progress,
the records notice (recovered sessions, a damaged database), and PDFs written off the UI
thread.

``Records`` (one SQLite connection) stays on the UI thread, owned by the controller; a PDF is
written by a worker with its own connection (``open_records``), and the result comes back on
the UI thread (``cctf.gui.worker``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import RECORDS_ERRORS, UNASSIGNED, AppController
from cctf.gui.open_path import open_path
from cctf.gui.sizes import want
from cctf.gui.worker import run_in_background

if TYPE_CHECKING:  # imported when first used: not on the path to the first frame
    from cctf.gui.session_review import SessionReviewDialog
    from cctf.records import progress
    from cctf.records.history import SessionRow
    from cctf.records.recovery import Recovered

log = logging.getLogger(__name__)

ADHERENCE_WEEKS = 4
ACTIVATION_AXIS_MMHG = 10.0  # the activation score's whole clinical range (20 → 30 mmHg)
DAY_S = 86400.0


# --- PDFs on a worker thread -------------------------------------------------------------------


def write_pdf_in_background(
    data_root: Path, make: Callable[[object], Path],
    on_done: Callable[[Path], None], on_error: Callable[[BaseException], None],
) -> None:
    """Run ``make(records)`` on a worker with its own connection to the records."""

    def work() -> Path:
        from cctf.records.paths import DataDir
        from cctf.records.startup import open_records

        records = open_records(DataDir.resolve(data_root))
        try:
            return make(records)
        finally:
            records.close()

    run_in_background(work, on_done, on_error, name="cctf-report")


def session_report_pdf(data_root: Path, session_id: int,
                       on_done: Callable[[Path], None],
                       on_error: Callable[[BaseException], None]) -> None:
    """The one-page session report, in the patient's folder."""
    from cctf.records import report
    from cctf.records.paths import make_private_dir

    def make(records) -> Path:  # type: ignore[no-untyped-def]
        inp = report.report_input(records, session_id)
        folder = make_private_dir(records.data.patient_dir(inp.patient_code))
        return report.write_session_report(inp, folder / report.default_report_name(inp))

    write_pdf_in_background(data_root, make, on_done, on_error)


def progress_report_pdf(data_root: Path, code: str, on_done: Callable[[Path], None],
                        on_error: Callable[[BaseException], None]) -> None:
    from cctf.records import progress_report
    from cctf.records.paths import make_private_dir

    def make(records) -> Path:  # type: ignore[no-untyped-def]
        today = date.today()
        folder = make_private_dir(records.data.patient_dir(code))
        name = f"{code}_{datetime.now():%Y-%m-%d_%H%M%S}_progress_report.pdf"
        return progress_report.write_progress_report(records, code, folder / name, today=today)

    write_pdf_in_background(data_root, make, on_done, on_error)


# --- the records notice ------------------------------------------------------------------------


def recovered_words(recovered: list[Recovered]) -> str:
    if not recovered:
        return ""
    if len(recovered) == 1:
        r = recovered[0]
        return texts.RECOVERED_ONE.format(patient=r.patient_code, rows=r.rows)
    which = ", ".join(texts.RECOVERED_ITEM.format(patient=r.patient_code, rows=r.rows)
                      for r in recovered)
    return texts.RECOVERED_MANY.format(n=len(recovered), which=which)


class RecordsNotice(QFrame):
    """A non-modal band above the screens: what was recovered at start, or a damaged
    database with a Repair choice. Never a blocking dialog."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.repair_button = QPushButton(texts.RECORDS_REPAIR)
        self.repair_button.setProperty("primary", True)
        self.repair_button.clicked.connect(self.repair)
        self.close_button = QPushButton(texts.RECORDS_DISMISS)
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.repair_button)
        layout.addWidget(self.close_button)
        self.setVisible(False)

    def show_message(self, text: str, *, problem: bool = False, repair: bool = False) -> None:
        colour = "#FCEBC5" if problem else "#DCEEF7"
        self.setStyleSheet(f"RecordsNotice {{ background: {colour}; border-radius: 6px; }}"
                           f" QLabel {{ color: {theme.TEXT}; }}")
        self.text.setText(text)
        self.repair_button.setVisible(repair)
        self.close_button.setText(texts.RECORDS_NOT_NOW if repair else texts.RECORDS_DISMISS)
        self.setVisible(True)

    def show_start(self, recovered: list[Recovered]) -> None:
        """After ``controller.open_records()``: the damage, or what was recovered."""
        c = self.controller
        if c.records is None and c.records_error:
            self.show_message(c.records_error, problem=True, repair=c.records_corrupt)
        elif recovered:
            self.show_message(recovered_words(recovered))
            c.notice.emit(recovered_words(recovered))
        else:
            self.setVisible(False)

    def repair(self) -> None:
        recovered = self.controller.repair_records()
        if self.controller.records is not None:
            self.controller.notice.emit(texts.RECORDS_REPAIRED)
            words = recovered_words(recovered)
            self.show_message(texts.RECORDS_REPAIRED + (" " + words if words else ""))
        else:
            self.show_start([])


# --- a new patient -----------------------------------------------------------------------------


class NewPatientDialog(QDialog):
    """ID (pseudonymous), optional name, birth year and notes; checked by the records."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle(texts.NEW_PATIENT_TITLE)
        self.created: str | None = None
        self.code = QLineEdit()
        self.code.setToolTip(texts.NEW_PATIENT_CODE_TIP)
        self.code.setPlaceholderText("P-0042")
        self.name = QLineEdit()
        self.year = QSpinBox()
        self.year.setRange(1899, date.today().year)  # 1899 shows as blank: not given
        self.year.setSpecialValueText(" ")
        self.year.setValue(1899)
        self.notes = QPlainTextEdit()
        self.notes.setMinimumHeight(4 * self.notes.fontMetrics().lineSpacing())
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.VERMILLION};")
        form = QFormLayout()
        form.addRow(texts.NEW_PATIENT_CODE, self.code)
        form.addRow(texts.NEW_PATIENT_NAME, self.name)
        form.addRow(texts.NEW_PATIENT_YEAR, self.year)
        form.addRow(texts.NEW_PATIENT_NOTES, self.notes)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for field in (self.code, self.name):  # an error is about what was typed: it goes
            field.textEdited.connect(lambda _=None: self.error.clear())  # when that changes
        self.notes.textChanged.connect(self.error.clear)
        self.year.valueChanged.connect(lambda _=None: self.error.clear())

    def accept(self) -> None:
        records = self.controller.records
        if records is None:
            self.error.setText(texts.RECORDS_UNAVAILABLE)
            return
        year = self.year.value()
        try:
            patient = records.add_patient(
                self.code.text().strip(), name=self.name.text().strip() or None,
                birth_year=None if year == self.year.minimum() else year,
                notes=self.notes.toPlainText())
        except RECORDS_ERRORS as exc:
            self.error.setText(str(exc))
            return
        self.created = patient.code
        self.controller.records_changed.emit()
        self.controller.select_patient(patient.code)
        self.controller.notice.emit(texts.NEW_PATIENT_ADDED.format(code=patient.code))
        super().accept()


# --- the picker --------------------------------------------------------------------------------


class PatientPicker(QWidget):
    """Patient: [list] [New patient…] [Progress…] — one line, on the clinic set-up and the
    training screen. Both pickers follow ``controller.patient_code``."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.dialog: NewPatientDialog | None = None
        self.progress: ProgressDialog | None = None
        label = QLabel(texts.PATIENT_LABEL)
        self.combo = QComboBox()
        self.combo.setMinimumWidth(200)
        self.combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Space stays the start key
        label.setBuddy(self.combo)
        self.combo.activated.connect(self._chosen)
        self.new_button = QPushButton(texts.PATIENT_NEW)
        self.new_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.new_button.clicked.connect(self.new_patient)
        self.progress_button = QPushButton(texts.PATIENT_HISTORY)
        self.progress_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.progress_button.clicked.connect(self.show_progress)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.new_button)
        layout.addWidget(self.progress_button)
        controller.records_changed.connect(self.reload)
        controller.patient_changed.connect(self.reload)
        controller.session_changed.connect(self._enable)
        self.reload()

    def reload(self) -> None:
        c = self.controller
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(texts.PATIENT_NONE_SHORT, None)  # the note below says why
        if c.records is not None:
            try:
                patients = c.records.patients()
            except RECORDS_ERRORS as exc:
                log.error("could not list the patients: %s", exc)
                patients = []
            for p in patients:
                text = (texts.PATIENT_ITEM_YEAR.format(code=p.code, year=p.birth_year)
                        if p.birth_year else texts.PATIENT_ITEM.format(code=p.code))
                self.combo.addItem(text, p.code)
        index = self.combo.findData(c.patient_code) if c.patient_code else 0
        self.combo.setCurrentIndex(max(0, index))
        self.combo.blockSignals(False)
        self._enable()

    def _enable(self) -> None:
        c = self.controller
        idle = c.session is None
        self.combo.setEnabled(c.records is not None and idle)
        self.new_button.setEnabled(c.records is not None and idle)
        self.progress_button.setEnabled(c.records is not None and c.patient_code is not None)

    def _chosen(self, index: int) -> None:
        self.controller.select_patient(self.combo.itemData(index))

    def choose(self, code: str | None) -> None:
        self.controller.select_patient(code)

    def new_patient(self) -> NewPatientDialog:
        self.dialog = NewPatientDialog(self.controller, self.window())
        self.dialog.open()  # window-modal, non-blocking
        return self.dialog

    def show_progress(self) -> ProgressDialog | None:
        code = self.controller.patient_code
        if code is None:
            self.controller.notice.emit(texts.PROGRESS_NO_PATIENT)
            return None
        if self.progress is not None:
            self.progress.close()
        self.progress = ProgressDialog(self.controller, code, self.window())
        self.progress.show()
        return self.progress


# --- progress ----------------------------------------------------------------------------------


class EditPatientDialog(NewPatientDialog):
    """Name, birth year and notes of an existing patient (the ID stays: it names their
    folder and every file)."""

    def __init__(self, controller: AppController, code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, parent)
        self.setWindowTitle(texts.EDIT_PATIENT_TITLE.format(code=code))
        self.edited = code
        self.code.setText(code)
        self.code.setReadOnly(True)
        patient = controller.records.patient(code) if controller.records else None
        if patient is not None:
            self.name.setText(patient.name or "")
            if patient.birth_year:
                self.year.setValue(patient.birth_year)
            self.notes.setPlainText(patient.notes)
        self.error.clear()

    def accept(self) -> None:
        records = self.controller.records
        if records is None:
            self.error.setText(texts.RECORDS_UNAVAILABLE)
            return
        year = self.year.value()
        try:
            records.update_patient(self.edited, name=self.name.text().strip() or None,
                                   birth_year=None if year == self.year.minimum() else year,
                                   notes=self.notes.toPlainText())
        except RECORDS_ERRORS as exc:
            self.error.setText(str(exc))
            return
        self.controller.records_changed.emit()
        self.controller.notice.emit(texts.EDIT_PATIENT_SAVED.format(code=self.edited))
        QDialog.accept(self)


class AttachDialog(QDialog):
    """Recordings made without a patient (``<data>/recordings``), to attach one to a patient."""

    def __init__(self, controller: AppController, code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.code = code
        self.setWindowTitle(texts.HISTORY_ATTACH_TITLE.format(code=code))
        self.folder = controller.data_dir / UNASSIGNED
        self.list = QListWidget()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.attach_button = QPushButton(texts.HISTORY_ATTACH.rstrip("…"))
        self.attach_button.clicked.connect(self.attach)
        close = QPushButton(texts.PROGRESS_CLOSE)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        want(self, 640, 360)
        self.refresh()

    def refresh(self) -> None:
        from cctf.records.history import unassigned_recordings

        self.list.clear()
        records = self.controller.records
        paths = unassigned_recordings(records, self.folder) if records is not None else []
        for path in paths:
            item = QListWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.list.addItem(item)
        if paths:
            self.list.setCurrentRow(0)
        elif not self.message.text():
            self.message.setText(texts.HISTORY_ATTACH_NONE.format(folder=self.folder))
        self.attach_button.setEnabled(bool(paths))

    def attach(self) -> int | None:
        item = self.list.currentItem()
        records = self.controller.records
        if item is None or records is None:
            return None
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        from cctf.records.history import attach_recording

        try:
            session_id = attach_recording(records, path, self.code)
        except RECORDS_ERRORS as exc:
            self.message.setText(texts.HISTORY_ATTACH_FAILED.format(error=exc))
            return None
        self.message.setText(texts.HISTORY_ATTACHED.format(name=path.name, code=self.code,
                                                           id=session_id))
        self.controller.records_changed.emit()
        self.refresh()
        return session_id


HEAD_TESTS_SHOWN = 6  # the history window's head line: the latest tests (all in the report)


class ProgressDialog(QDialog):
    """A patient's history and progress: the clinic scores over time on fixed clinical axes
    with the reference lines, the change against the smallest real difference in words, home
    adherence, and beside them every session — open one, include or exclude it from progress,
    attach a recording; edit or delete the patient; the progress report as a PDF."""

    def __init__(self, controller: AppController, code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.code = code
        self.setWindowTitle(texts.HISTORY_TITLE.format(code=code))
        self.setModal(False)
        want(self, 1400, 760)  # capped to the screen (issue 13)
        self.points: list[progress.ProgressPoint] = []
        self.rows: list[SessionRow] = []
        self.review: SessionReviewDialog | None = None
        self.editor: EditPatientDialog | None = None
        self.attacher: AttachDialog | None = None
        self.confirm: QMessageBox | None = None
        import pyqtgraph as pg  # here, not at start-up (issue 14)

        self.activation_plot = pg.PlotWidget(
            axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.activation_plot.setTitle(texts.PROGRESS_ACTIVATION)
        self.pi_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.pi_plot.setTitle(texts.PROGRESS_PI)
        # Fixed clinical axes: the scale means the same from one patient to the next.
        self.activation_plot.setYRange(0, ACTIVATION_AXIS_MMHG, padding=0)
        self.pi_plot.setYRange(0, 100, padding=0)
        for plot in (self.activation_plot, self.pi_plot):
            plot.setBackground("w")
            plot.showGrid(y=True, alpha=0.3)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
        for level, words in texts.PROGRESS_REFERENCE_SHORT.items():
            self.activation_plot.addItem(pg.InfiniteLine(
                pos=level, angle=0, pen=pg.mkPen(theme.MUTED, style=Qt.PenStyle.DashLine),
                label=words, labelOpts={"position": 0.02, "color": theme.MUTED,
                                        "anchors": [(0, 1), (0, 1)]}))
        pen = pg.mkPen(theme.BLUE, width=2)
        self.activation_curve = self.activation_plot.plot(
            [], [], pen=pen, symbol="o", symbolBrush=theme.BLUE, symbolSize=9)
        self.pi_curve = self.pi_plot.plot(
            [], [], pen=pen, symbol="o", symbolBrush=theme.BLUE, symbolSize=9)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.reference_note = QLabel(texts.PROGRESS_REFERENCE_NOTE)
        self.reference_note.setWordWrap(True)
        self.reference_note.setProperty("muted", True)
        adherence_title = QLabel(texts.PROGRESS_ADHERENCE)
        adherence_title.setProperty("muted", True)
        self.adherence = QLabel("")
        self.adherence.setWordWrap(True)
        self.head_progress = QLabel("")  # issue 17: flexion per mmHg (only with a head sensor)
        self.head_progress.setWordWrap(True)
        self.head_progress.setVisible(False)
        # the sessions
        self.sessions = QTableWidget(0, len(texts.HISTORY_COLUMNS))
        self.sessions.setHorizontalHeaderLabels(texts.HISTORY_COLUMNS)
        self.sessions.verticalHeader().setVisible(False)
        self.sessions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sessions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sessions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.sessions.horizontalHeader()
        for col in range(len(texts.HISTORY_COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.sessions.setStyleSheet(f"QTableWidget {{ font-size: {theme.SMALL_PT}pt; }}")
        self.sessions.setWordWrap(False)
        self.sessions.itemDoubleClicked.connect(lambda _item: self.open_session())
        self.sessions.itemSelectionChanged.connect(self._enable)
        self.open_button = QPushButton(texts.HISTORY_OPEN)
        self.open_button.clicked.connect(lambda: self.open_session())
        self.exclude_button = QPushButton(texts.HISTORY_EXCLUDE)
        self.exclude_button.clicked.connect(self._toggle_exclusion)
        self.attach_button = QPushButton(texts.HISTORY_ATTACH)
        self.attach_button.clicked.connect(self.attach)
        self.edit_button = QPushButton(texts.HISTORY_EDIT_PATIENT)
        self.edit_button.clicked.connect(self.edit_patient)
        self.delete_button = QPushButton(texts.HISTORY_DELETE_PATIENT)
        self.delete_button.clicked.connect(lambda: self.delete_patient())
        self.report_button = QPushButton(texts.PROGRESS_REPORT)
        self.report_button.clicked.connect(self.write_report)
        self.report_path: Path | None = None
        self.open_report_button = QPushButton(texts.REVIEW_OPEN_REPORT)
        self.open_report_button.setEnabled(False)
        self.open_report_button.clicked.connect(self.open_report)
        self.saved = QLabel("")
        self.saved.setWordWrap(True)
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton(texts.PROGRESS_CLOSE)
        close.clicked.connect(self.close)

        left = QVBoxLayout()
        left.addWidget(self.activation_plot, 1)
        left.addWidget(self.pi_plot, 1)
        left.addWidget(self.reference_note)
        left.addWidget(self.summary)
        left.addWidget(adherence_title)
        left.addWidget(self.adherence)
        left.addWidget(self.head_progress)
        session_buttons = QGridLayout()
        session_buttons.addWidget(self.open_button, 0, 0)
        session_buttons.addWidget(self.exclude_button, 0, 1)
        session_buttons.addWidget(self.attach_button, 0, 2)
        session_buttons.addWidget(self.edit_button, 1, 0)
        session_buttons.addWidget(self.delete_button, 1, 1)
        right = QVBoxLayout()
        right.addWidget(self.sessions, 1)
        right.addLayout(session_buttons)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 2)  # every column of the session list without scrolling
        buttons = QHBoxLayout()
        buttons.addWidget(self.saved, 1)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.open_report_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        controller.record_completed.connect(self._completed)
        controller.records_changed.connect(self.refresh)
        self.refresh()

    def _completed(self, _session_id: int) -> None:
        self.refresh()

    def refresh(self) -> None:
        records = self.controller.records
        if records is None or records.find_patient(self.code) is None:
            self.summary.setText(texts.RECORDS_UNAVAILABLE if records is None else "")
            self.rows = []
            self._show_rows()
            return
        from cctf.records import progress
        from cctf.records.history import session_rows
        from cctf.records.progress_head import head_progress, head_summary

        try:
            found = progress.progress(records, self.code)
            self.points = found.series
            today = date.today()
            start = today - timedelta(days=7 * ADHERENCE_WEEKS - 1)
            adherence = progress.adherence(records, self.code, start, today)
            self.rows = session_rows(records, self.code)
            head = head_summary(head_progress(records, found.all[-HEAD_TESTS_SHOWN:]))
        except RECORDS_ERRORS as exc:
            self.summary.setText(texts.RECORDS_WRITE_FAILED.format(error=exc))
            return
        x = [_timestamp(p.started_at) for p in self.points]
        self.activation_curve.setData(x, [p.activation_score_mmhg for p in self.points])
        self.pi_curve.setData(x, [p.performance_index for p in self.points])
        finite = [v for v in x if math.isfinite(v)]
        if finite:  # dates on the axis: at least a week around the tests
            lo, hi = min(finite) - 3 * DAY_S, max(finite) + 3 * DAY_S
            for plot in (self.activation_plot, self.pi_plot):
                plot.setXRange(lo, hi, padding=0.02)
        self.summary.setText(progress.summary_words(self.points))
        weeks = adherence.weeks()
        lines = [w.words(texts.ADHERENCE_WEEK.format(day=w.days[0].day)) for w in weeks
                 if w.sessions_prescribed]
        self.adherence.setText("\n".join(lines) if lines else adherence.words())
        self.head_progress.setText(head)
        self.head_progress.setVisible(bool(head))
        self._show_rows()

    def _show_rows(self) -> None:
        chosen = self.selected_session()
        self.sessions.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for col, text in enumerate(row.cells()):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.session_id)
                if col == 6 and row.excluded_reason:
                    item.setToolTip(row.excluded_reason)
                self.sessions.setItem(r, col, item)
        if not self.rows:
            self.sessions.setRowCount(1)
            self.sessions.setItem(0, 0, QTableWidgetItem(texts.HISTORY_EMPTY))
        elif chosen is not None:
            self.select_session(chosen)
        self._fit_columns()
        self._enable()

    def _fit_columns(self) -> None:
        """Each column as wide as its widest text in the list's own font (issue 13: no
        sideways scrolling); the last one takes the rest."""
        table = self.sessions
        fm = table.fontMetrics()
        bold = QFont(table.font())
        bold.setBold(True)
        head = QFontMetrics(bold)
        header = table.horizontalHeader()
        for col in range(table.columnCount() - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            items = [table.item(r, col) for r in range(table.rowCount())]
            texts_in = [item.text() for item in items if item is not None and (self.rows or col)]
            width = max([fm.horizontalAdvance(t) for t in texts_in]
                        + [head.horizontalAdvance(texts.HISTORY_COLUMNS[col]) + 8])
            table.setColumnWidth(col, width + 14)

    def selected_session(self) -> int | None:
        rows = self.sessions.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.sessions.item(rows[0].row(), 0)
        sid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return int(sid) if sid is not None else None

    def select_session(self, session_id: int) -> None:
        for r, row in enumerate(self.rows):
            if row.session_id == session_id:
                self.sessions.selectRow(r)
                return

    def _row(self, session_id: int | None) -> SessionRow | None:
        return next((r for r in self.rows if r.session_id == session_id), None)

    def _enable(self) -> None:
        row = self._row(self.selected_session())
        c = self.controller
        self.open_button.setEnabled(row is not None)
        self.exclude_button.setEnabled(row is not None and row.kind == "clinic")
        self.exclude_button.setText(texts.HISTORY_INCLUDE if row and row.excluded_reason
                                    else texts.HISTORY_EXCLUDE)
        recording_now = c.session is not None
        for button in (self.attach_button, self.edit_button):
            button.setEnabled(c.records is not None)
        self.delete_button.setEnabled(c.records is not None and not recording_now)

    # --- sessions -----------------------------------------------------------------------------

    def open_session(self, session_id: int | None = None) -> SessionReviewDialog | None:
        sid = session_id if session_id is not None else self.selected_session()
        if sid is None:
            self.saved.setText(texts.HISTORY_CHOOSE)
            return None
        if self.review is not None:
            self.review.close()
        from cctf.gui.session_review import SessionReviewDialog

        self.review = SessionReviewDialog(self.controller, sid, self)
        self.review.show()
        return self.review

    def _toggle_exclusion(self) -> None:
        row = self._row(self.selected_session())
        if row is None:
            self.saved.setText(texts.HISTORY_CHOOSE)
            return
        if row.excluded_reason:
            self.include(row.session_id)
            return
        reason, ok = QInputDialog.getText(
            self, texts.HISTORY_EXCLUDE.rstrip("…"),
            texts.HISTORY_EXCLUDE_REASON.format(id=row.session_id))
        if ok:
            self.exclude(row.session_id, reason)

    def exclude(self, session_id: int, reason: str) -> bool:
        """Leave a session out of progress (``Records.exclude_from_progress``, issue 9)."""
        return self._exclusion(session_id, reason)

    def include(self, session_id: int) -> bool:
        return self._exclusion(session_id, None)

    def _exclusion(self, session_id: int, reason: str | None) -> bool:
        records = self.controller.records
        method = "exclude_from_progress" if reason is not None else "include_in_progress"
        if records is None or not hasattr(records, method):
            self.saved.setText(texts.HISTORY_EXCLUSION_UNAVAILABLE)
            return False
        try:
            if reason is not None:
                getattr(records, method)(session_id, reason)
            else:
                getattr(records, method)(session_id)
        except RECORDS_ERRORS as exc:
            self.saved.setText(texts.REVIEW_CHANGE_FAILED.format(error=exc))
            return False
        self.saved.setText(texts.HISTORY_EXCLUDED.format(id=session_id, reason=reason)
                           if reason is not None else
                           texts.HISTORY_INCLUDED.format(id=session_id))
        self.controller.records_changed.emit()
        return True

    def attach(self) -> AttachDialog:
        if self.attacher is not None:
            self.attacher.close()
        self.attacher = AttachDialog(self.controller, self.code, self)
        self.attacher.open()
        return self.attacher

    # --- the patient --------------------------------------------------------------------------

    def edit_patient(self) -> EditPatientDialog:
        self.editor = EditPatientDialog(self.controller, self.code, self)
        self.editor.open()
        return self.editor

    def delete_patient(self, confirmed: bool | None = None) -> bool:
        """Ask first (``confirmed`` None: a confirmation box; its Delete button calls back
        with True). As thorough as ``cctf patients delete``: the same code."""
        records = self.controller.records
        if records is None:
            self.saved.setText(texts.RECORDS_UNAVAILABLE)
            return False
        if confirmed is None:
            box = QMessageBox(QMessageBox.Icon.Warning,
                              texts.DELETE_PATIENT_TITLE.format(code=self.code),
                              texts.DELETE_PATIENT_TEXT.format(
                                  code=self.code, sessions=len(records.sessions(self.code))),
                              QMessageBox.StandardButton.Cancel, self)
            delete = box.addButton(texts.DELETE_PATIENT_CONFIRM.format(code=self.code),
                                   QMessageBox.ButtonRole.DestructiveRole)
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            delete.clicked.connect(lambda: self.delete_patient(True))
            self.confirm = box
            box.open()
            return False
        if not confirmed:
            return False
        from cctf.records.erase import delete_patient

        try:
            done = delete_patient(records, self.code, confirm=True)
        except (*RECORDS_ERRORS, OSError) as exc:
            self.saved.setText(texts.DELETE_PATIENT_FAILED.format(code=self.code, error=exc))
            return False
        words = texts.DELETE_PATIENT_DONE.format(
            code=done.patient_code, sessions=done.sessions, files=len(done.files_removed),
            backups=len(done.backups_removed))
        if done.left_alone:
            words += texts.DELETE_PATIENT_LEFT.format(
                paths=", ".join(str(p) for p in done.left_alone))
        if self.controller.patient_code == self.code:
            self.controller.select_patient(None)
        self.controller.records_changed.emit()
        self.controller.notice.emit(words)
        self.deleted = words
        self.close()
        return True

    # --- the report ---------------------------------------------------------------------------

    def write_report(self) -> None:
        self.report_button.setEnabled(False)
        self.saved.setText(texts.REPORT_WRITING)
        progress_report_pdf(self.controller.data_dir, self.code, self._saved, self._failed)

    def _saved(self, path: Path) -> None:
        self.report_button.setEnabled(True)
        self.report_path = Path(path)
        self.open_report_button.setEnabled(True)
        self.saved.setText(texts.REPORT_SAVED.format(path=path))

    def _failed(self, exc: BaseException) -> None:
        self.report_button.setEnabled(True)
        self.saved.setText(texts.REPORT_FAILED.format(error=exc))

    def open_report(self) -> str | None:
        """The progress report just written; when nothing can open it, why."""
        if self.report_path is None:
            self.saved.setText(texts.REVIEW_NO_REPORT)
            return texts.REVIEW_NO_REPORT
        why = open_path(self.report_path, texts.OPEN_WHAT_PDF)
        if why:
            self.saved.setText(why)
        return why


def _timestamp(started_at: str) -> float:
    try:
        return datetime.fromisoformat(started_at).timestamp()
    except ValueError:
        return math.nan
