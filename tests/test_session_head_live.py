"""The app's head-sensor logic without Qt (cctf.session.head_live, issue 17)."""

from __future__ import annotations

import numpy as np

from cctf.acquisition.buffer import new_rows
from cctf.session.head_live import HeadLive, head_cells


def _rows(t, pitch, roll):
    rows = new_rows(len(t))
    rows["head_pitch_deg"], rows["head_roll_deg"] = pitch, roll
    return rows


def _stream(n_s=8.0, rate=50.0):
    t = np.arange(0.0, n_s, 1.0 / rate)
    pitch = np.where(t < 5.0, 4.0, 4.0 + 3.0 * np.minimum(t - 5.0, 1.0))
    pitch[(t > 6.0) & (t < 7.0)] = np.nan  # a loose sensor
    return t, pitch, np.full(len(t), -1.0)


def test_zeroed_angles_are_the_same_for_any_chunking_and_blank_before_the_neutral():
    t, pitch, roll = _stream()
    outs = []
    for step in (1, 13, len(t)):
        live = HeadLive(fitted=True)
        parts = [live.feed(t[i:i + step], _rows(t[i:i + step], pitch[i:i + step],
                                                 roll[i:i + step])) for i in range(0, len(t), step)]
        outs.append(np.concatenate([p[0] for p in parts]))
        assert live.neutral is not None and live.neutral.to_s == 2.0
    for other in outs[1:]:
        np.testing.assert_array_equal(other, outs[0])
    z = outs[0]
    assert np.isnan(z[t <= 2.0]).all() and np.allclose(z[(t > 2.0) & (t < 5.0)], 0.0)
    assert z[-1] == 3.0 and np.isnan(z[(t > 6.0) & (t < 7.0)]).all()


def test_current_says_when_the_newest_sample_has_no_angle():
    t, pitch, roll = _stream()
    live = HeadLive(fitted=True)
    live.feed(t[t < 6.9], _rows(t[t < 6.9], pitch[t < 6.9], roll[t < 6.9]))
    assert not live.current  # 0.9 s without an angle: more than STALE_S
    live2 = HeadLive(fitted=True)
    live2.feed(t, _rows(t, pitch, roll))
    assert live2.current
    assert live2.metadata() == {"head_neutral_deg": "pitch 4.00 roll -1.00"}


def test_no_sensor_no_angles_and_cells_are_blank_not_zero():
    t, pitch, roll = _stream()
    live = HeadLive(fitted=False)
    assert live.feed(t, _rows(t, pitch, roll)) is None and live.metadata() == {}
    cells = head_cells((np.array([1.234, np.nan]), np.array([np.nan, -0.5])), 2)
    assert list(cells["head_pitch_deg"]) == ["1.23", ""]
    assert list(cells["head_roll_deg"]) == ["", "-0.50"]
    assert list(head_cells(None, 2)["head_pitch_deg"]) == ["", ""]
