"""Issue 13's small things, each as a therapist met it: menus that show a key twice, disabled
pickers that look enabled, "baseline 0.0" on the 20 mmHg line, a "no signal" alert that stays,
the leak warning's words, "swallowm", scenarios without descriptions, the nod count nobody could
read, "Relax to 28", a Familiarisation step with no practice, Start on an unsettled cuff, a
"get ready" count, and the results screen's Open report / Attach to patient."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QMessageBox,
    QPushButton,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from cctf import texts
from cctf.gui import theme
from cctf.session.settings import preset
from cctf.session.setup import start_warning
from cctf.sim.scenarios import list_scenarios

from .gui_helpers import STEP_S, make_app, run_until


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path)
    yield controller, window
    controller.shutdown()


@pytest.fixture
def app_records(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, open_records=True)
    controller.records.add_patient("P-13")
    yield controller, window
    controller.shutdown()


def _sim(controller, window, scenario: str = "healthy") -> None:
    from cctf.gui.simlink import attach_virtual_sim

    attach_virtual_sim(controller, scenario)


def _darkest(widget: QWidget) -> int:
    """The darkest pixel's lightness over the left two thirds (the text, not the arrow)."""
    img: QImage = widget.grab().toImage()
    return min(img.pixelColor(x, y).lightness()
               for x in range(2, img.width() * 2 // 3) for y in range(2, img.height() - 2))


# --- menus, pickers, scenario list, marker box ------------------------------------------------


def test_menus_show_each_key_once(app):
    _, window = app
    seen = 0
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            key = action.shortcut().toString()
            if not key:
                continue
            seen += 1
            words = action.text().replace("&", "")
            assert f"({key})" not in words, f"{words!r} repeats its key {key}"
            assert not words.startswith(key + " "), f"{words!r} repeats its key {key}"
    assert seen >= 10


def test_disabled_pickers_look_disabled(qtbot):
    box = QWidget()
    box.setStyleSheet(theme.STYLE)
    layout = QVBoxLayout(box)
    on, off = QComboBox(), QComboBox()
    for combo in (on, off):
        combo.addItem("— no patient —")
        combo.setFixedSize(260, 36)
        layout.addWidget(combo)
    off.setEnabled(False)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    assert _darkest(on) < 80, "enabled text is dark"
    assert _darkest(off) > _darkest(on) + 60, "disabled text is visibly lighter"
    fill_on = off.grab().toImage().pixelColor(off.width() - 60, 6)
    assert fill_on.lightness() < on.grab().toImage().pixelColor(on.width() - 60, 6).lightness()


def test_the_scenario_list_says_what_each_simulated_patient_does(app):
    _, window = app
    combo = window.bar.scenario
    described = dict(list_scenarios())
    assert all(described.values()), "every shipped scenario has a description"
    assert combo.count() == len(described)
    delegate = combo.itemDelegate()
    for i in range(combo.count()):
        name = combo.itemText(i)
        assert combo.itemData(i, Qt.ItemDataRole.ToolTipRole) == described[name]
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, combo.model().index(i, 0, QModelIndex()))
        assert option.text == f"{name} — {described[name]}"
    combo.setCurrentText("leaky-cuff")
    assert described["leaky-cuff"] in combo.toolTip()
    assert combo.currentText() == "leaky-cuff"  # the box itself keeps the short name


def test_m_in_the_marker_box_is_a_letter_and_outside_it_a_marker(qtbot, app):
    controller, window = app
    window.tabs.setCurrentWidget(window.monitor)
    _sim(controller, window)
    controller.run_virtual(3.0)
    screen = window.monitor
    assert "then M" not in screen.marker_text.placeholderText()
    screen.marker_text.setFocus()
    qtbot.keyClicks(screen.marker_text, "swallow")
    qtbot.keyClick(screen.marker_text, Qt.Key.Key_M)
    controller.run_virtual(0.5)
    assert screen.marker_text.text() == "swallowm"  # typed, not a marker
    assert not [m for m in controller.markers if m.kind == "user"]
    screen.marker_text.setText("swallow")
    qtbot.keyClick(screen.marker_text, Qt.Key.Key_Return)
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_M)  # outside the box: a marker, nothing typed
    controller.run_virtual(0.5)
    assert [m.text for m in controller.markers if m.kind == "user"] == ["swallow", "marker 2"]
    assert screen.marker_text.text() == ""


def test_the_leak_warning_says_pause_and_reinflate():
    words = texts.describe_fault("leak", -0.9)
    assert "pause" in words and "re-inflate" in words


# --- a clinic test: start, get ready, cues, baseline line, alerts ------------------------------


def test_the_start_question_follows_the_cuff_while_it_is_open(qtbot, app):
    """Seen in a real window: "The set-up guide says: 20.1 mmHg — hold on, letting it
    settle… Start anyway?" stayed up, frozen, over a window that said "steady: ready to
    start". The open question says what the guide says now."""
    controller, window = app
    clinic = window.clinic
    _sim(controller, window)
    run_until(controller, lambda: controller.signal_status.live and not controller.setup.ready)
    asked = start_warning(controller.setup, controller.settings.baseline_mmhg)
    assert asked is not None
    box = clinic.start_question(asked)
    assert texts.START_NOT_SETTLED_ASK.format(state=asked) == box.text()
    run_until(controller, lambda: controller.setup.ready)
    controller.tick()
    assert box.text() == texts.START_SETTLED_NOW
    box.done(QMessageBox.StandardButton.No.value)
    controller.ticked.emit()  # no longer followed once answered
    assert box.text() == texts.START_SETTLED_NOW


def test_start_on_an_unsettled_cuff_asks_then_counts_in_and_cues_in_plain_words(qtbot, app):
    controller, window = app
    controller.set_settings(preset("research"), name="research")
    assert controller.settings.practice_trials == 0
    clinic = window.clinic
    assert "Familiarisation" not in clinic.steps.text()
    _sim(controller, window)
    run_until(controller, lambda: controller.signal_status.live and controller.setup.state
              in ("settling", "steadying", "high", "falling"))
    assert not controller.setup.ready
    qtbot.waitUntil(lambda: clinic.setup_page.start_button.text() == texts.START_NOT_SETTLED,
                    timeout=2000)
    # the longer words never widen the set-up page: small type, no wider than "Start test"
    button = clinic.setup_page.start_button
    assert button.font().pointSizeF() < theme.TITLE_PT
    plain = QPushButton(texts.START_TEST)
    plain.setFont(theme.font(theme.TITLE_PT, bold=True))
    assert button.sizeHint().width() <= 1.5 * plain.sizeHint().width()  # (it was 2.2×)
    asked: list[str] = []
    clinic.confirm_start = lambda warning: asked.append(warning) or False
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert asked and asked[0] == texts.SETUP_STATE[controller.setup.state].format(
        level=controller.setup.level_mmhg, baseline=20.0)
    assert controller.session is None, "the therapist said wait"

    run_until(controller, lambda: controller.setup.ready)
    qtbot.waitUntil(lambda: clinic.setup_page.start_button.text() == texts.START_TEST,
                    timeout=2000)
    asked.clear()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not asked and controller.session is not None
    banner = clinic.run_page.banner
    counts = []
    while controller.cue is None or controller.cue.step in ("setup", "get_ready"):
        controller.run_virtual(STEP_S, STEP_S)
        if controller.cue.step == "get_ready":
            assert banner.word.text() == "Get ready"
            assert banner.detail.text() == "first: 22 mmHg · stage test"
            if not counts or counts[-1] != banner.count.text():
                counts.append(banner.count.text())
    assert counts == ["3", "2", "1"]
    assert "Familiarisation" not in clinic.steps.text()
    assert banner.word.text() == "Nod…"
    assert banner.detail.text().endswith("this try ends in")
    assert banner.count.text().endswith(" s")
    run_until(controller, lambda: controller.cue.step == "relax")
    assert "22" not in banner.detail.text() and "next: 24 mmHg" in banner.detail.text()


def test_the_baseline_line_follows_the_rest_level_and_says_its_value(qtbot, app):
    controller, window = app
    controller.set_settings(preset("research"), name="research")
    _sim(controller, window, "leaky-cuff")
    run_until(controller, lambda: controller.setup.ready)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    runner = controller.session.runner
    run_until(controller, lambda: controller.cue.step == "get_ready")
    assert math.isnan(controller.baseline_mmhg), "no line before a rest level is measured"
    run_until(controller, lambda: len(runner.trials) >= 3 and controller.cue.step == "rest")
    rests = [t.rest_mmhg for t in runner.trials]
    assert rests[-1] < rests[0] - 0.2, "the leaky cuff's rest level falls"
    assert controller.baseline_mmhg == rests[-1]
    window.tabs.setCurrentWidget(window.monitor)  # drawn while hidden: its label must follow
    controller.run_virtual(STEP_S, STEP_S)
    scene = window.monitor.live.canvas.scene
    qtbot.waitUntil(lambda: not math.isnan(scene.baseline), timeout=2000)
    expected = runner.analyzer.open_trial.rest_mmhg if runner.analyzer.open_trial else rests[-1]
    assert scene.baseline == pytest.approx(controller.baseline_mmhg)
    assert scene.baseline_text == f"baseline {controller.baseline_mmhg:.1f}"
    assert scene.baseline_text != "baseline 0.0"
    assert not math.isnan(expected)


def test_a_signal_gap_alert_leaves_the_live_panel_once_samples_are_back(qtbot, app):
    controller, window = app
    controller.set_settings(preset("short"), name="short")
    _sim(controller, window)
    run_until(controller, lambda: controller.setup.ready)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    session = controller.session
    controller.run_virtual(2.0, STEP_S)
    message = texts.describe_fault("signal_gap", 3.06)
    back = session.latest_t_s
    session.alerts.add(message, back - 3.06, "signal_gap", 3.06)  # as the analysis reports it
    session.alerts.append("the recorder stopped")  # an alert with no end
    controller.run_virtual(STEP_S, STEP_S)
    alerts = window.clinic.run_page.alerts
    assert message in alerts.text()
    run_until(controller, lambda: session.latest_t_s > back + 5.0, limit_s=10.0)
    controller.run_virtual(STEP_S, STEP_S)
    assert message not in alerts.text()
    assert "the recorder stopped" in alerts.text()
    assert message in list(session.alerts), "kept for the results"


# --- the results screen: open report, attach to a patient --------------------------------------


def test_results_attach_a_test_run_without_a_patient_then_open_its_report(
        qtbot, app_records, monkeypatch):
    controller, window = app_records
    controller.set_settings(preset("short"), name="short")
    _sim(controller, window)
    run_until(controller, lambda: controller.setup.ready)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    runner = controller.session.runner
    assert controller.session.record is None, "no patient chosen"
    run_until(controller, lambda: len(runner.trials) >= 2)
    assert controller.request_end("end")
    results = window.clinic.results
    assert window.clinic.pages.currentWidget() is results
    assert results.attach_button.isVisible() and results.attach_button.isEnabled()
    assert not results.report_button.isEnabled() and not results.notes_box.isEnabled()
    assert results.open_report() == texts.RESULTS_NO_REPORT
    assert results.record_status.text() == texts.RESULTS_NO_REPORT

    results.pick_patient = lambda codes: "P-13" if codes == ["P-13"] else None
    sid = results.attach_to_patient()
    assert sid is not None
    stored = controller.records.session(sid)
    assert stored.patient_code == "P-13" and stored.status == "imported"
    assert not results.attach_button.isVisible()
    assert results.notes_box.isEnabled() and results.report_button.isEnabled()
    results.notes_box.setPlainText("attached afterwards")
    assert results.save_notes()
    assert controller.records.session(sid).therapist_notes == "attached afterwards"

    results.write_report()
    qtbot.waitUntil(lambda: results.written_report is not None, timeout=60000)
    assert results.written_report.is_file()
    opened = []
    from PySide6.QtGui import QDesktopServices
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        staticmethod(lambda url: opened.append(url.toLocalFile()) or False))
    why = results.open_report()
    assert why is not None and "PDF viewer" in why and why in results.record_status.text()
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    assert results.open_report() is None
    assert opened == [str(results.written_report)] * 2


def test_disabled_menu_items_look_disabled(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QMenu

    box = QWidget()
    box.setStyleSheet(theme.STYLE)
    menu = QMenu(box)
    menu.addAction("Repeat").setEnabled(True)
    menu.addAction("Override").setEnabled(False)
    qtbot.addWidget(box)
    menu.popup(QPoint(0, 0))
    qtbot.waitExposed(menu)
    img = menu.grab().toImage()
    rows = [menu.actionGeometry(a) for a in menu.actions()]

    def darkest(rect) -> int:
        return min(img.pixelColor(x, y).lightness() for x in range(rect.left() + 4,
                   rect.left() + rect.width() // 2) for y in range(rect.top() + 2,
                   rect.bottom() - 1))

    assert darkest(rows[0]) < 80
    assert darkest(rows[1]) > darkest(rows[0]) + 60
    menu.hide()


def test_the_step_strip_names_familiarisation_only_when_there_is_practice(app):
    import dataclasses

    controller, window = app
    strip = window.clinic.steps
    controller.set_settings(preset("research"), name="research")
    window.clinic.sync()
    assert "Familiarisation" not in strip.text() and "Stage test" in strip.text()
    controller.set_settings(dataclasses.replace(preset("research"), practice_trials=2))
    window.clinic.sync()
    assert "Familiarisation" in strip.text()
