"""The records commands: patients, sessions, record --patient, recover; clear errors."""

from __future__ import annotations

import json
import os

import pytest

from cctf.cli import main
from cctf.records.startup import open_records

from .records_helpers import clinic_csv


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_patients_add_list_show_edit_prescribe(tmp_path, capsys):
    d = ("--data-dir", str(tmp_path / "data"))
    assert run(capsys, "patients", *d)[1].startswith("no patients yet")
    assert run(capsys, "patients", *d, "add", "P-0042", "--name", "Jane Doe",
               "--birth-year", "1980", "--notes", "referred for headache")[0] == 0
    code, out, _ = run(capsys, "patients", *d, "list")
    assert code == 0 and "P-0042" in out and "Jane" not in out  # names only when asked
    assert "Jane Doe" in run(capsys, "patients", *d, "list", "--show-names")[1]
    assert run(capsys, "patients", *d, "edit", "P-0042", "--notes", "better")[0] == 0
    assert run(capsys, "patients", *d, "prescribe", "P-0042", "--target", "26", "--reps", "8",
               "--per-day", "3", "--from", "2025-03-01")[0] == 0
    code, out, _ = run(capsys, "patients", *d, "show", "P-0042")
    assert code == 0 and "notes: better" in out and "8 × 10 s at 26 mmHg, 3 × a day" in out
    assert "No clinic test recorded yet" in out


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["patients", "add", "../x"], 2, "patient ID '../x' is not valid"),
        (["patients", "add", "P-1", "--birth-year", "1492"], 2, "birth year must be between"),
        (["patients", "add", "P-1", "--birth-year", "soon"], 2, "must be a year such as 1980"),
        (["patients", "show", "P-404"], 1, "no patient 'P-404'"),
        (["patients", "prescribe", "P-404"], 1, "no patient"),
        (["sessions", "77"], 1, "no session 77"),
        (["sessions", "--notes", "x"], 2, "--notes needs a SESSION"),
        (["import", "nope.csv"], 2, "needs --patient"),
        (["import", "nope.csv", "--patient", "P-404"], 1, "no patient"),
        (["report", "-o", "r.pdf"], 2, "report what?"),
        (["report", "--progress", "-o", "r.pdf"], 2, "--progress needs --patient"),
        (["export", "--patient", "P-404", "-o", "a.zip"], 1, "no patient"),
        (["record", "--sim", "--fast", "--seconds", "5"], 2, "needs -o"),
        (["record", "--sim", "--fast", "--seconds", "5", "--patient", "P-404"], 1,
         "no patient"),
    ],
)
def test_bad_records_input_gets_one_clear_line(tmp_path, capsys, args, status, message):
    os.chdir(tmp_path)
    code, _, err = run(capsys, *args, "--data-dir", str(tmp_path / "data"))
    assert code == status, err
    assert message in err and err.startswith("cctf: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_record_with_a_patient_registers_and_completes_the_session(tmp_path, capsys):
    d = ("--data-dir", str(tmp_path / "data"))
    run(capsys, "patients", *d, "add", "P-1")
    code, _, err = run(capsys, "record", "--sim", "healthy", "--fast", "--seconds", "140",
                       "--patient", "P-1", *d)
    assert code == 0 and "saved as session 1 of patient P-1 in the records" in err
    records = open_records(tmp_path / "data")
    (s,) = records.sessions("P-1")
    assert s.status == "complete" and s.device_serial == "SIM00001"
    assert s.csv_path.startswith("sessions/P-1/") and s.activation_score_mmhg == 8
    assert records.csv_path(s).exists()
    records.close()
    code, out, _ = run(capsys, "sessions", *d, "--json")
    assert json.loads(out)[0]["activation_score_mmhg"] == 8
    assert run(capsys, "sessions", *d, "1", "--notes", "patient tired")[0] == 0
    code, out, _ = run(capsys, "sessions", *d, "1", "--json")
    assert json.loads(out)["therapist_notes"] == "patient tired"
    assert json.loads(out)["result"]["trials"][0]["passed"] is True
    assert "no interrupted sessions" in run(capsys, "recover", *d)[1]


def test_the_top_level_data_dir_reaches_the_subcommands(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "patients", "add", "P-1"]) == 0
    src = clinic_csv(tmp_path / "s.csv")
    assert main(["--data-dir", str(data), "import", str(src), "--patient", "P-1"]) == 0
    assert "imported" in run(capsys, "sessions", "--data-dir", str(data))[1]
    assert (data / "cctf.db").exists()
