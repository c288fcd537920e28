"""The head sensor's hypotheses and angles in the app (issue 17), against the simulator's
retracting patient on a virtual clock: the live trial panel's flexion at this hold and per
stage (nothing without a sensor), H / Shift+H / Ctrl+Z during the test, the results screen's
flag review, the session review with a reason, and the history window's head line."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cctf import texts
from cctf.analysis.results import Fault
from cctf.gui.elided import ElidedLabel
from cctf.gui.patients import ProgressDialog
from cctf.gui.session_review import SessionReviewDialog
from cctf.gui.simlink import attach_virtual_sim
from cctf.gui.tour import settle
from cctf.records import audit

from .gui_helpers import run_until, start_clinic_test
from .test_records_head_progress import old_records  # noqa: F401  (a fixture)


def _flagged(runner) -> list[int]:
    return [t.index for t in runner.trials if any(f.type == "retraction" for f in t.flags)]


def test_head_flags_are_reviewed_live_on_the_results_and_in_the_review(qtbot, records_app):
    controller, window = records_app
    start_clinic_test(qtbot, controller, window, "retraction")
    runner = controller.session.runner
    panel = window.clinic.run_page.trial
    screen = window.clinic
    # Holding the first stage: the flexion at this hold so far.
    run_until(controller, lambda: controller.session.live.reached_s is not None
              and controller.session.latest_t_s > controller.session.live.reached_s + 3)
    panel.refresh()
    assert panel.head.isVisible()
    now = panel.head.text()
    assert now.startswith("head flexion — this hold ") and now.endswith("°"), now
    assert 1.0 < float(now.split()[-1][:-1]) < 6.0  # a proper nod, 1.5°/mmHg × 2 mmHg
    assert not screen.confirm_head_action.isEnabled()  # no head flag yet

    run_until(controller, lambda: bool(_flagged(runner)), limit_s=400)
    index = _flagged(runner)[-1]
    trial = runner.trials[index]
    panel.refresh()
    assert "22 mmHg " in panel.head.text() and "24 mmHg " in panel.head.text()
    assert "0.0°" not in panel.head.text()
    screen._update_actions()
    assert screen.confirm_head_action.isEnabled() and trial.passed
    qtbot.keyClick(window, Qt.Key.Key_H)  # confirmed: the trial fails
    assert trial.flag_review == {"retraction": True} and not trial.passed
    assert "possible retraction confirmed" in window.statusBar().currentMessage()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert trial.flag_review == {} and trial.passed
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)  # dismissed
    assert trial.flag_review == {"retraction": False} and trial.passed
    run_until(controller, lambda: controller.session is None)

    results = screen.results
    table = results.table
    assert "possible retraction" in table.item(index, 5).text()
    assert "dismissed by the therapist" in table.item(index, 5).text()
    assert table.item(index, 3).text() == "✓ passed"
    assert results.activation.value.text().startswith("10")
    table.selectRow(index)
    qtbot.waitUntil(results.flag_buttons[True].isEnabled, timeout=10000)  # once in the records
    assert results.flag_buttons[True].toolTip() == "Confirm possible retraction (fails the trial)"
    # A trial with two flags: the button asks which one, in a menu at the button.
    shown = results.flag_reviews.result.trials[index]
    shown.flags.append(Fault("breath_hold", shown.cue_start_s, 6.0))
    results._enable_flags()
    results.flag_buttons[True].click()
    assert table.item(index, 3).text() == "✓ passed"  # nothing yet: asked which
    menu = results.flag_menu
    assert [a.text() for a in menu.actions()] == ["possible retraction",
                                                  "possible breath holding"]
    menu.actions()[0].trigger()
    menu.close()
    assert shown.flag_review == {"retraction": True}
    assert table.item(index, 3).text() == "✗ failed"
    assert "confirmed by the therapist" in table.item(index, 5).text()
    assert results.activation.value.text().startswith("2")  # 24 mmHg failed: 22 held
    sid = results.session_id
    records = controller.records
    qtbot.waitUntil(lambda: records.load_result(sid) is not None, timeout=10000)
    qtbot.waitUntil(lambda: records.load_result(sid).trials[index].flag_review
                    == {"retraction": True}, timeout=10000)
    assert not records.load_result(sid).trials[index].passed
    table.selectRow(0)  # 22 mmHg: clean, nothing to review
    assert not results.flag_buttons[True].isEnabled()

    review = SessionReviewDialog(controller, sid)
    qtbot.addWidget(review)
    review.table.selectRow(index)
    assert review.flag_kind.currentData() == "retraction"
    assert review.flag_kind.currentText() == "possible retraction"
    assert not review.review_flag(False), "no reason: refused"
    review.reason.setText("a proper nod on the video")
    assert review.review_flag(False)
    assert records.load_result(sid).trials[index].flag_review == {"retraction": False}
    assert records.load_result(sid).trials[index].passed
    assert "dismissed by the therapist" in review.table.item(index, 5).text()
    assert [(e.value, e.reason) for e in audit.edits(records, sid)] == [
        ("confirmed:retraction", texts.FLAG_REVIEW_RESULTS_REASON),  # on the results screen
        ("dismissed:retraction", "a proper nod on the video")]
    assert ("trial 2: possible retraction dismissed — reason: a proper nod on the video"
            in review.log.toPlainText())

    history = ProgressDialog(controller, "P-1")
    qtbot.addWidget(history)
    history.show()
    assert history.head_progress.isVisible()
    assert history.head_progress.text().startswith("Head flexion per mmHg (head sensor): ")
    assert "°/mmHg (R² " in history.head_progress.text()  # five stages: the relation


def test_without_a_sensor_the_panel_shows_no_angle(qtbot, records_app):
    controller, window = records_app
    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    run_until(controller, lambda: len(controller.session.runner.trials) >= 1)
    panel = window.clinic.run_page.trial
    panel.refresh()
    assert panel.head.text() == "" and not panel.head.isVisible()
    assert not window.clinic.confirm_head_action.isEnabled()
    assert texts.NOTHING_TO_REVIEW_HEAD.startswith("No trial")
    assert not controller.review_flag(True, ("retraction", "retraction"))
    assert window.statusBar().currentMessage() == texts.NOTHING_TO_REVIEW_HEAD


def test_the_live_head_line_shows_the_current_stages_at_1280_px(qtbot, records_app):
    """At 1280×720 (a maximised window: 1280×650) the one-line head panel has room for about
    two stages: the oldest go first ("…"), "this hold" and the newest stay; the whole line is
    the tooltip. Through the five stages and into the endurance holds."""
    controller, window = records_app
    window.resize(1280, 650)
    start_clinic_test(qtbot, controller, window, "retraction")
    settle()
    assert window.size().toTuple() == (1280, 650)
    runner = controller.session.runner
    panel = window.clinic.run_page.trial
    label = panel.head

    def stages() -> list:
        return [t for t in runner.trials if t.phase == "stage" and not t.superseded]

    def holding(phase: str, done: int) -> bool:
        live = controller.session.live
        return (len(stages()) == done and runner.analyzer.open_trial is not None
                and runner.analyzer.open_trial.phase == phase and live.reached_s is not None
                and controller.session.latest_t_s > live.reached_s + 3)

    for phase, done in (("stage", 4), ("endurance", 5)):  # the 5th stage, then endurance
        run_until(controller, lambda p=phase, d=done: holding(p, d), limit_s=600)
        settle()
        panel.refresh()
        shown, whole = label.shown(), label.text()
        assert label.isVisible() and label.toolTip() == whole
        newest = stages()[-1]
        newest_words = f"{newest.target_mmhg:g} mmHg {texts.head_deg(newest.head_flexion_deg)}"
        assert newest_words in shown, (shown, whole)  # the stage just held, readable
        assert shown.startswith("head flexion — this hold ") and "°" in shown.split(" · ")[0]
        assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
        for t in stages():  # all in the tooltip, "not measured" never 0
            assert f"{t.target_mmhg:g} mmHg {texts.head_deg(t.head_flexion_deg)}" in whole
        if shown != whole:  # shortened: earlier stages left out, said with "…"
            assert " · … · " in shown and "22 mmHg" not in shown


def test_an_elided_label_shows_the_longest_shorter_version_that_fits(qtbot):
    label = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
    qtbot.addWidget(label)
    label.show()  # resized: elided again at once
    whole, shorter = "this hold 1.9° · 22 mmHg 2.6° · 24 mmHg 0.8°", ["this hold 1.9° · … · 24 "
                                                                      "mmHg 0.8°", "this hold …"]
    fm = label.fontMetrics()
    for width, shown in ((fm.horizontalAdvance(whole) + 4, whole),
                         (fm.horizontalAdvance(shorter[0]) + 4, shorter[0]),
                         (fm.horizontalAdvance(shorter[1]) + 4, shorter[1])):
        label.resize(width + label.contentsMargins().left() + label.contentsMargins().right(),
                     30)
        label.setText(whole, shorter)
        assert label.shown() == shown and label.text() == label.toolTip() == whole
    label.resize(20, 30)  # none fits: the shortest, elided
    assert label.shown() == fm.elidedText(shorter[-1], Qt.TextElideMode.ElideRight,
                                          label.contentsRect().width())
    label.setText(whole)  # no shorter versions: elided as before
    assert label.shown() == fm.elidedText(whole, Qt.TextElideMode.ElideRight,
                                          label.contentsRect().width())


def test_the_review_of_a_session_stored_before_v7_shows_its_files_angles(
        qtbot, old_records, records_app):  # noqa: F811
    """The session review takes an old session's head angles from its file as the reports and
    progress do (one function, `head_from_file`); a missing file is "not measured"."""
    _records, ids, _ = old_records
    controller, _window = records_app
    review = SessionReviewDialog(controller, ids["head"])
    qtbot.addWidget(review)
    header = [review.table.horizontalHeaderItem(c).text()
              for c in range(review.table.columnCount())]
    assert texts.HEAD_COLUMN_APP in header
    column = header.index(texts.HEAD_COLUMN_APP)
    assert review.table.item(0, column).text().startswith("1.0°")  # 22 mmHg: 0.5°/mmHg × 2
    missing = SessionReviewDialog(controller, ids["missing"])
    qtbot.addWidget(missing)
    assert texts.HEAD_COLUMN_APP not in [missing.table.horizontalHeaderItem(c).text()
                                         for c in range(missing.table.columnCount())]
