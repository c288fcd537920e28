"""The ring buffer consumers pull from."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from cctf.acquisition.buffer import SAMPLE_DTYPE, SampleBuffer


def _rows(start: int, n: int) -> np.ndarray:
    rows = np.zeros(n, dtype=SAMPLE_DTYPE)
    rows["seq"] = np.arange(start, start + n)
    rows["t_s"] = rows["seq"] * 0.01
    return rows


def test_consumers_read_independently_and_in_order():
    buf = SampleBuffer(100)
    buf.append(_rows(0, 30))
    a = buf.read(0)
    buf.append(_rows(30, 20))
    b = buf.read(a.cursor)
    c = buf.read(0)
    assert list(a.rows["seq"]) == list(range(30))
    assert list(b.rows["seq"]) == list(range(30, 50))
    assert list(c.rows["seq"]) == list(range(50))
    assert a.missed == b.missed == c.missed == 0


def test_wrap_around_and_a_slow_consumer_is_told_what_it_missed():
    buf = SampleBuffer(64)
    cursor = 0
    for start in range(0, 1000, 37):
        buf.append(_rows(start, 37))
    pull = buf.read(cursor)
    assert pull.missed == buf.written - 64
    assert list(pull.rows["seq"]) == list(range(buf.written - 64, buf.written))
    assert list(buf.latest(5)["seq"]) == list(range(buf.written - 5, buf.written))


def test_append_larger_than_capacity_keeps_the_newest():
    buf = SampleBuffer(10)
    buf.append(_rows(0, 25))
    assert buf.written == 25
    assert list(buf.read(15).rows["seq"]) == list(range(15, 25))


def test_max_rows_pages_through():
    buf = SampleBuffer(100)
    buf.append(_rows(0, 50))
    first = buf.read(0, max_rows=20)
    second = buf.read(first.cursor, max_rows=100)
    assert len(first.rows) == 20 and list(second.rows["seq"]) == list(range(20, 50))


def test_concurrent_writer_and_reader_see_every_row_once():
    buf = SampleBuffer(500)
    total = 20_000

    def writer() -> None:
        for start in range(0, total, 7):
            buf.append(_rows(start, min(7, total - start)))

    seen: list[np.ndarray] = []
    thread = threading.Thread(target=writer)
    thread.start()
    cursor = 0
    while cursor < total:
        buf.wait_until_written(cursor + 1, timeout_s=10)
        pull = buf.read(cursor)
        assert pull.missed == 0 or cursor + pull.missed <= total
        seen.append(pull.rows)
        cursor = pull.cursor
    thread.join()
    seqs = np.concatenate(seen)["seq"]
    assert np.all(np.diff(seqs) >= 1)  # in order, no duplicates (a few may be missed)


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        SampleBuffer(0)
