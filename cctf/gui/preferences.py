"""The Preferences dialog: the clinic's name, the therapist and the signature line that every
report carries, kept in the settings file (``cctf.records.clinic_settings``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.errors import CctfError
from cctf.gui import theme
from cctf.records import clinic_settings
from cctf.records.clinic_settings import MAX_FIELD, ClinicSettings


class PreferencesDialog(QDialog):
    def __init__(self, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path) if path is not None else clinic_settings.settings_path()
        self.setWindowTitle(texts.PREFERENCES_TITLE)
        self.clinic = QLineEdit()
        self.therapist = QLineEdit()
        for field in (self.clinic, self.therapist):
            field.setMaxLength(MAX_FIELD)
        self.signature = QCheckBox(texts.PREFERENCES_SIGNATURE)
        where = QLabel(texts.PREFERENCES_FILE.format(path=self.path))
        where.setWordWrap(True)
        where.setProperty("muted", True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.VERMILLION};")
        form = QFormLayout()
        form.addRow(texts.PREFERENCES_CLINIC, self.clinic)
        form.addRow(texts.PREFERENCES_THERAPIST, self.therapist)
        form.addRow("", self.signature)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(where)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.saved_to: Path | None = None
        self.broken = False
        try:
            current = clinic_settings.load(self.path)
        except CctfError as exc:  # a hand-edited file that does not parse: not replaced
            self.broken = True
            self.error.setText(texts.PREFERENCES_BROKEN.format(error=exc))
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            current = ClinicSettings()
        self.clinic.setText(current.clinic)
        self.therapist.setText(current.therapist)
        self.signature.setChecked(current.signature_line)

    def accept(self) -> None:
        wanted = ClinicSettings(self.clinic.text(), self.therapist.text(),
                                self.signature.isChecked())
        try:
            self.saved_to = clinic_settings.save(wanted, self.path)
        except (CctfError, OSError) as exc:
            self.error.setText(texts.PREFERENCES_BROKEN.format(error=exc))
            return
        super().accept()
