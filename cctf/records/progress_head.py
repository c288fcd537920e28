"""The head sensor across a patient's clinic tests (issue 17): the flexion at the hold of each
stage and the flexion-per-mmHg relation, test by test, for the progress report and the
history window.

    found = head_progress(records, progress(records, "P-0042").all)
    if any(h.measured for h in found): ...   # else no test had a sensor: nothing to show

Angles come from the records (schema v7: per-trial ``head_flexion_deg`` and
``head_flexion_gain_deg``; the slope is fitted from them as the analysis does). A test stored
before v7 whose session file has the head columns gets them from the file's analysis, as the
session report and review do (``cctf.records.head_file``). A test without a sensor, whose
angles were not measured, or whose file is missing or unreadable (logged) is "not measured" —
never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cctf import texts
from cctf.analysis.head import FlexionSlope, stage_angles
from cctf.records.head_file import head_from_file
from cctf.records.progress import ProgressPoint
from cctf.records.store import Records


@dataclass(frozen=True, slots=True)
class HeadPoint:
    """One clinic test's head figures."""

    session_id: int
    day: date
    measured: bool  # a head sensor gave angles in this test
    stages: tuple[tuple[float, float], ...]  # (target mmHg, flexion at the hold °; NaN)
    slope: FlexionSlope | None  # None: fewer than 3 stages with an angle, or no sensor

    @property
    def stage_words(self) -> str:
        if not self.measured:
            return texts.HEAD_NOT_MEASURED
        return ", ".join(f"{target:g}: {texts.head_deg(deg)}" for target, deg in self.stages)

    @property
    def slope_words(self) -> str:
        s = self.slope
        if s is None:
            return texts.HEAD_NOT_MEASURED
        return texts.HEAD_PROGRESS_SLOPE.format(slope=s.slope_deg_per_mmhg, r2=s.r2)


def head_progress(records: Records, points: Sequence[ProgressPoint]) -> list[HeadPoint]:
    """The head figures of each test in ``points``, in the same order."""
    found = []
    for p in points:
        result = records.load_result(p.session_id)
        if result is not None:
            head_from_file(records, records.session(p.session_id), result)
        measured = result is not None and result.head_measured
        stages = tuple(stage_angles(result.trials)) if result is not None and measured else ()
        slope = result.head_slope if result is not None and measured else None
        found.append(HeadPoint(p.session_id, p.day, measured, stages, slope))
    return found


def head_summary(found: Sequence[HeadPoint]) -> str:
    """One line for the history window: the flexion per mmHg test by test ("" when no test
    had a sensor: nothing to show)."""
    if not any(h.measured for h in found):
        return ""
    return texts.HEAD_PROGRESS_APP.format(lines="; ".join(
        texts.HEAD_PROGRESS_LINE.format(day=h.day, slope=h.slope_words) for h in found))
