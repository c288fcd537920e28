"""One command line: --json wherever results are printed, --sim NAME and --scenario NAME alike,
--show-names spelt one way, export's format from the file's extension, and a reader that stops
early (``| head -1``) ending cctf quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cctf.cli import build_parser, main


def cctf(*argv: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cctf", *argv], capture_output=True, text=True,
                          timeout=timeout, check=False, **kw)


@pytest.fixture(scope="module")
def session_csv(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("conv") / "s.csv"
    assert main(["record", "--sim", "healthy", "--fast", "--seconds", "60", "-o", str(out)]) == 0
    return out


# --- a closed pipe ---------------------------------------------------------------------------


def _with_closed_stdout(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run cctf with stdout a pipe whose reader has already gone: every write fails (EPIPE),
    as when ``head -1`` has exited — deterministically, whatever the output's size."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "cctf", *argv], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("argv", [("analyze", "{csv}"), ("analyze", "{csv}", "--json"),
                                  ("scenarios",)], ids=["analyze", "analyze-json", "scenarios"])
def test_a_closed_pipe_ends_quietly(argv, session_csv):
    done = _with_closed_stdout(*(a.format(csv=session_csv) for a in argv))
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == 141


def test_analyze_piped_into_head_prints_its_first_line(session_csv):
    shell = f"{sys.executable} -m cctf analyze {session_csv} | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.stdout.count("\n") == 1 and done.stdout.strip()
    assert "Traceback" not in done.stderr, done.stderr


# --- one spelling, alike names -----------------------------------------------------------------


def test_show_names_is_spelt_one_way():
    p = build_parser()
    assert p.parse_args(["report", "7", "--show-names", "-o", "r.pdf"]).show_name
    assert p.parse_args(["patients", "--show-names"]).show_names
    assert p.parse_args(["patients", "list", "--show-names"]).show_names
    assert p.parse_args(["patients", "show", "P-1", "--show-names"]).show_names


def test_help_texts_use_one_spelling():
    for sub in ("report", "patients"):
        done = cctf(sub, "--help")
        assert "--show-names" in done.stdout
        assert "--show-name " not in done.stdout and "--show-name," not in done.stdout


@pytest.mark.parametrize(
    ("argv_sim", "argv_scenario", "dest"),
    [
        (["--sim", "compensator"], ["--scenario", "compensator"], "sim"),
        (["sim", "--sim", "compensator"], ["sim", "--scenario", "compensator"], "scenario"),
        (["record", "--sim", "compensator", "--seconds", "1", "-o", "x.csv"],
         ["record", "--scenario", "compensator", "--seconds", "1", "-o", "x.csv"], "record_sim"),
        (["calibrate", "--sim", "compensator"], ["calibrate", "--scenario", "compensator"],
         "cal_sim"),
    ],
    ids=["app", "sim", "record", "calibrate"],
)
def test_sim_name_and_scenario_name_are_alike(argv_sim, argv_scenario, dest):
    p = build_parser()
    assert getattr(p.parse_args(argv_sim), dest) == "compensator"
    assert getattr(p.parse_args(argv_scenario), dest) == "compensator"


# --- --json ----------------------------------------------------------------------------------


def test_scenarios_json():
    done = cctf("scenarios", "--json")
    assert done.returncode == 0, done.stderr
    names = {s["name"] for s in json.loads(done.stdout)}
    assert {"healthy", "compensator"} <= names


def test_ports_json_without_probing(tmp_path):
    fake = tmp_path / "ttyFAKE"
    fake.touch()
    done = cctf("ports", "--no-probe", "--also", str(fake), "--json")
    assert done.returncode == 0, done.stderr
    ports = json.loads(done.stdout)
    assert isinstance(ports, list)
    ours = [p for p in ports if p["port"] == str(fake)]
    assert ours and ours[0]["probed"] is False and ours[0]["cctf_device"] is None


def test_record_summary_json(tmp_path):
    out = tmp_path / "r.csv"
    done = cctf("record", "--scenario", "healthy", "--fast", "--seconds", "30", "-o", str(out),
                "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # progress and notes stay on stderr
    assert summary["output"] == str(out) and summary["samples"] > 1000
    assert summary["link"]["corrupt"] == 0 and summary["link"]["state"]


def test_calibrate_show_json():
    done = cctf("calibrate", "--sim", "healthy", "--show", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["calibration"]["slope_mmhg_per_count"] > 0
    assert shown["reading"]["samples"] > 0
    assert "pressure_mmhg" in shown["reading"]
    done = cctf("calibrate", "--sim", "healthy", "--json", "--yes")
    assert done.returncode == 2 and done.stderr.startswith("cctf:")


@pytest.mark.slow
def test_patients_json_and_export_format_from_the_extension(tmp_path):
    data = str(tmp_path / "data")
    assert main(["patients", "--data-dir", data, "add", "P-0042", "--name", "Ann Example"]) == 0
    assert main(["record", "--sim", "healthy", "--fast", "--seconds", "60",
                 "--patient", "P-0042", "--data-dir", data]) == 0
    done = cctf("patients", "--data-dir", data, "--json")
    assert done.returncode == 0, done.stderr
    (patient,) = json.loads(done.stdout)
    assert patient["code"] == "P-0042" and patient["sessions"] == 1
    assert patient["name"] is None  # names only when asked for
    done = cctf("patients", "--data-dir", data, "list", "--json", "--show-names")
    assert json.loads(done.stdout)[0]["name"] == "Ann Example"

    sid = json.loads(cctf("sessions", "--data-dir", data, "--json").stdout)[0]["id"]
    edf, csv, forced = tmp_path / "x.edf", tmp_path / "x.csv", tmp_path / "forced.edf"
    for argv in (["-o", str(edf)], ["-o", str(csv)], ["--csv", "-o", str(forced)]):
        done = cctf("export", str(sid), "--data-dir", data, *argv)
        assert done.returncode == 0, done.stderr
    assert edf.read_bytes()[:8] == b"0       "  # the EDF header's version field
    assert csv.read_bytes()[:8] != b"0       " and b"pressure" in csv.read_bytes()[:4000]
    assert forced.read_bytes() == csv.read_bytes()  # a flag beats the extension


def test_analyze_numbers_trials_from_one(session_csv):
    done = cctf("analyze", str(session_csv))
    assert done.returncode == 0, done.stderr
    rows = [ln.split() for ln in done.stdout.splitlines() if ln.strip()[:1].isdigit()
            and ("stage" in ln or "endurance" in ln)]
    assert rows and [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
