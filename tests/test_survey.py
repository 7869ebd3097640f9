"""The observation model: virtual survey, analysis, real survey CSVs, PTP, partnership properties, CLI."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kopsim import CooperativeModel
from kopsim.instruments import published as published_figures
from kopsim.instruments.member_survey import (
    ITEM_NAMES,
    ResponseModel,
    SurveyError,
    latent_scores,
    survey_members,
    virtual_survey,
)
from kopsim.instruments.ptp import ptp_indices, ptp_score, ptp_zone
from kopsim.instruments.published import load_published
from kopsim.instruments.relational import partnership_properties
from kopsim.instruments.survey_analysis import analyse, category_bounds
from kopsim.instruments.survey_csv import load_survey_csv, write_survey_csv
from kopsim.interventions import Kemitraan
from kopsim.parameters import ParameterError
from kopsim.state import PARTNER
from tests.helpers import run_kopsim, small_params

SMALL_SCENARIO = """
[scenario]
name = "small_survey"
description = "a small cooperative for survey tests"
steps = 24
seed = 7

[parameters.population]
n_villages = 2
n_cooperatives = 1
households_per_village = 60
members_per_cooperative = 40
"""


@pytest.fixture(scope="module")
def model() -> CooperativeModel:
    m = CooperativeModel(small_params(), seed=11)
    m.run(24)
    return m


def kopsim(args, capsys):
    return run_kopsim(args, capsys)


# ---------------------------------------------------------------- the virtual survey
def test_virtual_survey_is_deterministic_and_answers_1_to_3(model):
    before = copy.deepcopy(model.rng.bit_generator.state)
    a = virtual_survey(model, 20, seed=5)
    b = virtual_survey(model, 20, seed=5)
    assert model.rng.bit_generator.state == before  # the model's own generator is untouched
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(ITEM_NAMES) and len(ITEM_NAMES) == 15
    assert a.shape == (20, 15)
    assert set(np.unique(a.to_numpy())) <= {1, 2, 3}
    members = survey_members(model, 0)
    assert set(a.index) <= set(members) and a.index.is_unique
    c = virtual_survey(model, 20, seed=6)
    assert not a.equals(c)


def test_respondents_are_capped_at_the_members(model):
    members = survey_members(model, 0)
    full = virtual_survey(model, 10_000, seed=1)
    assert len(full) == members.size
    assert sorted(full.index) == sorted(members)
    with pytest.raises(SurveyError, match="at least 1"):
        virtual_survey(model, 0, seed=1)
    with pytest.raises(SurveyError, match="cooperative 3 does not exist"):
        virtual_survey(model, 5, seed=1, cooperative=3)


def test_without_noise_answers_are_the_thirds_of_the_latent_score(model):
    rm = ResponseModel(noise_sd=0.0, cut_low=1 / 3, cut_high=2 / 3)
    resp = virtual_survey(model, 25, seed=3, rm=rm)
    latent = latent_scores(model, resp.index.to_numpy(), rm)
    expected = 1 + (latent >= 1 / 3).astype(int) + (latent >= 2 / 3).astype(int)
    pd.testing.assert_frame_equal(resp, expected.astype(np.int64))
    assert ((latent >= 0) & (latent <= 1)).all().all()
    # benefit items are the model's perceived benefit, willingness the model's willingness
    s = model.state
    idx = resp.index.to_numpy()
    np.testing.assert_allclose(latent["training_satisfaction"], s.benefit[idx, 4])
    np.testing.assert_allclose(latent["willing_to_serve_board"], s.willingness[idx])


def test_response_model_is_validated():
    with pytest.raises(ParameterError, match="cut_high"):
        ResponseModel(cut_low=0.7, cut_high=0.3)
    with pytest.raises(ParameterError, match="noise_sd"):
        ResponseModel(noise_sd=-1.0)


# ---------------------------------------------------------------- analysis
def test_category_bounds_scale_the_published_table():
    b30 = category_bounds(30)
    assert (b30.low, b30.medium, b30.high) == ((30, 50), (51, 71), (72, 90))
    # the Mandiri Jaya totals fall in the categories DOMAIN.md reports
    for total, cat in [
        (84, "high"),
        (71, "medium"),
        (68, "medium"),
        (44, "low"),
        (50, "low"),
        (51, "medium"),
        (72, "high"),
        (65, "medium"),
        (75, "high"),
    ]:
        assert b30.category(total) == cat
    b20 = category_bounds(20)  # 5n/3 = 33.3, 12n/5 = 48
    assert (b20.low, b20.medium, b20.high) == ((20, 33), (34, 47), (48, 60))
    assert (category_bounds(1).low, category_bounds(1).high) == ((1, 1), (3, 3))
    for n in (1, 2, 7, 30, 31, 130):
        b = category_bounds(n)
        assert [b.category(t) for t in range(n, 3 * n + 1)] == (
            ["low"] * (b.low[1] - n + 1)
            + ["medium"] * (b.medium[1] - b.medium[0] + 1)
            + ["high"] * (3 * n - b.high[0] + 1)
        )


def hand_table() -> pd.DataFrame:
    """Four respondents; organisation and benefit scores rise together, capital is constant."""
    rows = []
    for k in range(4):
        org = [1 + (k >= 1), 1 + (k >= 2), 1 + (k >= 3), 1, 3]  # sums 7, 8, 9, 10
        cap = [3, 2]
        bus = [3, 1, 2, 3][k]
        ben = [1 + (k >= 1), 2, 2, 2, 1, 3, 1 + (k >= 2)]  # sums 12, 13, 14, 14
        rows.append(org + cap + [bus] + ben)
    return pd.DataFrame(rows, columns=list(ITEM_NAMES), index=pd.Index([1, 2, 3, 4], name="respondent"))


def test_analyse_a_hand_made_table():
    res = analyse(hand_table())
    assert res.n == 4
    totals = res.items["total"]
    assert totals["rat_attendance"] == 1 + 2 + 2 + 2
    assert totals["willing_to_stay"] == 12 and totals["willing_to_serve_board"] == 4
    assert totals["borrowing_for_business"] == 9
    assert totals["member_board_relations"] == 1 + 1 + 2 + 2
    # n = 4: low 4..6, medium 7..9, high 10..12
    assert (res.bounds.low, res.bounds.medium, res.bounds.high) == ((4, 6), (7, 9), (10, 12))
    assert res.items.loc["willing_to_stay", "category"] == "high"
    assert res.items.loc["willing_to_serve_board", "category"] == "low"
    assert res.items.loc["borrowing_for_business", "category"] == "medium"
    assert res.items.loc["rat_attendance", ["share_1", "share_2", "share_3"]].tolist() == [0.25, 0.75, 0.0]
    np.testing.assert_allclose(res.items[["share_1", "share_2", "share_3"]].sum(axis=1), 1.0)
    assert res.scores["organisation"].tolist() == [7, 8, 9, 10]
    assert res.scores["benefit"].tolist() == [12, 13, 14, 14]
    assert res.scores["capital"].tolist() == [5, 5, 5, 5]
    expected = stats.spearmanr([12, 13, 14, 14], [7, 8, 9, 10])
    assert res.spearman.loc["organisation", "rs"] == pytest.approx(expected.statistic)
    assert res.spearman.loc["organisation", "p"] == pytest.approx(expected.pvalue)
    exp_bus = stats.spearmanr([12, 13, 14, 14], [3, 1, 2, 3])
    assert res.spearman.loc["business", "rs"] == pytest.approx(exp_bus.statistic)
    assert np.isnan(res.spearman.loc["capital", "rs"])  # constant score: undefined
    text = res.format()
    assert "n/a" in text and "rat_attendance" in text


def test_analyse_refuses_bad_tables():
    bad = hand_table()
    bad.iloc[2, 3] = 4
    with pytest.raises(SurveyError, match="willing_to_serve_board"):
        analyse(bad)
    with pytest.raises(SurveyError, match="missing column 'voluntary_savings'"):
        analyse(hand_table().drop(columns="voluntary_savings"))


# ---------------------------------------------------------------- CLI and the CSV layout
def test_virtual_survey_statistics_equal_those_of_kopsim_survey(model, tmp_path, capsys):
    responses = virtual_survey(model, 30, seed=9)
    path = write_survey_csv(responses, tmp_path / "answers.csv")
    loaded = load_survey_csv(path)
    np.testing.assert_array_equal(loaded.to_numpy(), responses.to_numpy())
    virtual, real = analyse(responses), analyse(loaded)
    pd.testing.assert_frame_equal(virtual.items, real.items)
    pd.testing.assert_frame_equal(virtual.spearman, real.spearman)
    code, out, err = kopsim(["survey", str(path)], capsys)
    assert code == 0 and err == ""
    assert out == f"member survey: {path}, {len(responses)} respondents\n{virtual.format()}\n"


def test_simulate_prints_the_same_statistics_as_its_saved_answers(tmp_path, capsys):
    scen = tmp_path / "small.toml"
    scen.write_text(SMALL_SCENARIO, encoding="utf-8")
    answers = tmp_path / "sim.csv"
    code, out, err = kopsim(
        [
            "survey",
            "--simulate",
            str(scen),
            "--respondents",
            "25",
            "--seed",
            "4",
            "--responses-out",
            str(answers),
            "--published",
            "mandiri_jaya",
        ],
        capsys,
    )
    assert code == 0, err
    assert "25 of" in out and "PTP" in out and "partnerships" in out
    code2, out2, _ = kopsim(["survey", str(answers), "--published", "mandiri_jaya"], capsys)
    assert code2 == 0
    body = out2.split("\n", 1)[1]  # after the one-line title
    assert body.strip() in out
    # the same run with the API gives the same survey
    from kopsim.scenario import load

    s = load(str(scen))
    m = CooperativeModel(s.params, seed=4, interventions=s.interventions)
    m.run(s.steps)
    pub = load_published("mandiri_jaya")
    assert analyse(virtual_survey(m, 25, seed=4)).format(pub) in out


def test_template_and_published(tmp_path, capsys):
    tpl = tmp_path / "t.csv"
    code, out, _ = kopsim(["survey", "--template", str(tpl)], capsys)
    assert code == 0
    header = tpl.read_text(encoding="utf-8").strip().split(",")
    assert header == ["respondent", *ITEM_NAMES]
    code, _, err = kopsim(["survey", "--template", str(tpl)], capsys)  # never overwrites
    assert code == 2 and "already exists" in err
    code, out, _ = kopsim(["survey", "--published", "mandiri_jaya"], capsys)
    assert code == 0
    assert "rat_attendance" in out and " 84  high" in out and "+0.529" in out and "106.5" in out
    pub = load_published("mandiri_jaya")
    assert pub.totals["willing_to_serve_board"] == 44 and pub.respondents == 30
    assert pub.spearman["business"] == (0.455, 0.011)
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "mandiri_jaya_2018.toml"
    if shared.exists():
        bundled = Path(published_figures.__file__).parents[1] / "data" / "mandiri_jaya_2018.toml"
        assert bundled.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


ALL = ",".join(ITEM_NAMES)
ROW = ",".join(["2"] * 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty file"),
        (
            ALL.replace("voluntary_savings,", "") + "\n" + ",".join(["2"] * 14) + "\n",
            "missing column 'voluntary_savings'",
        ),
        (ALL.replace("rat_attendance", "rat_atendance") + "\n" + ROW + "\n", "did you mean 'rat_attendance'"),
        (ALL + "\n" + ROW + "\n" + ROW.replace("2", "4", 1) + "\n", "row 3, column 'rat_attendance': 4 is outside 1-3"),
        (ALL + "\n" + ROW + "\n,,,,,,,,,,,,,,\n" + ROW + "\n", "row 3: blank row"),
        (ALL + "\n" + ROW + "\n\n" + ROW + "\n", "row 3: blank row"),
        (ALL + "\n" + ROW[:-1] + "x\n", "row 2, column 'member_board_relations': 'x' is not a number"),
        (ALL + "\n" + ROW + "\n" + ",".join(["2"] * 14) + "\n", "row 3: 14 cells, but the header has 15 columns"),
        (ALL + "\n" + "," + ROW[2:] + "\n", "row 2, column 'rat_attendance': empty cell"),
        (ALL + "\n" + ROW.replace("2", "2.5", 1) + "\n", "2.5 is outside 1-3"),
        (ALL + "\n", "no respondents"),
        (
            "respondent," + ALL + "\na," + ROW + "\na," + ROW + "\n",
            "row 3, column 'respondent': respondent 'a' already",
        ),
        (ALL + "," + "rat_attendance\n" + ROW + ",2\n", "appears twice"),
    ],
)
def test_bad_survey_csv_is_one_line_and_exit_2(tmp_path, capsys, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    code, out, err = kopsim(["survey", str(path)], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("kopsim: error: ") and err.count("\n") == 1, err
    assert expected in err
    assert "Traceback" not in err


def test_csv_layout_accepts_spreadsheet_variants(tmp_path):
    path = tmp_path / "semi.csv"
    header = ";".join(name.upper() for name in reversed(ITEM_NAMES))
    path.write_text("\ufeff" + header + "\n" + ";".join(["3"] * 14 + ["1.0"]) + "\n", encoding="utf-8")
    table = load_survey_csv(path)
    assert table.loc[1, "rat_attendance"] == 1 and table.loc[1, "member_board_relations"] == 3
    assert list(table.columns) == list(ITEM_NAMES)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["survey"], "name a CSV file"),
        (["survey", "x.csv", "--simulate", "baseline"], "not both"),
        (["survey", "x.csv", "--respondents", "3"], "--respondents applies to --simulate only"),
        (["survey", "--published", "mandiri"], "did you mean 'mandiri_jaya'"),
        (["survey", "missing.csv"], "missing.csv: file not found"),
        (["survey", "--simulate", "baseline", "--cooperative", "5"], "--cooperative: 5 does not exist"),
        (["survey", "--simulate", "kemitraan_association", "--replicates", "3"], "has kemitraan interventions"),
        (["survey", "--simulate", "mandiri_jaya", "--replicates-out", "r.csv"], "--replicates-out needs --replicates"),
        (
            ["survey", "--simulate", "mandiri_jaya", "--replicates", "2", "--survey-seed", "4"],
            "--survey-seed applies to a single run",
        ),
        (["survey", "--simulate", "mandiri_jaya", "--replicates", "0"], "--replicates"),
        (["survey", "x.csv", "--replicates", "3"], "--replicates applies to --simulate only"),
    ],
)
def test_bad_survey_arguments(tmp_path, capsys, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    code, _, err = kopsim(args, capsys)
    assert code == 2 and expected in err and err.count("\n") == 1


# ---------------------------------------------------------------- PTP
@pytest.mark.parametrize(
    ("indicator", "score", "zone"),
    [
        ("vision", 35, "green"),
        ("vision", 22, "green"),
        ("vision", 21.9, "yellow"),
        ("vision", 12, "yellow"),
        ("vision", 11.9, "red"),
        ("vision", 0, "red"),
        ("capacity", 26, "green"),
        ("capacity", 25, "yellow"),
        ("capacity", 13, "yellow"),
        ("capacity", 12, "red"),
        ("resources", 28, "green"),
        ("resources", 27, "yellow"),
        ("resources", 15, "yellow"),
        ("resources", 14, "red"),
        ("network", 15, "green"),
        ("network", 14, "yellow"),
        ("network", 10.1, "yellow"),
        ("network", 8, "yellow"),
        ("network", 7, "red"),
        ("total", 106.5, "green"),
        ("total", 91, "green"),
        ("total", 90, "yellow"),
        ("total", 48, "yellow"),
        ("total", 47, "red"),
    ],
)
def test_ptp_zones_follow_the_domain_table(indicator, score, zone):
    assert ptp_zone(indicator, score) == zone


def test_ptp_score_of_a_model(model):
    res = ptp_score(model)
    counts = {"vision": 7, "capacity": 8, "resources": 4, "network": 4}
    for ind, k in counts.items():
        part = res.variables[res.variables["indicator"] == ind]
        assert len(part) == k
        top = 10 if ind == "resources" else 5
        assert ((part["score"] >= 1) & (part["score"] <= top)).all()
        assert res.indicators.loc[ind, "score"] == pytest.approx(part["score"].sum())
        assert res.indicators.loc[ind, "max"] == k * top
        assert res.indicators.loc[ind, "zone"] == ptp_zone(ind, part["score"].sum())
    assert res.total == pytest.approx(res.indicators["score"].sum())
    assert res.total_zone == ptp_zone("total", res.total)
    assert "total" in res.format()


def test_ptp_credit_policy_falls_with_arrears(model):
    m = copy.deepcopy(model)
    s = m.state
    H = s.n_households
    borrowers = np.flatnonzero((s.coop[:H] == 0) & (s.coop_loan[:H] > 0))
    assert borrowers.size
    s.coop_arrears[borrowers] = 0
    clean = ptp_indices(m)["credit_policy"]
    s.coop_arrears[borrowers[: borrowers.size // 10 + 1]] = 1
    some = ptp_indices(m)["credit_policy"]
    s.coop_arrears[borrowers] = 2
    assert clean == 1.0 and 0.0 <= some < clean
    assert ptp_indices(m)["credit_policy"] == 0.0
    s.fairness[0] = 0.2
    assert ptp_indices(m)["dispute_resolution"] == pytest.approx(0.2)


# ---------------------------------------------------------------- partnerships
def kemitraan_model(association: bool) -> CooperativeModel:
    params = small_params({"population": {"umkm_share": 0.3}})
    iv = Kemitraan(start=2, every=12, participants=8, association=association)
    m = CooperativeModel(params, seed=3, interventions=[iv])
    m.run(30)
    return m


def test_partnership_properties_on_kemitraan():
    none = partnership_properties(CooperativeModel(small_params(), seed=1))
    assert none.ties == 0 and np.isnan(none.share_in_contact) and "no ties" in none.format()
    alone, assoc = kemitraan_model(False), kemitraan_model(True)
    pa, pb = partnership_properties(alone), partnership_properties(assoc)
    for m, props in ((alone, pa), (assoc, pb)):
        s, ties = m.state, m.ties
        partner = (s.role[ties.a] == PARTNER) | (s.role[ties.b] == PARTNER)
        assert props.ties == int(partner.sum()) > 0
        assert 0 < props.intensity <= 1
        assert props.distance_km == pytest.approx(500, rel=0.05)  # Kemitraan.distance_km
        assert props.followed_up > 0  # events at months 2 and 14, measured at month 30
        assert 0 <= props.still_in_contact <= props.followed_up
    # far away and without an association few keep in touch; the association keeps more
    assert pa.share_in_contact < pb.share_in_contact and pb.contacts_per_month > pa.contacts_per_month
    assert partnership_properties(assoc, cooperative=0).ties == pb.ties
    assert "mean distance" in pb.format()


def test_replicates_print_the_distribution_and_write_one_row_per_replicate(tmp_path, capsys):
    from kopsim import batch
    from kopsim.scenario import load

    out = tmp_path / "reps.csv"
    code, stdout, err = kopsim(
        [
            "survey",
            "--simulate",
            "mandiri_jaya",
            "--replicates",
            "6",
            "--steps",
            "12",
            "--seed",
            "3",
            "--replicates-out",
            str(out),
            "--published",
            "mandiri_jaya",
        ],
        capsys,
    )
    assert code == 0, err
    assert "6 replicates" in stdout and "rat_attendance" in stdout and "rs_capital" in stdout
    table = pd.read_csv(out, index_col="replicate")
    assert len(table) == 6 and table["valid"].all()
    # the same batch from Python: the rows are those of run_and_survey with the same seed
    ref = batch.run_and_survey(load("mandiri_jaya").params, 6, 12, 3, 30).to_frame()
    assert np.array_equal(table[list(ITEM_NAMES)].to_numpy(), ref[list(ITEM_NAMES)].to_numpy())
    medians = table[list(ITEM_NAMES)].median()
    for item in ("rat_attendance", "training_satisfaction"):
        line = next(ln for ln in stdout.splitlines() if ln.startswith(item))
        assert float(line.split()[1]) == pytest.approx(medians[item], abs=0.5)  # printed as a whole number


@pytest.mark.parametrize("cell", ["２", "٣", "+2", "2e0", " 1_0"])
def test_only_plain_ascii_numbers_are_answers(tmp_path, cell):
    from kopsim.instruments.member_survey import ITEM_NAMES, SurveyError
    from kopsim.instruments.survey_csv import load_survey_csv

    path = tmp_path / "s.csv"
    row = ["2"] * len(ITEM_NAMES)
    row[3] = cell
    path.write_text(",".join(ITEM_NAMES) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    with pytest.raises(SurveyError, match=f"row 2, column '{ITEM_NAMES[3]}'.*not a number"):
        load_survey_csv(path)


def test_survey_files_are_bounded(tmp_path):
    from kopsim.instruments.member_survey import ITEM_NAMES, SurveyError
    from kopsim.instruments.survey_csv import load_survey_csv

    with pytest.raises(SurveyError, match="not a regular file"):
        load_survey_csv("/dev/zero")
    huge = tmp_path / "cell.csv"
    huge.write_text(
        ",".join(ITEM_NAMES) + '\n"' + "2" * 200_000 + '"' + ",2" * (len(ITEM_NAMES) - 1) + "\n", encoding="utf-8"
    )
    with pytest.raises(SurveyError, match="not a readable CSV file"):
        load_survey_csv(huge)


def test_a_scenario_says_how_its_members_answer(tmp_path, capsys):
    """A scenario's [survey] table (e.g. the response model a calibration fitted) is the one its
    surveys use, single runs and batches alike: raising the cut point of the answer 3 lowers totals."""
    import re

    def totals(survey: str, *extra: str) -> list[int]:
        path = tmp_path / f"s{abs(hash(survey + ''.join(extra)))}.toml"
        path.write_text(SMALL_SCENARIO + survey, encoding="utf-8")
        code, out, err = kopsim(["survey", "--simulate", str(path), "--seed", "4", *extra], capsys)
        assert code == 0, err
        return [
            int(float(m)) for m in re.findall(r"^\s*rat_attendance\s+(?:organisation\s+)?(\d+(?:\.\d+)?)", out, re.M)
        ]

    default, strict = totals(""), totals("\n[survey]\ncut_high = 0.95\n")
    assert default and strict and strict[0] < default[0]
    assert totals("\n[survey]\ncut_high = 0.95\n", "--replicates", "20")[0] < totals("", "--replicates", "20")[0]
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_SCENARIO + "\n[survey]\nnoise = 0.2\n", encoding="utf-8")
    code, _, err = kopsim(["validate", str(bad)], capsys)
    assert code == 2 and "survey.noise: unknown key; did you mean 'noise_sd'?" in err and err.count("\n") == 1
