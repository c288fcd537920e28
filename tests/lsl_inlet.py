"""An LSL inlet for tests/test_lsl.py, run as its own process (LSLAPICFG set by the test).

Resolves cctf's two streams of device ``argv[1]``, connects, prints ``ready``; then reads the
number of samples to expect from stdin, pulls until it has them and the ``recording stop``
marker (or 60 s pass), and prints what it received as JSON.
"""

from __future__ import annotations

import json
import sys
import time

import pylsl


def main() -> None:
    serial = sys.argv[1]
    inlets = {}
    for kind in ("pressure", "events"):
        found = pylsl.resolve_byprop("name", f"cctf-{kind}-{serial}", 1, 60.0)
        if not found:
            print(f"no {kind} stream", flush=True)
            sys.exit(1)
        inlets[kind] = pylsl.StreamInlet(found[0], max_buflen=3600)
        inlets[kind].open_stream(timeout=60.0)
    info = inlets["pressure"].info(timeout=10.0)
    ch = info.desc().child("channels").child("channel")
    acq = info.desc().child("acquisition")
    described = {
        "name": info.name(), "type": info.type(), "channels": info.channel_count(),
        "rate": info.nominal_srate(), "format": info.channel_format(),
        "source_id": info.source_id(), "label": ch.child_value("label"),
        "unit": ch.child_value("unit"), "firmware": acq.child_value("firmware"),
        "sensor": acq.child_value("sensor"), "calibration_id": acq.child_value("calibration_id"),
        "events_type": inlets["events"].info(timeout=10.0).type(),
        "channel_list": _channels(info),  # every channel: (label, unit, type) (issue 17)
    }
    print("ready", flush=True)
    expected = int(sys.stdin.readline())
    values: list[float] = []
    rows: list[list[float]] = []
    stamps: list[float] = []
    markers: list[tuple[float, str]] = []
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline and (
        len(values) < expected or not markers or markers[-1][1] != "recording stop"
    ):
        data, ts = inlets["pressure"].pull_chunk(timeout=0.2)
        values += [row[0] for row in data]
        rows += [list(row) for row in data]
        stamps += ts
        data, ts = inlets["events"].pull_chunk(timeout=0.0)
        markers += [(t, row[0]) for t, row in zip(ts, data, strict=True)]
    print(json.dumps({"info": described, "values": values, "stamps": stamps,
                      "markers": markers, "rows": rows}), flush=True)


def _channels(info: pylsl.StreamInfo) -> list[list[str]]:
    out = []
    ch = info.desc().child("channels").child("channel")
    for _ in range(info.channel_count()):
        out.append([ch.child_value("label"), ch.child_value("unit"), ch.child_value("type")])
        ch = ch.next_sibling()
    return out


if __name__ == "__main__":
    main()
