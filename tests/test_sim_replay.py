"""A recorded session CSV replayed as a live device comes back as it was recorded."""

from __future__ import annotations

import numpy as np

from cctf.acquisition.device import Device
from cctf.clock import VirtualClock
from cctf.sessionfile import SessionWriter, read_session
from cctf.sim.replay import cues_of, replay_firmware
from cctf.sim.transport import SimTransport


def _recording(path, rate_hz=50.0):
    t = np.arange(0, 40, 1 / rate_hz)
    p = 20 + 4 * np.clip(np.sin((t - 5) / 10 * np.pi), 0, None) + 0.1 * np.sin(2 * np.pi * 0.3 * t)
    target = np.where((t >= 5) & (t < 15), 24.0, np.where((t >= 25) & (t < 35), 22.0, np.nan))
    phase = np.where(np.isnan(target), "", "stage")
    w = SessionWriter(path, {"source": "test"})
    w.write(t, p, target, list(phase))
    w.close()
    return t, p


def test_replay_reproduces_the_recorded_pressure_and_its_trials(tmp_path):
    path = tmp_path / "rec.csv"
    t, p = _recording(path)
    clock = VirtualClock()
    firmware = replay_firmware(path)
    device = Device(SimTransport(firmware, clock), clock=clock)
    hello = device.connect()
    assert hello.sample_rate_hz == 50 and hello.serial == b"REPLAY01"
    device.start(threaded=False)
    device.run_for(35.0)
    rows = device.buffer.read(0).rows
    expected = np.interp(rows["t_device_s"] + firmware._boot_s, t - t[0], p)
    err = rows["pressure_mmhg"] - expected
    assert np.sqrt(np.mean(err**2)) < 0.015 and np.max(np.abs(err)) < 0.06
    cues = cues_of(read_session(path))
    assert [(c.start_s, c.end_s, c.target_mmhg, c.phase) for c in cues] == [
        (5.0, 15.0, 24.0, "stage"),
        (25.0, 35.0, 22.0, "stage"),
    ]
