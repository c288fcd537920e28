"""The Lab Streaming Layer outlet: an inlet on this machine gets every sample of a simulated
session at its mapped device time and every marker in order; without pylsl, one clear line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from cctf.analysis.engine import CcftAnalyzer
from cctf.analysis.offline import analyze_recording
from cctf.cli import main
from cctf.session.markers import event_marker
from cctf.sessionfile import read_session

from .conftest import REPO
from .lsl_fake import real_inlet


def test_without_pylsl_the_flag_gives_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pylsl", None)  # import pylsl raises ImportError
    out = tmp_path / "s.csv"
    assert main(["record", "--sim", "--fast", "--seconds", "2", "--lsl", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cctf: --lsl needs pylsl")
    assert "pip install 'cctf[lsl]'" in err[0]
    assert not out.exists()  # refused before anything was opened


def test_the_app_with_lsl_but_without_pylsl_gives_one_line_and_no_window(monkeypatch, capsys):
    import cctf.gui.main

    monkeypatch.setitem(sys.modules, "pylsl", None)
    monkeypatch.setattr(cctf.gui.main, "run_app", lambda **kw: pytest.fail("window opened"))
    assert main(["--sim", "--lsl"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cctf: --lsl needs pylsl")


def test_the_lsl_flag_is_off_by_default():
    from cctf.cli import build_parser

    args = build_parser().parse_args(["record", "--sim", "--seconds", "1", "-o", "x.csv"])
    assert args.lsl is False
    assert build_parser().parse_args([]).lsl is False


def _cue_markers(rec) -> list[tuple[float, str]]:
    """Independently of cctf's marker code: one marker where (target, phase) changes."""
    out, last = [], None
    for t, target, phase in zip(rec.t_s, rec.target_mmhg, rec.phase, strict=True):
        key = (None, "") if math.isnan(target) else (float(target), str(phase))
        if key != last:
            if last is not None or key[0] is not None:
                out.append((float(t), "cue none" if key[0] is None
                            else f"cue target_mmhg={key[0]:g} phase={key[1]}"))
            last = key
    return out


def test_an_inlet_receives_every_sample_and_marker_at_the_mapped_times(tmp_path):
    pytest.importorskip("pylsl")
    inlet, env = real_inlet(tmp_path)
    csv = tmp_path / "s.csv"
    try:
        rec_proc = subprocess.run(
            [sys.executable, "-m", "cctf.cli", "record", "--sim", "--fast", "--seconds", "70",
             "--lsl", "--lsl-wait", "60", "-o", str(csv)],
            capture_output=True, text=True, cwd=REPO, env=env, timeout=180)
        assert rec_proc.returncode == 0, rec_proc.stderr
        assert "waiting up to 60 s" in rec_proc.stderr
        assert "no consumer" not in rec_proc.stderr  # the inlet was there before the data
        rec = read_session(csv)
        out, _ = inlet.communicate(f"{len(rec)}\n", timeout=120)
    finally:
        inlet.kill()
    lines = out.splitlines()
    assert lines[0] == "ready", out
    got = json.loads(lines[1])

    info = got["info"]
    assert info["name"] == "cctf-pressure-SIM00001" and info["type"] == "Pressure"
    assert info["channels"] == 1 and info["rate"] == 50.0 and info["source_id"] == "SIM00001"
    assert (info["label"], info["unit"]) == ("pressure_mmhg", "mmHg")
    assert info["format"] == 1  # cf_float32
    assert info["firmware"] == rec.metadata["firmware_version"]
    assert info["sensor"] == "SIMULATOR" and info["calibration_id"] == "1"
    assert info["events_type"] == "Markers"

    # Every sample, each at t0 on LSL's clock + its t_s (written with 0.1 ms resolution).
    values, stamps = np.array(got["values"]), np.array(got["stamps"])
    assert len(values) == len(rec) > 3000
    np.testing.assert_allclose(values, rec.pressure_mmhg, atol=1e-3)
    lsl_t0 = float(rec.metadata["lsl_clock_at_t0_s"])
    assert np.max(np.abs(stamps - (lsl_t0 + rec.t_s))) < 1e-3
    # ... which follow the device's sample times, not the read times: the simulator samples
    # every 20 ms, while the virtual clock delivers frames in 50-ms batches (read times would
    # step by 0 and 50 ms); the mapping may stretch a step by its 2 % skew allowance.
    assert np.all(np.abs(np.diff(stamps) - 0.02) <= 0.02 * 0.02 + 1e-6)

    # Every marker, in order: recording start, the cues, the verdicts, recording stop.
    markers = got["markers"]
    assert markers[0][1] == "recording start" and markers[-1][1] == "recording stop"
    assert markers[0][0] == pytest.approx(lsl_t0, abs=1e-6)
    cues = [(t, m) for t, m in markers if m.startswith("cue ")]
    expected = _cue_markers(rec)
    assert [m for _, m in cues] == [m for _, m in expected] and len(cues) >= 5
    np.testing.assert_allclose([t for t, _ in cues], [lsl_t0 + t for t, _ in expected],
                               atol=1e-3)
    result = analyze_recording(rec)
    verdicts = [m for _, m in markers if m.startswith("verdict ")]
    assert verdicts == [f"verdict trial={t.index + 1} phase={t.phase} "
                        + ("passed" if t.passed else "failed") for t in result.trials]
    assert "reached trial=1" in [m for _, m in markers]
    assert "held trial=1" in [m for _, m in markers]
    # Every analysis event of the whole file, analysed at once, was streamed (once each).
    analyzer = CcftAnalyzer(50.0)
    events = analyzer.update(rec.t_s, rec.pressure_mmhg, rec.target_mmhg, rec.phase)
    expected_events = sorted(m for m in map(event_marker, events + analyzer.finish()) if m)
    streamed = sorted(m for _, m in markers if not m.startswith(("cue ", "recording ", "link ")))
    assert streamed == expected_events


def test_without_the_flag_pylsl_is_never_loaded(tmp_path):
    """pylsl's liblsl opens its own sockets (not Python's): with LSL off it must not load."""
    code = f"""
import importlib, pkgutil, sys
import cctf, cctf.sim
for pkg in (cctf, cctf.sim):
    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(m.name)
from cctf.cli import main
assert main(["record", "--sim", "--fast", "--seconds", "3", "-o", {str(tmp_path / "s.csv")!r}]) == 0
print(sorted(m for m in sys.modules if m.split(".")[0] == "pylsl"))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_apply_lsl_flag_turns_the_switch_on_or_refuses_in_one_line(monkeypatch):
    import argparse

    from cctf.acquisition.lsl import LslUnavailable, add_lsl_argument
    from cctf.session.lsl_feed import LslSwitch, apply_lsl_flag

    parser = argparse.ArgumentParser()
    add_lsl_argument(parser)  # what `cctf train` adds to its parser
    off, on = LslSwitch(check=lambda: None), LslSwitch(check=lambda: None)
    apply_lsl_flag(parser.parse_args([]), off)
    apply_lsl_flag(parser.parse_args(["--lsl"]), on)
    assert (off.enabled, on.enabled) == (False, True)
    assert not on.streaming  # opens only when a device is attached
    monkeypatch.setitem(sys.modules, "pylsl", None)
    with pytest.raises(LslUnavailable, match="pip install 'cctf\\[lsl\\]'"):
        apply_lsl_flag(parser.parse_args(["--lsl"]), LslSwitch())
    with pytest.raises(SystemExit):
        parser.parse_args(["--lsl-wait", "-1"])


def test_pylsl_without_its_liblsl_gives_one_line_saying_so(tmp_path, monkeypatch, capsys):
    """As on Linux aarch64 or macOS < 11, where pylsl's wheel has no liblsl."""
    fake = tmp_path / "pylsl"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        'raise RuntimeError("LSL binary library file was not found.")\n')
    monkeypatch.delitem(sys.modules, "pylsl", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["record", "--sim", "--fast", "--seconds", "2", "--lsl",
                 "-o", str(tmp_path / "s.csv")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cctf: --lsl needs liblsl")
    assert "LSL binary library file was not found" in err[0]
