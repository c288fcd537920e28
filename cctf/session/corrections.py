"""The therapist's corrections during a clinic test: override (O), compensation seen by hand
(1–4), confirming or dismissing a hypothesis flag ("possible breath holding") and undo
(Ctrl+Z), headless so that the rules are tested without a window.

Which trial a key acts on: the last trial (for a mark: the one under way, else the last
finished), unless the therapist selected a row in the trial table *since the last trial
started* — a selection made earlier is stale and is ignored (and cleared). Every change is
kept with the verdict before and after, shown as "Trial 7: failed → passed (therapist)", and
``undo`` takes back the last one, in the runner and (through ``store``) in the records.

    fixes = Corrections(runner, store=records_annotate)   # store(method, trial, *args)
    fixes.select(4)                                        # the therapist clicked trial 5
    change = fixes.override()                              # acts on trial 5 …
    fixes.undo()                                           # … and takes it back
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cctf import texts
from cctf.analysis.results import TrialResult
from cctf.session.cued import CuedRunner

Store = Callable[..., None]  # store(method, trial_index, *args): Records' annotation methods


@dataclass(frozen=True, slots=True)
class Correction:
    """One change by the therapist: what it did and what it changed."""

    kind: str  # "override", "mark" or "review" (a hypothesis flag confirmed or dismissed)
    trial_index: int  # 0-based, as the analysis counts
    before: str  # verdict word before: "passed", "failed" or "in progress"
    after: str
    previous_override: bool | None = None  # for "override": the override it replaced
    override: bool | None = None  # for "override": the new one (None: back to measured)
    mark: str = ""  # for "mark": the compensation kind; for "review": the flag type
    previous_review: bool | None = None  # for "review": the review it replaced
    review: bool | None = None  # for "review": True confirmed, False dismissed, None neither

    @property
    def text(self) -> str:
        """"Trial 7: failed → passed (therapist)" — trial numbers counted from 1."""
        trial = self.trial_index + 1
        if self.kind == "review":
            return texts.CORRECTION_REVIEW[self.review].format(
                trial=trial, before=self.before, after=self.after,
                flag=texts.FLAG_NAME.get(self.mark, self.mark))
        if self.kind == "mark":
            return texts.CORRECTION_MARK.format(trial=trial, before=self.before,
                                                after=self.after,
                                                kind=texts.MARK_WHY.get(self.mark, self.mark))
        template = (texts.CORRECTION_MEASURED if self.override is None
                    else texts.CORRECTION_OVERRIDE)
        return template.format(trial=trial, before=self.before, after=self.after)


def verdict_of(trial: TrialResult, is_open: bool) -> str:
    confirmed = any(trial.flag_review.get(f.type) for f in trial.flags)
    if is_open and trial.verdict_override is None and not trial.manual_faults and not confirmed:
        return texts.VERDICT_OPEN
    trial.settle()
    return texts.verdict_word(trial.passed)


def flag_to_review(trial: TrialResult, flag_type: str | tuple[str, ...],
                   confirmed: bool | None) -> str | None:
    """Which of the trial's flags a review acts on: ``flag_type`` itself when one type is
    given; among several, the first on the trial not already reviewed as ``confirmed`` (None
    when every one is)."""
    if isinstance(flag_type, str):
        return flag_type if any(f.type == flag_type for f in trial.flags) else None
    on_trial = list(dict.fromkeys(f.type for f in trial.flags if f.type in flag_type))
    return next((k for k in on_trial if trial.flag_review.get(k) != confirmed), None)


class Corrections:
    def __init__(self, runner: CuedRunner, store: Store | None = None) -> None:
        self.runner = runner
        self.store = store
        self.done: list[Correction] = []  # applied and not undone, oldest first
        self._selected: int | None = None
        self._selected_in: int = -1  # the trial count when the row was selected

    # --- which trial -----------------------------------------------------------------------

    @property
    def trials_begun(self) -> int:
        """Trials begun so far (finished, plus the one under way)."""
        a = self.runner.analyzer
        return len(a.trials) + (1 if a.open_trial is not None else 0)

    def select(self, trial_index: int | None) -> None:
        """The therapist selected a row (None: cleared the selection)."""
        self._selected = trial_index
        self._selected_in = self.trials_begun

    @property
    def selected(self) -> int | None:
        """The selected trial, if selected since the last trial started; else None."""
        if self._selected is not None and self._selected_in != self.trials_begun:
            self._selected = None  # a new trial started: the selection is stale
        return self._selected

    def _finished(self, index: int) -> TrialResult | None:
        return next((t for t in self.runner.trials if t.index == index), None)

    def override_target(self) -> TrialResult | None:
        """The finished trial O acts on."""
        chosen = self.selected
        if chosen is not None:
            return self._finished(chosen)
        return self.runner.trials[-1] if self.runner.trials else None

    def mark_target(self) -> tuple[TrialResult, bool] | None:
        """The trial 1–4 act on, and whether it is still under way."""
        chosen = self.selected
        open_trial = self.runner.analyzer.open_trial
        if chosen is not None:
            if open_trial is not None and open_trial.index == chosen:
                return open_trial, True
            found = self._finished(chosen)
            return (found, False) if found is not None else None
        if open_trial is not None:
            return open_trial, True
        return (self.runner.trials[-1], False) if self.runner.trials else None

    # --- changes ---------------------------------------------------------------------------

    def override(self) -> Correction | None:
        """Flip the target trial's verdict; on an overridden trial: back to the measured one."""
        trial = self.override_target()
        if trial is None:
            return None
        before = verdict_of(trial, False)
        previous = trial.verdict_override
        if previous is None:  # the measured verdict, with hand marks and confirmed flags
            new: bool | None = not trial.measured_passed
        else:
            new = None
        self.runner.override_verdict(trial.index, new)
        change = Correction("override", trial.index, before, verdict_of(trial, False),
                            previous_override=previous, override=new)
        self._store("override_verdict", trial.index, new)
        self.done.append(change)
        return change

    def mark(self, kind: str) -> Correction | None:
        """Compensation seen by hand on the target trial (it fails)."""
        found = self.mark_target()
        if found is None:
            return None
        trial, is_open = found
        before = verdict_of(trial, is_open)
        self.runner.analyzer.mark_compensation(kind, trial.index)
        change = Correction("mark", trial.index, before, verdict_of(trial, is_open), mark=kind)
        self._store("mark_compensation", trial.index, kind)
        self.done.append(change)
        return change

    def review_target(self, flag_type: str | tuple[str, ...]
                      ) -> tuple[TrialResult, bool] | None:
        """The trial a flag review acts on, and whether it is under way: the selected one,
        else the latest (under way or finished) that has the flag (or one of the flags, e.g.
        the head's ``("retraction", "chin_poke")``)."""
        types = (flag_type,) if isinstance(flag_type, str) else flag_type
        chosen = self.selected
        open_trial = self.runner.analyzer.open_trial
        candidates = [t for t in (open_trial, *reversed(self.runner.trials)) if t is not None]
        if chosen is not None:
            candidates = [t for t in candidates if t.index == chosen]
        for trial in candidates:
            if any(f.type in types for f in trial.flags):
                return trial, trial is open_trial
        return None

    def review(self, flag_type: str | tuple[str, ...], confirmed: bool | None
               ) -> Correction | None:
        """Confirm (True) or dismiss (False) a hypothesis flag such as ``breath_hold``, or take
        the review back (None); None when no trial has that flag. Given several types (the
        head's H key), the target trial's first flag of them not already so reviewed (press
        again for the next); all so reviewed: None."""
        found = self.review_target(flag_type)
        if found is None:
            return None
        trial, is_open = found
        picked = flag_to_review(trial, flag_type, confirmed)
        if picked is None:
            return None
        before = verdict_of(trial, is_open)
        previous = trial.flag_review.get(picked)
        self.runner.review_flag(trial.index, picked, confirmed)
        change = Correction("review", trial.index, before, verdict_of(trial, is_open),
                            mark=picked, previous_review=previous, review=confirmed)
        self._store("review_flag", trial.index, picked, confirmed)
        self.done.append(change)
        return change

    def undo(self) -> Correction | None:
        """Take back the last change (in the runner and the records); None if none is left."""
        if not self.done:
            return None
        change = self.done.pop()
        a = self.runner.analyzer
        if change.kind == "override":
            self.runner.override_verdict(change.trial_index, change.previous_override)
            self._store("override_verdict", change.trial_index, change.previous_override)
        elif change.kind == "review":
            self.runner.review_flag(change.trial_index, change.mark, change.previous_review)
            self._store("review_flag", change.trial_index, change.mark, change.previous_review)
        else:
            trial = next(t for t in (a.open_trial, *a.trials)
                         if t is not None and t.index == change.trial_index)
            marks = trial.manual_faults
            for k in range(len(marks) - 1, -1, -1):
                if marks[k] == change.mark:
                    del marks[k]
                    break
            trial.settle()
            self._store("clear_compensation", change.trial_index)
            for kind in marks:
                self._store("mark_compensation", change.trial_index, kind)
        return change

    def _store(self, method: str, trial_index: int, *args: object) -> None:
        if self.store is not None:
            self.store(method, trial_index, *args)
