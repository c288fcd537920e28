"""Spreadsheet formulas hidden in a CSV ("CSV injection"): found in every cell and spelling.

A spreadsheet opening a CSV evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@``
(also after a tab or a carriage return, inside quotes, after spaces): ``=HYPERLINK(…)``,
``+cmd|' /C calc'!A0``. Session CSVs hold numbers, five phase words and cctf's own metadata,
so such a cell is refused on import and never written by export. A plain number (``-1.5``,
``+3``) is not a formula. The check runs over the raw bytes with one regular expression per
chunk (C speed), so every line is covered: metadata lines (split at commas as a
spreadsheet would, and the key and value after ``#``), the header, and every data cell.
"""

from __future__ import annotations

import re
from pathlib import Path

from cctf.errors import FileFormatError

_NUM = rb"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_LEAD = rb"[ \"']*"  # spaces and quotes a spreadsheet strips before it looks
_END = rb"[ \"']*(?:,|\r?$)"
_WIDE = rb"\xef\xbc[\x9d\x8b\x8d\xa0]"  # full-width = + - @, which some spreadsheets honour
# A cell (start of line or after a comma) whose first significant character is a trigger.
_CELL = re.compile(
    rb"(?:^|,)" + _LEAD
    + rb"(?:[=@\t]|\r(?!$)|" + _WIDE + rb"|[+-](?!" + _NUM + _END + rb"))",
    re.MULTILINE,
)
# Metadata: "# key: value" with the key or the value starting with a trigger.
_META = re.compile(
    rb"^#[ \t]*(?:[=+\-@\t]|" + _WIDE + rb"|[^:\n]*:" + _LEAD
    + rb"(?:[=@\t]|\r(?!$)|" + _WIDE + rb"|[+-](?!" + _NUM + _END + rb")))",
    re.MULTILINE,
)
_CHUNK = 1 << 20


def first_formula(data: bytes) -> int | None:
    """Offset of the first formula-like cell in ``data`` (whole lines), else None."""
    found = [m.start() for m in (_CELL.search(data), _META.search(data)) if m is not None]
    return min(found) if found else None


def check_no_formulas(path: str | Path, name: str | None = None) -> None:
    """Raise ``FileFormatError`` (naming the line) if any cell of the file could run as a
    spreadsheet formula."""
    name = name or str(path)
    line = 1
    carry = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            if line == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = b"   " + data[3:]  # a byte-order mark is not a cell
            at = first_formula(data)
            if at is not None:
                where = line + data.count(b"\n", 0, at)
                cell = data[at:at + 40].lstrip(b",\n").split(b"\n")[0]
                raise FileFormatError(name, where, f"{cell.decode('utf-8', 'replace')!r} looks "
                                                   "like a spreadsheet formula: refused")
            line += data.count(b"\n")
            if not chunk:
                return
