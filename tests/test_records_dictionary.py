"""docs/records.md's data dictionary lists every table and column of a new records database,
so that research use of cctf.db never has to guess a column's meaning or unit."""

from __future__ import annotations

import re
import sqlite3

from cctf.records.startup import open_records

from .conftest import REPO


def _documented() -> dict[str, set[str]]:
    text = (REPO / "docs" / "records.md").read_text(encoding="utf-8")
    dictionary = text[text.index("## Data dictionary"):]
    found: dict[str, set[str]] = {}
    for section in re.split(r"^### ", dictionary, flags=re.MULTILINE)[1:]:
        table = re.match(r"`(\w+)`", section)
        assert table, section[:40]
        cols: set[str] = set()
        for row in re.findall(r"^\| ([^|]+) \|", section, flags=re.MULTILINE):
            cols.update(re.findall(r"`(\w+)`", row))
        found[table.group(1)] = cols
    return found


def test_every_table_and_column_is_in_the_data_dictionary(tmp_path):
    records = open_records(tmp_path / "data")
    try:
        path = records.data.db_path
    finally:
        records.close()
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        columns = {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        conn.close()
    documented = _documented()
    assert set(columns) == set(documented), "tables: " + str(set(columns) ^ set(documented))
    for table, cols in columns.items():
        missing = cols - documented[table]
        assert not missing, f"{table}: columns missing from docs/records.md: {sorted(missing)}"
