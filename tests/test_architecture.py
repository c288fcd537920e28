"""Dependency direction: gui → everything; acquisition, analysis and sim never import Qt;
analysis works on arrays and knows nothing of devices."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from .conftest import REPO

QT = ("PySide6", "pyqtgraph", "shiboken6")
CORE_DIRS = ("cctf/acquisition", "cctf/analysis", "sim")
CORE_MODULES = ("cctf/clock.py", "cctf/errors.py", "cctf/sessionfile.py", "cctf/__init__.py")


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(*roots: str):
    for root in roots:
        p = REPO / root
        yield from ([p] if p.is_file() else sorted(p.rglob("*.py")))


@pytest.mark.parametrize("path", list(_files(*CORE_DIRS, *CORE_MODULES)), ids=str)
def test_core_never_imports_qt_or_the_gui(path):
    bad = {m for m in _imports(path) if m.split(".")[0] in QT or m.startswith("cctf.gui")}
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", list(_files("cctf/analysis")), ids=str)
def test_analysis_knows_nothing_of_devices(path):
    bad = {
        m for m in _imports(path)
        if m.startswith(("cctf.acquisition", "cctf.sim", "serial", "cctf.gui"))
    }
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_importing_the_core_loads_no_qt_at_runtime():
    code = (
        "import sys, pkgutil, importlib\n"
        "import cctf, cctf.acquisition, cctf.analysis, cctf.sim\n"
        "for pkg in (cctf.acquisition, cctf.analysis, cctf.sim):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "import cctf.cli, cctf.sessionfile\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
