"""The head sensor in the app (issue 17): a second trace only when a sensor is fitted, zeroing
from the patient lying still, the angle column in the results, the head columns in the file."""

from __future__ import annotations

import numpy as np
import pytest

from cctf import texts
from cctf.analysis.offline import analyze_recording
from cctf.gui.simlink import attach_virtual_sim
from cctf.sessionfile import read_session

from .gui_helpers import make_app, run_until


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path)
    yield controller, window
    controller.shutdown()


def test_no_sensor_no_head_trace(qtbot, app):
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    window.tabs.setCurrentWidget(window.monitor)
    controller.run_virtual(3.0)
    assert not controller.head.fitted
    assert not window.monitor.head.isVisible()


def test_head_trace_zeroes_then_follows_the_head(qtbot, app):
    controller, window = app
    attach_virtual_sim(controller, "head-nod")
    window.tabs.setCurrentWidget(window.monitor)
    trace = window.monitor.head
    controller.run_virtual(1.0)
    assert controller.head.fitted and trace.isVisible()
    assert texts.HEAD_ZEROING in trace.caption.text()  # not yet still for 2 s
    controller.run_virtual(4.0)
    neutral = controller.head.neutral
    assert neutral is not None and neutral.pitch_deg == pytest.approx(4.0, abs=0.05)
    x, y = trace.curve.getData()
    assert len(x) > 100
    after = x > neutral.to_s + 0.1
    assert np.all(np.isnan(y[x <= neutral.to_s]))  # not zeroed yet: not measured, not 0
    assert np.abs(y[after]).max() < 0.5  # at rest: ~0° of flexion
    assert trace.caption.text() == texts.HEAD_TRACE_TITLE
    trace.rezero_button.click()  # zero again: found anew from the next still 2 s
    assert controller.head.neutral is None and texts.HEAD_ZEROING in trace.caption.text()
    controller.run_virtual(2.5)
    assert controller.head.neutral is not None and controller.head.neutral.from_s > 5.0


def test_clinic_results_file_records_and_review_show_the_head(qtbot, tmp_path):
    """One chin-poke clinic test for a patient: the results table's angle column and head
    hypotheses, the head columns in the file, the flags kept in the records, the review."""
    from cctf.acquisition.head_zero import parse_neutral
    from cctf.gui.session_review import SessionReviewDialog

    controller, window = make_app(qtbot, tmp_path / "data", open_records=True)
    try:
        controller.records.add_patient("P-17")
        controller.records_changed.emit()
        picker = window.clinic.setup_page.picker
        picker.combo.setCurrentIndex(picker.combo.findData("P-17"))
        picker.combo.activated.emit(picker.combo.currentIndex())
        attach_virtual_sim(controller, "chin-poke")
        run_until(controller, lambda: controller.setup.ready)
        assert controller.begin_clinic()
        assert window.clinic.run_page.head.isVisible() or not window.clinic.run_page.isVisible()
        sid = controller.session.record.id
        controller.run_virtual(1.0)
        assert not window.clinic.run_page.head.rezero_button.isEnabled()  # one neutral a file
        run_until(controller, lambda: controller.session is None)
        table = window.clinic.results.table
        headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        assert headers == ["#", "Part", "Target", "Result", texts.HEAD_COLUMN_APP,
                           "What was seen"]
        rows = [[table.item(r, c).text() for c in range(6)] for r in range(table.rowCount())]
        stages = [r for r in rows if r[1] == "stage"]
        assert [r[2] for r in stages] == ["22", "24"]
        assert stages[0][4].endswith("°") and 1.5 < float(stages[0][4][:-1]) < 5.0
        assert "possible chin poke" in stages[1][5] and "hypothesis" in stages[1][5]
        slope = window.clinic.results.head_slope
        assert slope.isVisible() and "not measured" in slope.text()  # 2 stages: no relation

        report = controller.last_report
        assert report.recorder.join(10.0)
        rec = read_session(report.path)
        assert rec.has_head
        assert parse_neutral(rec.metadata["head_neutral_deg"]) == pytest.approx((4.0, -1.0),
                                                                                abs=0.05)
        again = analyze_recording(rec)
        assert "chin_poke" in {f.type for f in again.trials[1].flags}
        assert again.activation_score_mmhg == report.result.activation_score_mmhg

        records = controller.records
        qtbot.waitUntil(lambda: records.session(sid).status == "complete", timeout=10000)
        stored = records.load_result(sid)
        assert "chin_poke" in {f.type for f in stored.trials[1].flags}  # a flag, not a fault
        assert "chin_poke" not in {f.type for f in stored.trials[1].faults}
        review = SessionReviewDialog(controller, sid)
        qtbot.addWidget(review)
        table = review.table
        headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        assert texts.HEAD_COLUMN_APP in headers
        col = headers.index(texts.HEAD_COLUMN_APP)
        assert table.item(0, col).text().endswith("°")
    finally:
        controller.shutdown()
