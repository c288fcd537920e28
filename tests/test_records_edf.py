"""EDF+ export, read back with the independent reader in records_helpers."""

from __future__ import annotations

import os
import stat
from datetime import datetime

import numpy as np
import pytest

from cctf.analysis.offline import analyze_recording
from cctf.cli import main
from cctf.records.edf import write_edf
from cctf.sessionfile import SessionWriter, read_session

from .records_helpers import clinic_csv, read_edf


def test_edf_round_trip_signals_header_and_annotations(tmp_path):
    rec = read_session(clinic_csv(tmp_path / "s.csv", 4, 6))
    result = analyze_recording(rec)
    result.trials[5].manual_faults.append("breath")
    path = write_edf(tmp_path / "s.edf", rec, result, patient_code="P-0042",
                     started=datetime(2025, 3, 3, 10, 15, 7))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    edf = read_edf(path)

    h = edf.header
    assert h["version"] == "0" and h["reserved"].startswith("EDF+C")
    assert h["patient"] == "P-0042 X X X"
    assert h["recording"] == "Startdate 03-MAR-2025 X X cctf_SIM00001"
    assert (h["startdate"], h["starttime"]) == ("03.03.25", "10.15.07")
    assert edf.labels == ["MISC Pressure", "MISC Target", "EDF Annotations"]
    assert edf.dimensions[:2] == ["mmHg", "mmHg"] and edf.record_s == 1.0
    assert edf.samples_per_record[:2] == [20, 20]

    # The file starts on the whole second (t_s = 0 here); the first sample (0.05 s) is
    # preceded by one padded sample; records follow each other by exactly 1 s.
    np.testing.assert_allclose(edf.record_onsets, np.arange(edf.n_records))
    n = len(rec)
    pressure = edf.signals["MISC Pressure"][1:n + 1]
    np.testing.assert_allclose(pressure, rec.pressure_mmhg, atol=0.001)  # 16-bit: 0.0018 steps
    target = edf.signals["MISC Target"][1:n + 1]
    cued = ~np.isnan(rec.target_mmhg)
    np.testing.assert_allclose(target[cued], rec.target_mmhg[cued], atol=0.001)
    assert np.all(target[~cued] == 0.0)  # "no target" reads back as exactly 0

    trials = [a for a in edf.annotations if a[2].startswith("trial ") and a[1] is not None]
    assert len(trials) == len(result.trials) == 3 + 10
    onset, duration, words = trials[0]
    assert onset == pytest.approx(result.trials[0].cue_start_s, abs=1e-3)
    assert duration == pytest.approx(result.trials[0].cue_end_s - result.trials[0].cue_start_s,
                                     abs=1e-3)
    assert words == "trial 1 stage 22 mmHg: passed"
    texts = [a[2] for a in edf.annotations]
    assert any(t.startswith("trial 3 fault undershoot: did not reach the target") for t in texts)
    assert "trial 6 marked by hand: breath holding" in texts


def test_gaps_are_annotated_and_the_grid_is_uniform(tmp_path):
    t = np.concatenate([np.arange(0, 10, 0.02), np.arange(12, 19.5, 0.02)])  # a 2 s hole
    path = tmp_path / "gap.csv"
    w = SessionWriter(path, {"sample_rate_hz": 50, "started_at": "2025-03-03T10:00:00+01:00"})
    w.write(t, 20 + 0.1 * np.sin(t), None, None)
    w.close()
    rec = read_session(path)
    edf = read_edf(write_edf(tmp_path / "gap.edf", rec, analyze_recording(rec),
                             patient_code="P-1", started=datetime(2025, 3, 3, 10)))
    gaps = [a for a in edf.annotations if a[2].startswith("signal gap")]
    assert len(gaps) == 1 and gaps[0][0] == pytest.approx(9.98) and gaps[0][1] == pytest.approx(
        2.02)
    assert edf.samples_per_record[0] == 50 and edf.n_records == 20
    end = [a for a in edf.annotations if a[2].startswith("end of recording")]
    assert len(end) == 1 and end[0][0] == pytest.approx(19.5)  # the last record is padded


def test_cctf_export_edf_and_csv(tmp_path, capsys):
    data = str(tmp_path / "data")
    assert main(["patients", "--data-dir", data, "add", "P-1"]) == 0
    assert main(["import", str(clinic_csv(tmp_path / "s.csv")), "--patient", "P-1",
                 "--data-dir", data]) == 0
    assert main(["export", "1", "--edf", "-o", str(tmp_path / "x.edf"), "--data-dir", data]) == 0
    assert read_edf(tmp_path / "x.edf").header["patient"] == "P-1 X X X"
    assert main(["export", "1", "--csv", "-o", str(tmp_path / "x.csv"), "--data-dir", data]) == 0
    assert (tmp_path / "x.csv").read_bytes() == (tmp_path / "s.csv").read_bytes()
    assert main(["export", "--edf", "-o", str(tmp_path / "y.edf"), "--data-dir", data]) == 2
    assert "export what?" in capsys.readouterr().err
