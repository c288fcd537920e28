"""Patient mode and eyes-free training in the app: only the training view, keys that work
whatever has the focus, "Device not connected" without data, the no-sound notice, the dial's
green = the prescribed band, "Let go" while relaxing, a kind and true summary, and the live
sound track following the session."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSpinBox, QTabWidget

from cctf import texts
from cctf.gui import theme
from cctf.gui.controller import AppController
from cctf.gui.gauge import angle_deg
from cctf.gui.patient_mode import PatientWindow
from cctf.gui.simlink import attach_virtual_sim
from cctf.session.training import Prescription

from .gui_helpers import make_app, run_until

RX = Prescription(target_mmhg=26, reps=2, hold_s=5, rest_s=4)


@pytest.fixture
def patient(qtbot, tmp_path):
    controller = AppController(data_dir=tmp_path, discover_fn=list)
    window = PatientWindow(controller, RX)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    yield controller, window
    controller.shutdown()


def _ready(controller: AppController) -> None:
    attach_virtual_sim(controller, "healthy")
    controller.run_virtual(20.0, 0.25)


def test_patient_mode_is_the_training_view_alone(patient):
    controller, window = patient
    screen = window.training
    assert not window.findChildren(QTabWidget)
    assert not window.menuBar().actions()
    for widget in (screen.picker, screen.editor, screen.prescribe_button, screen.per_day):
        assert not widget.isVisible()
    assert not [b for b in window.findChildren(QSpinBox) if b.isVisible()]
    assert screen.rx_summary.text() == "Today: 2 holds of 5 seconds at 26"
    assert controller.prescription == RX


def test_no_data_says_device_not_connected_never_ready(patient):
    controller, window = patient
    screen = window.training
    screen.refresh()
    assert screen.setup_line.text() == texts.TRAINING_NO_DATA
    assert not screen.start_button.isEnabled()
    _ready(controller)
    assert "Ready" in screen.setup_line.text() and screen.start_button.isEnabled()
    controller.device.clock.advance(3.0)  # the sensor goes quiet: time passes, no samples
    screen.refresh()
    assert screen.setup_line.text() == texts.TRAINING_NO_DATA
    assert not screen.start_button.isEnabled()
    controller.run_virtual(1.0, 0.25)  # data again
    assert controller.begin_training()
    controller.run_virtual(1.0, 0.25)
    assert screen.hint.text() != texts.TRAINING_NO_DATA
    controller.device.clock.advance(3.0)  # quiet mid-session: said, not shown as live
    screen.refresh()
    assert screen.hint.text() == texts.TRAINING_NO_DATA


def test_no_audio_device_is_said_on_screen_and_the_sound_state_is_always_shown(patient):
    _, window = patient
    screen = window.training
    assert not window.sound.available  # offscreen: no audio output
    assert screen.no_sound.isVisible() and screen.no_sound.text() == texts.SOUND_NONE
    assert screen.sound_state.isVisible()
    assert screen.sound_state.text() == texts.SOUND_STATE["none"]


def test_space_and_enter_start_and_pause_whatever_has_the_focus(qtbot, patient):
    controller, window = patient
    screen = window.training
    _ready(controller)
    screen.stop_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    screen.stop_button.setFocus()  # a focused button would normally take Space itself
    qtbot.keyClick(screen.stop_button, Qt.Key.Key_Return)
    assert controller.session is not None and controller.session.kind == "training"
    controller.run_virtual(1.0, 0.25)
    qtbot.keyClick(screen.stop_button, Qt.Key.Key_Space)
    assert controller.paused and controller.session is not None  # paused, not stopped
    assert screen.word.text() == "PAUSED"
    assert screen.pause_button.text() == texts.TRAINING_BIG_RESUME
    qtbot.mouseClick(screen.pause_button, Qt.MouseButton.LeftButton)  # the huge button
    assert not controller.paused


def test_space_is_not_lost_when_a_spin_box_has_the_focus(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="training")
    try:
        screen = window.training
        screen.editor.reps.setValue(2)
        _ready(controller)
        from PySide6.QtWidgets import QLineEdit

        text_box = QLineEdit(screen.before)  # a text box keeps its spaces
        text_box.show()
        text_box.setFocus()
        qtbot.keyClicks(text_box, "a b")
        assert text_box.text() == "a b" and controller.session is None
        box = screen.editor.reps
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
        assert controller.session is not None and controller.session.kind == "training"
        assert box.value() == 2
        controller.run_virtual(1.0, 0.25)
        qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_Space)
        assert controller.paused
    finally:
        controller.shutdown()


def _ring_colour(gauge, mmhg: float) -> QColor:
    image = gauge.grab().toImage()
    side = min(gauge.width(), gauge.height()) - 8
    r = side / 2
    ring = r * 0.14
    rr = r - ring / 2
    a = math.radians(angle_deg(mmhg))
    dpr = image.devicePixelRatio()
    x = (gauge.width() / 2 + rr * math.cos(a)) * dpr
    y = (gauge.height() / 2 - rr * math.sin(a)) * dpr
    return image.pixelColor(round(x), round(y))


def test_the_dial_is_green_on_the_prescribed_band_only(qtbot, patient):
    controller, window = patient
    screen = window.training
    _ready(controller)
    assert controller.begin_training()
    run_until(controller, lambda: controller.cue.step == "nod")
    controller.run_virtual(0.25, 0.25)
    gauge = screen.gauge
    assert gauge.band == (26, 1.0)
    green = QColor(theme.BAND_COLOURS["in"])
    assert _ring_colour(gauge, 26.0).name() == green.name()
    for elsewhere in (22.0, 23.0, 28.5, 30.0):  # the stage colours are gone
        colour = _ring_colour(gauge, elsewhere)
        assert colour.name() != green.name()
        assert colour.name() not in {QColor(c).name() for _, _, c in theme.DIAL_BANDS}


def test_relax_says_let_go_and_the_summary_is_kind_and_true(qtbot, patient):
    controller, window = patient
    screen = window.training
    _ready(controller)
    assert controller.begin_training()
    run_until(controller, lambda: controller.cue.step == "relax")
    assert screen.word.text() == "LET GO"
    assert screen.hint.text() == texts.TRAINING_RELAX_HINT
    run_until(controller, lambda: controller.cue.step == "nod")
    controller.toggle_pause()  # a pause, then the patient stops
    controller.run_virtual(2.0, 0.25)
    screen.stop_button.click()
    s = controller.last_report.summary
    assert s.stopped and s.reps_done == 1
    assert 0 < s.time_in_band_s <= s.time_holding_s <= 5.5
    assert screen.summary_message.text() == texts.ENCOURAGE_STOPPED.format(done=1, planned=2)
    assert "hard" not in screen.summary_message.text()
    assert screen.summary_title.text() == "You held 1 of 2"


def test_the_live_sound_track_follows_the_session(qtbot, patient):
    controller, window = patient
    _ready(controller)
    assert controller.begin_training()
    run_until(controller, lambda: controller.session is None)
    kinds = [e.kind for e in window.sound.events]
    assert kinds[0] == "nod" and kinds[-1] == "done"
    assert {"hold", "countdown", "relax", "rest"} <= set(kinds)
    assert window.sound.events[-1].text == "Done: 2 of 2 holds"
    assert [e.t_s for e in window.sound.events] == sorted(e.t_s for e in window.sound.events)


def test_patient_mode_uses_the_records_prescription_and_stores_the_session(qtbot, tmp_path):
    from argparse import Namespace
    from datetime import date

    from cctf.commands.train import prescription_from

    controller = AppController(data_dir=tmp_path, discover_fn=list)
    controller.open_records()
    records = controller.records
    records.add_patient("P-7")
    records.prescribe("P-7", {"target_mmhg": 22.0, "reps": 5, "hold_s": 4.0, "rest_s": 3.0},
                      sessions_per_day=2, start=date.today())
    controller.select_patient("P-7")
    args = Namespace(patient="P-7", target=None, reps=2, hold_s=None)  # --reps 2 overrides
    rx = prescription_from(args, records)
    assert (rx.target_mmhg, rx.reps, rx.hold_s, rx.rest_s) == (22.0, 2, 4.0, 3.0)
    window = PatientWindow(controller, rx)
    qtbot.addWidget(window)
    try:
        window.show()
        _ready(controller)
        assert controller.begin_training()
        sid = controller.session.record.id
        run_until(controller, lambda: controller.session is None)
        qtbot.waitUntil(lambda: records.session(sid).status == "complete", timeout=10000)
        stored = records.session(sid)
        assert stored.kind == "training" and stored.patient_code == "P-7"
        assert stored.reps_planned == 2 and stored.prescription["target_mmhg"] == 22.0
    finally:
        controller.shutdown()


def test_sound_settings_and_mute_state_are_shown_and_the_clinic_tones_step_aside(
        qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="training")
    try:
        screen, sound = window.training, window.training_sound
        assert screen.sound is sound and screen.sound_state.isVisible()
        screen.sound_mode.setCurrentIndex(screen.sound_mode.findData("cues"))
        assert sound.mode == "cues"
        screen.volume.setValue(30)
        assert sound.volume == pytest.approx(0.3)
        sound.available = True  # as with speakers: the state words follow mute and mode
        sound.set_muted(True)
        assert screen.sound_state.text() == texts.SOUND_STATE["muted"]
        assert screen.mute_button.isChecked()
        sound.set_mode("off")
        assert screen.sound_state.text() == texts.SOUND_STATE["off"]
        sound.set_mode("feedback")
        sound.set_muted(False)
        assert screen.sound_state.text() == texts.SOUND_STATE["on"]
        screen.editor.reps.setValue(1)
        screen.editor.hold.setValue(3)
        _ready(controller)
        assert controller.begin_training()
        run_until(controller, lambda: controller.session is None)
        assert window.audio.played == []  # no clinic tones over the training sound track
        assert sound.events[0].kind == "nod"
        assert not window.audio.suspended
    finally:
        controller.shutdown()


def test_cctf_train_with_an_unknown_patient_says_so(qtbot, tmp_path, capsys, monkeypatch):
    from cctf.cli import main

    monkeypatch.setenv("CCTF_DATA_DIR", str(tmp_path))  # restored after (the command sets it)
    assert main(["train", "--sim", "--patient", "P-404", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cctf: ") and "P-404" in err and "Traceback" not in err


def test_the_app_plays_what_the_renderer_renders(qtbot, patient, tmp_path):
    """Live (ticks of 0.25 s on the virtual clock) and all at once give one sound track."""
    import numpy as np

    from cctf.session.soundtrack import Soundtrack
    from cctf.sessionfile import read_session

    controller, window = patient
    sound = window.sound
    sound.frames = []
    _ready(controller)
    assert controller.begin_training()
    run_until(controller, lambda: controller.session is None)
    live = np.concatenate(sound.frames)
    t = np.concatenate([s[0] for s in sound.samples])
    p = np.concatenate([s[1] for s in sound.samples])
    assert controller.last_report.recorder.join(10.0)
    rec = read_session(controller.last_report.path)  # what the app fed is what it stored
    assert len(rec.t_s) == len(t) and np.allclose(rec.t_s, t, atol=1e-3)
    track = Soundtrack(RX.band_mmhg, RX.hold_s, volume=1.0)  # the app sets the sink's volume
    _, audio = track.feed(t, p, sound.steps)
    _, tail = track.flush()
    rendered = np.concatenate((audio, tail))
    assert track.events == sound.events and len(track.events) > 10
    assert len(rendered) == len(live) > 16_000 * 30
    assert np.abs(rendered.astype(int) - live.astype(int)).max() <= 2


def test_sound_settings_are_kept_for_next_time(qtbot, tmp_path):
    import os

    from PySide6.QtCore import QSettings

    from cctf.gui.audio import TrainingSound, remember_settings

    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path))
    try:
        controller = AppController(data_dir=tmp_path, discover_fn=list)
        first = TrainingSound(controller, enabled=False)
        remember_settings(first)
        first.set_mode("cues")
        first.set_volume(0.35)
        again = TrainingSound(controller, enabled=False)
        remember_settings(again)
        assert (again.mode, again.volume) == ("cues", pytest.approx(0.35))
        given = TrainingSound(controller, enabled=False)
        remember_settings(given, mode="off", volume=1.0)  # the command line wins
        assert (given.mode, given.volume) == ("off", 1.0)
        window = PatientWindow(controller, RX, sound=again)
        qtbot.addWidget(window)
        assert window.training.sound_mode.currentData() == "cues"
        assert window.training.volume.value() == 35
        controller.shutdown()
    finally:
        QSettings.setPath(fmt, scope, os.path.expanduser("~/.config"))


def test_type_and_buttons_grow_with_the_window(qtbot, patient):
    _, window = patient
    screen = window.training
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: screen.width() < 1300)
    small = (screen.word.font().pointSize(), screen.start_button.font().pointSize())
    window.resize(2560, 1600)
    qtbot.waitUntil(lambda: screen.width() > 2000)
    large = (screen.word.font().pointSize(), screen.start_button.font().pointSize())
    assert large[0] >= 1.8 * small[0] and large[1] >= 1.8 * small[1]
