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

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import RECORDS_ERRORS, AppController
from cctf.gui.worker import run_in_background
from cctf.records import progress
from cctf.records.paths import DataDir, make_private_dir
from cctf.records.recovery import Recovered
from cctf.records.startup import open_records

log = logging.getLogger(__name__)

ADHERENCE_WEEKS = 4


# --- PDFs on a worker thread -------------------------------------------------------------------


def write_pdf_in_background(
    data_root: Path, make: Callable[[object], Path],
    on_done: Callable[[Path], None], on_error: Callable[[BaseException], None],
) -> None:
    """Run ``make(records)`` on a worker with its own connection to the records."""

    def work() -> Path:
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

    def make(records) -> Path:  # type: ignore[no-untyped-def]
        inp = report.report_input(records, session_id)
        folder = make_private_dir(records.data.patient_dir(inp.patient_code))
        return report.write_session_report(inp, folder / report.default_report_name(inp))

    write_pdf_in_background(data_root, make, on_done, on_error)


def progress_report_pdf(data_root: Path, code: str, on_done: Callable[[Path], None],
                        on_error: Callable[[BaseException], None]) -> None:
    from cctf.records import progress_report

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
        self.notes.setMaximumHeight(90)
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
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

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
        self.progress_button = QPushButton(texts.PATIENT_PROGRESS)
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
        self.combo.addItem(texts.PATIENT_NONE, None)
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


class ProgressDialog(QDialog):
    """A patient's clinic scores over time, the change against the smallest real difference
    in words, and home adherence; the progress report as a PDF."""

    def __init__(self, controller: AppController, code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.code = code
        self.setWindowTitle(texts.PROGRESS_TITLE.format(code=code))
        self.setModal(False)
        self.resize(820, 640)
        self.points: list[progress.ProgressPoint] = []
        axis = {"bottom": pg.DateAxisItem(orientation="bottom")}
        self.activation_plot = pg.PlotWidget(axisItems=axis)
        self.activation_plot.setTitle(texts.PROGRESS_ACTIVATION)
        self.pi_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.pi_plot.setTitle(texts.PROGRESS_PI)
        self.pi_plot.setYRange(0, 100)
        for plot in (self.activation_plot, self.pi_plot):
            plot.setBackground("w")
            plot.showGrid(y=True, alpha=0.3)
            plot.setMenuEnabled(False)
        pen = pg.mkPen(theme.BLUE, width=2)
        self.activation_curve = self.activation_plot.plot(
            [], [], pen=pen, symbol="o", symbolBrush=theme.BLUE, symbolSize=9)
        self.pi_curve = self.pi_plot.plot(
            [], [], pen=pen, symbol="o", symbolBrush=theme.BLUE, symbolSize=9)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setFont(theme.font(theme.BODY_PT + 1, bold=True))
        adherence_title = QLabel(texts.PROGRESS_ADHERENCE)
        adherence_title.setProperty("muted", True)
        self.adherence = QLabel("")
        self.adherence.setWordWrap(True)
        self.report_button = QPushButton(texts.PROGRESS_REPORT)
        self.report_button.clicked.connect(self.write_report)
        self.saved = QLabel("")
        self.saved.setWordWrap(True)
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton(texts.PROGRESS_CLOSE)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.saved, 1)
        buttons.addWidget(self.report_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.activation_plot, 1)
        layout.addWidget(self.pi_plot, 1)
        layout.addWidget(self.summary)
        layout.addWidget(adherence_title)
        layout.addWidget(self.adherence)
        layout.addLayout(buttons)
        controller.record_completed.connect(self._completed)
        self.refresh()

    def _completed(self, _session_id: int) -> None:
        self.refresh()

    def refresh(self) -> None:
        records = self.controller.records
        if records is None:
            self.summary.setText(texts.RECORDS_UNAVAILABLE)
            return
        try:
            self.points = progress.progress_series(records, self.code)
            today = date.today()
            start = today - timedelta(days=7 * ADHERENCE_WEEKS - 1)
            adherence = progress.adherence(records, self.code, start, today)
        except RECORDS_ERRORS as exc:
            self.summary.setText(texts.RECORDS_WRITE_FAILED.format(error=exc))
            return
        x = [_timestamp(p.started_at) for p in self.points]
        self.activation_curve.setData(x, [p.activation_score_mmhg for p in self.points])
        self.pi_curve.setData(x, [p.performance_index for p in self.points])
        self.summary.setText(progress.summary_words(self.points))
        weeks = adherence.weeks()
        lines = [w.words(texts.ADHERENCE_WEEK.format(day=w.days[0].day)) for w in weeks
                 if w.sessions_prescribed]
        self.adherence.setText("\n".join(lines) if lines else adherence.words())

    def write_report(self) -> None:
        self.report_button.setEnabled(False)
        self.saved.setText(texts.REPORT_WRITING)
        progress_report_pdf(self.controller.data_dir, self.code, self._saved, self._failed)

    def _saved(self, path: Path) -> None:
        self.report_button.setEnabled(True)
        self.saved.setText(texts.REPORT_SAVED.format(path=path))

    def _failed(self, exc: BaseException) -> None:
        self.report_button.setEnabled(True)
        self.saved.setText(texts.REPORT_FAILED.format(error=exc))


def _timestamp(started_at: str) -> float:
    try:
        return datetime.fromisoformat(started_at).timestamp()
    except ValueError:
        return math.nan
