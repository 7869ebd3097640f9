"""``kopsim sensitivity``: SALib designs, runs on an executor, indices, figure, and bad input."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("SALib")

from kopsim.experiments import sensitivity as sa
from kopsim.scenario import load
from tests.helpers import run_kopsim

TINY = """
[scenario]
name = "tiny"
description = "a tiny cooperative for sensitivity tests"
steps = 13
seed = 3

[parameters.population]
n_villages = 1
n_cooperatives = 1
households_per_village = 40
members_per_cooperative = 25
[parameters.skills]
training_every_months = 12  # the yearly Diklat whose quota is fitted / screened
"""


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


def kopsim(args, capsys):
    return run_kopsim(args, capsys)


def test_morris_finds_the_parameter_without_effect(scenario_file):
    scen = load(str(scenario_file))
    factors = sa.parse_factors(
        "trust.loss_rate=0.1:0.5,trust.low_threshold=0.1:0.3,skills.training_quota=2:10", scen.params
    )
    assert [f.integer for f in factors] == [False, False, True]
    outcomes = ["trust_peer_mean", "skill_members"]
    res = sa.run_sensitivity(scen, factors, outcomes, "morris", samples=3, executor="sequential")
    assert res.X.shape == (3 * (len(factors) + 1), len(factors))
    idx = res.indices.set_index(["outcome", "parameter"])
    assert len(res.indices) == len(outcomes) * len(factors)
    assert list(res.indices.columns) == ["outcome", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    # trust.low_threshold only classifies trust for the metrics: no effect on mean trust (common random numbers)
    assert idx.loc[("trust_peer_mean", "trust.low_threshold"), "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert idx.loc[("trust_peer_mean", "trust.loss_rate"), "mu_star"] > 0.01
    assert idx.loc[("trust_peer_mean", "trust.loss_rate"), "mu"] < 0  # losing trust faster lowers it
    assert idx.loc[("skill_members", "skills.training_quota"), "mu_star"] > 0
    # whole-number parameters are run as whole numbers
    samples = res.samples_frame()
    assert samples["skills.training_quota"].dtype == np.int64
    assert len(samples) == len(res.X) and {"seeds", *outcomes} <= set(samples.columns)
    # the same inputs give the same indices, with the samples' runs as batches of worlds (the default)
    # or each run as a model of its own
    again = sa.run_sensitivity(scen, factors, outcomes, "morris", samples=3, executor="sequential", batch=False)
    pd.testing.assert_frame_equal(res.indices, again.indices, check_exact=True)
    np.testing.assert_array_equal(res.Y, again.Y)


def test_sobol_cli_writes_indices_figure_and_manifest(scenario_file, tmp_path, capsys):
    out = tmp_path / "sens"
    code, stdout, err = kopsim(
        [
            "sensitivity",
            str(scenario_file),
            "--method",
            "sobol",
            "--samples",
            "4",
            "--params",
            "trust.loss_rate=0.1:0.5,trust.low_threshold=0.1:0.3",
            "--outcomes",
            "trust_peer_mean",
            "--summary",
            "last12",
            "--executor",
            "sequential",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    table = pd.read_csv(out / "indices.csv")
    assert list(table.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert table["parameter"].tolist() == ["trust.loss_rate", "trust.low_threshold"]
    row = table.set_index("parameter").loc["trust.low_threshold"]
    assert row["S1"] == pytest.approx(0.0, abs=1e-12) and row["ST"] == pytest.approx(0.0, abs=1e-12)
    assert (out / "sensitivity.png").stat().st_size > 1000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["evaluations"] == 4 * (2 + 2) and manifest["method"] == "sobol"
    assert len(pd.read_csv(out / "samples.csv")) == 16
    assert "trust_peer_mean" in stdout and "S1_conf" in stdout


def test_independent_seeds_differ_per_sample():
    common = sa.sample_seeds(1, 3, 2, "common")
    assert common[0] == common[1] == common[2] and len(common[0]) == 2
    indep = sa.sample_seeds(1, 3, 2, "independent")
    assert len({s for seeds in indep for s in seeds}) == 6


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--params", "trust.los_rate=0.1:0.5"], "trust.los_rate: unknown key; did you mean 'loss_rate'?"),
        (["--params", "trust.loss_rate=0.5:0.1"], "low 0.5 must be less than high 0.1"),
        (["--params", "trust.loss_rate=0.1:1.5"], "1.5 is outside the allowed range"),
        (["--params", "trust.loss_rate"], "expected GROUP.NAME=LOW:HIGH"),
        (["--params", "trust.loss_rate=a:0.4"], "low 'a' is not a number"),
        (["--params", "skills.training_selection=0:1"], "not a numeric parameter"),
        (["--params", "trust.loss_rate=0.1:0.5", "--outcomes", "trust_peer_mea"], "did you mean 'trust_peer_mean'"),
        (["--params", "trust.loss_rate=0.1:0.5", "--method", "sobol", "--samples", "10"], "power of 2"),
        (["--params", "population.farmer_share=0.5:0.95"], "farmer_share + umkm_share must be <= 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(scenario_file, capsys, args, expected):
    full = ["sensitivity", str(scenario_file), "--outcomes", "trust_peer_mean", "--executor", "sequential", *args]
    code, _, err = kopsim(full, capsys)
    assert code == 2
    assert err.startswith("kopsim: error: ") and err.count("\n") == 1, err
    assert expected in err


def test_params_from_a_toml_file(scenario_file, tmp_path):
    path = tmp_path / "ranges.toml"
    path.write_text('"trust.loss_rate" = [0.1, 0.4]\n[skills]\ntraining_quota = [2, 8]\n', encoding="utf-8")
    factors = sa.parse_factors(str(path), load(str(scenario_file)).params)
    assert [(f.key, f.low, f.high) for f in factors] == [
        ("trust.loss_rate", 0.1, 0.4),
        ("skills.training_quota", 2.0, 8.0),
    ]


def test_missing_salib_names_the_extra(scenario_file, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)
    code, _, err = kopsim(
        ["sensitivity", str(scenario_file), "--params", "trust.loss_rate=0.1:0.5", "--outcomes", "trust_peer_mean"],
        capsys,
    )
    assert code == 2 and "kopsim[sensitivity]" in err and err.count("\n") == 1


# ---- survey statistics as outcomes ------------------------------------------------------------
SURVEY_FACTORS = "participation.benefit_weight=1:12,trust.low_threshold=0.1:0.3"


def test_survey_outcomes_morris_moves_with_participation_not_with_a_metrics_threshold(scenario_file):
    scen = load(str(scenario_file))
    factors = sa.parse_factors(SURVEY_FACTORS, scen.params)
    outcomes = sa.parse_outcomes("survey.total.rat_attendance,survey.rs.organisation,members", scen.params, True)
    survey = sa.SurveySpec(respondents=12)
    res = sa.run_sensitivity(
        scen, factors, outcomes, "morris", samples=3, replications=2, executor="sequential", survey=survey
    )
    idx = res.indices.set_index(["outcome", "parameter"])
    # a steeper benefit -> participation link raises RAT attendance, and so its survey total
    assert idx.loc[("survey.total.rat_attendance", "participation.benefit_weight"), "mu_star"] > 1.0
    # trust.low_threshold only classifies trust for the metrics: exactly 0 under common random numbers
    for outcome in outcomes:
        assert idx.loc[(outcome, "trust.low_threshold"), "mu_star"] == 0.0
    # totals are on the scale of the respondents (12..36); the same run seed gives the same survey
    assert np.nanmin(res.Y[:, 0]) >= 12 and np.nanmax(res.Y[:, 0]) <= 36
    task = sa.Task(0, scen.params, (), (5,), 13, tuple(outcomes), "final", survey)
    np.testing.assert_array_equal(sa.run_values(task, 5), sa.run_values(task, 5))


def test_survey_outcome_undefined_in_every_replication_gets_nan_indices_and_a_note(scenario_file, monkeypatch):
    scen = load(str(scenario_file))
    factors = sa.parse_factors(SURVEY_FACTORS, scen.params)
    real = sa.survey_values

    def undefined_rs(model, spec, run_seed, outcomes):  # r_s of a constant score: NaN
        values = real(model, spec, run_seed, outcomes)
        values[[o.startswith("survey.rs.") for o in outcomes]] = np.nan
        return values

    monkeypatch.setattr(sa, "survey_values", undefined_rs)
    res = sa.run_sensitivity(
        scen,
        factors,
        ["survey.total.rat_attendance", "survey.rs.capital"],
        samples=2,
        executor="sequential",
        survey=sa.SurveySpec(12),
    )
    rs = res.indices[res.indices["outcome"] == "survey.rs.capital"]
    assert rs["mu_star"].isna().all()  # NaN, never counted as 0
    assert res.indices[res.indices["outcome"] == "survey.total.rat_attendance"]["mu_star"].notna().all()
    assert any(n.startswith("survey.rs.capital: undefined (NaN) in every replication") for n in res.notes)
    table = sa.screening(res.indices)
    assert table["outcomes"] == ["survey.total.rat_attendance"]  # screened on the defined outcomes only
    assert "trust.low_threshold" in table["inert"] and "participation.benefit_weight" in table["influential"]


def test_survey_shorthand_expands_to_totals_and_rs(scenario_file):
    params = load(str(scenario_file)).params
    names = sa.parse_outcomes("survey,members", params, survey=True)
    assert len(names) == 15 + 3 + 1 and names[-1] == "members"
    assert names[0] == "survey.total.rat_attendance" and "survey.rs.capital" in names
    assert sa.parse_outcomes("survey.*", params, survey=True) == names[:-1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--outcomes", "survey.total.rat_atendance", "--survey", "10"], "did you mean 'survey.total.rat_attendance'"),
        (["--outcomes", "survey.total.nothing_like_it", "--survey", "10"], "allowed: survey.total.rat_attendance, "),
        (["--outcomes", "survey"], "is a survey statistic; add --survey N"),
        (["--outcomes", "surveyy", "--survey", "10"], "--outcomes: 'surveyy' is not a metric"),
        (["--params-from-targets", "mandiri_jayaa"], "did you mean 'mandiri_jaya'?"),
    ],
)
def test_bad_survey_input_is_one_line_and_exit_2(scenario_file, capsys, args, expected):
    full = ["sensitivity", str(scenario_file), "--executor", "sequential"]
    if "--params-from-targets" not in args:
        full += ["--params", "trust.loss_rate=0.1:0.5"]
    if "--outcomes" not in args:
        full += ["--outcomes", "members"]
    code, _, err = kopsim([*full, *args], capsys)
    assert code == 2
    assert err.startswith("kopsim: error: ") and err.count("\n") == 1, err
    assert expected in err


def test_params_from_targets_are_the_priors():
    scen = load("mandiri_jaya")
    factors, targets = sa.factors_from_targets("mandiri_jaya", scen.params)
    assert [f.key for f in factors] == [p.key for p in targets.priors] and len(factors) == 20
    quota = next(f for f in factors if f.key == "skills.training_quota")
    assert (quota.low, quota.high, quota.integer, quota.log) == (10, 110, True, False)
    assert targets.respondents == 30


def test_log_factor_is_sampled_on_the_log_scale():
    f = sa.Factor("finance.loan_return", 0.01, 1.0, False, log=True)
    assert f.bounds == pytest.approx([np.log(0.01), 0.0])
    assert f.value(np.log(0.1)) == pytest.approx(0.1)


def test_survey_cli_is_reproducible(scenario_file, tmp_path, capsys):
    tables = []
    for name in ("a", "b"):
        out = tmp_path / name
        code, _, err = kopsim(
            [
                "sensitivity",
                str(scenario_file),
                "--params",
                SURVEY_FACTORS,
                "--outcomes",
                "survey.total.rat_attendance,survey.total.giving_suggestions,survey.rs.organisation",
                "--survey",
                "12",
                "--samples",
                "2",
                "--executor",
                "sequential",
                "--out",
                str(out),
            ],
            capsys,
        )
        assert code == 0, err
        tables.append((out / "indices.csv").read_bytes())
    assert tables[0] == tables[1]
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["survey"]["respondents"] == 12 and manifest["survey"]["cooperative"] == 0
    screening = (tmp_path / "a" / "screening.toml").read_text()
    assert "influential = [" in screening and "inert = [" in screening
