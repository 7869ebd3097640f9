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
    # the same inputs give the same indices
    again = sa.run_sensitivity(scen, factors, outcomes, "morris", samples=3, executor="sequential")
    pd.testing.assert_frame_equal(res.indices, again.indices)


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
