"""Possible breath holding: how often held breaths are found and clean holds flagged.

    python benchmarks/bench_breath_hold.py [--people 60] [--rates 10,25,50,100,200]
        [--seed 1000] [--set breath_subband_ratio=1.3 --set breath_subbands=11] [--no-cost]
    python benchmarks/bench_breath_hold.py --cohorts 1000,10000,11000,12000,13000 --no-cost
    python benchmarks/bench_breath_hold.py --seed 2000 --rates 10,25 --noise-draws 4 --no-cost

``--cohorts``: several populations of ``--people`` each (first seeds given), every rate's row
pooled over all of them and then one row per cohort: 60 people are a small draw (held breaths
found ranged 94–99.7 % from one cohort of 60 to the next), so the aim is judged on many.
``--noise-draws N``: every session also with N − 1 other draws of the sensor noise (the same
people, the same true pressure; draw 0 is the default run), pooled, then one row per draw: the
firmware's noise per sample is the same at every rate, so its share in the breathing band is
20 × larger at 10 Hz than at 200 Hz, and which marginal holds get flagged depends on the draw.
``--noise-scale X``: every person's sensor noise × X (0: none; the firmware's quantum stays).

Simulates a population (``cctf.sim.population``: breathing 10–25 /min with its own depth,
breath-to-breath irregularity and slow wander, pulse, hold wander, sensor noise and quantum),
each person doing 5 stages and 5 endurance reps and holding the breath for 5–9 s on about half
of the trials. Every session goes through the real-time engine at each rate. Prints a Markdown
table: held breaths found (aim ≥ 95 %), clean holds flagged (aim ≤ 2 %), trials not measured,
and the same for the people whose breathing ripple is at least 3 × their hold wander (SD), where
the ripple stands out of the hold's own slow corrections. Also the engine's cost with the
detector against the plain engine in the same run.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np

import cctf.analysis.engine as engine_module
from cctf.analysis.config import AnalysisConfig
from cctf.analysis.engine import CcftAnalyzer
from cctf.sim.population import Person, make_person, sample_session


@dataclass
class Tally:
    held: int = 0
    found: int = 0
    clean: int = 0
    flagged: int = 0
    not_measured: int = 0
    found_s: list[float] = field(default_factory=list)

    def add(self, breath_held: bool, flagged: bool, measured: bool) -> None:
        if not measured:
            self.not_measured += 1
        elif breath_held:
            self.held += 1
            self.found += flagged
        else:
            self.clean += 1
            self.flagged += flagged

    def row(self, label: str) -> str:
        found = 100.0 * self.found / max(self.held, 1)
        flagged = 100.0 * self.flagged / max(self.clean, 1)
        return (f"| {label} | {self.held} | {found:.1f} % | {self.clean} | {flagged:.1f} % "
                f"| {self.not_measured} |")


def analyse(person: Person, rate_hz: float, config: AnalysisConfig | None = None,
            noise_draw: int = 0) -> tuple[list[bool], list[bool]]:
    """(flagged, measured) per trial, through the real-time engine fed in 5-s chunks (any
    chunking gives the same result: tests/test_breath_hold.py); ``noise_draw`` picks the
    sensor noise (``sample_session``'s seed)."""
    t, p, target, phase = sample_session(person, rate_hz, noise_draw)
    engine = CcftAnalyzer(rate_hz, config)
    step = max(1, round(5.0 * rate_hz))
    for a in range(0, len(t), step):
        engine.update(t[a:a + step], p[a:a + step], target[a:a + step], phase[a:a + step])
    engine.finish()
    trials = engine.result().trials
    flagged = [any(f.type == "breath_hold" for f in tr.flags) for tr in trials]
    measured = [not np.isnan(tr.breath_ripple_ratio) for tr in trials]
    return flagged, measured


def steady(person: Person) -> bool:
    """Breathing ripple (amplitude) at least 3 × the person's hold wander SD."""
    ripple = person.source.cuff.params.breathing_mmhg
    return ripple >= 3.0 * person.source.patient.params.hold_sd_mmhg


def plain_cost_s(people: list[Person], rate_hz: float) -> tuple[float, float]:
    """Seconds to analyse the sessions with the detector and with it stubbed out."""

    class _Off:
        def __init__(self, *args: object) -> None:
            pass

        def update(self, *args: object) -> list:
            return []

        def finish(self) -> list:
            return []

    sessions = [sample_session(person, rate_hz) for person in people]
    costs = []
    for detector in (engine_module.BreathHoldDetector, _Off):
        saved = engine_module.BreathHoldDetector
        engine_module.BreathHoldDetector = detector  # type: ignore[assignment,misc]
        try:
            t0 = time.perf_counter()
            for t, p, target, phase in sessions:
                engine = CcftAnalyzer(rate_hz)
                engine.update(t, p, target, phase)
                engine.finish()
            costs.append(time.perf_counter() - t0)
        finally:
            engine_module.BreathHoldDetector = saved  # type: ignore[misc]
    return costs[0], costs[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--rates", default="10,25,50,100,200")
    parser.add_argument("--seed", type=int, default=1000, help="first person's seed")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="an AnalysisConfig breath_* field to try instead of its default")
    parser.add_argument("--no-cost", action="store_true", help="skip the engine cost line")
    parser.add_argument("--cohorts", default="",
                        help="first seeds of several cohorts: pooled rows, then one per cohort")
    parser.add_argument("--noise-draws", type=int, default=1,
                        help="sensor-noise draws per session: pooled rows, then one per draw")
    parser.add_argument("--noise-scale", type=float, default=1.0,
                        help="every person's sensor noise times this (0: none)")
    args = parser.parse_args()
    changes = {}
    for item in args.set:
        name, _, value = item.partition("=")
        kind = type(getattr(AnalysisConfig(), name))
        changes[name] = kind(float(value)) if kind is int else kind(value)
    config = replace(AnalysisConfig(), **changes)
    logging.disable(logging.WARNING)
    rates = [float(r) for r in args.rates.split(",")]
    seeds = [int(x) for x in args.cohorts.split(",")] if args.cohorts else [args.seed]
    cohorts = {seed: [make_person(seed + k) for k in range(args.people)] for seed in seeds}
    if args.noise_scale != 1.0:
        cohorts = {seed: [replace(p, noise_mmhg=p.noise_mmhg * args.noise_scale) for p in group]
                   for seed, group in cohorts.items()}
    people = [person for group in cohorts.values() for person in group]
    n_steady = sum(steady(p) for p in people)
    print(f"{len(people)} simulated people ({n_steady} with ripple ≥ 3 × hold wander), "
          f"{len(people[0].schedule)} trials each; breath holds 5–9 s"
          + (f"; cohorts from seeds {', '.join(map(str, seeds))}" if len(seeds) > 1 else "")
          + (f"; {args.noise_draws} sensor-noise draws each" if args.noise_draws > 1 else "")
          + (f"; sensor noise × {args.noise_scale:g}" if args.noise_scale != 1.0 else "")
          + "\n")
    print("| rate | held breaths | found | clean holds | flagged | not measured |")
    print("|---|---:|---:|---:|---:|---:|")
    for rate in rates:
        everyone, clear = Tally(), Tally()
        by_cohort = {seed: Tally() for seed in seeds}
        by_draw = [Tally() for _ in range(args.noise_draws)]
        for seed, group in cohorts.items():
            for person in group:
                for draw, draw_tally in enumerate(by_draw):
                    flagged, measured = analyse(person, rate, config, draw)
                    for truth, flag, ok in zip(person.breath_held(), flagged, measured,
                                               strict=True):
                        everyone.add(truth, flag, ok)
                        by_cohort[seed].add(truth, flag, ok)
                        draw_tally.add(truth, flag, ok)
                        if steady(person):
                            clear.add(truth, flag, ok)
        print(everyone.row(f"{rate:g} Hz, everyone"))
        print(clear.row(f"{rate:g} Hz, ripple ≥ 3 × wander"))
        if len(seeds) > 1:
            for seed, tally in by_cohort.items():
                print(tally.row(f"{rate:g} Hz, seeds {seed}+"))
        if len(by_draw) > 1:
            for draw, tally in enumerate(by_draw):
                print(tally.row(f"{rate:g} Hz, noise draw {draw}"))
    if changes:
        print("\nSettings: " + ", ".join(f"{k} = {v}" for k, v in changes.items()))
    if args.no_cost:
        return
    with_s, plain_s = plain_cost_s(people[:10], 200.0)
    print(f"\nEngine cost, 10 sessions at 200 Hz fed at once: {with_s:.2f} s with the detector, "
          f"{plain_s:.2f} s without (+{100 * (with_s / plain_s - 1):.0f} %).")


if __name__ == "__main__":
    main()
