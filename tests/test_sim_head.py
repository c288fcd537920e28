"""The scripted patient's head motion and the simulated head sensor (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from cctf.acquisition import protocol as P
from cctf.acquisition.decoder import StreamDecoder
from cctf.sim.factory import build_firmware
from cctf.sim.patient import CompensationRule, PatientParams, ScriptedSession
from cctf.sim.physiology import CuffParams
from cctf.sim.scenarios import load_scenario
from cctf.sim.schedule import ccft_schedule

RATE_HZ = 50.0


def _session(kind: str | None, seed: int = 0) -> ScriptedSession:
    rules = (CompensationRule(kind, min_target_mmhg=24.0),) if kind else ()
    return ScriptedSession(
        PatientParams(compensations=rules, max_level_mmhg=30.0), CuffParams(),
        ccft_schedule(endurance_reps=0), seed=seed, autocue=True,
        neutral_pitch_deg=4.0, neutral_roll_deg=-1.0,
    )


def _run(session: ScriptedSession):
    t = np.arange(0.0, session.schedule[-1].end_s + 5.0, 1.0 / RATE_HZ)
    p = session.pressure_mmhg(t)
    pitch, roll = session.head_angles(t)
    return t, p, pitch, roll


def _hold(t, x, cue, lo=4.0, hi=9.5):
    m = (t >= cue.start_s + lo) & (t < cue.start_s + hi)
    return x[m]


def _stages(session):
    return [c for c in session.schedule if c.phase == "stage"]


def test_a_proper_nod_flexes_a_few_degrees_per_stage_rising_with_pressure():
    session = _session(None)
    t, _, pitch, roll = _run(session)
    rest = pitch[(t > 4.0) & (t < session.schedule[0].start_s)]
    assert np.allclose(rest, 4.0, atol=0.01), "at rest the head reads its neutral"
    flexion = [float(np.mean(_hold(t, pitch, c))) - 4.0 for c in _stages(session)]
    steps = np.diff(flexion)
    assert all(2.0 < s < 4.5 for s in steps[:3]), flexion  # ~3° per 2-mmHg stage
    assert flexion[0] > 1.5
    np.testing.assert_allclose(roll, -1.0)


def test_retraction_reaches_the_pressure_with_little_flexion():
    nod, retract = _session(None), _session("retraction")
    t, _, pitch_nod, _ = _run(nod)
    _, p_ret, pitch_ret, _ = _run(retract)
    for cue in _stages(retract)[1:]:
        assert np.mean(_hold(t, p_ret, cue)) == pytest.approx(cue.target_mmhg, abs=0.5)
        flex = np.mean(_hold(t, pitch_ret, cue)) - 4.0
        assert flex < 0.25 * (np.mean(_hold(t, pitch_nod, cue)) - 4.0)
        assert flex < 2.5
    first = _stages(retract)[0]
    assert np.mean(_hold(t, pitch_ret, first)) - 4.0 > 1.5, "22 is a proper nod"


def test_chin_poke_extends_the_head_while_the_pressure_falls():
    session = _session("chin_poke")
    t, p, pitch, _ = _run(session)
    sig = session.patient.params.signatures
    for plan in session.trials[1:5]:
        mid = plan.reach_s + sig.chin_poke_at_s + 0.5 + sig.chin_poke_s / 2
        before = plan.reach_s + 1.0
        i_mid, i_before = np.searchsorted(t, [mid, before])
        assert pitch[i_before] - pitch[i_mid] == pytest.approx(sig.chin_poke_deg, abs=1.0)
        assert p[i_before] - p[i_mid] > 1.0


def test_head_lift_is_a_large_flexion_with_the_pressure_below_rest():
    session = _session("head_lift")
    t, p, pitch, _ = _run(session)
    sig = session.patient.params.signatures
    for plan in session.trials[1:]:
        if plan.phase != "stage":
            continue
        mid = plan.reach_s + sig.head_lift_at_s + 0.3 + sig.head_lift_s / 2
        i = int(np.searchsorted(t, mid))
        assert p[i] < 20.0 - 1.0
        assert pitch[i] - 4.0 > 12.0


@pytest.mark.parametrize("kind", [None, "retraction", "chin_poke", "head_lift"])
def test_head_angles_are_the_same_in_chunks_and_at_once(kind):
    t = np.arange(0.0, 80.0, 1.0 / RATE_HZ)
    whole = _session(kind, seed=3)
    whole.pressure_mmhg(t)
    a = whole.head_angles(t)
    chunked = _session(kind, seed=3)
    parts = []
    for i in range(0, len(t), 37):
        chunked.pressure_mmhg(t[i:i + 37])
        parts.append(chunked.head_angles(t[i:i + 37]))
    np.testing.assert_array_equal(np.concatenate([x[0] for x in parts]), a[0])
    np.testing.assert_array_equal(np.concatenate([x[1] for x in parts]), a[1])


def test_scenario_firmware_sends_head_frames_that_follow_the_trace():
    scenario = load_scenario("retraction")
    assert scenario.head.fitted
    fw = build_firmware(scenario, seed=5)
    fw.power_on(0.0)
    fw.receive(b"\x00" + P.encode(P.Command(P.FrameType.START, 1)), 0.0)
    frames = StreamDecoder().feed(fw.take_output() + fw.advance(60.0))
    hello = next(f for f in frames if isinstance(f, P.Hello))
    assert hello.head_sensor
    samples = {f.seq: f for f in frames if isinstance(f, P.Sample)}
    heads = [f for f in frames if isinstance(f, P.Head)]
    assert len(heads) == len(samples) >= 2900
    assert all(h.seq in samples for h in heads)
    assert not any(h.measured for h in heads[:24]) and all(h.measured for h in heads[26:])
    t = np.array([samples[h.seq].t_us / 1e6 for h in heads[26:]])
    want, _ = fw.head(t)
    got = np.array([h.pitch_deg for h in heads[26:]])
    err = got - want
    assert np.sqrt(np.mean(err**2)) == pytest.approx(scenario.head.noise_deg, rel=0.2)


def test_without_head_section_no_head_frames():
    fw = build_firmware(load_scenario("healthy"), seed=5)
    fw.power_on(0.0)
    fw.receive(b"\x00" + P.encode(P.Command(P.FrameType.START, 1)), 0.0)
    frames = StreamDecoder().feed(fw.take_output() + fw.advance(5.0))
    assert not any(isinstance(f, P.Head) for f in frames)
    hello = next(f for f in frames if isinstance(f, P.Hello))
    assert hello.peripherals == 0 and not hello.head_sensor


def test_a_recording_with_head_angles_replays_them(tmp_path):
    """cctf sim FILE.csv: the replayed board has the head sensor and sends the recorded angles
    (device-absolute again); a blank cell comes back as not measured."""
    from cctf.sessionfile import SessionWriter
    from cctf.sim.replay import replay_firmware

    t = np.arange(0.0, 6.0, 0.02)
    pitch = [f"{1.0 + 0.5 * np.sin(x):.2f}" if not 3.0 < x < 3.5 else "" for x in t]
    path = tmp_path / "h.csv"
    w = SessionWriter(path, {"head_neutral_deg": "pitch 4.00 roll -1.00"},
                      ("head_pitch_deg", "head_roll_deg"))
    w.write(t, np.full(len(t), 20.0), None, None,
            {"head_pitch_deg": pitch, "head_roll_deg": ["0.25"] * len(t)})
    w.close()
    fw = replay_firmware(str(path))
    fw.power_on(0.0)
    fw.receive(b"\x00" + P.encode(P.Command(P.FrameType.START, 1)), 0.0)
    frames = StreamDecoder().feed(fw.take_output() + fw.advance(5.9))
    assert next(f for f in frames if isinstance(f, P.Hello)).head_sensor
    samples = {f.seq: f.t_us / 1e6 for f in frames if isinstance(f, P.Sample)}
    heads = [h for h in frames if isinstance(h, P.Head) and samples[h.seq] > 0.6]
    lost = [h for h in heads if 3.02 < samples[h.seq] < 3.48]
    assert lost and all(h.flags & P.HeadFlags.FAULT for h in lost)
    kept = [h for h in heads if h not in lost and not (2.98 < samples[h.seq] < 3.52)]
    for h in kept:
        x = samples[h.seq]
        assert h.pitch_deg == pytest.approx(5.0 + 0.5 * np.sin(x), abs=0.02)
        assert h.roll_deg == pytest.approx(-0.75, abs=0.011)
