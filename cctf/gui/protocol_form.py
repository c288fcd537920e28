"""The protocol settings editor: presets (research, short, random order) and every field,
validated by ``ProtocolSettings`` itself (its message is shown, Start is disabled)."""

from __future__ import annotations

from dataclasses import asdict

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QWidget,
)

from cctf import texts
from cctf.errors import ConfigError
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.session.settings import ORDERS, PRESETS, ProtocolSettings

COLUMNS = 3  # fields side by side (issue 13: the whole form fits a 1280×720 screen)

# field: (kind, minimum, maximum, step, decimals)
FIELDS: dict[str, tuple[str, float, float, float, int]] = {
    "baseline_mmhg": ("float", 5, 40, 0.5, 1),
    "step_mmhg": ("float", 0.5, 10, 0.5, 1),
    "n_stages": ("int", 1, 10, 1, 0),
    "hold_s": ("float", 1, 60, 1, 0),
    "rest_s": ("float", 1, 120, 1, 0),
    "endurance_reps": ("int", 0, 30, 1, 0),
    "practice_trials": ("int", 0, 20, 1, 0),
    "band_mmhg": ("float", 0.2, 5, 0.1, 1),
    "reach_allowance_s": ("float", 1, 30, 1, 0),
}


class ProtocolForm(QGroupBox):
    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(texts.PROTOCOL_TITLE, parent)
        self.controller = controller
        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(texts.PRESET_NAME.get(name, name), name)
        self.preset.addItem(texts.PRESET_CUSTOM, "custom")
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.description.setProperty("muted", True)
        self.inputs: dict[str, QSpinBox | QDoubleSpinBox] = {}
        grid = QGridLayout(self)
        grid.setVerticalSpacing(2)
        self.setFont(theme.font(theme.SMALL_PT))  # issue 13: every field, unscrolled, at 720 px
        grid.addWidget(QLabel(texts.PRESET_LABEL), 0, 0)
        grid.addWidget(self.preset, 0, 1, 1, 2 * COLUMNS - 1)
        grid.addWidget(self.description, 1, 0, 1, 2 * COLUMNS)
        for k, (name, (kind, lo, hi, step, decimals)) in enumerate(FIELDS.items()):
            box: QSpinBox | QDoubleSpinBox
            if kind == "int":
                box = QSpinBox()
                box.setRange(int(lo), int(hi))
            else:
                box = QDoubleSpinBox()
                box.setRange(lo, hi)
                box.setDecimals(decimals)
                box.setSingleStep(step)
            box.setSuffix(texts.FIELD_SUFFIX.get(name, ""))
            box.valueChanged.connect(self._edited)
            self.inputs[name] = box
            row, col = 2 + k // COLUMNS, (k % COLUMNS) * 2
            grid.addWidget(QLabel(texts.FIELD_LABEL[name]), row, col)
            grid.addWidget(box, row, col + 1)
        self.order = QComboBox()
        for order in ORDERS:
            self.order.addItem(texts.ORDER_NAME[order], order)
        self.order.currentIndexChanged.connect(self._edited)
        self.stop_rule = QCheckBox(texts.STOP_AT_FIRST_FAILURE)
        self.stop_rule.toggled.connect(self._edited)
        k = len(FIELDS)  # the order in the next cell, the stop rule on its own row
        grid.addWidget(QLabel(texts.FIELD_LABEL["order"]), 2 + k // COLUMNS, (k % COLUMNS) * 2)
        grid.addWidget(self.order, 2 + k // COLUMNS, (k % COLUMNS) * 2 + 1)
        last = 3 + k // COLUMNS
        grid.addWidget(self.stop_rule, last, 0, 1, 2 * COLUMNS)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.VERMILLION};")
        grid.addWidget(self.error, last + 1, 0, 1, 2 * COLUMNS)
        self.error.setVisible(False)  # takes room only when there is something to say
        for child in self.findChildren(QWidget):  # the group's title bold, its fields not
            child.setFont(theme.font(theme.SMALL_PT))
        self._filling = False
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.show_settings(controller.settings, controller.settings_name)

    @property
    def valid(self) -> bool:
        return not self.error.text()

    def show_settings(self, settings: ProtocolSettings, name: str) -> None:
        self._filling = True
        values = asdict(settings)
        for field, box in self.inputs.items():
            box.setValue(values[field])
        self.order.setCurrentIndex(self.order.findData(settings.order))
        self.stop_rule.setChecked(settings.stop_at_first_failure)
        self.preset.setCurrentIndex(max(0, self.preset.findData(name)))
        self.description.setText(texts.PRESET_DESCRIPTION.get(name, texts.PRESET_CUSTOM_NOTE))
        self.error.setText("")
        self.error.setVisible(False)
        self._filling = False

    def _preset_chosen(self) -> None:
        if self._filling:
            return
        name = self.preset.currentData()
        if name in PRESETS:
            self.controller.choose_preset(name)
            self.show_settings(self.controller.settings, name)

    def _edited(self) -> None:
        if self._filling:
            return
        values = {field: box.value() for field, box in self.inputs.items()}
        for field, (kind, *_rest) in FIELDS.items():
            if kind == "int":
                values[field] = int(values[field])
        try:
            settings = self.controller.settings.with_changes(
                **values, order=self.order.currentData(),
                stop_at_first_failure=self.stop_rule.isChecked())
        except ConfigError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        self.error.setText("")
        self.error.setVisible(False)
        name = next((n for n, (_, s) in PRESETS.items() if s == settings), "custom")
        self._filling = True
        self.preset.setCurrentIndex(self.preset.findData(name))
        self.description.setText(texts.PRESET_DESCRIPTION.get(name, texts.PRESET_CUSTOM_NOTE))
        self._filling = False
        self.controller.set_settings(settings, name=name)
