"""Parameters (from_dict, replace, describe) and scenario files."""

from __future__ import annotations

import dataclasses

import pytest

from kopsim import ParameterError, Parameters, scenarios
from kopsim import scenario as scen
from kopsim.parameters import GROUPS, describe


# ---------------------------------------------------------------- Parameters.from_dict
def test_defaults_and_empty_dict():
    assert Parameters.from_dict({}) == Parameters()
    assert Parameters.from_dict(None) == Parameters()
    p = Parameters()
    assert p.trust.gain_rate < p.trust.loss_rate  # the asymmetry principle is the default
    assert p.population.n_cooperatives <= p.population.n_villages


def test_from_dict_overrides_only_what_is_given():
    p = Parameters.from_dict({"trust": {"loss_rate": 0.4}, "skills": {"follow_up": True}})
    assert p.trust.loss_rate == 0.4
    assert p.skills.follow_up is True
    assert p.trust.gain_rate == Parameters().trust.gain_rate
    assert p.population == Parameters().population


def test_whole_number_floats_become_ints_and_ints_become_floats():
    p = Parameters.from_dict({"population": {"n_villages": 3.0}, "trust": {"loss_rate": 1}})
    assert p.population.n_villages == 3 and type(p.population.n_villages) is int
    assert p.trust.loss_rate == 1.0 and type(p.trust.loss_rate) is float
    with pytest.raises(ParameterError, match=r"population\.n_villages: expected a whole number"):
        Parameters.from_dict({"population": {"n_villages": 2.5}})


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ({"trst": {}}, "trst", "did you mean 'trust'"),
        ({"trust": {"los_rate": 1}}, "trust.los_rate", "did you mean 'loss_rate'"),
        ({"trust": {"zzzzzz": 1}}, "trust.zzzzzz", "allowed: "),
        ({"trust": 0.5}, "trust", "expected a table"),
        ({"skills": {"training_selection": "randm"}}, "skills.training_selection", "did you mean 'random'"),
        ({"skills": {"follow_up": "yes"}}, "skills.follow_up", "true or false"),
        ({"trust": {"loss_rate": -0.1}}, "trust.loss_rate", "allowed range [0, 1]"),
        ({"population": {"members_per_cooperative": -1}}, "population.members_per_cooperative", "allowed range"),
    ],
)
def test_from_dict_errors_name_the_path(data, path, fragment):
    with pytest.raises(ParameterError) as info:
        Parameters.from_dict(data)
    assert info.value.path == path
    assert str(info.value).startswith(f"{path}: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("population", "path"),
    [
        ({"n_villages": 2, "n_cooperatives": 3}, "population.n_cooperatives"),
        ({"farmer_share": 0.7, "umkm_share": 0.4}, "population.umkm_share"),
        ({"age_min": 50.0, "age_max": 40.0}, "population.age_max"),
        ({"households_per_village": 10, "members_per_cooperative": 11}, "population.members_per_cooperative"),
        (
            {"households_per_village": 10, "members_per_cooperative": 6, "board_size": 5, "supervisors": 3},
            "population.board_size",
        ),
    ],
)
def test_cross_field_rules(population, path):
    with pytest.raises(ParameterError) as info:
        Parameters.from_dict({"population": population})
    assert info.value.path == path


def test_cross_field_rules_allow_the_edges():
    p = Parameters.from_dict(
        {
            "population": {
                "n_villages": 2,
                "n_cooperatives": 2,
                "households_per_village": 10,
                "members_per_cooperative": 10,
                "farmer_share": 0.6,
                "umkm_share": 0.4,
                "board_size": 7,
                "supervisors": 3,
            }
        }
    )
    assert p.population.members_per_cooperative == 10
    with pytest.raises(ParameterError, match="high_threshold"):
        Parameters.from_dict({"trust": {"low_threshold": 0.6, "high_threshold": 0.5}})
    Parameters.from_dict({"trust": {"low_threshold": 0.5, "high_threshold": 0.5}})


def test_source_prefixes_message():
    with pytest.raises(ParameterError) as info:
        Parameters.from_dict({"trust": {"loss_rate": 2}}, source="my.toml")
    assert str(info.value).startswith("my.toml: trust.loss_rate: ")
    assert info.value.source == "my.toml"


def test_parameters_are_frozen():
    p = Parameters()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.trust.loss_rate = 0.9  # type: ignore[misc]


def test_direct_group_construction_validates():
    with pytest.raises(ParameterError, match="loss_rate"):
        GROUPS["trust"](loss_rate=5.0)


# ---------------------------------------------------------------- replace / to_dict
def test_replace_dotted_and_nested():
    base = Parameters()
    p = base.replace({"trust.loss_rate": 0.5, "finance": {"loan_size": 7.5}})
    assert p.trust.loss_rate == 0.5 and p.finance.loan_size == 7.5
    assert base.trust.loss_rate == Parameters().trust.loss_rate  # original untouched
    assert base.finance.loan_size != 7.5 and p != base
    assert p.replace({"trust.loss_rate": base.trust.loss_rate, "finance.loan_size": base.finance.loan_size}) == base
    assert base.replace(None) == base


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"trust.los_rate": 1}, "did you mean 'loss_rate'"),
        ({"trst.loss_rate": 1}, "did you mean 'trust'"),
        ({"trst": {"loss_rate": 1}}, "did you mean 'trust'"),
        ({"trust": 1}, "expected 'group.name'"),
        ({"trust.loss_rate": 7}, "allowed"),
    ],
)
def test_replace_errors(overrides, fragment):
    with pytest.raises(ParameterError, match=fragment):
        Parameters().replace(overrides)


def test_to_dict_round_trip():
    p = Parameters().replace({"skills.training_selection": "neediest", "population.n_villages": 3})
    d = p.to_dict()
    assert set(d) == set(GROUPS)
    assert d["skills"]["training_selection"] == "neediest"
    assert Parameters.from_dict(d) == p


# ---------------------------------------------------------------- describe
def test_describe_covers_every_field_once():
    rows = describe()
    keys = [r["key"] for r in rows]
    expected = [f"{g}.{f.name}" for g, cls in GROUPS.items() for f in dataclasses.fields(cls)]
    assert keys == expected
    assert len(set(keys)) == len(keys)
    defaults = Parameters().to_dict()
    for row in rows:
        group, name = row["key"].split(".")
        assert row["default"] == defaults[group][name]
        assert row["description"], row["key"]
        assert set(row) == {"key", "default", "unit", "allowed", "description"}


def test_describe_allowed_text():
    rows = {r["key"]: r for r in describe()}
    assert rows["trust.loss_rate"]["allowed"] == "[0, 1]"
    assert rows["trust.loss_rate"]["unit"] == "per month"
    assert "'productive_age'" in rows["skills.training_selection"]["allowed"]
    assert rows["population.n_villages"]["allowed"] == "[1, 10000]"


# ---------------------------------------------------------------- scenarios
def test_load_baseline():
    s = scen.load("baseline")
    assert s.name == "baseline"
    assert s.steps == 120 and s.seed == 42
    assert s.description
    assert s.source.endswith("baseline.toml")
    pop = s.params.population
    assert (pop.n_villages, pop.n_cooperatives, pop.households_per_village, pop.members_per_cooperative) == (
        4,
        2,
        150,
        133,
    )
    assert s.params.network.bridging_degree == 0.6
    assert s.params.trust == Parameters().trust  # not overridden
    assert s.overrides["population"]["n_villages"] == 4
    assert scen.load(None) == s
    assert scen.load(scenarios.path("baseline")) == s
    assert "baseline" in scenarios.available()


def test_baseline_scenario_builds_a_model():
    from kopsim import CooperativeModel

    s = scen.load("baseline")
    model = CooperativeModel(s.params, seed=s.seed)
    assert model.state.n_households == 600
    assert int(model.state.member.sum()) == 2 * 133  # founding members
    df = model.run(1)
    assert df["households"].iloc[0] == 600


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"scenarios": {}}, "scenarios: unknown key; did you mean 'scenario'?"),
        ({"scenario": {"stepz": 3}}, "scenario.stepz: unknown key; did you mean 'steps'?"),
        ({"scenario": {"steps": 0}}, "scenario.steps: 0 is outside the allowed range"),
        ({"scenario": {"steps": 2.5}}, "scenario.steps: expected int"),
        ({"scenario": {"seed": True}}, "scenario.seed: expected int"),
        ({"scenario": {"seed": -1}}, "scenario.seed: -1 is negative"),
        ({"scenario": []}, "scenario: expected a table"),
        ({"parameters": {"trust": {"loss_rate": -1}}}, "parameters.trust.loss_rate: -1"),
        (
            {"parameters": {"population": {"members_per_cooperative": -5}}},
            "parameters.population.members_per_cooperative: -5 is outside the allowed range",
        ),
    ],
)
def test_scenario_errors(data, fragment):
    with pytest.raises(scen.ScenarioError) as info:
        scen.from_dict(data, "x.toml")
    message = str(info.value)
    assert message.startswith("x.toml: ")
    assert fragment in message
    assert "\n" not in message


def test_scenario_defaults():
    s = scen.from_dict({}, "dir/plain.toml")
    assert (s.name, s.steps, s.seed, s.params) == ("plain", 120, 0, Parameters())


def test_load_file_errors(tmp_path):
    with pytest.raises(scen.ScenarioError, match="file not found"):
        scen.load(tmp_path / "missing.toml")
    with pytest.raises(scen.ScenarioError, match=r"no such scenario.*shipped: .*baseline.*did you mean 'baseline'"):
        scen.load("baselin")
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nsteps = 3\n", encoding="utf-8")
    with pytest.raises(scen.ScenarioError, match="not valid TOML"):
        scen.load(bad)
    with pytest.raises(scen.ScenarioError, match="cannot read file"):
        scen.load(tmp_path)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b'[scenario]\nname = "caf\xe9"\n')
    with pytest.raises(scen.ScenarioError, match=r"latin1\.toml"):
        scen.load(latin1)


@pytest.mark.parametrize("name", scenarios.available())
def test_every_shipped_scenario_loads(name):
    s = scen.load(name)
    assert s.name
    assert s.description
    assert 1 <= s.steps <= scen.MAX_STEPS


def test_load_file(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("[scenario]\nsteps = 7\nseed = 3\n[parameters.trust]\nloss_rate = 0.5\n", encoding="utf-8")
    s = scen.load(f)
    assert (s.name, s.steps, s.seed) == ("mine", 7, 3)
    assert s.params.trust.loss_rate == 0.5
