"""A patient's progress: scores over time, the smallest real difference, home adherence.

    series = progress_series(records, "P-0042")       # clinic tests, oldest first (for plots)
    change = compare(series[-2], series[-1])           # |ΔPI| ≥ 25: a real change
    adh = adherence(records, "P-0042", start, end)     # training done vs prescribed, per day

The smallest real difference of the performance index is about 25 units (James & Doe 2010,
one small study), so it is a setting (``srd_pi``), and the words say where it comes from.
Dates are those the sessions were recorded on, in the recording machine's time zone. The
functions take the dates to look at; they never read the clock.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from cctf import texts
from cctf.records.models import PrescriptionRecord, SessionRecord, parse_time

if TYPE_CHECKING:
    from cctf.records.store import Records

SRD_PI = 25.0
ANALYSED = ("complete", "recovered", "imported", "ended_early")
_DEFAULT_PROTOCOL = (10.0, 2.0, 5)  # the research protocol, assumed when a session does not say


@dataclass(frozen=True, slots=True)
class ProgressPoint:
    """One clinic test. Scores are NaN when not measured (never 0). ``note`` is empty for a
    point in the series, else why it is listed but not compared."""

    session_id: int
    started_at: str
    day: date
    activation_score_mmhg: float
    performance_index: float
    status: str
    note: str = ""
    excluded_reason: str | None = None
    protocol: tuple[float, float, int] = _DEFAULT_PROTOCOL  # hold s, step mmHg, stages

    @property
    def pi_measured(self) -> bool:
        return not math.isnan(self.performance_index)


@dataclass(frozen=True, slots=True)
class Progress:
    """A patient's clinic tests: ``series`` (complete, the same protocol, not excluded: plotted
    and compared against the smallest real difference) and ``others`` (listed, each with the
    reason it is not compared), both oldest first."""

    series: list[ProgressPoint]
    others: list[ProgressPoint]
    protocol: tuple[float, float, int] | None  # the series' protocol

    @property
    def all(self) -> list[ProgressPoint]:
        return sorted(self.series + self.others, key=_order)


@dataclass(frozen=True, slots=True)
class Change:
    before: ProgressPoint
    after: ProgressPoint
    delta_pi: float
    delta_activation_mmhg: float
    real: bool  # |ΔPI| ≥ the smallest real difference
    srd_pi: float

    @property
    def words(self) -> str:
        template = texts.CHANGE_REAL if self.real else texts.CHANGE_NOISE
        return template.format(before=self.before.performance_index,
                               after=self.after.performance_index, delta=self.delta_pi,
                               srd=self.srd_pi)


def protocol_key(protocol: dict[str, object] | None) -> tuple[float, float, int]:
    """What makes two tests comparable: hold time, step and number of stages."""
    p = protocol or {}

    def num(key: str, default: float) -> float:
        v = p.get(key)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else default

    hold, step, stages = _DEFAULT_PROTOCOL
    return (num("hold_s", hold), num("step_mmhg", step), int(num("n_stages", stages)))


def protocol_words(key: tuple[float, float, int]) -> str:
    return texts.PROGRESS_PROTOCOL.format(hold=key[0], step=key[1], stages=key[2])


def _order(p: ProgressPoint) -> tuple[float, int]:
    return (parse_time(p.started_at).timestamp(), p.session_id)


def _point(s: SessionRecord, note: str = "") -> ProgressPoint:
    return ProgressPoint(s.id, s.started_at, s.started.date(), s.activation_score_mmhg,
                         s.performance_index, s.status, note, s.progress_excluded_reason,
                         protocol_key(s.protocol))


def progress_from(sessions: Sequence[SessionRecord]) -> Progress:
    """Pure: split a patient's analysed clinic sessions into the series and the others. The
    series' protocol is that of the latest complete, included session."""
    clinic = sorted((s for s in sessions if s.kind == "clinic" and s.status in ANALYSED),
                    key=lambda s: (s.started.timestamp(), s.id))
    usable = [s for s in clinic if s.measured_complete
              and not math.isnan(s.activation_score_mmhg) and not s.progress_excluded_reason]
    protocol = protocol_key(usable[-1].protocol) if usable else None
    series, others = [], []
    for s in clinic:
        if s.progress_excluded_reason:
            others.append(_point(s, texts.PROGRESS_EXCLUDED.format(
                reason=s.progress_excluded_reason)))
        elif s not in usable:
            others.append(_point(s, texts.PROGRESS_NOT_COMPLETE))
        elif protocol_key(s.protocol) != protocol:
            others.append(_point(s, texts.PROGRESS_OTHER_PROTOCOL.format(
                protocol=protocol_words(protocol_key(s.protocol)))))
        else:
            series.append(_point(s))
    return Progress(series, others, protocol)


def progress(records: Records, code: str) -> Progress:
    return progress_from(records.sessions(code, kinds=("clinic",), statuses=ANALYSED))


def points_from(sessions: Sequence[SessionRecord]) -> list[ProgressPoint]:
    """The series (complete tests of one protocol, not excluded), oldest first."""
    return progress_from(sessions).series


def progress_series(records: Records, code: str) -> list[ProgressPoint]:
    return progress(records, code).series


def compare(before: ProgressPoint, after: ProgressPoint, srd_pi: float = SRD_PI) -> Change:
    """Is the change in performance index from ``before`` to ``after`` a real one?"""
    if srd_pi <= 0:
        raise ValueError(f"srd_pi must be > 0, got {srd_pi}")
    delta = after.performance_index - before.performance_index
    return Change(before, after, delta,
                  after.activation_score_mmhg - before.activation_score_mmhg,
                  abs(delta) >= srd_pi, srd_pi)


def changes(points: Sequence[ProgressPoint], srd_pi: float = SRD_PI) -> list[Change]:
    """Each clinic test against the one before it (tests whose PI was not measured — a
    protocol without endurance — are not compared)."""
    measured = [p for p in points if p.pi_measured]
    return [compare(a, b, srd_pi) for a, b in itertools.pairwise(measured)]


def summary_words(points: Sequence[ProgressPoint], srd_pi: float = SRD_PI) -> str:
    """First test against the latest, in plain words, with the SRD's source."""
    if not points:
        return texts.CHANGE_EMPTY
    points = [p for p in points if p.pi_measured]
    if not points:
        return texts.CHANGE_NO_PI
    if len(points) == 1:
        return texts.CHANGE_NONE
    change = compare(points[0], points[-1], srd_pi)
    return (texts.PROGRESS_SINCE.format(day=points[0].day, change=change.words)
            + texts.SRD_SOURCE.format(srd=srd_pi))


# --- home adherence ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayAdherence:
    day: date
    sessions_done: int
    sessions_prescribed: int
    reps_done: int
    reps_planned: int


@dataclass(frozen=True, slots=True)
class Adherence:
    """Training done against the prescription over ``days`` (and per ISO week)."""

    days: tuple[DayAdherence, ...]

    @property
    def sessions_done(self) -> int:
        return sum(d.sessions_done for d in self.days)

    @property
    def sessions_prescribed(self) -> int:
        return sum(d.sessions_prescribed for d in self.days)

    @property
    def sessions_fraction(self) -> float:
        """Prescribed sessions done (extra sessions on one day do not make up for another)."""
        due = self.sessions_prescribed
        done = sum(min(d.sessions_done, d.sessions_prescribed) for d in self.days)
        return done / due if due else math.nan

    @property
    def reps_done(self) -> int:
        return sum(d.reps_done for d in self.days)

    @property
    def reps_planned(self) -> int:
        return sum(d.reps_planned for d in self.days)

    @property
    def reps_fraction(self) -> float:
        due = self.reps_planned
        done = sum(min(d.reps_done, d.reps_planned) for d in self.days)
        return done / due if due else math.nan

    @property
    def days_trained(self) -> int:
        return sum(1 for d in self.days if d.sessions_done)

    def weeks(self) -> list[Adherence]:
        """Split by ISO week (Monday to Sunday)."""
        out: dict[tuple[int, int], list[DayAdherence]] = {}
        for d in self.days:
            out.setdefault(d.day.isocalendar()[:2], []).append(d)
        return [Adherence(tuple(v)) for _, v in sorted(out.items())]

    def words(self, label: str | None = None) -> str:
        if not self.sessions_prescribed:
            return texts.ADHERENCE_NO_PRESCRIPTION
        if label is None:
            label = texts.ADHERENCE_ALL.format(start=self.days[0].day, end=self.days[-1].day)
        return texts.ADHERENCE_LINE.format(
            label=label, days_trained=self.days_trained,
            days=sum(1 for d in self.days if d.sessions_prescribed),
            sessions_done=self.sessions_done, sessions_prescribed=self.sessions_prescribed,
            sessions_pct=100 * self.sessions_fraction, reps_done=self.reps_done,
            reps_planned=self.reps_planned, reps_pct=100 * self.reps_fraction)


def prescription_on(prescriptions: Sequence[PrescriptionRecord], day: date
                    ) -> PrescriptionRecord | None:
    """The programme in force on ``day``: the latest one started on or before it."""
    current = None
    for rx in sorted(prescriptions, key=lambda r: (r.start_date, r.id)):
        if rx.start_date <= day:
            current = rx
    return current


def adherence_from(sessions: Sequence[SessionRecord],
                   prescriptions: Sequence[PrescriptionRecord], start: date, end: date
                   ) -> Adherence:
    """Pure: training sessions done per day from ``start`` to ``end`` (inclusive) against the
    prescription in force each day."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    done: dict[date, list[SessionRecord]] = {}
    for s in sessions:
        if s.kind == "training" and s.status in ANALYSED:
            done.setdefault(s.started.date(), []).append(s)
    days = []
    day = start
    while day <= end:
        rx = prescription_on(prescriptions, day)
        todays = done.get(day, [])
        per_day = rx.sessions_per_day if rx else 0
        days.append(DayAdherence(
            day, len(todays), per_day, sum(s.reps_done or 0 for s in todays),
            per_day * rx.reps if rx else 0))
        day += timedelta(days=1)
    return Adherence(tuple(days))


def adherence(records: Records, code: str, start: date, end: date) -> Adherence:
    return adherence_from(records.sessions(code, kinds=("training",)),
                          records.prescriptions(code), start, end)


def current_prescription(records: Records, code: str, day: date) -> PrescriptionRecord | None:
    return prescription_on(records.prescriptions(code), day)
