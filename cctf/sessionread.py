"""Reading a session CSV in bounded memory, strictly, from a regular file only.

The file is read in chunks of ``CHUNK_BYTES``; each chunk's complete lines are checked and
converted with NumPy at C speed (field counts from comma positions, numbers by one cast per
column), so memory is the result's arrays plus one chunk's worth of temporaries, never a
Python object per row for the numeric columns. Every problem names the file and line.

Refused as malformed (``FileFormatError``): anything but a regular file (a device, a FIFO,
a folder: never opened for reading, so nothing blocks or runs forever); a line longer than
``MAX_LINE_BYTES`` (refused as soon as it is seen); text that is not UTF-8; a wrong field
count; a value that is not a finite number; a pressure outside ``PRESSURE_RANGE_MMHG``;
time that does not strictly increase. A UTF-8 byte-order mark (spreadsheets write one) is
skipped.
"""

from __future__ import annotations

import logging
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cctf.errors import FileFormatError

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 64 * 1024
MAX_METADATA_LINES = 10_000
MAX_COLUMNS = 32
PRESSURE_RANGE_MMHG = (-50.0, 400.0)  # what a cuff sensor can physically report
HEAD_COLUMNS = ("head_pitch_deg", "head_roll_deg")
"""Optional head-sensor columns (issue 17): read as numbers, blank = not measured (NaN)."""
HEAD_RANGE_DEG = 180.0
_BOM = b"\xef\xbb\xbf"
_NL, _COMMA = 10, 44


@dataclass(slots=True)
class Parsed:
    metadata: dict[str, str]
    columns: list[str]
    t_s: np.ndarray
    pressure_mmhg: np.ndarray
    target_mmhg: np.ndarray
    phase: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    dropped_tail_bytes: int = 0
    head: dict[str, np.ndarray] = field(default_factory=dict)  # HEAD_COLUMNS present, float


def open_regular(path: str | Path, name: str) -> tuple[int, int]:
    """Open for reading without blocking (a FIFO would wait for a writer forever) and
    refuse anything but a regular file. Returns (fd, size)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileFormatError(name, None, f"cannot read: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise FileFormatError(name, None, f"{kind}: cctf reads session CSVs from "
                                              "regular files only")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _decode(data: bytes, name: str, line: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(name, line, f"not a text file: not UTF-8 ({exc.reason})"
                              ) from None


class _Reader:
    """Lines of a binary file in chunks; the line counter is the file's (1-based)."""

    def __init__(self, fd: int, name: str) -> None:
        self.f = os.fdopen(fd, "rb", buffering=0)
        self.name = name
        self.carry = b""
        self.eof = False
        self.line = 1  # number of the first line in ``carry``
        self.first = True

    def close(self) -> None:
        self.f.close()

    def fill(self) -> bool:
        """Read one more chunk into ``carry``; False at end of file."""
        if self.eof:
            return False
        chunk = self.f.read(CHUNK_BYTES)
        if not chunk:
            self.eof = True
            return False
        if b"\x00" in chunk:
            raise FileFormatError(self.name, None, "not a text file (NUL bytes): not a "
                                                   "session CSV")
        self.carry += chunk
        if self.first and len(self.carry) >= len(_BOM):  # however small the chunks
            self.first = False
            if self.carry.startswith(_BOM):
                self.carry = self.carry[len(_BOM):]
        last = self.carry.rfind(b"\n")
        tail = len(self.carry) - (last + 1)
        if tail > MAX_LINE_BYTES:
            lines_before = self.carry.count(b"\n", 0, last + 1) if last >= 0 else 0
            raise FileFormatError(self.name, self.line + lines_before,
                                  f"line longer than {MAX_LINE_BYTES} bytes: not a session CSV")
        return True

    def take_complete(self) -> tuple[bytes | None, int]:
        """The complete lines in ``carry`` (without the last newline) and where they start;
        None when ``carry`` holds no complete line."""
        last = self.carry.rfind(b"\n")
        if last < 0:
            return None, self.line
        block, self.carry = self.carry[:last], self.carry[last + 1:]
        start = self.line
        self.line += _newlines(block) + 1
        return block, start

    def next_line(self) -> bytes | None:
        """One line (header part of the file), or None at end of file."""
        while b"\n" not in self.carry:
            if not self.fill():
                if not self.carry:
                    return None
                line, self.carry = self.carry, b""
                self.line += 1
                return line
        line, _, self.carry = self.carry.partition(b"\n")
        self.line += 1
        return line


def _newlines(data: bytes) -> int:
    """``data.count(b"\\n")``, several times faster (a vector compare and count: the file's
    lines are counted twice, ~6 ms each an hour by ``bytes.count``)."""
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _NL))


def _count_lines(fd: int) -> int:
    """Lines in the file (an upper bound on its rows, to allocate once); back to the start."""
    count = 1
    while chunk := os.read(fd, CHUNK_BYTES):
        count += _newlines(chunk)
    os.lseek(fd, 0, os.SEEK_SET)
    return count


def read_session_file(path: str | Path, name: str, *, tolerate_truncated_tail: bool,
                      required: tuple[str, ...], phases: frozenset[str],
                      keep_extra: bool = True) -> Parsed:
    fd, _size = open_regular(path, name)
    try:
        capacity = _count_lines(fd)
    except BaseException:
        os.close(fd)
        raise
    reader = _Reader(fd, name)
    try:
        return _parse(reader, name, tolerate_truncated_tail, required, phases, capacity,
                      keep_extra)
    finally:
        reader.close()


def _metadata(reader: _Reader, name: str) -> tuple[dict[str, str], str, int]:
    """The leading ``# key: value`` lines, then the column header line and its number."""
    metadata: dict[str, str] = {}
    n_meta = 0
    while True:
        number = reader.line
        raw = reader.next_line()
        if raw is None:
            raise FileFormatError(name, None,
                                  "no column header line (expected t_s,pressure_mmhg,...)")
        if len(raw) > MAX_LINE_BYTES:
            raise FileFormatError(name, number, f"line longer than {MAX_LINE_BYTES} bytes: "
                                                "not a session CSV")
        text = _decode(raw, name, number).rstrip("\r")
        if text.startswith("#") or not text.strip():
            n_meta += 1
            if n_meta > MAX_METADATA_LINES:
                raise FileFormatError(name, number, f"more than {MAX_METADATA_LINES} metadata "
                                                    "lines: not a session CSV")
            key, sep, value = text.lstrip("#").partition(":")
            if sep and key.strip():
                metadata[key.strip()] = value.strip()
            continue
        header_line = number
        break
    return metadata, text, header_line


def read_metadata(path: str | Path, name: str) -> dict[str, str]:
    """Only the file's metadata (its leading ``#`` lines), read with the same checks as the
    whole file's header: a few kB, however long the file."""
    fd, _size = open_regular(path, name)
    reader = _Reader(fd, name)
    try:
        return _metadata(reader, name)[0]
    finally:
        reader.close()


def _parse(reader: _Reader, name: str, tolerate: bool, required: tuple[str, ...],
           phases: frozenset[str], capacity: int, keep_extra: bool) -> Parsed:
    metadata, text, header_line = _metadata(reader, name)
    columns = [c.strip() for c in text.split(",")]
    if len(columns) > MAX_COLUMNS:
        raise FileFormatError(name, header_line, f"{len(columns)} columns, at most "
                                                 f"{MAX_COLUMNS}: not a session CSV")
    if tuple(columns[:4]) != required:
        raise FileFormatError(name, header_line, f"header must start with {','.join(required)}"
                                                 f", found {text[:80]!r}")
    body = _Body(name, columns, phases, capacity, keep_extra)
    while True:
        more = reader.fill()
        block, start = reader.take_complete()
        if block is not None:
            body.add(block, start)
        if not more:
            break
    dropped = 0
    if reader.carry:
        if tolerate:
            dropped = len(reader.carry)
            log.warning("%s: left out an unfinished last line (%d bytes)", name, dropped)
        else:
            body.add(reader.carry, reader.line)
    return body.finish(metadata, dropped, header_line + 1)


class _Body:
    """The data rows, converted chunk by chunk."""

    def __init__(self, name: str, columns: list[str], phases: frozenset[str], capacity: int,
                 keep_extra: bool) -> None:
        self.name = name
        self.columns = columns
        self.n = len(columns)
        self.phases = {p.encode(): p for p in phases}
        self.floats = [_Grow(capacity, np.float64) for _ in range(3)]
        self.phase = _Grow(capacity, object)
        self.keep_extra = keep_extra
        self.extra = [_Grow(capacity if keep_extra else 0, np.str_) for _ in columns[4:]]
        self.head = {c: _Grow(capacity, np.float64) for c in columns[4:] if c in HEAD_COLUMNS}
        self.blank_at: int | None = None  # a blank line; an error if data follows it

    def add(self, block: bytes, start: int) -> None:
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n")
            if block.endswith(b"\r"):
                block = block[:-1]
        arr = np.frombuffer(block, dtype=np.uint8)
        if self.blank_at is None:
            cells = _Cells.if_regular(block, arr, self.n)
            if cells is not None:  # every line has its n fields and fits: no line to name
                self._convert(cells, start)
                return
        newlines = np.flatnonzero(arr == _NL)
        ends = np.append(newlines, len(block))
        starts = np.concatenate(([0], newlines + 1))
        lengths = ends - starts
        long = np.flatnonzero(lengths > MAX_LINE_BYTES)
        if len(long):
            raise FileFormatError(self.name, start + int(long[0]),
                                  f"line longer than {MAX_LINE_BYTES} bytes: not a session CSV")
        comma_at = np.flatnonzero(arr == _COMMA)
        per_line = np.bincount(np.searchsorted(starts, comma_at, side="right") - 1,
                               minlength=len(starts))
        blank = lengths == 0
        # Lines of only spaces or tabs are blank too: few candidates (no comma, short).
        for k in np.flatnonzero((per_line == 0) & (lengths > 0) & (lengths < 64)):
            blank[k] = not block[starts[k]:ends[k]].strip()
        if self.blank_at is not None and not blank.all():
            raise FileFormatError(self.name, self.blank_at, "blank line inside the data")
        if blank.any():
            first_blank = int(np.flatnonzero(blank)[0])
            if not blank[first_blank:].all():
                raise FileFormatError(self.name, start + first_blank,
                                      "blank line inside the data")
            self.blank_at = start + first_blank if self.blank_at is None else self.blank_at
            keep = first_blank
            if keep == 0:
                return
            block = block[: int(ends[keep - 1])]
            per_line = per_line[:keep]
        wrong = np.flatnonzero(per_line != self.n - 1)
        if len(wrong):
            bad = int(wrong[0])
            raise FileFormatError(self.name, int(start + bad), f"{int(per_line[bad]) + 1} fields, "
                                  f"expected {self.n} ({','.join(self.columns)})")
        self._convert(_Cells(block, self.n), start)

    def _convert(self, cells: _Cells, start: int) -> None:
        """Every column of a block whose lines all have the right field count."""
        for j, (column, blank_ok) in enumerate((("t_s", False), ("pressure_mmhg", False),
                                                 ("target_mmhg", True))):
            self.floats[j].append(self._numbers(cells, j, column, start, blank_ok))
        words = cells.words(3, self.phases)
        self.phase.append(words if words is not None else self._phases(cells.column(3), start))
        ascii_only = cells.ascii_only() if self.n > 4 else True
        for j in range(4, self.n):
            column = self.columns[j]
            if column in self.head:
                self.head[column].append(self._numbers(cells, j, column, start, True))
            if self.keep_extra or not ascii_only:  # checked even when not kept
                texts = self._texts(cells.column(j), start)
                if self.keep_extra:
                    self.extra[j - 4].append(texts)
        del cells
        assert all(c.n == self.phase.n for c in self.floats)

    def _numbers(self, cells: _Cells, j: int, column: str, start: int, blank_ok: bool
                 ) -> np.ndarray:
        """Column ``j`` as numbers: plain decimals straight from the block's bytes, anything
        else (and every error) through the general path."""
        fast = cells.decimals(j, blank_ok)
        return fast if fast is not None else self._floats(cells.column(j), column, start,
                                                          blank_ok)

    def _floats(self, raw: np.ndarray, column: str, start: int, blank_ok: bool
                ) -> np.ndarray:
        fast = _plain_numbers(raw, blank_ok)
        if fast is not None and np.isfinite(fast[~np.isnan(fast)] if blank_ok else fast).all():
            return fast
        blank = np.char.strip(raw) == b"" if blank_ok else None
        try:
            values = (np.where(blank, b"nan", raw) if blank is not None else raw
                      ).astype(np.float64)
        except ValueError:
            values = None
        if values is not None:
            ok = np.isfinite(values) | blank if blank_ok else np.isfinite(values)
            if ok.all():
                return values
        for k, cell in enumerate(raw.tolist()):  # the error path: find the first bad row
            _decode(cell, self.name, start + k)
            text = cell.strip()
            if blank_ok and not text:
                continue
            try:
                x = float(text)
            except ValueError:
                x = float("nan")
            if not np.isfinite(x):
                shown = "blank" if not text else repr(text.decode("utf-8", "replace")[:40])
                raise FileFormatError(self.name, start + k, f"{column} is {shown}, not a number")
        raise FileFormatError(self.name, None, f"{column}: unreadable numbers")  # pragma: no cover

    def _phases(self, raw: np.ndarray, start: int) -> np.ndarray:
        uniques, inverse = np.unique(raw, return_inverse=True)
        table = np.empty(len(uniques), dtype=object)
        for i, u in enumerate(uniques):
            word = self.phases.get(bytes(u).strip())
            if word is None:
                k = int(np.flatnonzero(inverse.reshape(-1) == i)[0])
                _decode(bytes(u), self.name, start + k)
                shown = bytes(u).decode("utf-8", "replace")[:40]
                raise FileFormatError(self.name, start + k, f"phase {shown!r} is not one of "
                                      "stage, endurance, training, practice or blank")
            table[i] = word
        return table[inverse.reshape(-1)]

    def _texts(self, raw: np.ndarray, start: int) -> np.ndarray:
        try:
            return raw.astype(np.str_)  # ASCII: the common case, at C speed
        except UnicodeDecodeError:
            pass
        out = []
        for k, cell in enumerate(raw.tolist()):
            out.append(_decode(cell, self.name, start + k))
        return np.array(out, dtype=np.str_)

    def finish(self, metadata: dict[str, str], dropped: int, first_line: int) -> Parsed:
        t_s, p, target = (c.result() for c in self.floats)
        low, high = PRESSURE_RANGE_MMHG
        for column, values in (("pressure_mmhg", p), ("target_mmhg", target)):
            bad = np.flatnonzero((values < low) | (values > high))  # NaN (blank) passes
            if len(bad):
                k = int(bad[0])
                raise FileFormatError(self.name, first_line + k,
                                      f"{column} {values[k]:.6g} is outside {low:g}…{high:g} "
                                      "mmHg: not a cuff pressure")
        if len(t_s) > 1:
            stuck = np.flatnonzero(np.diff(t_s) <= 0)
            if len(stuck):
                k = int(stuck[0]) + 1
                how = "goes backwards" if t_s[k] < t_s[k - 1] else "does not increase"
                raise FileFormatError(self.name, first_line + k,
                                      f"t_s {how} ({t_s[k]} after {t_s[k - 1]})")
        head = {c: g.result() for c, g in self.head.items()}
        for column, values in head.items():
            bad = np.flatnonzero(np.abs(values) > HEAD_RANGE_DEG)  # NaN (blank) passes
            if len(bad):
                k = int(bad[0])
                raise FileFormatError(self.name, first_line + k,
                                      f"{column} {values[k]:.6g} is outside ±{HEAD_RANGE_DEG:g}"
                                      " degrees: not a head angle")
        phase = self.phase.result()
        extra = ({c: self.extra[j].result() for j, c in enumerate(self.columns[4:])}
                 if self.keep_extra else {})
        return Parsed(metadata, self.columns, t_s, p, target, phase, extra, dropped, head)


_POW10 = 10.0 ** np.arange(16)  # exact in float64
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[list(b"0123456789.+-eE\x00")] = True


def _plain_numbers(raw: np.ndarray, blank_ok: bool) -> np.ndarray | None:
    """Cells of only digits, signs, points and exponents (blank: NaN when ``blank_ok``)
    parsed by NumPy's C text reader, several times faster than casting the bytes; None when
    any cell holds another byte or does not read as exactly one number (the caller's general
    path then decides, with its error messages)."""
    n, w = len(raw), raw.dtype.itemsize
    g = raw.view(np.uint8).reshape(n, w)
    if not _NUMBER_BYTES[g].all():
        return None
    blank = (g == 0).all(axis=1)
    if blank.any():
        if not blank_ok:
            return None
        out = np.full(n, np.nan)
        if not blank.all():
            sub = _plain_numbers(raw[~blank], False)
            if sub is None:
                return None
            out[~blank] = sub
        return out
    text = np.full((n, w + 1), 32, dtype=np.uint8)  # spaces between (and for the NULs)
    np.copyto(text[:, :w], g, where=g != 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # older NumPy warns where newer raises
            values = np.fromstring(text.tobytes(), dtype=np.float64, sep=" ")
    except ValueError:  # "could not be read to its end"
        return None
    return values if len(values) == n else None


class _Cells:
    """The cells of a block of complete lines (each with ``n`` fields, already checked), one
    column at a time as a fixed-width bytes array, gathered at C speed from the separators'
    positions: no Python object per cell (issue 14: the per-cell ``split`` was two thirds of
    ``cctf analyze``'s time)."""

    _MAX_GATHER = 256  # wider cells (long notes): sliced one by one instead

    def __init__(self, block: bytes, n: int, sep: np.ndarray | None = None) -> None:
        self.block = block
        self.arr = np.frombuffer(block, dtype=np.uint8)
        if sep is None:
            sep = np.flatnonzero((self.arr == _COMMA) | (self.arr == _NL))
        self.sep = sep
        self.n = n

    def bounds(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Where the cells of column ``j`` start and end (the separators of that column
        only: no array of every cell's bounds)."""
        n, sep = self.n, self.sep
        starts = sep[j - 1:: n] + 1 if j else np.concatenate(([0], sep[n - 1:: n] + 1))
        ends = sep[j:: n] if j < n - 1 else np.append(sep[n - 1:: n], len(self.block))
        return starts, ends

    @classmethod
    def if_regular(cls, block: bytes, arr: np.ndarray, n: int) -> _Cells | None:
        """The cells, when every line of ``block`` has exactly ``n`` fields and none is longer
        than ``MAX_LINE_BYTES`` (so none is blank): one pass finds the separators, and every
        n-th of them must be the newlines, all of them. None otherwise: the caller's checked
        path then finds the line to name."""
        if b"\r" in block:
            return None
        is_sep = arr == _COMMA
        is_nl = arr == _NL
        lines = int(np.count_nonzero(is_nl)) + 1
        is_sep |= is_nl
        del is_nl
        sep = np.flatnonzero(is_sep)
        del is_sep
        if len(sep) != lines * n - 1:
            return None
        newlines = sep[n - 1:: n]
        if not (arr[newlines] == _NL).all():
            return None
        if lines > 1:
            longest = max(int(newlines[0]), int(np.diff(newlines).max(initial=0)) - 1,
                          len(block) - int(newlines[-1]) - 1)
        else:
            longest = len(block)
        if longest > MAX_LINE_BYTES:
            return None
        return cls(block, n, sep)

    def ascii_only(self) -> bool:
        """No byte above 127: every cell decodes as UTF-8."""
        return bool(self.arr.max(initial=0) < 128)

    def words(self, j: int, known: dict[bytes, str]) -> np.ndarray | None:
        """Column ``j`` as the ``known`` words (object array) when every cell is exactly one
        of them; None otherwise (the general path strips spaces and names a bad cell). A
        cell's length and first byte pick the word it can only be, then its other bytes are
        compared, place by place for all rows at once (no sorting, no gathering)."""
        arr = self.arr
        s, e = self.bounds(j)
        if len(s) == 0:
            return None
        order = sorted(known)
        keys = [len(w) * 256 + (w[0] if w else 0) for w in order]
        if len(set(keys)) != len(keys):  # two words alike at a glance: the general path
            return None
        width = e - s
        key = width * 256 + arr.take(s, mode="clip") * (width > 0)
        sorted_keys = np.array(sorted(keys))
        code = np.minimum(np.searchsorted(sorted_keys, key), len(keys) - 1)
        if not (sorted_keys[code] == key).all():
            return None
        by_key = sorted(range(len(order)), key=lambda i: keys[i])
        table = [order[i] for i in by_key]  # code -> word, in key order
        longest = max(len(w) for w in order)
        # The key has checked each cell's length and first byte: the other bytes are compared
        # in the cells that have them only (blank cells, often half a file, have none).
        longer = np.flatnonzero(width > 1)
        if len(longer) < len(s):
            s, width, code_longer = s[longer], width[longer], code[longer]
        else:
            code_longer = code
        for i in range(1, longest):
            expect = np.array([w[i] if i < len(w) else 0 for w in table], dtype=np.uint8)
            c = arr.take(s + i, mode="clip")
            if not ((c == expect[code_longer]) | (width <= i)).all():
                return None
        values = np.empty(len(table), dtype=object)
        values[:] = [known[w] for w in table]
        return values[code]

    def decimals(self, j: int, blank_ok: bool) -> np.ndarray | None:
        """Column ``j`` when every cell is a plain decimal (an optional sign, at most 15
        digits, the point — if any — the same number of places from the right in every cell,
        as cctf and most tools write a column: "-0.015", "3599.9900") or blank where
        ``blank_ok`` (NaN); None for anything else.

        Read straight from the block without gathering the cells: the digits right-aligned,
        one place at a time for all rows (Horner's rule, exact in float64 below 2**53), then
        one division by the power of ten, which IEEE rounds correctly from two exact
        operands: the same bits as ``float()`` (tests/test_sessionread_fast.py)."""
        arr = self.arr
        s, e = self.bounds(j)
        if len(s) == 0:
            return None
        width = e - s
        first = arr.take(s, mode="clip")
        signed = ((first == 45) | (first == 43)) & (width > 1)  # '-', '+'
        negative = (first == 45) & signed
        if signed.any():
            width = width - signed
        w = int(width.max())
        blank = width == 0
        has_blank = bool(blank.any())
        if has_blank and not blank_ok:
            return None
        if w == 0:
            return np.full(len(s), np.nan)
        k0 = int(np.argmin(blank)) if has_blank else 0  # the first cell with a number
        places = self.block.rfind(b".", int(s[k0]), int(e[k0]))
        places = int(e[k0]) - places - 1 if places >= 0 else -1  # digits after the point
        if w - (places >= 0) > 15:
            return None
        if places >= 0 and not ((width >= 2) | blank).all():  # "." alone is no number
            return None
        mantissa = np.zeros(len(s))
        at = e - (w + 1)  # moved one byte right per place (in place: no index array per place)
        c = np.empty(len(s), dtype=np.uint8)
        narrowest = int(width.min())
        for k in range(w, 0, -1):  # the k-th byte from the right end of a w-wide cell
            at += 1
            arr.take(at, mode="clip", out=c)
            inside = width >= k if k > narrowest else None  # None: every cell reaches here
            if k == places + 1:  # the point's place: a point in every cell with a number
                dots = c == 46
                if inside is not None:
                    dots &= inside
                if not (dots | blank).all():
                    return None
                continue
            c -= 48
            if inside is not None:
                c *= inside
            if not int(c.max()) < 10:
                return None
            mantissa *= 10.0
            mantissa += c
        if places > 0:
            mantissa /= _POW10[places]
        np.negative(mantissa, out=mantissa, where=negative)
        if has_blank:
            mantissa[blank] = np.nan
        return mantissa

    def column(self, j: int) -> np.ndarray:
        s, e = self.bounds(j)
        width = e - s
        w = int(width.max()) if len(width) else 0
        if w == 0:
            return np.zeros(len(s), dtype="S1")
        if w > self._MAX_GATHER:
            return np.array([self.block[a:b] for a, b in zip(s.tolist(), e.tolist(),
                                                                strict=True)], dtype=np.bytes_)
        offsets = np.arange(w)
        idx = s[:, None] + offsets
        inside = offsets < width[:, None]
        np.minimum(idx, len(self.arr) - 1, out=idx)
        gathered = np.where(inside, self.arr[idx], 0).astype(np.uint8)
        return gathered.view(f"S{w}").reshape(-1)  # trailing NULs end a bytes_ value


class _Grow:
    """An array filled chunk by chunk in place (no concatenation doubling the memory)."""

    def __init__(self, capacity: int, dtype: object) -> None:
        self.a = (np.empty(capacity, dtype=dtype)  # type: ignore[call-overload]
                  if dtype is not np.str_ else None)
        self.capacity = capacity
        self.n = 0

    def append(self, values: np.ndarray) -> None:
        need = self.n + len(values)
        a = self.a
        if a is None:
            a = np.empty(max(self.capacity, need), dtype=values.dtype)
        elif need > len(a) or (values.dtype.kind == "U" and values.dtype.itemsize
                                > a.dtype.itemsize):
            dtype = values.dtype if values.dtype.kind == "U" and (
                values.dtype.itemsize > a.dtype.itemsize) else a.dtype
            grown = np.empty(max(need, len(a)), dtype=dtype)
            grown[: self.n] = a[: self.n]
            a = grown
        a[self.n: need] = values
        self.a, self.n = a, need

    def result(self) -> np.ndarray:
        if self.a is None:
            return np.zeros(0, dtype=np.str_)
        return self.a[: self.n]
