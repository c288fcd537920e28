"""A link that never stalls (PROTOCOL.md sections 10.2, 10.4, 10.5): a reboot whose HELLO is
lost, REQUEST HELLOs after a reboot, replayed and moved HELLOs, the rate in force.

Everything runs on a VirtualClock without a reader thread: no sleeps, deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest

from cctf.acquisition import protocol as P
from cctf.acquisition.decoder import SequenceRestart, StreamDecoder
from cctf.acquisition.device import liveness_timeout_s
from cctf.acquisition.health import LinkState
from cctf.acquisition.protocol import Hello, ResetCause, Sample, SampleFlags
from cctf.sim.faults import LinkFaults

from .conftest import make_sim_device

RESET_S = 10.0


def _stream_through_a_lost_boot_hello(rate_hz: int | None):
    faults = LinkFaults(resets_s=(RESET_S,), boot_hello_loss_prob=1.0)
    device, firmware, clock = make_sim_device(faults=faults)
    device.connect()  # its boot HELLO is lost too: IDENTIFY gets the answer
    device.start(rate_hz=rate_hz, threaded=False)
    states: list[tuple[float, LinkState, int]] = []
    while clock.now() < RESET_S + 5.0:
        device.pump(0.005)
        states.append((clock.now(), device.state, device.buffer.written))
    return device, firmware, states


@pytest.mark.parametrize("rate_hz", [None, 100, 10])
def test_a_reboot_whose_hello_is_lost_resumes_streaming_within_a_second(rate_hz):
    device, firmware, states = _stream_through_a_lost_boot_hello(rate_hz)
    assert firmware.boots == 2, "the watchdog reset should have happened"
    rows = device.buffer.read(0).rows
    t = rows["t_s"]
    before, after = t[t <= RESET_S], t[t > RESET_S]
    assert len(after), "streaming never resumed after the reboot"
    resume_s = after[0] - RESET_S
    assert resume_s < 1.0, f"streaming resumed {resume_s:.3f} s after the reboot"
    # the rate asked for is in force again (re-sent after the reboot)
    want = rate_hz or 50
    assert np.median(np.diff(rows["t_device_s"][t > RESET_S + 1])) == pytest.approx(1 / want)
    h = device.health()
    assert h.device_resets == 1 and h.gaps == 1
    assert h.gap_s == pytest.approx(after[0] - before[-1])
    assert h.rate_hz == pytest.approx(want, rel=0.02), "link rate must be the live rate"
    assert h.missing == 0, "a reboot is not lost data"
    kinds = [e.kind for e in device.events]
    assert kinds[:2] == ["silent", "device_reset"] and "gap" in kinds
    # meanwhile the app was told "reconnecting", never "streaming" with nothing coming
    silent_from = before[-1] + liveness_timeout_s(want)
    during = [s for ts, s, n in states if ts > silent_from + 0.001 and n == len(before)]
    assert during and set(during) == {LinkState.RECONNECTING}
    assert states[-1][1] == LinkState.STREAMING


def test_the_silence_threshold_is_half_a_second_or_five_periods():
    assert liveness_timeout_s(50) == 0.5
    assert liveness_timeout_s(100) == 0.5
    assert liveness_timeout_s(2) == 2.5
    assert liveness_timeout_s(1) == 5.0


def test_a_slow_rate_is_not_mistaken_for_silence():
    device, _, clock = make_sim_device()
    device.connect()
    device.start(rate_hz=2, threaded=False)
    while clock.now() < 20.0:
        device.pump(0.05)
        assert device.state == LinkState.STREAMING
    assert [e.kind for e in device.events] == []


def test_a_request_hello_after_an_unnoticed_reboot_restarts_streaming():
    """IDENTIFY after a reboot answers REQUEST, next_seq 0, not streaming: the host treats it as
    a boot (new epoch, START again) although the cause says REQUEST (section 10.4)."""
    device, firmware, clock = make_sim_device(faults=LinkFaults(boot_hello_loss_prob=1.0))
    device.connect()
    device.start(threaded=False)
    device.run_for(5.0)
    firmware.power_on(clock.now(), ResetCause.WATCHDOG)  # silent reboot (HELLO lost)
    device.run_for(0.1)
    hello = device.identify()
    assert hello.reset_cause == ResetCause.REQUEST and not hello.streaming
    device.run_for(2.0)
    rows = device.buffer.read(0).rows
    assert rows["epoch"][-1] == rows["epoch"][0] + 1
    assert device.health().device_resets == 1
    assert rows["seq"][-1] < 150, "samples after the reboot are numbered from 0"
    assert device.state == LinkState.STREAMING and firmware.streaming


def test_cctf_rate_in_force_and_every_change_are_kept():
    device, _, _ = make_sim_device()
    device.connect()
    assert device.rate_hz == 50
    device.start(rate_hz=100, threaded=False)
    device.run_for(1.0)
    device.set_rate(20)
    assert device.rate_hz == 20
    assert [r for _, r in device.rate_changes] == [100, 20]


# --- the decoder: replayed and moved HELLOs ----------------------------------------------------


def _sample(seq: int) -> bytes:
    return P.encode(Sample(seq, seq * 20_000, 4000, 20.0, SampleFlags.NONE))


def _hello(next_seq: int, cause: ResetCause = ResetCause.REQUEST, streaming=True) -> bytes:
    return P.encode(Hello(1, (1, 0, 0), 1, 50, 3, b"CCTF0001", next_seq, cause, streaming))


def _seqs(out) -> list[int]:
    return [f.seq for f in out if isinstance(f, Sample)]


@pytest.mark.parametrize("cause", [ResetCause.REQUEST, ResetCause.WATCHDOG])
def test_a_replayed_hello_never_re_delivers_samples_nor_counts_false_losses(cause):
    dec = StreamDecoder()
    stream = b"\x00" + _hello(10, ResetCause.REQUEST) + b"".join(_sample(n) for n in range(10, 13))
    # a boot HELLO always says next_seq 0; a REQUEST one, what the device had then
    stream += _hello(0 if cause else 10, cause) + b"".join(_sample(n) for n in range(13, 20))
    out = dec.feed(stream)
    assert _seqs(out) == list(range(10, 20))
    assert dec.stats.missing == 0 and dec.stats.duplicates == 0


def test_a_moved_hello_neither_drops_nor_invents_samples():
    dec = StreamDecoder()
    # the HELLO that followed sample 12 arrives before samples 10-12
    stream = b"\x00" + _sample(9) + _hello(13) + b"".join(_sample(n) for n in range(10, 16))
    out = dec.feed(stream)
    assert _seqs(out) == list(range(9, 16))
    assert dec.stats.missing == 0 and dec.stats.duplicates == 0


def test_samples_resent_after_a_replayed_hello_are_duplicates():
    dec = StreamDecoder()
    stream = b"\x00" + b"".join(_sample(n) for n in range(10, 13)) + _hello(10)
    stream += b"".join(_sample(n) for n in range(10, 14))
    out = dec.feed(stream)
    assert _seqs(out) == [10, 11, 12, 13]
    assert dec.stats.duplicates == 3 and dec.stats.missing == 0


def test_a_request_hello_far_behind_is_a_restart():
    dec = StreamDecoder()
    stream = b"\x00" + b"".join(_sample(n) for n in range(100, 103)) + _hello(0, streaming=False)
    stream += b"".join(_sample(n) for n in range(0, 3))
    out = dec.feed(stream)
    assert any(isinstance(f, SequenceRestart) for f in out)
    assert _seqs(out) == [100, 101, 102, 0, 1, 2]
    assert dec.stats.missing == 0 and dec.stats.restarts == 1


# --- recordings state the rate in force and keep every sample ---------------------------------


def test_cctf_record_writes_the_rate_in_force_and_every_sample_from_seq_0(tmp_path):
    from cctf.cli import main
    from cctf.sessionfile import read_session

    out = tmp_path / "r100.csv"
    args = ["record", "--sim", "healthy", "--fast", "--rate-hz", "100", "--seconds", "5",
            "-o", str(out)]
    assert main(args) == 0
    rec = read_session(out)
    assert rec.metadata["sample_rate_hz"] == "100"
    assert rec.metadata["sample_rate_changes"] == "0.000s@100Hz"
    seq = rec.extra["seq"].astype(int)
    assert seq[0] == 0, "sample 0 must be in the file"
    assert np.all(np.diff(seq) == 1)
    assert len(rec) == int(rec.metadata["link_samples"]), "every received sample is in the file"
    assert rec.metadata["recorder_missed_samples"] == "0"
    assert rec.metadata["recorder_samples_before_start"] == "0"


def test_a_rate_change_during_a_recording_is_in_the_header(tmp_path):
    from cctf.acquisition.recorder import SessionRecorder
    from cctf.sessionfile import read_session

    device, _, _ = make_sim_device()
    device.connect()
    device.set_rate(50)
    recorder = SessionRecorder(device, tmp_path / "change.csv")
    recorder.start()
    device.start(threaded=False)
    device.run_for(2.0)
    device.set_rate(20)
    device.run_for(2.0)
    recorder.close()
    device.close()
    meta = read_session(tmp_path / "change.csv").metadata
    assert meta["sample_rate_hz"] == "50"
    first, second = meta["sample_rate_changes"].split("; ")
    assert first == "0.000s@50Hz" and second.endswith("s@20Hz")
    assert float(second.split("s@")[0]) == pytest.approx(2.0, abs=0.1)


# --- the first frame after opening; which clock t_s follows --------------------------------------


def test_the_first_frame_after_opening_a_port_that_does_not_reset_is_not_lost():
    """Section 3.4/9.1: every device frame starts with a 0x00, so the ACK of the first IDENTIFY
    to a board that did not reboot on open arrives whole to a receiver that has just started."""
    from cctf.acquisition.protocol import Ack, Command, FrameType
    from cctf.sim.firmware import SimulatedFirmware
    from cctf.sim.source import ConstantSource

    fw = SimulatedFirmware(ConstantSource(0.0))
    fw.power_on(0.0)
    fw.advance(1.0)  # the boot HELLO went to nobody
    fw.receive(b"\x00" + P.encode(Command(FrameType.IDENTIFY, 5)), 1.0)
    dec = StreamDecoder()  # a host that has just opened the port: unsynchronised
    out = dec.feed(fw.take_output())
    assert isinstance(out[0], Ack) and out[0].token == 5
    assert isinstance(out[1], Hello)


class _SlowClockFirmware:
    """A simulated device whose clock runs ``factor`` times the host's."""

    def __new__(cls, factor: float):
        from cctf.sim.firmware import SimulatedFirmware
        from cctf.sim.source import ConstantSource

        class Slow(SimulatedFirmware):
            def _send_sample(self, t_s: float, raw: int) -> None:
                super()._send_sample(self._boot_s + (t_s - self._boot_s) * factor, raw)

        return Slow(ConstantSource(20.0), seed=1)


@pytest.mark.parametrize(("factor", "warned"), [(0.98, True), (1.0005, False)])
def test_a_clock_disagreement_beyond_a_crystal_is_reported_and_t_s_follows_the_host(factor,
                                                                                     warned):
    from cctf.acquisition.device import Device
    from cctf.clock import VirtualClock
    from cctf.sim.transport import SimTransport

    clock = VirtualClock()
    device = Device(SimTransport(_SlowClockFirmware(factor), clock), clock=clock)
    device.connect()
    device.start(threaded=False)
    device.run_for(30.0)
    rows = device.buffer.read(0).rows
    events = [e for e in device.events if e.kind == "clock_disagreement"]
    assert bool(events) == warned
    if warned:
        assert "-2.00 %" in events[0].detail or "-2.0" in events[0].detail
        assert device.clock_disagreement == pytest.approx(0.0204, abs=0.002)
    late = rows[len(rows) // 2:]
    # t_device_s keeps the device's own steps; t_s the host's (20 ms of host time per sample)
    assert np.median(np.diff(late["t_device_s"])) == pytest.approx(0.02 * factor, rel=1e-4)
    assert np.median(np.diff(late["t_s"])) == pytest.approx(0.02, rel=2e-3)


# --- cctf ports and a device of another protocol version ---------------------------------------


@pytest.mark.slow
def test_cctf_ports_refuses_a_protocol_2_device_clearly(capsys):
    from cctf.acquisition.ports import discover
    from cctf.cli import main
    from cctf.sim.firmware import SimulatedFirmware
    from cctf.sim.pty_server import PtyServer
    from cctf.sim.source import ConstantSource

    class Version2(SimulatedFirmware):
        def _emit(self, frame, faulty: bool = False) -> None:
            if isinstance(frame, Hello):  # a short v2 HELLO: version, then 3 bytes
                self._out += b"\x00" + P.encode_packet(2, bytes([2, 1, 2, 3]))
                return
            super()._emit(frame, faulty)

    with PtyServer(Version2(ConstantSource(0.0))) as server:
        (info,) = [p for p in discover([server.port], timeout_s=2.0) if p.device == server.port]
        assert info.hello is None and info.foreign_version == 2
        assert "speaks protocol version 2; this cctf speaks version 1" in info.error
        assert main(["ports", "--also", server.port, "--timeout", "2"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if server.port in ln)
    assert "refused: device on" in line and "protocol version 2" in line
    assert "no cctf answer" not in line


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.integers(41, 120), st.data())
def test_fuzz_replayed_and_moved_hellos_never_re_deliver_nor_count_false_losses(n, data):
    """Samples 0..n-1 in order, nothing lost; HELLOs sent along the way (REQUEST, with the
    next_seq of their moment) arrive anywhere, repeatedly; boot HELLOs of the start are replayed
    once the numbering is past the duplicate window. Every sample comes out exactly once."""
    frames = [_sample(k) for k in range(n)]
    hellos = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=12))
    inserts: list[tuple[int, bytes]] = []
    for sent_at, arrives_at in hellos:
        inserts.append((arrives_at, _hello(sent_at, ResetCause.REQUEST)))
    boots = data.draw(st.lists(st.integers(40, n), max_size=4))
    inserts += [(at, _hello(0, ResetCause.EXTERNAL, streaming=False)) for at in boots]
    for at, frame in sorted(inserts, key=lambda x: x[0], reverse=True):
        frames.insert(at, frame)
    dec = StreamDecoder()
    out = dec.feed(b"\x00" + _hello(0, ResetCause.EXTERNAL, streaming=False) + b"".join(frames))
    assert _seqs(out) == list(range(n))
    assert dec.stats.missing == 0 and dec.stats.duplicates == 0
