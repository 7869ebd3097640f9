"""Targets of every kind (issue #11): missing statistics, time series, PTP scores and zones, and
trust shares among a group; parsing, one-line errors naming the key, distances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kopsim.experiments import calibration as cal
from kopsim.experiments.calibration.distance import rescaled_sum
from kopsim.experiments.calibration.predictive import quantiles

PRIORS = {"governance.honorarium_cost": {"low": 0, "high": 5}}


def survey_targets(**extra):
    head = {"respondents": 30, "spearman": {"organisation": 0.5, "business": 0.4}, "items": {"rat_attendance": 80}}
    return cal.targets_from_dict({"targets": {**head, **extra}, "priors": PRIORS}, "t.toml")


def stats(rs_org: float, rs_bus: float, total: float = 80.0) -> dict[str, float]:
    return {"respondents": 30.0, "rs.organisation": rs_org, "rs.business": rs_bus, "total.rat_attendance": total}


# ---- 1. undefined statistics are missing, not 0 --------------------------------------------------
def test_an_undefined_spearman_term_is_dropped_and_the_distance_rescaled():
    targets = survey_targets()
    d = cal.SurveyDistance(targets.targets)
    full = stats(0.3, 0.1, 75.0)
    terms = d.terms(full)
    assert d(full) == sum(terms.values())  # all defined: the plain sum, bit for bit
    missing = stats(math.nan, 0.1, 75.0)
    assert d.missing(missing) == ["rs.organisation"]
    defined = terms["rs.business"] + terms["total.rat_attendance"]
    assert d(missing) == pytest.approx(defined * 3 / 2)
    # counting the missing r_s as 0 would give a different (and arbitrary) distance
    as_zero = d(stats(0.0, 0.1, 75.0))
    assert as_zero != pytest.approx(d(missing))
    assert d(stats(math.nan, math.nan, 80.0)) == pytest.approx(0.0)  # only the total, which matches
    assert math.isinf(rescaled_sum([math.nan, math.nan]))
    assert rescaled_sum([1.0, 2.0]) == 3.0


def test_the_ppc_reports_how_often_a_statistic_was_missing():
    q05, med, q95, missing = quantiles(np.array([0.1, np.nan, 0.3, np.nan]))
    assert missing == 0.5 and q05 <= med <= q95 and med == pytest.approx(0.2)
    targets = survey_targets()
    draws = pd.DataFrame([stats(0.2, 0.3), stats(math.nan, 0.3), stats(0.4, 0.3), stats(0.5, 0.3)])
    ppc = cal.ppc_table(targets, draws).set_index("statistic")
    assert ppc.loc["rs.organisation", "missing"] == 0.25
    assert ppc.loc["rs.business", "missing"] == 0.0
    assert math.isfinite(ppc.loc["rs.organisation", "median"])
    from kopsim.experiments.calibration.fit import missing_notes

    notes = missing_notes(ppc.reset_index())
    assert len(notes) == 1 and notes[0].startswith("rs.organisation was undefined in 25%")


# ---- 2-4. parsing the targets of the run model ---------------------------------------------------
MODEL_TARGETS = {
    "source": "a field study",
    "series": {
        "members": {"months": [0, 108], "values": [119, 133], "sd": [3, 6]},
        "arrears_share_of_members": {"years": [2017, 2018], "start_year": 2009, "values": [0.04, 0.05], "n": 133},
        "coop_cash": {"months": [12], "values": [50.0]},
    },
    "ptp": {"total": 106.5, "capacity": 31, "network": {"score": 10.1, "sd": 1.5}, "fiscal_policy": 2.5},
    "trust": {
        "umkm": {
            "of": "institution",
            "group": "umkm",
            "n": 20,
            "shares": {"low": 0.2, "medium": 0.5, "high": 0.3},
            "source": "own UMKM survey",
        },
        "trained": {"of": "board", "group": "participants:training", "n": 10, "shares": {"tinggi": 0.6}},
    },
}


def model_targets(**edits):
    head = {**MODEL_TARGETS, **edits}
    return cal.targets_from_dict({"targets": head, "priors": PRIORS}, "field.toml")


def test_series_ptp_and_trust_targets_parse():
    from kopsim.experiments.calibration.distance import binomial_sd, ptp_default_sd

    targets = model_targets(ptp={**MODEL_TARGETS["ptp"], "zone": "green", "zones": {"network": "yellow"}})
    assert targets.respondents == 0 and not targets.survey  # no member survey: no respondents needed
    by = {t.label: t for t in targets.targets}
    assert [t.label for t in targets.targets if t.kind == "series"] == [
        "series.members.m0",
        "series.members.m108",
        "series.arrears_share_of_members.m96",
        "series.arrears_share_of_members.m108",
        "series.coop_cash.m12",
    ]
    assert by["series.members.m108"].sd == 6 and by["series.members.m0"].observed == 119
    assert by["series.arrears_share_of_members.m108"].sd == pytest.approx(binomial_sd(0.05, 133))
    assert by["series.coop_cash.m12"].sd == pytest.approx(5.0)  # the default: 10% of the value
    assert by["ptp.total"].sd == pytest.approx(ptp_default_sd("total")) and by["ptp.network"].sd == 1.5
    assert by["ptp.fiscal_policy"].sd == pytest.approx(1.0)  # a quarter of a 1-5 variable's range
    assert by["ptp_zone.total"].observed == "green" and by["ptp_zone.network"].observed == "yellow"
    assert by["trust.umkm"].observed == {1: 0.2, 2: 0.5, 3: 0.3} and by["trust.umkm"].n == 20
    assert by["trust.umkm"].source == "own UMKM survey" and by["trust.trained"].source == "a field study"
    assert by["trust.trained"].observed == {3: 0.6} and by["trust.trained"].group == "participants:training"
    observed = targets.observed()
    assert observed["ptp_zone.total"] == 2.0 and observed["trust.umkm.medium"] == 0.5
    both = cal.targets_from_dict(
        {"targets": {**MODEL_TARGETS, "respondents": 30, "spearman": {"capital": 0.485}}, "priors": PRIORS}, "b.toml"
    )
    assert both.survey and both.respondents == 30 and len(both.model_targets) == len(targets.targets) - 2


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            {"series": {"members": {"months": [0, 12], "values": [119]}}},
            "field.toml: targets.series.members.months: 2 times for 1 values",
        ),
        (
            {"series": {"members": {"months": [12, 0], "values": [1, 2]}}},
            "targets.series.members.months: expected increasing times",
        ),
        ({"series": {"members": {"months": [0], "values": [119], "sdd": 3}}}, "targets.series.members.sdd: unknown"),
        ({"series": {"Members!": {"months": [0], "values": [1]}}}, "targets.series.Members!: expected a metric name"),
        ({"series": {"members": {"months": [0], "values": [0]}}}, "targets.series.members.sd: a value of 0"),
        ({"series": {"members": {"months": [0], "values": [119], "sd": -1}}}, "targets.series.members.sd: expected"),
        ({"series": {"arrears_share": {"months": [0], "values": [5], "n": 30}}}, "targets.series.arrears_share.n:"),
        ({"series": {"members": {"years": [2018], "values": [133]}}}, "targets.series.members.start_year: expected"),
        ({"ptp": {"totl": 100}}, "targets.ptp.totl: unknown key; did you mean 'total'?"),
        ({"ptp": {"network": 30}}, "targets.ptp.network: expected a PTP score in [4, 20], got 30"),
        ({"ptp": {"zone": "blue"}}, "targets.ptp.zone: expected a zone: red, yellow, green"),
        ({"ptp": {"zones": {"netwrk": "red"}}}, "targets.ptp.zones.netwrk: unknown key; did you mean 'network'?"),
        (
            {"trust": {"u": {"of": "institutions", "group": "umkm", "n": 5, "shares": {"low": 1.0}}}},
            "targets.trust.u.of: unknown trust target 'institutions'; did you mean 'institution'?",
        ),
        (
            {"trust": {"u": {"of": "board", "group": "umkn", "n": 5, "shares": {"low": 1.0}}}},
            "targets.trust.u.group: unknown group 'umkn'; did you mean 'umkm'?",
        ),
        (
            {"trust": {"u": {"of": "board", "group": "participants:traning", "n": 5, "shares": {"low": 1.0}}}},
            "'traning' is not an intervention kind; did you mean 'participants:training'?",
        ),
        (
            {"trust": {"u": {"of": "board", "group": "participants:grant", "n": 5, "shares": {"low": 1.0}}}},
            "targets.trust.u.group: the model keeps no record of who took part in grant; allowed groups: members",
        ),
        (
            {"trust": {"u": {"of": "board", "group": "members", "n": 0, "shares": {"low": 1.0}}}},
            "targets.trust.u.n: expected the sample size, a whole number >= 1, got 0",
        ),
        (
            {"trust": {"u": {"of": "board", "group": "members", "n": 5, "shares": {"low": 1.2}}}},
            "targets.trust.u.shares.low: expected a share in [0, 1], got 1.2",
        ),
        (
            {
                "trust": {
                    "u": {"of": "board", "group": "members", "n": 5, "shares": {"low": 0.2, "medium": 0.2, "high": 0.2}}
                }
            },
            "targets.trust.u.shares: the shares sum to 0.600; they must sum to 1",
        ),
        (
            {"trust": {"u": {"of": "board", "group": "members", "n": 5, "shares": {"lo": 0.2}}}},
            "targets.trust.u.shares.lo: unknown key; did you mean 'low'?",
        ),
        ({"source": ""}, "source: state where the figures come from"),
    ],
)
def test_bad_model_targets_name_the_file_and_key_in_one_line(edit, expected):
    head = {"series": {}, "ptp": {}, "trust": {}, "source": "s", **edit}
    if not any(head[k] for k in ("series", "ptp", "trust")):
        head = {**MODEL_TARGETS, **edit}
    with pytest.raises(cal.CalibrationError) as err:
        cal.targets_from_dict({"targets": head, "priors": PRIORS}, "field.toml")
    message = str(err.value)
    assert "\n" not in message and message.startswith("field.toml: targets."), message
    assert expected in message, message


# ---- distances of the new kinds ------------------------------------------------------------------
def test_series_and_ptp_points_are_scaled_by_their_own_sd():
    from kopsim.experiments.calibration.distance import zone_z

    targets = model_targets(trust={}, ptp={"capacity": 31, "zone": "green"})
    by = {t.label: t for t in targets.targets}
    m108 = by["series.members.m108"]  # sd 6
    assert m108.z2({"series.members.m108": 139.0}) == pytest.approx(1.0)
    assert by["series.members.m0"].z2({"series.members.m0": 125.0}) == pytest.approx(4.0)  # sd 3: twice the z
    assert math.isnan(m108.z2({"series.members.m108": math.nan}))  # undefined: missing
    assert by["ptp.capacity"].z2({"ptp.capacity": 31.0}) == 0.0
    # a zone: 0 inside, the distance to the nearest bound (at least half a point) outside
    assert zone_z(95.0, "green", "total", 2.0) == 0.0
    assert zone_z(90.9, "green", "total", 2.0) == pytest.approx(0.25)
    assert zone_z(80.0, "green", "total", 2.0) == pytest.approx(5.5)
    assert zone_z(95.0, "yellow", "total", 2.0) == pytest.approx((95 - 91) / 2.0)
    d = cal.SurveyDistance(targets.targets)
    x = {t.statistic: float(t.observed) for t in targets.targets if t.kind in ("series", "ptp")}
    assert d({**x, "ptp.total": 100.0}) == 0.0


def test_trust_shares_use_the_multinomial_deviance_and_an_empty_group_is_missing():
    targets = model_targets(series={}, ptp={})
    umkm = next(t for t in targets.targets if t.label == "trust.umkm")
    same = {"trust.umkm.low": 0.2, "trust.umkm.medium": 0.5, "trust.umkm.high": 0.3, "trust.umkm.n": 20.0}
    off = {**same, "trust.umkm.low": 0.6, "trust.umkm.high": 0.0, "trust.umkm.medium": 0.4}
    assert umkm.z2(same) == pytest.approx(cal.share_deviance({1: 0.2, 2: 0.5, 3: 0.3}, umkm.observed, 20, 20))
    assert umkm.z2(same) < 1.0 < umkm.z2(off)
    nobody = {"trust.umkm.low": math.nan, "trust.umkm.medium": math.nan, "trust.umkm.high": math.nan}
    assert math.isnan(umkm.z2({**nobody, "trust.umkm.n": 0.0}))
    ppc = cal.ppc_table(
        cal.targets_from_dict(
            {"targets": {"source": "s", "trust": {"umkm": MODEL_TARGETS["trust"]["umkm"]}}, "priors": PRIORS}, "f"
        ),
        pd.DataFrame([same, off, {**nobody, "trust.umkm.n": 0.0}]),
    ).set_index("statistic")
    assert list(ppc.index) == ["trust.umkm.low", "trust.umkm.medium", "trust.umkm.high"]
    assert ppc.loc["trust.umkm.low", "missing"] == pytest.approx(1 / 3)
    assert ppc.loc["trust.umkm.low", "median"] == pytest.approx(0.4)


def test_trust_survey_groups_and_category_shares():
    from kopsim.instruments.trust_survey import GROUPS, group_members, trust_category_shares, trust_survey
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    assert list(trust_category_shares(np.array([0.1, 0.4, 0.5, 0.9]))) == [0.25, 0.5, 0.25]
    assert np.isnan(trust_category_shares(np.array([]))).all()
    scen = load("mandiri_jaya")
    model = CooperativeModel(scen.params.replace({"metrics.network_every": 0}), seed=3)
    model.run_steps(13)
    s = model.state
    members = group_members(model, "members", 0)
    assert s.member[members].all() and members.size == int(s.member[: s.n_households].sum())
    assert (s.product[group_members(model, "umkm", 0)] > 0).all()
    trained = group_members(model, "participants:training", 0)
    assert (s.trained_at[trained] >= 0).all()
    assert group_members(model, "participants:kemitraan", 0).size == 0  # no kemitraan in this scenario
    assert set(GROUPS) == {"members", "umkm", "participants:training", "participants:kemitraan", "village:<k>"}
    shares, m = trust_survey(model, "institution", "members", 20, 7, 0)
    assert m == 20 and shares.sum() == pytest.approx(1.0)
    again, _ = trust_survey(model, "institution", "members", 20, 7, 0)
    assert np.array_equal(shares, again)  # the same seed, the same sample
    shares, m = trust_survey(model, "board", "participants:kemitraan", 20, 7, 0)
    assert m == 0 and np.isnan(shares).all()


# ---- through the command line and the scenario ---------------------------------------------------
TINY = """
[scenario]
name = "tiny"
steps = 24
seed = 5

[parameters.population]
n_villages = 1
n_cooperatives = 1
households_per_village = 60
members_per_cooperative = 50
"""

SERIES_TARGETS = """
[targets]
source = "the cooperative's member register"

[targets.series.members]
months = [0, 24]
values = [50, 52]
sd = 2

[priors]
"governance.honorarium_cost" = { low = 0, high = 5 }
"""


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("[targets.series.members]", "[targets.series.member]"), "targets.series.member: unknown metric; did you"),
        (("months = [0, 24]", "months = [0, 36]"), "targets.series.members: month 36 is after the end of the run"),
        (
            (
                "[targets.series.members]",
                '[targets.trust.k]\nof = "peer"\ngroup = "participants:kemitraan"\nn = 5\n'
                "shares = { low = 1.0 }\n[targets.series.members]",
            ),
            "targets.trust.k.group: the scenario has no kemitraan intervention",
        ),
        (("sd = 2", "sd = [2, 2, 2]"), "targets.series.members.sd: expected a number > 0 or one per value"),
    ],
)
def test_bad_model_targets_exit_2_with_one_line(tmp_path, capsys, edit, expected):
    from tests.helpers import run_kopsim

    pytest.importorskip("pyabc")
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    text = SERIES_TARGETS.replace(*edit)
    assert text != SERIES_TARGETS
    targets = tmp_path / "targets.toml"
    targets.write_text(text, encoding="utf-8")
    code, _out, err = run_kopsim(["calibrate", str(scenario), str(targets), "--out", str(tmp_path / "o")], capsys)
    assert code == 2, err
    assert err.startswith("kopsim: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert f"{targets}: " in err and expected in err, err
    assert not (tmp_path / "o").exists()


def test_the_true_membership_series_is_closer_at_the_true_parameters():
    """Synthetic truth: the default mandiri_jaya scenario run 24 months gives the membership series
    taken as the target; the mean distance of new runs is smaller at the true exit rate than at a
    far-off one."""
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    scen = load("mandiri_jaya")
    params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    truth = params.participation.exit_rate
    frame = CooperativeModel(params, seed=2018).run(24)
    months = [6, 12, 18, 24]
    values = [int(frame["members"].iloc[m - 1]) for m in months]  # metrics_frame starts at month 1
    data = {
        "targets": {
            "source": "synthetic",
            "series": {"members": {"months": months, "values": values, "sd": 3}},
            "trust": {
                "m": {
                    "of": "institution",
                    "group": "members",
                    "n": 30,
                    "shares": {"low": 0.0, "medium": 0.6, "high": 0.4},
                }
            },
        },
        "priors": {"participation.exit_rate": {"low": 0.001, "high": 0.3}},
    }
    targets = cal.targets_from_dict(data, "synthetic", params)
    cal.targets.check_for_run(targets, params, (), 24)
    sim = cal.SurveySimulator(params, (), 24, 0, 0, targets.priors, {}, targets.model_targets)
    series_only = cal.SurveyDistance(tuple(t for t in targets.targets if t.kind == "series"))

    def mean_distance(exit_rate: float) -> float:
        runs = sim.simulate_batch({"participation.exit_rate": exit_rate}, 11, 6)
        assert all("trust.m.n" in x for x in runs)  # the model targets come from the same runs
        return float(np.mean([series_only(x) for x in runs]))

    near, far = mean_distance(truth), mean_distance(0.2)
    assert near < far / 10, (near, far)


# ---- synthetic truth: data made by the model at a known parameter value, recovered by the fit -------
SYNTHETIC_STEPS = 12  # the TINY scenario run 12 months: about 0.04 s a run


def synthetic_run(key: str, value: float, seed: int = 1):
    """The TINY scenario run SYNTHETIC_STEPS months with ``key`` = ``value`` (the truth). Seed 1 gives a
    typical run (its PTP capacity 0.5 sd above the mean of runs at the truth); one realisation far
    in a tail (seed 101: 2.5 sd) would put the truth outside a 90% interval, as it should 10% of
    the time."""
    import tomllib

    from kopsim.model import CooperativeModel
    from kopsim.scenario import from_dict

    scen = from_dict(tomllib.loads(TINY), "tiny.toml")
    model = CooperativeModel(scen.params.replace({key: value}), seed=seed)
    model.run_steps(SYNTHETIC_STEPS)
    return scen, model


def recovered(scen, data: dict, key: str, truth: float, budget: int = 500, population: int = 40):
    """Fit ``data`` (a targets mapping with one prior, ``key``) with a small budget and check that the
    truth lies inside the 90% posterior interval and that the interval is narrower than the prior.
    Returns the posterior summary row of ``key``. Checked with fit seeds 7, 8 and 9: the truth inside
    each time, intervals 11-20% of the prior."""
    targets = cal.targets_from_dict(data, "synthetic", scen.params)
    result = cal.run_calibration(
        scen,
        targets,
        budget=budget,
        population=population,
        generations=5,
        seed=7,
        ppc_draws=4,
        executor="sequential",
        point="median",
    )
    row = result.summary.set_index("parameter").loc[key]
    assert row["q05"] <= truth <= row["q95"], (key, truth, row.to_dict())
    assert row["interval_share_of_prior"] < 0.5, (key, row.to_dict())  # the data narrowed the prior
    assert result.simulations_used <= budget and len(result.populations) >= 2
    return row


def test_synthetic_truth_a_ptp_score_recovers_the_honorarium_cost():
    """PTP: the capacity score of the cooperative after a run at honorarium cost 1.0 (the board's
    staff terms, one of capacity's eight variables, fall with it) recovers the honorarium cost."""
    from kopsim.instruments.ptp import ptp_score

    truth = 1.0
    scen, model = synthetic_run("governance.honorarium_cost", truth)
    capacity = float(ptp_score(model, 0).indicators.loc["capacity", "score"])
    data = {
        "targets": {
            "source": "synthetic PTP assessment",
            "steps": SYNTHETIC_STEPS,
            "ptp": {"capacity": {"score": round(capacity, 2), "sd": 0.3}},  # a precise assessment
        },
        "priors": {"governance.honorarium_cost": {"low": 0, "high": 5}},
    }
    recovered(scen, data, "governance.honorarium_cost", truth)


def test_synthetic_truth_trust_shares_recover_the_initial_trust_in_the_board():
    """Trust: the low / medium / high shares of trust in the board among 40 members sampled after a
    run at initial trust 0.35 recover the initial trust."""
    from kopsim.instruments.trust_survey import trust_survey

    truth = 0.35
    scen, model = synthetic_run("trust.initial_board", truth)
    shares, m = trust_survey(model, "board", "members", 40, 202, 0)
    assert m == 40
    data = {
        "targets": {
            "source": "synthetic trust survey",
            "steps": SYNTHETIC_STEPS,
            "trust": {
                "board": {
                    "of": "board",
                    "group": "members",
                    "n": 40,
                    "shares": {"low": float(shares[0]), "medium": float(shares[1])},  # high: the rest
                }
            },
        },
        "priors": {"trust.initial_board": {"low": 0.05, "high": 0.95}},
    }
    recovered(scen, data, "trust.initial_board", truth)


def test_a_trust_share_given_twice_is_refused():
    shares = {"low": 0.2, "rendah": 0.3}
    with pytest.raises(
        cal.CalibrationError, match=r"targets\.trust\.u\.shares\.rendah: the share of low is given twice"
    ):
        model_targets(trust={"u": {"of": "peer", "group": "members", "n": 5, "shares": shares}})


def test_the_documented_example_of_every_kind_loads_for_mandiri_jaya():
    """The TOML example of docs/CALIBRATION.md's "Targets of every kind" is a valid targets file for
    the shipped Mandiri Jaya scenario, and one simulation gives every statistic it names."""
    import re
    from pathlib import Path

    from kopsim.scenario import load
    from kopsim.tomlio import parse_toml

    doc = (Path(__file__).parents[1] / "docs" / "CALIBRATION.md").read_text(encoding="utf-8")
    section = doc.split("## Targets of every kind", 1)[1]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    data = parse_toml(
        example + '\n[priors]\n"participation.exit_rate" = { low = 0.001, high = 0.1 }\n', "doc", cal.CalibrationError
    )
    scen = load("mandiri_jaya")
    targets = cal.targets_from_dict(data, "doc", scen.params)
    assert {t.kind for t in targets.targets} == {"series", "ptp", "ptp_zone", "trust"}
    cal.check_for_run(targets, scen.params, tuple(scen.interventions), 108)
    sim = cal.SurveySimulator(
        scen.params, tuple(scen.interventions), 108, 0, 0, targets.priors, {}, targets.model_targets
    )
    x = sim.simulate({"participation.exit_rate": 0.01}, 1)
    terms = cal.SurveyDistance(targets.targets).terms(x)
    assert all(math.isfinite(v) for v in terms.values()), terms


def test_one_missing_note_per_target():
    from kopsim.experiments.calibration.fit import missing_notes

    ppc = pd.DataFrame(
        [
            {"statistic": "trust.k.high", "kind": "trust", "missing": 1.0},
            {"statistic": "trust.k.low+medium", "kind": "trust", "missing": 1.0},
            {"statistic": "series.members.m12", "kind": "series", "missing": 0.0},
        ]
    )
    assert missing_notes(ppc) == [
        "trust.k was undefined in 100% of the posterior-predictive runs; there its term is left out of the "
        "distance and D rescaled to the defined terms"
    ]


# ---- fit on part, predict the rest (issue #11 item 6) ---------------------------------------------
def test_held_out_targets_are_predicted_not_fitted():
    targets = survey_targets(held_out=["rs.organisation"])
    assert targets.held_out == ("rs.organisation",)
    assert [t.label for t in targets.fitted] == ["total.rat_attendance", "rs.business"]
    assert len(targets.targets) == 3  # still in the posterior-predictive table
    fitted = cal.SurveyDistance(targets.fitted)
    far, near = stats(-0.9, 0.4, 80.0), stats(0.5, 0.4, 80.0)
    assert fitted(far) == fitted(near) == pytest.approx(0.0)  # the held-out r_s does not enter the distance
    assert cal.SurveyDistance(targets.targets)(far) > 0
    # a prefix holds out every target it begins; --hold-out adds to the file's
    more = survey_targets().hold_out(["rs"])
    assert more.held_out == ("rs.organisation", "rs.business")


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        (
            ["rs.organisatoin"],
            "t.toml: targets.held_out: 'rs.organisatoin' is not a target (did you mean 'rs.organisation'?)",
        ),
        (["rs", "total"], "t.toml: targets.held_out: every target is held out"),
        ("rs.business", "t.toml: targets.held_out: expected a list of target labels"),
    ],
)
def test_bad_held_out_names_the_file_key_and_allowed_labels(held, expected):
    with pytest.raises(cal.CalibrationError) as err:
        survey_targets(held_out=held)
    assert str(err.value).startswith(expected) and "\n" not in str(err.value)


# ---- [targets.finance]: published accounts ----------------------------------------------------------
FINANCE = {
    "years": [2015, 2016],
    "start_year": 2009,
    "assets": [142_190_000, 160_036_498],
    "operating_income": [21_500_000, 21_624_000],
}


def test_published_accounts_become_series_points_of_the_books():
    """A year's figure is the state at the end of its last month (12 (Y − start) + 11), in Rp M,
    sd 10% of the figure unless stated."""
    targets = model_targets(finance={**FINANCE, "sd": {"assets": [5_000_000, 6_000_000]}})
    by = {t.label: t for t in targets.targets if t.key.startswith("coop_") and t.key != "coop_cash"}
    assert set(by) == {
        "series.coop_assets.m83",
        "series.coop_assets.m95",
        "series.coop_operating_income_ytd.m83",
        "series.coop_operating_income_ytd.m95",
    }
    assert by["series.coop_assets.m83"].observed == pytest.approx(142.19)
    assert by["series.coop_assets.m95"].sd == pytest.approx(6.0)  # stated, in the figures' unit
    assert by["series.coop_operating_income_ytd.m83"].sd == pytest.approx(2.15)  # 10%
    in_millions = model_targets(finance={**FINANCE, "unit": "Rp M", "assets": [142.19, 160.0]})
    assert {t.label: t.observed for t in in_millions.targets}["series.coop_assets.m83"] == pytest.approx(142.19)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"asets": [1, 2]}, "targets.finance.asets: unknown key; did you mean 'assets'?"),
        ({"unit": "USD"}, "targets.finance.unit: unknown unit 'USD'; allowed: Rp, Rp M"),
        ({"assets": [1.0]}, "targets.finance.assets: expected 2 numbers, one per year"),
        ({"years": [2016, 2015]}, "targets.finance.years: expected increasing years"),
        ({"operating_income": [0, 5]}, "targets.finance.sd.operating_income: a figure of 0 has no relative sd"),
        ({"cv": -0.1}, "targets.finance.cv: expected the relative sd of each figure, a number > 0"),
    ],
)
def test_bad_accounts_are_refused_naming_the_key(edit, expected):
    with pytest.raises(cal.CalibrationError) as err:
        model_targets(finance={**FINANCE, **edit})
    assert str(err.value).startswith("field.toml: ") and expected in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_the_true_savings_rate_is_recovered_from_the_accounts():
    """Synthetic truth for the accounts: Mandiri Jaya's books of 2010–2011 made by the model at the
    default simpanan wajib are closer (mean distance of new runs) at the true rate than at rates
    half and double it; the books are read from the same run as every other target."""
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    scen = load("mandiri_jaya")
    params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    truth = params.finance.mandatory_saving
    frame = CooperativeModel(params, seed=2018, interventions=scen.interventions).run(36)
    months = [23, 35]
    figure = {k: [float(frame[f"coop_{k}"].iloc[m - 1]) for m in months] for k in ("savings", "equity")}
    data = {
        "targets": {
            "source": "synthetic",
            "finance": {"years": [2010, 2011], "start_year": 2009, "unit": "Rp M", "cv": 0.05, **figure},
        },
        "priors": {"finance.mandatory_saving": {"low": 0.001, "high": 0.02}},
    }
    targets = cal.targets_from_dict(data, "synthetic", params)
    cal.targets.check_for_run(targets, params, tuple(scen.interventions), 36)
    sim = cal.SurveySimulator(params, tuple(scen.interventions), 36, 0, 0, targets.priors, {}, targets.model_targets)
    distance = cal.SurveyDistance(targets.targets)

    def mean_distance(rate: float) -> float:
        return float(np.mean([distance(x) for x in sim.simulate_batch({"finance.mandatory_saving": rate}, 11, 4)]))

    near = mean_distance(truth)
    assert near < mean_distance(truth / 2) / 3 and near < mean_distance(truth * 2) / 3


# ---- [targets.relational]: a partnership study --------------------------------------------------------
def test_a_partnership_study_is_a_target_and_its_properties_are_read_from_the_run():
    """The issue's partnership researcher: the share of kemitraan participants still in contact with
    a partner a year after the event, and their ties' intensity, from a sample of 20."""
    from kopsim.scenario import load

    scen = load("kemitraan_association")
    params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    rel = {
        "in_contact": {"property": "in_contact", "group": "participants:kemitraan", "n": 20, "value": 0.3},
        "strength": {"property": "intensity", "n": 20, "value": 0.5, "sd": 0.1},
    }
    targets = cal.targets_from_dict({"targets": {"source": "study", "relational": rel}, "priors": PRIORS}, "s.toml")
    by = {t.label: t for t in targets.targets}
    assert by["relational.in_contact"].sd == pytest.approx(cal.distance.binomial_sd(0.3, 20))
    assert by["relational.strength"].group == "participants:kemitraan"  # the default group
    steps = 48
    cal.check_for_run(targets, params, tuple(scen.interventions), steps)
    sim = cal.SurveySimulator(params, tuple(scen.interventions), steps, 0, 0, targets.priors, {}, targets.model_targets)
    runs = [sim.simulate({"governance.honorarium_cost": 1.0}, s) for s in (1, 2)]
    for x in runs:
        assert 0.0 <= x["relational.in_contact"] <= 1.0 and 0.0 < x["relational.strength"] <= 1.0
    # two studies of the same run draw different samples only through their seeds: reproducible
    assert sim.simulate({"governance.honorarium_cost": 1.0}, 1) == runs[0]
    distance = cal.SurveyDistance(targets.targets)
    assert all(math.isfinite(distance(x)) for x in runs)


def test_relational_targets_need_a_kemitraan_and_a_known_property():
    from kopsim.scenario import load

    study = {"property": "in_contact", "group": "participants:kemitraan", "n": 20, "value": 0.3}
    targets = cal.targets_from_dict(
        {"targets": {"source": "s", "relational": {"k": study}}, "priors": PRIORS}, "s.toml"
    )
    scen = load("baseline")
    with pytest.raises(cal.CalibrationError, match=r"targets\.relational\.k\.group: the scenario has no kemitraan"):
        cal.check_for_run(targets, scen.params, tuple(scen.interventions), 24)
    for edit, expected in (
        ({"property": "in_touch"}, "targets.relational.k.property: unknown property 'in_touch'; allowed: frequency"),
        ({"value": 1.3}, "targets.relational.k.value: expected a share in [0, 1], got 1.3"),
        ({"n": 0}, "targets.relational.k.n: expected the sample size"),
        ({"group": "participants:grant"}, "the model keeps no record of who took part in grant"),
    ):
        with pytest.raises(cal.CalibrationError) as err:
            cal.targets_from_dict(
                {"targets": {"source": "s", "relational": {"k": {**study, **edit}}}, "priors": PRIORS}, "s.toml"
            )
        assert expected in str(err.value), str(err.value)


def test_a_village_study_asks_every_household_of_the_village():
    """group = "village:<k>": households of village k, members or not (a village survey)."""
    from kopsim.instruments.trust_survey import group_members
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    scen = load("baseline")
    model = CooperativeModel(scen.params, seed=1)
    s = model.state
    pool = group_members(model, "village:1")
    assert pool.size and (s.village[pool] == 1).all() and (~s.member[pool]).any() and s.member[pool].any()
    study = {"of": "institution", "group": "village:1", "n": 25, "shares": {"low": 0.2, "medium": 0.5, "high": 0.3}}
    targets = cal.targets_from_dict({"targets": {"source": "s", "trust": {"v": study}}, "priors": PRIORS}, "s.toml")
    cal.check_for_run(targets, scen.params, (), 12)
    far = {**study, "group": f"village:{scen.params.population.n_villages}"}
    targets = cal.targets_from_dict({"targets": {"source": "s", "trust": {"v": far}}, "priors": PRIORS}, "s.toml")
    with pytest.raises(cal.CalibrationError, match=r"targets\.trust\.v\.group: village \d+ does not exist; allowed"):
        cal.check_for_run(targets, scen.params, (), 12)


def test_the_true_monitoring_cost_is_recovered_from_a_partnership_study():
    """Synthetic truth for relational targets: the contact frequency of 20 sampled kemitraan
    participants' partner ties, made by the model at a known monitoring cost, is closer (median
    distance of new runs: a pair's contact is bistable, so a run now and then keeps in touch) at the
    true cost than at a prohibitive one or at no cost."""
    from kopsim.scenario import load

    scen = load("kemitraan_no_association")
    params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    truth = 0.2
    study = {"property": "frequency", "group": "participants:kemitraan", "n": 20, "sd": 0.1}
    data = {"targets": {"source": "synthetic", "relational": {"f": {**study, "value": 0.5}}}}
    data["priors"] = {"partnership.monitoring_cost": {"low": 0.0, "high": 2.0}}
    targets = cal.targets_from_dict(data, "synthetic", params)
    sim = cal.SurveySimulator(params, tuple(scen.interventions), 24, 0, 0, targets.priors, {}, targets.model_targets)
    observed = sim.simulate({"partnership.monitoring_cost": truth}, 2018)["relational.f"]
    assert observed == observed  # defined: the sample has partner ties
    data["targets"]["relational"]["f"]["value"] = observed
    distance = cal.SurveyDistance(cal.targets_from_dict(data, "synthetic", params).targets)

    def median_distance(cost: float) -> float:
        runs = sim.simulate_batch({"partnership.monitoring_cost": cost}, 5, 8)
        return float(np.nanmedian([distance(x) for x in runs]))

    # contact is bistable, so one study's figure is a noisy synthetic truth: the ordering is what holds
    near = median_distance(truth)
    assert near < median_distance(1.0) and near < median_distance(0.0), observed


def test_a_calibration_run_collects_the_months_it_needs_as_the_full_table_has_them():
    """The fit's runs keep no metrics table (metrics only in the months series targets read): their
    statistics equal those read from a run with the full table, survey included (r_s to rounding)."""
    from kopsim.experiments.calibration.simulator import model_statistics, survey_statistics
    from kopsim.instruments.member_survey import virtual_survey
    from kopsim.instruments.survey_analysis import analyse
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    scen = load("mandiri_jaya")
    targets = cal.load_targets("mandiri_jaya", scen.params)
    assert {107, 108} <= {t.month for t in targets.model_targets if t.kind == "series"}  # the last months too
    priors = tuple(p for p in targets.priors if p.key == "participation.exit_rate")
    sim = cal.SurveySimulator(scen.params, tuple(scen.interventions), 108, 30, 0, priors, {}, targets.model_targets)
    pars = {"participation.exit_rate": 0.03}
    got = sim.simulate(pars, 4)
    params, rm = sim.configure(pars)
    model = CooperativeModel(params, seed=4, interventions=tuple(scen.interventions))
    model.run_steps(108)
    survey_seed = int(np.random.SeedSequence([4, 1]).generate_state(1)[0])
    want = survey_statistics(analyse(virtual_survey(model, 30, survey_seed, 0, rm)), 30)
    want.update(model_statistics(model, targets.model_targets, 0, 4))
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12, nan_ok=True), key


def test_a_generations_particles_run_as_one_batch_give_the_statistics_of_their_runs_alone():
    """simulate_many (a batch of worlds, each its particle's parameters and run seed) returns what
    simulate returns for each particle alone, value for value; a refused particle stays invalid."""
    from kopsim.scenario import load

    scen = load("mandiri_jaya")
    targets = cal.load_targets("mandiri_jaya", scen.params)
    sim = cal.SurveySimulator(
        scen.params, tuple(scen.interventions), 108, 30, 0, targets.priors, {}, targets.model_targets
    )
    rng = np.random.default_rng(3)
    jobs = []
    for k in range(3):
        pars = {p.name: float(rng.uniform(p.low, p.high)) for p in targets.priors}
        jobs.append((pars, 100 + k))
    jobs.insert(1, ({**jobs[0][0], "participation__exit_rate": 5.0}, 7))  # a probability of 5: refused
    got = sim.simulate_many(jobs)
    assert got[1] == {cal.simulator.INVALID: 1.0}
    for (pars, seed), stats in zip(jobs, got, strict=True):
        want = sim.simulate(pars, seed)
        assert stats.keys() == want.keys()
        for key, value in want.items():
            assert stats[key] == value or (np.isnan(value) and np.isnan(stats[key])), key
