"""The recorder: rows on disk at least every second, link statistics in the header at the end."""

from __future__ import annotations

from cctf.acquisition.recorder import SessionRecorder
from cctf.sessionfile import read_session
from cctf.sim.faults import LinkFaults

from .conftest import make_sim_device


def test_rows_reach_the_disk_within_a_second_and_stats_at_close(tmp_path):
    device, _, _ = make_sim_device(faults=LinkFaults(disconnects_s=((5.0, 2.0),)))
    device.connect()
    device.start(rate_hz=100, threaded=False)
    path = tmp_path / "rec.csv"
    rec = SessionRecorder(device, path, {"operator": "test"})
    rec.start()
    for _ in range(12):  # 12 × 0.25 s, polling as the app's timer would
        device.run_for(0.25)
        rec.poll()
    # Without close(): what a crash at this point would leave on disk.
    on_disk = read_session(path)
    assert len(on_disk) >= 200, "more than a second of samples was not yet on disk"
    assert on_disk.metadata["operator"] == "test"
    device.run_for(8.0)
    rec.close()
    final = read_session(path)
    assert final.metadata["link_reconnects"] == "1"
    assert final.metadata["link_gaps"] == "1"
    assert "gap@" in final.metadata["link_events"]
    assert len(final) == device.buffer.written  # nothing received was left out
    assert final.t_s[0] > 0 and (final.t_s[1:] > final.t_s[:-1]).all()
