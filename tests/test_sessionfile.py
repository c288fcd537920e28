"""The session CSV: round trip, durability, permissions, and clear errors on bad files."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from cctf.errors import FileFormatError
from cctf.sessionfile import SessionWriter, read_session


def _write(path, n=100, meta=None):
    w = SessionWriter(path, meta or {"device_serial": "SIM00001"}, ("raw",))
    t = np.arange(n) * 0.02
    target = np.where((t >= 0.5) & (t < 1.0), 22.0, np.nan)
    phase = ["stage" if not np.isnan(x) else "" for x in target]
    w.write(t, 20 + 0.001 * np.arange(n), target, phase, {"raw": np.arange(n)})
    return w, t, target


def test_round_trip_keeps_values_blanks_metadata_and_extra_columns(tmp_path):
    path = tmp_path / "s.csv"
    w, t, target = _write(path)
    w.close({"link_missing": 0, "note": "two\nlines"})
    rec = read_session(path)
    np.testing.assert_allclose(rec.t_s, t)
    np.testing.assert_allclose(rec.pressure_mmhg, 20 + 0.001 * np.arange(100))
    np.testing.assert_array_equal(np.isnan(rec.target_mmhg), np.isnan(target))
    assert set(rec.phase) == {"", "stage"}
    assert rec.metadata["device_serial"] == "SIM00001"
    assert rec.metadata["cctf_session_format"] == "1"
    assert rec.metadata["link_missing"] == "0"
    assert rec.metadata["note"] == "two lines"
    assert list(rec.extra["raw"][:3]) == ["0", "1", "2"]
    lines = path.read_text().splitlines()
    assert lines[len(rec.metadata)] == "t_s,pressure_mmhg,target_mmhg,phase,raw"


def test_rows_are_on_disk_after_flush_before_close(tmp_path):
    path = tmp_path / "s.csv"
    w, _, _ = _write(path)
    w.flush()
    # Another reader (e.g. recovery after a crash) sees every row already written.
    assert len(read_session(path)) == 100
    w.close()


def test_files_are_readable_by_their_owner_only(tmp_path):
    path = tmp_path / "s.csv"
    w, _, _ = _write(path)
    w.close({"x": 1})  # the header rewrite must keep the mode too
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_closing_never_touches_a_users_file_beside_it(tmp_path):
    """Closing rewrote the header through a fixed ``FILE.tmp``: a user's file of that name was
    truncated, then renamed over the session. Only cctf's own temporary file is used."""
    path = tmp_path / "s.csv"
    mine = tmp_path / "s.csv.tmp"
    mine.write_text("precious\n", encoding="utf-8")
    w, _, _ = _write(path)
    w.close({"x": 1})
    assert mine.read_text(encoding="utf-8") == "precious\n"
    assert read_session(path).metadata["x"] == "1" and len(read_session(path)) == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.csv.tmp"]


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        ("t_s,pressure\n0,1\n", 1, "header must start with"),
        ("t_s,pressure_mmhg,target_mmhg,phase\n0,20,,\n0.1,abc,,\n", 3, "pressure_mmhg is 'abc'"),
        ("t_s,pressure_mmhg,target_mmhg,phase\n0,20,,\n0.1,20,,,\n", 3, "5 fields, expected 4"),
        ("t_s,pressure_mmhg,target_mmhg,phase\n0,20,,\n0.1,20,22,nod\n", 3, "phase 'nod'"),
        ("t_s,pressure_mmhg,target_mmhg,phase\n1,20,,\n0.5,20,,\n", 3, "t_s goes backwards"),
        ("t_s,pressure_mmhg,target_mmhg,phase\n0,,,\n", 2, "pressure_mmhg is blank"),
        ("t_s,pressure_mmhg,target_mmhg,phase\n0,20,inf,stage\n", 2, "target_mmhg is 'inf'"),
        ("# only: metadata\n", None, "no column header"),
    ],
)
def test_malformed_files_name_the_line_and_the_problem(tmp_path, body, line, problem):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(FileFormatError) as err:
        read_session(path)
    assert err.value.line == line
    assert problem in str(err.value)
    assert str(path) in str(err.value)


def test_binary_garbage_is_a_format_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FileFormatError, match="not a text file"):
        read_session(path)


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(FileFormatError, match="cannot read"):
        read_session(tmp_path / "nope.csv")
