"""Eyes-free training, headless: the cue log of simulated sessions, the sound track's tones
(FFT), every spoken prompt, chunk invariance, and ``cctf train --fast`` output files."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import wave

import numpy as np
import pytest

from cctf import texts
from cctf.cli import main
from cctf.commands.train import render
from cctf.session.soundtrack import (
    ABOVE_EDGE_HZ,
    BELOW_EDGE_HZ,
    CUE_KINDS,
    CueScheduler,
    Soundtrack,
    Step,
)
from cctf.session.training import Prescription, TrainingRunner
from cctf.voice import CLIP_RATE_HZ, phrase

RX = Prescription(target_mmhg=24, reps=2, hold_s=8, rest_s=4)
RATE = CLIP_RATE_HZ


@pytest.fixture(scope="module")
def sessions():
    """Each scenario rendered once; the trace lets tests re-render it in other modes."""
    out = {}
    for name in ("healthy", "no-reach", "overshoot"):
        trace: list = []
        summary, events, audio = render(name, RX, trace=trace)
        out[name] = (summary, events, audio, trace)
    return out


def _kinds(events):
    return [e.kind for e in events]


def _retrack(trace, **kwargs):
    track = Soundtrack(RX.band_mmhg, RX.hold_s, **kwargs)
    audio = [track.feed(t, p, steps)[1] for t, p, steps in trace]
    _, tail = track.flush()
    return track.events, np.concatenate([*audio, tail])


def _dominant_hz(audio: np.ndarray, t0: float, t1: float) -> float:
    x = audio[round(t0 * RATE):round(t1 * RATE)].astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / RATE)[int(np.argmax(spectrum))])


def test_healthy_session_cues_every_step_and_counts_down(sessions):
    summary, events, _, _ = sessions["healthy"]
    kinds = _kinds(events)
    assert kinds[:7] == ["nod", "hold", "countdown", "countdown", "countdown", "relax", "rest"]
    assert [e.text for e in events[2:5]] == ["3", "2", "1"]
    assert kinds.count("nod") == kinds.count("relax") == 2
    assert "higher" not in kinds and "lower" not in kinds
    assert events[0].text == "Nod gently to 24" and events[0].target_mmhg == 24
    assert events[5].text == "Let go"
    assert events[-1].kind == "done" and events[-1].text == "Done: 2 of 2 holds"
    assert summary.reps_done == 2
    times = [e.t_s for e in events]
    assert times == sorted(times)
    # The count ends as the hold completes: "1" about a second before "Let go".
    assert 0.5 < events[5].t_s - events[4].t_s < 1.5


def test_no_reach_asks_for_a_little_more_and_never_less(sessions):
    summary, events, _, _ = sessions["no-reach"]
    higher = [e for e in events if e.kind == "higher"]
    assert len(higher) >= 2 and all(e.text == "A little more" for e in higher)
    assert all(e.pressure_mmhg < e.target_mmhg - RX.band_mmhg for e in higher)
    assert "lower" not in _kinds(events) and "hold" not in _kinds(events)
    assert events[-1].text == "Done: 0 of 2 holds" and summary.reps_done == 0


def test_overshoot_asks_for_a_little_less_then_says_just_right(sessions):
    _, events, _, _ = sessions["overshoot"]
    kinds = _kinds(events)
    lower = [e for e in events if e.kind == "lower"]
    assert lower and all(e.pressure_mmhg > e.target_mmhg + RX.band_mmhg for e in lower)
    assert "higher" not in kinds
    first = kinds.index("lower")
    assert "in_band" in kinds[first:]
    back = events[kinds.index("in_band", first)]
    assert abs(back.pressure_mmhg - back.target_mmhg) <= RX.band_mmhg


def test_tone_below_the_band_is_lower_than_above_it_by_at_least_a_fifth(sessions):
    # Tones only (no voice), from the very samples of the rendered sessions.
    below_events, below = _retrack(sessions["no-reach"][3], voice=False)
    above_events, above = _retrack(sessions["overshoot"][3], voice=False)
    nod = next(e for e in below_events if e.kind == "nod")
    f_below = _dominant_hz(below, nod.t_s + 5, nod.t_s + 15)  # plateau ~2 mmHg short
    lower = next(e for e in above_events if e.kind == "lower")
    f_above = _dominant_hz(above, lower.t_s - 0.45, lower.t_s + 0.25)  # ~3 mmHg over
    assert BELOW_EDGE_HZ / 2 <= f_below < BELOW_EDGE_HZ
    assert ABOVE_EDGE_HZ < f_above <= 2 * ABOVE_EDGE_HZ
    assert f_above / f_below >= 1.5


def test_pitch_and_pulse_rate_follow_the_distance():
    def steady(p_mmhg: float) -> np.ndarray:
        track = Soundtrack(1.0, 10.0, voice=False)
        t = np.arange(0, 6, 0.02)
        _, audio = track.feed(t, np.full(len(t), p_mmhg), [Step("nod", 0.0, 24.0)])
        return audio[2 * RATE:5 * RATE]

    far, near = steady(17.0), steady(22.5)
    assert _dominant_hz(far, 0, 3) < _dominant_hz(near, 0, 3) < BELOW_EDGE_HZ  # rises nearer

    def pulses(audio: np.ndarray) -> int:
        env = np.abs(audio.astype(float)).reshape(-1, RATE // 100).max(axis=1) > 500
        return int(env[0]) + int(np.sum(env[1:] & ~env[:-1]))

    assert pulses(far) > pulses(near) >= 4  # faster pulses further away
    inside = steady(24.3)
    loud = np.abs(inside.astype(float)) > 300
    # In the band: silent but for a short tick at each whole second.
    assert 0 < loud.mean() < 0.1
    assert pulses(inside) == 3  # at 2, 3 and 4 s


def test_a_gap_in_the_data_is_silent_not_a_frozen_tone():
    track = Soundtrack(1.0, 10.0, voice=False)
    t = np.concatenate((np.arange(0, 2, 0.02), np.arange(5, 7, 0.02)))
    _, audio = track.feed(t, np.full(len(t), 21.0), [Step("nod", 0.0, 24.0)])
    level = np.abs(audio.astype(float))
    assert level[RATE // 2:2 * RATE].max() > 1000  # below the band: a tone
    assert level[round(2.3 * RATE):5 * RATE].max() == 0  # no samples from 2 to 5 s: silence
    assert level[round(5.5 * RATE):].max() > 1000


def test_every_prompt_kind_is_spoken_and_not_silent(sessions):
    seen = set()
    for name in ("healthy", "no-reach", "overshoot"):
        events, audio = _retrack(sessions[name][3], mode="cues")
        for e in events:
            seen.add(e.kind)
            start = math.ceil(e.t_s * RATE)
            window = audio[start:start + RATE // 2].astype(float) / 32768
            assert np.sqrt(np.mean(window ** 2)) > 0.02, (name, e)
    assert seen == set(CUE_KINDS)
    for kind in CUE_KINDS:
        clip = phrase(kind, texts.VOICE[kind], {"target": 24, "count": 3, "done": 8,
                                                 "planned": 10})
        assert 0.15 < len(clip) / RATE < 3.0 and np.sqrt(np.mean(clip ** 2)) > 0.03, kind


def test_sound_off_is_silent_but_keeps_the_cue_log(sessions):
    trace = sessions["overshoot"][3]
    events_on, _ = _retrack(trace)
    events_off, audio = _retrack(trace, mode="off")
    assert events_off == events_on
    assert not audio.any()


def test_same_cues_and_sound_sample_by_sample_or_all_at_once(sessions):
    trace = sessions["overshoot"][3]
    t = np.concatenate([c[0] for c in trace])
    p = np.concatenate([c[1] for c in trace])

    def run(sizes: int | None):
        runner = TrainingRunner(RX, 50.0)
        track = Soundtrack(RX.band_mmhg, RX.hold_s)
        runner.begin()
        chunks = [slice(0, len(t))] if sizes is None else [
            slice(i, i + sizes) for i in range(0, len(t), sizes)]
        audio = []
        for s in chunks:
            first = len(runner.steps)
            runner.feed(t[s], p[s])
            audio.append(track.feed(t[s], p[s], runner.steps[first:])[1])
        audio.append(track.flush()[1])
        return track.events, np.concatenate(audio), runner.summary()

    ev_all, audio_all, sum_all = run(None)
    ev_one, audio_one, sum_one = run(1)
    ev_7, audio_7, _ = run(7)
    assert len(ev_all) > 10
    assert ev_all == ev_one == ev_7
    assert len(audio_all) == len(audio_one) == len(audio_7)
    assert np.abs(audio_all.astype(int) - audio_one.astype(int)).max() <= 2
    assert np.abs(audio_all.astype(int) - audio_7.astype(int)).max() <= 2
    assert sum_all.time_in_band_s == pytest.approx(sum_one.time_in_band_s)


def test_scheduler_fed_steps_late_still_places_cues_at_their_sample_time():
    sched = CueScheduler(1.0, 5.0)
    t = np.arange(0, 3, 0.02)
    p = np.full(len(t), 24.0)
    sched.feed(t[:50], p[:50])
    events = sched.feed(t[50:], p[50:], [Step("nod", t[50], 24.0), Step("hold", t[60], 24.0)])
    assert [(e.kind, e.t_s) for e in events] == [("nod", t[50]), ("hold", t[60])]


def test_summary_time_in_band_never_exceeds_time_holding(sessions):
    for name in ("healthy", "no-reach", "overshoot"):
        s = sessions[name][0]
        assert 0 <= s.time_in_band_s <= s.time_holding_s
    healthy = sessions["healthy"][0]
    assert healthy.time_holding_s == pytest.approx(2 * RX.hold_s, abs=1.5)


def test_cli_writes_wav_and_jsonl_and_refuses_to_overwrite(tmp_path, capsys):
    wav, cues = tmp_path / "t.wav", tmp_path / "t.jsonl"
    argv = ["train", "--sim", "overshoot", "--fast", "--reps", "1", "--hold-s", "5",
            "--audio-out", str(wav), "--cues-out", str(cues)]
    assert main(argv) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl", "t.wav"]  # no leftovers
    with wave.open(str(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16_000)
        seconds = w.getnframes() / w.getframerate()
    lines = [json.loads(line) for line in cues.read_text().splitlines()]
    assert {"nod", "lower", "done"} <= {d["kind"] for d in lines}
    for d in lines:
        assert set(d) == {"t_s", "kind", "text", "target_mmhg", "pressure_mmhg"}
        assert d["kind"] in CUE_KINDS and 0 <= d["t_s"] <= seconds
    assert lines[-1]["text"] == "Done: 1 of 1 holds" and lines[-1]["target_mmhg"] is None
    before = wav.read_bytes()
    capsys.readouterr()
    assert main(argv) == 1
    assert "--force" in capsys.readouterr().err
    assert wav.read_bytes() == before
    assert main([*argv, "--force"]) == 0


def test_cli_rendering_needs_the_simulator(tmp_path, capsys):
    assert main(["train", "--fast", "--cues-out", str(tmp_path / "c.jsonl")]) == 2
    assert "--sim" in capsys.readouterr().err
    assert not (tmp_path / "c.jsonl").exists()


@pytest.mark.parametrize(("extra", "status", "words"), [
    (["--cues-out", "{tmp}/no/such/c.jsonl"], 1, "no such folder"),
    (["--cues-out", "{tmp}/c.jsonl", "--audio-out", "{tmp}/c.jsonl"], 2, "different files"),
    (["--cues-out", "{tmp}/c.jsonl", "--target", "80"], 2, "target_mmhg"),
    (["--cues-out", "{tmp}/c.jsonl", "--volume", "3"], 2, "--volume"),
])
def test_cli_bad_input_gets_one_line_and_writes_nothing(tmp_path, capsys, extra, status,
                                                        words):
    argv = ["train", "--sim", "--fast", *(a.format(tmp=tmp_path) for a in extra)]
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith("cctf: ") and words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_rendering_never_loads_qt(tmp_path):
    code = ("import sys\nfrom cctf.cli import main\n"
            f"rc = main(['train', '--sim', '--fast', '--reps', '1', '--hold-s', '3', "
            f"'--cues-out', {str(tmp_path / 'c.jsonl')!r}])\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
            "sys.exit(rc or (3 if bad else 0))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_literal_part_and_number_has_a_bundled_clip():
    from cctf.voice import clip
    from cctf.voice.make_prompts import clip_texts

    stems = clip_texts(texts.VOICE)
    assert {"nod_0", "done_0", "done_1", "done_2", "n0", "n24", "n40"} <= set(stems)
    for stem in stems:
        sound = clip(stem)
        assert 0.1 < len(sound) / RATE < 2.0 and np.abs(sound).max() > 0.3, stem
