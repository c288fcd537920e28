"""Per-user folders: the cache (the simavr runner is built there, never into the installed
package) and the data folder on Windows (local, not roaming, with a one-time safe move)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cctf.userdirs import user_cache_dir

HOME = Path("/home/u")


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, HOME / ".cache" / "cctf"),
        ("linux", {"XDG_CACHE_HOME": "/xdg/cache"}, Path("/xdg/cache/cctf")),
        ("linux", {"XDG_CACHE_HOME": "relative/cache"}, HOME / ".cache" / "cctf"),
        ("darwin", {}, HOME / "Library" / "Caches" / "cctf"),
        ("win32", {"LOCALAPPDATA": r"C:\Users\u\AppData\Local"},
         Path(r"C:\Users\u\AppData\Local") / "cctf" / "Cache"),
        ("win32", {}, HOME / "AppData" / "Local" / "cctf" / "Cache"),
        ("linux", {"CCTF_CACHE_DIR": "/elsewhere"}, Path("/elsewhere")),
    ],
)
def test_user_cache_dir_per_platform(platform, env, expected):
    assert user_cache_dir(platform=platform, env=env, home=HOME) == expected


def test_runner_build_dir_is_in_the_user_cache_not_the_package(monkeypatch, tmp_path):
    from cctf.sim import avr

    monkeypatch.delenv("CCTF_AVR_BUILD_DIR", raising=False)
    monkeypatch.delenv("CCTF_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    where = avr.build_dir()
    assert where.is_relative_to(tmp_path / "cctf" / "avr-runner")
    assert not where.is_relative_to(avr.AVR_DIR)
    # Keyed by the runner's sources: another version's binary is never taken for this one.
    assert len(where.name) == 16 and where.name == avr._sources_key()
    monkeypatch.setenv("CCTF_AVR_BUILD_DIR", str(tmp_path / "mine"))
    assert avr.build_dir() == tmp_path / "mine"


@pytest.mark.firmware
def test_runner_is_compiled_into_the_cache_and_leaves_the_package_untouched(
        monkeypatch, tmp_path):
    from cctf.sim import avr

    if (why := avr.missing_simavr()) is not None:
        pytest.skip(why)
    monkeypatch.delenv("CCTF_AVR_BUILD_DIR", raising=False)
    monkeypatch.delenv("CCTF_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    before = sorted(p.relative_to(avr.AVR_DIR) for p in avr.AVR_DIR.rglob("*")
                    if "__pycache__" not in p.parts)
    exe = avr.build_runner()
    after = sorted(p.relative_to(avr.AVR_DIR) for p in avr.AVR_DIR.rglob("*")
                   if "__pycache__" not in p.parts)
    assert exe.is_relative_to(tmp_path / "cctf" / "avr-runner")
    assert exe.is_file() and os.stat(exe).st_mode & stat.S_IXUSR
    assert before == after, "building the runner wrote into the package folder"
    assert avr.build_runner() == exe  # the second call reuses the cached binary
