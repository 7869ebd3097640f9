"""Model level: reproducibility, the metrics table, Mesa idioms, directions and accounting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import small_params

from kopsim import CooperativeModel
from kopsim.agents import Agency, Farmer, Moneylender, Person, Trader, UMKMOwner
from kopsim.state import AGENCY_KINDS, BOARD, FARMER, INSTITUTION, PEER, UMKM, VILLAGE_GOVERNMENT

SEEDS = (0, 1, 2, 3)
DOMAINS = ("participation_organisation", "participation_business", "participation_capital")


def run(overrides=None, seed=0, steps=12) -> tuple[CooperativeModel, pd.DataFrame]:
    model = CooperativeModel(small_params(overrides), seed=seed)
    return model, model.run(steps)


@pytest.fixture(scope="module")
def ran() -> tuple[CooperativeModel, pd.DataFrame]:
    return run(seed=7, steps=24)


# ---------------------------------------------------------------- reproducibility
def test_same_seed_identical_metrics():
    _, a = run(seed=11, steps=14)
    _, b = run(seed=11, steps=14)
    pd.testing.assert_frame_equal(a, b)


def test_same_seed_identical_state():
    m1, _ = run(seed=5, steps=13)
    m2, _ = run(seed=5, steps=13)
    for name in ("trust", "participation", "cash", "skill", "member", "coop_loan"):
        np.testing.assert_array_equal(getattr(m1.state, name), getattr(m2.state, name))
    np.testing.assert_array_equal(m1.ties.a, m2.ties.a)
    np.testing.assert_array_equal(m1.ties.strength, m2.ties.strength)


def test_different_seed_differs():
    _, a = run(seed=11, steps=6)
    _, b = run(seed=12, steps=6)
    assert not a.equals(b)
    assert not np.allclose(a["trust_peer_mean"], b["trust_peer_mean"])


def test_parameters_object_and_mapping_give_same_run():
    from kopsim import Parameters

    _, a = run(seed=3, steps=4)
    b = CooperativeModel(Parameters.from_dict(small_params()), seed=3).run(4)
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------- the metrics table
EXPECTED_COLUMNS = [
    "step",
    "members",
    "membership_share",
    *DOMAINS,
    *(f"trust_{t}_{s}" for t in ("peer", "board", "institution") for s in ("mean", "low", "medium", "high")),
    "reciprocity_rate",
    "savings_mandatory",
    "savings_voluntary",
    "coop_loans_outstanding",
    "moneylender_loans_outstanding",
    "arrears_share",
    "shu_paid",
    "umkm_revenue",
    "skill_mean",
    "information_reach",
    "information_reach_needy",
    "density",
    "clustering",
    "ei_index",
    "linking_share",
    "board_betweenness",
]


def test_metrics_one_row_per_step_with_named_columns(ran):
    model, df = ran
    assert len(df) == 24
    assert df["step"].tolist() == list(range(1, 25))
    missing = [c for c in EXPECTED_COLUMNS if c not in df.columns]
    assert not missing
    # the table is the model's own record, and run() returns it
    pd.testing.assert_frame_equal(df, model.metrics_frame())


def test_metrics_values_are_consistent(ran):
    model, df = ran
    H = model.state.n_households
    np.testing.assert_allclose(df["membership_share"], df["members"] / H)
    for target in ("peer", "board", "institution"):
        shares = df[[f"trust_{target}_{s}" for s in ("low", "medium", "high")]]
        np.testing.assert_allclose(shares.sum(axis=1), 1.0)
        assert ((shares >= -1e-12) & (shares <= 1 + 1e-12)).all().all()
        assert df[f"trust_{target}_mean"].between(0, 1).all()
    for col in (*DOMAINS, "reciprocity_rate", "information_reach", "skill_mean", "arrears_share", "density"):
        assert df[col].between(0, 1).all(), col
    assert df["ei_index"].between(-1, 1).all()
    assert df["information_reach"].between(0, 1).all()


def test_information_lapses_only_with_forgetting():
    # non-members forget (SIS diffusion): reach can fall; without forgetting it never does
    _, kept = run({"information": {"forget_rate": 0.0}}, seed=3, steps=24)
    assert (kept["information_reach"].diff().dropna() >= 0).all()
    _, lapsing = run({"information": {"forget_rate": 0.3}}, seed=3, steps=24)
    assert (lapsing["information_reach"].diff().dropna() < 0).any()
    assert lapsing["information_reach"].iloc[-1] < kept["information_reach"].iloc[-1]


def test_costly_network_metrics_follow_their_schedule():
    _, df = run({"metrics": {"network_every": 5, "centrality_every": 4}}, seed=2, steps=10)
    assert df["clustering"].notna().tolist() == [s == 1 or s % 5 == 0 for s in range(1, 11)]
    assert df["board_betweenness"].notna().tolist() == [s == 1 or s % 4 == 0 for s in range(1, 11)]
    _, never = run({"metrics": {"network_every": 0, "centrality_every": 0}}, seed=2, steps=3)
    assert never["clustering"].isna().all() and never["board_betweenness"].isna().all()


def test_metrics_match_state_after_run(ran):
    model, df = ran
    s = model.state
    H = s.n_households
    last = df.iloc[-1]
    mem = s.member[:H]
    assert last["members"] == mem.sum()
    assert last["trust_peer_mean"] == pytest.approx(s.trust[:H][mem, PEER].mean())
    assert last["coop_loans_outstanding"] == pytest.approx(s.coop_loan[:H].sum())
    assert last["skill_mean"] == pytest.approx(s.skill[:H].mean())
    assert last["information_reach"] == pytest.approx(s.informed[:H].mean())
    assert last["density"] == pytest.approx(2 * len(model.ties) / (s.n * (s.n - 1)))


# ---------------------------------------------------------------- Mesa idioms
def test_agents_and_types(ran):
    model, _ = ran
    s = model.state
    assert len(model.agents) == s.n > 0
    by_type = model.agents_by_type
    for cls in (Farmer, Trader, UMKMOwner, Agency, Moneylender):
        assert cls in by_type and len(by_type[cls]) > 0, cls.__name__
    assert len(by_type[Farmer]) == int((s.role == FARMER).sum())
    assert len(by_type[UMKMOwner]) == int((s.role == UMKM).sum())
    assert len(by_type[Moneylender]) == s.n_villages  # one per village by default
    assert all(s.role[a.idx] == FARMER for a in by_type[Farmer])
    kinds = [a.kind for a in by_type[Agency]]
    assert sorted(k for k in kinds if k != VILLAGE_GOVERNMENT) == sorted(AGENCY_KINDS)
    assert kinds.count(VILLAGE_GOVERNMENT) == s.n_villages
    assert all(model.agent(i).idx == i for i in range(0, s.n, 7))


def test_select_members_matches_state(ran):
    model, _ = ran
    s = model.state
    members = model.agents.select(lambda a: isinstance(a, Person) and a.member)
    assert len(members) == int(s.member.sum()) > 0
    assert sorted(a.idx for a in members) == np.flatnonzero(s.member).tolist()
    assert len(model.members()) == len(members)
    board = model.board()
    assert len(board) == int((s.member & (s.office == BOARD)).sum()) > 0
    assert all(a.office == "board" for a in board)
    farmers = model.agents.select(agent_type=Farmer)
    assert len(farmers) == int((s.role == FARMER).sum())


def test_agent_properties_read_and_write_state():
    model, _ = run(seed=4, steps=2)
    s = model.state
    persons = [a for a in model.agents if isinstance(a, Person)]
    for a in persons[::9]:
        assert a.trust_peer == s.trust[a.idx, PEER]
        assert a.trust_institution == s.trust[a.idx, INSTITUTION]
        assert a.cash == s.cash[a.idx]
        assert a.skill == s.skill[a.idx]
        assert a.member == bool(s.member[a.idx])
        assert a.participation_business == s.participation[a.idx, 1]
        assert a.perceived_benefit == pytest.approx(s.benefit[a.idx].mean())
        assert a.office is None or a.member
    a = persons[3]
    a.trust_peer = 0.123
    a.cash = 42.0
    a.skill = 0.9
    a.participation_capital = 0.77
    assert s.trust[a.idx, PEER] == 0.123
    assert s.cash[a.idx] == 42.0
    assert s.skill[a.idx] == 0.9
    assert s.participation[a.idx, 2] == 0.77
    # AgentSet.get reads the same arrays
    skills_ = model.agents.select(agent_type=Farmer).get("skill")
    idx = [a.idx for a in model.agents.select(agent_type=Farmer)]
    np.testing.assert_allclose(skills_, s.skill[idx])


def test_agent_writes_reach_the_mechanisms():
    """Setting an agent attribute changes what the vectorised step sees."""
    model, _ = run(seed=4, steps=1)
    s = model.state
    H = s.n_households
    non_members = [model.agent(i) for i in np.flatnonzero(~s.member[:H])]
    for a in non_members:
        a.member = True
    assert s.member[:H].all()
    model.step()
    assert model.metrics_frame()["members"].iloc[-1] >= H - 5  # exits are rare in one month


# ---------------------------------------------------------------- directions
def mean_over_seeds(overrides, column, steps, last=12):
    return float(np.mean([run(overrides, seed, steps)[1][column].iloc[-last:].mean() for seed in SEEDS]))


def test_benefit_weight_raises_participation():
    def participation(bw):
        values = []
        for seed in SEEDS:
            _, df = run({"participation": {"benefit_weight": bw}}, seed, 24)
            values.append(df[list(DOMAINS)].iloc[-12:].to_numpy().mean())
        return np.mean(values)

    assert participation(6.0) > participation(0.5) + 0.05


def test_higher_loss_rate_lowers_trust():
    low = mean_over_seeds({"trust": {"loss_rate": 0.05}}, "trust_peer_mean", 24)
    high = mean_over_seeds({"trust": {"loss_rate": 0.8}}, "trust_peer_mean", 24)
    assert high < low - 0.05


def test_follow_up_keeps_more_skill():
    # common random numbers: same seed with and without follow-up
    for seed in SEEDS[:3]:
        _, without = run({"skills": {"follow_up": False, "training_every_months": 12}}, seed, 36)
        _, with_ = run({"skills": {"follow_up": True, "training_every_months": 12}}, seed, 36)
        assert with_["skill_mean"].iloc[-1] > without["skill_mean"].iloc[-1]
        # before the first training the runs are the same
        assert with_["skill_mean"].iloc[10] == without["skill_mean"].iloc[10]


def test_training_raises_skill_in_training_month():
    _, df = run(
        {"skills": {"training_every_months": 6, "training_quota": 30, "peer_teaching_rate": 0.0}}, seed=1, steps=7
    )
    jump = df["skill_mean"].diff()
    assert jump.iloc[5] > 3 * abs(jump.iloc[1:5]).max()  # month 6 is a Diklat


def test_harvest_failure_lowers_umkm_revenue():
    normal = mean_over_seeds({"enterprise": {"harvest_multiplier": 1.0}}, "umkm_revenue", 12)
    failure = mean_over_seeds({"enterprise": {"harvest_multiplier": 0.3}}, "umkm_revenue", 12)
    assert failure < 0.8 * normal


def test_responsive_village_government_reaches_needy():
    def reach(r):
        values = [
            run({"population": {"village_government_responsiveness": r}}, seed, 12)[1]["information_reach_needy"].iloc[
                -1
            ]
            for seed in SEEDS
        ]
        return np.mean(values)

    assert reach(1.0) > reach(0.0) + 0.05


def test_shu_paid_at_rat_month():
    for rat_month in (12, 3):
        model, df = run(
            {"finance": {"operating_cost": 0.0}, "governance": {"rat_month": rat_month}}, seed=1, steps=rat_month
        )
        shu = df["shu_paid"].to_numpy()
        assert (shu[:-1] == 0).all()
        assert shu[-1] > 0
        assert shu[-1] == pytest.approx(model.state.shu_paid.sum())
        assert model.state.coop_surplus.sum() == 0.0  # the surplus is shared out and reset


def test_shu_not_paid_from_a_loss():
    _, df = run({"finance": {"operating_cost": 50.0}}, seed=1, steps=12)
    assert (df["shu_paid"] == 0).all()


# ---------------------------------------------------------------- money and membership accounting
NEUTRAL = {
    "finance": {"operating_cost": 0.0, "cash_spending_rate": 0.0, "consumption_share": 1.0, "loan_need_rate": 0.3},
    "enterprise": {"shop_margin": 0.0},
}


@pytest.mark.parametrize("seed", [0, 1])
def test_money_conserved_when_sources_and_sinks_are_off(seed):
    """With income, spending, shop margins and running costs neutralised, every flow is a transfer."""
    model = CooperativeModel(small_params(NEUTRAL), seed=seed)
    total = model.state.money_total()
    for _ in range(26):  # includes two RATs (SHU), loans, repayments, moneylender loans, exits
        model.step()
        assert model.state.money_total() == pytest.approx(total, rel=1e-12, abs=1e-9)
    df = model.metrics_frame()
    assert df["coop_loans_outstanding"].max() > 0
    assert df["moneylender_loans_outstanding"].max() > 0
    assert df["shu_paid"].max() > 0


def test_operating_cost_is_the_only_leak():
    over = {"finance": dict(NEUTRAL["finance"], operating_cost=0.5), "enterprise": NEUTRAL["enterprise"]}
    model = CooperativeModel(small_params(over), seed=0)
    for _ in range(6):
        before = model.state.money_total()
        model.step()
        assert before - model.state.money_total() == pytest.approx(0.5 * model.state.n_coops, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 9])
def test_members_counted_once_and_no_negative_money(seed):
    model, df = run({"finance": {"loan_need_rate": 0.3}}, seed=seed, steps=24)
    s = model.state
    H = s.n_households
    assert df["members"].iloc[-1] == s.member[:H].sum()
    assert not s.member[H:].any()
    for name in ("cash", "savings_mandatory", "savings_voluntary", "coop_loan", "ml_loan"):
        assert (getattr(s, name) >= -1e-9).all(), name
    assert (s.coop_cash >= -1e-9).all()
    assert ((s.trust >= 0) & (s.trust <= 1)).all()
    assert ((s.participation >= 0) & (s.participation <= 1)).all()
    assert (s.participation[H:] == 0).all() and (s.participation[:H][~s.member[:H]] == 0).all()


# ---- Mesa used for real ------------------------------------------------------------------------
def test_mesa_batch_run_reads_the_datacollector():
    import mesa

    rows = mesa.batch_run(
        CooperativeModel, parameters={"params": [small_params()], "seed": [3, 4]}, max_steps=4, display_progress=False
    )
    final = [r for r in rows if r["Step"] == 4]
    assert len(final) == 2
    for row in final:
        frame = CooperativeModel(small_params(), seed=row["seed"]).run(4)
        assert row["members"] == frame["members"].iloc[-1]
        assert row["trust_institution_mean"] == frame["trust_institution_mean"].iloc[-1]


def test_datacollector_has_month_zero_and_every_month():
    model = CooperativeModel(small_params(), seed=2)
    model.run(3)
    table = model.datacollector.get_model_vars_dataframe()
    assert len(table) == 4  # months 0..3
    frame = model.metrics_frame()
    assert list(frame["step"]) == [1, 2, 3]
    assert (table["members"].iloc[1:].to_numpy() == frame["members"].to_numpy()).all()


def test_agents_have_no_silent_step():
    model = CooperativeModel(small_params(), seed=1)
    with pytest.raises(TypeError, match="vectorised"):
        model.agents.shuffle_do("step")


def test_agent_views_use_the_state_names():
    from kopsim.state import State

    fields = set(State.__dataclass_fields__)
    for cls in (Person, Farmer, UMKMOwner, Moneylender):
        for name in dir(cls):
            attr = getattr(cls, name)
            doc = getattr(attr, "__doc__", "") or ""
            if isinstance(attr, property) and attr.fget.__qualname__.startswith("_array"):
                assert name in fields, f"{cls.__name__}.{name} is not a state array name ({doc})"


def test_views_are_made_only_when_read():
    model = CooperativeModel(small_params(), seed=1)
    model.run(2)
    assert not model._views  # a run never needs them
    assert len(model.agents) == model.state.n


def test_a_finished_model_is_garbage_collected():
    # Mesa 3.3 keeps every model whose agents it numbered (Agent._ids); kopsim makes agent views only
    # when they are read, so thousands of runs in one process (a sweep, a calibration) hold no memory.
    import gc
    import weakref

    model = CooperativeModel(small_params(), seed=1)
    model.run(2)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
