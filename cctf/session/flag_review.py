"""Confirming or dismissing a hypothesis flag ("possible breath holding", and with a head
sensor "possible retraction" / "possible chin poke") on the results of a session just ended,
headless so that the rules are tested without a window.

During the test the therapist reviews a flag with B / Shift+B (``Corrections.review``). On
the results screen the runner is gone: ``FlagReviews`` changes the finished result itself,
settles the trial's verdict, recomputes the scores (a confirmed flag fails the trial like a
hand mark, so the activation score or performance index may fall) and passes each change to
the records (``store(trial, flag, confirmed, reason)``). Every change is undoable, newest
first, like the test's corrections.

By then the session's record is complete (the results screen enables the review once the
records have it), so each change, and each undo, is an edit of a finished session: the app's
store is ``audit.edit_flag_review`` with a fixed reason (``texts.FLAG_REVIEW_RESULTS_REASON``,
``…_UNDO_REASON``), one row in the audit trail each; an undo adds a row going back, never
deletes one.

    reviews = FlagReviews(result, plan, nominal_baseline_mmhg=20.0, store=to_audit_trail)
    reviews.review(3, "breath_hold", True)   # Trial 4: passed → failed (… confirmed)
    reviews.undo()
"""

from __future__ import annotations

from collections.abc import Callable

from cctf import texts
from cctf.analysis.breath import review_flag
from cctf.analysis.results import SessionResult, TrialResult
from cctf.analysis.scoring import Scores, ScoringPlan, session_scores
from cctf.session.corrections import Correction, verdict_of

ReviewStore = Callable[[int, str, bool | None, str], None]
"""``store(trial_index, flag_type, confirmed, reason)``: one change into the records. Called
before the result changes: if it raises, nothing changed (the screen and the records agree)."""


class FlagReviews:
    def __init__(self, result: SessionResult, plan: ScoringPlan | None,
                 nominal_baseline_mmhg: float, store: ReviewStore | None = None) -> None:
        self.result = result
        self.plan = plan
        self.nominal_baseline_mmhg = nominal_baseline_mmhg
        self.store = store
        self.done: list[Correction] = []
        # Whether the session ran to its end (complete = that and the scores measured).
        self._ran_out = result.complete or not self._scores().complete

    def trial(self, trial_index: int) -> TrialResult | None:
        return next((t for t in self.result.trials if t.index == trial_index), None)

    def has_flag(self, trial_index: int, flag_type: str) -> bool:
        trial = self.trial(trial_index)
        return trial is not None and any(f.type == flag_type for f in trial.flags)

    def flag_types(self, trial_index: int) -> list[str]:
        """The trial's hypothesis flags (``breath_hold``, ``retraction``, ``chin_poke``), each
        once, in the order found: what the results screen offers to review."""
        trial = self.trial(trial_index)
        return [] if trial is None else list(dict.fromkeys(f.type for f in trial.flags))

    @property
    def any_flag(self) -> bool:
        return any(t.flags for t in self.result.trials)

    def review(self, trial_index: int, flag_type: str, confirmed: bool | None
               ) -> Correction | None:
        """Confirm (True), dismiss (False) or take back (None) the review of ``flag_type`` on
        the trial; None (nothing changed) when the trial has no such flag."""
        trial = self.trial(trial_index)
        if trial is None or not self.has_flag(trial_index, flag_type):
            return None
        change = self._apply(trial, flag_type, confirmed, texts.FLAG_REVIEW_RESULTS_REASON)
        self.done.append(change)
        return change

    def undo(self) -> Correction | None:
        """Take back the last review (in the result and the records); None if none is left."""
        if not self.done:
            return None
        change = self.done[-1]
        trial = self.trial(change.trial_index)
        assert trial is not None
        self._apply(trial, change.mark, change.previous_review,
                    texts.FLAG_REVIEW_RESULTS_UNDO_REASON)
        return self.done.pop()

    def _apply(self, trial: TrialResult, flag_type: str, confirmed: bool | None,
               reason: str) -> Correction:
        before = verdict_of(trial, False)
        previous = trial.flag_review.get(flag_type)
        if self.store is not None:  # first: refused there, nothing changes here
            self.store(trial.index, flag_type, confirmed, reason)
        review_flag(trial, flag_type, confirmed)
        self._rescore()
        return Correction("review", trial.index, before, verdict_of(trial, False),
                          mark=flag_type, previous_review=previous, review=confirmed)

    def _scores(self) -> Scores:
        r = self.result
        return session_scores(r.trials, self.nominal_baseline_mmhg, self.plan,
                              ended_early=r.ended_early_s is not None)

    def _rescore(self) -> None:
        scores = self._scores()
        self.result.activation_score_mmhg = scores.activation_score_mmhg
        self.result.performance_index = scores.performance_index
        self.result.complete = scores.complete and self._ran_out
