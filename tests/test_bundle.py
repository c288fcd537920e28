"""The self-contained Linux app (packaging/build_linux.sh, PyInstaller one-folder bundle) runs
where there is no Python: built once, then started with a PATH that holds no interpreter and an
environment without Python's variables — the command line, a simulated recording and its
analysis, and the app offscreen to its first frame."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cctf import __version__

from .conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.packaging]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    pytest.importorskip("PyInstaller", reason="the bundle extra: pip install -e '.[bundle]'")
    out = tmp_path_factory.mktemp("bundle")
    done = subprocess.run(["bash", str(REPO / "packaging" / "build_linux.sh"), "--out", str(out),
                           "--no-archive"], capture_output=True, text=True, timeout=900,
                          check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    exe = out / "cctf" / "cctf"
    assert exe.is_file()
    assert done.stdout.strip().splitlines()[-1] == str(exe)
    return exe


@pytest.fixture
def bare_env(tmp_path) -> dict[str, str]:
    """No python on PATH, no PYTHONPATH/PYTHONHOME/VIRTUAL_ENV: nothing but the bundle."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {"PATH": str(empty_bin), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": "offscreen", "CCTF_DATA_DIR": str(tmp_path / "data")}
    assert shutil.which("python3", path=env["PATH"]) is None
    assert shutil.which("python", path=env["PATH"]) is None
    return env


def _run(exe: Path, *args: str, env: dict[str, str], cwd: Path, timeout: float = 120):
    return subprocess.run([str(exe), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_bundle_carries_its_licences(bundle):
    folder = bundle.parent
    assert "MIT License" in (folder / "LICENSE.txt").read_text(encoding="utf-8")
    assert "CERN-OHL-P" in (folder / "LICENSE-hardware.txt").read_text(encoding="utf-8")
    assert not (REPO / "build").exists() or not any((REPO / "build").glob("cctf*")), (
        "the build left files in the checkout")


def test_bundle_version_without_python(bundle, bare_env, tmp_path):
    done = _run(bundle, "--version", env=bare_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cctf {__version__}"


def test_bundle_records_and_analyzes_without_python(bundle, bare_env, tmp_path):
    csv = tmp_path / "session.csv"
    done = _run(bundle, "record", "--sim", "healthy", "--fast", "--seconds", "90", "-o", str(csv),
                env=bare_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert csv.stat().st_size > 0
    done = _run(bundle, "analyze", str(csv), "--json", env=bare_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result, "an empty analysis"
    done = _run(bundle, "scenarios", env=bare_env, cwd=tmp_path)
    assert done.returncode == 0 and "compensator" in done.stdout


def test_bundle_app_renders_its_first_frame_offscreen(bundle, bare_env, tmp_path):
    from cctf.gui.main import FIRST_FRAME_ENV

    png = tmp_path / "first-frame.png"
    done = _run(bundle, "--sim", "healthy", env=dict(bare_env, **{FIRST_FRAME_ENV: str(png)}),
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 640 and height >= 400, (width, height)
    assert len(data) > 20_000  # a drawn window, not a blank rectangle
