"""Issue 10, one regression test per defect: nothing lost, nothing overwritten, never a
traceback. (The hostile-input corpus is tests/test_bad_input_corpus.py; the property and
fuzz tests of the readers are tests/test_reader_properties.py.)"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cctf.cli import main
from cctf.errors import FileFormatError
from cctf.outputs import OutputError, resolve_output
from cctf.records.db import missing_wal_frames
from cctf.records.startup import open_records
from cctf.sessionfile import read_session

from .records_helpers import clinic_csv, snapshot


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_cctf_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("cctf:"), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def folder(tmp_path, capsys):
    """A data folder with a named patient, a prescription, two sessions and a backup."""
    root = tmp_path / "data"
    d = ("--data-dir", str(root))
    assert run(capsys, "patients", *d, "add", "P1", "--name", "Jane Doe",
               "--birth-year", "1970")[0] == 0
    assert run(capsys, "patients", *d, "prescribe", "P1", "--target", "26")[0] == 0
    for k in (1, 2):
        src = clinic_csv(tmp_path / f"s{k}.csv", activation_mmhg=4 + 2 * k,
                         metadata={"started_at": f"2025-03-0{k}T10:00:00+01:00"})
        assert run(capsys, "import", *d, str(src), "--patient", "P1")[0] == 0
    return root


# --- 1. a missing or empty database is refused, and cctf recover brings everything back ------


@pytest.mark.parametrize("damage", ["deleted", "emptied"])
def test_1_lost_database_is_refused_then_recover_restores_backup_and_csvs(folder, capsys,
                                                                          damage):
    d = ("--data-dir", str(folder))
    db = folder / "cctf.db"
    # The backup is from before the second session: the CSVs must bring that one back.
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM sessions WHERE id = 2")
    for old in (folder / "backups").glob("cctf-*.db"):
        old.unlink()
    records = open_records(folder)
    records.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    db.unlink() if damage == "deleted" else db.write_bytes(b"")
    before = snapshot(folder)
    for args in (("patients", *d), ("patients", *d, "add", "P2"), ("sessions", *d)):
        code, _, err = run(capsys, *args)
        line = one_cctf_line(err)
        assert code == 1 and "cctf recover" in line and ("missing" in line or "empty" in line)
    assert snapshot(folder) == before  # nothing was written first
    code, out, err = run(capsys, "recover", *d)
    assert code == 0, err
    code, out, _ = run(capsys, "patients", *d, "show", "P1", "--show-names")
    assert "Jane Doe" in out and "born 1970" in out and "26 mmHg" in out  # from the backup
    with sqlite3.connect(db) as conn:  # both sessions: one from the backup, one rebuilt
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2


def test_1_a_new_folder_still_starts_empty(tmp_path, capsys):
    code, out, _ = run(capsys, "patients", "--data-dir", str(tmp_path / "new"))
    assert code == 0 and "no patients yet" in out


# --- 2. sim --link never replaces a file it did not make ---------------------------------------


def test_2_sim_link_refuses_an_existing_file_and_leaves_it(tmp_path, capsys):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (tmp_path / "other.new").write_text("keep me too")
    for link in (victim, tmp_path / "other"):
        code, _, err = run(capsys, "sim", "--link", str(link))
        assert code == 1 and "not a port symlink cctf made" in one_cctf_line(err)
    assert victim.read_text() == "keep me"
    assert (tmp_path / "other.new").read_text() == "keep me too"
    for bad, words in ((tmp_path / "missing" / "port", "does not exist"),
                       (tmp_path, "not a port symlink")):
        code, _, err = run(capsys, "sim", "--link", str(bad))
        assert code == 1 and words in one_cctf_line(err)


def test_2_sim_removes_only_its_own_link(tmp_path):
    from cctf.sim.factory import build_firmware
    from cctf.sim.pty_server import PtyServer

    link = tmp_path / "port"
    os.symlink("/dev/pts/999", link)  # left behind by a killed simulator: may be replaced
    server = PtyServer(build_firmware("healthy", seed=1, autocue=True), link_path=link)
    server.start()
    try:
        assert os.readlink(link).startswith("/dev/pts/")
    finally:
        server.stop()
    assert not os.path.lexists(link)


# --- 3. -o never overwrites without --force; symlinks written through; specials refused -------


def test_3_outputs_follow_one_rule(tmp_path):
    existing = tmp_path / "a.csv"
    existing.write_text("mine")
    with pytest.raises(OutputError, match=r"exists.*--force"):
        resolve_output(existing)
    assert resolve_output(existing, force=True) == existing
    target = tmp_path / "real.csv"
    target.write_text("x")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert resolve_output(link, force=True) == target  # written through: the link stays
    os.mkfifo(tmp_path / "fifo")
    for special, words in ((tmp_path / "fifo", "FIFO"), (tmp_path, "a folder"),
                           (Path("/dev/null"), "a device")):
        with pytest.raises(OutputError, match=words):
            resolve_output(special, force=True)
    with pytest.raises(OutputError, match="does not exist"):
        resolve_output(tmp_path / "nope" / "x.csv")


def test_3_export_and_report_refuse_to_overwrite(folder, tmp_path, capsys):
    d = ("--data-dir", str(folder))
    out = tmp_path / "out.csv"
    out.write_text("precious")
    code, _, err = run(capsys, "export", *d, "1", "-o", str(out))
    assert code == 1 and "--force" in one_cctf_line(err) and out.read_text() == "precious"
    target = tmp_path / "target.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run(capsys, "export", *d, "1", "-o", str(link), "--force")[0] == 0
    assert link.is_symlink() and target.read_text().startswith("# cctf_session_format")
    code, _, err = run(capsys, "export", *d, "1", "-o", "/dev/full", "--force")
    assert code == 1 and "a device" in one_cctf_line(err)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    pdf = tmp_path / "r.pdf"
    pdf.write_text("mine")
    code, _, err = run(capsys, "report", *d, "1", "-o", str(pdf))
    assert code == 1 and pdf.read_text() == "mine"


def test_3_record_never_truncates_an_existing_file(tmp_path, capsys):
    out = tmp_path / "existing.csv"
    out.write_text("20 000 rows of a session\n")
    code, _, err = run(capsys, "record", "--sim", "--fast", "--seconds", "2", "-o", str(out))
    assert code == 1 and "--force" in one_cctf_line(err)
    assert out.read_text() == "20 000 rows of a session\n"
    assert run(capsys, "record", "--sim", "--fast", "--seconds", "2", "-o", str(out),
               "--force")[0] == 0
    assert len(read_session(out)) > 50


# --- 4. WAL: checkpointed after each session and at close; a missing WAL is detected ----------


def test_4_committed_data_survives_losing_the_wal_while_another_connection_is_open(folder,
                                                                                     capsys):
    db = folder / "cctf.db"
    other = sqlite3.connect(db)  # e.g. the app, left open
    other.execute("SELECT count(*) FROM patients").fetchone()
    try:
        assert run(capsys, "patients", "--data-dir", str(folder), "add", "P2")[0] == 0
        wal = folder / "cctf.db-wal"
        if wal.exists():
            wal.unlink()
        fresh = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        codes = [r[0] for r in fresh.execute("SELECT code FROM patients").fetchall()]
        fresh.close()
        assert "P2" in codes
    finally:
        other.close()


def test_4_a_missing_wal_is_detected_not_ignored(tmp_path, capsys):
    db = tmp_path / "data" / "cctf.db"
    records = open_records(tmp_path / "data")
    records.add_patient("P1")
    holder = sqlite3.connect(db)  # keeps the WAL alive
    holder.execute("PRAGMA wal_autocheckpoint=0")
    holder.execute("INSERT INTO patients (code, notes, created_at) VALUES ('P9', '', 'x')")
    assert missing_wal_frames(db) == 0
    shutil.copy(db.with_name("cctf.db-shm"), tmp_path / "shm")
    os.unlink(db.with_name("cctf.db-wal"))
    assert missing_wal_frames(db) > 0
    code, _, err = run(capsys, "patients", "--data-dir", str(tmp_path / "data"))
    line = one_cctf_line(err)
    assert code == 1 and "write-ahead log" in line and "--repair-database" in line
    holder.close()
    records.conn.close()


# --- 5. impossible stored values are reported, never shown; recover computes them again ------


def test_5_damaged_values_are_reported_and_recomputed_from_the_csv(folder, capsys):
    d = ("--data-dir", str(folder))
    _, before, _ = run(capsys, "sessions", *d, "1", "--json")
    with sqlite3.connect(folder / "cctf.db") as conn:
        conn.execute("UPDATE sessions SET activation_score_mmhg = -7.3e167 WHERE id = 1")
        conn.execute("UPDATE trials SET hold_mean_mmhg = 1e300 WHERE session_id = 2")
    for sid in ("1", "2"):
        code, out, err = run(capsys, "sessions", *d, sid, "--json")
        assert code == 1 and "damaged" in one_cctf_line(err) and "e+167" not in out
    code, out, _ = run(capsys, "recover", *d)
    assert code == 0 and "session 1 was damaged" in out and "session 2 was damaged" in out
    _, after, _ = run(capsys, "sessions", *d, "1", "--json")
    assert after == before


# --- 6. damaged text, a database path that is a folder -----------------------------------------


def test_6_damaged_text_is_shown_marked_and_repair_works(folder, capsys):
    d = ("--data-dir", str(folder))
    with sqlite3.connect(folder / "cctf.db") as conn:
        conn.execute("UPDATE patients SET name = CAST(X'4a616e65ff20446f65' AS TEXT)")
    for args in (("patients", *d, "--show-names"), ("sessions", *d),
                 ("recover", *d, "--repair-database")):
        code, _, err = run(capsys, *args)
        assert code == 0 and "Traceback" not in err, (args, err)
    assert "Jane\ufffd Doe" in run(capsys, "patients", *d, "--show-names")[1]


def test_6_a_database_path_that_is_a_folder(tmp_path, capsys):
    root = tmp_path / "data"
    (root / "cctf.db").mkdir(parents=True)
    for args in (("patients",), ("sessions",), ("recover",)):
        code, _, err = run(capsys, *args, "--data-dir", str(root))
        assert code == 1 and "is a folder" in one_cctf_line(err)


# --- 7. a full disk ------------------------------------------------------------------------


def _tmpfs(path: Path, size: str) -> None:
    path.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(path)], capture_output=True)
    except OSError:  # no mount command
        pytest.skip("cannot mount a tmpfs here: full-disk test skipped")
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root): full-disk test skipped")


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    _tmpfs(disk, "2m")
    yield disk
    with contextlib.suppress(OSError):
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def test_7_a_full_disk_is_said_as_such(small_disk, tmp_path, capsys):
    root = small_disk / "data"
    d = ("--data-dir", str(root))
    assert run(capsys, "patients", *d, "add", "P1")[0] == 0
    src = clinic_csv(tmp_path / "s.csv")
    _fill(small_disk)
    for args in (("patients", *d, "add", "P2", "--notes", "x" * 20000),
                 ("import", *d, str(src), "--patient", "P1"),
                 ("record", "--sim", "--fast", "--seconds", "5", "-o",
                  str(small_disk / "r.csv")),
                 ("record", "--sim", "--fast", "--seconds", "5", "--patient", "P1", *d),
                 ("sessions", *d)):
        code, _, err = run(capsys, *args)
        line = one_cctf_line(err)
        assert code == 1 and line.startswith("cctf: the disk is full ("), (args, err)
        assert " MB free in " in line
    (small_disk / "filler").unlink()
    code, out, _ = run(capsys, "patients", *d)
    assert code == 0 and "P1" in out


# --- 8. record -o to bad places --------------------------------------------------------------


@pytest.mark.parametrize("where", ["missing/x.csv", "", ".", "/proc/x", "ro/x.csv"])
def test_8_record_output_in_a_bad_place(tmp_path, capsys, where):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    target = where if where.startswith("/") or where in ("", ".") else str(tmp_path / where)
    if where == "ro/x.csv" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    try:
        code = main(["record", "--sim", "--fast", "--seconds", "1", "-o", target])
    except SystemExit as exc:  # argparse: the empty name
        code = exc.code
    line = one_cctf_line(capsys.readouterr().err)
    assert (code, where == "") in ((1, False), (2, True))
    assert (target in line or "empty" in line) and ".part" not in line


# --- 9. archives with a bad manifest or damaged members --------------------------------------


def test_9_damaged_archives_change_nothing(folder, tmp_path, capsys):
    d = ("--data-dir", str(folder))
    good = tmp_path / "p.zip"
    assert run(capsys, "export", *d, "--patient", "P1", "-o", str(good))[0] == 0
    with zipfile.ZipFile(good) as zf:
        manifest = zf.read("manifest.json").decode()
        members = {n: zf.read(n) for n in zf.namelist()}
    bad_manifest = tmp_path / "m.zip"
    with zipfile.ZipFile(bad_manifest, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, manifest.replace('"sessions_per_day": 2', '"sessions_per_day": "abc"')
                        if n == "manifest.json" else data)
    crc = tmp_path / "crc.zip"
    raw = bytearray(good.read_bytes())
    name = next(n for n in members if n.endswith(".csv")).encode()
    at = raw.index(name) + len(name) + 40  # inside the first CSV's compressed data
    raw[at] ^= 0xFF
    crc.write_bytes(bytes(raw))
    before = snapshot(folder)
    for archive in (bad_manifest, crc):
        code, _, err = run(capsys, "import", *d, str(archive), "--as", "P7")
        assert code == 2, err
        one_cctf_line(err)
    assert snapshot(folder) == before


# --- 10. argument validation -----------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("sessions", "99999999999999999999"), ("export", "99999999999999999999", "-o", "x.csv"),
    ("report", "99999999999999999999", "-o", "x.pdf")])
def test_10_huge_ids(folder, tmp_path, capsys, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *args, "--data-dir", str(folder))
    assert code == 1 and "no session" in one_cctf_line(err)


@pytest.mark.parametrize("args", [
    ("sim", "--seed", "-1"), ("record", "--sim", "--seconds", "1", "-o", "x.csv", "--seed", "-1"),
    ("report", "1", "-o", "x.pdf", "--srd", "nan"), ("report", "1", "-o", "x.pdf", "--srd", "inf"),
    ("patients", "prescribe", "P1", "--hold", "nan")])
def test_10_bad_numbers_are_argument_errors(tmp_path, capsys, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--data-dir", str(tmp_path)] if args[0] != "sim" else list(args))
    code = exit_.value.code
    err = capsys.readouterr().err
    assert code == 2, err
    one_cctf_line(err)


@pytest.mark.parametrize("srd", ["0", "-5"])
def test_10_srd_must_be_positive(folder, tmp_path, capsys, srd):
    code, _, err = run(capsys, "report", "--data-dir", str(folder), "1", "-o",
                       str(tmp_path / "r.pdf"), "--srd", srd)
    assert code == 2 and "--srd" in one_cctf_line(err) and not (tmp_path / "r.pdf").exists()


def test_10_a_deeply_nested_scenario(tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, _, err = run(capsys, "record", "--sim", str(deep), "--fast", "--seconds", "1", "-o",
                       str(tmp_path / "x.csv"))
    assert code == 2 and "nested too deeply" in one_cctf_line(err)


# --- 11. unbounded inputs --------------------------------------------------------------------


def test_11_only_regular_files_are_read(tmp_path, capsys):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for path in ("/dev/zero", "/dev/urandom", str(fifo), str(tmp_path)):
        code, _, err = run(capsys, "analyze", path)
        assert code == 2 and "regular file" in one_cctf_line(err)


def test_11_a_long_line_is_refused_early(tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes(b"t_s,pressure_mmhg,target_mmhg,phase\n" + b"1" * (5 << 20))
    with pytest.raises(FileFormatError, match="line 2: line longer than"):
        read_session(path)


def test_11_scenario_values_are_bounded(tmp_path, capsys):
    big = tmp_path / "big.toml"
    big.write_text("[schedule]\nn_stages = 100000000\n")
    code, _, err = run(capsys, "record", "--sim", str(big), "--fast", "--seconds", "1", "-o",
                       str(tmp_path / "x.csv"))
    assert code == 2 and "n_stages" in one_cctf_line(err)


# --- 13. odd values: time that does not increase, impossible pressures ------------------------


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n" + "\n".join(rows) + "\n")
    return path


def test_13_time_must_increase_and_pressures_be_possible(tmp_path):
    with pytest.raises(FileFormatError, match="line 3: t_s does not increase"):
        read_session(_csv(tmp_path / "a.csv", ["1.0,20,,", "1.0,20,,", "1.0,20,,"]))
    with pytest.raises(FileFormatError, match="line 3: pressure_mmhg 1e\\+300 is outside"):
        read_session(_csv(tmp_path / "b.csv", ["0.0,20,,", "0.1,1e300,,"]))
    with pytest.raises(FileFormatError, match="line 2: pressure_mmhg -51 is outside"):
        read_session(_csv(tmp_path / "c.csv", ["0.0,-51,,"]))
    assert len(read_session(_csv(tmp_path / "d.csv", ["0.0,-50,,", "0.1,400,,"]))) == 2


# --- 14. spreadsheet formulas ----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "# note: harmless,=cmd|' /C calc'!A0\n", "# =cmd: x\n", "# note: @SUM(A1)\n",
    "# note: \t=1+1\n", "# note: \"=1+1\"\n", "# note: -2+3+cmd|x\n", "# x: ＝1+1\n"])
def test_14_formulas_in_metadata_are_refused_on_import(folder, tmp_path, capsys, text):
    src = clinic_csv(tmp_path / "s.csv")
    src.write_text(text + src.read_text())
    before = snapshot(folder)
    code, _, err = run(capsys, "import", "--data-dir", str(folder), str(src), "--patient", "P1")
    assert code == 2 and "spreadsheet formula" in one_cctf_line(err)
    assert snapshot(folder) == before


@pytest.mark.parametrize("cell", ['"=1+1"', "=1+1", "+cmd|x", "@A1", " =1", "'=1"])
def test_14_formulas_in_data_cells_are_refused(folder, tmp_path, capsys, cell):
    src = clinic_csv(tmp_path / "s.csv")
    lines = src.read_text().splitlines()
    k = next(i for i, x in enumerate(lines) if x.startswith("t_s")) + 3
    fields = lines[k].split(",")
    fields[4] = cell
    lines[k] = ",".join(fields)
    src.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "import", "--data-dir", str(folder), str(src), "--patient", "P1")
    assert code == 2, err
    one_cctf_line(err)


def test_14_export_never_writes_a_formula(folder, tmp_path, capsys):
    with sqlite3.connect(folder / "cctf.db") as conn:
        rel = conn.execute("SELECT csv_path FROM sessions WHERE id = 1").fetchone()[0]
    path = folder / rel
    path.chmod(0o600)
    path.write_text("# note: x,=HYPERLINK(\"http://evil\")\n" + path.read_text())
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "export", "--data-dir", str(folder), "1", "-o", str(out))
    assert code == 2 and "spreadsheet formula" in one_cctf_line(err) and not out.exists()


# --- 15. the same CSV twice ------------------------------------------------------------------


def test_15_importing_the_same_content_twice_is_refused(folder, tmp_path, capsys):
    src = tmp_path / "s1.csv"  # imported by the fixture
    copy = tmp_path / "renamed.csv"
    shutil.copy(src, copy)
    code, _, err = run(capsys, "import", "--data-dir", str(folder), str(copy), "--patient", "P1")
    assert code == 1 and "already in the records" in one_cctf_line(err)


# --- 16. a trailing outage -------------------------------------------------------------------


def test_16_an_outage_open_at_the_end_is_a_gap(tmp_path, capsys):
    cut = tmp_path / "cut.toml"
    cut.write_text('name = "cut"\n[link]\ndisconnects_s = [[10.0, 100.0]]\n')
    out = tmp_path / "cut.csv"
    code, _, err = run(capsys, "record", "--sim", str(cut), "--fast", "--seconds", "30", "-o",
                       str(out))
    assert code == 0
    assert "(1 gaps, 20." in err  # the summary
    rec = read_session(out)
    assert rec.metadata["link_gaps"] == "1" and float(rec.metadata["link_gap_s"]) > 19.5
    assert "open at the end" in rec.metadata["link_events"]
    code, report, _ = run(capsys, "analyze", str(out), "--json")
    import json

    gaps = [e for e in json.loads(report)["session_events"] if e["type"] == "signal_gap"]
    assert len(gaps) == 1 and gaps[0]["value"] > 19.5


# --- 17. concurrent recordings of one patient -------------------------------------------------


def test_17_concurrent_recordings_never_collide(tmp_path, capsys):
    root = tmp_path / "data"
    assert run(capsys, "patients", "--data-dir", str(root), "add", "P1")[0] == 0
    entry = "import sys; from cctf.cli import main; sys.exit(main())"
    cmd = [sys.executable, "-c", entry, "record", "--sim", "--fast", "--seconds", "2",
           "--patient", "P1", "--data-dir", str(root)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [r[1][-300:] for r in results]
    assert len(list((root / "sessions" / "P1").glob("*.csv"))) == 4


# --- 18. messages -----------------------------------------------------------------------------


def test_18_output_errors_name_what_the_user_typed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    _, _, err = run(capsys, "record", "--sim", "--fast", "--seconds", "1", "-o", "adir")
    line = one_cctf_line(err)
    assert "adir is a folder" in line and ".part" not in line


@pytest.mark.parametrize("chunk", [1, 2, 1 << 20])
def test_18_a_byte_order_mark_is_accepted(tmp_path, monkeypatch, chunk):
    import cctf.sessionread

    monkeypatch.setattr(cctf.sessionread, "CHUNK_BYTES", chunk)  # the mark split over reads
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf# source: spreadsheet\nt_s,pressure_mmhg,target_mmhg,phase\r\n"
                     b"0.0,20.0,,\r\n0.02,20.1,22,stage\r\n")
    rec = read_session(path)
    assert rec.metadata["source"] == "spreadsheet" and list(rec.phase) == ["", "stage"]


def test_18_a_rate_error_names_the_file(tmp_path, capsys):
    path = tmp_path / "fast.csv"
    t = np.arange(200) * 0.0004
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n"
                    + "".join(f"{x:.4f},20.0,,\n" for x in t))
    for args in (("analyze", str(path)), ("report", str(path), "-o", str(tmp_path / "r.pdf"),
                                          "--data-dir", str(tmp_path / "data"))):
        code, _, err = run(capsys, *args)
        assert code == 2 and str(path) in one_cctf_line(err) and "rate_hz" in err


def test_18_a_compensation_table_without_kind(tmp_path, capsys):
    bad = tmp_path / "s.toml"
    bad.write_text("[[compensations]]\nprobability = 0.5\n")
    code, _, err = run(capsys, "record", "--sim", str(bad), "--fast", "--seconds", "1", "-o",
                       str(tmp_path / "x.csv"))
    line = one_cctf_line(err)
    assert code == 2 and "missing key 'kind'" in line and "__init__" not in line


@pytest.mark.parametrize(("end_after_s", "gap"), [(0.4, False), (5.0, True)])
def test_16_only_an_outage_counts_not_the_last_delivery(tmp_path, end_after_s, gap):
    from cctf.analysis.offline import analyze_recording

    t = np.arange(1, 501) * 0.02
    path = tmp_path / "s.csv"
    path.write_text(f"# recording_end_s: {t[-1] + end_after_s:.3f}\n"
                    "t_s,pressure_mmhg,target_mmhg,phase\n"
                    + "".join(f"{x:.4f},20.0,,\n" for x in t))
    events = [e for e in analyze_recording(read_session(path)).session_events
              if e.type == "signal_gap"]
    assert bool(events) == gap
    if gap:
        assert events[0].t_s == pytest.approx(t[-1]) and events[0].value == pytest.approx(5.0)
