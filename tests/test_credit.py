"""Credit and governance completed (issue #10 item 5): default and write-off, the tengkulak
market, village engagement into cooperative credit, supervisors, office-held ties and what
non-members hear and see.

Every comparison is at model level under common random numbers (replication i of both arms
uses seed i), so a mechanism cut out of the model, or its sign flipped, makes a test fail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from kopsim import CooperativeModel, finance, moneylenders
from kopsim import interventions as iv
from kopsim.scenario import load

SEEDS = (0, 1, 2)
OFF = {"metrics.network_every": 0, "metrics.centrality_every": 0}
# four years of zero harvest and an 80% price drop, from month 12
SHOCKS = (iv.HarvestFailure(start=12, end=59, factor=0.0), iv.PriceDrop(start=12, end=59, factor=0.2))
# board misconduct from month 24 to 59 (unless the supervisors find it)
LONG_MISCONDUCT = (iv.BoardScandal(start=24, end=59),)
UNDETECTED = {"governance.detection_probability": 0.0}


def runs(
    scenario: str, months: int, overrides: dict[str, Any] | None = None, extra: tuple[iv.Intervention, ...] = ()
) -> list[Any]:
    """The metrics frame of each seed of SEEDS for a shipped scenario with overrides and extra interventions."""
    scen = load(scenario)
    params = scen.params.replace({**OFF, **(overrides or {})})
    return [
        CooperativeModel(params, seed=seed, interventions=tuple(scen.interventions) + extra).run(months)
        for seed in SEEDS
    ]


def window(frames: list[Any], column: str, first: int, last: int, how: str = "mean") -> np.ndarray:
    """Per seed: the mean (or sum) of ``column`` over months first..last (1-based, inclusive)."""
    cut = [f[column].iloc[first - 1 : last] for f in frames]
    return np.array([c.sum() if how == "sum" else c.mean() for c in cut])


# ---- pure functions ---------------------------------------------------------------------
def test_repayment_falls_with_the_income_shortfall():
    basis = np.array([2.0, 2.0, 2.0, 0.0])
    income = np.array([2.5, 2.0, 1.0, 1.0])
    short = finance.income_shortfall(income, basis)
    assert np.allclose(short, [0.0, 0.0, 0.5, 0.0])
    p = finance.repayment_probability(0.9, short, 1.5)
    assert np.allclose(p, [0.9, 0.9, 0.9 * 0.25, 0.9])
    assert finance.repayment_probability(0.9, np.array([1.0]), 1.5)[0] == 0.0


def test_default_after_n_missed_instalments_and_members_experience_it():
    arrears = np.array([0, 2, 3, 5, 3])
    outstanding = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    assert finance.in_default(arrears, outstanding, 3).tolist() == [False, False, True, True, False]
    coop = np.array([0, 0, 0, 0, 1, 1])
    defaulted = np.array([True, False, False, False, False, False])
    member = np.ones(6, dtype=bool)
    harm, share = finance.default_experience(coop, defaulted, member, 2, 2.0)
    assert np.allclose(share, [0.25, 0.0])
    assert np.allclose(harm, [0.5] * 4 + [0.0] * 2)


def test_the_choice_of_lender_follows_rate_trust_and_participation():
    base = dict(constant=0.0, rate_weight=2.0, trust_weight=4.0, participation_weight=4.0)
    p = moneylenders.coop_choice_probability(
        np.array([0.02, 0.2, 0.02, 0.02]), 0.1, np.array([0.9, 0.9, 0.2, 0.9]), np.array([0.9, 0.9, 0.9, 0.1]), **base
    )
    assert p[0] > p[1] and p[0] > p[2] and p[0] > p[3]
    lender = moneylenders.pick_lender(np.array([10, 20, -1]), 3, np.array([0.0, 0.999, 0.5]))
    assert lender.tolist() == [10, 22, -1]
    assert moneylenders.may_borrow(np.array([-1, 5, 6]), 5).tolist() == [True, True, False]


# ---- 1. default and write-off -------------------------------------------------------------
@pytest.fixture(scope="module")
def shock_runs() -> tuple[list[Any], list[Any]]:
    return runs("baseline", 60), runs("baseline", 60, extra=SHOCKS)


def test_income_shocks_raise_arrears_and_defaults_and_lower_institutional_trust(shock_runs):
    base, shock = shock_runs
    arrears = window(shock, "arrears_share", 13, 60) - window(base, "arrears_share", 13, 60)
    defaults = window(shock, "defaults", 13, 60, "sum") - window(base, "defaults", 13, 60, "sum")
    written = np.array(
        [s["written_off"].iloc[-1] - b["written_off"].iloc[-1] for b, s in zip(base, shock, strict=True)]
    )
    trust = window(shock, "trust_institution_mean", 13, 60) - window(base, "trust_institution_mean", 13, 60)
    assert (arrears > 0.01).all(), arrears
    assert (defaults >= 10).all(), defaults
    assert (written > 0).all(), written
    assert (trust < -0.03).all(), trust


def test_shocks_reach_arrears_through_income_not_chance(shock_runs):
    """With repayment insensitive to the income shortfall the shock's extra defaults mostly vanish."""
    base, shock = shock_runs
    flat = runs("baseline", 60, {"finance.shortfall_sensitivity": 0.0}, SHOCKS)
    with_path = window(shock, "defaults", 13, 60, "sum") - window(base, "defaults", 13, 60, "sum")
    without = window(flat, "defaults", 13, 60, "sum") - window(base, "defaults", 13, 60, "sum")
    assert with_path.mean() > 2 * max(without.mean(), 1.0), (with_path, without)


def test_defaults_erode_fellow_members_institutional_trust(shock_runs):
    _, shock = shock_runs
    unharmed = runs("baseline", 60, {"finance.default_harm": 0.0}, SHOCKS)
    diff = window(shock, "trust_institution_mean", 13, 60) - window(unharmed, "trust_institution_mean", 13, 60)
    assert (diff < -0.03).all(), diff


def test_a_defaulter_loses_access_and_the_write_off_is_the_cooperatives_loss():
    scen = load("baseline")
    model = CooperativeModel(scen.params.replace(OFF), seed=3, interventions=SHOCKS)
    s = model.state
    H = s.n_households
    seen_exclusion = False
    for _ in range(30):
        model.step()
        excluded = s.coop_excluded_until[:H] > model.world.t
        seen_exclusion |= bool(excluded.any())
        assert (s.coop_loan[:H][excluded] == 0).all()  # no new cooperative loan while excluded
    assert seen_exclusion
    assert s.coop_written_off.sum() > 0


# ---- 3. village engagement brings needy households into cooperative credit -------------------
@pytest.fixture(scope="module")
def village_runs() -> tuple[list[Any], list[Any]]:
    return runs("village_engagement", 60), runs("village_unengaged", 60)


def test_village_engagement_moves_needy_borrowers_from_the_tengkulak_to_the_cooperative(village_runs):
    engaged, unengaged = village_runs
    ml = window(engaged, "moneylender_borrowers", 13, 60) - window(unengaged, "moneylender_borrowers", 13, 60)
    needy = window(engaged, "needy_coop_borrowers", 13, 60) - window(unengaged, "needy_coop_borrowers", 13, 60)
    assert (ml < 0).all(), ml
    assert (needy > 0).all(), needy


def test_without_credit_referral_engagement_brings_fewer_needy_into_cooperative_credit(village_runs):
    engaged, _ = village_runs
    scen = load("village_engagement")
    params = scen.params.replace(OFF)
    no_referral = tuple(
        iv.VillageEngagement(
            **{
                **{k: getattr(x, k) for k in ("start", "end", "responsiveness", "needy_outreach")},
                "credit_referral": 0.0,
            }
        )
        if isinstance(x, iv.VillageEngagement)
        else x
        for x in scen.interventions
    )
    cut = [CooperativeModel(params, seed=seed, interventions=no_referral).run(60) for seed in SEEDS]
    diff = window(engaged, "needy_coop_borrowers", 13, 60) - window(cut, "needy_coop_borrowers", 13, 60)
    assert (diff > 0).all(), diff
    assert window(engaged, "moneylender_borrowers", 13, 60).mean() < window(cut, "moneylender_borrowers", 13, 60).mean()


# ---- 2. tengkulak in every village, finite cash, competing with the cooperative ---------------
def test_every_moneylender_lends_and_never_beyond_its_cash():
    scen = load("baseline")
    params = scen.params.replace({**OFF, "population.moneylenders_per_village": 3})
    model = CooperativeModel(params, seed=0)
    s = model.state
    lenders = np.flatnonzero(s.role == 4)  # MONEYLENDER
    assert lenders.size == 3 * s.n_villages
    lent_by = np.zeros(s.n, dtype=bool)
    for _ in range(24):
        model.step()
        assert (s.cash[lenders] >= -1e-9).all()
        held = s.ml_lender[: s.n_households][s.ml_loan[: s.n_households] > 0]
        assert (s.village[held] == s.village[np.flatnonzero(s.ml_loan[: s.n_households] > 0)]).all()
        lent_by[held] = True
    assert lent_by[lenders].all()  # every tengkulak lends, not only the first of each village


def test_finite_moneylender_cash_rations_tengkulak_credit():
    scen = load("baseline")
    for seed in SEEDS:
        rich = CooperativeModel(scen.params.replace(OFF), seed=seed).run(3)
        poor = CooperativeModel(scen.params.replace({**OFF, "finance.moneylender_capital": 6.0}), seed=seed).run(3)
        # two loans of Rp 3 M per lender at most in the first month
        assert poor["moneylender_borrowers"].iloc[0] <= 2 * 4
        assert poor["moneylender_borrowers"].iloc[0] < rich["moneylender_borrowers"].iloc[0]


@pytest.mark.parametrize(
    ("overrides", "sign"),
    [
        ({"finance.coop_interest_rate": 0.15}, +1),  # a dearer cooperative loan sends members to the tengkulak
        ({"trust.initial_institution": 0.2}, +1),  # distrust of the cooperative does too
        ({"finance.choice_trust_weight": 0.0}, +1),  # trust (high at baseline) no longer keeps them
        ({"finance.choice_constant": 1.0}, -1),  # a preference for the cooperative keeps them
    ],
    ids=["rate", "trust", "trust-weight", "preference"],
)
def test_members_choose_between_cooperative_and_tengkulak(overrides, sign):
    """With ample cooperative funds (no rationing) the choice of lender alone decides."""
    ample = {"finance.initial_coop_capital": 500.0}
    base = window(runs("baseline", 24, ample), "member_moneylender_borrowers", 1, 24)
    changed = window(runs("baseline", 24, {**ample, **overrides}), "member_moneylender_borrowers", 1, 24)
    assert (sign * (changed - base) > 0).all(), (base, changed)


# ---- 6. non-members' trust moves with what they hear and see; joining follows ---------------
def test_nonmember_experience_is_what_member_contacts_say_and_the_village_sees():
    from kopsim.trust import nonmember_experience

    member = np.array([True, True, False, False, False])
    trust = np.array([0.9, 0.5, 0.0, 0.0, 0.0])
    a, b = np.array([0, 1, 3]), np.array([2, 2, 4])  # 2 hears from members 0 and 1; 3–4 are non-members
    pos, neg = nonmember_experience(5, a, b, member, trust, np.full(5, 0.1), np.full(5, 0.2), 0.5)
    assert np.allclose(pos, [0, 0, 0.5 * 0.7 + 0.1, 0.1, 0.1])
    assert np.allclose(neg, [0, 0, 0.5 * 0.3 + 0.2, 0.2, 0.2])


@pytest.fixture(scope="module")
def scandal_runs() -> tuple[list[Any], list[Any]]:
    return runs("baseline", 60, UNDETECTED), runs("baseline", 60, UNDETECTED, LONG_MISCONDUCT)


def test_a_scandal_lowers_nonmembers_trust_and_joining(scandal_runs):
    base, scandal = scandal_runs
    trust = window(scandal, "trust_institution_nonmembers", 30, 60) - window(
        base, "trust_institution_nonmembers", 30, 60
    )
    assert (trust < -0.1).all(), trust
    members = window(scandal, "members", 60, 60) - window(base, "members", 60, 60)
    assert (members < 0).all(), members


def test_nonmembers_hear_and_see_and_join_on_it(scandal_runs):
    """Cut hearsay and visibility: non-members' trust no longer falls with the scandal, and more join."""
    _, scandal = scandal_runs
    quiet = {**UNDETECTED, "governance.scandal_visibility": 0.0}
    deaf = runs("baseline", 60, {**quiet, "governance.hearsay_weight": 0.0}, LONG_MISCONDUCT)
    unseen = runs("baseline", 60, quiet, LONG_MISCONDUCT)
    heard = window(unseen, "trust_institution_nonmembers", 30, 60) - window(
        deaf, "trust_institution_nonmembers", 30, 60
    )
    seen = window(scandal, "trust_institution_nonmembers", 30, 60) - window(
        unseen, "trust_institution_nonmembers", 30, 60
    )
    assert (heard < 0).all(), heard  # members' scandal experience reaches non-members by word of mouth
    assert (seen < 0).all(), seen  # and the village sees the scandal itself
    joined = window(scandal, "members", 60, 60) - window(deaf, "members", 60, 60)
    assert (joined < 0).all(), joined  # joining depends on non-members' trust


def test_shu_seen_by_the_village_raises_nonmembers_trust():
    hidden = runs("baseline", 60, {"governance.shu_visibility": 0.0})
    shown = runs("baseline", 60)
    diff = window(shown, "trust_institution_nonmembers", 13, 60) - window(
        hidden, "trust_institution_nonmembers", 13, 60
    )
    assert (diff > 0).all(), diff


# ---- 4. supervisors audit and detect board misconduct --------------------------------------
def test_detection_leak_and_reprimand():
    from kopsim import supervision

    p = supervision.detection_probability(np.array([0, 1, 3]), 0.5, 0.5)
    assert np.allclose(p, [0.0, 0.25, 1 - 0.75**3])
    assert np.allclose(supervision.leak(np.array([10.0, 10.0]), np.array([True, False]), 0.1), [1.0, 0.0])
    f = supervision.reprimand(np.array([0.4, 0.4]), np.array([0.8, 0.8]), np.array([True, False]), 0.5)
    assert np.allclose(f, [0.6, 0.4])


@pytest.fixture(scope="module")
def misconduct_runs() -> tuple[list[Any], list[Any]]:
    audited = runs("baseline", 60, extra=LONG_MISCONDUCT)
    blind = runs("baseline", 60, UNDETECTED, LONG_MISCONDUCT)
    return audited, blind


def test_supervisors_detect_misconduct_and_limit_its_damage(misconduct_runs):
    audited, blind = misconduct_runs
    months = window(audited, "misconduct_months", 60, 60) - window(blind, "misconduct_months", 60, 60)
    loss = window(audited, "misconduct_loss", 60, 60) - window(blind, "misconduct_loss", 60, 60)
    board = window(audited, "trust_board_mean", 25, 60) - window(blind, "trust_board_mean", 25, 60)
    institution = window(audited, "trust_institution_mean", 25, 60) - window(blind, "trust_institution_mean", 25, 60)
    assert (months < 0).all() and (loss < 0).all(), (months, loss)
    assert (board > 0.1).all() and (institution > 0.1).all(), (board, institution)


def test_without_supervisors_misconduct_runs_its_full_course(misconduct_runs):
    _, blind = misconduct_runs
    none = runs("baseline", 60, {"population.supervisors": 0}, LONG_MISCONDUCT)
    full = 2 * 36  # two cooperatives, months 24..59
    assert (window(none, "misconduct_months", 60, 60) == full).all()
    assert (window(blind, "misconduct_months", 60, 60) == full).all()


def test_a_reprimand_restores_fairness():
    scen = load("baseline")
    ends = {}
    for restore in (0.0, 0.5):
        params = scen.params.replace({**OFF, "governance.reprimand_restore": restore, "governance.audit_rate": 1.0})
        model = CooperativeModel(params, seed=0, interventions=LONG_MISCONDUCT)
        model.run_steps(40)
        assert model.state.misconduct_detected.all()
        ends[restore] = model.state.fairness.copy()
    assert (ends[0.5] > ends[0.0]).all()


# ---- 5. office-holders' linking ties move with the office ----------------------------------
def _power_holders(model: CooperativeModel) -> np.ndarray:
    from kopsim.network import POWER

    ties, ministry = model.ties, model.state.agency_index["ministry"]
    sel = (ties.kind == POWER) & ((ties.a == ministry) | (ties.b == ministry))
    return np.where(ties.a[sel] == ministry, ties.b[sel], ties.a[sel])


def _after_an_election(seed: int) -> tuple[np.ndarray, CooperativeModel]:
    model = CooperativeModel(load("baseline").params.replace(OFF), seed=seed)
    before = _power_holders(model)
    model.run_steps(40)  # the board elected at month 0 is re-elected at the RAT of month 36
    return before, model


def test_the_ministry_power_tie_moves_to_the_new_chair():
    changed = 0
    for seed in SEEDS:
        before, model = _after_an_election(seed)
        s = model.state
        after = _power_holders(model)
        assert after.size == s.n_coops  # one per cooperative, never lost nor duplicated
        assert (s.office[after] == 1).all() and s.member[after].all()  # held by a board member (BOARD)
        assert sorted(s.coop[after].tolist()) == list(range(s.n_coops))
        changed += int((np.sort(before) != np.sort(after)).sum())
    assert changed > 0  # chairs did change hands at the elections


def test_without_the_hand_over_the_old_chair_keeps_the_power_tie():
    from unittest import mock

    from kopsim import governance

    off_board = 0
    with mock.patch.object(governance, "hand_over_office_ties", lambda world, chairs: None):
        for seed in SEEDS:
            _, model = _after_an_election(seed)
            after = _power_holders(model)
            off_board += int((model.state.office[after] != 1).sum())
    assert off_board > 0


def test_office_ties_follow_the_successor_map():
    from kopsim.governance import office_ties, successors

    succ = successors(6, np.array([1, -1]), np.array([2, 3]))
    assert succ.tolist() == [0, 2, 2, 3, 4, 5]
    office_end = np.array([False, False, False, False, False, True])
    moved = office_ties(np.array([1, 1, 0]), np.array([5, 4, 5]), office_end, succ)
    assert moved.tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"finance": {"default_after_months": 0}}, "finance.default_after_months"),
        ({"finance": {"shortfall_sensitivity": -0.1}}, "finance.shortfall_sensitivity"),
        ({"finance": {"moneylender_capital": -1.0}}, "finance.moneylender_capital"),
        ({"finance": {"choice_trust_weight": 51.0}}, "finance.choice_trust_weight"),
        ({"governance": {"detection_probability": 1.5}}, "governance.detection_probability"),
        ({"governance": {"hearsay_weight": -0.5}}, "governance.hearsay_weight"),
    ],
)
def test_new_parameters_are_validated(overrides, path):
    from kopsim.parameters import ParameterError, Parameters

    with pytest.raises(ParameterError, match=path.replace(".", r"\.") + ".*allowed range"):
        Parameters.from_dict(overrides)
    with pytest.raises(ParameterError, match="credit_referral"):
        iv.VillageEngagement(start=1, credit_referral=2.0)
