"""Possible breath holding in the app, against the simulator's breath-holder on a virtual
clock: shown live as the analysis decides it, confirmed with B (undone with Ctrl+Z) during the
test, on the results screen per trial with confirm / dismiss / undo buttons that change the
verdict, the scores and the records, and in a past session's review window with a reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from cctf import texts
from cctf.analysis.results import Fault
from cctf.gui.controller import SessionReport
from cctf.gui.session_review import SessionReviewDialog
from cctf.records import audit
from cctf.records.actions import edit_words
from cctf.records.meta import read_recorded
from cctf.records.recovery import analyse_session, begin_session, complete_session

from .gui_helpers import run_until, start_clinic_test
from .test_breath_hold import _write_csv, breath_holder


def test_flag_live_then_confirmed_by_key_undone_and_reviewed_on_the_results(qtbot, records_app):
    controller, window = records_app
    start_clinic_test(qtbot, controller, window, "breath-holder")
    runner = controller.session.runner
    panel = window.clinic.run_page.trial  # the cued trial's live panel
    run_until(controller, lambda: runner.analyzer.open_trial is not None
              and bool(runner.analyzer.open_trial.flags), limit_s=400)
    panel.refresh()
    assert "possible breath holding" in panel.faults.text()
    assert "to confirm or dismiss" in panel.faults.text()
    assert any(m.kind == "fault" and m.text == "breath?" for m in controller.markers)
    index = runner.analyzer.open_trial.index
    qtbot.keyClick(window, Qt.Key.Key_B)  # confirmed: the trial under way fails
    trial = runner.analyzer.open_trial
    assert trial.flag_review == {"breath_hold": True}
    panel.refresh()
    assert "confirmed by the therapist" in panel.faults.text()
    assert "failed" in panel.held.text().lower()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert trial.flag_review == {}
    run_until(controller, lambda: len(runner.trials) >= index + 2, limit_s=400)
    controller.end_session()

    results = window.clinic.results
    table = results.table
    cells = [table.item(index, c).text() for c in range(5)]
    assert "possible breath holding" in cells[4] and "to confirm or dismiss" in cells[4]
    assert cells[3] == "✓ passed"
    table.selectRow(index)
    sid = results.session_id
    records = controller.records
    # The record is still being saved (the CSV's writer joins on a worker thread): the review
    # waits for it rather than change the record being saved with no trace.
    assert records.session(sid).status == "recording"
    assert not results.flag_buttons[True].isEnabled()
    assert results.flag_buttons[True].toolTip() == texts.FLAG_REVIEW_WAIT
    assert not results.review_flag(True, "breath_hold")
    assert results.flag_status.text() == texts.FLAG_REVIEW_WAIT
    assert table.item(index, 3).text() == "✓ passed"
    qtbot.waitUntil(results.flag_buttons[True].isEnabled, timeout=10000)
    assert records.session(sid).status == "ended_early"  # a finished session
    results.flag_buttons[True].click()
    assert table.item(index, 3).text() == "✗ failed"
    assert "confirmed by the therapist" in table.item(index, 4).text()
    assert "possible breath holding confirmed" in results.flag_status.text()
    assert ("Reviewed after the test: Trial " in results.notes.text()
            and "possible breath holding confirmed" in results.notes.text())
    stored = records.load_result(sid).trials[index]
    assert stored.flag_review == {"breath_hold": True} and not stored.passed
    # An edit of a finished session: a row in its audit trail, with the fixed reason.
    reviewed, undone = texts.FLAG_REVIEW_RESULTS_REASON, texts.FLAG_REVIEW_RESULTS_UNDO_REASON
    assert [(e.trial_index, e.value, e.reason) for e in audit.edits(records, sid)] == [
        (index, "confirmed:breath_hold", reviewed)]
    results.flag_buttons[False].click()  # dismissed: a second row
    assert records.load_result(sid).trials[index].flag_review == {"breath_hold": False}
    results.flag_undo_button.click()  # back to confirmed: a row going back, none deleted
    assert table.item(index, 3).text() == "✗ failed"
    results.flag_undo_button.click()
    assert table.item(index, 3).text() == "✓ passed"
    assert records.load_result(sid).trials[index].flag_review == {}
    assert [(e.value, e.reason) for e in audit.edits(records, sid)] == [
        ("confirmed:breath_hold", reviewed), ("dismissed:breath_hold", reviewed),
        ("confirmed:breath_hold", undone), ("unreviewed:breath_hold", undone)]
    assert all(e.trial_index == index for e in audit.edits(records, sid))
    # The report and the session review list them like any change after the session.
    lines = [edit_words(e) for e in audit.edits(records, sid)]
    assert lines[0] == (f"trial {index + 1}: possible breath holding confirmed — reason: "
                        "reviewed on the results screen at the end of the test")
    assert lines[-1].startswith(f"trial {index + 1}: possible breath holding back to not "
                                "reviewed — reason: review undone on the results screen")
    table.selectRow(0)  # 22 mmHg: no flag, nothing to review
    assert not results.flag_buttons[True].isEnabled()


def test_a_past_session_flag_is_confirmed_with_a_reason_in_the_review_window(qtbot, records_app):
    controller, _ = records_app
    records = controller.records
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    _write_csv(active.csv_path, breath_holder(50)[1], 50)
    sid = complete_session(records, active).id
    assert records.session(sid).activation_score_mmhg == 8
    review = SessionReviewDialog(controller, sid)
    qtbot.addWidget(review)
    assert all(b.isVisible() or not review.isVisible() for b in review.flag_buttons.values())
    assert "to confirm or dismiss" in review.table.item(2, 4).text()
    review.table.selectRow(2)  # 26 mmHg, a held breath
    assert not review.review_flag(True), "no reason: refused"
    assert records.load_result(sid).trials[2].flag_review == {}
    review.reason.setText("breath held, seen on the video")
    assert review.review_flag(True)
    assert records.session(sid).activation_score_mmhg == 4
    assert "confirmed by the therapist" in review.table.item(2, 4).text()
    assert ("trial 3: possible breath holding confirmed — reason: breath held, seen on the "
            "video") in review.log.toPlainText()
    review.reason.setText("not so sure")
    review.table.selectRow(2)
    assert review.review_flag(None)
    assert records.session(sid).activation_score_mmhg == 8
    review.table.selectRow(0)
    review.reason.setText("x")
    assert not review.review_flag(True) and "no hypothesis flag" in review.message.text()
    assert [e.value for e in audit.edits(records, sid)] == [
        "confirmed:breath_hold", "unreviewed:breath_hold"]


def test_the_which_flag_menu_is_opened_by_a_click_and_chosen_by_key_or_mouse(qtbot, records_app):
    """A trial with two flags (possible breath holding, and possible retraction): a real click
    on Confirm / Dismiss opens the menu at the button; an entry chosen with the arrow keys and
    Return, or clicked where the menu draws it, goes to the records (and their audit trail);
    Escape chooses nothing."""
    controller, window = records_app
    records = controller.records
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    _write_csv(active.csv_path, breath_holder(50)[1], 50)
    result = analyse_session(records, records.session(active.id), read_recorded(
        active.csv_path))
    breath = result.trials[2]  # 26 mmHg, a held breath; a retraction too (as a head sensor's)
    assert [f.type for f in breath.flags] == ["breath_hold"]
    breath.flags.append(Fault("retraction", breath.cue_start_s, 0.4))
    sid = complete_session(records, active, result).id
    stored = records.load_result(sid)
    assert [f.type for f in stored.trials[2].flags] == ["breath_hold", "retraction"]
    controller.session_finished.emit(SessionReport(  # as at the end of the test
        "clinic", active.csv_path, stored, None, None, (), (), 0.0, 60.0, None, sid, "P-1"))
    results = window.clinic.results
    assert window.clinic.pages.currentWidget() is results
    qtbot.waitUntil(results.flag_row.isVisible)
    results.table.selectRow(2)

    def menu_at(button) -> QMenu:
        results.flag_menu = None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: results.flag_menu is not None
                        and results.flag_menu.isVisible())
        menu = results.flag_menu
        assert [a.text() for a in menu.actions()] == ["possible breath holding",
                                                      "possible retraction"]
        # at the button: right under it (moved left only as far as the screen's edge needs)
        under, shown = button.mapToGlobal(button.rect().bottomLeft()), menu.geometry()
        edge = button.screen().availableGeometry().right() + 1
        assert abs(shown.top() - under.y()) <= 2
        assert abs(shown.left() - min(under.x(), edge - shown.width())) <= 2
        return menu

    menu = menu_at(results.flag_buttons[True])  # Confirm → which?
    qtbot.keyClick(menu, Qt.Key.Key_Escape)
    assert not menu.isVisible() and records.load_result(sid).trials[2].flag_review == {}
    assert audit.edits(records, sid) == []

    menu = menu_at(results.flag_buttons[True])
    qtbot.keyClick(menu, Qt.Key.Key_Down)
    if menu.activeAction() is menu.actions()[0]:  # some styles select the first at once
        qtbot.keyClick(menu, Qt.Key.Key_Down)
    assert menu.activeAction().text() == "possible retraction"
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    assert records.load_result(sid).trials[2].flag_review == {"retraction": True}
    assert results.table.item(2, 3).text() == "✗ failed"

    menu = menu_at(results.flag_buttons[False])  # Dismiss → which? clicked with the mouse
    entry = menu.actions()[0]
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton,
                     pos=menu.actionGeometry(entry).center())
    assert not menu.isVisible()
    assert records.load_result(sid).trials[2].flag_review == {"retraction": True,
                                                              "breath_hold": False}
    assert [(e.trial_index, e.value, e.reason) for e in audit.edits(records, sid)] == [
        (2, "confirmed:retraction", texts.FLAG_REVIEW_RESULTS_REASON),
        (2, "dismissed:breath_hold", texts.FLAG_REVIEW_RESULTS_REASON)]


def test_reviews_made_before_a_test_joins_the_records_follow_it_in(qtbot, records_app, tmp_path):
    """A test run without a patient: its flag reviewed on the results screen changes only the
    screen; attached to a patient, the review follows into the records with an audit row (the
    screen and the record agree), and later reviews are audit rows as usual."""
    from types import SimpleNamespace

    from cctf.analysis.offline import analyze_recording

    controller, window = records_app
    records = controller.records
    records.add_patient("P-1")
    path = tmp_path / "recordings" / "2025-03-03_100000_clinic.csv"
    path.parent.mkdir()
    _write_csv(path, breath_holder(50)[1], 50)
    result = analyze_recording(read_recorded(path))
    controller.session_finished.emit(SessionReport(
        "clinic", path, result, None, None, (), (), 0.0, 60.0,
        SimpleNamespace(join=lambda timeout=None: None)))  # no patient: not in the records
    results = window.clinic.results
    results.table.selectRow(2)  # 26 mmHg, a held breath
    assert results.flag_buttons[True].isEnabled()  # nothing to wait for
    results.flag_buttons[True].click()
    assert result.trials[2].flag_review == {"breath_hold": True}
    assert results.flag_undo_button.isEnabled()

    results.pick_patient = lambda codes: "P-1"
    sid = results.attach_to_patient()
    assert sid is not None
    assert records.load_result(sid).trials[2].flag_review == {"breath_hold": True}
    assert not records.load_result(sid).trials[2].passed
    assert [(e.trial_index, e.value, e.reason) for e in audit.edits(records, sid)] == [
        (2, "confirmed:breath_hold", texts.FLAG_REVIEW_ATTACHED_REASON)]
    assert not results.flag_undo_button.isEnabled()  # done before: in the trail now
    results.table.selectRow(2)
    results.flag_buttons[False].click()
    assert records.load_result(sid).trials[2].flag_review == {"breath_hold": False}
    assert [e.reason for e in audit.edits(records, sid)] == [
        texts.FLAG_REVIEW_ATTACHED_REASON, texts.FLAG_REVIEW_RESULTS_REASON]
