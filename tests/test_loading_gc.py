"""The ``cctf`` command loads without garbage collection (``cctf.loading_gc``, issue 14) and
turns it back on once loaded; a program that had it off keeps it off."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(("before", "after"), [("", "True"), ("gc.disable(); ", "False")])
def test_collection_is_as_before_once_the_cli_has_loaded(before, after):
    code = f"import gc; {before}import cctf.cli; print(gc.isenabled(), gc.get_freeze_count() > 0)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [after, "True" if after == "True" else "False"]
