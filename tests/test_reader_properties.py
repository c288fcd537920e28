"""Property tests of the session-file reader, and bounded fuzz targets for the CSV and archive
readers (issue 10). Derandomised and bounded: they run in CI in seconds, the same each time.

The fuzz contract: whatever the bytes, the reader returns a recording that keeps the format's
promises (equal lengths, finite strictly increasing time, possible pressures) or raises
``FileFormatError`` — never anything else, never a hang; a refused archive changes nothing.
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cctf.sessionread as sessionread
from cctf.errors import CctfError, FileFormatError
from cctf.formulas import first_formula
from cctf.sessionfile import PHASES, SessionWriter, read_session

from .records_helpers import clinic_csv, snapshot

FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

HEADER = b"t_s,pressure_mmhg,target_mmhg,phase,raw,flags,seq\n"


@st.composite
def sessions(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(0, 300))
    steps = draw(st.lists(st.integers(1, 500), min_size=n, max_size=n))
    t = (np.cumsum(steps) * 1e-4).round(4) if n else np.zeros(0)
    p = np.array(draw(st.lists(st.floats(-50, 400), min_size=n, max_size=n)), dtype=float)
    tgt = np.array(draw(st.lists(st.one_of(st.just(math.nan), st.floats(-50, 400)),
                                 min_size=n, max_size=n)), dtype=float)
    ph = draw(st.lists(st.sampled_from(sorted(PHASES)), min_size=n, max_size=n))
    raw = np.array(draw(st.lists(st.integers(0, 2**24), min_size=n, max_size=n)), dtype=int)
    return {"t": t, "p": p, "target": tgt, "phase": ph, "raw": raw}


def _write(path: Path, s: dict, meta: dict[str, str] | None = None) -> Path:
    w = SessionWriter(path, meta or {"device_serial": "SIM00001"}, ("raw",))
    w.write(s["t"], s["p"], s["target"], s["phase"], {"raw": s["raw"]})
    w.close()
    return path


def _promises(rec) -> None:
    n = len(rec.t_s)
    assert len(rec.pressure_mmhg) == len(rec.target_mmhg) == len(rec.phase) == n
    assert all(len(c) == n for c in rec.extra.values())
    assert np.all(np.isfinite(rec.t_s)) and np.all(np.diff(rec.t_s) > 0)
    assert np.all((rec.pressure_mmhg >= -50) & (rec.pressure_mmhg <= 400))
    tg = rec.target_mmhg[~np.isnan(rec.target_mmhg)]
    assert np.all((tg >= -50) & (tg <= 400))
    assert set(rec.phase.tolist()) <= PHASES


@FAST
@given(s=sessions())
def test_what_is_written_is_read_back(tmp_path_factory, s):
    path = _write(tmp_path_factory.mktemp("rt") / "s.csv", s)
    rec = read_session(path)
    _promises(rec)
    assert np.array_equal(rec.t_s, np.array([float(f"{x:.4f}") for x in s["t"]]))
    assert np.allclose(rec.pressure_mmhg, s["p"], atol=5e-4)
    assert np.allclose(rec.target_mmhg, s["target"], atol=5e-3, equal_nan=True)
    assert rec.phase.tolist() == s["phase"]
    assert rec.extra["raw"].tolist() == [str(x) for x in s["raw"]]
    assert rec.metadata["device_serial"] == "SIM00001"


@FAST
@given(s=sessions(), chunk=st.integers(1, 300), crlf=st.booleans(), bom=st.booleans())
def test_chunk_size_line_endings_and_bom_do_not_change_the_result(tmp_path_factory, s, chunk,
                                                                    crlf, bom):
    path = _write(tmp_path_factory.mktemp("ch") / "s.csv", s)
    whole = read_session(path)
    data = path.read_bytes()
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    old = sessionread.CHUNK_BYTES
    sessionread.CHUNK_BYTES = chunk
    try:
        small = read_session(path)
    finally:
        sessionread.CHUNK_BYTES = old
    assert whole.metadata == small.metadata
    for a, b in ((whole.t_s, small.t_s), (whole.pressure_mmhg, small.pressure_mmhg),
                 (whole.target_mmhg, small.target_mmhg)):
        assert np.array_equal(a, b, equal_nan=True)
    assert whole.phase.tolist() == small.phase.tolist()
    assert whole.extra["raw"].tolist() == small.extra["raw"].tolist()


@FAST
@given(s=sessions(), cut=st.integers(1, 40))
def test_a_cut_off_last_line_is_left_out_only_when_tolerated(tmp_path_factory, s, cut):
    assume(len(s["t"]) >= 2)
    path = _write(tmp_path_factory.mktemp("cut") / "s.csv", s)
    full = read_session(path)
    data = path.read_bytes()
    last = data[:-1].rfind(b"\n") + 1
    keep = min(len(data) - 1, last + cut)
    path.write_bytes(data[:keep])
    rec = read_session(path, tolerate_truncated_tail=True)
    assert len(rec) == len(full) - 1 and rec.dropped_tail_bytes == keep - last
    assert np.array_equal(rec.t_s, full.t_s[:-1])


# --- fuzz: the CSV reader ----------------------------------------------------------------------


def _read_or_refuse(path: Path) -> None:
    try:
        rec = read_session(path)
    except FileFormatError as exc:
        assert str(path) in str(exc)
        return
    _promises(rec)


@FUZZ
@given(body=st.binary(max_size=400), with_header=st.booleans())
def test_fuzz_csv_any_bytes(tmp_path_factory, body, with_header):
    path = tmp_path_factory.mktemp("fz") / "f.csv"
    path.write_bytes((HEADER if with_header else b"") + body)
    _read_or_refuse(path)


_ALPHABET = b"0123456789.,-+e\n\r #:=\"'\tnaistgx\xef\xbb\xbf\xff"


@FUZZ
@given(data=st.data())
def test_fuzz_csv_mutations_of_a_valid_file(tmp_path_factory, data):
    base = tmp_path_factory.mktemp("mut")
    path = clinic_csv(base / "ok.csv", activation_mmhg=2, reps=1)
    raw = bytearray(path.read_bytes()[:3000])
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(("flip", "insert", "delete", "replace")))
        byte = data.draw(st.sampled_from(list(_ALPHABET)))
        if op == "flip":
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            raw.insert(at, byte)
        elif op == "delete" and len(raw) > 1:
            del raw[at]
        else:
            raw[at] = byte
    path.write_bytes(bytes(raw))
    _read_or_refuse(path)


# --- fuzz: the archive reader ------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive_world(tmp_path_factory):
    from cctf.records.archive import export_patient
    from cctf.records.importer import import_session_csv
    from cctf.records.startup import open_records

    base = tmp_path_factory.mktemp("arch")
    source = open_records(base / "source")
    source.add_patient("P1", name="Jane")
    import_session_csv(source, clinic_csv(base / "s.csv", activation_mmhg=2, reps=2), "P1")
    archive = export_patient(source, "P1", base / "p.zip", exported_at="2025-01-01T00:00:00")
    source.close()
    target = open_records(base / "target")
    yield archive.read_bytes(), target
    target.close()


@FUZZ
@given(data=st.data())
def test_fuzz_archive_mutations_change_nothing(archive_world, tmp_path_factory, data):
    from cctf.records.archive import import_patient_archive

    good, records = archive_world
    raw = bytearray(good)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    path = tmp_path_factory.mktemp("az") / "p.zip"
    path.write_bytes(bytes(raw))
    before = snapshot(records.data.root)
    try:
        report = import_patient_archive(records, path, as_code="FZ")
    except CctfError:
        assert snapshot(records.data.root) == before
        return
    from cctf.records.erase import delete_patient  # a mutation the CRC did not see: undo

    assert report.patient_code == "FZ"
    delete_patient(records, "FZ", confirm=True)


@FUZZ
@given(manifest=st.recursive(st.none() | st.booleans() | st.integers() | st.floats()
                             | st.text(max_size=10),
                             lambda c: st.lists(c, max_size=3)
                             | st.dictionaries(st.text(max_size=8), c, max_size=4),
                             max_leaves=20))
def test_fuzz_archive_manifests(archive_world, tmp_path_factory, manifest):
    import json

    from cctf.records.archive import import_patient_archive

    _, records = archive_world
    path = tmp_path_factory.mktemp("man") / "m.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
    path.write_bytes(buf.getvalue())
    before = snapshot(records.data.root)
    with pytest.raises(CctfError):
        import_patient_archive(records, path, as_code="FM")
    assert snapshot(records.data.root) == before


# --- the formula check -------------------------------------------------------------------------


@FAST
@given(x=st.floats(allow_nan=False, allow_infinity=False), sign=st.sampled_from(("", "+")))
def test_numbers_are_never_formulas(x, sign):
    cell = f"{sign}{x!r}" if x >= 0 or not sign else repr(x)
    assert first_formula(f"a,{cell},b\n# k: {cell}\n".encode()) is None


@FAST
@given(lead=st.sampled_from(("", " ", '"', "' ", '"  ')),
       trigger=st.sampled_from(("=", "+", "-", "@", "\t", "\r", "＝")),
       rest=st.text(alphabet="ABCDcmd|!()/ 1+", min_size=1, max_size=12))
def test_formula_cells_are_found_in_any_position(lead, trigger, rest):
    cell = f"{lead}{trigger}{rest}"
    assume(not _is_number(cell.strip(" \"'")))
    for line in (f"{cell},1,2\n", f"1,{cell},2\n", f"1,2,{cell}\n", f"# note: {cell}\n",
                 f"# note: fine,{cell}\n"):
        assert first_formula(line.encode()) is not None, line


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
