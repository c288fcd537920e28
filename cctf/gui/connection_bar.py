"""The connection bar: port picker, simulator choice, connect / disconnect, link health.

Port enumeration and probing run on a worker thread (the picker says "searching" meanwhile);
a lost link shows as the state "reconnecting", never as an error dialog. Link health: green
while streaming cleanly, amber "Unstable link: 3 % lost in the last 30 s" when more than 1 %
of the frames of the last 30 s were lost or corrupt, red when no data arrives. Disconnecting
during a test asks first (the controller's ``request_end``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QWidget,
)

from cctf import texts
from cctf.acquisition.health import LinkHealth
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.elided import ElidedLabel
from cctf.gui.steady import SteadyBox
from cctf.sim.scenarios import list_scenarios

SIM = "sim"


class DescribedItems(QStyledItemDelegate):
    """Shows "name — description" in a combo's list (the description is the item's tooltip)."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        description = index.data(Qt.ItemDataRole.ToolTipRole)
        if description:
            option.text = texts.SCENARIO_ITEM.format(name=option.text, description=description)


class ConnectionBar(QFrame):
    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setProperty("card", True)
        self.source = QComboBox()
        self.source.setMinimumWidth(220)
        self.source.setAccessibleName(texts.SOURCE_NAME)
        self.source.currentIndexChanged.connect(self._source_chosen)
        self.scenario = QComboBox()
        scenarios = list_scenarios()
        for name, description in scenarios:
            self.scenario.addItem(name)
            self.scenario.setItemData(self.scenario.count() - 1, description,
                                      Qt.ItemDataRole.ToolTipRole)
        # The list says what each simulated patient does; the box shows the name only.
        self.scenario.setItemDelegate(DescribedItems(self.scenario))
        fm = self.scenario.view().fontMetrics()
        widest = max((fm.horizontalAdvance(texts.SCENARIO_ITEM.format(name=n, description=d))
                      for n, d in scenarios), default=300)
        self.scenario.view().setMinimumWidth(min(widest + 40, 1200))
        self.scenario.view().setTextElideMode(Qt.TextElideMode.ElideNone)
        self.scenario.currentIndexChanged.connect(self._scenario_tip)
        self.scenario.setCurrentText("healthy")
        self._scenario_tip()
        self.scenario.setMaximumWidth(230)
        self.refresh_button = QPushButton(texts.FIND_DEVICES)
        self.refresh_button.setToolTip(texts.FIND_DEVICES_TIP)
        self.refresh_button.clicked.connect(controller.discover_ports)
        self.connect_button = QPushButton(texts.CONNECT)
        self.connect_button.setProperty("primary", True)
        self.connect_button.setMinimumWidth(150)
        self.connect_button.clicked.connect(self._connect_clicked)
        self.dot = QLabel("●")
        self.dot.setFont(theme.font(theme.TITLE_PT))
        self.state = QLabel(texts.LINK_STATE["closed"])
        self.state.setFont(theme.font(theme.BODY_PT, bold=True))
        self.details = ElidedLabel("", mode=Qt.TextElideMode.ElideRight, tooltip=False)
        self.details.setProperty("muted", True)
        self._shown_state = ""
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.source.setToolTip(texts.SOURCE_LABEL)
        layout.addWidget(self.source)
        layout.addWidget(self.scenario)
        layout.addWidget(self.refresh_button)
        layout.addWidget(self.connect_button)
        layout.addSpacing(16)
        layout.addWidget(self.dot)
        layout.addWidget(self.state)
        # The rate in the details changes every second or so: no layout pass for it.
        layout.addWidget(SteadyBox(self.details), stretch=1)

        controller.ports_changed.connect(self._fill_ports)
        controller.connection_changed.connect(self._show_connection)
        controller.health_changed.connect(self.show_health)
        controller.connect_failed.connect(self._show_failure)
        self._fill_ports()
        self._show_connection()

    # --- choices -----------------------------------------------------------------------------

    def _fill_ports(self) -> None:
        c = self.controller
        keep = self.source.currentData()
        self.source.blockSignals(True)
        self.source.clear()
        ports = sorted(c.ports, key=lambda p: (not p.is_cctf, p.device))
        for info in ports:
            if info.hello is not None:
                text = texts.PORT_CCTF.format(port=info.device, serial=info.hello.serial_text)
            else:
                text = texts.PORT_OTHER.format(port=info.device,
                                               description=info.description or "?")
            self.source.addItem(text, info.device)
        self.source.addItem(texts.SIMULATOR, SIM)
        if c.discovering:
            self.source.insertItem(0, texts.SEARCHING, None)
        index = self.source.findData(keep) if keep is not None else -1
        if index < 0:
            index = 1 if c.discovering and self.source.count() > 1 else 0
        self.source.setCurrentIndex(index)
        self.source.blockSignals(False)
        self.refresh_button.setEnabled(not c.discovering)
        self.refresh_button.setText(texts.SEARCHING if c.discovering else texts.FIND_DEVICES)
        self._source_chosen()

    def _scenario_tip(self) -> None:
        description = self.scenario.currentData(Qt.ItemDataRole.ToolTipRole)
        self.scenario.setToolTip(texts.SCENARIO_ITEM_TIP.format(
            name=self.scenario.currentText(), description=description)
            if description else texts.SCENARIO_TIP)

    def _source_chosen(self) -> None:
        self.scenario.setVisible(self.source.currentData() == SIM)
        self._update_buttons()

    def choose_simulator(self, scenario: str | None = None) -> None:
        self.source.setCurrentIndex(self.source.findData(SIM))
        if scenario:
            if self.scenario.findText(scenario) < 0:
                self.scenario.addItem(scenario)
            self.scenario.setCurrentText(scenario)

    def _connect_clicked(self) -> None:
        c = self.controller
        if c.device is not None:
            if c.request_end("disconnect"):
                c.disconnect()
            return
        choice = self.source.currentData()
        if choice == SIM:
            c.connect_sim(self.scenario.currentText())
        elif choice:
            c.connect_port(choice)

    # --- state -------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        c = self.controller
        connected = c.device is not None
        self.connect_button.setText(texts.DISCONNECT if connected else texts.CONNECT)
        self.connect_button.setEnabled(not c.connecting and (
            connected or self.source.currentData() is not None))
        for w in (self.source, self.scenario):
            w.setEnabled(not connected and not c.connecting)

    def _show_connection(self) -> None:
        c = self.controller
        self._update_buttons()
        if c.connecting:
            self._set_state("connecting", texts.CONNECTING_TO)
        elif c.device is None:
            self._set_state("closed", "")
        else:
            self.show_health(c.health)

    def show_health(self, health: LinkHealth | None) -> None:
        c = self.controller
        if health is None:
            if not c.connecting:
                self._set_state("closed", "")
            return
        details = texts.link_details(health.rate_hz, health.missing, health.corrupt,
                                     health.reconnects)
        state = health.state.value
        health_text = health.summary()
        signal = c.signal_status
        quality = c.link_quality
        if not signal.live and state not in ("closed", "connecting"):
            state = "no_data" if state != "reconnecting" else state
            details = texts.LINK_NO_DATA_WHY[signal.reason]
        elif state == "streaming" and quality.level == "unstable":
            what, fraction = quality.worst
            state = "unstable"
            counts = details  # in the tooltip: the bar keeps to one short line at 1280 px
            details = texts.LINK_UNSTABLE.format(pct=100 * fraction, what=texts.LINK_WHAT[what],
                                                 window=quality.window_s)
            health_text = f"{counts}\n{health_text}"
        self._set_state(state, details)
        self.details.setToolTip(f"{c.source_label}: {health_text}")

    def _set_state(self, state: str, details: str) -> None:
        if state != self._shown_state:  # restyling re-polishes: only when it changes
            self._shown_state = state
            self.dot.setStyleSheet(f"color: {theme.LINK_COLOURS.get(state, theme.MUTED)};")
            self.state.setText(texts.LINK_STATE.get(state, state))
        if self.details.text() != details or self.details.styleSheet():
            self.details.setText(details)
            self.details.setStyleSheet("")

    def _show_failure(self, message: str) -> None:
        self._set_state("closed", "")
        self._shown_state = ""
        self.details.setText(texts.CONNECT_FAILED.format(error=message))
        self.details.setStyleSheet(f"color: {theme.VERMILLION};")
        self.details.setToolTip(message)
