"""The session reader's fast number path (issue 14) reads exactly what ``float()`` reads, and
hands everything else to the general path (which names the line)."""

from __future__ import annotations

import numpy as np
import pytest

from cctf.errors import FileFormatError
from cctf.sessionfile import read_session
from cctf.sessionread import _plain_numbers

CELLS = [b"1.5", b"-1.50", b"+2.25", b"12", b"1e3", b"1.2e-3", b"0.000", b"-0.001", b"12.",
         b".5", b"00012", b"1.5.", b"-", b"1-.5", b"1e", b"e5", b"1e+", b"--1", b"+-1",
         b"0x10", b".", b"1 2", b"inf", b"nan", b"1,5"]


@pytest.mark.parametrize("cell", CELLS)
def test_a_cell_reads_as_float_does_or_goes_to_the_general_path(cell):
    got = _plain_numbers(np.array([b"3.25", cell, b"-7"], dtype=np.bytes_), False)
    try:
        expected = float(cell)
    except ValueError:
        assert got is None
        return
    if got is not None:
        assert got.tolist() == [3.25, expected, -7.0]


def test_many_random_values_read_bit_for_bit():
    rng = np.random.default_rng(14)
    values = rng.normal(0, 1e3, 20_000)
    cells = np.array([f"{v:.{k % 7}f}".encode() for k, v in enumerate(values)])
    got = _plain_numbers(cells, False)
    assert got is not None
    assert np.array_equal(got, [float(c) for c in cells])


def test_blank_cells_are_nan_only_where_allowed():
    cells = np.array([b"1.5", b"", b"2"], dtype=np.bytes_)
    assert _plain_numbers(cells, False) is None
    got = _plain_numbers(cells, True)
    assert got[0] == 1.5 and np.isnan(got[1]) and got[2] == 2.0


def test_a_bad_number_is_still_named_by_its_line(tmp_path):
    path = tmp_path / "s.csv"
    rows = "".join(f"{k / 50:.4f},20.000,,\n" for k in range(100))
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n" + rows + "2.0000,0x10,,\n")
    with pytest.raises(FileFormatError) as err:
        read_session(path)
    assert err.value.line == 102 and "0x10" in str(err.value)
