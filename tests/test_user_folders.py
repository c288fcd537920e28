"""Per-user folders: the cache (the simavr runner is built there, never into the installed
package) and the data folder on Windows (local, not roaming, with a one-time safe move)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cctf.userdirs import platform_dir, user_cache_dir

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


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_data_config_and_cache_are_three_different_folders(platform):
    """One module owns the rules: patient data, settings (which roam on Windows) and the
    deletable cache are three folders (on Windows the cache is the ``Cache`` subfolder of the
    local one, the platform's convention)."""
    env = {"LOCALAPPDATA": r"C:\L", "APPDATA": r"C:\R"} if platform == "win32" else {}
    folders = {kind: platform_dir(kind, platform, env, HOME) for kind in ("data", "config",
                                                                          "cache")}
    assert len(set(folders.values())) == 3
    assert not folders["config"].is_relative_to(folders["data"])
    assert not folders["data"].is_relative_to(folders["cache"])
    if platform == "win32":
        assert folders["data"].is_relative_to(Path(r"C:\L"))
        assert folders["config"].is_relative_to(Path(r"C:\R"))


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


# --- the Windows data folder: local, not roaming -----------------------------------------------


def _windows(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    local_base, roaming_base = tmp_path / "Local", tmp_path / "Roaming"
    env = {"LOCALAPPDATA": str(local_base), "APPDATA": str(roaming_base)}
    return env, local_base / "cctf", roaming_base / "cctf"


def _resolve(env: dict[str, str], tmp_path: Path) -> Path:
    from cctf.records.paths import resolve_data_dir

    return resolve_data_dir(None, env, platform="win32", home=tmp_path / "home")


def test_windows_data_folder_is_the_local_appdata(tmp_path):
    env, local, roaming = _windows(tmp_path)
    assert _resolve(env, tmp_path) == local
    assert not roaming.exists()  # nothing created in the roaming profile


def test_an_older_roaming_folder_is_moved_once_with_its_files(tmp_path, caplog):
    env, local, roaming = _windows(tmp_path)
    (roaming / "sessions" / "P-1").mkdir(parents=True)
    (roaming / "cctf.db").write_bytes(b"db")
    (roaming / "sessions" / "P-1" / "s.csv").write_text("t,p\n")
    with caplog.at_level("WARNING", logger="cctf.records.paths"):
        assert _resolve(env, tmp_path) == local
    assert (local / "cctf.db").read_bytes() == b"db"
    assert (local / "sessions" / "P-1" / "s.csv").read_text() == "t,p\n"
    assert not roaming.exists()
    assert "moved the data folder" in caplog.text
    caplog.clear()
    assert _resolve(env, tmp_path) == local  # once: nothing more to do, nothing said
    assert not caplog.text


def test_the_move_never_overwrites_an_existing_local_folder(tmp_path, caplog):
    env, local, roaming = _windows(tmp_path)
    roaming.mkdir(parents=True)
    (roaming / "cctf.db").write_bytes(b"old")
    local.mkdir(parents=True)
    (local / "cctf.db").write_bytes(b"new")
    with caplog.at_level("WARNING", logger="cctf.records.paths"):
        assert _resolve(env, tmp_path) == local
    assert (local / "cctf.db").read_bytes() == b"new"
    assert (roaming / "cctf.db").read_bytes() == b"old"  # left as it was, and named
    assert str(roaming) in caplog.text


def test_a_move_that_fails_keeps_using_the_roaming_folder_untouched(tmp_path, monkeypatch,
                                                                     caplog):
    from cctf.records import paths

    env, local, roaming = _windows(tmp_path)
    roaming.mkdir(parents=True)
    (roaming / "cctf.db").write_bytes(b"db")

    def in_use(src, dst):
        raise PermissionError(32, "The process cannot access the file", str(src))

    monkeypatch.setattr(paths.os, "rename", in_use)
    with caplog.at_level("WARNING", logger="cctf.records.paths"):
        assert _resolve(env, tmp_path) == roaming
    assert (roaming / "cctf.db").read_bytes() == b"db"
    assert not local.exists()
    assert "could not move" in caplog.text


def test_overrides_and_other_platforms_never_touch_a_roaming_folder(tmp_path):
    from cctf.records.paths import resolve_data_dir

    env, local, roaming = _windows(tmp_path)
    roaming.mkdir(parents=True)
    assert resolve_data_dir(tmp_path / "flag", env, platform="win32") == tmp_path / "flag"
    env_var = dict(env, CCTF_DATA_DIR=str(tmp_path / "env"))
    assert resolve_data_dir(None, env_var, platform="win32") == tmp_path / "env"
    resolve_data_dir(None, env, platform="linux", home=tmp_path / "home")
    assert roaming.is_dir() and not local.exists()
