"""Head angles of clinic tests stored before records v7 (issue 17): what progress costs.

    python benchmarks/bench_head_progress.py [--sessions 6] [--rate 250]

Progress (the history window, on every change to the records, and the progress report) takes
such a test's angles from its session file's analysis (``cctf.records.head_file``). Builds one
patient with ``--sessions`` clinic tests of about 6 minutes at ``--rate`` Hz, every other one
with the head sensor's columns, the records' angles emptied as before v7, and times
``head_progress`` over them: plain (every file analysed on every call) against remembered
(each file analysed once while it stays unchanged). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cctf.records import head_file
from cctf.records.progress import progress
from cctf.records.progress_head import head_progress
from cctf.records.recovery import begin_session, complete_session
from cctf.records.startup import open_records
from tests.records_helpers import clinic_csv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--rate", type=float, default=250.0)
    ap.add_argument("--calls", type=int, default=3)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        records = open_records(Path(tmp) / "data")
        records.add_patient("P-1")
        for day in range(1, args.sessions + 1):
            a = begin_session(records, "P-1", "clinic", started_at=datetime(2025, 3, day, 10))
            clinic_csv(a.csv_path, 8, 10, rate_hz=args.rate,
                       head_deg_per_mmhg=0.5 if day % 2 else None)
            complete_session(records, a)
        records.conn.execute("UPDATE trials SET head_rest_deg = NULL, head_flexion_deg = NULL, "
                             "head_flexion_sd_deg = NULL, head_flexion_gain_deg = NULL, "
                             "head_lift_motion = NULL")  # as stored before v7
        records.conn.commit()
        points = progress(records, "P-1").all
        rows = []
        for name, clear in (("plain: every file analysed on every call", True),
                            ("remembered while the file is unchanged", False)):
            head_file._memo.clear()
            times = []
            for _ in range(args.calls):
                if clear:
                    head_file._memo.clear()
                t0 = time.perf_counter()
                found = head_progress(records, points)
                times.append(time.perf_counter() - t0)
            assert sum(h.measured for h in found) == (args.sessions + 1) // 2
            rows.append((name, times))
        records.close()
    print(f"{platform.python_version()} on {platform.machine()}; {args.sessions} clinic tests "
          f"at {args.rate:g} Hz, {(args.sessions + 1) // 2} with head columns")
    print()
    print("| head_progress | first call | later calls (mean) |")
    print("|---|---:|---:|")
    for name, times in rows:
        later = times[1:] or times
        print(f"| {name} | {times[0] * 1000:.0f} ms | {sum(later) / len(later) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
