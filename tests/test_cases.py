"""Issue #16: modelling the cooperative in front of you (scenario lookup, households, rules, tie origin)."""

from __future__ import annotations

import subprocess
import sys

from kopsim.scenario import load


def _kopsim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kopsim", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_a_scenario_name_resolves_to_the_current_folder_before_the_shipped_ones(tmp_path, monkeypatch):
    (tmp_path / "kopwan_follow_up.toml").write_text(
        'extends = "baseline"\n[scenario]\nname = "kopwan"\nsteps = 3\n', encoding="utf-8"
    )
    (tmp_path / "baseline.toml").write_text('[scenario]\nname = "my_baseline"\nsteps = 4\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load("kopwan_follow_up").name == "kopwan"
    assert load("baseline").name == "my_baseline"  # the user's own file shadows the shipped one
    proc = _kopsim("validate", "kopwan_follow_up", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_a_missing_extends_names_the_folder_searched(tmp_path):
    (tmp_path / "child.toml").write_text('extends = "kopwan_base.toml"\n', encoding="utf-8")
    proc = _kopsim("validate", str(tmp_path / "child.toml"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert f"file not found in {tmp_path.resolve()}" in proc.stderr


def test_a_misspelt_name_suggests_the_file_in_the_current_folder(tmp_path):
    (tmp_path / "kopwan_follow_up.toml").write_text("[scenario]\nsteps = 3\n", encoding="utf-8")
    proc = _kopsim("validate", "kopwan_folow_up", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean 'kopwan_follow_up'?" in proc.stderr
    assert str(tmp_path) in proc.stderr


# ---- households and membership rules (items 1 and 2) --------------------------------------------

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kopsim import CooperativeModel  # noqa: E402
from kopsim.parameters import OCCUPATIONS, Parameters  # noqa: E402

QUIET = {"network_every": 0, "centrality_every": 0}


def _women_coop(enforce: bool = True) -> Parameters:
    """150 households, a women's cooperative of 40 founding members and brisk joining."""
    rules = {"type": "womens", "eligible_sex": "female"} if enforce else {}
    return Parameters.from_dict(
        {
            "population": {"households_per_village": 150, "members_per_cooperative": 40},
            "households": {"female_share": [0.5], "female_head_share": [0.1]},
            "cooperative": rules,
            "participation": {"join_rate": 0.2},
            "information": {"initial_informed": 1.0},
            "metrics": QUIET,
        }
    )


def test_household_attributes_follow_the_per_village_shares():
    p = Parameters.from_dict(
        {
            "population": {"n_villages": 2, "households_per_village": 4000, "members_per_cooperative": 100},
            "households": {"female_share": [0.2, 0.8], "female_head_share": [0.1, 0.3], "worker_share": [0.5]},
            "metrics": QUIET,
        }
    )
    s = CooperativeModel(p, seed=1).state
    H = s.n_households
    v = s.village[:H]
    for k, (f, h) in enumerate(((0.2, 0.1), (0.8, 0.3))):
        assert s.female[:H][v == k].mean() == pytest.approx(f, abs=0.03)
        assert s.female_head[:H][v == k].mean() == pytest.approx(h, abs=0.03)
    assert not (s.female_head & ~s.female).any()  # a woman heading a household is its member
    traders = s.role[:H] == 0
    assert (s.occupation[:H][traders] == OCCUPATIONS.index("worker")).mean() == pytest.approx(0.5, abs=0.03)
    assert (s.crop[:H][s.role[:H] == 1] >= 0).all() and (s.crop[:H][s.role[:H] != 1] == -1).all()


def test_a_womens_cooperative_has_only_women_members_after_ten_years():
    model = CooperativeModel(_women_coop(), seed=3)
    s = model.state
    H = s.n_households
    assert s.member[:H].sum() == 40 and s.female[:H][s.member[:H]].all()  # founding members
    frame = model.run(120)
    assert frame["members"].iloc[-1] > 55  # women joined
    assert s.female[:H][s.member[:H]].all()
    assert frame["members_female_share"].eq(1.0).all()
    # the same cooperative without the rule admits men: the test above needs the enforcement
    open_ = CooperativeModel(_women_coop(enforce=False), seed=3)
    open_.run(120)
    assert not open_.state.female[:H][open_.state.member[:H]].all()


def test_a_farm_based_business_rule_and_an_entry_fee_hold_at_joining():
    p = Parameters.from_dict(
        {
            "population": {"households_per_village": 150, "members_per_cooperative": 40, "farmer_share": 0.5},
            "households": {"worker_share": [0.5]},
            "cooperative": {"business_requirement": "farm_based", "entry_fee": [0.5]},
            "participation": {"join_rate": 0.2},
            "information": {"initial_informed": 1.0},
            "metrics": QUIET,
        }
    )
    model = CooperativeModel(p, seed=4)
    s = model.state
    H = s.n_households
    before = s.savings_mandatory[:H].copy()
    model.run(60)
    occ = s.occupation[:H][s.member[:H]]
    assert s.member[:H].sum() > 60
    assert np.isin(occ, [OCCUPATIONS.index("farmer"), OCCUPATIONS.index("umkm")]).all()
    joined = s.member[:H] & (before == 0)
    assert joined.any() and (s.savings_mandatory[:H][joined] >= 0.5 - 1e-9).all()  # paid the simpanan pokok


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '[parameters.cooperative]\neligible_occupations = ["fisher"]\n',
            "parameters.cooperative.eligible_occupations[0]: 'fisher' is not an occupation; allowed: 'farmer'",
        ),
        ("[parameters.cooperative]\nentry_fee = [-0.1]\n", "parameters.cooperative.entry_fee[0]: -0.1 is not a number"),
        (
            '[parameters.cooperative]\neligible_sex = "female"\n[parameters.households]\nfemale_share = [0.0]\n'
            "female_head_share = [0.0]\n",
            "parameters.cooperative: no household satisfies the eligibility rules",
        ),
        (
            '[parameters.cooperative]\neligible_occupations = ["worker"]\n',
            "parameters.cooperative: no household satisfies the eligibility rules",
        ),
        (
            '[parameters.cooperative]\ntype = "womens"\n',
            "parameters.cooperative.eligible_sex: 'any': a women's cooperative",
        ),
        (
            '[parameters.cooperative]\nbusiness_requirement = "farms"\n',
            "did you mean 'farm'?",
        ),
        (
            "[parameters.households]\nfemale_share = [0.5, 0.5]\n",
            "parameters.households.female_share: 2 values for 1 villages",
        ),
        (
            "[parameters.households]\ncrops = { rubber = 1, padi = 2 }\n",
            "parameters.households.crops.padi: unknown name; allowed: 'rice'",
        ),
        (
            '[parameters.cooperative]\neligible_sex = "female"\n[parameters.population]\nhouseholds_per_village = 150\n'
            "members_per_cooperative = 100\n",
            "parameters.population.members_per_cooperative: 100 exceeds the households the cooperative's rules admit",
        ),
    ],
)
def test_bad_rules_and_attributes_are_one_line_with_exit_2(tmp_path, table, expected):
    f = tmp_path / "bad.toml"
    f.write_text(table, encoding="utf-8")
    proc = _kopsim("validate", str(f))
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{f}: " in proc.stderr and expected in proc.stderr, proc.stderr


# ---- who starts a tie (item 5) -------------------------------------------------------------------

from kopsim import network as net  # noqa: E402
from kopsim.interventions import Training  # noqa: E402
from kopsim.state import AGENCY, BOARD  # noqa: E402


def test_every_tie_records_its_origin_and_the_metrics_separate_board_sentiment_from_kin():
    p = Parameters.from_dict({"cooperative": {"agency_initiated_share": 1.0}, "metrics": QUIET})
    model = CooperativeModel(p, seed=5, interventions=(Training(start=2, quota=10),))
    ties, s = model.ties, model.state
    assert ties.origin.size == ties.a.size == ties.top_down.size
    kin = (ties.kind == net.SENTIMENT) & (ties.origin == net.ORIGIN_INHERITANCE)
    board_tie = (ties.kind == net.SENTIMENT) & (ties.origin == net.ORIGIN_BOARD)
    assert kin.any() and board_tie.any() and not (kin & board_tie).any()
    on_board = s.office == BOARD
    assert (on_board[ties.a[board_tie]] | on_board[ties.b[board_tie]]).all()
    agency = s.role == AGENCY
    to_agency = agency[ties.a] | agency[ties.b]
    assert ties.top_down[to_agency].all() and (ties.origin[to_agency] == net.ORIGIN_AGENCY).all()
    assert not ties.top_down[~to_agency].any()
    frame = model.run(3)
    first = frame.iloc[0]
    assert first["ties_kin"] == kin.sum()
    assert 0 < first["ties_board_member_sentiment"] <= board_tie.sum()
    linking = ties.layer == net.LINKING
    assert first["linking_agency_started_share"] == pytest.approx((linking & to_agency).sum() / linking.sum())
    # the training in month 2 adds programme ties, started from above
    assert frame["ties_origin_programme"].iloc[0] == 0 < frame["ties_origin_programme"].iloc[-1]
    assert frame["top_down_share"].iloc[-1] > frame["top_down_share"].iloc[0]


def test_members_seeking_their_own_agency_ties_are_not_top_down():
    p = Parameters.from_dict({"cooperative": {"agency_initiated_share": 0.0}, "metrics": QUIET})
    model = CooperativeModel(p, seed=5)
    ties = model.ties
    power = ties.kind == net.POWER
    assert ties.top_down[power].all()  # the ministry's power tie is always top-down
    assert not ties.top_down[~power].any()
    assert model.run(1)["linking_agency_started_share"].iloc[0] == pytest.approx(
        power.sum() / (ties.layer == net.LINKING).sum()
    )


# ---- shipped scenarios with their rules (item 7) ---------------------------------------------------


def test_the_shipped_cases_state_their_real_rules():
    mj = load("mandiri_jaya").params.cooperative
    assert mj.business_requirement == "farm_based"  # members must run a farm-based business
    bmt = load("bmt_trans_ktm_telang").params.cooperative
    assert bmt.type == "sharia_bmt" and bmt.agency_initiated_share == 1.0  # it only receives aid
    kw = load("koperasi_wanita").params.cooperative
    assert kw.type == "womens" and kw.eligible_sex == "female" and kw.entry_fee == [0.05]


def test_mandiri_jaya_members_all_run_a_farm_based_business():
    scen = load("mandiri_jaya")
    model = CooperativeModel(scen.params.replace({"metrics": QUIET}), seed=scen.seed)
    model.run(scen.steps)
    s = model.state
    occ = s.occupation[: s.n_households][s.member[: s.n_households]]
    assert np.isin(occ, [OCCUPATIONS.index("farmer"), OCCUPATIONS.index("umkm")]).all()


def test_bmt_trans_linking_ties_to_agencies_all_start_from_above():
    scen = load("bmt_trans_ktm_telang")
    model = CooperativeModel(scen.params.replace({"metrics": QUIET}), seed=scen.seed, interventions=scen.interventions)
    frame = model.run(12)
    ties, s = model.ties, model.state
    agency = s.role == AGENCY
    to_agency = agency[ties.a] | agency[ties.b]
    assert ties.top_down[to_agency].all()
    assert frame["linking_agency_started_share"].iloc[-1] > 0.1


# ---- business units (item 3) ----------------------------------------------------------------------

from kopsim.units import opens  # noqa: E402

SEWING = {"kind": "workshop", "product": "sewing", "opened_by": "trained_members", "trained_members": 2}


def _with_units(units: list, **extra) -> Parameters:
    return Parameters.from_dict(
        {
            "population": {"households_per_village": 150, "members_per_cooperative": 60},
            "cooperative": {"units": units},
            "skills": {"training_every_months": 0},
            "metrics": QUIET,
            **extra,
        }
    )


def test_trained_members_start_a_sewing_unit_and_members_take_part_in_the_units():
    p = _with_units([{"kind": "shop", "margin": 0.01, "fixed_cost": 0.1}, {**SEWING, "margin": 0.02, "staff": 1}])
    trained = CooperativeModel(p, seed=2, interventions=(Training(start=12, quota=6, gain=0.8),))
    frame = trained.run(24)
    assert (frame["units_open"].iloc[:11] == 1).all()  # the shop from founding; nobody can sew yet
    assert (frame["units_open"].iloc[11:] == 2).all()  # month 12: two members trained -> the workshop
    s = trained.state
    assert s.unit_open.tolist() == [True, True] and s.unit_users[1] > 0
    assert frame["unit_users"].iloc[-1] == s.unit_users.sum() > 0
    assert 0 < frame["unit_users_share"].iloc[-1] <= 1
    np.testing.assert_allclose(s.unit_revenue, s.unit_users * np.array([0.01, 0.02]))
    np.testing.assert_allclose(s.unit_cost, [0.1, 0.1 + 0.5])
    users = s.unit_used[: s.n_households] >= 0
    assert s.member[: s.n_households][users].all()  # only members take part
    # without training nobody reaches the skill: the workshop never opens
    untrained = CooperativeModel(p, seed=2)
    assert (untrained.run(24)["units_open"] == 1).all()


def test_a_programme_opens_its_unit_in_its_month_and_no_units_draw_nothing():
    assert not opens("programme", 6, 5, np.zeros(2), 1).any() and opens("programme", 6, 6, np.zeros(2), 1).all()
    assert opens("trained_members", 0, 1, np.array([1, 2]), 2).tolist() == [False, True]
    a = CooperativeModel(_with_units([]), seed=1).run(6)
    assert "units_open" not in a.columns


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        (
            'kind = "shop"\nfixed_cost = -0.5',
            "parameters.cooperative.units[0].fixed_cost: -0.5 is outside the allowed range",
        ),
        ('kind = "workshop"', "parameters.cooperative.units[0].product: a workshop unit names its product"),
        ('kind = "sawmill"', "parameters.cooperative.units[0].kind: 'sawmill' is not allowed; one of"),
        ('kind = "shop"\ncosts = 1', "parameters.cooperative.units[0].costs: unknown key"),
    ],
)
def test_bad_units_are_one_line_with_exit_2(tmp_path, unit, expected):
    f = tmp_path / "bad.toml"
    f.write_text(f"[[parameters.cooperative.units]]\n{unit}\n", encoding="utf-8")
    proc = _kopsim("validate", str(f))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert expected in proc.stderr, proc.stderr
