"""Scenario files: every shipped one validates and runs; every mistake is one clear line."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kopsim import CooperativeModel, scenarios
from kopsim.experiments import cli
from kopsim.experiments.cli import catalogue
from kopsim.scenario import ScenarioError, load, merge

SHIPPED = scenarios.available()
METRICS_OFF = {"metrics.network_every": 0, "metrics.centrality_every": 0}


def test_the_required_scenarios_are_shipped():
    required = {
        "baseline",
        "mandiri_jaya",
        "bmt_trans_ktm_telang",
        "pasuruan_kemitraan",
        "prabumulih",
        "training_follow_up",
        "training_no_follow_up",
        "kemitraan_association",
        "kemitraan_no_association",
        "grant",
        "subsidised_credit",
        "village_engagement",
        "digital_marketing",
        "harvest_shock",
    }
    assert required <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_validates_and_runs(name):
    scen = load(name)
    assert scen.description, "every scenario states its purpose"
    text = scenarios.path(name).read_text(encoding="utf-8")
    assert "Question it answers" in text or "question it answers" in text
    model = CooperativeModel(scen.params.replace(METRICS_OFF), seed=scen.seed, interventions=scen.interventions)
    frame = model.run(3)
    assert len(frame) == 3 and frame["members"].iloc[-1] > 0


def test_prabumulih_has_171_cooperatives():
    assert load("prabumulih").params.population.n_cooperatives == 171


def test_bmt_trans_has_an_unresponsive_village_government_and_three_tie_kinds():
    scen = load("bmt_trans_ktm_telang")
    assert scen.params.population.village_government_responsiveness == 0.0
    model = CooperativeModel(scen.params.replace(METRICS_OFF), seed=1, interventions=scen.interventions)
    frame = model.run(1)
    assert (frame[["ties_interest", "ties_sentiment", "ties_power"]].iloc[0] > 0).all()


def test_extends_overrides_keys_and_appends_interventions(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(
        '[scenario]\nname = "b"\nsteps = 50\n[parameters.trust]\ngain_rate = 0.1\nloss_rate = 0.3\n'
        '[[interventions]]\nkind = "training"\nstart = 5\n',
        encoding="utf-8",
    )
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "base.toml"\n[scenario]\nname = "c"\n[parameters.trust]\nloss_rate = 0.4\n'
        '[[interventions]]\nkind = "price_drop"\nstart = 7\n',
        encoding="utf-8",
    )
    scen = load(child)
    assert scen.name == "c" and scen.steps == 50
    assert scen.params.trust.gain_rate == 0.1 and scen.params.trust.loss_rate == 0.4
    assert [i.kind for i in scen.interventions] == ["training", "price_drop"]


def test_merge_is_deep_for_tables():
    merged = merge(
        {"a": {"x": 1, "y": 2}, "interventions": [1], "l": [1]}, {"a": {"y": 3}, "interventions": [2], "l": [2]}
    )
    assert merged == {"a": {"x": 1, "y": 3}, "interventions": [1, 2], "l": [2]}


def test_shipped_variants_extend_the_baseline():
    base = load("baseline")
    variant = load("training_follow_up")
    assert variant.params.population == base.params.population
    assert variant.interventions and variant.interventions[0].kind == "training"


BAD_FILES = {
    "unknown top key": ('[scenaro]\nname = "x"\n', "did you mean 'scenario'"),
    "unknown parameter": ("[parameters.trust]\nlos_rate = 0.3\n", "parameters.trust.los_rate"),
    "wrong type": ('[parameters.population]\nn_villages = "four"\n', "expected a whole number"),
    "out of range": ("[parameters.trust]\ngain_rate = 1.5\n", "allowed range"),
    "unknown intervention": ('[[interventions]]\nkind = "trainin"\n', "interventions[0].kind"),
    "end before start": ('[[interventions]]\nkind = "training"\nstart = 12\nend = 6\n', "before start"),
    "bad intervention value": ('[[interventions]]\nkind = "training"\nquota = -2\n', "interventions[0].quota"),
    "cooperative out of range": ('[[interventions]]\nkind = "grant"\ncooperatives = [5]\n', "out of range"),
    "steps zero": ("[scenario]\nsteps = 0\n", "scenario.steps"),
    "interventions not array": ("interventions = 3\n", "array of tables"),
    "syntax": ("[scenario\n", "not valid TOML"),
    "missing extends": ('extends = "nowhere.toml"\n', "file not found"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_scenario_files_name_file_and_key(tmp_path, case):
    text, fragment = BAD_FILES[case]
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(f)
    message = str(info.value)
    assert message.startswith(str(f)) and fragment in message and "\n" not in message


def test_extends_cycle_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=re.escape("cycle a.toml -> b.toml -> a.toml")):
        load(tmp_path / "a.toml")


def test_cli_scenarios_lists_every_shipped_file_with_its_purpose(capsys):
    assert cli.main(["scenarios"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == SHIPPED
    assert all(len(line.split()) > 2 and "INVALID" not in line for line in out)


def test_cli_validate(tmp_path):
    good = [str(scenarios.path(n)) for n in SHIPPED]
    proc = subprocess.run(
        [sys.executable, "-m", "kopsim", "validate", *good], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == len(SHIPPED)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[interventions]]\nkind = "training"\nstart = 12\nend = 6\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "kopsim", "validate", good[0], str(bad)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("kopsim: error:")
    assert "Traceback" not in proc.stderr


def test_cli_runs_a_scenario_with_interventions(tmp_path, capsys):
    assert (
        cli.main(
            [
                "run",
                "harvest_shock",
                "--steps",
                "2",
                "--quiet",
                "--out",
                str(tmp_path),
                "--set",
                "metrics.centrality_every=0",
            ]
        )
        == 0
    )
    import json

    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["interventions"][0]["kind"] == "harvest_failure"


# ---------------------------------------------------------------- property: the loader never crashes
BASELINE = tomllib.loads(scenarios.path("baseline").read_text(encoding="utf-8"))
VALUES = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
KEYS = st.sampled_from(
    [
        "scenario",
        "parameters",
        "interventions",
        "extends",
        "population",
        "trust",
        "kind",
        "start",
        "end",
        "every",
        "quota",
        "n_villages",
        "gain_rate",
        "steps",
        "seed",
        "name",
        "training",
        "grant",
        "cooperatives",
        "set",
        "xyz",
    ]
)


def _toml(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return (
            "nan" if value != value else ("inf" if value > 0 else "-inf") if abs(value) == float("inf") else repr(value)
        )
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"
    return str(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(KEYS, min_size=1, max_size=3), value=VALUES, garbage=st.text(max_size=20), mode=st.integers(0, 2))
def test_broken_files_only_ever_raise_scenario_error(tmp_path, path, value, garbage, mode):
    lines = ["[scenario]", 'name = "fuzz"', "steps = 3"]
    if mode == 0:  # a value at a random key path
        lines.append(f"[{'.'.join(path[:-1])}]" if len(path) > 1 else "")
        lines.append(f'"{path[-1]}" = {_toml(value)}')
    elif mode == 1:  # an intervention with a random field
        lines += ["[[interventions]]", f'kind = "{path[0]}"', f'"{path[-1]}" = {_toml(value)}']
    else:  # raw garbage appended
        lines.append(garbage)
    f = tmp_path / "fuzz.toml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        scen = load(f)
    except ScenarioError as err:
        assert "\n" not in str(err) and str(err).startswith(str(f))
        return
    CooperativeModel(scen.params.replace(METRICS_OFF), seed=0, interventions=scen.interventions).step()


def test_paths_are_resolved_relative_to_the_extending_file(tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "base.toml").write_text("[scenario]\nsteps = 7\n", encoding="utf-8")
    (sub / "child.toml").write_text('extends = "base.toml"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load(Path("sub/child.toml")).steps == 7


def test_schema_document_matches_the_code():
    text = (Path(scenarios.__file__).parent / "README.md").read_text(encoding="utf-8")
    assert catalogue.parameter_table() in text
