"""What the clinic screen says about the protocol's progress, from the runner's state alone:
the rest banner's "next" (which follows the stopping rule), "rep 5 of 10" in endurance, and
the live verdict ("✗ failed: overshot" as soon as a fault decides it). No Qt: tested headless.
"""

from __future__ import annotations

from cctf import texts
from cctf.analysis.results import TrialResult
from cctf.session.clinic import CcftTestRunner
from cctf.session.cued import CuedRunner


def rest_detail(runner: CuedRunner) -> str:
    """The rest banner's line about what comes next."""
    if isinstance(runner, CcftTestRunner):
        nxt, stopped_at = runner.preview()
        s = runner.settings
        first_endurance = nxt is not None and nxt.phase == "endurance" and not any(
            t.phase == "endurance" for t in runner.trials)
        if stopped_at is not None and (nxt is None or first_endurance):
            if nxt is None:
                return texts.CUE_STOPPED_END.format(failed=stopped_at)
            return texts.CUE_STOPPED.format(failed=stopped_at, reps=s.endurance_reps,
                                            hold=s.hold_s, level=nxt.target_mmhg)
        if nxt is None:
            return texts.CUE_LAST_DONE
        if first_endurance:
            return texts.CUE_STAGES_DONE.format(reps=s.endurance_reps, hold=s.hold_s,
                                                level=nxt.target_mmhg)
        if nxt.phase == "endurance":
            rep = endurance_done(runner) + 1
            return texts.CUE_NEXT_REP.format(rep=rep, reps=s.endurance_reps,
                                             level=nxt.target_mmhg)
    else:
        upcoming = runner.upcoming()
        if not upcoming:
            return ""
        nxt = upcoming[0]
    return texts.CUE_NEXT.format(target=nxt.target_mmhg,
                                 phase=texts.PHASE_NAME.get(nxt.phase, nxt.phase))


def cue_detail(runner: CuedRunner, step: str) -> str:
    """The banner's line beside the cue word: the target while nodding (and that the count is
    the time left to reach it) or holding; what comes next while relaxing and resting (never
    "Relax to 28 mmHg", which reads as relaxing *to* 28); the first target while getting ready."""
    cue = runner.cue
    phase = texts.PHASE_NAME.get(cue.phase, cue.phase)
    if step == "get_ready":
        return texts.CUE_GET_READY_DETAIL.format(target=cue.target_mmhg, phase=phase)
    if step == "rest":
        return rest_detail(runner)
    if step not in ("nod", "hold", "relax"):
        return ""
    if step == "relax":
        nxt = rest_detail(runner)
        return texts.CUE_RELAX_NEXT.format(next=nxt) if nxt else texts.CUE_RELAX_LAST
    detail = texts.CUE_TARGET.format(target=cue.target_mmhg, phase=phase)
    rep = rep_text(runner)
    if rep:
        detail += " · " + rep
    if step == "nod":
        detail += texts.CUE_NOD_COUNT  # what the banner's count means (reach and hold)
    return detail


def phase_of(runner: CuedRunner) -> str:
    """The protocol part under way: practice, stage, endurance or training ("" before)."""
    if runner.cue.phase:
        return runner.cue.phase
    upcoming = runner.upcoming()
    if upcoming and runner.cue.step != "done":
        return upcoming[0].phase
    return runner.trials[-1].phase if runner.trials else ""


def endurance_done(runner: CuedRunner) -> int:
    """Finished endurance holds that count (a repeated one does not)."""
    return sum(1 for t in runner.trials if t.phase == "endurance" and not t.superseded)


def endurance_rep(runner: CuedRunner) -> tuple[int, int] | None:
    """(rep, of) while an endurance hold is cued, counting from 1; else None."""
    if not isinstance(runner, CcftTestRunner) or runner.cue.phase != "endurance":
        return None
    if runner.cue.step not in ("nod", "hold", "relax"):
        return None
    done = endurance_done(runner)
    open_trial = runner.analyzer.open_trial
    if open_trial is not None and open_trial.phase == "endurance":
        return done + 1, runner.settings.endurance_reps
    return max(1, done), runner.settings.endurance_reps  # the cued hold has just closed


def rep_text(runner: CuedRunner) -> str:
    rep = endurance_rep(runner)
    return texts.CUE_REP.format(rep=rep[0], reps=rep[1]) if rep is not None else ""


def failure_reason(trial: TrialResult) -> str | None:
    """Why the trial has failed already (a fault or a mark decides it), else None."""
    if trial.verdict_override is True:
        return None
    if trial.faults:
        kind = trial.faults[0].type
        return texts.FAULT_WHY.get(kind, texts.FAULT_SHORT.get(kind, kind))
    if trial.manual_faults:
        kind = trial.manual_faults[0]
        return texts.MARK_WHY.get(kind, kind)
    confirmed = [f.type for f in trial.flags if trial.flag_review.get(f.type)]
    if confirmed:  # a hypothesis flag the therapist confirmed fails it like a mark
        return texts.FLAG_NAME.get(confirmed[0], confirmed[0])
    return None


def live_verdict(trial: TrialResult, held: bool, faults: list[tuple[str, float]]
                 ) -> tuple[str, str]:
    """(state, words) for the cued trial: ("failed", "✗ failed: overshot") once a fault or a
    mark decides it, ("held", "✓ Held") after a clean hold, else ("", "")."""
    why = failure_reason(trial)
    if why is None and faults and trial.verdict_override is not True:
        kind = faults[0][0]
        why = texts.FAULT_WHY.get(kind, kind)
    if why is not None:
        return "failed", texts.LIVE_FAILED.format(why=why)
    if held:
        return "held", texts.LIVE_HELD
    return "", ""
