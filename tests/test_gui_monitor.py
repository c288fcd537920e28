"""The monitor screen and the live view: drawing what the device streams, markers into the
recording, no backlog and no drawing while hidden, and many redraws without trouble."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cctf import DISCLAIMER, texts
from cctf.gui.history import TraceStore, peak_decimate
from cctf.gui.recording import BackgroundRecorder
from cctf.gui.simlink import attach_virtual_sim
from cctf.sessionfile import read_session
from cctf.sim.source import TraceSource

from .conftest import make_sim_device
from .gui_helpers import make_app


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path, tab="monitor")
    yield controller, window
    controller.shutdown()


def test_monitor_draws_what_the_device_streams(app):
    controller, window = app
    t = np.linspace(0, 20, 201)
    device, _, _ = make_sim_device(TraceSource(t, 20 + 0.5 * t))
    device.connect()
    device.start(rate_hz=50, threaded=False)
    controller.attach(device, "simulator: test", threaded=False)
    window.resize(1600, 900)  # wide enough for every sample (≤ 2 a pixel column): none merged
    controller.run_virtual(10.0, 1 / 30)
    live = window.monitor.live
    x, y = live.curve.getData()
    assert live.canvas.plot_rect().width() >= 500 / 2 * live.span_s / 10.0
    assert len(x) == device.buffer.written == 500
    assert y[-1] > y[0] + 4  # the rising trace is drawn
    latest = device.buffer.latest(1)["pressure_mmhg"][0]
    assert window.monitor.readout.value.text() == f"{latest:.1f}"
    assert window.bar.state.text() == "Streaming"


def test_markers_and_recording_reach_the_file(qtbot, app):
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    screen = window.monitor
    controller.run_virtual(5.0)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # Space starts recording
    assert controller.session is not None and controller.session.kind == "monitor"
    controller.run_virtual(3.0)
    screen.marker_text.setText("patient coughed")
    screen.marker_text.setFocus()
    qtbot.keyClick(screen.marker_text, Qt.Key.Key_Return)
    controller.run_virtual(1.0)
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_M)  # M: a marker without text
    controller.run_virtual(1.0)
    assert [m.text for m in controller.markers if m.kind == "user"] == [
        "patient coughed", "marker 2"]
    assert screen.record_button.text() == texts.RECORD_STOP
    qtbot.keyClick(window, Qt.Key.Key_Space)  # and stops it
    report = controller.last_report
    assert report.recorder.join(10.0)
    rec = read_session(report.path)
    assert [m for m in rec.extra["marker"] if m] == ["patient coughed", "marker 2"]
    assert 4.5 < rec.t_s[-1] < 5.5 and set(rec.phase) == {""}
    assert str(report.path) in screen.file_label.text()


def test_hidden_or_minimised_window_consumes_without_drawing(app):
    controller, window = app
    device, _, _ = attach_virtual_sim(controller, "healthy")
    live = window.monitor.live
    controller.run_virtual(2.0)
    drawn = live.draws
    assert drawn > 0
    window.showMinimized()
    controller.run_virtual(5.0)
    window.hide()
    controller.run_virtual(5.0)
    assert live.draws == drawn  # no drawing off screen
    assert controller._cursor == device.buffer.written  # no backlog either
    assert controller.history.latest_t_s > 11.0
    window.showNormal()
    controller.run_virtual(0.1)
    assert live.draws > drawn


def test_monitor_survives_many_redraws(app):
    """Hundreds of redraws of a growing trace (a Qt binding refcount bug once aborted here)."""
    controller, window = app
    device, _, _ = make_sim_device()
    device.connect()
    device.start(rate_hz=50, threaded=False)
    controller.attach(device, "simulator: test", threaded=False)
    window.resize(1600, 900)  # wide enough for every sample (≤ 2 a pixel column): none merged
    for _ in range(600):
        controller.run_virtual(0.033, 0.033)
    x, _ = window.monitor.live.curve.getData()
    assert window.monitor.live.draws >= 600
    assert len(x) == min(device.buffer.written, len(controller.history))


def test_long_windows_are_decimated_to_the_plot_width():
    t = np.arange(0, 600, 1 / 200)  # 10 minutes at 200 Hz
    p = 20 + np.sin(t)
    p[60_000] = 35.0  # a one-sample spike stays visible
    td, pd = peak_decimate(t, p, 2000)
    assert len(td) <= 2000 and pd.max() == 35.0 and np.all(np.diff(td) >= 0)
    store = TraceStore(keep_s=60.0, initial_capacity=16)
    for k in range(0, len(t), 997):
        store.extend(t[k:k + 997], p[k:k + 997])
    assert store.latest_t_s == t[-1] and store.first_t_s <= t[-1] - 60.0  # at least keep_s
    assert len(store) <= 4 * 60 * 200  # older samples were dropped: memory stays bounded
    wt, _, _ = store.window(590.0)
    assert wt[0] >= 590.0 and len(wt) == 2000


def test_about_says_it_is_not_a_medical_device():
    assert "not a certified medical device" in DISCLAIMER
    assert "{disclaimer}" in texts.ABOUT_HTML


def test_rows_reach_the_disk_while_recording_without_closing(qtbot, tmp_path):
    """Incremental: what was handed over is on disk within the flush interval (1 s in the
    app), so a crash loses at most that."""
    recorder = BackgroundRecorder(tmp_path / "s.csv", {"app": "test"}, flush_interval_s=0.05)
    t = np.arange(0, 2, 0.02)
    n = len(t)
    recorder.write(t, 20 + 0 * t, np.full(n, np.nan), [""] * n,
                   {"raw": np.zeros(n, int), "flags": np.zeros(n, int), "seq": np.arange(n),
                    "marker": np.full(n, "", dtype=object)})

    def on_disk() -> int:
        if not (tmp_path / "s.csv").exists():
            return -1  # the writer thread creates the file
        lines = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()
        return sum(1 for line in lines if not line.startswith("#")) - 1  # minus the header

    qtbot.waitUntil(lambda: on_disk() == n, timeout=3000)
    rec = read_session(tmp_path / "s.csv")  # a valid file while still open
    assert len(rec) == n and rec.metadata["app"] == "test"
    recorder.close({"done": "yes"})
    assert read_session(tmp_path / "s.csv").metadata["done"] == "yes"


def test_a_recording_that_cannot_be_written_is_reported_and_streaming_goes_on(app, tmp_path):
    controller, window = app
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    controller.data_dir = blocker / "sessions"
    attach_virtual_sim(controller, "healthy")
    controller.run_virtual(2.0)
    assert controller.start_recording()
    assert controller.session.recorder.sync(5.0)
    controller.run_virtual(1.0)
    assert "Recording stopped: cannot write" in window.statusBar().currentMessage()
    assert window.bar.state.text() == "Streaming"
    controller.stop_recording()
