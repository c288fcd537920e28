"""``cctf analyze``: judge a recorded session through the real-time engine and report it."""

from __future__ import annotations

import argparse
import json
import math

from cctf import DISCLAIMER
from cctf.analysis.offline import analyze_recording
from cctf.analysis.results import SessionResult
from cctf.errors import ConfigError, FileFormatError
from cctf.sessionfile import read_session
from cctf.texts import PI_SCALE_TEXT, REFERENCE_TEXT, describe_fault


def analyze(args: argparse.Namespace) -> int:
    recording = read_session(args.file, keep_extra=False)
    try:
        result = analyze_recording(recording, chunk_size=args.chunk_size)
    except ConfigError as exc:  # e.g. a sample rate no device has: say which file
        raise FileFormatError(str(args.file), None, str(exc)) from None
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_report(str(args.file), result, float(recording.t_s[-1] - recording.t_s[0])
                            if len(recording) else 0.0))
    return 0


def _f(x: float, fmt: str) -> str:
    return "-" if x is None or math.isnan(x) else format(x, fmt)


def format_report(name: str, result: SessionResult, duration_s: float) -> str:
    lines = [
        f"cctf analysis of {name}",
        f"{_f(result.rate_hz, '.0f')} Hz, {duration_s:.1f} s, "
        f"session baseline {_f(result.baseline_mmhg, '.2f')} mmHg",
        "",
        f"{'#':>3}  {'phase':<10} {'target':>6} {'cue at':>7} {'reach':>6} {'rise':>5} "
        f"{'hold SD':>7} {'in band':>7}  result  faults",
    ]
    for t in result.trials:
        faults = [describe_fault(f.type, f.value) for f in t.faults] + [
            f"marked by hand: {m}" for m in t.manual_faults
        ]
        verdict = "PASS" if t.passed else ("held" if t.held else "FAIL")
        lines.append(
            f"{t.index:>3}  {t.phase or '-':<10} {t.target_mmhg:>6.1f} {t.cue_start_s:>6.1f}s "
            f"{_f(t.time_to_reach_s, '5.1f'):>5}s {_f(t.rise_time_s, '.2f'):>5} "
            f"{_f(t.hold_sd_mmhg, '.2f'):>7} {t.time_in_band_s:>6.1f}s  {verdict:<6}  "
            + ("; ".join(faults) if faults else "")
        )
    if not result.trials:
        lines.append("  (no cued trials in this file)")
    lines.append("")
    for e in result.session_events:
        lines.append(f"session: at {e.t_s:.1f} s, {describe_fault(e.type, e.value)}")
    lines += [
        f"Activation score: {result.activation_score_mmhg:g} mmHg",
        f"Performance index: {result.performance_index:g} ({PI_SCALE_TEXT})",
        REFERENCE_TEXT,
        DISCLAIMER,
    ]
    return "\n".join(lines)
