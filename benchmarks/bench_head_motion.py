"""Head motion (issue 17): how often the head-angle hypotheses fire, in simulation only.

    python benchmarks/bench_head_motion.py [--people 20] [--rates 10,50,250]

Each simulated person (``cctf.sim.patient``) nods with their own flexion per mmHg (drawn from
0.8–2.5 °/mmHg: people differ, and no norm is published), with head-sensor noise 0.05–0.2° SD,
and does 5 stages (22–30 mmHg); from 24 mmHg on they retract, poke the chin or lift the head
(one kind per run) — or stay clean. Every session goes through the real-time engine with the
zeroed head pitch. Prints a Markdown table per rate: compensated trials flagged (found) and
clean trials flagged (false alarms), per hypothesis, and the engine's cost with the head angle
against without it in the same run.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import replace

import numpy as np

from cctf.analysis.engine import CcftAnalyzer
from cctf.sim.factory import cue_lookup
from cctf.sim.patient import CompensationRule, PatientParams, ScriptedSession, SignatureParams
from cctf.sim.physiology import CuffParams
from cctf.sim.schedule import ccft_schedule

SCHEDULE = ccft_schedule(endurance_reps=0)
KINDS = ("clean", "retraction", "chin_poke", "head_lift")


def person_arrays(kind: str, seed: int, rate_hz: float):
    rng = np.random.default_rng([seed, 17])
    gain = float(rng.uniform(0.8, 2.5))
    noise = float(rng.uniform(0.05, 0.2))
    sig = replace(SignatureParams(), nod_deg_per_mmhg=gain)
    rules = () if kind == "clean" else (CompensationRule(kind, min_target_mmhg=24.0),)
    session = ScriptedSession(
        PatientParams(signatures=sig, compensations=rules, max_level_mmhg=30.0),
        CuffParams(), SCHEDULE, seed=seed, autocue=True, neutral_pitch_deg=4.0)
    t = np.arange(0.0, SCHEDULE[-1].end_s + 3.0, 1.0 / rate_hz)
    p = session.pressure_mmhg(t) + 0.03 * rng.standard_normal(len(t))
    pitch = session.head_angles(t)[0] - 4.0 + noise * rng.standard_normal(len(t))
    target, phase = cue_lookup(SCHEDULE)(t)
    return t, p, target, np.array(phase, dtype=object), pitch


def analyse(arrays, rate_hz: float, head: bool):
    t, p, target, phase, pitch = arrays
    engine = CcftAnalyzer(rate_hz)
    engine.update(t, p, target, phase, pitch if head else None)
    engine.finish()
    return engine.result()


def hit(trial, kind: str) -> bool:
    if kind == "head_lift":
        return bool(trial.head_lift_motion)
    return any(f.type == kind for f in trial.flags)


def main() -> None:
    logging.disable(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=20)
    ap.add_argument("--rates", default="10,50,250")
    args = ap.parse_args()
    print("| rate | hypothesis | compensated trials | found | clean trials | flagged |")
    print("|---|---|---:|---:|---:|---:|")
    for rate in (float(r) for r in args.rates.split(",")):
        comp = {k: [0, 0] for k in KINDS[1:]}
        clean = {k: [0, 0] for k in KINDS[1:]}
        with_s = without_s = 0.0
        for seed in range(args.people):
            for kind in KINDS:
                arrays = person_arrays(kind, seed, rate)
                t0 = time.perf_counter()
                result = analyse(arrays, rate, head=True)
                with_s += time.perf_counter() - t0
                t0 = time.perf_counter()
                analyse(arrays, rate, head=False)
                without_s += time.perf_counter() - t0
                for i, trial in enumerate(result.trials):
                    compensated = kind != "clean" and i >= 1
                    for hyp in KINDS[1:]:
                        if compensated and hyp == kind:
                            comp[hyp][0] += 1
                            comp[hyp][1] += hit(trial, hyp)
                        elif not compensated:
                            clean[hyp][0] += 1
                            clean[hyp][1] += hit(trial, hyp)
        for hyp in KINDS[1:]:
            n, f = comp[hyp]
            m, g = clean[hyp]
            print(f"| {rate:g} Hz | {hyp} | {n} | {100 * f / n:.1f} % | {m} | "
                  f"{100 * g / m:.1f} % |")
        print(f"| {rate:g} Hz | engine cost | with head {with_s:.2f} s | without "
              f"{without_s:.2f} s | | |")


if __name__ == "__main__":
    main()
