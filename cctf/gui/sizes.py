"""Sizes that follow the window: dialogs capped to the screen they open on, and type that
grows with the room a widget gets (the readout, the dial's numbers, the cue banner), so one
layout serves a 1280×720 laptop and a 2560×1440 monitor (docs/app.md § Sizes and scaling)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

TITLE_BAR_PX = 30  # what a dialog's own frame takes from the screen's available height


def want(dialog: QWidget, width: int, height: int) -> None:
    """Give ``dialog`` the size it would like, capped to the screen (see ``fit_to_room``)."""
    dialog.setProperty("cctf_wanted_size", (width, height))
    fit_to_room(dialog)


def fit_to_room(dialog: QWidget, room: tuple[int, int] | None = None) -> None:
    """Resize ``dialog`` to its wanted size (``want``; else its size hint), no larger than
    ``room`` (default: its screen's available area less a title bar) and no smaller than its
    layout needs."""
    wanted = dialog.property("cctf_wanted_size") or dialog.sizeHint().toTuple()
    if room is None:
        screen = dialog.screen()
        area = screen.availableGeometry()
        room = (area.width(), area.height() - TITLE_BAR_PX)
    need = dialog.minimumSizeHint()
    width = max(min(int(wanted[0]), room[0]), need.width())
    height = max(min(int(wanted[1]), room[1]), need.height())
    dialog.resize(width, height)


def scaled_pt(base_pt: float, available_px: float, reference_px: float, *,
              lowest: float = 0.6, highest: float = 2.5) -> int:
    """``base_pt`` at ``reference_px`` of room, in proportion to ``available_px`` (clamped)."""
    k = available_px / reference_px if reference_px > 0 else 1.0
    return max(1, round(base_pt * min(max(k, lowest), highest)))
