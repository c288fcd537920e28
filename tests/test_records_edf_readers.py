"""EDF+ exports read back with real readers — pyedflib, edfio and MNE — not only cctf's own:
a whole-second start every reader agrees on, consistent with the session's t0 wall clock; an
exact 0 in the Target signal; therapist and link annotations; every filled gap; MISC types."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from cctf.analysis.offline import analyze_recording
from cctf.records.edf import write_edf
from cctf.sessionfile import read_session

from .records_helpers import clinic_csv

pyedflib = pytest.importorskip("pyedflib")
edfio = pytest.importorskip("edfio")
mne = pytest.importorskip("mne")

T0_WALL = "2025-03-03T10:15:07.300000+01:00"  # t_s = 0; the first sample is at t_s = 0.05
LINK = "disconnected@40.000s; reconnected@43.250s+3.250s; device_reset@90.000s"


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edf")
    rec = read_session(clinic_csv(tmp / "s.csv", 4, 6, reps=3))
    keep = np.ones(len(rec), bool)
    keep[200] = False  # one sample lost (50 ms at 20 Hz: far under the old 0.2 s threshold)
    marker = np.full(len(rec), "", dtype=object)
    marker[300] = "swallowed | Trial 2: compensation seen (SCM)"
    rec = replace(rec, t_s=rec.t_s[keep], pressure_mmhg=rec.pressure_mmhg[keep],
                  target_mmhg=rec.target_mmhg[keep], phase=rec.phase[keep],
                  extra={**{k: v[keep] for k, v in rec.extra.items()}, "marker": marker[keep]},
                  metadata={**rec.metadata, "t0_wall_clock": T0_WALL, "link_events": LINK})
    result = analyze_recording(rec)
    result.trials[1].verdict_override = True
    result.trials[1].settle()
    path = write_edf(tmp / "s.edf", rec, result, patient_code="P-1",
                     started=datetime(2025, 3, 3, 10, 15, 8))  # started_at: a later second
    return rec, result, path


def _mne(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mne.io.read_raw_edf(path, preload=True, verbose="error", **kw)


def test_every_reader_agrees_on_a_whole_second_start_consistent_with_t0(export):
    rec, _, path = export
    with pyedflib.EdfReader(str(path)) as f:
        start_pyedflib = f.getStartdatetime()
        assert f.getFileDuration() == int(np.ceil(rec.t_s[-1] - (-0.3)))
    e = edfio.read_edf(path)
    start_edfio = datetime.combine(e.startdate, e.starttime)
    raw = _mne(path)
    start_mne = raw.info["meas_date"].replace(tzinfo=None)
    assert start_pyedflib == start_edfio == start_mne == datetime(2025, 3, 3, 10, 15, 7)
    # File start + a sample's onset = t0 wall clock + its t_s, to the microsecond.
    w0 = datetime.fromisoformat(T0_WALL).replace(tzinfo=None)
    first_onset = 0.35  # 10:15:07.350 is the first sample; 0.35 s of padding before it
    assert start_mne + timedelta(seconds=first_onset) == w0 + timedelta(seconds=rec.t_s[0])
    pressure = raw.get_data(picks=["MISC Pressure"])[0]
    k = round(first_onset * 20)
    np.testing.assert_allclose(pressure[k:k + 100], rec.pressure_mmhg[:100], atol=2e-3)
    pad = [a for a in raw.annotations if a["description"].startswith("padding")]
    assert len(pad) == 1 and pad[0]["onset"] == pytest.approx(0.0)
    assert pad[0]["duration"] == pytest.approx(first_onset)


def test_no_target_reads_back_as_exactly_zero_in_every_reader(export):
    rec, _, path = export
    none = np.isnan(rec.target_mmhg)
    with pyedflib.EdfReader(str(path)) as f:
        target_pyedflib = f.readSignal(1)
    target_edfio = edfio.read_edf(path).signals[1].data
    target_mne = _mne(path).get_data(picks=["MISC Target"])[0]
    for target in (target_pyedflib, target_edfio, target_mne):
        grid = target[7:7 + len(rec)][:199]  # before the lost sample: grid = samples
        assert np.all(grid[none[:199]] == 0.0)
        np.testing.assert_allclose(grid[~none[:199]], rec.target_mmhg[:199][~none[:199]],
                                   atol=1e-9)
        assert set(np.unique(target)) >= {0.0, 22.0}


def test_annotations_name_overrides_therapist_marks_link_events_and_every_gap(export):
    rec, result, path = export
    raw = _mne(path)
    got = [(a["onset"], a["description"]) for a in raw.annotations]
    words = [d for _, d in got]
    assert "trial 2 verdict set by the therapist: passed" in words
    assert "therapist: swallowed" in words
    assert "therapist: Trial 2: compensation seen (SCM)" in words
    assert "link lost (device disconnected)" in words
    assert any(d.startswith("link restored (3.250 s") for d in words)
    assert "device reset: it restarted, a new time epoch began" in words
    gaps = [(o, d) for o, d in got if d.startswith("signal gap")]
    assert gaps == [(pytest.approx(rec.t_s[199] + 0.3, abs=1e-4),
                     "signal gap: 1 sample(s) missing, values interpolated")]
    link = dict((d, o) for o, d in got)
    assert link["link lost (device disconnected)"] == pytest.approx(40.3)
    # pyedflib (EDFlib) reads the same onsets.
    with pyedflib.EdfReader(str(path)) as f:
        onsets, _, descriptions = f.readAnnotations()
    first = result.trials[0]
    i = list(descriptions).index("trial 1 stage 22 mmHg: passed")
    assert onsets[i] == pytest.approx(first.cue_start_s + 0.3, abs=1e-4)
    assert raw.annotations[[a["description"] for a in raw.annotations].index(
        "trial 1 stage 22 mmHg: passed")]["onset"] == pytest.approx(onsets[i], abs=1e-6)


def test_mne_maps_the_channels_to_misc_with_either_recipe(export):
    _, _, path = export
    raw = _mne(path, infer_types=True)
    assert raw.ch_names == ["Pressure", "Target"]
    assert raw.get_channel_types() == ["misc", "misc"]
    raw = _mne(path, misc=["MISC Pressure", "MISC Target"])
    assert raw.get_channel_types() == ["misc", "misc"]
    raw = _mne(path)  # without a recipe MNE calls everything EEG (documented)
    assert raw.get_channel_types() == ["eeg", "eeg"]
