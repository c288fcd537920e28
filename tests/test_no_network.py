"""Nothing leaves the machine: no cctf module imports a network library, importing every
module and using the records opens no socket, and the records never import Qt."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO
from .test_architecture import _files, _imports

NETWORK = ("socket", "urllib", "http", "requests", "httpx", "aiohttp", "ftplib", "smtplib",
           "telnetlib", "xmlrpc", "ssl", "asyncio", "websocket", "websockets", "urllib3")
SOURCES = ("cctf", "sim")


@pytest.mark.parametrize("path", list(_files(*SOURCES)), ids=str)
def test_no_module_imports_a_network_library(path):
    bad = {m for m in _imports(path) if m.split(".")[0] in NETWORK}
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", list(_files("cctf/records")), ids=str)
def test_records_never_import_qt_or_the_gui(path):
    bad = {m for m in _imports(path)
           if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6") or m.startswith("cctf.gui")}
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_importing_everything_and_using_the_records_opens_no_socket(tmp_path):
    code = f"""
import socket, sys
def refuse(*args, **kwargs):
    raise AssertionError("cctf tried to open a network socket")
socket.socket = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

import importlib, pkgutil
import cctf, cctf.sim
names = []
for pkg in (cctf, cctf.sim):
    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        names.append(m.name)
for name in sorted(names):
    importlib.import_module(name)

from datetime import datetime
from pathlib import Path
from cctf.records.startup import open_records
from cctf.records.recovery import begin_session, complete_session
from cctf.records.report import report_input, write_session_report
from cctf.records.archive import export_patient
from tests.records_helpers import clinic_csv
records = open_records(Path({str(tmp_path)!r}) / "data")
records.add_patient("P-1")
a = begin_session(records, "P-1", "clinic", started_at=datetime(2025, 3, 3, 10))
clinic_csv(a.csv_path)
complete_session(records, a)
write_session_report(report_input(records, 1), Path({str(tmp_path)!r}) / "r.pdf")
export_patient(records, "P-1", Path({str(tmp_path)!r}) / "a.zip", exported_at="x")
print(len(names), "modules")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(result.stdout.split()[0]) > 60


def test_the_records_load_no_qt_at_runtime(tmp_path):
    """Reports draw with matplotlib's PDF backend: no Qt, no pyplot, usable headless."""
    code = f"""
import sys, pkgutil, importlib
from pathlib import Path
import cctf.records
for m in pkgutil.iter_modules(cctf.records.__path__, "cctf.records."):
    importlib.import_module(m.name)
import cctf.commands.records
from cctf.records.report import csv_report_input, write_session_report
from tests.records_helpers import clinic_csv
csv = clinic_csv(Path({str(tmp_path)!r}) / "s.csv")
write_session_report(csv_report_input(csv), Path({str(tmp_path)!r}) / "r.pdf")
bad = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")
       or m == "matplotlib.pyplot"]
print(bad)
sys.exit(1 if bad else 0)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
