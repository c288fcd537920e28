"""What a packager and a new user get: licence files and metadata that agree, a package README
whose links resolve off the repository, and an sdist that holds the whole project — built,
unpacked, installed from and tested from, as a distribution would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

import cctf

from .conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def _cff_field(name: str) -> str:
    text = (REPO / "CITATION.cff").read_text(encoding="utf-8")
    match = re.search(rf"^{name}:\s*\"?([^\"\n]+)\"?\s*$", text, re.MULTILINE)
    assert match, f"CITATION.cff has no top-level {name}"
    return match.group(1).strip()


def test_licence_files_and_spdx_metadata():
    assert "MIT License" in (REPO / "LICENSE").read_text(encoding="utf-8")
    hardware = (REPO / "hardware" / "LICENSE").read_text(encoding="utf-8")
    assert hardware.startswith("CERN Open Hardware Licence Version 2 - Permissive")
    assert "7.4 This Licence shall not be enforceable" in hardware  # the whole text, to the end
    assert PROJECT["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert PROJECT["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in PROJECT.get("classifiers", []))
    ino = (REPO / "firmware" / "cctf" / "cctf.ino").read_text(encoding="utf-8")
    assert ino.startswith("// SPDX-License-Identifier: MIT")


def test_versions_and_citation_agree():
    assert PROJECT["version"] == cctf.__version__ == _cff_field("version")
    assert _cff_field("cff-version") == "1.2.0"
    assert _cff_field("license") == PROJECT["license"]
    assert _cff_field("repository-code") == PROJECT["urls"]["Source"]
    assert f"## [{cctf.__version__}]" in (REPO / "CHANGELOG.md").read_text(encoding="utf-8")


def test_package_readme_links_are_absolute_and_point_at_files_that_exist():
    """The package index renders the README away from the repository: a relative link or
    image there is dead. Every repository link must name a file the checkout has."""
    readme = REPO / PROJECT["readme"]
    text = readme.read_text(encoding="utf-8")
    source = PROJECT["urls"]["Source"]
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert len(targets) >= 10
    relative = [t for t in targets if not re.match(r"https?://", t)]
    assert not relative, f"relative links in {readme.name}: {relative}"
    for target in targets:
        if target.startswith(source + "/"):
            path = re.sub(r"^/(blob|raw|tree)/main/", "", target[len(source):])
            assert (REPO / path).exists(), f"{target} names {path}, which is not in the repository"
    assert f"{source}/raw/main/docs/screenshots/" in text  # the image resolves on the index


def test_python_dash_m_cctf_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "cctf", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cctf {cctf.__version__}"
    done = subprocess.run([sys.executable, "-m", "cctf", "analyze", "/nonexistent.csv"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and done.stderr.startswith("cctf:"), done.stderr
    assert "Traceback" not in done.stderr


# --- the sdist -------------------------------------------------------------------------------

# Quick tests run from the unpacked sdist: the protocol against the firmware's golden vectors
# (firmware/ must be there), the architecture rules (source walk), CLI parsing and records.
SDIST_QUICK_TESTS = [
    "tests/test_cobs.py",
    "tests/test_protocol_golden.py",
    "tests/test_architecture.py",
    "tests/test_sessionfile.py",
    "tests/test_packaging.py::test_licence_files_and_spdx_metadata",
    "tests/test_packaging.py::test_versions_and_citation_agree",
    "tests/test_packaging.py::test_package_readme_links_are_absolute_and_point_at_files_that_exist",
]
SDIST_MUST_HOLD = [
    "LICENSE", "CITATION.cff", "CHANGELOG.md", "CONTRIBUTING.md", "README.md",
    "hardware/LICENSE", "hardware/BOM.md", "firmware/PROTOCOL.md", "firmware/protocol/vectors.txt",
    "firmware/cctf/cctf.ino", "firmware/build.sh", "firmware/test/run.sh", "docs/records.md",
    "docs/package-readme.md", "benchmarks/README.md", "benchmarks/bench_analysis.py",
    "tests/conftest.py", "tests/__init__.py", "tests/gui_helpers.py", "tests/records_helpers.py",
    "cctf/py.typed", "sim/avr/runner.c", "sim/scenarios", "packaging/build_linux.sh",
]


@pytest.fixture(scope="module")
def sdist_tree(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    # --no-isolation: offline, with the setuptools of the environment (dev extra: >= 77).
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out),
         str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (archive,) = out.glob("cctf-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(out / "unpacked", filter="data")
    (tree,) = (out / "unpacked").iterdir()
    return tree


@pytest.mark.slow
@pytest.mark.packaging
def test_sdist_holds_the_whole_project(sdist_tree):
    missing = [p for p in SDIST_MUST_HOLD if not (sdist_tree / p).exists()]
    assert not missing, f"missing from the sdist: {missing}"
    # Every test module and helper of the checkout is in it.
    ours = {p.name for p in (REPO / "tests").glob("*.py")}
    theirs = {p.name for p in (sdist_tree / "tests").glob("*.py")}
    assert ours <= theirs, f"test files missing from the sdist: {sorted(ours - theirs)}"
    # Nothing built or cached rides along.
    junk = [p for p in sdist_tree.rglob("*") if p.suffix in (".pyc", ".elf", ".hex", ".o")
            or p.name == "__pycache__" or p.name == "cctf-avr-runner"]
    assert not junk, junk[:5]


@pytest.mark.slow
@pytest.mark.packaging
def test_sdist_installs_and_its_tests_run_from_the_unpacked_tree(sdist_tree, tmp_path):
    """Install the unpacked sdist (a wheel built from it, as a distribution does), then run
    the suite's collection and quick tests from the unpacked tree against that install."""
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(sdist_tree)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (dist_info,) = target.glob("cctf-*.dist-info")
    assert (dist_info / "licenses" / "LICENSE").is_file()
    metadata = (dist_info / "METADATA").read_text(encoding="utf-8")
    assert "License-Expression: MIT" in metadata
    assert "Project-URL: Source, " in metadata
    assert (target / "cctf" / "py.typed").is_file()
    assert (target / "cctf" / "sim" / "avr" / "runner.c").is_file()

    env = dict(os.environ, PYTHONPATH=str(target), PYTHONDONTWRITEBYTECODE="1",
               QT_QPA_PLATFORM="offscreen")
    # The installed copy must be what runs: -P keeps the tree's own cctf/ off sys.path, and
    # pytest's append import mode puts the tree's root after PYTHONPATH.
    where = subprocess.run(
        [sys.executable, "-P", "-c",
         "import cctf, cctf.sim; print(cctf.__file__, cctf.sim.__file__)"],
        cwd=sdist_tree, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert where.returncode == 0, where.stderr
    assert all(Path(f).is_relative_to(target) for f in where.stdout.split()), where.stdout

    pytest_cmd = [sys.executable, "-P", "-m", "pytest", "-p", "no:cacheprovider", "-q",
                  "--import-mode=append"]
    collect = subprocess.run([*pytest_cmd, "--collect-only"], cwd=sdist_tree, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert collect.returncode == 0, collect.stdout[-4000:] + collect.stderr[-2000:]
    assert "error" not in collect.stdout.splitlines()[-1].lower(), collect.stdout[-2000:]
    n_modules = len(list((sdist_tree / "tests").glob("test_*.py")))
    collected = {line.split("::")[0] for line in collect.stdout.splitlines() if "::" in line}
    assert len(collected) == n_modules, sorted(collected)

    quick = subprocess.run([*pytest_cmd, *SDIST_QUICK_TESTS], cwd=sdist_tree, env=env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert quick.returncode == 0, quick.stdout[-4000:] + quick.stderr[-2000:]
    assert re.search(r"\d+ passed", quick.stdout.splitlines()[-1]), quick.stdout[-500:]
