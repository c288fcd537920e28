"""The streaming CCFT analysis engine: ``update(chunk) -> events``, state carried between calls.

No clock reads and no threads: time is the samples' ``t_s``. The pressure is low-passed by a
causal SOS filter with carried state; trials are cut where the cued target (or phase) changes;
each open trial is re-judged on its samples so far by the pure ``evaluate_trial``, and only new
facts become events. Because every fact depends only on the samples up to the one that decided
it, any chunking — one sample at a time, random chunks, or all at once — gives the same events
in the same order and the same final result.
"""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np

from cctf.analysis.breath import BreathFact, BreathHoldDetector, apply_breath_fact, review_flag
from cctf.analysis.config import AnalysisConfig
from cctf.analysis.filters import CausalLowPass
from cctf.analysis.head import (
    HEAD_FLAG_TYPES,
    apply_head,
    evaluate_head,
    flexion_slope,
    rest_angle,
)
from cctf.analysis.median import median
from cctf.analysis.results import Event, Fault, SessionResult, TrialResult
from cctf.analysis.runs import mean
from cctf.analysis.scoring import ScoringPlan, session_scores
from cctf.analysis.trial import Fact, TrialEvaluation, evaluate_trial
from cctf.errors import ConfigError

log = logging.getLogger(__name__)

_HISTORY_KEEP_S = 1.0  # history kept beyond the rest window, so the window is always covered


class _OpenTrial:
    """The samples of the trial in progress and what has been reported of it."""

    def __init__(self, result: TrialResult, first_sample: int) -> None:
        self.result = result
        self.first_sample = first_sample  # global index of its first sample
        self.t: list[np.ndarray] = []
        self.p: list[np.ndarray] = []
        self.pitch: list[np.ndarray] = []  # head pitch (NaN: not measured), when a sensor is on
        self.emitted: set[tuple[str, str, float]] = set()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self.t) > 1:
            self.t = [np.concatenate(self.t)]
            self.p = [np.concatenate(self.p)]
        return self.t[0], self.p[0]


class CcftAnalyzer:
    """Trials, holds, faults and scores from a pressure stream and its cued targets."""

    def __init__(self, rate_hz: float, config: AnalysisConfig | None = None,
                 plan: ScoringPlan | None = None) -> None:
        if not (math.isfinite(rate_hz) and 1.0 <= rate_hz <= 1000.0):
            raise ConfigError(f"rate_hz must be between 1 and 1000, got {rate_hz!r}")
        self.rate_hz = float(rate_hz)
        self.config = config or AnalysisConfig()
        self.plan = plan or ScoringPlan()
        self.dt = 1.0 / self.rate_hz
        self._lowpass = CausalLowPass(self.rate_hz, self.config.lowpass_hz,
                                      self.config.lowpass_order)
        self._gap_s = self.config.gap_s(self.dt)
        self._hist_t = np.zeros(0)
        self._hist_p = np.zeros(0)
        self._last_t: float | None = None
        self._key: tuple[float, str] | None = None  # (target, phase) of the current rows
        self._open: _OpenTrial | None = None
        self.trials: list[TrialResult] = []
        self.session_events: list[Fault] = []
        self._rest_starts: list[float] = []  # each trial's cue_start_s and rest_mmhg
        self._rest_levels: list[float] = []
        self._leak_reported = False
        self._finished = False
        self._seen = 0  # samples received so far (global sample index of the next one)
        self._pending: list[tuple[int, int, Event]] = []  # (deciding sample, order, event)
        self._next_t: dict[int, float] = {}  # trial index → time of the first sample after it
        self.ended_early_s: float | None = None
        self._breath = BreathHoldDetector(self.rate_hz, self.config)  # possible breath holding
        self._head = False  # head angles were given (an optional sensor, issue 17)
        self._hist_pitch = np.zeros(0)

    # --- feeding -------------------------------------------------------------------------

    def update(
        self,
        t_s: np.ndarray,
        pressure_mmhg: np.ndarray,
        target_mmhg: np.ndarray,
        phase: np.ndarray | list[str],
        head_pitch_deg: np.ndarray | None = None,
    ) -> list[Event]:
        """Process the next samples; returns the events they decided, in order.

        ``head_pitch_deg``: zeroed head pitch per sample (NaN: not measured) when a head sensor
        is fitted; its figures and hypotheses never change the pressure-only results."""
        if self._finished:
            raise RuntimeError("update() after finish()")
        t = np.asarray(t_s, dtype=np.float64)
        p = np.asarray(pressure_mmhg, dtype=np.float64)
        target = np.asarray(target_mmhg, dtype=np.float64)
        phase_arr = np.asarray(phase, dtype=object)
        if not len(t) == len(p) == len(target) == len(phase_arr):
            raise ValueError("t_s, pressure_mmhg, target_mmhg and phase must have equal length")
        if len(t) == 0:
            return []
        if head_pitch_deg is not None:
            self._head = True
        pitch = (np.asarray(head_pitch_deg, dtype=np.float64) if head_pitch_deg is not None
                 else np.full(len(t), np.nan))
        if len(pitch) != len(t):
            raise ValueError("head_pitch_deg must have the length of t_s")
        pf = self._lowpass.process(p)
        base = self._seen
        self._find_gaps(t, base)
        segments = self._segments(target, phase_arr)
        for k, (a, b) in enumerate(segments):
            key = (float(target[a]), str(phase_arr[a]))
            if self._key is None or not _same_key(key, self._key):
                self._close_trial(base + a, float(t[a]))
                self._key = key
                if not math.isnan(key[0]):
                    self._open_trial(float(t[a]), key, base + a)
            if self._open is not None:
                self._open.t.append(t[a:b])
                self._open.p.append(pf[a:b])
                self._open.pitch.append(pitch[a:b])
                if k == len(segments) - 1:  # a trial closed within this chunk is judged once
                    self._judge(final=False)
            self._remember(t[a:b], p[a:b], pitch[a:b])
        self._seen += len(t)
        self._breath_facts(self._breath.update(t, pf, target, phase_arr, segments))
        return self._flush_events()

    def finish(self, end_s: float | None = None, *, ended_early_s: float | None = None,
               complete: bool | None = None) -> list[Event]:
        """End of data: close the open trial. Call once, then read ``result()``.

        ``end_s``: when the recording ended (its samples may stop earlier: an outage still open
        at the end is a signal gap up to ``end_s``). How the session ended: ``ended_early_s`` —
        the test was ended early at that time: the trials open then (or started later) are
        interrupted (not scored, never passed); ``complete=True`` — it ended normally, the last
        trial counts as it stands; neither (a file that does not say) — a trial still open when
        the data ends is interrupted.
        """
        if not self._finished:
            if (end_s is not None and self._last_t is not None and math.isfinite(end_s)
                    and end_s - self._last_t > self._gap_s + 1e-9):
                self._session_event(Fault("signal_gap", self._last_t, end_s - self._last_t),
                                    self._seen)
            if self._open is not None and complete is not True:
                self._open.result.interrupted = True
            self._breath_facts(self._breath.finish())
            self._close_trial(self._seen)
            self._finished = True
            if ended_early_s is not None:
                self.ended_early_s = float(ended_early_s)
                for trial in self.trials:
                    next_t = self._next_t.get(trial.index, math.inf)
                    if trial.cue_start_s > ended_early_s or next_t > ended_early_s:
                        trial.interrupted = True
                        trial.settle()
        return self._flush_events()

    def _emit(self, sample: int, event: Event) -> None:
        self._pending.append((sample, len(self._pending), event))

    def _flush_events(self) -> list[Event]:
        """Events in the order of the samples that decided them: the same for any chunking."""
        pending, self._pending = self._pending, []
        pending.sort(key=lambda x: (x[0], x[1]))
        return [e for _, _, e in pending]

    def mark_compensation(self, kind: str, trial_index: int | None = None) -> None:
        """Compensation the therapist saw (SCM activity, breath holding, …): fails the trial
        (the open one, or ``trial_index``)."""
        trial = self._trial(trial_index)
        trial.manual_faults.append(kind)
        trial.settle()

    def override_verdict(self, trial_index: int, passed: bool | None) -> None:
        """The therapist's verdict replaces the measured one (None: back to measured)."""
        trial = self._trial(trial_index)
        trial.verdict_override = passed
        trial.settle()

    def review_flag(self, trial_index: int, flag_type: str, confirmed: bool | None) -> None:
        """The therapist confirms (fails the trial like a hand mark) or dismisses a hypothesis
        flag such as ``breath_hold``; None takes the review back."""
        review_flag(self._trial(trial_index), flag_type, confirmed)

    def _breath_facts(self, facts: list[BreathFact]) -> None:
        trials = ([self._open.result] if self._open else []) + self.trials[::-1]
        for fact in facts:
            trial = next((r for r in trials if r.cue_start_s == fact.cue_start_s), None)
            event = apply_breath_fact(fact, trial) if trial is not None else None
            if event is not None:
                self._emit(fact.sample, event)

    def supersede(self, trial_index: int) -> None:
        """The therapist repeats this trial: it stays in the record but is not scored."""
        self._trial(trial_index).superseded = True

    def _trial(self, index: int | None) -> TrialResult:
        if index is None:
            if self._open is None:
                raise ValueError("no trial is open; give the trial's index")
            return self._open.result
        for trial in ([self._open.result] if self._open else []) + self.trials:
            if trial.index == index:
                return trial
        raise ValueError(f"no trial {index}")

    # --- results -------------------------------------------------------------------------

    @property
    def open_trial(self) -> TrialResult | None:
        return self._open.result if self._open else None

    def result(self) -> SessionResult:
        """Scores and trials so far (call ``finish`` first for the last trial to count)."""
        baseline = self._rest_levels[0] if self._rest_levels else math.nan
        scores = session_scores(self.trials, self.config.nominal_baseline_mmhg, self.plan,
                                ended_early=self.ended_early_s is not None)
        return SessionResult(
            baseline_mmhg=baseline,
            trials=list(self.trials),
            session_events=list(self.session_events),
            activation_score_mmhg=scores.activation_score_mmhg,
            performance_index=scores.performance_index,
            rate_hz=self.rate_hz,
            complete=scores.complete and self._finished,
            ended_early_s=self.ended_early_s,
            head_measured=self._head,
            head_slope=flexion_slope(self.trials, self.config) if self._head else None,
        )

    # --- internals -----------------------------------------------------------------------

    @staticmethod
    def _segments(target: np.ndarray, phase: np.ndarray) -> list[tuple[int, int]]:
        """[a, b) runs of equal (target, phase) within the chunk."""
        n = len(target)
        same_t = (target[1:] == target[:-1]) | (np.isnan(target[1:]) & np.isnan(target[:-1]))
        change = np.flatnonzero(~same_t | (phase[1:] != phase[:-1])) + 1
        return list(itertools.pairwise([0, *change.tolist(), n]))

    def _find_gaps(self, t: np.ndarray, base: int) -> None:
        first = self._last_t is None
        prev = t[:-1] if first else np.concatenate((np.array([self._last_t]), t[:-1]))
        cur = t[1:] if first else t
        for i in np.flatnonzero(cur - prev > self._gap_s + 1e-9):
            gap = Fault("signal_gap", float(prev[i]), float(cur[i] - prev[i]))
            self._session_event(gap, base + int(i) + (1 if first else 0))
        self._last_t = float(t[-1])

    def _remember(self, t: np.ndarray, p: np.ndarray, pitch: np.ndarray) -> None:
        """Keep enough raw history to take any trial's rest level."""
        self._hist_t = np.concatenate((self._hist_t, t))
        self._hist_p = np.concatenate((self._hist_p, p))
        self._hist_pitch = np.concatenate((self._hist_pitch, pitch))
        keep = self._hist_t >= self._hist_t[-1] - self.config.rest_window_s - _HISTORY_KEEP_S
        if not keep[0]:
            self._hist_t, self._hist_p = self._hist_t[keep], self._hist_p[keep]
            self._hist_pitch = self._hist_pitch[keep]

    def _open_trial(self, cue_start_s: float, key: tuple[float, str], sample: int) -> None:
        window = (self._hist_t >= cue_start_s - self.config.rest_window_s) & (
            self._hist_t < cue_start_s
        )
        # With no samples before the cue, the rest level is the trial's first (filtered) sample.
        rest = median(self._hist_p[window]) if window.any() else math.nan
        result = TrialResult(
            index=len(self.trials), phase=key[1], target_mmhg=key[0],
            cue_start_s=cue_start_s, cue_end_s=cue_start_s, rest_mmhg=rest,
        )
        # No head sensor so far: every angle is NaN, which rest_angle calls not measured.
        no_angles = not self._head and self.config.head_min_measured_fraction > 0
        result.head_rest_deg = (math.nan if no_angles
                                else rest_angle(self._hist_pitch[window], self.config))
        self._open = _OpenTrial(result, sample)
        self._emit(sample, Event("trial_start", cue_start_s, result.index, key[1], key[0]))

    def _rest_known(self, rest: float, cue_start_s: float, sample: int) -> None:
        """Session-level checks that use trial rest levels: baseline and leak."""
        cfg = self.config
        self._rest_starts.append(cue_start_s)
        self._rest_levels.append(rest)
        if len(self._rest_levels) == 1 and abs(rest - cfg.nominal_baseline_mmhg) > (
            cfg.baseline_tolerance_mmhg
        ):
            self._session_event(Fault("baseline_off", cue_start_s, rest), sample)
        if self._leak_reported:
            return
        starts = np.array(self._rest_starts)
        span_ok = np.flatnonzero(starts[-1] - starts >= cfg.leak_min_span_s)
        if len(span_ok) == 0:
            return
        first = int(span_ok[-1])  # the shortest trailing window spanning the minimum
        xs = starts[first:] / 60.0
        ys = np.array(self._rest_levels[first:])
        xc = xs - mean(xs)
        slope = float(xc @ (ys - mean(ys)) / (xc @ xc))  # least-squares mmHg/min
        if slope < -cfg.leak_mmhg_per_min:
            self._leak_reported = True
            self._session_event(Fault("leak", cue_start_s, slope), sample)

    def _session_event(self, fault: Fault, sample: int) -> None:
        self.session_events.append(fault)
        self._emit(sample, Event("session", fault.t_s, None, fault.type, fault.value))

    def _judge(self, final: bool, next_t_s: float | None = None) -> None:
        trial = self._open
        assert trial is not None
        res = trial.result
        t, pf = trial.arrays()
        if math.isnan(res.rest_mmhg):
            res.rest_mmhg = float(pf[0])
        if not trial.emitted:  # first samples of this trial: its rest level is now final
            trial.emitted.add(("rest", "", res.cue_start_s))
            self._rest_known(res.rest_mmhg, res.cue_start_s, trial.first_sample)
        ev = evaluate_trial(t, pf, res.target_mmhg, res.rest_mmhg, self.dt, self.config, final,
                            next_t_s)
        for fact in ev.facts:
            if fact.key in trial.emitted:
                continue
            trial.emitted.add(fact.key)
            self._emit(trial.first_sample + fact.decided,
                       Event(fact.kind, fact.t_s, res.index, fact.type, fact.value))
        if final:
            self._finalize(res, t, ev.facts, ev)

    def _finalize(
        self, res: TrialResult, t: np.ndarray, facts: list[Fact], ev: TrialEvaluation
    ) -> None:
        res.cue_end_s = float(t[-1])
        res.reached = ev.reach_idx is not None
        res.held = ev.held
        res.peak_mmhg = ev.peak_mmhg
        res.shortfall_mmhg = max(0.0, res.target_mmhg - ev.peak_mmhg)
        res.time_to_reach_s = (
            float(t[ev.reach_idx]) - res.cue_start_s if ev.reach_idx is not None else math.nan
        )
        res.rise_time_s = ev.rise_time_s
        res.hold_mean_mmhg = ev.hold_mean_mmhg
        res.hold_sd_mmhg = ev.hold_sd_mmhg
        res.longest_hold_s = ev.longest_hold_s
        res.time_in_band_s = ev.time_in_band_s
        if self._head:
            pitch = np.concatenate(self._open.pitch) if self._open else np.zeros(0)
            apply_head(res, evaluate_head(t, pitch, ev.reach_idx, res.head_rest_deg,
                                          res.rest_mmhg, ev.hold_mean_mmhg, self.config))
        faults = []
        for f in facts:
            if f.kind != "fault":
                continue
            value = f.value
            if f.type == "overshoot":
                value = ev.peak_mmhg - res.target_mmhg  # the whole trial's peak, now known
            faults.append(Fault(f.type, f.t_s, value))
        res.faults = sorted(faults, key=lambda f: (f.t_s, f.type))
        res.settle()

    def _close_trial(self, sample: int, next_t_s: float | None = None) -> None:
        """The trial's rows ended just before global sample ``sample`` (at ``next_t_s``, None
        at the end of the data): judge it for good."""
        trial = self._open
        if trial is None:
            return
        if next_t_s is not None:
            self._next_t[trial.result.index] = next_t_s
        self._judge(final=True, next_t_s=next_t_s)
        self._open = None
        res = trial.result
        self.trials.append(res)
        for flag in res.flags:
            if flag.type in HEAD_FLAG_TYPES:  # decided when the trial ends (hypotheses)
                self._emit(sample, Event("flag", flag.t_s, res.index, flag.type, flag.value))
        self._emit(sample, Event("trial_end", res.cue_end_s, res.index, res.phase,
                                 1.0 if res.passed else 0.0))


def _same_key(a: tuple[float, str], b: tuple[float, str]) -> bool:
    same_target = a[0] == b[0] or (math.isnan(a[0]) and math.isnan(b[0]))
    return same_target and a[1] == b[1]
