"""Backups of the records database taken by several cctf processes at once.

Four `cctf record --patient` processes started together each took the day's first backup
through the same ``cctf-<date>.db.part`` file: one deleted the copy another was still
writing, which failed with "disk I/O error" / "attempt to write a readonly database" and
stopped that recording (tests/test_data_safety.py::test_17 failed about 1 run in 4)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from cctf.cli import main
from cctf.records.db import backup, daily_backup, open_database, remove_stale_parts


def _db(tmp_path: Path) -> sqlite3.Connection:
    conn = open_database(tmp_path / "cctf.db")
    conn.execute("INSERT INTO patients (code, created_at) VALUES ('P1', '2026-12-01T10:00:00Z')")
    return conn


def _codes(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
        return [r[0] for r in c.execute("SELECT code FROM patients")]


def test_a_copy_in_progress_elsewhere_is_not_touched(tmp_path):
    """Another process's half-made copy (its temporary file, open) stays as it is."""
    conn = _db(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    other = folder / "cctf-2026-12-01.db.part"  # the name every process used before
    other.write_bytes(b"another process is writing this")
    inode = other.stat().st_ino
    made = backup(conn, folder / "cctf-2026-12-01.db")
    assert made == folder / "cctf-2026-12-01.db" and _codes(made) == ["P1"]
    assert other.stat().st_ino == inode and other.read_bytes() == b"another process is writing this"
    assert not list(folder.glob(".cctf-*.part"))  # its own temporary file is gone


def test_a_backup_never_replaces_a_file(tmp_path):
    conn = _db(tmp_path)
    dest = tmp_path / "cctf-before-v7-from-v6.db"
    dest.write_bytes(b"an older copy")
    made = backup(conn, dest)
    assert dest.read_bytes() == b"an older copy"
    assert made == tmp_path / "cctf-before-v7-from-v6-2.db" and _codes(made) == ["P1"]
    assert backup(conn, dest) == tmp_path / "cctf-before-v7-from-v6-3.db"
    assert backup(conn, dest, keep_existing=True) is None
    assert dest.read_bytes() == b"an older copy"


def test_the_days_backup_made_meanwhile_by_another_process_is_kept(tmp_path, monkeypatch):
    conn = _db(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    dest = folder / "cctf-2026-12-01.db"
    real_backup = conn.backup

    class Racing:  # the other process publishes its copy while this one is copying
        def __getattr__(self, name):
            return getattr(conn, name)

        def backup(self, target):
            real_backup(target)
            dest.write_bytes(b"the other process's copy")

    assert daily_backup(Racing(), folder, date(2026, 12, 1)) is None
    assert dest.read_bytes() == b"the other process's copy"
    assert sorted(p.name for p in folder.iterdir()) == ["cctf-2026-12-01.db"]


def test_only_old_half_made_copies_of_cctf_are_removed(tmp_path):
    old = tmp_path / ".cctf-2026-11-30.db.abc123.part"
    young = tmp_path / ".cctf-2026-12-01.db.def456.part"
    foreign = tmp_path / ".notes.part"
    for p in (old, young, foreign):
        p.write_bytes(b"x")
    past = time.time() - 2 * 3600
    os.utime(old, (past, past))
    os.utime(foreign, (past, past))
    remove_stale_parts(tmp_path)
    assert not old.exists() and young.exists() and foreign.exists()


def test_four_recordings_started_together_all_land(tmp_path, capsys):
    """The scenario that failed, several times over (each round a fresh data folder, so
    every round races for the day's first backup)."""
    entry = "import sys; from cctf.cli import main; sys.exit(main())"
    for round_ in range(3):
        root = tmp_path / f"data{round_}"
        assert main(["patients", "--data-dir", str(root), "add", "P1"]) == 0
        cmd = [sys.executable, "-c", entry, "record", "--sim", "--fast", "--seconds", "1",
               "--patient", "P1", "--data-dir", str(root)]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(4)]
        errs = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [e[-300:] for e in errs]
        assert len(list((root / "sessions" / "P1").glob("*.csv"))) == 4
        assert [p.name for p in (root / "backups").iterdir()] == [f"cctf-{date.today()}.db"]
    capsys.readouterr()
