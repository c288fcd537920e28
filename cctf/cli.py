"""The ``cctf`` command: the app by default, and subcommands for the device link and data.

    cctf [--sim [SCENARIO] | --port PORT]       the app (simulator or device)
    cctf ports                                  serial ports, marking cctf devices
    cctf sim [--scenario NAME|FILE]             a simulated device on a virtual serial port
    cctf record (--port P | --sim [S]) --seconds N -o FILE.csv
    cctf analyze FILE.csv… [--json] [--summary-csv OUT] [--chunk-size N]
    cctf calibrate (--port P | --sim [S]) [--points 0,40] [--yes] [--reset|--show|--tare]
    cctf scenarios                              the simulator's named scenarios
    cctf train [--port P | --sim [S]] [--patient ID] [--fast --audio-out F.wav --cues-out F.jsonl]
                                                home training: patient mode, or a rendered run
    cctf patients [list|add|show|edit|prescribe|delete] …   patient records
    cctf sessions [SESSION] [--patient ID]      session history
    cctf sessions exclude ID --reason TEXT      leave a session out of progress (include ID)
    cctf report SESSION -o report.pdf           a one-page session report (or --progress)
    cctf export … / cctf import FILE            CSV, EDF+, patient archives
    cctf recover [--repair-database] [--rebuild]
                                                interrupted sessions, a damaged database

Errors the user can act on are printed as one line (``cctf: ...``) with exit status 1, or 2
for bad arguments and malformed files; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import cctf.blas_threads  # noqa: F401  (before NumPy loads: see the module)
import cctf.loading_gc as _loading_gc  # before NumPy loads: see the module
from cctf import DISCLAIMER, __version__, texts
from cctf.acquisition.lsl import add_lsl_argument
from cctf.errors import CctfError, ConfigError, FileFormatError

if TYPE_CHECKING:
    from cctf.acquisition.ports import PortInfo

_loading_gc.resume()

log = logging.getLogger("cctf")

RECORDS_COMMANDS = {"patients": "patients", "sessions": "sessions", "recover": "recover",
                    "import": "import_", "export": "export", "report": "report"}


def _rate(text: str) -> int:
    from cctf.acquisition.protocol import MAX_RATE_HZ, MIN_RATE_HZ

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of Hz") from None
    if not MIN_RATE_HZ <= value <= MAX_RATE_HZ:
        raise argparse.ArgumentTypeError(
            f"rate must be {MIN_RATE_HZ}–{MAX_RATE_HZ} Hz, got {value}"
        )
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"seconds must be > 0 and at most 86400, got {value}")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


MAX_SEED = 2**32 - 1


def _output_path(text: str) -> Path:
    """``Path("")`` would be ".": an empty -o is an argument error, not the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the output file name is empty")
    return Path(text)


def _seed(text: str) -> int:
    """A simulator seed: what NumPy's generators accept (0 … 2³²−1)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed must be 0–{MAX_SEED}, got {value}")
    return value


def _head_neutral(text: str) -> object:
    """``--head-neutral PITCH,ROLL``: the head sensor's resting angles (issue 17)."""
    from cctf.acquisition.head_zero import neutral_from_text

    try:
        return neutral_from_text(text)
    except ValueError:
        raise argparse.ArgumentTypeError(texts.HEAD_NEUTRAL_BAD.format(text=text)) from None


class _Parser(argparse.ArgumentParser):
    """Argument errors as one ``cctf:`` line (exit 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"cctf: {message} (see '{self.prog} --help')\n")


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: a subcommand's default must not hide ``cctf --data-dir X subcommand``.
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                   help="the records folder (default: $CCTF_DATA_DIR, else the user data "
                        "folder, e.g. ~/.local/share/cctf)")


def _add_records_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("patients", help="patient records: list, add, show, edit, prescribe, "
                       "delete")
    _add_data_dir(p)
    p.add_argument("--show-names", action="store_true",
                   help="show names too (by default only pseudonymous IDs)")
    p.add_argument("--json", action="store_true", help="list: print the patients as JSON")
    act = p.add_subparsers(dest="patients_action", metavar="ACTION")
    a = act.add_parser("list", help="all patients (the default)")
    _add_data_dir(a)
    a.add_argument("--show-names", action="store_true", default=argparse.SUPPRESS)
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    a = act.add_parser("add", help="add a patient by pseudonymous ID")
    _add_data_dir(a)
    a.add_argument("id", help="pseudonymous ID, e.g. P-0042 (letters, digits, . - _)")
    a.add_argument("--name", help="optional name (shown only when asked for)")
    a.add_argument("--birth-year", help="e.g. 1980 (checked by the records)")
    a.add_argument("--notes")
    a = act.add_parser("edit", help="change a patient's name, birth year or notes")
    _add_data_dir(a)
    a.add_argument("id")
    a.add_argument("--name")
    a.add_argument("--birth-year", help="e.g. 1980 (checked by the records)")
    a.add_argument("--notes")
    a = act.add_parser("show", help="a patient's history, progress and home adherence")
    _add_data_dir(a)
    a.add_argument("id")
    a.add_argument("--show-names", action="store_true", default=argparse.SUPPRESS)
    a = act.add_parser("prescribe", help="set the home programme from a date")
    _add_data_dir(a)
    a.add_argument("id")
    a.add_argument("--target", type=_float, default=24.0, help="mmHg (default 24)")
    a.add_argument("--reps", type=int, default=10, help="holds per session (default 10)")
    a.add_argument("--hold", type=_float, default=10.0, help="seconds per hold (default 10)")
    a.add_argument("--rest", type=_float, default=10.0, help="seconds between (default 10)")
    a.add_argument("--per-day", type=int, default=2, help="sessions a day (default 2)")
    a.add_argument("--from", dest="start", type=_date, help="start date (default today)")
    a.add_argument("--notes")
    a = act.add_parser("delete", help="delete a patient and ALL their data (cannot be undone)")
    _add_data_dir(a)
    a.add_argument("id")
    a.add_argument("--yes", action="store_true", help="confirm")

    p = sub.add_parser("sessions", help="session history (all, or one patient's); "
                       "'exclude ID --reason TEXT' / 'include ID': leave a session out of "
                       "progress, or take it back")
    _add_data_dir(p)
    p.add_argument("session", nargs="?", help="one session: id or CSV path (or exclude, "
                   "include)")
    p.add_argument("session_id", nargs="?", metavar="ID", help="after exclude/include: the "
                   "session")
    p.add_argument("--reason", metavar="TEXT", help="with exclude: why (shown in progress)")
    p.add_argument("--patient", metavar="ID")
    p.add_argument("--notes", metavar="TEXT", help="with SESSION: save the therapist's notes")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("recover", help="recover interrupted sessions; repair a damaged "
                       "database (with consent)")
    _add_data_dir(p)
    p.add_argument("--repair-database", action="store_true",
                   help="if the database is damaged: move it aside, restore the last backup "
                        "and rebuild from the session CSVs")
    p.add_argument("--rebuild", action="store_true",
                   help="add session CSVs in the data folder that the records lack")
    p.add_argument("--all-hosts", action="store_true",
                   help="also recover sessions registered by another computer")

    p = sub.add_parser("import", help="import a session CSV (--patient) or a patient archive")
    _add_data_dir(p)
    p.add_argument("file", type=Path, help="session CSV, or a patient archive (.zip)")
    p.add_argument("--patient", metavar="ID", help="for a CSV: the patient it belongs to")
    p.add_argument("--kind", choices=("clinic", "training", "monitor"),
                   help="for a CSV: the session kind (default: from the file)")
    p.add_argument("--as", dest="as_code", metavar="ID",
                   help="for an archive: import the patient under this ID")

    p = sub.add_parser("export", help="a session as CSV or EDF+, or a patient's archive")
    _add_data_dir(p)
    p.add_argument("session", nargs="?", help="session id or CSV path")
    p.add_argument("--patient", metavar="ID", help="export all of this patient's data (zip)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--edf", action="store_true", help="EDF+ (for research tools)")
    fmt.add_argument("--csv", action="store_true", help="the session CSV (the default)")
    p.add_argument("--with-reports", action="store_true", help="archive: add PDF reports")
    p.add_argument("--no-name", action="store_true", help="archive: leave the name out")
    p.add_argument("-o", "--output", type=_output_path, required=True)
    p.add_argument("--force", action="store_true",
                   help="replace an existing output file (a symlink is written through)")

    p = sub.add_parser("report", help="a one-page PDF session report, or a progress report")
    _add_data_dir(p)
    p.add_argument("session", nargs="?", help="session id, or a session CSV")
    p.add_argument("--patient", metavar="ID")
    p.add_argument("--progress", action="store_true",
                   help="with --patient: the progress report across their sessions")
    p.add_argument("--srd", type=_float, default=25.0,
                   help="smallest real difference of the PI (default 25)")
    p.add_argument("--show-names", dest="show_name", action="store_true",
                   help="print the name, not only the ID")
    p.add_argument("-o", "--output", type=_output_path, required=True, help="PDF to write")
    p.add_argument("--force", action="store_true",
                   help="replace an existing output file (a symlink is written through)")


def _add_train_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("train", help="home training for the patient: a full-screen view "
                       "guided by voice and tones (or, with --fast, a rendered sound track)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--port", dest="train_port", metavar="PORT", help="serial port of the device")
    src.add_argument("--sim", dest="train_sim", nargs="?", const="healthy", metavar="SCENARIO",
                     help="train on the in-process simulator (default scenario: healthy)")
    src.add_argument("--scenario", dest="train_sim", metavar="SCENARIO",
                     help="the same as --sim SCENARIO")
    p.add_argument("--patient", metavar="ID",
                   help="the patient: their prescription, and the session goes into the records")
    _add_data_dir(p)
    p.add_argument("--target", type=_float, default=None, metavar="MMHG",
                   help="hold level (default: the prescription's, else 24)")
    p.add_argument("--reps", type=int, default=None, help="holds (default: prescription, else 10)")
    p.add_argument("--hold-s", type=_float, default=None, metavar="S",
                   help="seconds per hold (default: prescription, else 10)")
    p.add_argument("--sound", choices=("off", "cues", "feedback"), default=None,
                   help="off, spoken cues only, or cues + biofeedback tones (default: as last "
                        "time in the app; rendered: feedback)")
    p.add_argument("--volume", type=_float, default=None,
                   help="0–1 (default: as last time in the app; rendered: 0.8)")
    p.add_argument("--fast", action="store_true",
                   help="with --sim: run headless on a virtual clock, as fast as possible")
    p.add_argument("--audio-out", type=Path, default=None, metavar="FILE.wav",
                   help="with --sim: write the sound track (mono 16-bit WAV, 16 kHz)")
    p.add_argument("--cues-out", type=Path, default=None, metavar="FILE.jsonl",
                   help="with --sim: write one JSON line per cue")
    p.add_argument("--force", action="store_true",
                   help="overwrite --audio-out / --cues-out if they exist")
    p.add_argument("--seed", type=int, default=None, help="simulator seed")
    add_lsl_argument(p)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cctf",
        description="Digital biofeedback for the craniocervical flexion test. " + DISCLAIMER,
    )
    parser.add_argument("--version", action="version", version=f"cctf {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-vv: raw wire traffic)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sim", nargs="?", const="healthy", metavar="SCENARIO",
                        help="run the app on the built-in simulator (default scenario: healthy)")
    source.add_argument("--scenario", dest="sim", metavar="SCENARIO",
                        help="the same as --sim SCENARIO")
    source.add_argument("--port", help="run the app on the device at this serial port")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="the records folder (default: $CCTF_DATA_DIR, else the user data "
                             "folder)")
    parser.add_argument("--lsl", action="store_true", help="the app: " + texts.LSL_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ports", help="list serial ports and mark those that answer as cctf devices")
    p.add_argument("--no-probe", action="store_true", help="only list, do not open the ports")
    p.add_argument("--timeout", type=_seconds, default=2.5, help="seconds to wait for a HELLO")
    p.add_argument("--also", action="append", default=[], metavar="PATH",
                   help="probe this path too (e.g. a simulator's pty); repeatable")
    p.add_argument("--json", action="store_true", help="print the ports as JSON")

    p = sub.add_parser("sim", help="serve a simulated device on a virtual serial port (pty)")
    p.add_argument("--scenario", "--sim", default="healthy", metavar="SCENARIO",
                   help="scenario name or TOML file (--sim NAME means the same)")
    p.add_argument("--rate-hz", type=_rate, default=None, help="boot sample rate (default 50)")
    p.add_argument("--seed", type=_seed, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--link", metavar="PATH", help="where to create the port symlink")
    p.add_argument("--firmware", metavar="PATH.elf",
                   help="run the real firmware under simavr instead of the Python model")

    p = sub.add_parser("record", help="record a session CSV from a device or the simulator")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--port", dest="record_port", metavar="PORT", help="serial port of the device")
    src.add_argument("--sim", dest="record_sim", nargs="?", const="healthy", metavar="SCENARIO",
                     help="record from the in-process simulator")
    src.add_argument("--scenario", dest="record_sim", metavar="SCENARIO",
                     help="the same as --sim SCENARIO")
    p.add_argument("--seconds", type=_seconds, required=True, help="how long to record")
    p.add_argument("-o", "--output", type=_output_path, default=None,
                   help="session CSV to write (optional with --patient: then it goes into "
                        "the patient's folder in the records)")
    p.add_argument("--patient", metavar="ID",
                   help="register the session in this patient's records")
    p.add_argument("--force", action="store_true",
                   help="replace an existing -o file (a symlink is written through)")
    _add_data_dir(p)
    p.add_argument("--rate-hz", type=_rate, default=None, help="ask the device for this rate")
    p.add_argument("--seed", type=_seed, default=None, help="simulator seed")
    p.add_argument("--fast", action="store_true",
                   help="with --sim: run the simulator on a virtual clock, as fast as possible")
    add_lsl_argument(p)
    p.add_argument("--head-neutral", type=_head_neutral, default=None, metavar="PITCH,ROLL",
                   help=texts.HEAD_NEUTRAL_HELP)
    p.add_argument("--json", action="store_true",
                   help="print the summary (file, samples, link health) as JSON on stdout")

    p = sub.add_parser("analyze", help="judge a session CSV: trials, faults and CCFT scores",
                       epilog=texts.ANALYZE_EPILOG)
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help=texts.ANALYZE_FILES_HELP)
    p.add_argument("--json", action="store_true", help=texts.ANALYZE_JSON_HELP)
    p.add_argument("--summary-csv", type=Path, default=None, metavar="OUT",
                   help=texts.ANALYZE_SUMMARY_HELP)
    p.add_argument("--chunk-size", type=_positive_int, default=None, metavar="N",
                   help="feed the real-time engine N samples at a time (same result)")
    p.add_argument("--signal-only", action="store_true", help=texts.ANALYZE_SIGNAL_ONLY_HELP)

    p = sub.add_parser("calibrate", help="tare and two-point calibrate a device against a "
                       "pressure reference (see hardware/calibration.md)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--port", dest="cal_port", metavar="PORT", help="serial port of the device")
    src.add_argument("--sim", dest="cal_sim", nargs="?", const="healthy", metavar="SCENARIO",
                     help="calibrate the in-process simulator (it applies the references itself)")
    src.add_argument("--scenario", dest="cal_sim", metavar="SCENARIO",
                     help="the same as --sim SCENARIO")
    p.add_argument("--points", default="0,40", metavar="A,B",
                   help="the two reference pressures in mmHg, 0–75 (default 0,40)")
    p.add_argument("--seconds-per-point", type=float, default=3.0, metavar="S",
                   help="seconds of readings per point (default 3)")
    p.add_argument("-y", "--yes", action="store_true",
                   help="do not wait for Enter at each step (scripts, tests, the simulator)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--reset", action="store_true",
                      help="forget the calibration: back to the sensor's datasheet")
    what.add_argument("--show", action="store_true", help="only show the calibration in use")
    p.add_argument("--json", action="store_true", help="with --show: print it as JSON")
    what.add_argument("--tare", action="store_true",
                      help="only zero at atmosphere (step 1; before each session)")

    p = sub.add_parser("scenarios", help="list the simulator's named scenarios")
    p.add_argument("--json", action="store_true", help="print the scenarios as JSON")
    _add_train_parser(sub)
    _add_records_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``cctf`` command. A reader that stops early (``cctf analyze … | head -1``) ends it
    quietly, like other Unix tools, instead of with a BrokenPipeError traceback."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows up here if not already in a print
    except BrokenPipeError:
        # Python would flush stdout again at exit and complain: point it at /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe
    return status


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        logging.getLogger("cctf.wire").setLevel(logging.INFO)
    try:
        if args.command == "ports":
            return cmd_ports(args)
        if args.command == "sim":
            return cmd_sim(args)
        if args.command == "record":
            return cmd_record(args)
        if args.command == "scenarios":
            return cmd_scenarios(args)
        if args.command == "train":
            from cctf.commands.train import train

            return train(args)
        if args.command == "calibrate":
            from cctf.commands.calibrate import calibrate

            return calibrate(args)
        if args.command == "analyze":
            from cctf.commands.analyze import analyze_files

            return analyze_files(args)
        if args.command in RECORDS_COMMANDS:
            from cctf.commands.records import run

            return run(RECORDS_COMMANDS[args.command], args)
        return cmd_app(args)
    except (FileFormatError, ConfigError) as exc:
        print(f"cctf: {exc}", file=sys.stderr)
        return 2
    except CctfError as exc:
        print(f"cctf: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cctf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise  # the reader stopped early (``| head -1``): ``main`` ends quietly
    except Exception as exc:  # the last line of defence: one line, never a traceback
        from cctf.failures import explain

        log.debug("unexpected error", exc_info=True)
        print(f"cctf: {explain(exc, args)}", file=sys.stderr)
        return 1


def cmd_ports(args: argparse.Namespace) -> int:
    from cctf.acquisition.ports import discover

    ports = discover(args.also, probe_ports=not args.no_probe, timeout_s=args.timeout)
    if args.json:
        print(json.dumps([_port_dict(info, probed=not args.no_probe) for info in ports],
                         indent=2, ensure_ascii=False))
        return 0
    if not ports:
        print("no serial ports found")
        return 0
    for info in ports:
        if info.hello is not None:
            h = info.hello
            mark = (f"cctf device {h.serial_text}, firmware {h.firmware_text}, "
                    f"{h.sensor_text}, {h.sample_rate_hz} Hz")
        elif info.foreign_version is not None:
            mark = f"refused: {info.error}"
        elif args.no_probe:
            mark = "not probed"
        else:
            mark = "no cctf answer"
        print(f"{'*' if info.hello else ' '} {info.device:<28} {mark}  ({info.description})")
    return 0


def _port_dict(info: PortInfo, *, probed: bool) -> dict[str, object]:
    h = info.hello
    device = None if h is None else {
        "serial": h.serial_text, "firmware": h.firmware_text, "sensor": h.sensor_text,
        "sample_rate_hz": h.sample_rate_hz, "calibration_id": h.calibration_id}
    return {"port": info.device, "description": info.description, "probed": probed,
            "cctf_device": device}


def cmd_scenarios(args: argparse.Namespace) -> int:
    from cctf.sim.scenarios import list_scenarios

    if args.json:
        print(json.dumps([{"name": name, "description": description}
                          for name, description in list_scenarios()],
                         indent=2, ensure_ascii=False))
        return 0
    for name, description in list_scenarios():
        print(f"{name:<16} {description}")
    return 0


def _wait_for_ctrl_c() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def cmd_sim(args: argparse.Namespace) -> int:
    from cctf.sim.pty_server import LinkPathError, check_link_path

    if args.link is not None:  # never replace a file cctf did not make
        try:
            for path in (args.link, f"{args.link}.new"):
                check_link_path(path)
        except LinkPathError as exc:
            raise CctfError(str(exc)) from None
    if args.firmware:
        from cctf.sim.avr import serve_firmware  # issue: firmware in the loop

        return serve_firmware(args)
    from cctf.sim.factory import build_firmware
    from cctf.sim.pty_server import PtyServer

    firmware = build_firmware(args.scenario, seed=args.seed, autocue=True, rate_hz=args.rate_hz)
    server = PtyServer(firmware, link_path=args.link)
    port = server.start()
    print(port, flush=True)
    print(f"cctf sim: scenario {args.scenario!r} at {firmware.default_rate_hz} Hz on {port}; "
          "Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        _wait_for_ctrl_c()
    finally:
        server.stop()
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from cctf.commands.record import record

    return record(args)


QT_DISTRIBUTIONS = ("PySide6", "pyqtgraph", "shiboken6")  # the `app` extra (pyproject.toml)


def cmd_app(args: argparse.Namespace) -> int:
    try:
        from cctf.gui.main import run_app
    except ImportError as exc:  # the light install: `pip install cctf` without the app extra
        missing = (exc.name or "").split(".")[0]
        if missing not in QT_DISTRIBUTIONS:
            raise
        from cctf import texts

        raise CctfError(texts.APP_NOT_INSTALLED.format(missing=missing)) from None

    from cctf.display import require_display

    require_display()  # else Qt aborts the process with a page of plugin messages
    if args.data_dir is not None:  # the app reads its folder from the environment
        os.environ["CCTF_DATA_DIR"] = str(args.data_dir)

    if getattr(args, "lsl", False):
        from cctf.acquisition.lsl import load_pylsl

        load_pylsl()  # without it: one clear line, before any window opens
        return run_app(sim=args.sim, port=args.port, lsl=True)
    return run_app(sim=args.sim, port=args.port)


if __name__ == "__main__":
    sys.exit(main())
