"""Every intervention against its counterfactual: the direction of its effect on its target outcome.

Each comparison runs the intervention scenario and its counterfactual with common random
numbers (replication i of both uses seed i) and compares the mean over replications.
"""

from __future__ import annotations

import numpy as np
import pytest

from kopsim import CooperativeModel
from kopsim import interventions as iv
from kopsim.parameters import ParameterError
from kopsim.participation import B_TRAINING
from kopsim.scenario import load

REPLICATIONS = 4
METRICS_OFF = {"metrics.network_every": 0, "metrics.centrality_every": 0}


def outcome(name: str, column: str, month: int, how: str) -> np.ndarray:
    """The outcome of each replication: its value at ``month`` or its mean over months 13..month."""
    scen = load(name)
    params = scen.params.replace(METRICS_OFF)
    values = []
    for seed in range(REPLICATIONS):
        frame = CooperativeModel(params, seed=seed, interventions=scen.interventions).run(month)
        col = frame[column]
        values.append(col.iloc[month - 1] if how == "at" else col.iloc[12:month].mean())
    return np.array(values)


# (scenario, counterfactual, outcome, month, at/mean, expected sign of scenario − counterfactual)
CASES = [
    ("training_follow_up", "training_no_follow_up", "skill_members", 36, "at", +1),
    ("kemitraan_association", "kemitraan_no_association", "partner_ties_in_contact", 18, "at", +1),
    ("village_engagement", "village_unengaged", "information_reach_needy", 18, "at", +1),
    ("harvest_shock", "baseline", "umkm_revenue", 29, "at", -1),
    ("grant", "baseline", "coop_loans_outstanding", 48, "mean", +1),
    ("grant_ending", "baseline", "coop_loans_outstanding", 48, "mean", -1),
    ("subsidised_credit", "baseline", "benefit_loan_satisfaction", 48, "at", +1),
    ("digital_marketing", "baseline", "umkm_revenue", 36, "mean", +1),
    ("market_access", "baseline", "umkm_revenue", 36, "mean", +1),
    ("price_drop", "baseline", "umkm_revenue", 36, "mean", -1),
    ("board_scandal", "baseline", "trust_board_mean", 39, "at", -1),
    ("action_research", "action_research_unmeasured", "trust_institution_mean", 60, "at", +1),
]


@pytest.mark.parametrize(
    ("scenario", "counterfactual", "column", "month", "how", "sign"), CASES, ids=[c[0] for c in CASES]
)
def test_intervention_moves_its_target(scenario, counterfactual, column, month, how, sign):
    treated = outcome(scenario, column, month, how)
    control = outcome(counterfactual, column, month, how)
    diff = treated - control
    assert sign * diff.mean() > 0, (treated, control)
    # common random numbers: the effect shows in most replications, not only on average
    assert np.sum(sign * diff > 0) >= REPLICATIONS - 1, (treated, control)


def test_kemitraan_ties_fade_without_association():
    scen = load("kemitraan_no_association")
    frame = CooperativeModel(scen.params.replace(METRICS_OFF), seed=1, interventions=scen.interventions).run(18)
    assert frame["partner_ties"].iloc[5] > 0  # the event in month 6 made ties
    strength = frame["partner_tie_strength"]
    assert strength.iloc[17] < strength.iloc[6]  # and they weaken without contact


def test_policy_changes_a_parameter_only_while_it_holds():
    policy = iv.Policy(start=3, end=4, set={"finance.coop_interest_rate": 0.5})
    model = CooperativeModel(
        {"population": {"households_per_village": 60, "members_per_cooperative": 40}}, seed=2, interventions=[policy]
    )
    rates = []
    for _ in range(6):
        model.step()
        rates.append(model.p.finance.coop_interest_rate)
    assert rates == [0.02, 0.02, 0.5, 0.5, 0.02, 0.02]


def test_credit_lowers_the_rate_of_new_loans():
    model = CooperativeModel(
        {"population": {"households_per_village": 100, "members_per_cooperative": 80}},
        seed=3,
        interventions=[iv.Credit(start=1, member_rate=0.001)],
    )
    model.run(6)
    s = model.state
    new = s.coop_loan > 0
    assert new.any()
    np.testing.assert_allclose(s.coop_interest_part[new], model.p.finance.loan_size * 0.001)


def test_training_selects_quota_per_cooperative_and_links_provider():
    params = {
        "population": {
            "n_villages": 2,
            "n_cooperatives": 2,
            "households_per_village": 80,
            "members_per_cooperative": 50,
        },
        "skills": {"training_every_months": 0},
    }
    model = CooperativeModel(params, seed=4, interventions=[iv.Training(start=1, quota=7)])
    model.step()
    s = model.state
    trained = np.flatnonzero(s.trained_at == 1)
    assert np.bincount(s.coop[trained], minlength=2).tolist() == [7, 7]
    office = s.agency_index["labour_office"]
    linked = set(model.ties.a[model.ties.b == office].tolist())
    assert set(trained.tolist()) <= linked


def test_only_trainees_judge_a_training_and_follow_up_lasts_its_months():
    params = {"population": {"households_per_village": 80, "members_per_cooperative": 50}}
    training = iv.Training(start=1, quota=5, quality=0.9, follow_up=True, follow_up_months=6)
    model = CooperativeModel(params, seed=2, interventions=[training])
    model.step()
    s = model.state
    H = s.n_households
    trained = s.trained_at[:H] == 1
    members = s.member[:H]
    # trainees (only they) have judged the training, toward its quality; nobody else records a zero
    assert s.benefit_seen[:H, B_TRAINING][members].tolist() == trained[members].tolist()
    assert (s.benefit[:H, B_TRAINING][trained] > 0.5).all()
    assert (s.benefit[:H, B_TRAINING][members & ~trained] == 0.5).all()
    assert (s.follow_up_until[:H][trained] == 7).all() and (s.fade_factor[:H][trained] == 0.25).all()


def test_one_session_of_ten_or_two_of_five_leave_the_untrained_members_benefit_alone():
    params = {"population": {"households_per_village": 80, "members_per_cooperative": 50}}
    for sessions in ([iv.Training(start=1, quota=10)], [iv.Training(start=1, quota=5), iv.Training(start=1, quota=5)]):
        model = CooperativeModel(params, seed=5, interventions=sessions)
        model.step()
        s = model.state
        H = s.n_households
        untrained = s.member[:H] & (s.trained_at[:H] < 0)
        assert not s.benefit_seen[:H, B_TRAINING][untrained].any()
        assert np.count_nonzero(s.trained_at[:H] == 1) == 10


# ---------------------------------------------------------------- timetable and validation
def test_timetable_fires_and_covers():
    once = iv.Training(start=5)
    assert [t for t in range(1, 30) if once.fires(t)] == [5]
    yearly = iv.Training(start=6, every=12, end=30)
    assert [t for t in range(1, 60) if yearly.fires(t)] == [6, 18, 30]
    period = iv.HarvestFailure(start=3, end=5)
    assert [t for t in range(1, 10) if period.active(t)] == [3, 4, 5]
    open_ended = iv.PriceDrop(start=2)
    assert open_ended.active(1000) and not open_ended.active(1)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"kind": "training", "start": 10, "end": 5}, "before start"),
        ({"kind": "trainng"}, "did you mean 'training'"),
        ({"kind": "training", "quotaa": 3}, "did you mean 'quota'"),
        ({"kind": "training", "quota": -1}, "allowed range"),
        ({"kind": "training", "selection": "oldest"}, "one of"),
        ({"kind": "grant", "amount": "lots"}, "expected a number"),
        ({"kind": "policy", "set": {"finance.coop_interest_rate": 2.0}}, "allowed range"),
        ({"kind": "policy", "set": {}}, "parameter overrides"),
        ({"kind": "harvest_failure", "cooperatives": [-1]}, "cooperative indices"),
    ],
)
def test_bad_interventions_raise_named_errors(data, fragment):
    with pytest.raises(ParameterError, match=None) as info:
        iv.from_dict(data)
    assert fragment in str(info.value)


def test_every_kind_documents_every_field():
    rows = iv.describe()
    kinds = {r["kind"] for r in rows}
    assert kinds == set(iv.KINDS)
    assert all(r["description"] for r in rows)
