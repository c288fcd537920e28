"""The light install (`pip install cctf`, no `app` extra): without PySide6 and pyqtgraph the
command line, simulator, analysis and records work, and `cctf` alone says in one line how to
install the app. Qt's absence is simulated by an import hook in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

BLOCK_QT = textwrap.dedent("""
    import importlib.abc, sys

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoQt())
    for mod in [m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph")]:
        del sys.modules[mod]
""")


def run_without_qt(*argv: str, module: bool = False, timeout: float = 120):
    """Run the cctf command line in a child Python that cannot import Qt."""
    entry = ("import runpy; sys.argv = ['cctf', *ARGV]; runpy.run_module('cctf', "
             "run_name='__main__')" if module else
             "from cctf.cli import main; sys.exit(main(ARGV))")
    code = BLOCK_QT + f"ARGV = {list(argv)!r}\n" + entry + "\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.mark.parametrize("module", [False, True], ids=["cctf", "python -m cctf"])
def test_the_app_without_qt_says_how_to_install_it(module, tmp_path):
    done = run_without_qt("--sim", "--data-dir", str(tmp_path), module=module)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("cctf: the desktop app is not installed")
    assert "pip install 'cctf[app]'" in lines[0]
    assert "Traceback" not in done.stderr


def test_the_hook_really_hides_qt():
    done = subprocess.run([sys.executable, "-c", BLOCK_QT + "import PySide6.QtCore\n"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr


@pytest.mark.slow
def test_command_line_record_analyze_and_records_work_without_qt(tmp_path):
    csv = tmp_path / "s.csv"
    done = run_without_qt("record", "--sim", "healthy", "--fast", "--seconds", "60",
                          "-o", str(csv))
    assert done.returncode == 0, done.stderr
    done = run_without_qt("analyze", str(csv), "--json")
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), dict)
    data = str(tmp_path / "data")
    done = run_without_qt("patients", "--data-dir", data, "add", "P-0001")
    assert done.returncode == 0, done.stderr
    done = run_without_qt("sessions", "--data-dir", data, "--json")
    assert done.returncode == 0, done.stderr
    done = run_without_qt("scenarios")
    assert done.returncode == 0 and "healthy" in done.stdout
