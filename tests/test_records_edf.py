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


def test_head_angles_become_two_signals_and_not_measured_is_annotated(tmp_path):
    """Issue 17: with a head sensor the EDF+ gains MISC Head pitch / roll; a stretch without an
    angle reads -180 deg (EDF has no NaN) and is annotated, never 0 and never interpolated."""
    from dataclasses import replace

    rec = read_session(clinic_csv(tmp_path / "s.csv", 4, 2))
    pitch = 3.0 + np.sin(rec.t_s / 5.0)
    roll = np.full(len(rec), -0.75)
    lost = (rec.t_s > 30.0) & (rec.t_s < 32.0)
    pitch[lost] = np.nan
    roll[lost] = np.nan
    head = replace(rec, head_pitch_deg=pitch, head_roll_deg=roll,
                   metadata={**rec.metadata, "head_neutral_deg": "pitch 4.10 roll -1.00"})
    result = analyze_recording(head)
    path = write_edf(tmp_path / "h.edf", head, result, patient_code="P-0042",
                     started=datetime(2025, 3, 3, 10, 15, 7))
    edf = read_edf(path)
    assert edf.labels == ["MISC Pressure", "MISC Target", "MISC Head pitch", "MISC Head roll",
                          "EDF Annotations"]
    n = len(rec)
    got_pitch = edf.signals["MISC Head pitch"][1:n + 1]
    got_roll = edf.signals["MISC Head roll"][1:n + 1]
    ok = ~lost
    np.testing.assert_allclose(got_pitch[ok], pitch[ok], atol=0.006)
    np.testing.assert_allclose(got_roll[ok], -0.75, atol=0.006)
    assert np.all(got_pitch[lost] == -180.0) and np.all(got_roll[lost] == -180.0)
    notes = [a for a in edf.annotations if a[2].startswith("head angle not measured")]
    assert len(notes) == 1
    assert notes[0][0] == pytest.approx(30.0, abs=0.06) and notes[0][1] == pytest.approx(2.0,
                                                                                       abs=0.1)
    # the pressure is exactly what it is without the sensor
    plain = read_edf(write_edf(tmp_path / "p.edf", rec, analyze_recording(rec),
                               patient_code="P-0042", started=datetime(2025, 3, 3, 10, 15, 7)))
    np.testing.assert_array_equal(plain.signals["MISC Pressure"], edf.signals["MISC Pressure"])
    assert "MISC Head pitch" not in plain.labels
