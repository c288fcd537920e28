"""Records speed: opening a year of records, reports, exports, import and recovery.

    python benchmarks/bench_records.py [--quick]

Builds, in a temporary folder, the records of one patient over a year: a clinic test every
two weeks (14 trials) and home training twice a day (10 holds each) — 757 sessions — and ten
patients more with a clinic test a month: 877 sessions, about 9,400 trials. Then measures:
1. opening the database (integrity check, WAL, migration check) — the app does it at start;
2. history queries: one patient's sessions, the progress series, a year of adherence;
3. the one-page session report and the progress report (PDF), cold (first in the process,
   matplotlib's import included) and warm;
4. EDF+ export and the CSV import checks, for a 6-minute and a one-hour session at 50 Hz;
5. recovering an interrupted one-hour session (re-read and re-analyse its CSV).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cctf.analysis.offline import analyze_recording
from cctf.records.db import open_database
from cctf.records.recovery import begin_session, complete_session, recover_interrupted
from cctf.records.startup import open_records
from cctf.records.store import Records
from cctf.sessionfile import SessionWriter, read_session
from tests.records_helpers import clinic_csv, training_csv

YEAR = date(2025, 1, 6)


def timed(fn: Callable[[], object], repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def build_year(records: Records, work: Path) -> int:
    """A year of sessions, stored through the real save path (CSVs shared: the database
    does not read them when opening)."""
    clinic = analyze_recording(read_session(clinic_csv(work / "c.csv", 6, 7)))
    training = analyze_recording(read_session(training_csv(work / "t.csv", held=8)))
    conn = records.conn
    n = 0
    records.add_patient("P-YEAR")
    records.prescribe("P-YEAR", {"target_mmhg": 24}, sessions_per_day=2, start=YEAR)
    conn.execute("BEGIN")
    for day in range(365):
        when = datetime(2025, 1, 6, 8) + timedelta(days=day)
        plan = [("training", when), ("training", when + timedelta(hours=10))]
        if day % 14 == 0:
            plan.append(("clinic", when + timedelta(hours=2)))
        for kind, at in plan:
            sid = records.add_session("P-YEAR", kind, status="complete",
                                      started_at=at.astimezone().isoformat(),
                                      csv_path=work / f"s{n}.csv",
                                      prescription={"reps": 10} if kind == "training" else None)
            records.save_result(sid, clinic if kind == "clinic" else training)
            n += 1
    for k in range(10):
        records.add_patient(f"P-{k:03d}")
        for month in range(12):
            sid = records.add_session(f"P-{k:03d}", "clinic", status="complete",
                                      started_at=datetime(2025, month + 1, 3, 9).astimezone()
                                      .isoformat(), csv_path=work / f"s{n}.csv")
            records.save_result(sid, clinic)
            n += 1
    conn.execute("COMMIT")
    return n


def long_session(path: Path, seconds: float) -> Path:
    """Tile the synthetic clinic session to ``seconds`` at 50 Hz."""
    one = read_session(clinic_csv(path.with_name("one.csv"), 8, 10, rate_hz=50.0))
    period = float(one.t_s[-1] - one.t_s[0]) + 0.02
    reps = int(np.ceil(seconds / period))
    t = np.concatenate([one.t_s + k * period for k in range(reps)])
    keep = t < one.t_s[0] + seconds
    w = SessionWriter(path, {"started_at": "2025-03-03T10:00:00+01:00", "sample_rate_hz": 50,
                             "device_serial": "SIM00001"})
    w.write(t[keep], np.tile(one.pressure_mmhg, reps)[keep],
            np.tile(one.target_mmhg, reps)[keep], list(np.tile(one.phase, reps)[keep]))
    w.close()
    return path


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # recovery warns; not news here
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args()
    repeats = 2 if args.quick else 5
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data"
        records = open_records(data)
        t_build = time.perf_counter()
        n = build_year(records, work)
        t_build = time.perf_counter() - t_build
        (trials,) = records.conn.execute("SELECT count(*) FROM trials").fetchone()
        records.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        records.close()
        size_mb = (data / "cctf.db").stat().st_size / 1e6
        cond = f"{n} sessions, {trials} trials, {size_mb:.1f} MB"
        rows.append(("Store a session result", cond, f"{1e3 * t_build / n:.2f} ms each"))
        t_open = timed(lambda: open_database(data / "cctf.db").close(), repeats)
        rows.append(("Open the database (integrity check + checks)", cond,
                     f"{1e3 * t_open:.0f} ms"))
        conn = sqlite3.connect(data / "cctf.db")
        t_ic = timed(lambda: conn.execute("PRAGMA integrity_check").fetchall(), repeats)
        t_qc = timed(lambda: conn.execute("PRAGMA quick_check").fetchall(), repeats)
        conn.close()
        rows.append(("of which PRAGMA integrity_check", cond, f"{1e3 * t_ic:.0f} ms "
                     f"(quick_check {1e3 * t_qc:.0f} ms)"))

        from cctf.records.progress import adherence, progress_series

        records = open_records(data)
        t_hist = timed(lambda: records.sessions("P-YEAR"), repeats)
        t_prog = timed(lambda: progress_series(records, "P-YEAR"), repeats)
        t_adh = timed(lambda: adherence(records, "P-YEAR", YEAR, YEAR + timedelta(days=364)),
                      repeats)
        n_one = len(records.sessions("P-YEAR"))
        n_tests = len(progress_series(records, "P-YEAR"))
        rows.append(("One patient's history", f"{n_one} sessions", f"{1e3 * t_hist:.1f} ms"))
        rows.append(("Progress series · adherence", f"{n_tests} clinic tests · 365 days",
                     f"{1e3 * t_prog:.1f} ms · {1e3 * t_adh:.1f} ms"))

        active = begin_session(records, "P-YEAR", "clinic")
        clinic_csv(active.csv_path, 6, 7)
        sid = complete_session(records, active).id
        t0 = time.perf_counter()
        from cctf.records.report import report_input, write_session_report  # matplotlib too

        t_import = time.perf_counter() - t0
        write_session_report(report_input(records, sid), work / "r.pdf")
        cold = time.perf_counter() - t0
        warm = timed(lambda: write_session_report(report_input(records, sid), work / "r.pdf"),
                     repeats)
        rows.append(("Session report (one-page PDF)", "6-min session, 15 trials",
                     f"first {cold:.2f} s (import {t_import:.2f} s) · then {warm:.2f} s · "
                     f"{(work / 'r.pdf').stat().st_size // 1024} kB"))
        from cctf.records.progress_report import write_progress_report

        t_pr = timed(lambda: write_progress_report(records, "P-YEAR", work / "p.pdf",
                                                   today=YEAR + timedelta(days=364)), repeats)
        rows.append(("Progress report (PDF)", f"a year: {n_tests + 1} tests, 730 trainings",
                     f"{t_pr:.2f} s"))

        from cctf.records.edf import write_edf
        from cctf.records.importer import validate_session_file

        for label, seconds in (("6 min", 360.0), ("1 hour", 3600.0)):
            path = long_session(work / f"long-{seconds:.0f}.csv", seconds)
            rec = read_session(path)
            result = analyze_recording(rec)
            t_edf = timed(lambda rec=rec, result=result: write_edf(
                work / "x.edf", rec, result, patient_code="P", started=datetime(2025, 3, 3)),
                repeats)
            t_chk = timed(lambda path=path: validate_session_file(path, "x"), repeats)
            rows.append(("EDF+ export · import checks", f"{label} at 50 Hz ({len(rec)} rows)",
                         f"{1e3 * t_edf:.0f} ms · {1e3 * t_chk:.0f} ms"))

        hour = long_session(data / "sessions" / "P-YEAR" / "hour.csv", 3600.0)
        active = begin_session(records, "P-YEAR", "clinic", csv_path=hour)
        active.lock.release(remove=False)  # as if the process had been killed
        t_rec = timed(lambda: recover_interrupted(records))
        rows.append(("Recover an interrupted session", "1 hour at 50 Hz",
                     f"{t_rec:.2f} s (read, re-analyse, store)"))
        records.close()

    print(f"cctf records benchmark — Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, best of {repeats}\n")
    print("| Benchmark | Condition | Result |\n|---|---|---|")
    for name, cond, result in rows:
        print(f"| {name} | {cond} | {result} |")


if __name__ == "__main__":
    main()
