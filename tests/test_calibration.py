"""``kopsim calibrate``: targets files, distances, ABC-SMC recovering known parameters, outputs, bad input."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyabc")

from kopsim.experiments import calibration as cal
from kopsim.instruments.member_survey import virtual_survey
from kopsim.instruments.published import load_published
from kopsim.instruments.survey_analysis import analyse, category_bounds
from kopsim.instruments.survey_csv import write_survey_csv
from kopsim.model import CooperativeModel
from kopsim.scenario import load
from tests.helpers import run_kopsim

TINY = """
[scenario]
name = "tiny"
description = "a tiny cooperative for calibration tests"
steps = 36
seed = 5

[parameters.population]
n_villages = 1
n_cooperatives = 1
households_per_village = 60
members_per_cooperative = 50
[parameters.skills]
training_every_months = 12  # the yearly Diklat whose quota is fitted / screened
"""

TARGETS = """
[targets]
respondents = 50

[targets.items]
willing_to_serve_board = 80
training_satisfaction = 90

[targets.spearman]
organisation = 0.3

[targets.categories]
rat_attendance = "high"

[targets.shares.training_satisfaction]
1 = 0.3

[priors]
"governance.honorarium_cost" = { low = 0, high = 5 }
"skills.training_quota" = { low = 2, high = 50 }
"""


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture
def targets_file(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS, encoding="utf-8")
    return path


def kopsim(args, capsys):
    return run_kopsim(args, capsys)


# ---- distances ----------------------------------------------------------------------------------
def test_fisher_z_respects_sample_size():
    assert cal.spearman_z(0.529, 0.529, 30) == 0.0
    gap30 = abs(cal.spearman_z(0.2, 0.5, 30))
    gap100 = abs(cal.spearman_z(0.2, 0.5, 100))
    assert 0 < gap30 < gap100
    assert gap100 / gap30 == pytest.approx(math.sqrt(97 / 27))
    assert math.isnan(cal.spearman_z(float("nan"), 0.0, 30))  # an undefined r_s is missing, not 0
    assert math.isfinite(cal.spearman_z(1.0, -1.0, 30))


def test_total_category_and_share_distances():
    assert cal.total_z(84, 84, 30) == 0.0
    assert abs(cal.total_z(80, 84, 30)) < abs(cal.total_z(80 * 4, 84 * 4, 120))  # same mean answers, larger n
    assert math.isfinite(cal.total_z(85, 90, 30))  # an all-3 item keeps a finite weight
    # categories: 0 inside, growing with the distance outside; bounds as in kopsim.instruments.survey_analysis
    assert cal.category_z(60, "medium", 30) == 0.0
    assert cal.category_z(72, "high", 30) == 0.0 and cal.category_z(72, "medium", 30) > 0
    assert 0 < cal.category_z(49, "medium", 30) < cal.category_z(40, "medium", 30)
    for total in range(30, 91):
        cat = category_bounds(30).category(total)
        assert cal.category_z(total, cat, 30) == 0.0
    # shares: small where simulated and observed agree, larger with more respondents for the same gap
    same = cal.share_deviance({1: 0.2, 2: 0.3, 3: 0.5}, {1: 0.2, 2: 0.3, 3: 0.5}, 30, 30)
    off30 = cal.share_deviance({1: 0.5, 2: 0.3, 3: 0.2}, {1: 0.2, 2: 0.3, 3: 0.5}, 30, 30)
    off90 = cal.share_deviance({1: 0.5, 2: 0.3, 3: 0.2}, {1: 0.2, 2: 0.3, 3: 0.5}, 90, 90)
    assert same < 0.2 < off30 < off90
    assert cal.share_cells({1: 0.2}) == [((1,), 0.2), ((2, 3), 0.8)]


def test_the_shipped_mandiri_jaya_targets_state_the_published_figures():
    targets = cal.load_targets("mandiri_jaya", load("mandiri_jaya").params)
    pub = load_published("mandiri_jaya")
    assert targets.respondents == pub.respondents == 30
    totals = {t.key: t.observed for t in targets.targets if t.kind == "total"}
    assert totals == {k: float(v) for k, v in pub.totals.items()}
    rs = {t.key: t.observed for t in targets.targets if t.kind == "spearman"}
    assert rs == {d: v[0] for d, v in pub.spearman.items()}
    # the answer noise is fitted (and counted); the cut points are fixed without the survey
    assert [p.key for p in targets.priors if p.response] == ["survey.noise_sd"]
    assert targets.response == {"cut_low": pytest.approx(1 / 3), "cut_high": pytest.approx(2 / 3)}
    # the accounts, in Rp M: 2015 assets at the end of 2015 (month 83); 2017 is held out
    fin = {t.label: t.observed for t in targets.targets if t.key.startswith("coop_")}
    assert fin["series.coop_assets.m83"] == pytest.approx(142.19)
    assert fin["series.coop_operating_cost_ytd.m107"] == pytest.approx(16.2855)
    assert "series.coop_assets.m107" in targets.held_out and "series.coop_assets.m95" not in targets.held_out
    assert {t.kind for t in targets.targets if t.label in targets.held_out} == {"series", "share", "ptp", "ptp_zone"}


# ---- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("willing_to_serve_board = 80", "willing_to_serve_bord = 80"),
            "targets.items.willing_to_serve_bord: unknown statistic; did you mean 'willing_to_serve_board'?",
        ),
        (
            ("[targets.spearman]", "[targets.spearmann]"),
            "targets.spearmann: unknown statistic; did you mean 'spearman'?",
        ),
        (
            ("organisation = 0.3", "organization = 0.3"),
            "targets.spearman.organization: unknown statistic; did you mean",
        ),
        (
            ("{ low = 0, high = 5 }", "{ low = 5, high = 0 }"),
            "priors.governance.honorarium_cost: low (5) > high (0); allowed: low < high",
        ),
        (
            ('"governance.honorarium_cost"', '"governance.honorarium_costs"'),
            "priors.governance.honorarium_costs: unknown parameter; did you mean 'honorarium_cost'?",
        ),
        (
            ('"governance.honorarium_cost"', '"governence.honorarium_cost"'),
            "priors.governence.honorarium_cost: unknown parameter group; did you mean 'governance'?",
        ),
        (('rat_attendance = "high"', 'rat_attendance = "very high"'), "expected low, medium or high"),
        (("willing_to_serve_board = 80", "willing_to_serve_board = 200"), "expected an item total in 50..150"),
        (("1 = 0.3", "4 = 0.3"), "targets.shares.training_satisfaction.4: unknown answer"),
        (("respondents = 50", "respondents = 0"), "targets.respondents: expected the number of respondents"),
        (
            (
                '"skills.training_quota" = { low = 2, high = 50 }',
                '"skills.training_selection" = { low = 2, high = 50 }',
            ),
            "not a numeric parameter",
        ),
    ],
)
def test_bad_targets_are_one_line_and_exit_2(scenario_file, targets_file, tmp_path, capsys, edit, expected):
    old, new = edit
    text = TARGETS.replace(old, new)
    assert text != TARGETS
    targets_file.write_text(text, encoding="utf-8")
    code, _out, err = kopsim(["calibrate", str(scenario_file), str(targets_file), "--out", str(tmp_path / "o")], capsys)
    assert code == 2, err
    assert err.startswith("kopsim: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert expected in err
    assert not (tmp_path / "o").exists()


def test_other_bad_input(scenario_file, targets_file, tmp_path, capsys, monkeypatch):
    code, _, err = kopsim(["calibrate", str(scenario_file), str(tmp_path / "missing.toml")], capsys)
    assert code == 2 and "file not found" in err and err.count("\n") == 1
    code, _, err = kopsim(["calibrate", str(scenario_file), "mandiri_jya"], capsys)
    assert code == 2 and "did you mean 'mandiri_jaya'?" in err
    code, _, err = kopsim(
        [
            "calibrate",
            str(scenario_file),
            str(targets_file),
            "--budget",
            "10",
            "--population",
            "20",
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert code == 2 and "--budget: 10 is too small" in err and err.count("\n") == 1
    monkeypatch.setitem(sys.modules, "pyabc", None)  # as if pyabc were not installed
    code, _, err = kopsim(["calibrate", str(scenario_file), str(targets_file)], capsys)
    assert code == 2 and "kopsim[calibration]" in err and err.count("\n") == 1


# ---- the fit ------------------------------------------------------------------------------------
def test_synthetic_truth_is_recovered_within_the_90_percent_interval(scenario_file):
    """Simulate a survey from known parameters, calibrate, and find them inside the posterior's 90%
    interval, which is narrower than the prior."""
    scen = load(str(scenario_file))
    truth = {"governance.honorarium_cost": 2.5, "skills.training_quota": 30}
    model = CooperativeModel(scen.params.replace(truth), seed=101)
    model.run(scen.steps)
    observed = analyse(virtual_survey(model, 50, 202))
    data = {
        "targets": {
            "respondents": 50,
            "items": {k: int(v) for k, v in observed.items["total"].items()},
            "shares": {
                k: {str(a): float(observed.items.loc[k, f"share_{a}"]) for a in (1, 2)}
                for k in ("willing_to_serve_board", "training_satisfaction")
            },
        },
        "priors": {
            "governance.honorarium_cost": {"low": 0, "high": 5},
            "skills.training_quota": {"low": 2, "high": 50},
        },
    }
    targets = cal.targets_from_dict(data, "synthetic", scen.params)
    result = cal.run_calibration(
        scen,
        targets,
        budget=700,
        population=60,
        generations=6,
        seed=7,
        ppc_draws=30,
        executor="sequential",
        point="median",  # the point is not checked here; the best point's candidate runs take a minute
    )
    summary = result.summary.set_index("parameter")
    for key, value in truth.items():
        row = summary.loc[key]
        assert row["q05"] <= value <= row["q95"], (key, value, row.to_dict())
        # narrower than the prior; the quota is seen only through the few trainees' answers (its
        # interval is 0.86 of the prior with this seed and budget, just above 0.85 before the kernel drew in batches)
        assert row["interval_share_of_prior"] < 0.9, (key, row.to_dict())
    assert result.simulations_used <= 700
    assert len(result.populations) >= 2
    assert np.all(np.diff(result.populations["epsilon"]) < 0)  # the threshold shrinks
    assert result.posterior["weight"].sum() == pytest.approx(1.0)
    # the posterior-predictive table covers every target; the willingness item is reproduced
    ppc = result.ppc.set_index("statistic")
    for target in targets.targets:  # every item total and every share stated has its rows
        assert any(str(stat).startswith(f"{target.kind}.{target.key}") for stat in ppc.index), target
    assert ppc.loc["total.willing_to_serve_board", "inside"]


def test_cli_writes_posterior_ppc_and_a_runnable_calibrated_scenario(scenario_file, targets_file, tmp_path, capsys):
    out = tmp_path / "fit"
    code, stdout, err = kopsim(
        [
            "calibrate",
            str(scenario_file),
            str(targets_file),
            "--budget",
            "150",
            "--population",
            "30",
            "--ppc-draws",
            "12",
            "--executor",
            "sequential",
            "--seed",
            "3",
            "--hold-out",
            "rs.organisation",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    assert "rs.organisation *" in err or "rs.organisation *" in stdout  # marked as held out in the summary
    for name in (
        "posterior.csv",
        "posterior_summary.csv",
        "ppc.csv",
        "ppc_draws.csv",
        "populations.csv",
        "posterior.png",
        "ppc.png",
        "calibrated.toml",
        "manifest.json",
        "abc.db",
    ):
        assert (out / name).stat().st_size > 0, name
    posterior = pd.read_csv(out / "posterior.csv")
    assert {"governance.honorarium_cost", "skills.training_quota", "weight", "distance"} <= set(posterior.columns)
    assert len(posterior) == 30 and posterior["weight"].sum() == pytest.approx(1.0)
    ppc = pd.read_csv(out / "ppc.csv")
    assert list(ppc["statistic"]) == [
        "total.willing_to_serve_board",
        "total.training_satisfaction",
        "category.rat_attendance",
        "rs.organisation",
        "share.training_satisfaction.1",
        "share.training_satisfaction.2+3",
    ]
    assert {"observed", "median", "q05", "q95", "inside"} <= set(ppc.columns)
    assert ppc.set_index("statistic")["held_out"].to_dict() == {s: s == "rs.organisation" for s in ppc["statistic"]}
    assert (ppc["q05"] <= ppc["median"]).all() and (ppc["median"] <= ppc["q95"]).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"].startswith("kopsim calibrate ") and "--seed 3" in manifest["command"]
    assert manifest["simulations_used"] <= 150 and manifest["root_seed"] == 3
    assert manifest["wall_time_seconds"] > 0 and manifest["kopsim_version"]
    assert manifest["held_out"] == ["rs.organisation"] and "--hold-out rs.organisation" in manifest["command"]
    text = (out / "calibrated.toml").read_text()
    assert f'extends = "{scenario_file.resolve()}"' in text and "[parameters.governance]" in text
    scen = load(str(out / "calibrated.toml"))
    summary = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")
    point = summary.loc["governance.honorarium_cost", "point"]  # the posterior mode (--point best, the default)
    assert scen.params.governance.honorarium_cost == pytest.approx(point, rel=1e-5)
    assert summary.loc["governance.honorarium_cost", "q05"] <= point <= summary.loc["governance.honorarium_cost", "q95"]
    assert scen.params.skills.training_quota == round(summary.loc["skills.training_quota", "point"])
    assert {"point_median", "point_q05", "point_q95", "point_inside"} <= set(ppc.columns)
    assert scen.params.population.households_per_village == 60  # the rest comes from the extended scenario
    code, stdout, err = kopsim(
        ["run", str(out / "calibrated.toml"), "--steps", "2", "--out", str(tmp_path / "run"), "--quiet"], capsys
    )
    assert code == 0, err
    assert (tmp_path / "run" / "metrics.csv").exists()
    assert "targets inside the 90% posterior-predictive interval" not in stdout  # --quiet run


def test_same_seed_same_fit_on_every_executor(scenario_file, targets_file, tmp_path):
    scen = load(str(scenario_file))
    targets = cal.load_targets(str(targets_file), scen.params)
    # each executor, and particles run one by one or as batches of worlds: the same fit
    runs = [
        cal.run_calibration(
            scen,
            targets,
            budget=100,
            population=20,
            generations=2,
            seed=11,
            ppc_draws=5,
            executor=kind,
            workers=2,
            particles_per_batch=batch,
            point="median",  # the best point's 4,200 runs would add a minute per fit, and it has its own tests
        )
        for kind, batch in (("sequential", 1), ("process", 1), ("sequential", 16), ("process", 8))
    ]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0].posterior, other.posterior)
        pd.testing.assert_frame_equal(runs[0].ppc, other.ppc)
        assert runs[0].simulations_used == other.simulations_used


def test_from_survey_writes_a_targets_file_that_loads(scenario_file, tmp_path, capsys):
    scen = load(str(scenario_file))
    model = CooperativeModel(scen.params, seed=1)
    model.run(12)
    answers = tmp_path / "answers.csv"
    write_survey_csv(virtual_survey(model, 25, 1), answers)
    dest = tmp_path / "my_targets.toml"
    code, _stdout, err = kopsim(["calibrate", str(scenario_file), str(dest), "--from-survey", str(answers)], capsys)
    assert code == 0, err
    targets = cal.load_targets(str(dest), scen.params)
    assert targets.respondents == 25
    assert sum(t.kind == "total" for t in targets.targets) == 15
    code, _, err = kopsim(["calibrate", str(scenario_file), str(dest), "--from-survey", str(answers)], capsys)
    assert code == 2 and "already exists" in err
    dest2 = tmp_path / "published.toml"
    code, _, err = kopsim(["calibrate", "mandiri_jaya", str(dest2), "--from-survey", "mandiri_jaya"], capsys)
    assert code == 0, err
    assert cal.load_targets(str(dest2)).respondents == 30


def test_batch_statistics_equal_those_of_single_surveys():
    """--point best evaluates candidates in vectorised batches: each replicate's statistics must be
    what survey_statistics gives for the same replicate's answers."""
    from kopsim import batch

    model = CooperativeModel(load("mandiri_jaya").params.replace({"metrics.network_every": 0}), seed=4, replicates=5)
    model.run_steps(24)
    seeds = batch.survey_seeds(8, 5)
    answers, valid = batch.survey_replicates(model, 30, seeds)
    stats_batch = cal.batch_survey_statistics(batch.batch_statistics(answers, valid, seeds), 30)
    for r in range(5):
        one = cal.survey_statistics(analyse(virtual_survey(model, 30, int(seeds[r]), cooperative=r)), 30)
        assert stats_batch[r].keys() == one.keys()
        for key, value in one.items():
            assert stats_batch[r][key] == pytest.approx(value, abs=1e-12), key


def test_an_earlier_fits_database_is_never_overwritten(scenario_file, targets_file, tmp_path):
    scen = load(str(scenario_file))
    targets = cal.load_targets(str(targets_file), scen.params)
    out = tmp_path / "fit"
    out.mkdir()
    (out / "abc.db").write_bytes(b"an earlier fit")
    with pytest.raises(cal.CalibrationError, match=r"abc\.db: the database of an earlier fit"):
        cal.run_calibration(
            scen, targets, budget=100, population=5, generations=1, seed=1, ppc_draws=2, out=out, executor="sequential"
        )
    assert (out / "abc.db").read_bytes() == b"an earlier fit"


def test_a_fit_resumes_from_its_database(scenario_file, targets_file, tmp_path):
    scen = load(str(scenario_file))
    targets = cal.load_targets(str(targets_file), scen.params)
    out = tmp_path / "fit"
    kwargs = {
        "budget": 120,
        "population": 6,
        "seed": 3,
        "ppc_draws": 2,
        "out": out,
        "executor": "sequential",
        "point": "median",
    }
    first = cal.run_calibration(scen, targets, generations=1, **kwargs)
    assert list(first.populations["t"]) == [0]
    more = cal.run_calibration(scen, targets, generations=2, resume=True, **kwargs)
    assert list(more.populations["t"]) == [0, 1]
    assert more.populations["epsilon"].iloc[1] <= more.populations["epsilon"].iloc[0]
    assert more.simulations_used > first.simulations_used
    assert {"acceptance_rate", "wall_seconds", "ess"} <= set(more.populations.columns)
    with pytest.raises(cal.CalibrationError, match="no fit to continue"):
        cal.run_calibration(scen, targets, generations=1, resume=True, **{**kwargs, "out": tmp_path / "none"})


def test_the_kernel_draws_inside_the_prior_as_pyabc_would_by_redrawing():
    """The batched in-box proposal has the distribution of pyabc's loop (draw, redraw while outside
    the prior): the kernel mixture restricted to the prior's box."""
    pyabc = pytest.importorskip("pyabc")
    from scipy import stats

    from kopsim.experiments.calibration.fit import transition

    tr = transition(pyabc, "beaumont", [cal.Prior("a.x", 0.0, 1.0), cal.Prior("a.y", 0.0, 1.0)])
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a__x": rng.uniform(0, 1, 50), "a__y": rng.uniform(0, 1, 50)})
    tr.fit(X, np.full(50, 1 / 50))
    np.random.seed(11)
    fast = np.array([[tr.rvs_single()[c] for c in X.columns] for _ in range(3000)])
    loop: list[np.ndarray] = []
    while len(loop) < 3000:
        v = pyabc.MultivariateNormalTransition.rvs_single(tr)
        v = np.array([v[c] for c in X.columns])
        if ((v >= 0) & (v <= 1)).all():
            loop.append(v)
    assert ((fast >= 0) & (fast <= 1)).all()
    for k in range(2):
        assert stats.ks_2samp(fast[:, k], np.array(loop)[:, k]).pvalue > 0.001


def test_the_kernel_of_a_nearly_dead_model_gives_finite_weights():
    """A model comparison where one model keeps a few particles equal in a parameter (a whole-number
    one, or copies): its kernel must still give each of its proposals a density > 0, else pyabc's
    weight prior / proposal is infinite and the generation cannot be normalised."""
    pyabc = pytest.importorskip("pyabc")
    from kopsim.experiments.calibration.fit import transition

    tr = transition(pyabc, "beaumont", [cal.Prior("a.x", 0.0, 1.0), cal.Prior("a.q", 10, 110, integer=True)])
    X = pd.DataFrame({"a__x": [0.2, 0.3, 0.25], "a__q": [54.0, 54.0, 54.0]})
    tr.fit(X, np.full(3, 1 / 3))
    np.random.seed(1)
    for _ in range(20):
        v = tr.rvs_single()
        assert tr.pdf(pd.Series(dict(v))) > 0


def test_a_generation_pyabc_cannot_weight_ends_the_fit_at_the_last_complete_one(capsys):
    """pyabc's "population total weight nan is not normalized" (a proposal density that underflowed
    to 0, seen when a model of a comparison was dying) is not a crash: the completed generations in
    the database are the result, with a note."""
    from kopsim.experiments.calibration.fit import run_generations

    class History:
        max_t = 2

    class ABC:
        history = History()

        def new(self, url, observed):
            pass

        def run(self, **kwargs):
            raise AssertionError("The population total weight nan is not normalized.")

    targets = cal.targets_from_dict(
        {
            "targets": {"respondents": 30, "items": {"rat_attendance": 80}},
            "priors": {"trust.gain_rate": {"low": 0.01, "high": 0.1}},
        }
    )
    history = run_generations(ABC(), "sqlite://", targets, False, 5, True, 0.0, 1000)
    assert history.max_t == 2
    assert "generation 3 could not be weighted" in capsys.readouterr().err

    class Broken(ABC):
        def run(self, **kwargs):
            raise AssertionError("something else")

    with pytest.raises(AssertionError, match="something else"):
        run_generations(Broken(), "sqlite://", targets, False, 5, True, 0.0, 1000)


@pytest.mark.parametrize(("kernel", "c"), [("beaumont", 2.0), ("wide", 3.0)])
def test_the_fixed_factor_kernels_scale_the_weighted_covariance(kernel, c):
    """beaumont and wide: Σ_kernel = c·Σ (+ the ridge and the floor), Σ the particles' weighted covariance."""
    pyabc = pytest.importorskip("pyabc")
    from kopsim.experiments.calibration.fit import KERNEL_FLOOR, KERNEL_RIDGE, transition

    tr = transition(pyabc, kernel, [cal.Prior("a.x", 0.0, 1.0), cal.Prior("a.y", 0.0, 1.0)])
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a__x": rng.uniform(0, 1, 80), "a__y": rng.uniform(0, 1, 80)})
    w = rng.uniform(0.5, 1.5, 80)
    w /= w.sum()
    tr.fit(X, w)
    cov = c * np.cov(X.to_numpy().T, aweights=w, bias=True)
    want = cov + KERNEL_RIDGE * np.diag(np.diag(cov)) + np.diag(np.full(2, KERNEL_FLOOR**2))
    np.testing.assert_allclose(tr.cov, want, rtol=0.05)


def _coin_particle(rate: float):
    """A stand-in for pyabc's simulate_one: a particle accepted with probability ``rate`` (numpy's
    global generator, which the sampler seeds per job)."""
    pyabc = pytest.importorskip("pyabc")

    def simulate_one():
        u = float(np.random.random())
        return pyabc.Particle(
            m=0, parameter=pyabc.Parameter({"x": u}), weight=1.0, sum_stat={}, distance=u, accepted=u < rate
        )

    return simulate_one


def test_a_generation_the_budget_left_cannot_pay_for_is_not_started():
    """The sampler does not start a generation when fewer simulations are left than the previous one
    needed (it would be abandoned after spending them); with one more it starts."""
    from concurrent.futures import ThreadPoolExecutor

    from kopsim.experiments.calibration.sampler import make_sampler

    with ThreadPoolExecutor(1) as ex:
        probe = make_sampler(ex, 1, 5, 10_000)
        probe.sample_until_n_accepted(10, _coin_particle(0.4), 0)
        needed = probe.nr_evaluations_
        assert needed > 10
        for budget, started in ((2 * needed - 1, False), (2 * needed, True)):
            lines: list[str] = []
            sampler = make_sampler(ex, 1, 5, budget, lines.append)
            assert sampler.sample_until_n_accepted(10, _coin_particle(0.4), 0).ok
            second = sampler.sample_until_n_accepted(10, _coin_particle(0.4), 1)
            assert sampler.generations[-1]["started"] is started
            if not started:
                assert not second.ok and sampler.nr_evaluations_ == 0 and sampler.used == needed
                assert "generation 1: not started" in lines[-1]
            else:
                assert sampler.used > needed
