"""Colours and type: a calm, colour-blind-safe palette (Okabe & Ito 2008) and sizes readable
from a treatment table (about 2 m).

Colour never carries meaning alone: every state also has a word and a symbol.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

# Okabe–Ito, distinguishable with every common colour-vision deficiency.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

# Roles.
BACKGROUND = "#F7F7F4"
SURFACE = "#FFFFFF"
TEXT = "#1B1B1B"
MUTED = "#5E5E5E"
GRID = "#D9D9D4"
ACCENT = BLUE
TRACE = BLUE
TARGET_BAND = "#009E7340"  # bluish green, translucent
BASELINE = "#5E5E5E"
FAULT = VERMILLION
MANUAL = REDDISH_PURPLE
MARKER = BLACK
WARNING = ORANGE

BAND_COLOURS = {"in": BLUISH_GREEN, "low": BLUE, "high": VERMILLION, "": "#4A4A4A"}
"""Training and readout feedback: in the band, too low, too high, no target."""

LINK_COLOURS = {"streaming": BLUISH_GREEN, "reconnecting": ORANGE, "connecting": SKY_BLUE,
                "idle": SKY_BLUE, "closed": "#8A8A8A"}
# Link health and stale data (issue 9): amber when unstable, red with no data, grey views.
LINK_COLOURS.update({"unstable": ORANGE, "no_data": VERMILLION, "reconnecting": VERMILLION})
NO_SIGNAL = "#8A8A8A"  # what a view greys out to when its data is not live
# A disabled picker or field must look disabled: the sheet's QWidget colour would otherwise
# paint its text as dark as an enabled one's.
DISABLED_TEXT = "#9A9A9A"
DISABLED_FILL = "#ECECE7"

DIAL_BANDS = ((20.0, 22.0, VERMILLION), (22.0, 24.0, ORANGE), (24.0, 26.0, YELLOW),
              (26.0, 28.0, BLUISH_GREEN), (28.0, 30.0, SKY_BLUE), (30.0, 32.0, BLUE))
"""The analog dial's colour bands from 20 mmHg, one per 2-mmHg stage, in Okabe–Ito order."""

# Type, in points. Body text stays legible from 2 m at a typical 24" monitor.
BODY_PT = 14
SMALL_PT = 12
TITLE_PT = 20
CUE_PT = 44
READOUT_PT = 72
HUGE_PT = 96


def font(point_size: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(point_size)
    f.setBold(bold)
    return f


def steady(label: QLabel, min_width: int = 0) -> QLabel:
    """A label whose text changes every frame without re-laying out (and so repainting) its
    neighbours: its width comes from the layout, not from its text."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(min_width)
    return label


def own_background(widget: QWidget, colour: str) -> QWidget:
    """``widget`` fills itself with ``colour`` (the colour behind it) before it paints, so Qt
    repaints it alone when it changes: a see-through widget's new number repainted the card,
    the page, the screen and the window behind it first (issue 14, under Xvfb a third more
    time for those frames). Not for a widget a style sheet gives a background (Qt turns the
    fill off there)."""
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(colour))
    widget.setPalette(palette)
    widget.setAutoFillBackground(True)
    return widget


def qcolor(hex_colour: str) -> QColor:
    return QColor(hex_colour)


STYLE = f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QTabWidget::pane {{ border: 0; }}
QTabBar::tab {{ padding: 8px 22px; }}
QTabBar::tab:selected {{ font-weight: bold; border-bottom: 3px solid {ACCENT}; }}
QPushButton {{ padding: 7px 16px; border: 1px solid #B8B8B2; border-radius: 6px;
              background: {SURFACE}; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #9A9A9A; }}
QPushButton[primary="true"] {{ background: {ACCENT}; color: white; border-color: {ACCENT};
                               font-weight: bold; }}
QPushButton[primary="true"]:disabled {{ background: #9DB9CC; border-color: #9DB9CC; }}
QGroupBox {{ font-weight: bold; border: 1px solid {GRID}; border-radius: 8px;
            margin-top: 14px; padding: 10px 8px 8px 8px; background: {SURFACE}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QFrame[card="true"] {{ background: {SURFACE}; border: 1px solid {GRID}; border-radius: 8px; }}
QTableWidget {{ background: {SURFACE}; gridline-color: {GRID}; }}
QHeaderView::section {{ background: #ECECE7; padding: 4px; border: 0; font-weight: bold; }}
QLabel[muted="true"] {{ color: {MUTED}; }}
QComboBox:disabled, QLineEdit:disabled, QAbstractSpinBox:disabled, QCheckBox:disabled,
QRadioButton:disabled, QMenu::item:disabled {{ color: {DISABLED_TEXT}; }}
QComboBox:disabled, QLineEdit:disabled, QAbstractSpinBox:disabled {{
    background: {DISABLED_FILL}; border: 1px solid {GRID}; border-radius: 4px; }}
"""


def apply(app: QGuiApplication) -> None:
    """Install the style sheet and the base font on the application."""
    app.setStyleSheet(STYLE)  # type: ignore[attr-defined]
    f = app.font()
    f.setPointSize(BODY_PT)
    app.setFont(f)
