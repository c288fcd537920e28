"""Scenario files and the CCFT schedule: every shipped scenario works, bad files explain
themselves, and the documentation covers every key."""

from __future__ import annotations

import itertools
import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from cctf.errors import ConfigError
from cctf.sim.faults import LinkFaults
from cctf.sim.patient import CompensationRule, PatientParams, SignatureParams
from cctf.sim.physiology import CuffParams
from cctf.sim.scenarios import (
    SCENARIO_DIR,
    HeadSettings,
    Scenario,
    SensorSettings,
    list_scenarios,
    load_scenario,
)
from cctf.sim.schedule import ccft_schedule

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"
REQUIRED = {"healthy", "neck-pain", "compensator", "leaky-cuff", "bad-cable"}
ONE_COMPENSATION = {
    "overshoot": "overshoot",
    "fast-nod": "fast_nod",
    "pressure-drop": "pressure_drop",
    "unsteady": "unsteady",
    "head-lift": "head_lift",
    "no-reach": "no_reach",
}
NAMES = [name for name, _ in list_scenarios()]


# --- the schedule --------------------------------------------------------------------------


def test_default_schedule_is_five_stages_after_a_setup_rest():
    cues = ccft_schedule()
    assert [c.target_mmhg for c in cues] == [22.0, 24.0, 26.0, 28.0, 30.0]
    assert {c.phase for c in cues} == {"stage"}
    assert cues[0].start_s == 20.0
    assert all(c.end_s - c.start_s == 13.0 for c in cues)  # 3 s to reach + 10 s hold
    gaps = [b.start_s - a.end_s for a, b in itertools.pairwise(cues)]
    assert gaps == [10.0] * 4


def test_schedule_with_endurance_and_other_steps():
    cues = ccft_schedule(
        start_s=5.0,
        step_mmhg=5.0,
        n_stages=4,
        hold_s=3.0,
        rest_s=2.0,
        reach_s=0.0,
        setup_s=0.0,
        endurance_level_mmhg=30.0,
        endurance_reps=3,
    )
    assert [(c.target_mmhg, c.phase) for c in cues] == [
        (25.0, "stage"),
        (30.0, "stage"),
        (35.0, "stage"),
        (40.0, "stage"),
        (30.0, "endurance"),
        (30.0, "endurance"),
        (30.0, "endurance"),
    ]
    assert [c.start_s for c in cues] == [5.0 + 5.0 * i for i in range(7)]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"step_mmhg": 0.0}, "step_mmhg"),
        ({"n_stages": 0}, "n_stages"),
        ({"n_stages": 2.5}, "n_stages"),
        ({"hold_s": -1.0}, "hold_s"),
        ({"rest_s": float("nan")}, "rest_s"),
        ({"baseline_mmhg": -20.0}, "baseline_mmhg"),
        ({"start_s": -1.0}, "start_s"),
        ({"endurance_level_mmhg": 18.0}, "endurance_level_mmhg"),
        ({"endurance_level_mmhg": 24.0, "endurance_reps": 0}, "endurance_reps"),
    ],
)
def test_schedule_rejects_bad_arguments_naming_them(kwargs, name):
    value = next(iter(kwargs.values())) if len(kwargs) == 1 else kwargs[name]
    with pytest.raises(ConfigError, match=rf"{name} must be .*got {re.escape(repr(value))}"):
        ccft_schedule(**kwargs)


# --- shipped scenarios ---------------------------------------------------------------------


def test_the_required_scenarios_are_shipped_with_descriptions():
    listed = dict(list_scenarios())
    assert set(listed) >= REQUIRED | set(ONE_COMPENSATION)
    assert all(description.strip() for description in listed.values())
    assert list(listed) == sorted(listed)


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_scenario_loads_and_generates(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.schedule and scenario.duration_s > scenario.schedule[-1].end_s
    source = scenario.make_source(autocue=True)
    t = np.arange(0.0, scenario.duration_s, 0.1)
    p = source.pressure_mmhg(t)
    assert np.all(np.isfinite(p)) and p.min() >= 0.0 and p.max() < 45.0
    assert len(source.trials) == len(scenario.schedule)
    # The recorder's target column comes from here.
    mid = scenario.schedule[0]
    assert source.current_cue((mid.start_s + mid.end_s) / 2) == mid


def _plans(name):
    scenario = load_scenario(name)
    source = scenario.make_source(autocue=True)
    return scenario, list(zip(scenario.schedule, source.trials, strict=True))


def test_healthy_reaches_28_and_endures_there():
    scenario, plans = _plans("healthy")
    assert scenario.link.clean
    for cue, plan in plans:
        expected = {"no_reach"} if cue.target_mmhg > 28.0 else set()
        assert plan.compensations == expected
    assert {c.target_mmhg for c in scenario.schedule if c.phase == "endurance"} == {28.0}
    assert sum(c.phase == "endurance" for c in scenario.schedule) == 10


def test_neck_pain_reaches_24_and_fails_26():
    scenario, plans = _plans("neck-pain")
    stages = {cue.target_mmhg: plan.compensations for cue, plan in plans if cue.phase == "stage"}
    assert not stages[22.0] and not stages[24.0]
    assert all(stages[level] for level in (26.0, 28.0, 30.0))
    assert {c.target_mmhg for c in scenario.schedule if c.phase == "endurance"} == {24.0}


def test_compensator_nods_fast_and_overshoots_from_stage_2_and_lifts_once():
    _, plans = _plans("compensator")
    for cue, plan in plans:
        if cue.target_mmhg >= 24.0:
            assert {"fast_nod", "overshoot"} <= plan.compensations
    assert not plans[0][1].compensations
    assert sum("head_lift" in plan.compensations for _, plan in plans) == 1


def test_leaky_cuff_and_bad_cable():
    leaky = load_scenario("leaky-cuff")
    assert leaky.cuff.leak_mmhg_per_min == pytest.approx(0.8)
    cable = load_scenario("bad-cable")
    assert cable.link.corrupt_prob == pytest.approx(0.02)
    assert cable.link.drop_prob == pytest.approx(0.01)
    assert cable.link.garbage_rate_hz > 0
    assert cable.link.disconnects_s == ((40.0, 3.0),)
    assert cable.link.resets_s == (90.0,)
    assert cable.patient == load_scenario("healthy").patient


@pytest.mark.parametrize(("name", "kind"), ONE_COMPENSATION.items())
def test_one_compensation_scenarios_keep_stage_1_clean(name, kind):
    _, plans = _plans(name)
    assert [plan.compensations for _, plan in plans] == [frozenset()] + [{kind}] * 4


def test_make_source_seed_overrides_the_scenario_seed():
    scenario = load_scenario("healthy")
    t = np.arange(20.0, 40.0, 0.02)
    default = scenario.make_source(autocue=True).pressure_mmhg(t)
    same = scenario.make_source(seed=scenario.seed, autocue=True).pressure_mmhg(t)
    other = scenario.make_source(seed=scenario.seed + 1, autocue=True).pressure_mmhg(t)
    np.testing.assert_array_equal(default, same)
    assert not np.array_equal(default, other)


def test_sensor_settings_expose_the_noise_under_both_names():
    sensor = load_scenario("healthy").sensor
    assert sensor.sensor_noise_mmhg == sensor.noise_mmhg == 0.03


# --- user files and their errors -----------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_file_by_path_with_every_section(tmp_path):
    path = _write(
        tmp_path,
        """
description = "mine"
seed = 7
[patient]
max_level_mmhg = 26
over_capacity = ["unsteady"]
[[compensations]]
kind = "overshoot"
phases = ["stage"]
trials = [1, 2]
probability = 0.5
[signatures]
overshoot_mmhg = 2.5
[cuff]
baseline_mmhg = 19
[sensor]
sensor_noise_mmhg = 0.05
[link]
disconnects_s = [[10, 2.5]]
resets_s = [30]
[schedule]
n_stages = 3
endurance_level_mmhg = 24
endurance_reps = 2
""",
    )
    scenario = load_scenario(str(path))
    assert scenario.name == "mine" and scenario.seed == 7
    assert scenario.patient.max_level_mmhg == 26.0
    assert scenario.patient.over_capacity == ("unsteady",)
    assert scenario.patient.compensations == (
        CompensationRule("overshoot", phases=("stage",), trials=(1, 2), probability=0.5),
    )
    assert scenario.patient.signatures.overshoot_mmhg == 2.5
    assert scenario.cuff.baseline_mmhg == 19.0
    assert scenario.sensor.sensor_noise_mmhg == 0.05
    assert scenario.link.disconnects_s == ((10.0, 2.5),)
    assert [c.target_mmhg for c in scenario.schedule] == [22.0, 24.0, 26.0, 24.0, 24.0]


def test_docs_example_is_a_valid_scenario(tmp_path):
    example = re.search(r"## Example\s+```toml\n(.*?)```", DOCS.read_text(), re.S)
    assert example, "docs/scenarios.md lost its example"
    scenario = load_scenario(str(_write(tmp_path, example.group(1))))
    assert scenario.name == "my-patient"


def test_docs_describe_every_key():
    docs = DOCS.read_text()
    classes = (PatientParams, SignatureParams, CompensationRule, CuffParams, SensorSettings,
               HeadSettings)
    keys = [f.name for cls in (*classes, LinkFaults) for f in fields(cls)]
    keys += ["start_s", "setup_s", "step_mmhg", "n_stages", "reach_s", "hold_s", "rest_s"]
    keys += ["endurance_level_mmhg", "endurance_reps", "name", "description", "seed"]
    nested = {"signatures", "compensations"}  # sections of their own, not [patient] keys
    missing = [k for k in keys if k not in nested and f"| `{k}` |" not in docs]
    assert not missing


def test_unknown_name_lists_the_available_scenarios():
    with pytest.raises(ConfigError) as excinfo:
        load_scenario("heathy")
    message = str(excinfo.value)
    assert "'heathy'" in message
    assert all(name in message for name in REQUIRED)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_scenario(str(tmp_path / "nope.toml"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seed = 1\n[patient\n", r"not valid TOML.*line 2"),
        ("[patient]\nramp_s = 2.0\nrampp_s = 1.0\n", r"\[patient\].*unknown key 'rampp_s'"),
        ("colour = 'red'\n", r"unknown top-level key 'colour'"),
        ("[cuff]\nleak_mmhg_per_min = 'fast'\n", r"\[cuff\] leak_mmhg_per_min: must be a number"),
        ("[cuff]\nleak_mmhg_per_min = -0.5\n", r"cuff\.leak_mmhg_per_min must be >= 0"),
        ("[patient]\nover_capacity = 'no_reach'\n", r"over_capacity: must be an array"),
        ("[[compensations]]\nkind = 'sneeze'\n", r"#1.*compensation\.kind.*'sneeze'"),
        ("[[compensations]]\nprobability = 0.5\n", r"#1.*kind"),
        ("[link]\ndrop_prob = 1.5\n", r"link\.drop_prob"),
        ("[link]\ndisconnects_s = [[10]]\n", r"disconnects_s\[0\]: must have 2 items"),
        ("[schedule]\nn_stages = 2.5\n", r"\[schedule\] n_stages: must be an integer"),
        ("[schedule]\nhold_s = 0\n", r"\[schedule\].*hold_s must be > 0"),
        ("[schedule]\nholds = 10\n", r"\[schedule\].*unknown key 'holds'"),
        ("seed = -3\n", r"seed must be >= 0"),
        ("seed = true\n", r"seed: must be an integer"),
        ("patient = 3\n", r"\[patient\] must be a table"),
        ("[sensor]\nnoise_mmhg = 0.1\n", r"\[sensor\].*unknown key 'noise_mmhg'.*sensor_noise"),
    ],
)
def test_malformed_files_name_the_file_the_key_and_the_problem(tmp_path, text, expected):
    path = _write(tmp_path, text, "broken.toml")
    with pytest.raises(ConfigError, match=expected) as excinfo:
        load_scenario(str(path))
    assert str(excinfo.value).startswith(str(path))


def test_scenario_defaults_need_only_a_name():
    scenario = Scenario(name="bare")
    assert scenario.link.clean and len(scenario.schedule) == 5
    assert scenario.make_source().pressure_mmhg(np.array([30.0]))[0] > 0.0


def test_shipped_files_are_where_the_package_data_rule_expects():
    assert sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")) == NAMES
