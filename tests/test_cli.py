"""The command line: record, sim, ports, and clear one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from cctf.cli import main
from cctf.sessionfile import read_session


def test_record_fast_from_the_simulator_writes_an_analysable_session(tmp_path, capsys):
    out = tmp_path / "healthy.csv"
    assert main(["record", "--sim", "healthy", "--fast", "--seconds", "60", "-o", str(out)]) == 0
    rec = read_session(out)
    assert abs(len(rec) - 60 * 50) <= 1
    assert rec.metadata["device_serial"] == "SIM00001"
    assert rec.metadata["link_missing"] == "0" and rec.metadata["link_corrupt"] == "0"
    assert rec.metadata["scenario"] == "healthy"
    assert set(rec.phase) >= {"", "stage"}
    stage = rec.target_mmhg[rec.phase == "stage"]
    assert stage[0] == 22.0
    assert np.all(np.diff(rec.t_s) > 0)
    assert "link: closed, 50.0 Hz" in capsys.readouterr().err


def test_record_through_a_bad_cable_keeps_going_and_reports_the_link(tmp_path):
    out = tmp_path / "bad.csv"
    args = ["record", "--sim", "bad-cable", "--fast", "--seconds", "120", "-o", str(out)]
    assert main(args) == 0
    meta = read_session(out).metadata
    assert meta["link_reconnects"] == "1"
    assert meta["link_device_resets"] == "1"
    assert int(meta["link_corrupt"]) > 0 and int(meta["link_missing"]) > 0
    assert "disconnected@" in meta["link_events"] and "gap@" in meta["link_events"]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["record", "--sim", "--seconds", "1", "-o", "x.csv", "--rate-hz", "0"], 2, "rate must be"),
        (["record", "--sim", "--seconds", "-3", "-o", "x.csv"], 2, "seconds must be > 0"),
        (["record", "--sim", "no-such-scenario", "--seconds", "1", "-o", "x.csv"], 2,
         "no-such-scenario"),
        (["record", "--port", "/dev/cctf-missing", "--seconds", "1", "-o", "x.csv"], 1,
         "cctf: cannot open serial port /dev/cctf-missing"),
    ],
)
def test_bad_input_gets_one_clear_line_and_no_traceback(tmp_path, capsys, args, status, message):
    os.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        sys.exit(main(args))
    assert exit_.value.code == status
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.slow
def test_cctf_sim_serves_a_port_that_cctf_record_and_cctf_ports_use(tmp_path):
    sim = subprocess.Popen(
        [sys.executable, "-m", "cctf.cli", "sim", "--scenario", "healthy", "--rate-hz", "200"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = sim.stdout.readline().strip()
        assert port.endswith("ttyCCTF0"), port
        out = tmp_path / "s.csv"
        rec = subprocess.run(
            [sys.executable, "-m", "cctf.cli", "record", "--port", port, "--seconds", "2",
             "-o", str(out)],
            capture_output=True, text=True, timeout=30,
        )
        assert rec.returncode == 0, rec.stderr
        assert "0 corrupt, 0 missing" in rec.stderr
        data = read_session(out)
        assert abs(len(data) - 400) <= 10
        assert data.metadata["sample_rate_hz"] == "200"
        ports = subprocess.run(
            [sys.executable, "-m", "cctf.cli", "ports", "--also", port, "--timeout", "2"],
            capture_output=True, text=True, timeout=30,
        )
        line = next(ln for ln in ports.stdout.splitlines() if port in ln)
        assert line.startswith("*") and "cctf device SIM00001" in line
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(timeout=10) == 0
    assert not os.path.exists(port), "the sim left its port behind"
