"""Sessions survive crashes: kill -9 mid-recording, then recovery at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cctf.cli import main
from cctf.errors import FileFormatError
from cctf.records.lock import SessionLock
from cctf.records.recovery import (
    begin_session,
    complete_session,
    lock_path,
    recover_interrupted,
)
from cctf.records.startup import open_records
from cctf.sessionfile import read_session

from .records_helpers import clinic_csv


def wait_for_progress(stderr, recorded_s: float) -> None:
    """Block on the recorder's own progress lines (``--fast`` prints one per 10 simulated
    seconds, after the rows up to then are flushed) until it has recorded ``recorded_s``."""
    for raw in stderr:
        line = raw.decode(errors="replace").strip()
        head = line.split("/", 1)[0]
        try:
            done = float(head)
        except ValueError:
            continue
        if done >= recorded_s:
            return
    pytest.fail(f"the recorder stopped before reaching {recorded_s:.0f} s")


def _complete_rows(data: bytes) -> int:
    """Data rows that end with a newline, after the metadata and the column header."""
    lines = data.split(b"\n")[:-1]  # the last piece is empty or an unfinished line
    header = next(k for k, ln in enumerate(lines) if not ln.startswith(b"#"))
    return len(lines) - header - 1


def test_truncated_tail_is_tolerated_only_when_asked(tmp_path):
    path = clinic_csv(tmp_path / "s.csv")
    full = read_session(path)
    path.write_bytes(path.read_bytes()[:-7])  # cut inside the last row
    with pytest.raises(FileFormatError, match=r"fields, expected|not a number"):
        read_session(path)
    rec = read_session(path, tolerate_truncated_tail=True)
    assert len(rec) == len(full) - 1 and rec.dropped_tail_bytes > 0
    np.testing.assert_array_equal(rec.pressure_mmhg, full.pressure_mmhg[:-1])


def test_kill_9_mid_recording_then_recovery_keeps_every_row(tmp_path):
    data = tmp_path / "data"
    assert main(["patients", "--data-dir", str(data), "add", "P-1"]) == 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cctf.cli", "record", "--sim", "healthy", "--fast",
         "--seconds", "3600", "--patient", "P-1", "--data-dir", str(data)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        folder = data / "sessions" / "P-1"
        files = lambda: list(folder.glob("*.csv")) if folder.exists() else []  # noqa: E731
        # 130 s of samples at 50 Hz is past the first five trials.
        wait_for_progress(proc.stderr, 130.0)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    csv = files()[0]
    on_disk = csv.read_bytes()  # what survived the kill
    rows_before = _complete_rows(on_disk)

    records = open_records(data)
    try:
        (s,) = records.sessions("P-1")
        assert s.status == "recording"
        found = recover_interrupted(records)
        assert [r.session_id for r in found] == [s.id]
        assert found[0].rows == rows_before
        s = records.session(s.id)
        assert s.status == "recovered" and f"{rows_before} rows kept" in s.status_note
        assert s.csv_rows == rows_before and s.device_serial == "SIM00001"
        result = records.load_result(s.id)
        assert len(result.trials) >= 5
        assert [t.passed for t in result.trials[:4]] == [True] * 4  # healthy: 22–28 held
        assert s.activation_score_mmhg == 8
        assert csv.read_bytes() == on_disk, "recovery must not touch the CSV"
        assert not lock_path(records, s.id).exists()
        assert recover_interrupted(records) == []  # once only
    finally:
        records.close()


def test_a_session_still_recording_is_left_alone(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    clinic_csv(active.csv_path)
    other = open_records(tmp_path / "data")  # e.g. the command line while the app records
    assert recover_interrupted(other) == []
    assert other.session(active.id).status == "recording"
    complete_session(records, active)
    assert other.session(active.id).status == "complete"
    assert recover_interrupted(other) == []
    other.close()
    records.close()


def test_a_process_that_died_before_writing_anything_is_recovered_empty(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "training")
    active.lock.release(remove=False)  # as if the process had died: the OS drops the lock
    (r,) = recover_interrupted(records)
    assert r.rows == 0 and "before any data" in r.note
    assert records.session(active.id).status == "recovered"
    records.close()


def test_sessions_of_another_computer_are_not_touched(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    clinic_csv(active.csv_path)
    active.lock.release(remove=False)
    records.conn.execute("UPDATE sessions SET host = 'other-pc' WHERE id = ?", (active.id,))
    assert recover_interrupted(records) == []
    assert [r.session_id for r in recover_interrupted(records, include_other_hosts=True)] == [
        active.id]
    records.close()


def test_the_lock_is_exclusive_across_handles(tmp_path):
    a, b = SessionLock(tmp_path / "x.lock"), SessionLock(tmp_path / "x.lock")
    assert a.acquire() and not b.acquire()
    a.release()
    assert b.acquire()
    b.release()
    assert not Path(tmp_path / "x.lock").exists()


def test_marks_made_during_the_recording_survive_a_crash(tmp_path):
    records = open_records(tmp_path / "data")
    records.add_patient("P-1")
    active = begin_session(records, "P-1", "clinic")
    clinic_csv(active.csv_path, 8, 10)  # the rows on disk when the app died
    records.mark_compensation(active.id, 6, "breath")  # stored as the therapist pressed 2
    records.override_verdict(active.id, 3, True)
    active.lock.release(remove=False)  # the process dies
    assert [r.session_id for r in recover_interrupted(records)] == [active.id]
    result = records.load_result(active.id)
    assert result.trials[6].manual_faults == ["breath"] and not result.trials[6].passed
    assert result.trials[3].verdict_override is True
    assert records.session(active.id).performance_index == 72
    records.close()
