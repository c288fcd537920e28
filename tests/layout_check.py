"""What a person would see as broken in a laid-out window, found from the widgets themselves:
a widget outside its parent, squeezed below the size its contents need, text cut (measured with
QFontMetrics / QTextDocument in the widget's own font), siblings drawn over each other, a
scrollbar in a form, table cells cut. Each problem is one line naming the widget."""

from __future__ import annotations

import re

from PySide6 import QtGui
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenuBar,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QStatusBar,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QTableWidget,
    QWidget,
)

SLACK_PX = 2  # rounding: a pixel or two is not a cut


def name(w: QWidget) -> str:
    text = ""
    if isinstance(w, QLabel | QAbstractButton):
        text = w.text()
    elif isinstance(w, QComboBox):
        text = w.currentText()
    label = w.objectName() or w.accessibleName() or text.replace("\n", " ")[:40]
    return f"{type(w).__name__}({label!r})"


def _opaque(w: QWidget) -> bool:
    """Widgets whose children are their own business (drawn parts, not laid out)."""
    return isinstance(w, QAbstractScrollArea | QAbstractSpinBox | QComboBox | QTabBar
                      | QLineEdit | QMenuBar | QStatusBar) and not isinstance(w, QScrollArea)


def _text_width(label: QLabel) -> int:
    text = label.shown() if hasattr(label, "shown") else label.text()  # ElidedLabel
    if label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    ):
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth() + 0.999)
    fm = label.fontMetrics()
    if label.buddy() is not None:  # "&Patient:" draws "Patient:" (the & underlines)
        text = re.sub(r"&(.)", r"\1", text)
    return max((fm.horizontalAdvance(line) for line in text.split("\n")), default=0)


def _label_problems(label: QLabel) -> list[str]:
    if not label.text() or (label.pixmap() is not None and not label.pixmap().isNull()):
        return []
    room = label.contentsRect()
    if label.wordWrap():
        need = label.heightForWidth(label.width())
        if need > label.height() + SLACK_PX:
            return [f"{name(label)}: text cut, needs {need} px high, has {label.height()}"]
        return []
    need_w = _text_width(label)
    lines = label.text().count("\n") + 1
    need_h = label.fontMetrics().height() * lines
    out = []
    if need_w > room.width() + SLACK_PX:
        out.append(f"{name(label)}: text cut, needs {need_w} px wide, has {room.width()}")
    if need_h > room.height() + SLACK_PX:
        out.append(f"{name(label)}: text cut, needs {need_h} px high, has {room.height()}")
    return out


def _combo_problems(combo: QComboBox) -> list[str]:
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    need = combo.fontMetrics().horizontalAdvance(combo.currentText())
    if need > field.width() + SLACK_PX:
        return [f"{name(combo)}: text cut, needs {need} px, has {field.width()}"]
    return []


def _table_problems(table: QTableWidget) -> list[str]:
    out = []
    if table.horizontalScrollBar().isVisible():
        out.append(f"{name(table)}: horizontal scrollbar (columns wider than the table)")
    header = table.horizontalHeader()
    head_fm = header.fontMetrics()
    for c in range(table.columnCount()):
        label = table.horizontalHeaderItem(c)
        if label is not None and header.isVisible() and not table.isColumnHidden(c):
            need = head_fm.horizontalAdvance(label.text()) + 12  # the section's padding
            if need > table.columnWidth(c) + SLACK_PX:
                out.append(f"{name(table)}: column title {label.text()!r} cut "
                           f"(needs {need} px, has {table.columnWidth(c)})")
    fm = table.fontMetrics()
    margin = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
    first = table.rowAt(0)
    last = table.rowAt(table.viewport().height() - 1)
    rows = range(max(first, 0), (last if last >= 0 else table.rowCount() - 1) + 1)
    may_elide = table.property("cctf_elided_columns") or []  # declared, with a tooltip
    for r in rows:
        for c in range(table.columnCount()):
            item = table.item(r, c)
            if item is None or not item.text() or table.isColumnHidden(c):
                continue
            if c in may_elide and item.toolTip() == item.text():
                continue
            width = table.columnWidth(c) - margin
            own = item.data(Qt.ItemDataRole.FontRole)  # none: the view's font
            metrics = fm if own is None else type(fm)(item.font())
            if table.wordWrap():
                need = metrics.boundingRect(QRect(0, 0, max(width, 1), 100_000),
                                            Qt.TextFlag.TextWordWrap, item.text()).height()
                if need > table.rowHeight(r) + SLACK_PX:
                    out.append(f"{name(table)}: cell ({r}, {c}) {item.text()!r} cut "
                               f"(needs {need} px high, has {table.rowHeight(r)})")
            elif metrics.horizontalAdvance(item.text()) > width + SLACK_PX:
                out.append(f"{name(table)}: cell ({r}, {c}) {item.text()!r} elided "
                           f"(needs {metrics.horizontalAdvance(item.text())} px, has {width})")
    return out


def _min_size(w: QWidget) -> tuple[int, int]:
    hint = w.minimumSizeHint()
    size = w.minimumSize()
    return (size.width() or max(hint.width(), 0), size.height() or max(hint.height(), 0))


def _widget_problems(w: QWidget) -> list[str]:
    out: list[str] = []
    policy = w.sizePolicy()
    min_w, min_h = _min_size(w)
    if isinstance(w, QAbstractButton):
        hint = w.sizeHint()
        if w.width() + SLACK_PX < hint.width() or w.height() + SLACK_PX < hint.height():
            out.append(f"{name(w)}: squeezed to {w.width()}×{w.height()}, needs "
                       f"{hint.width()}×{hint.height()}")
    elif isinstance(w, QLabel):
        out += _label_problems(w)
    else:
        if (policy.horizontalPolicy() != QSizePolicy.Policy.Ignored
                and w.width() + SLACK_PX < min_w):
            out.append(f"{name(w)}: squeezed to {w.width()} px wide, needs {min_w}")
        if (policy.verticalPolicy() != QSizePolicy.Policy.Ignored
                and w.height() + SLACK_PX < min_h):
            out.append(f"{name(w)}: squeezed to {w.height()} px high, needs {min_h}")
    if isinstance(w, QComboBox):
        out += _combo_problems(w)
    if isinstance(w, QTableWidget):
        out += _table_problems(w)
    if isinstance(w, QScrollArea):
        for bar in (w.horizontalScrollBar(), w.verticalScrollBar()):
            if bar.isVisible():
                out.append(f"{name(w)}: a scrollbar in a form")
    return out


def _children(w: QWidget) -> list[QWidget]:
    return [c for c in w.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if c.isVisible() and not c.isWindow() and not isinstance(c, QScrollBar)]


def problems(top: QWidget) -> list[str]:
    """Everything cut, squeezed, overlapping or scrolling in the shown window ``top``."""
    out: list[str] = []

    def walk(w: QWidget) -> None:
        kids = _children(w)
        inside = w.rect()
        if isinstance(w, QGroupBox):
            inside = w.rect()
        for k in kids:
            if not inside.adjusted(-SLACK_PX, -SLACK_PX, SLACK_PX, SLACK_PX).contains(
                    k.geometry()) and not (w.parentWidget() is not None
                                           and isinstance(w.parentWidget(), QScrollArea)):
                out.append(f"{name(k)} sticks out of {name(w)}: {k.geometry().getRect()} "
                           f"in {inside.width()}×{inside.height()}")
            out.extend(_widget_problems(k))
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                overlap = a.geometry().intersected(b.geometry())
                if overlap.width() > SLACK_PX and overlap.height() > SLACK_PX:
                    out.append(f"{name(a)} and {name(b)} overlap "
                               f"({overlap.width()}×{overlap.height()} px)")
        for k in kids:
            if not _opaque(k):
                walk(k)

    walk(top)
    return out
