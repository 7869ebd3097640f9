"""Model choice (issue #11 item 5): ``kopsim calibrate SCENARIO TARGETS --versus NULL_SCENARIO``, a Bayes
factor of the model over a null model from one ABC-SMC run with both (Toni et al. 2009)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

pytest.importorskip("pyabc")

from kopsim.experiments import calibration as cal
from kopsim.experiments.calibration.model_choice import bayes_factor, bayes_factor_text, fixed_by_null
from kopsim.instruments.member_survey import virtual_survey
from kopsim.instruments.survey_analysis import analyse
from kopsim.model import CooperativeModel
from kopsim.scenario import load
from tests.helpers import run_kopsim

# A small cooperative whose participation follows perceived benefit steeply (intercepts near the
# calibrated Mandiri Jaya ones): 12 months, about 0.04 s a run.
MODEL = """
[scenario]
name = "mc_tiny"
steps = 12
seed = 5

[parameters.population]
n_villages = 1
n_cooperatives = 1
households_per_village = 60
members_per_cooperative = 50

[parameters.participation]
intercept_organisation = -11.3
intercept_business = -12.7
intercept_capital = -5.7
benefit_weight = 20.0
"""

# The null model: the benefit -> participation link cut (as docs/calibration-null/).
NULL = """
extends = "mc_tiny.toml"

[scenario]
name = "mc_tiny_null"

[parameters.participation]
benefit_weight = 0.0
"""

PRIORS = {
    "participation.benefit_weight": {"low": 5, "high": 30},
    "governance.honorarium_cost": {"low": 0, "high": 5},
}
ITEMS = ("rat_attendance", "giving_suggestions", "borrowing_for_business")


@pytest.fixture
def files(tmp_path):
    """The model and null scenario files, and a targets file made by the model at known parameters
    (benefit weight 20, honorarium cost 2.5): three participation totals and the organisation r_s
    of a survey of 40 members."""
    model, null = tmp_path / "mc_tiny.toml", tmp_path / "mc_null.toml"
    model.write_text(MODEL, encoding="utf-8")
    null.write_text(NULL, encoding="utf-8")
    scen = load(str(model))
    run = CooperativeModel(scen.params.replace({"governance.honorarium_cost": 2.5}), seed=101)
    run.run(scen.steps)
    observed = analyse(virtual_survey(run, 40, 202))
    lines = ["[targets]", "respondents = 40", 'source = "synthetic: mc_tiny at benefit weight 20"', "[targets.items]"]
    lines += [f"{k} = {int(observed.items.loc[k, 'total'])}" for k in ITEMS]
    lines += ["[targets.spearman]", f"organisation = {float(observed.spearman.loc['organisation', 'rs']):.3f}"]
    lines += ["[priors]"] + [f'"{k}" = {{ low = {v["low"]}, high = {v["high"]} }}' for k, v in PRIORS.items()]
    targets = tmp_path / "targets.toml"
    targets.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return model, null, targets


def test_the_bayes_factor_of_a_dead_model_is_a_bound_from_the_population_size():
    assert bayes_factor(0.8, 0.2, 30) == (pytest.approx(4.0), "=")
    assert bayes_factor(1.0, 0.0, 30) == (29.0, ">")  # the null died out: BF > (P - 1)/1
    assert bayes_factor(0.0, 1.0, 30) == (pytest.approx(1 / 29), "<")
    text = bayes_factor_text(1.0, 0.0, 200)
    assert text.startswith("> 199 ") and "died out" in text and "inf" not in text
    assert bayes_factor_text(0.0, 1.0, 200).startswith("< 1/199 ")
    assert bayes_factor_text(0.6, 0.4, 200) == "1.5"


def test_the_null_fixes_the_parameters_it_sets_to_other_values(files):
    model, null, targets = files
    scen, nul = load(str(model)), load(str(null))
    t = cal.load_targets(str(targets), scen.params)
    assert [p.key for p in fixed_by_null(scen, nul, t.priors)] == ["participation.benefit_weight"]
    assert fixed_by_null(scen, scen, t.priors) == ()


def test_a_null_model_that_cannot_reproduce_the_targets_loses(files, tmp_path, capsys):
    """Targets made by the model at known parameters; the null (no benefit -> participation) cannot
    produce its participation, so the Bayes factor favours the model."""
    model, null, targets = files
    out = tmp_path / "cmp"
    args = ["calibrate", str(model), str(targets), "--versus", str(null), "--budget", "300", "--population", "30"]
    args += ["--executor", "sequential", "--seed", "1", "--out", str(out)]
    code, stdout, err = run_kopsim(args, capsys)
    assert code == 0, err
    assert "p(mc_tiny) = " in err and "BF = " in err  # printed per generation while it runs
    assert "Bayes factor, model 'mc_tiny' over null 'mc_tiny_null'" in stdout
    for name in ("model_probabilities.csv", "posterior_model.csv", "posterior_null.csv", "manifest.json", "abc.db"):
        assert (out / name).exists(), name
    table = pd.read_csv(out / "model_probabilities.csv")
    assert {"t", "epsilon", "p_model", "p_null", "particles_model", "particles_null", "bayes_factor"} <= set(table)
    assert (table["p_model"] + table["p_null"]).round(9).eq(1).all()
    assert (table["particles_model"] + table["particles_null"]).eq(30).all()
    assert len(table) >= 2 and table["epsilon"].is_monotonic_decreasing
    manifest = json.loads((out / "manifest.json").read_text())
    choice = manifest["model_choice"]
    assert choice["bayes_factor"] > 1 and choice["bayes_factor_relation"] in ("=", ">")
    assert math.isfinite(choice["bayes_factor"])  # never infinity: a bound when the null died out
    assert choice["null"]["fixed"] == {"participation.benefit_weight": 0.0}
    assert choice["null"]["priors"] == ["governance.honorarium_cost"]
    assert "--versus" in manifest["command"] and manifest["simulations_used"] <= 300
    last = table.iloc[-1]
    assert choice["p_model"] == pytest.approx(last["p_model"])
    if last["p_null"] == 0:
        assert "died out" in stdout and "> 29" in stdout
    posterior = pd.read_csv(out / "posterior_model.csv")
    assert len(posterior) == last["particles_model"] and posterior["weight"].sum() == pytest.approx(1.0)


def test_a_comparison_resumes_as_if_uninterrupted(files, tmp_path):
    model, null, targets = files
    scen, nul = load(str(model)), load(str(null))
    t = cal.load_targets(str(targets), scen.params)
    kwargs = {"budget": 200, "population": 12, "seed": 4, "executor": "sequential"}
    whole = cal.run_model_choice(scen, nul, t, generations=2, out=tmp_path / "a", **kwargs)
    cal.run_model_choice(scen, nul, t, generations=1, out=tmp_path / "b", **kwargs)
    resumed = cal.run_model_choice(scen, nul, t, generations=2, out=tmp_path / "b", resume=True, **kwargs)
    columns = ["t", "epsilon", "p_model", "p_null", "particles_model", "particles_null"]
    pd.testing.assert_frame_equal(whole.probabilities[columns], resumed.probabilities[columns])
    with pytest.raises(cal.CalibrationError, match=r"holds a model comparison \(--versus\); resume it with"):
        cal.run_calibration(scen, t, generations=3, resume=True, out=tmp_path / "b", ppc_draws=2, **kwargs)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--versus", "no_such_null.toml"], "--versus: no_such_null.toml: file not found"),
        (["--versus", "{null}", "--point", "median"], "--versus: --point is not used by a model comparison"),
        (["--versus", "{null}", "--ppc-draws", "10"], "--versus: --ppc-draws is not used by a model comparison"),
        (["--versus", "{null}", "--from-survey", "mandiri_jaya"], "--versus: --from-survey is not used"),
        (["--versus", "{null}", "--budget", "50", "--population", "30"], "--budget: 50 is too small"),
    ],
)
def test_bad_comparison_input_is_one_line_and_exit_2(files, tmp_path, capsys, extra, expected):
    model, null, targets = files
    args = ["calibrate", str(model), str(targets), *(a.replace("{null}", str(null)) for a in extra)]
    code, _stdout, err = run_kopsim([*args, "--out", str(tmp_path / "o")], capsys)
    assert code == 2, err
    assert err.startswith("kopsim: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert expected in err, err
    if "is not used" in expected:
        assert "allowed with --versus: --budget" in err
    assert not (tmp_path / "o").exists()
