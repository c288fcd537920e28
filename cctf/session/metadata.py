"""The metadata a session CSV starts with (device, calibration, protocol) and ends with (link
statistics and events, results, the therapist's actions and annotations, how it ended)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from cctf import __version__
from cctf.acquisition.device import Device
from cctf.analysis.results import SessionResult
from cctf.file_annotations import annotations_metadata
from cctf.records.results import annotations_of
from cctf.session.clinic import CcftTestRunner
from cctf.session.cued import CuedRunner
from cctf.session.training import TrainingRunner, TrainingSummary


def start_metadata(device: Device, kind: str, runner: CuedRunner | None, *, source: str,
                   preset_name: str) -> dict[str, object]:
    meta: dict[str, object] = {
        "app": f"cctf {__version__}",
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "session": kind,
        "source": source,
    }
    if device.hello is not None:
        meta.update(device.hello.as_metadata())
    cal = device.calibration
    if cal is not None:
        meta["calibration_slope_mmhg_per_count"] = f"{cal.slope_mmhg_per_count:.8f}"
        meta["calibration_zero_raw"] = cal.zero_raw
        meta["calibration_points"] = (f"{cal.raw_a}={cal.mmhg_a:g} mmHg, "
                                      f"{cal.raw_b}={cal.mmhg_b:g} mmHg")
        meta["calibration_flags"] = int(cal.flags)
    if isinstance(runner, CcftTestRunner):
        meta["protocol_preset"] = preset_name
        meta.update({f"protocol_{k}": v for k, v in asdict(runner.settings).items()})
    if isinstance(runner, TrainingRunner):
        meta.update({f"prescription_{k}": v for k, v in asdict(runner.prescription).items()})
    return meta


def _score(x: float | None) -> str:
    """A score for the CSV metadata: "null" when not measured (never 0), as JSON says it."""
    return "null" if x is None else f"{x:g}"


def final_metadata(device: Device | None, t0_host_s: float, kind: str,
                   result: SessionResult | None, summary: TrainingSummary | None,
                   actions: list[str]) -> dict[str, object]:
    final: dict[str, object] = {}
    if device is not None:
        final.update(device.health().as_metadata())
        events = [f"{e.kind}@{e.t_s - t0_host_s:.3f}s" + (f"+{e.duration_s:.3f}s"
                                                          if e.duration_s else "")
                  for e in device.events if e.t_s >= t0_host_s]
        final["link_events"] = "; ".join(events) if events else "none"
    if result is not None and kind == "clinic":
        final["result_activation_score_mmhg"] = _score(result.activation_score_mmhg)
        final["result_performance_index"] = _score(result.performance_index)
    if summary is not None:
        final["result_reps_done"] = summary.reps_done
        final["result_time_in_band_s"] = f"{summary.time_in_band_s:.1f}"
    final["therapist_actions"] = "; ".join(actions) if actions else "none"
    if result is not None:  # the annotations travel with the file (cctf.file_annotations)
        final.update(annotations_metadata(annotations_of(result)))
    return final
