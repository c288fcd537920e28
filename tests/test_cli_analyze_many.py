"""``cctf analyze FILE…`` (issue 14): many files in one process, ``--json`` as JSON Lines with
the file name, ``--summary-csv``, and a bad file among good ones."""

from __future__ import annotations

import csv
import json

import pytest

from cctf.analysis.offline import analyze_recording
from cctf.analysis.results import FAULT_TYPES
from cctf.cli import main
from cctf.sessionfile import read_session


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    d = tmp_path_factory.mktemp("many")
    paths = []
    for scenario in ("overshoot", "healthy"):
        path = d / f"{scenario}.csv"
        assert main(["record", "--sim", scenario, "--fast", "--seconds", "135", "-o",
                     str(path)]) == 0
        paths.append(path)
    return paths


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["analyze", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_lines_one_per_file_in_order(sessions, capsys):
    status, out, err = run(capsys, *map(str, sessions), "--json")
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    for line, path in zip(lines, sessions, strict=True):
        data = json.loads(line)
        assert data.pop("file") == str(path)
        assert data.pop("annotations") == {}
        expected = analyze_recording(read_session(path)).to_dict()
        assert data == json.loads(json.dumps(expected))


def test_table_per_file(sessions, capsys):
    status, out, _ = run(capsys, *map(str, sessions))
    assert status == 0
    for path in sessions:
        assert f"cctf analysis of {path}" in out
    assert out.lower().count("activation score") == 2


def test_summary_csv_one_row_per_session(sessions, tmp_path, capsys):
    out_csv = tmp_path / "summary.csv"
    status, _, err = run(capsys, *map(str, sessions), "--summary-csv", str(out_csv), "--json")
    assert status == 0, err
    with open(out_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["file"] for r in rows] == [str(p) for p in sessions]
    for row, path in zip(rows, sessions, strict=True):
        rec = read_session(path)
        res = analyze_recording(rec)
        assert float(row["rate_hz"]) == pytest.approx(res.rate_hz, abs=1e-3)
        assert float(row["baseline_mmhg"]) == pytest.approx(res.baseline_mmhg, abs=1e-3)
        for key, value in (("activation_score_mmhg", res.activation_score_mmhg),
                           ("performance_index", res.performance_index)):
            if value is None:  # not measured: an empty cell, never 0
                assert row[key] == ""
            else:
                assert float(row[key]) == pytest.approx(value, abs=1e-3)
        assert row["complete"] == ("true" if res.complete else "false")
        assert row["file_closed"] == "true"  # cctf record closed the file
        for name in FAULT_TYPES:
            expected = sum(f.type == name for t in res.trials for f in t.faults)
            assert int(row[f"faults_{name}"]) == expected
    assert int(rows[0]["faults_overshoot"]) > 0  # the overshoot scenario


def test_summary_csv_is_never_overwritten(sessions, tmp_path, capsys):
    out_csv = tmp_path / "mine.csv"
    out_csv.write_text("precious\n", encoding="utf-8")
    status, _, err = run(capsys, str(sessions[0]), "--summary-csv", str(out_csv))
    assert status == 1
    assert err.startswith("cctf: ") and "\n" not in err.strip()
    assert out_csv.read_text(encoding="utf-8") == "precious\n"


def test_a_users_part_file_is_neither_deleted_nor_in_the_way(sessions, tmp_path, capsys):
    """The summary was written through ``OUT.part``: a user's file of that name made the run
    fail, and was then deleted. Only cctf's own temporary file is ever removed."""
    out_csv = tmp_path / "summary.csv"
    mine = tmp_path / "summary.csv.part"
    mine.write_text("precious\n", encoding="utf-8")
    status, _, err = run(capsys, str(sessions[0]), "--summary-csv", str(out_csv))
    assert status == 0, err
    assert mine.read_text(encoding="utf-8") == "precious\n"
    assert out_csv.read_text(encoding="utf-8").startswith("file,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv", "summary.csv.part"]


def test_a_summary_that_cannot_be_written_is_said_before_the_work(sessions, tmp_path, capsys):
    status, out, err = run(capsys, str(sessions[0]), "--summary-csv",
                           str(tmp_path / "no" / "such" / "summary.csv"))
    assert status == 1 and out == ""  # no file analysed first, then thrown away
    assert err.startswith("cctf: cannot write") and "\n" not in err.strip()


def test_a_bad_file_among_good_ones(sessions, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("# cctf_session_format: 1\nnot,a,session\n1,2\n", encoding="utf-8")
    missing = tmp_path / "missing.csv"
    out_csv = tmp_path / "summary.csv"
    status, out, err = run(capsys, str(sessions[0]), str(bad), str(missing), str(sessions[1]),
                           "--json", "--summary-csv", str(out_csv))
    assert status == 2
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 2
    assert all(ln.startswith("cctf: ") for ln in err_lines)
    assert str(bad) in err_lines[0] and str(missing) in err_lines[1]
    assert "Traceback" not in err
    assert [json.loads(ln)["file"] for ln in out.splitlines()] == [str(sessions[0]),
                                                                  str(sessions[1])]
    with open(out_csv, newline="", encoding="utf-8") as f:
        assert [r["file"] for r in csv.DictReader(f)] == [str(sessions[0]), str(sessions[1])]


def test_chunk_size_is_kept(sessions, capsys):
    _, ref, _ = run(capsys, *map(str, sessions), "--json")
    status, out, _ = run(capsys, *map(str, sessions), "--json", "--chunk-size", "7")
    assert status == 0 and out == ref
