"""The app model: owns the device, the active session (runner + recorder) and what views draw.

A frame runs when new samples arrive, at most ``max_fps`` times a second (50 by default: a frame
per sample at 50 Hz; ``cctf.gui.pacing``), and on a ``QTimer`` when none arrive. Each
``tick`` pulls every new row from ``device.buffer`` (so no backlog builds, visible or not),
feeds the session's runner, hands the rows with the runner's target and phase to the recorder
thread, forwards cue changes to the simulated patient, and emits ``ticked``; visible views then
read what they draw from ``history`` and the properties here. The UI thread never does I/O:
the device's reader thread talks to the port (and reconnects), connecting, probing, tare and
closing run on worker threads, and the recorder writes on its own thread.

Tests attach a device on a ``VirtualClock`` without a reader thread and drive it with
``run_virtual`` (or ``device.run_for`` + ``tick``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from cctf import texts
from cctf.acquisition.device import Device
from cctf.acquisition.health import LinkHealth, LinkState
from cctf.acquisition.ports import PortInfo, discover
from cctf.acquisition.walltime import ClockPairs, following
from cctf.analysis.results import Event, SessionResult
from cctf.clock import MonotonicClock
from cctf.errors import CctfError, CorruptDatabaseError
from cctf.gui.history import Marker, TraceStore, event_marker
from cctf.gui.pacing import FramePacer, PanelPace
from cctf.gui.recording import EXTRA_COLUMNS, BackgroundRecorder
from cctf.gui.simlink import FollowingPatient, sim_device
from cctf.gui.worker import run_in_background
from cctf.records.paths import DataDir
from cctf.session.active import UNASSIGNED as UNASSIGNED  # re-exported for the views
from cctf.session.active import ActiveSession, SessionReport, recording_path
from cctf.session.clinic import CcftTestRunner
from cctf.session.corrections import Correction, Corrections
from cctf.session.cue_text import phase_of
from cctf.session.cued import Cue, CuedRunner
from cctf.session.finish import closing_metadata, finish_runner, session_report
from cctf.session.head_live import HeadLive
from cctf.session.link_window import LinkQuality, LinkWindow
from cctf.session.liveness import SignalStatus, SignalWatch, last_reset_s
from cctf.session.lsl_feed import LslSwitch
from cctf.session.metadata import start_metadata
from cctf.session.rest_level import current_rest_mmhg
from cctf.session.settings import ProtocolSettings, preset
from cctf.session.setup import SetupGuide, SetupStatus
from cctf.session.training import Prescription, TrainingRunner
from cctf.sessionfile import HEAD_COLUMNS

if TYPE_CHECKING:  # the records are imported when opened, after the first frame (startup.py)
    from cctf.records.recovery import ActiveSession as RecordsSession
    from cctf.records.recovery import Recovered
    from cctf.records.store import Records

log = logging.getLogger(__name__)

PREROLL_S = 5.0  # history written before a session's first cue (its rest level needs 3 s)
HEALTH_EVERY_S = 0.25
PANELS_FPS = 25.0  # ``ticked`` while samples stream (``pacing.PanelPace``)
CUED_STEPS = ("nod", "hold", "relax")
COMPENSATION_KINDS = ("scm", "breath", "jaw", "other")


RECORDS_ERRORS = (CctfError, OSError, sqlite3.Error)


def default_data_dir() -> Path:
    """The records' data folder: ``$CCTF_DATA_DIR`` (``cctf --data-dir``), else the
    platform's (``cctf.records.paths``)."""
    return DataDir.resolve(None).root


class AppController(QObject):
    connection_changed = Signal()  # a device was attached or detached, or connecting started
    connect_failed = Signal(str)
    ports_changed = Signal()  # discovery started or finished (see ``ports``, ``discovering``)
    health_changed = Signal(object)  # LinkHealth, a few times a second
    ticked = Signal()  # visible views redraw from the model (≤ PANELS_FPS while streaming)
    # New samples are in the history, before the rest of the frame: the views that show them
    # (the trace, the number) redraw on ``taken``, and the window paints them on ``show_now``
    # (sample → screen does not wait for the panels, the banner and the buttons; issue 14).
    taken = Signal()
    show_now = Signal()
    cue_changed = Signal(object)  # Cue
    band_changed = Signal(str)  # "in", "low", "high" or "" (no target)
    analysis_events = Signal(object)  # list[Event] decided this tick
    session_changed = Signal()  # started, paused, resumed, a therapist action
    session_finished = Signal(object)  # SessionReport
    notice = Signal(str)  # a transient message for the status bar
    records_changed = Signal()  # opened, closed, damaged, repaired, a patient added
    patient_changed = Signal()  # another patient chosen (``patient_code``)
    record_completed = Signal(int)  # a session's record is complete (its id)

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        max_fps: float = 50.0,
        discover_fn: Callable[[], list[PortInfo]] = discover,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.records: Records | None = None
        self.records_error = ""  # why the records are not open ("" when they are)
        self.records_corrupt = False  # the database failed its integrity check
        self.patient_code: str | None = None  # the patient sessions are recorded for
        self._completing: dict[int, tuple[RecordsSession, SessionResult | None,
                                          BackgroundRecorder]] = {}
        self.discover_fn = discover_fn
        self.device: Device | None = None
        self.read_batch_s = 0.0  # the reader thread's batching (MainWindow: minimised)
        self.source_label = ""
        self.patient: FollowingPatient | None = None
        self.threaded = True
        self.connecting = False
        self.discovering = False
        self.ports: list[PortInfo] = []
        self.history = TraceStore()
        self.head = HeadLive()  # the optional head sensor (issue 17): zeroing and its trace
        self.markers: list[Marker] = []
        self.origin_s = 0.0  # host time of display time 0
        self.session: ActiveSession | None = None
        self.last_report: SessionReport | None = None
        self.settings_name = "research"
        self.settings: ProtocolSettings = preset("research")
        self.prescription = Prescription()
        self.guide = SetupGuide()
        self.health: LinkHealth | None = None
        self.band = ""
        self.frames = 0  # ticks that consumed data
        self.panels = PanelPace(PANELS_FPS)
        self._cursor = 0
        self._last_health_s = -math.inf
        self._link_events_seen = 0
        self._last_cue: Cue | None = None
        self.lsl = LslSwitch()  # the Lab Streaming Layer outlet, off unless asked for
        self.signal = SignalWatch()  # when samples last arrived (``signal_status``)
        self.link_window = LinkWindow()  # losses over the last 30 s (``link_quality``)
        self.confirm_end: Callable[[str], bool] = lambda reason: True  # the window asks
        self.timer = QTimer(self)  # frames paced to new samples (cctf/gui/pacing.py)
        self.pacer = FramePacer(self.timer, self.tick, self._samples_received, max_fps)

    # --- connection --------------------------------------------------------------------------

    def discover_ports(self) -> None:
        """List and probe serial ports on a worker thread; ``ports_changed`` when done."""
        if self.discovering:
            return
        self.discovering = True
        self.ports_changed.emit()
        run_in_background(self.discover_fn, self._ports_found, self._discovery_failed,
                          name="cctf-discover")

    def _ports_found(self, ports: list[PortInfo]) -> None:
        self.discovering = False
        self.ports = list(ports)
        self.ports_changed.emit()

    def _discovery_failed(self, exc: BaseException) -> None:
        self.discovering = False
        self.ports = []
        self.notice.emit(texts.PORTS_FAILED.format(error=exc))
        self.ports_changed.emit()

    def connect_port(self, port: str) -> None:
        from cctf.acquisition.transport import SerialTransport

        def make() -> tuple[Device, None]:
            return Device(SerialTransport(port), clock=MonotonicClock()), None

        self._connect_in_background(make, port)

    def connect_sim(self, scenario: str = "healthy", rate_hz: int | None = None) -> None:
        def make() -> tuple[Device, FollowingPatient]:
            return sim_device(scenario, MonotonicClock(), rate_hz=rate_hz)

        self._connect_in_background(make, texts.SIM_LABEL.format(scenario=scenario))

    def _connect_in_background(
        self, make: Callable[[], tuple[Device, FollowingPatient | None]], label: str
    ) -> None:
        if self.connecting:
            return
        self.disconnect()
        self.connecting = True
        self.connection_changed.emit()

        def work() -> tuple[Device, FollowingPatient | None]:
            device, patient = make()
            try:
                device.connect()
                try:
                    device.read_calibration()
                except CctfError as exc:
                    log.warning("could not read the calibration: %s", exc)
                device.start()
            except BaseException:
                device.close()
                raise
            return device, patient

        def done(made: tuple[Device, FollowingPatient | None]) -> None:
            self.connecting = False
            self.attach(made[0], label, patient=made[1])

        def failed(exc: BaseException) -> None:
            self.connecting = False
            self.connection_changed.emit()
            self.connect_failed.emit(str(exc))

        run_in_background(work, done, failed, name="cctf-connect")

    def attach(self, device: Device, label: str, *, patient: FollowingPatient | None = None,
               threaded: bool = True) -> None:
        """Use ``device`` (connected and streaming). ``threaded=False``: it has no reader
        thread and the caller pumps it (tests, screenshots); commands then run inline."""
        if self.device is not None and self.device is not device:
            self.disconnect()
        self.device = device
        device.read_batch_s = self.read_batch_s
        device.on_samples = self.pacer.wake  # frames on arrival (cctf/gui/pacing.py)
        self.source_label = label
        self.patient = patient
        self.threaded = threaded
        self.origin_s = device.clock.now()
        self._cursor = device.buffer.written
        self.history.clear()
        self.head = HeadLive(device.hello is not None and device.hello.head_sensor)
        self.markers.clear()
        self.guide = SetupGuide(self.settings.baseline_mmhg, self.settings.band_mmhg)
        self.signal.reset()
        self.link_window.reset()
        self._link_events_seen = len(device.events)
        self._last_health_s = -math.inf
        self._attach_lsl(device)
        self.connection_changed.emit()
        self._emit_health(force=True)

    def disconnect(self) -> None:  # type: ignore[override]  # not QObject's signal disconnect
        """End any session, then close the link (on a worker thread if it has a reader)."""
        device = self.device
        if device is None:
            return
        if self.session is not None:
            self.end_session()
        self.device = None
        self.patient = None
        self.health = None
        self.lsl.detach()
        if self.threaded:
            run_in_background(device.close, name="cctf-close")
        else:
            device.close()
        self.connection_changed.emit()
        self.health_changed.emit(None)

    @property
    def is_simulator(self) -> bool:
        return self.patient is not None

    @property
    def rate_hz(self) -> float:
        if self.device is not None and self.device.hello is not None:
            return float(self.device.hello.sample_rate_hz)
        return 50.0

    # --- the timer ---------------------------------------------------------------------------

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _samples_received(self) -> int:
        return -1 if self.device is None else self.device.buffer.written

    def tick(self) -> None:
        """Consume everything new, feed the session, and tell the views."""
        device = self.device
        if device is None:
            return
        pull = device.buffer.read(self._cursor)
        self._cursor = pull.cursor
        if pull.missed:
            log.error("the app fell behind: %d samples were overwritten unseen", pull.missed)
        rows = pull.rows
        if len(rows):
            self.signal.saw_samples(device.clock.now())
            self.frames += 1
            t_display = rows["t_s"] - self.origin_s
            p = rows["pressure_mmhg"]
            head = self.head.feed(t_display, rows)
            self.lsl.samples(rows, head)
            target, events = (self._feed_session(rows, head) if self.session is not None
                              else (None, []))
            self.history.extend(t_display, p, target)
            if self.session is None or self.session.runner is None or not (
                self.session.runner.begun
            ):
                self.guide.update(t_display, p)
            if events:
                self._on_events(events)
            self._update_band()
            self.taken.emit()
            self.show_now.emit()
            session = self.session
            if session is not None and session.recorder.error and not session.error_shown:
                session.error_shown = True
                session.alerts.append(session.recorder.error)
                self.notice.emit(session.recorder.error)
            if session is not None and session.runner is not None and session.runner.done:
                self._finish_session()
        elif self.band and not self.signal_status.live:
            self.band = ""  # never "in the band" on stale data
            self.band_changed.emit("")
        self._emit_health()
        self.lsl.flush()
        if self.panels.due(len(rows) > 0, device.clock.now()):
            self.ticked.emit()  # the panels: at most PANELS_FPS a second (cctf/gui/pacing.py)

    def run_virtual(self, seconds: float, step_s: float = 0.1) -> None:
        """Pump a device without a reader thread for ``seconds`` of its clock, ticking every
        ``step_s`` (tests, screenshots, benchmarks)."""
        device = self.device
        if device is None or self.threaded:
            raise RuntimeError("run_virtual needs a device attached with threaded=False")
        end = device.clock.now() + seconds
        while (left := end - device.clock.now()) > 1e-9:
            device.run_for(min(step_s, left))
            self.tick()
            if self.device is None:
                return

    # --- sessions ----------------------------------------------------------------------------

    def choose_preset(self, name: str) -> None:
        self.settings_name = name
        self.set_settings(preset(name), name=name)

    def set_settings(self, settings: ProtocolSettings, name: str = "custom") -> None:
        self.settings = settings
        self.settings_name = name
        self.guide.baseline_mmhg = settings.baseline_mmhg
        self.guide.tolerance_mmhg = settings.band_mmhg
        self.session_changed.emit()

    def set_prescription(self, prescription: Prescription) -> None:
        self.prescription = prescription
        self.session_changed.emit()

    def begin_clinic(self) -> bool:
        runner = CcftTestRunner(self.settings, self.rate_hz)
        return self._begin("clinic", runner, self.settings.band_mmhg)

    def begin_training(self) -> bool:
        runner = TrainingRunner(self.prescription, self.rate_hz)
        return self._begin("training", runner, self.prescription.band_mmhg)

    def start_recording(self) -> bool:
        """Monitor: record what streams, with manual markers, until ``stop_recording``."""
        return self._begin("monitor", None, 1.0)

    def stop_recording(self) -> None:
        if self.session is not None and self.session.kind == "monitor":
            self._finish_session()

    def _begin(self, kind: str, runner: CuedRunner | None, band_mmhg: float) -> bool:
        device = self.device
        if device is None:
            self.notice.emit(texts.NEED_DEVICE)
            return False
        if self.session is not None:
            self.notice.emit(texts.SESSION_RUNNING)
            return False
        preroll = self._preroll(device) if runner is not None else None
        if preroll is not None and len(preroll):
            t0 = float(preroll["t_s"][0])
        elif len(self.history):
            t0 = self.history.latest_t_s + self.origin_s  # the next sample is just after
        else:
            t0 = device.clock.now()
        metadata = start_metadata(device, kind, runner, source=self.source_label,
                                  preset_name=self.settings_name)
        # Real time: the host's wall clock; a simulated (virtual or sped-up) clock: wall times
        # as if it ran in real time (docs/time.md).
        pairs = ClockPairs(device.clock, t0, time.time if type(device.clock) is MonotonicClock
                           else following(device.clock))
        metadata.update(pairs.start_metadata())
        record = self._register(kind, runner)
        if record is False:
            return False
        if record is not None:
            path = record.csv_path
            metadata.update(record.metadata)
        else:
            path = recording_path(self.data_dir, kind, datetime.now())
        recorder = BackgroundRecorder(path, metadata, EXTRA_COLUMNS + (
            HEAD_COLUMNS if self.head.fitted else ()))
        session = ActiveSession(kind, runner, t0, recorder, band_mmhg, record=record,
                                pairs=pairs)
        if isinstance(runner, CcftTestRunner):
            session.settings = runner.settings
        if isinstance(runner, TrainingRunner):
            session.prescription = runner.prescription
        if runner is not None:
            session.corrections = Corrections(
                runner, lambda method, trial, *args: self._annotate(session, method, trial, *args))
        self.session = session
        self.lsl.start_session(t0)
        if preroll is not None and len(preroll):
            self._feed_session(preroll)  # rest level before the first cue; blank targets
        if runner is not None:
            runner.begin(runner.get_ready_s)  # a "get ready" count first (clinic)
        self._last_cue = None
        self.session_changed.emit()
        self.notice.emit(texts.RECORDING_TO.format(path=path))
        return True

    def _register(self, kind: str,
                  runner: CuedRunner | None) -> RecordsSession | Literal[False] | None:
        """Register a clinic or training session for the chosen patient (``begin_session``);
        None when no patient is chosen (or a monitor recording); False if it failed."""
        if self.records is None or self.patient_code is None or kind == "monitor":
            return None
        from cctf.records.recovery import begin_session

        device = self.device
        hello = device.hello if device is not None else None
        try:
            return begin_session(
                self.records, self.patient_code, kind,
                device_serial=hello.serial_text if hello is not None else "",
                device_firmware=hello.firmware_text if hello is not None else "",
                calibration_id=str(hello.calibration_id) if hello is not None else "",
                protocol=(asdict(runner.settings) if isinstance(runner, CcftTestRunner)
                          else None),
                prescription=(asdict(runner.prescription) if isinstance(runner, TrainingRunner)
                              else None))
        except RECORDS_ERRORS as exc:
            log.error("could not register the session: %s", exc)
            self.notice.emit(texts.RECORDS_BEGIN_FAILED.format(error=exc))
            return False

    def _preroll(self, device: Device) -> np.ndarray:
        n = max(1, math.ceil(PREROLL_S * self.rate_hz))
        start = max(0, self._cursor - n)
        return device.buffer.read(start, max_rows=self._cursor - start).rows

    def _feed_session(self, rows: np.ndarray, head: tuple[np.ndarray, np.ndarray] | None = None
                      ) -> tuple[np.ndarray, list[Event]]:
        session = self.session
        assert session is not None
        t = rows["t_s"] - session.t0_host_s
        p = rows["pressure_mmhg"]
        n = len(t)
        if session.runner is not None:
            fed = (session.runner.feed(t, p) if head is None
                   else session.runner.feed(t, p, head[0]))
            target, phase, events = fed.target_mmhg, list(fed.phase), fed.events
        else:
            target, phase, events = np.full(n, np.nan), [""] * n, []
        session.write(rows, t, target, phase, head)
        self.lsl.cues(t, target, phase)
        if session.pairs is not None:
            session.pairs.update(rows)
        self._forward_cue()
        return target, events

    def _forward_cue(self) -> None:
        session = self.session
        if session is None or session.runner is None:
            return
        cue = session.runner.cue
        key = (cue.target_mmhg if cue.step in CUED_STEPS else None, cue.phase)
        if key != session.shown:
            session.shown = key
            if self.patient is not None:
                self.patient.show(key[0], key[1])
        if cue != self._last_cue:
            self._last_cue = cue
            self.cue_changed.emit(cue)

    def _on_events(self, events: list[Event]) -> None:
        session = self.session
        offset = (session.t0_host_s - self.origin_s) if session is not None else 0.0
        for e in events:
            t = e.t_s + offset
            marker = event_marker(e, t, self.history.value_at)
            if marker is not None:
                self.markers.append(marker)
            if e.kind == "session" and session is not None:
                message = texts.describe_fault(e.type, e.value)
                session.alerts.add(message, e.t_s, e.type, e.value)
                self.notice.emit(message)
            if session is not None:
                session.live = session.live.follow(e)
        self.lsl.events(events)
        self.analysis_events.emit(events)

    def _update_band(self) -> None:
        band = self.band_status()
        session = self.session
        if session is not None and band == "in" and session.live.hold_since_s is None and (
            session.live.reached_s is not None and not session.live.held
        ):
            session.live.hold_since_s = session.latest_t_s  # back in the band: a new attempt
        if band != self.band:
            self.band = band
            self.band_changed.emit(band)

    def band_status(self) -> str:
        """Where the newest pressure is against the cued target: in, low, high or ""."""
        cue = self.cue
        session = self.session
        p = self.history.latest_mmhg
        if session is None or cue is None or cue.step not in CUED_STEPS or math.isnan(p):
            return ""
        dev = p - cue.target_mmhg
        if abs(dev) <= session.band_mmhg:
            return "in"
        return "low" if dev < 0 else "high"

    # --- what views read ---------------------------------------------------------------------

    @property
    def cue(self) -> Cue | None:
        s = self.session
        return s.runner.cue if s is not None and s.runner is not None else None

    @property
    def session_time_s(self) -> float:
        """Session time of the newest sample (NaN without a session)."""
        return self.session.latest_t_s if self.session is not None else math.nan

    @property
    def now_display_s(self) -> float:
        """Display time now: the live trace's right edge (it keeps moving through a gap)."""
        if self.device is None:
            return self.history.latest_t_s
        return self.device.clock.now() - self.origin_s

    @property
    def display_mmhg(self) -> float:
        """The pressure to show as a number: the mean of the last 0.2 s (a steady readout
        that still follows a nod at once)."""
        t1 = self.history.latest_t_s
        if math.isnan(t1):
            return math.nan
        _, p, _ = self.history.window(t1 - 0.2)
        return float(p.mean()) if len(p) else math.nan

    @property
    def target_band(self) -> tuple[float, float] | None:
        """(target, tolerance) while a target is cued."""
        cue = self.cue
        if cue is None or cue.step not in CUED_STEPS or self.session is None:
            return None
        return cue.target_mmhg, self.session.band_mmhg

    @property
    def band_mmhg(self) -> float:
        return self.session.band_mmhg if self.session is not None else self.settings.band_mmhg

    @property
    def baseline_mmhg(self) -> float:
        """The latest measured rest level (follows a leaking cuff; NaN before one is measured)."""
        s = self.session
        return current_rest_mmhg(s.runner.analyzer) if s is not None and s.runner else math.nan

    @property
    def setup(self) -> SetupStatus:
        return self.guide.status

    def hold_remaining_s(self) -> float | None:
        """Seconds left of the current hold (None when not holding)."""
        s = self.session
        cue = self.cue
        if s is None or s.runner is None or cue is None or cue.step != "hold":
            return None
        return s.live.hold_remaining_s(s.runner.hold_s, s.latest_t_s)

    def step_remaining_s(self) -> float | None:
        """Seconds until the current cue step ends at the latest (nod time-out, rest)."""
        cue = self.cue
        if cue is None or math.isnan(cue.until_s) or self.session is None:
            return None
        return max(0.0, cue.until_s - self.session.latest_t_s)

    @property
    def phase(self) -> str:
        """The protocol part under way: practice, stage, endurance or training ("" before)."""
        s = self.session
        return phase_of(s.runner) if s is not None and s.runner is not None else ""

    @property
    def paused(self) -> bool:
        s = self.session
        return bool(s is not None and s.runner is not None and s.runner.paused)

    # --- therapist actions -------------------------------------------------------------------

    def toggle_pause(self) -> None:
        s = self.session
        if s is None or s.runner is None:
            return
        if s.runner.paused:
            s.runner.resume()
            self._act(texts.ACTION_RESUMED)
        else:
            s.runner.pause()
            self._act(texts.ACTION_PAUSED)
        self._forward_cue()
        self.session_changed.emit()

    def repeat_last_trial(self) -> bool:
        s = self.session
        if s is None or not isinstance(s.runner, CcftTestRunner):
            return False
        try:
            s.runner.repeat_last_trial()
        except ValueError:
            self.notice.emit(texts.NOTHING_TO_REPEAT)
            return False
        last = s.runner.trials[-1]
        self._annotate(s, "supersede", last.index, True)
        self._act(texts.ACTION_REPEAT.format(trial=last.index + 1, target=last.target_mmhg))
        self.session_changed.emit()
        return True

    def select_trial(self, trial_index: int | None) -> None:
        """The therapist selected a row: O and 1–4 act on it until the next trial starts."""
        if self.session is not None and self.session.corrections is not None:
            self.session.corrections.select(trial_index)

    def toggle_override(self, trial_index: int | None = None) -> bool:
        """Flip the verdict of a finished trial (the last, or one selected since the last trial
        started; ``trial_index``: select it now); again: back to measured."""
        s = self.session
        if s is None or not isinstance(s.runner, CcftTestRunner) or s.corrections is None:
            self.notice.emit(texts.NOTHING_TO_OVERRIDE)
            return False
        if trial_index is not None:
            s.corrections.select(trial_index)
        return self._corrected(s.corrections.override(), texts.NOTHING_TO_OVERRIDE)

    def mark_compensation(self, kind: str) -> bool:
        """Compensation seen by hand: fails the cued trial (or the last, or the selected)."""
        s = self.session
        if s is None or s.corrections is None or kind not in COMPENSATION_KINDS:
            return False
        if not self._corrected(s.corrections.mark(kind), texts.NOTHING_TO_MARK):
            return False
        label = texts.MANUAL_FAULT_SHORT[kind]
        self.markers.append(Marker(self.history.latest_t_s, "manual", label,
                                   self.history.latest_mmhg))
        return True

    def review_flag(self, confirmed: bool | None,
                    flag_type: str | tuple[str, ...] = "breath_hold") -> bool:
        """B / Shift+B: confirm or dismiss "possible breath holding"; H / Shift+H the head's
        ``("retraction", "chin_poke")`` (the selected trial, else the latest with the flag);
        the rules live in ``Corrections.review``."""
        s = self.session
        change = s.corrections.review(flag_type, confirmed) if s and s.corrections else None
        return self._corrected(change, texts.NOTHING_TO_REVIEW if flag_type == "breath_hold"
                               else texts.NOTHING_TO_REVIEW_HEAD)

    def undo_correction(self) -> bool:
        """Ctrl+Z: take back the last override or mark (in the runner and the records)."""
        s = self.session
        change = s.corrections.undo() if s is not None and s.corrections is not None else None
        if change is None:
            self.notice.emit(texts.NOTHING_TO_UNDO)
            return False
        return self._corrected(change, "", texts.CORRECTION_UNDONE.format(text=change.text))

    def _corrected(self, change: Correction | None, nothing: str, text: str = "") -> bool:
        """Say what a correction changed (status bar, session actions, CSV marker)."""
        if change is None:
            self.notice.emit(nothing)
            return False
        self._act(text or change.text)
        self.notice.emit(text or change.text)
        self.session_changed.emit()
        return True

    def add_marker(self, text: str = "") -> None:
        """A manual marker on the trace (and in the recording's ``marker`` column)."""
        if self.device is None or math.isnan(self.history.latest_t_s):
            return
        label = " ".join(text.replace(",", ";").split()) or texts.MARKER_DEFAULT.format(
            n=sum(1 for m in self.markers if m.kind == "user") + 1)
        self.markers.append(Marker(self.history.latest_t_s, "user", label,
                                   self.history.latest_mmhg))
        if self.session is not None:
            self.session.pending_marks.append(label)
        self.lsl.mark(label, self.history.latest_t_s + self.origin_s)
        self.session_changed.emit()

    def _annotate(self, s: ActiveSession, method: str, trial_index: int, *args: object
                  ) -> None:
        """A therapist's action into the records at once (it survives a crash)."""
        if s.record is None or self.records is None:
            return
        try:
            getattr(self.records, method)(s.record.id, trial_index, *args)
        except RECORDS_ERRORS as exc:
            log.error("could not store the therapist's action: %s", exc)
            self.notice.emit(texts.RECORDS_WRITE_FAILED.format(error=exc))

    def _act(self, text: str) -> None:
        s = self.session
        assert s is not None
        s.act(text)
        self.lsl.mark(text, s.latest_t_s + s.t0_host_s)

    def request_end(self, reason: str = "end") -> bool:
        """End the session, asking ``confirm_end(reason)`` first if a test is under way
        ("end", "disconnect", "quit"); False if the therapist chose to keep testing."""
        s = self.session
        if s is None:
            return True
        if s.runner is not None and s.runner.begun and not s.runner.done and (
            not self.confirm_end(reason)
        ):
            return False
        self.end_session()
        return True

    def end_session(self) -> None:
        """Stop now (the therapist ends the test early, or the link is closed)."""
        if self.session is not None:
            self._finish_session()

    def _finish_session(self) -> None:
        session = self.session
        if session is None:
            return
        ended = finish_runner(session, self._act)  # ended early: the trial under way is void
        if ended.events:
            self._on_events(ended.events)
        session.recorder.close(closing_metadata(  # the writer thread finishes the file
            self.device, session, ended, self.lsl.metadata(session.t0_host_s),
            self.head.metadata()), wait=False)
        self.lsl.stop_session(session.latest_t_s + session.t0_host_s)
        report = session_report(session, ended, session.t0_host_s - self.origin_s,
                                self.history.latest_t_s)
        record, result = session.record, ended.result
        if record is not None:
            # complete_session reads the closed CSV back: wait for the writer off the UI
            # thread, then complete on it (the records' connection lives here).
            recorder = session.recorder
            self._completing[record.id] = (record, result, recorder)
            sid = record.id
            run_in_background(recorder.join, lambda _: self.complete_record(sid),
                              name="cctf-join")
        self.session = None
        self.last_report = report
        self._last_cue = None
        if self.band:
            self.band = ""
            self.band_changed.emit("")
        self.session_finished.emit(report)
        self.session_changed.emit()
        self.notice.emit(texts.SAVED_TO.format(path=report.path))

    def complete_record(self, session_id: int) -> bool:
        """Mark a finished session complete in the records (once its CSV is closed)."""
        pending = self._completing.pop(session_id, None)
        if pending is None:
            return False
        record, result, recorder = pending
        recorder.join()  # at once when called after the worker's join
        if self.records is None:
            record.lock.release()  # recovered as interrupted at the next start
            return False
        from cctf.records.recovery import abandon_session, complete_session

        try:
            complete_session(self.records, record, result)
        except RECORDS_ERRORS as exc:
            log.error("could not complete session %d in the records: %s", session_id, exc)
            self.notice.emit(texts.RECORDS_WRITE_FAILED.format(error=exc))
            try:
                abandon_session(self.records, record, texts.RECORDS_NOT_COMPLETED)
            except RECORDS_ERRORS:
                record.lock.release()
            return False
        self.record_completed.emit(session_id)
        self.records_changed.emit()
        return True

    # --- patient records ---------------------------------------------------------------------

    def open_records(self) -> list[Recovered]:
        """Open the records of ``data_dir`` and recover interrupted sessions. A damaged
        database leaves the records closed (``records_corrupt``); nothing raises."""
        from cctf.records.recovery import recover_interrupted
        from cctf.records.startup import LostDatabaseError, open_records

        self.close_records()
        recovered: list[Recovered] = []
        try:
            self.records = open_records(DataDir.resolve(self.data_dir))
        except (CorruptDatabaseError, LostDatabaseError) as exc:  # both: repair offered
            log.error("%s", exc)
            self.records_corrupt = True
            self.records_error = texts.RECORDS_CORRUPT.format(folder=self.data_dir)
        except RECORDS_ERRORS as exc:
            log.error("could not open the records: %s", exc)
            self.records_error = texts.RECORDS_OPEN_FAILED.format(error=exc)
        else:
            self.records_corrupt = False
            self.records_error = ""
            try:
                recovered = recover_interrupted(self.records)
            except RECORDS_ERRORS as exc:
                log.error("recovery failed: %s", exc)
                self.notice.emit(texts.RECORDS_WRITE_FAILED.format(error=exc))
        self.records_changed.emit()
        self.patient_changed.emit()
        return recovered

    def repair_records(self) -> list[Recovered]:
        """The user agreed: move the damaged database aside, rebuild, reopen."""
        from cctf.records.startup import repair_database

        self.close_records()
        try:
            repair_database(DataDir.resolve(self.data_dir))
        except RECORDS_ERRORS as exc:
            log.error("repair failed: %s", exc)
            self.records_error = texts.RECORDS_REPAIR_FAILED.format(error=exc)
            self.records_changed.emit()
            return []
        return self.open_records()

    def close_records(self) -> None:
        for sid in list(self._completing):
            self.complete_record(sid)
        if self.records is not None:
            with contextlib.suppress(*RECORDS_ERRORS):
                self.records.close()
        self.records = None
        self.patient_code = None

    def set_data_dir(self, path: str | Path) -> bool:
        """Use another data folder (not while a session runs)."""
        if self.session is not None:
            self.notice.emit(texts.SESSION_RUNNING)
            return False
        self.data_dir = Path(path)
        self.open_records()
        return True

    def select_patient(self, code: str | None) -> None:
        if code is not None and (self.records is None or self.records.find_patient(code) is None):
            code = None
        if code != self.patient_code:
            self.patient_code = code
            self.patient_changed.emit()

    # --- device commands ---------------------------------------------------------------------

    def tare(self) -> None:
        """Zero the sensor at atmosphere (the cuff must be open to air)."""
        device = self.device
        if device is None:
            return

        def done(cal: object) -> None:
            self.notice.emit(texts.TARE_DONE)

        def failed(exc: BaseException) -> None:
            self.notice.emit(texts.TARE_FAILED.format(error=exc))

        if not self.threaded:
            try:
                done(device.tare())
            except CctfError as exc:
                failed(exc)
            return
        run_in_background(device.tare, done, failed, name="cctf-tare")

    # --- health ------------------------------------------------------------------------------

    def _emit_health(self, force: bool = False) -> None:
        device = self.device
        if device is None:
            return
        now = device.clock.now()
        state = device.state
        if not force and now - self._last_health_s < HEALTH_EVERY_S and (
            self.health is not None and self.health.state == state
        ):
            return
        self._last_health_s = now
        self.health = device.health()
        self.link_window.add(now, self.health.frames_ok, self.health.missing,
                             self.health.corrupt)
        events = device.events
        for e in events[self._link_events_seen:]:
            if e.kind in ("disconnected", "reconnected", "device_reset"):
                t = e.t_s - self.origin_s
                self.markers.append(Marker(t, "link", texts.LINK_EVENT_SHORT.get(e.kind, e.kind),
                                           self.history.value_at(t)))
        self._link_events_seen = len(events)
        self.lsl.link(events)
        self.health_changed.emit(self.health)

    # --- Lab Streaming Layer (docs/lsl.md) -------------------------------------------------

    def set_lsl(self, on: bool) -> bool:
        """Stream to LSL (the setting; opens the outlet for the attached device) or stop."""
        try:
            self.lsl.set_enabled(on)
        except CctfError as exc:
            self.notice.emit(str(exc))
            return False
        feed = self.lsl.feed
        self.notice.emit(texts.LSL_ON.format(pressure=feed.outlet.pressure_name,
                                             events=feed.outlet.events_name)
                         if feed is not None else texts.LSL_PENDING if on else texts.LSL_OFF)
        return True

    def _attach_lsl(self, device: Device) -> None:
        try:
            self.lsl.attach(device, self.rate_hz)
        except (CctfError, ValueError) as exc:
            log.error("LSL outlet not opened: %s", exc)
            self.lsl.enabled = False
            self.notice.emit(str(exc))

    @property
    def signal_status(self) -> SignalStatus:
        """Whether the data shown is live (a sample within 0.5 s on the device's clock), and
        if not, why: disconnected, reconnecting, device restarted, no data."""
        device = self.device
        if device is None:
            return self.signal.status(0.0, "closed")
        return self.signal.status(device.clock.now(), device.state.value,
                                  last_reset_s(device.events))

    @property
    def link_quality(self) -> LinkQuality:
        """Frames lost or corrupt over the last 30 s."""
        now = self.device.clock.now() if self.device is not None else None
        return self.link_window.quality(now)

    @property
    def link_state(self) -> LinkState:
        return self.device.state if self.device is not None else LinkState.CLOSED

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Quit: end the session, wait for its file, close the link."""
        self.timer.stop()
        report = None
        if self.session is not None:
            self._finish_session()
            report = self.last_report
        device = self.device
        self.device = None
        self.lsl.detach()
        if device is not None:
            device.close()
        if report is not None:
            report.recorder.join(timeout_s)
        for sid in list(self._completing):
            self.complete_record(sid)
        if self.records is not None:
            self.records.close()
            self.records = None
