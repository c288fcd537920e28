"""A frame in which only numbers changed does not lay out the window again (issue 14).

Qt answers a label's new text with a layout pass of the whole window (every word-wrapped
label of every stacked screen asked for its height); under Xvfb that was a seventh of the UI
thread at 25 frames a second. The labels that change every frame sit in a
:class:`~cctf.gui.steady.SteadyBox`. A layout pass starts with a ``LayoutRequest`` event
delivered to a widget that has a layout: these tests count them.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from cctf.gui.simlink import attach_virtual_sim
from cctf.gui.steady import SteadyBox, shape

from .gui_helpers import make_app, run_until

FRAME_S = 0.04  # the panels' pace (25 a second; the trace has a frame per sample at 50 Hz)


class LayoutPasses(QObject):
    """Counts ``LayoutRequest`` events that reach a widget with a layout (each one runs
    ``QLayout::activate`` there, and from there up to the window)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.where: list[str] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.LayoutRequest and isinstance(obj, QWidget)
                and obj.layout() is not None):
            self.count += 1
            self.where.append(type(obj).__name__)
        return False


@pytest.fixture
def passes():
    app = QApplication.instance()
    counter = LayoutPasses()
    app.installEventFilter(counter)
    yield counter
    app.removeEventFilter(counter)


@pytest.fixture
def app(qtbot, tmp_path):
    controller, window = make_app(qtbot, tmp_path)
    window.resize(1600, 1000)
    yield controller, window
    controller.shutdown()


def _frame(controller) -> None:
    controller.run_virtual(FRAME_S, FRAME_S)
    for _ in range(12):  # a layout pass goes up one level per turn of the event loop
        QApplication.processEvents()


def test_set_up_frames_do_not_lay_out_the_window(app, passes):
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    page = window.clinic.setup_page
    for _ in range(40):  # connected, drawn, laid out once
        _frame(controller)
    numbers, statuses = set(), set()
    passes.count = 0
    for _ in range(60):
        _frame(controller)
        numbers.add(page.pressure.readout.value.text())
        statuses.add(page.status.text())
    assert len(numbers) > 10  # the number did change, frame after frame
    assert passes.count == 0, passes.where


def test_countdowns_during_a_test_do_not_lay_out_the_window(app, passes):
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    assert controller.begin_clinic()
    run_until(controller, lambda: controller.cue is not None and controller.cue.step == "hold")
    run_page = window.clinic.run_page
    banner, trial = run_page.banner, run_page.trial

    def shapes():
        return (banner.word.text(), shape(banner.detail.text()), shape(banner.count.text()),
                shape(trial.reached.text()), shape(trial.held.text()),
                trial.faults.text(), run_page.alerts.text(), run_page.table.rowCount())

    for _ in range(5):  # the run page laid out once
        _frame(controller)
    quiet = counted = 0
    counts = set()
    seen = [shapes()]
    for _ in range(200):
        passes.count = 0
        _frame(controller)
        counts.add(banner.count.text())
        seen.append(shapes())
        if seen[-1] == seen[-2] and controller.session is not None:
            quiet += 1
            counted += passes.count
    assert quiet > 100 and len(counts) > 5  # the countdown ran through many seconds
    assert counted == 0


def test_a_steady_box_re_lays_out_only_for_a_new_shape(qtbot, passes):
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    label = QLabel("ends in 15 s")
    box = SteadyBox(label)
    layout.addWidget(box)
    layout.addWidget(QLabel("a neighbour"))
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()
    passes.count = 0
    assert box.set_text("ends in 14 s")
    QApplication.processEvents()
    assert passes.count == 0 and label.text() == "ends in 14 s"
    assert not box.set_text("ends in 14 s")  # the same text: nothing to do
    assert box.set_text("ends in 9 s, then rest for a while")  # another shape: laid out
    QApplication.processEvents()
    assert passes.count > 0
    assert label.width() == box.width() and label.height() == box.height()
    assert box.width() >= label.sizeHint().width()  # the longer text got its room


class Paints(QObject):
    """Counts paint events per widget."""

    def __init__(self) -> None:
        super().__init__()
        self.by: dict[int, int] = {}

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.by[id(obj)] = self.by.get(id(obj), 0) + 1
        return False

    def of(self, widget: QWidget) -> int:
        return self.by.get(id(widget), 0)


def test_a_new_number_and_needle_repaint_nothing_behind_them(app):
    """The readout's number and the dial change every frame; they paint their own background,
    so Qt does not repaint the card, the panel, the page and the window behind them first
    (under Xvfb those frames cost a third more)."""
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    panel = window.clinic.setup_page.pressure
    readout, gauge = panel.readout, panel.gauge
    for _ in range(20):
        _frame(controller)
    paints = Paints()
    QApplication.instance().installEventFilter(paints)
    numbers = set()
    try:
        for _ in range(40):
            _frame(controller)
            numbers.add(readout.value.text())
    finally:
        QApplication.instance().removeEventFilter(paints)
    assert len(numbers) > 10 and paints.of(readout.value) > 10 and paints.of(gauge) > 10
    assert (paints.of(readout), paints.of(panel)) == (0, 0)
    assert paints.of(window) < 10  # only for the page's other words, now and then


def test_a_new_countdown_second_repaints_nothing_behind_it(app):
    """The cue banner's countdown changes every second during a test; filled with the
    banner's colour (which changes with the step), it is repainted alone, not the banner,
    the page and the window behind it."""
    controller, window = app
    attach_virtual_sim(controller, "healthy")
    run_until(controller, lambda: controller.setup.ready)
    assert controller.begin_clinic()
    banner = window.clinic.run_page.banner
    for _ in range(5):
        _frame(controller)
    paints = Paints()
    QApplication.instance().installEventFilter(paints)
    counts, colours = set(), set()
    try:
        for _ in range(300):  # 12 s: through a hold and a rest
            _frame(controller)
            text = banner.count.text()
            if text not in counts and paints.of(banner.count):
                # the label fills itself with the colour the banner has now
                fill = banner.count.palette().color(banner.count.backgroundRole()).name()
                assert banner.count.autoFillBackground() and fill in banner._style.lower()
                colours.add(fill)
            counts.add(text)
    finally:
        QApplication.instance().removeEventFilter(paints)
    assert len(counts) > 8 and len(colours) > 1 and paints.of(banner.count) > 8
    # the banner itself only when its step (and so its colour) changes, not every second
    assert paints.of(banner) < paints.of(banner.count) / 2


def _page_running(controller, window, during: str):
    """The clinic's set-up page streaming, or its run page during a test, 20 frames in."""
    attach_virtual_sim(controller, "healthy")
    page = window.clinic.setup_page
    if during == "test":
        run_until(controller, lambda: controller.setup.ready)
        assert controller.begin_clinic()
        page = window.clinic.run_page
    for _ in range(20):
        _frame(controller)
    return page


@pytest.mark.parametrize("during", ["set-up", "test"])
def test_new_samples_are_on_screen_before_the_rest_of_the_frame_runs(app, during):
    """Sample → screen does not wait for the panels, the banner and the buttons: the trace
    is painted as soon as the frame's samples are in the history, before ``ticked``."""
    controller, window = app
    page = _page_running(controller, window, during)
    canvas = page.live.canvas
    number = page.pressure.readout.value
    paints = Paints()  # the number is painted in that first pass too
    before: list[tuple[int, str, int]] = []  # canvas paints, number text, number paints
    at_ticked: list[tuple[int, str, int]] = []
    tick = controller.tick

    def counted_tick() -> None:  # the frames with new samples (not the pacer's own)
        before.append((canvas.paints, number.text(), paints.of(number)))
        controller.ticked.connect(note)
        try:
            tick()
        finally:
            controller.ticked.disconnect(note)

    def note() -> None:
        at_ticked.append((canvas.paints, number.text(), paints.of(number)))

    controller.tick = counted_tick
    QApplication.instance().installEventFilter(paints)
    try:
        for _ in range(30):
            _frame(controller)
    finally:
        QApplication.instance().removeEventFilter(paints)
    assert len(at_ticked) == len(before) >= 30
    frames = list(zip(before, at_ticked, strict=True))
    ahead = sum(b[0] > a[0] for a, b in frames)
    assert ahead >= 0.9 * len(before)  # every tick that moved the trace (the odd one may not)
    new_number = [(a, b) for a, b in frames if b[1] != a[1]]
    assert len(new_number) >= 3 and all(b[2] > a[2] for a, b in new_number)


@pytest.mark.parametrize("during", ["set-up", "test"])
def test_the_trace_is_painted_before_the_number_and_the_dial(app, during):
    """They change in the same frame and share one paint pass: the new samples go on screen
    first (the trace is what the patient follows; sample → screen, issue 14)."""
    controller, window = app
    page = _page_running(controller, window, during)
    canvas, readout, gauge = page.live.canvas, page.pressure.readout, page.pressure.gauge
    order: list[str] = []

    class Order(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                names = {id(canvas): "trace", id(readout.value): "number", id(gauge): "dial"}
                if id(obj) in names:
                    order.append(names[id(obj)])
            return False

    spy = Order()
    QApplication.instance().installEventFilter(spy)
    shared = 0
    try:
        for _ in range(100):
            order.clear()
            _frame(controller)
            if "trace" in order and len(order) > 1:
                shared += 1
                assert order[0] == "trace", order
    finally:
        QApplication.instance().removeEventFilter(spy)
    assert shared > 5
