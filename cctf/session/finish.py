"""Ending a session, headless: the runner's last word, the file's closing metadata and the
report the results screen shows.

    ended = finish_runner(session)          # the trial under way is void if it ended early
    final = closing_metadata(device, session, ended, lsl_meta, head_meta)
    session.recorder.close(final, wait=False)
    report = session_report(session, ended, t0_display_s, end_display_s)

The app (``AppController._finish_session``) only adds what needs it: the trace's markers, the
LSL stop marker, the records' completion on a worker thread, and the signals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cctf import texts
from cctf.acquisition.device import Device
from cctf.analysis.results import Event, SessionResult
from cctf.session.active import ActiveSession, SessionReport
from cctf.session.ending import EarlyEnd, end_early
from cctf.session.metadata import final_metadata
from cctf.session.training import TrainingRunner, TrainingSummary
from cctf.sessionfile import ended_metadata


@dataclass(frozen=True, slots=True)
class Ended:
    """What the runner said last."""

    result: SessionResult | None = None
    summary: TrainingSummary | None = None
    early: EarlyEnd | None = None  # ended before the protocol was done
    events: list[Event] = field(default_factory=list)  # decided by finishing


def finish_runner(session: ActiveSession,
                  act: Callable[[str], object] | None = None) -> Ended:
    """Finish the session's runner (none: a monitor recording). Ended early, the trial under
    way is void and the actions say so ("Trial 4 interrupted…", "Ended early at …") through
    ``act`` (default ``session.act``; the app also streams them to LSL)."""
    act = act or session.act
    runner = session.runner
    if runner is None:
        return Ended()
    early = end_early(runner, session.latest_t_s)
    if early is not None:
        if early.interrupted_trial is not None:
            act(texts.ACTION_INTERRUPTED.format(trial=early.interrupted_trial + 1))
        act(texts.ACTION_ENDED_EARLY.format(t_s=early.t_s))
    events = runner.finish()
    summary = runner.summary() if isinstance(runner, TrainingRunner) else None
    return Ended(runner.result(), summary, early, list(events))


def closing_metadata(device: Device | None, session: ActiveSession, ended: Ended,
                     lsl: Mapping[str, object], head: Mapping[str, object]
                     ) -> dict[str, object]:
    """The header lines the file gets when it is closed: link statistics, results, actions,
    how it ended, the wall clock pairs, LSL's clock, the head sensor's neutral (only when the
    file has head columns)."""
    final = final_metadata(device, session.t0_host_s, session.kind, ended.result,
                           ended.summary, session.actions)
    final.update(ended_metadata(ended.early.t_s if ended.early is not None else None))
    if session.pairs is not None:
        final.update(session.pairs.metadata())
    final.update(lsl)
    if session.has_head:
        final.update(head)
    return final


def session_report(session: ActiveSession, ended: Ended, t0_display_s: float,
                   end_display_s: float) -> SessionReport:
    record = session.record
    early = ended.early
    return SessionReport(
        session.kind, session.recorder.path, ended.result, ended.summary, session.settings,
        tuple(session.actions), tuple(session.alerts), t0_display_s, end_display_s,
        session.recorder,
        record.id if record is not None else None,
        record.patient_code if record is not None else None,
        early.t_s if early else None, early.interrupted_trial if early else None,
        tuple(c.text for c in session.corrections.done) if session.corrections else (),
    )
