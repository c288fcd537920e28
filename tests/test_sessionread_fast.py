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


# --- issue 14, stop 10: plain decimals and phase words straight from the block's bytes --------

def _cells(column: list[bytes], blank_ok: bool = False) -> np.ndarray | None:
    """``_Cells.decimals`` of one column of cells (a second column keeps the shape honest)."""
    from cctf.sessionread import _Cells

    block = b"\n".join(c + b",x" for c in column)
    cells = _Cells(block, 2)
    return cells.decimals(0, blank_ok)


@pytest.mark.parametrize("cell", [*(c for c in CELLS if b"," not in c), b"-0.000", b"+0",
                                  b"5.", b"123456789012345", b"1234567890123456",
                                  b"0.00000000000001", b"9007199254740993", b"-.5", b"+.",
                                  b" 1.5", b"1.5 "])
def test_a_plain_decimal_reads_as_float_does_or_goes_to_the_general_path(cell):
    for column in ([cell], [cell, cell, cell]):
        got = _cells(column)
        try:
            expected = float(cell)
        except ValueError:
            assert got is None
            continue
        if got is not None:  # bit for bit, the sign of zero included
            assert got.view(np.int64).tolist() == [np.float64(expected).view(np.int64)] * len(
                column)


def test_random_decimals_with_fixed_places_read_bit_for_bit():
    rng = np.random.default_rng(1410)
    for places in range(0, 9):
        values = rng.normal(0, 10.0 ** rng.integers(0, 6), 5000)
        cells = [f"{v:.{places}f}".encode() for v in values]
        got = _cells(cells)
        assert got is not None, places  # the fast path takes every such column
        assert np.array_equal(got.view(np.int64),
                              np.array([float(c) for c in cells]).view(np.int64))


@pytest.mark.parametrize("column", [
    [b"1.5", b"12"], [b"1.5", b"1.25"], [b"12", b"1.5"], [b"20.0", b"5"], [b"1.5", b"."],
    [b"1.5", b"-"], [b"1.5", b"1e3"], [b"1.5", b"nan"], [b"1.50", b"-.5"]])
def test_a_column_the_fast_path_cannot_read_exactly_goes_to_the_general_path(column):
    got = _cells(column)
    if got is not None:
        assert got.tolist() == [float(c) for c in column]


def test_blank_decimals_are_nan_only_where_allowed():
    assert _cells([b"1.5", b"", b"2.0"]) is None
    got = _cells([b"", b"1.50", b"", b"-2.25"], blank_ok=True)
    assert np.isnan(got[[0, 2]]).all() and got[[1, 3]].tolist() == [1.5, -2.25]
    assert np.isnan(_cells([b"", b""], blank_ok=True)).all()


def _random_session(rng: np.random.Generator, rows: int, head: bool) -> bytes:
    t = np.cumsum(rng.uniform(0.001, 0.05, rows))
    p = rng.normal(20, 30, rows).clip(-50, 400)
    phases = rng.choice(["", "stage", "endurance", "training", "practice"], rows)
    target = np.where(phases == "", np.nan, rng.choice([22.0, 24.0, 30.0], rows))
    header = "t_s,pressure_mmhg,target_mmhg,phase" + (",raw,head_pitch_deg,head_roll_deg"
                                                      if head else "")
    places = rng.integers(0, 6, 4)
    lines = ["# cctf_session_format: 1", header]
    for k in range(rows):
        cells = [f"{t[k]:.{places[0] + 3}f}", f"{p[k]:.{places[1]}f}",
                 "" if np.isnan(target[k]) else f"{target[k]:.{places[2]}f}", phases[k]]
        if head:
            pitch = "" if k % 7 == 0 else f"{rng.uniform(-90, 90):.{places[3]}f}"
            cells += [str(k), pitch, pitch]
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


def _checked_only(monkeypatch):
    """Every block through the checked path (as before stop 10)."""
    from cctf.sessionread import _Cells

    monkeypatch.setattr(_Cells, "if_regular", classmethod(lambda cls, *a: None))


@pytest.mark.parametrize("seed", range(6))
def test_fast_and_checked_paths_give_identical_arrays_on_random_valid_files(
        tmp_path, monkeypatch, seed):
    import cctf.sessionread as sessionread

    rng = np.random.default_rng(seed)
    path = tmp_path / "s.csv"
    path.write_bytes(_random_session(rng, int(rng.integers(1, 3000)), head=seed % 2 == 1))
    monkeypatch.setattr(sessionread, "CHUNK_BYTES", int(rng.integers(200, 1 << 16)))
    taken = []
    decimals = sessionread._Cells.decimals
    monkeypatch.setattr(sessionread._Cells, "decimals",
                        lambda self, *a: taken.append(decimals(self, *a)) or taken[-1])
    fast = read_session(path)
    assert taken and all(x is not None for x in taken)  # the fast path read every column
    with monkeypatch.context() as m:
        _checked_only(m)
        checked = read_session(path)
    for a, b in ((fast.t_s, checked.t_s), (fast.pressure_mmhg, checked.pressure_mmhg),
                 (fast.target_mmhg, checked.target_mmhg)):
        assert a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64))
    assert fast.phase.tolist() == checked.phase.tolist()
    assert fast.extra.keys() == checked.extra.keys()
    for c in fast.extra:
        assert fast.extra[c].tolist() == checked.extra[c].tolist()
    for a, b in ((fast.head_pitch_deg, checked.head_pitch_deg),
                 (fast.head_roll_deg, checked.head_roll_deg)):
        assert (a is None and b is None) or np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize("column,bad", [
    (0, "abc"), (0, ""), (0, "nan"), (0, "1.2.3"), (1, "inf"), (1, "--1"), (1, " "),
    (1, "0x10"), (2, "22,"), (2, "x"), (3, "stagе"), (3, "rest"), (3, "Stage"), (0, "\xe9"),
    (1, "1e999"), (0, "5,6"), (3, "stage x"), (1, "500.0"), (0, "0.0100"), (2, "-60")])
def test_one_bad_cell_gives_the_exact_old_message(tmp_path, monkeypatch, column, bad):
    rows = [[f"{k / 100:.4f}", f"{20 + k % 5:.3f}", "22.00" if k % 3 else "",
             "stage" if k % 3 else ""] for k in range(2000)]
    rows[1234][column] = bad
    path = tmp_path / "s.csv"
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n"
                    + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(FileFormatError) as fast:
        read_session(path)
    _checked_only(monkeypatch)
    with pytest.raises(FileFormatError) as checked:
        read_session(path)
    assert str(fast.value) == str(checked.value)
    assert fast.value.line in (1236, 1237, None)


def test_phase_words_with_spaces_or_unknown_words_take_the_general_path(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n0.0,20.0,22.0, stage\n"
                    "0.1,20.0,22.0,stage\n")
    assert read_session(path).phase.tolist() == ["stage", "stage"]
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n0.0,20.0,22.0,stagf\n")
    with pytest.raises(FileFormatError, match="line 2: phase 'stagf' is not one of"):
        read_session(path)


@pytest.mark.parametrize("bad", ["xndurance", "exdurance", "endurancx", "stxge", "stagx"])
def test_a_phase_word_wrong_in_any_byte_among_blank_cells_is_refused(tmp_path, bad):
    """The fast path compares every byte of the words, blank cells left out (issue 14)."""
    path = tmp_path / "s.csv"
    rows = ["0.0,20.0,,", "0.1,20.0,22.0,stage", "0.2,20.0,24.0,endurance", f"0.3,20.0,24.0,{bad}",
            "0.4,20.0,,"]
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n" + "\n".join(rows) + "\n")
    with pytest.raises(FileFormatError, match=f"line 5: phase '{bad}' is not one of"):
        read_session(path)
    rows[3] = "0.3,20.0,24.0,endurance"
    path.write_text("t_s,pressure_mmhg,target_mmhg,phase\n" + "\n".join(rows) + "\n")
    assert read_session(path).phase.tolist() == ["", "stage", "endurance", "endurance", ""]
