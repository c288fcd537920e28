"""The hostile-input corpus (issue 10): every subcommand × hostile arguments and files.

Each case runs ``cctf`` in a child process with a time bound (``TIME_BOUND_S``: a hang is a
failure) and asserts: exactly one line on stderr, starting ``cctf:``, no traceback; the
documented exit status (2 for bad arguments and malformed files, 1 for everything else a user
can act on); no stray output file. Afterwards the data folder and the hostile files are byte
for byte as they were (every file, the database included). Cases run four at a time."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .records_helpers import clinic_csv

TIME_BOUND_S = 60.0
ENTRY = "import sys; from cctf.cli import main; sys.exit(main())"


def _cctf(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", ENTRY, *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=TIME_BOUND_S, stdin=subprocess.DEVNULL)


def _bytes(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        elif not path.is_file():
            out[rel] = f"special {stat.S_IFMT(path.lstat().st_mode):o}"  # a FIFO: never read
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A data folder with one patient and one session (and today's backup), and a folder of
    hostile files."""
    base = tmp_path_factory.mktemp("corpus")
    data = base / "data"
    files = base / "files"
    files.mkdir()
    env = {**os.environ, "CCTF_DATA_DIR": str(data)}
    src = clinic_csv(files / "good.csv")
    for args in (["patients", "add", "P1"], ["import", str(src), "--patient", "P1"],
                 ["patients", "list"]):
        done = _cctf(args, env, base)
        assert done.returncode == 0, done.stderr
    (files / "existing.csv").write_text("precious\n")
    (files / "empty.csv").write_bytes(b"")
    (files / "binary.csv").write_bytes(bytes(range(256)) * 64)
    (files / "notutf8.csv").write_bytes(b"t_s,pressure_mmhg,target_mmhg,phase\n0.0,2\xff0,,\n")
    (files / "longline.csv").write_bytes(b"t_s,pressure_mmhg,target_mmhg,phase\n"
                                         + b"9" * (1 << 20))
    (files / "stuck.csv").write_text("t_s,pressure_mmhg,target_mmhg,phase\n"
                                     + "1.0,20,,\n" * 50)
    (files / "huge.csv").write_text("t_s,pressure_mmhg,target_mmhg,phase\n0,20,,\n0.1,1e300,,\n")
    (files / "formula.csv").write_text("# note: harmless,=cmd|' /C calc'!A0\n"
                                       + src.read_text())
    (files / "quoted.csv").write_text(src.read_text().replace(",4\n", ',"=1+1"\n', 1))
    (files / "adir").mkdir()
    os.mkfifo(files / "fifo.csv")
    os.mkfifo(files / "fifo.zip")
    (files / "deep.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    (files / "stages.toml").write_text("[schedule]\nn_stages = 100000000\n")
    (files / "nokind.toml").write_text("[[compensations]]\nprobability = 0.5\n")
    (files / "junk.zip").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with zipfile.ZipFile(files / "manifest.zip", "w") as zf:
        zf.writestr("manifest.json", '{"format": "cctf-patient-archive", "format_version": 1, '
                    '"patient": {"code": "P9"}, "sessions": [], "prescriptions": '
                    '[{"start_date": "2025-01-01", "prescription": {}, '
                    '"sessions_per_day": "abc"}]}')
    (files / "link.csv").symlink_to(files / "existing.csv")
    return {"data": data, "files": files, "env": env, "base": base}


F = "{files}"
# (id, arguments, exit status, a few words the line must hold)
CASES: list[tuple[str, list[str], int, str]] = [
    ("no-command-arg", ["--bogus"], 2, "unrecognized"),
    ("ports-timeout", ["ports", "--timeout", "-1"], 2, "seconds"),
    ("scenarios-extra", ["scenarios", "extra"], 2, "unrecognized"),
    ("recover-datadir-file", ["recover", "--data-dir", f"{F}/existing.csv"], 1, "data folder"),
    ("recover-bogus", ["recover", "--bogus"], 2, "unrecognized"),
    ("sim-seed", ["sim", "--seed", "-1"], 2, "seed"),
    ("sim-rate", ["sim", "--rate-hz", "0"], 2, "rate"),
    ("sim-link-file", ["sim", "--link", f"{F}/existing.csv"], 1, "not a port symlink"),
    ("sim-link-dir", ["sim", "--link", f"{F}/adir"], 1, "not a port symlink"),
    ("sim-link-missing", ["sim", "--link", f"{F}/missing/port"], 1, "does not exist"),
    ("sim-scenario-deep", ["sim", "--scenario", f"{F}/deep.toml"], 2, "nested too deeply"),
    ("sim-scenario-fifo", ["sim", "--scenario", f"{F}/fifo.csv"], 2, "not a regular file"),
    ("record-seconds-nan", ["record", "--sim", "--seconds", "nan", "-o", "x.csv"], 2, "seconds"),
    ("record-seed", ["record", "--sim", "--seconds", "1", "-o", "x.csv", "--seed", "-1"], 2,
     "seed"),
    ("record-o-existing", ["record", "--sim", "--fast", "--seconds", "1", "-o",
                           f"{F}/existing.csv"], 1, "--force"),
    ("record-o-link", ["record", "--sim", "--fast", "--seconds", "1", "-o", f"{F}/link.csv"], 1,
     "--force"),
    ("record-o-dir", ["record", "--sim", "--fast", "--seconds", "1", "-o", f"{F}/adir"], 1,
     "is a folder"),
    ("record-o-missing", ["record", "--sim", "--fast", "--seconds", "1", "-o",
                          f"{F}/missing/x.csv"], 1, "does not exist"),
    ("record-o-empty", ["record", "--sim", "--fast", "--seconds", "1", "-o", ""], 2, "empty"),
    ("record-o-proc", ["record", "--sim", "--fast", "--seconds", "1", "-o", "/proc/x"], 1,
     "/proc/x"),
    ("record-o-fifo", ["record", "--sim", "--fast", "--seconds", "1", "-o", f"{F}/fifo.csv",
                       "--force"], 1, "FIFO"),
    ("record-stages", ["record", "--sim", f"{F}/stages.toml", "--fast", "--seconds", "1", "-o",
                       "x.csv"], 2, "n_stages"),
    ("record-nokind", ["record", "--sim", f"{F}/nokind.toml", "--fast", "--seconds", "1", "-o",
                       "x.csv"], 2, "missing key 'kind'"),
    ("record-unknown-patient", ["record", "--sim", "--fast", "--seconds", "1", "--patient",
                                "NOPE"], 1, "no patient"),
    ("analyze-zero", ["analyze", "/dev/zero"], 2, "regular file"),
    ("analyze-urandom", ["analyze", "/dev/urandom"], 2, "regular file"),
    ("analyze-fifo", ["analyze", f"{F}/fifo.csv"], 2, "regular file"),
    ("analyze-dir", ["analyze", f"{F}/adir"], 2, "a folder"),
    ("analyze-missing", ["analyze", f"{F}/nope.csv"], 2, "cannot read"),
    ("analyze-empty", ["analyze", f"{F}/empty.csv"], 2, "no column header"),
    ("analyze-binary", ["analyze", f"{F}/binary.csv"], 2, "not a text file"),
    ("analyze-notutf8", ["analyze", f"{F}/notutf8.csv"], 2, "UTF-8"),
    ("analyze-longline", ["analyze", f"{F}/longline.csv"], 2, "line longer"),
    ("analyze-stuck-time", ["analyze", f"{F}/stuck.csv"], 2, "does not increase"),
    ("analyze-huge-pressure", ["analyze", f"{F}/huge.csv"], 2, "outside"),
    ("analyze-chunk", ["analyze", f"{F}/good.csv", "--chunk-size", "0"], 2, "at least 1"),
    ("calibrate-points", ["calibrate", "--sim", "--points", "abc", "--yes"], 2, "points"),
    ("patients-bad-id", ["patients", "add", "../etc"], 2, "ID"),
    ("patients-year", ["patients", "add", "P2", "--birth-year", "99999999999999999999"], 2,
     "birth year"),
    ("patients-unknown", ["patients", "show", "NOPE"], 1, "no patient"),
    ("patients-delete-unconfirmed", ["patients", "delete", "P1"], 1, "--yes"),
    ("patients-hold-nan", ["patients", "prescribe", "P1", "--hold", "nan"], 2, "finite"),
    ("sessions-huge", ["sessions", "99999999999999999999"], 1, "no session"),
    ("sessions-text", ["sessions", "abc"], 1, "not a session id"),
    ("sessions-notes", ["sessions", "--notes", "x"], 2, "needs a SESSION"),
    ("import-fifo", ["import", f"{F}/fifo.csv", "--patient", "P1"], 2, "regular file"),
    ("import-fifo-zip", ["import", f"{F}/fifo.zip"], 2, "regular file"),
    ("import-zero", ["import", "/dev/zero", "--patient", "P1"], 2, "regular file"),
    ("import-binary", ["import", f"{F}/binary.csv", "--patient", "P1"], 2, "binary"),
    ("import-formula", ["import", f"{F}/formula.csv", "--patient", "P1"], 2, "formula"),
    ("import-quoted", ["import", f"{F}/quoted.csv", "--patient", "P1"], 2, "formula"),
    ("import-twice", ["import", f"{F}/good.csv", "--patient", "P1"], 1, "already in the records"),
    ("import-junk-zip", ["import", f"{F}/junk.zip"], 2, "zip"),
    ("import-manifest", ["import", f"{F}/manifest.zip"], 2, "sessions_per_day"),
    ("import-no-patient", ["import", f"{F}/good.csv"], 2, "--patient"),
    ("export-huge", ["export", "99999999999999999999", "-o", "x.csv"], 1, "no session"),
    ("export-existing", ["export", "1", "-o", f"{F}/existing.csv"], 1, "--force"),
    ("export-dev-full", ["export", "1", "-o", "/dev/full", "--force"], 1, "a device"),
    ("export-dir", ["export", "1", "-o", f"{F}/adir", "--force"], 1, "a folder"),
    ("export-fifo", ["export", "1", "-o", f"{F}/fifo.csv", "--force"], 1, "FIFO"),
    ("report-srd-nan", ["report", "1", "-o", "r.pdf", "--srd", "nan"], 2, "finite"),
    ("report-srd-zero", ["report", "1", "-o", "r.pdf", "--srd", "0"], 2, "--srd"),
    ("report-huge", ["report", "99999999999999999999", "-o", "r.pdf"], 1, "no session"),
    ("report-existing", ["report", "1", "-o", f"{F}/existing.csv"], 1, "--force"),
]


@pytest.fixture(scope="module")
def outcomes(world, tmp_path_factory):
    """Every case run once, four at a time (each in its own empty working folder), with
    the data folder and the hostile files compared byte for byte before and after all."""
    data_before = _bytes(world["data"])
    files_before = _bytes(world["files"])

    def one(case: tuple[str, list[str], int, str]):
        cwd = tmp_path_factory.mktemp(case[0])
        args = [a.replace("{files}", str(world["files"])) for a in case[1]]
        return case[0], (_cctf(args, world["env"], cwd), cwd)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(pool.map(one, CASES))
    return results, data_before, files_before


@pytest.mark.parametrize(("case", "status", "words"), [(c[0], c[2], c[3]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_hostile_input_gets_one_line(outcomes, case, status, words):
    done, cwd = outcomes[0][case]
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and lines[0].startswith("cctf:"), done.stderr
    assert done.returncode == status, done.stderr
    assert words.lower() in lines[0].lower(), lines[0]
    assert list(cwd.iterdir()) == []  # no stray output either


def test_hostile_input_changed_nothing(world, outcomes):
    _, data_before, files_before = outcomes
    assert _bytes(world["data"]) == data_before  # byte for byte, the database included
    assert _bytes(world["files"]) == files_before
