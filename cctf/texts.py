"""Words shown to people, in one place (ready for translation).

Faults are described in plain language; hypotheses are marked as such (a head lift and a fast
"retraction" nod have pressure signatures that are hypotheses, not validated facts).
"""

from __future__ import annotations

FAULT_TEXT = {
    "undershoot": "did not reach the target ({value:.1f} mmHg short)",
    "overshoot": "overshot the target (peak {value:.1f} mmHg above)",
    "fast_rise": "nodded too fast ({value:.2f} s from 10 to 90 % of the rise)",
    "pressure_drop": "pressure dropped during the hold ({value:.1f} mmHg below target)",
    "unsteady": "unsteady hold (SD {value:.2f} mmHg)",
    "head_lift": "pressure fell below rest: possible head lift ({value:.1f} mmHg below)",
}

SESSION_EVENT_TEXT = {
    "baseline_off": "baseline {value:.1f} mmHg is off 20 mmHg: re-inflate the cuff",
    "leak": "rest level falling {value:.2f} mmHg/min: check the cuff for a leak",
    "signal_gap": "no signal for {value:.2f} s",
}

REFERENCE_TEXT = (
    "Reference: median highest level held 10 s is 28 mmHg without neck pain, "
    "24 mmHg with chronic neck pain (Chiu 2005)."
)
PI_SCALE_TEXT = "Jull's scale: activation increment × passed endurance holds, 0–100"


def describe_fault(kind: str, value: float) -> str:
    template = FAULT_TEXT.get(kind) or SESSION_EVENT_TEXT.get(kind) or kind + " ({value:.2f})"
    return template.format(value=value)
