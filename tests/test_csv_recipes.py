"""The session CSV dialect as documented in docs/research.md: the pandas one-liner reads a
session exactly as cctf does (blank targets first, metadata lines, app marker column)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cctf.sessionfile import SessionWriter, read_session

from .conftest import REPO

pd = pytest.importorskip("pandas")


def _recipe(name: str) -> str:
    """The documented one-liner, taken from the docs (so the docs cannot drift)."""
    text = (REPO / "docs" / "research.md").read_text(encoding="utf-8")
    return re.search(rf"^(\w+ = {name}\.read_csv\(path.*)$", text, re.M).group(1)


def test_the_documented_pandas_recipe_reads_a_session_exactly(tmp_path):
    path = tmp_path / "s.csv"
    n = 400
    t = 0.05 + np.arange(n) / 50
    target = np.where((t > 3) & (t < 5), 22.0, np.nan)  # blank for the first 150 rows
    phase = np.where(np.isnan(target), "", "stage")
    marker = np.full(n, "", dtype=object)
    marker[200] = "swallowed | Trial 1: verdict changed to passed"
    w = SessionWriter(path, {"device_serial": "SIM00001", "sample_rate_hz": 50},
                      ("raw", "flags", "seq", "marker"))
    w.write(t, 20 + np.sin(t), target, list(phase), {
        "raw": np.arange(n) + 700, "flags": np.zeros(n, int), "seq": np.arange(n),
        "marker": marker})
    w.close({"link_events": "none", "t0_wall_clock": "2026-12-01T10:14:13.449123+01:00"})
    rec = read_session(path)

    namespace = {"pandas": pd, "path": path}
    exec(_recipe("pandas"), namespace)  # the documented line, verbatim
    df = namespace["df"]
    assert list(df.columns) == ["t_s", "pressure_mmhg", "target_mmhg", "phase", "raw", "flags",
                                "seq", "marker"]
    assert len(df) == len(rec) == n
    assert df["target_mmhg"].dtype == np.float64
    np.testing.assert_array_equal(df["t_s"].to_numpy(), rec.t_s)
    np.testing.assert_array_equal(df["pressure_mmhg"].to_numpy(), rec.pressure_mmhg)
    np.testing.assert_array_equal(df["target_mmhg"].to_numpy(), rec.target_mmhg)  # NaN = NaN
    assert list(df["phase"].fillna("")) == list(rec.phase)
    assert df["marker"].fillna("").tolist() == list(rec.extra["marker"])
    assert df["seq"].tolist() == list(range(n))

    with open(path, encoding="utf-8") as f:
        meta = {k.strip(): v.strip() for k, _, v in (line[1:].partition(":") for line in f
                                                     if line.startswith("#"))}
    assert meta == rec.metadata
