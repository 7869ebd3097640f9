"""Pure mechanism functions against analytic limits, hand-computed values and directions."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kopsim import enterprise, finance, governance, information, metrics, skills, trust
from kopsim import network as net
from kopsim import participation as part
from kopsim import reciprocity as recip
from kopsim.parameters import Parameters

DEFAULTS = Parameters()
unit_floats = st.floats(0.0, 1.0, allow_nan=False)


def unit_arrays(size: int):
    return hnp.arrays(float, size, elements=unit_floats)


# ---------------------------------------------------------------- trust
class TestTrust:
    def test_no_experience_leaves_trust_exactly_unchanged(self):
        t = np.array([0.0, 0.1, 0.5, 0.73, 1.0])
        zero = np.zeros_like(t)
        out = trust.update_trust(t, zero, zero, 0.3, 0.7, 0.9)
        np.testing.assert_array_equal(out, t)

    def test_asymmetry_loss_exceeds_gain_at_half(self):
        tp = DEFAULTS.trust
        assert tp.gain_rate < tp.loss_rate
        t = np.array([0.5])
        up = trust.update_trust(t, np.array([1.0]), np.array([0.0]), tp.gain_rate, tp.loss_rate)[0] - 0.5
        down = 0.5 - trust.update_trust(t, np.array([0.0]), np.array([1.0]), tp.gain_rate, tp.loss_rate)[0]
        assert up > 0 and down > 0
        assert down > up
        assert up == pytest.approx(tp.gain_rate * 0.5)
        assert down == pytest.approx(tp.loss_rate * 0.5)

    def test_gain_factor_zero_blocks_gains_but_not_losses(self):
        t = np.array([0.2, 0.5, 0.9])
        out = trust.update_trust(t, np.ones(3), np.zeros(3), 0.5, 0.5, gain_factor=0.0)
        np.testing.assert_array_equal(out, t)
        out = trust.update_trust(t, np.ones(3), np.ones(3), 0.5, 0.5, gain_factor=0.0)
        assert (out < t).all()

    def test_equation_against_hand_computed_value(self):
        # T' = T + a+ g p (1 - T) - a- n T = 0.4 + 0.1*0.8*0.5*0.6 - 0.3*0.1*0.4
        out = trust.update_trust(np.array([0.4]), np.array([0.5]), np.array([0.1]), 0.1, 0.3, 0.8)
        assert out[0] == pytest.approx(0.4 + 0.024 - 0.012, abs=1e-15)

    def test_per_agent_gain_factor_broadcasts(self):
        t = np.full(2, 0.5)
        out = trust.update_trust(t, np.ones(2), np.zeros(2), 0.2, 0.3, np.array([1.0, 0.5]))
        np.testing.assert_allclose(out, [0.6, 0.55])

    @settings(max_examples=60, deadline=None)
    @given(unit_arrays(8), unit_arrays(8), unit_arrays(8), unit_floats, unit_floats, unit_arrays(8))
    def test_results_stay_in_unit_interval(self, t, p, n, a_plus, a_minus, g):
        out = trust.update_trust(t, p, n, a_plus, a_minus, g)
        assert ((out >= 0.0) & (out <= 1.0)).all()

    @settings(max_examples=40, deadline=None)
    @given(unit_arrays(6), unit_arrays(6), st.floats(0.01, 1.0), unit_floats)
    def test_more_positive_experience_never_lowers_trust(self, t, p, a_plus, a_minus):
        n = np.zeros_like(t)
        out = trust.update_trust(t, p, n, a_plus, a_minus)
        assert (out >= t - 1e-15).all()

    def test_rule_gain_factor(self):
        assert trust.rule_gain_factor(1.0, 1.0) == 1.0
        assert trust.rule_gain_factor(0.0, 1.0) == 0.0
        assert trust.rule_gain_factor(1.0, 0.0) == 0.0
        assert trust.rule_gain_factor(0.7, 0.5) == pytest.approx(0.35)
        np.testing.assert_allclose(trust.rule_gain_factor(np.array([0.5, 1.0]), np.array([0.5, 0.2])), [0.25, 0.2])

    def test_trust_levels_boundaries_and_shares(self):
        t = np.array([0.0, 0.32, 1 / 3, 0.5, 2 / 3, 0.9, 1.0, 0.1])
        low, med, high = trust.trust_levels(t, 1 / 3, 2 / 3)
        # below low: 0.0, 0.32, 0.1; at low -> medium; at high -> high
        assert low == pytest.approx(3 / 8)
        assert med == pytest.approx(2 / 8)
        assert high == pytest.approx(3 / 8)
        assert low + med + high == pytest.approx(1.0)

    def test_trust_levels_empty_is_nan(self):
        assert all(math.isnan(v) for v in trust.trust_levels(np.zeros(0), 0.3, 0.6))

    @settings(max_examples=40, deadline=None)
    @given(hnp.arrays(float, st.integers(1, 30), elements=unit_floats), unit_floats, unit_floats)
    def test_trust_levels_sum_to_one(self, t, a, b):
        low_t, high_t = min(a, b), max(a, b)
        shares = trust.trust_levels(t, low_t, high_t)
        # medium is 1 - low - high, so it may be off by float rounding (see report), never more
        assert all(-1e-12 <= s <= 1.0 + 1e-12 for s in shares)
        assert shares[1] == pytest.approx(np.mean((t >= low_t) & (t < high_t)), abs=1e-12)
        assert sum(shares) == pytest.approx(1.0)
        assert shares[0] == pytest.approx(np.mean(t < low_t))
        assert shares[2] == pytest.approx(np.mean(t >= high_t))


# ---------------------------------------------------------------- reciprocity
class TestReciprocity:
    def test_all_weights_zero_gives_the_norm(self):
        rng = np.random.default_rng(0)
        t, r, d = rng.random(20), rng.random(20), rng.random(20)
        for h in (0.1, 0.5, 0.85):
            p = recip.help_probability(t, r, d, h, 0.0, 0.0, 0.0)
            np.testing.assert_allclose(p, h, rtol=1e-12)

    def test_average_partner_gives_the_norm(self):
        half = np.full(3, 0.5)
        p = recip.help_probability(half, half, half, 0.7, 3.0, 4.0, 5.0)
        np.testing.assert_allclose(p, 0.7)

    @pytest.mark.parametrize("which", [0, 1, 2])
    def test_increasing_in_trust_image_and_last_action(self, which):
        grid = np.linspace(0.0, 1.0, 11)
        args = [np.full(11, 0.5), np.full(11, 0.5), np.full(11, 0.5)]
        args[which] = grid
        p = recip.help_probability(*args, 0.6, 2.0, 2.0, 2.0)
        assert (np.diff(p) > 0).all()
        # the weight of that motive alone being zero removes the effect
        weights = [2.0, 2.0, 2.0]
        weights[which] = 0.0
        flat = recip.help_probability(*args, 0.6, *weights)
        np.testing.assert_allclose(flat, flat[0])

    def test_exchange_experiences_exact_counts(self):
        # ties (0,1), (0,2), (1,3); agent 4 has no contact
        a, b = np.array([0, 0, 1]), np.array([1, 2, 3])
        a_helped = np.array([True, False, True])
        b_helped = np.array([True, True, False])
        pos, neg, gave, cnt = recip.exchange_experiences(5, a, b, a_helped, b_helped)
        np.testing.assert_array_equal(cnt, [2, 2, 1, 1, 0])
        # received: 0 from 1 and 2 (2 of 2); 1 from 0 (1 of 2); 2 none (0 of 1); 3 from 1 (1 of 1)
        np.testing.assert_allclose(pos, [1.0, 0.5, 0.0, 1.0, 0.0])
        np.testing.assert_allclose(neg, [0.0, 0.5, 1.0, 0.0, 0.0])
        # given: 0 helped 1 (1 of 2); 1 helped 0 and 3 (2 of 2); 2 helped 0 (1 of 1); 3 none
        np.testing.assert_allclose(gave, [0.5, 1.0, 1.0, 0.0, 0.0])

    def test_update_image(self):
        image = np.array([0.2, 0.5, 0.9])
        gave = np.array([1.0, 0.0, 0.0])
        cnt = np.array([3.0, 0.0, 1.0])
        out = recip.update_image(image, gave, cnt, 0.25)
        np.testing.assert_allclose(out, [0.2 + 0.25 * 0.8, 0.5, 0.9 - 0.25 * 0.9])
        # no contact: unchanged exactly, whatever the rate
        assert recip.update_image(image, gave, np.zeros(3), 1.0).tolist() == image.tolist()

    def test_reciprocity_rate(self):
        a = np.array([True, True, False, False])
        b = np.array([True, False, True, False])
        assert recip.reciprocity_rate(a, b) == 0.25
        assert recip.reciprocity_rate(np.ones(3, bool), np.ones(3, bool)) == 1.0
        assert math.isnan(recip.reciprocity_rate(np.zeros(0, bool), np.zeros(0, bool)))


# ---------------------------------------------------------------- participation
class TestParticipation:
    def _target(self, benefit=0.5, cost=0.5, norm=0.5, trust_=0.5, bw=3.0):
        return part.target_propensity(
            np.array([-1.0]),
            np.array([[benefit]]),
            np.array([[norm]]),
            np.array([[trust_]]),
            np.array([cost]),
            bw,
            1.5,
            1.0,
        )[0, 0]

    def test_more_benefit_strictly_raises_target(self):
        values = [self._target(benefit=b) for b in np.linspace(0.0, 1.0, 6)]
        assert (np.diff(values) > 0).all()

    def test_more_cost_strictly_lowers_target(self):
        values = [self._target(cost=c) for c in np.linspace(0.0, 3.0, 6)]
        assert (np.diff(values) < 0).all()

    def test_norm_and_trust_raise_target(self):
        assert self._target(norm=0.9) > self._target(norm=0.1)
        assert self._target(trust_=0.9) > self._target(trust_=0.1)

    def test_zero_benefit_weight_makes_benefit_irrelevant(self):
        assert self._target(benefit=0.0, bw=0.0) == self._target(benefit=1.0, bw=0.0)

    def test_target_is_logistic_of_linear_index(self):
        x = -1.0 - 0.5 + 3.0 * 0.5 + 1.5 * 0.5 + 1.0 * 0.5
        assert self._target() == pytest.approx(1.0 / (1.0 + math.exp(-x)))

    def test_target_broadcasts_over_domains(self):
        out = part.target_propensity(
            np.array([-1.0, -1.2, -0.6]),
            np.full((4, 1), 0.5),
            np.full((4, 3), 0.5),
            np.full((4, 1), 0.5),
            np.array([0.8, 0.5, 0.6]),
            3.0,
            1.5,
            1.0,
        )
        assert out.shape == (4, 3)
        assert ((out > 0) & (out < 1)).all()

    def test_adjust_limits(self):
        cur, tgt = np.array([0.2, 0.9]), np.array([0.8, 0.1])
        np.testing.assert_array_equal(part.adjust(cur, tgt, 0.0), cur)
        np.testing.assert_allclose(part.adjust(cur, tgt, 1.0), tgt)
        np.testing.assert_allclose(part.adjust(cur, tgt, 0.25), [0.35, 0.7])

    def test_update_benefit_mask_semantics(self):
        b = np.array([0.5, 0.5, 0.2])
        obs = np.array([1.0, 0.0, 1.0])
        mask = np.array([True, False, True])
        out = part.update_benefit(b, obs, mask, 0.5)
        np.testing.assert_allclose(out, [0.75, 0.5, 0.6])
        np.testing.assert_array_equal(part.update_benefit(b, obs, np.zeros(3, bool), 1.0), b)
        np.testing.assert_allclose(part.update_benefit(b, obs, np.ones(3, bool), 1.0), obs)

    def test_update_benefit_scalar_observation(self):
        out = part.update_benefit(np.array([0.0, 0.4]), 1.0, np.array([True, False]), 0.1)
        np.testing.assert_allclose(out, [0.1, 0.4])

    def test_neighbour_mean_hand_computed(self):
        # 0-1 (w 1), 0-2 (w 3), 1-2 (w 2); 3 isolated
        a, b, w = np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([1.0, 3.0, 2.0])
        v = np.array([0.0, 1.0, 0.5, 0.7])
        out = part.neighbour_mean(4, a, b, w, v)
        np.testing.assert_allclose(
            out, [(1 * 1.0 + 3 * 0.5) / 4, (1 * 0.0 + 2 * 0.5) / 3, (3 * 0.0 + 2 * 1.0) / 5, 0.7]
        )

    def test_neighbour_mean_2d_matches_columns(self):
        rng = np.random.default_rng(3)
        a, b, w = np.array([0, 1, 2]), np.array([1, 2, 4]), rng.random(3) + 0.1
        v = rng.random((6, 3))
        out = part.neighbour_mean(6, a, b, w, v)
        for k in range(3):
            np.testing.assert_allclose(out[:, k], part.neighbour_mean(6, a, b, w, v[:, k]))
        np.testing.assert_array_equal(out[3], v[3])  # isolated: own value
        np.testing.assert_array_equal(out[5], v[5])


# ---------------------------------------------------------------- governance
class TestGovernance:
    def test_free_riders(self):
        p = np.array([0.1, 0.1, 0.3, 0.25])
        mem = np.array([True, False, True, True])
        np.testing.assert_array_equal(governance.free_riders(p, mem, 0.25), [True, False, False, False])

    def test_sanction_mask_limits(self):
        rng = np.random.default_rng(0)
        riders = np.array([True, False, True, True] * 50)
        clarity = np.ones(riders.size)
        assert not governance.sanction_mask(rng, riders, clarity, 0.0).any()
        assert not governance.sanction_mask(rng, riders, np.zeros(riders.size), 1.0).any()
        np.testing.assert_array_equal(governance.sanction_mask(rng, riders, clarity, 1.0), riders)
        m = governance.sanction_mask(np.random.default_rng(1), np.ones(20_000, bool), np.full(20_000, 0.5), 0.6)
        assert m.mean() == pytest.approx(0.3, abs=0.02)

    def test_apply_sanction(self):
        p = np.array([0.0, 0.2, 0.5])
        out = governance.apply_sanction(p, np.array([True, True, False]), 0.5)
        np.testing.assert_allclose(out, [0.5, 0.6, 0.5])

    def test_free_ride_experience_shares(self):
        coop = np.array([0, 0, 0, 0, 1, 1, 0])
        mem = np.array([True, True, True, True, True, True, False])
        riders = np.array([True, True, False, False, False, False, False])
        sanctioned = np.array([True, False, False, False, False, False, False])
        out = governance.free_ride_experience(coop, riders, sanctioned, mem, 2, 2.0)
        # coop 0: 1 unpunished of 4 members -> 2 * 0.25 = 0.5; coop 1: none; non-member: 0
        np.testing.assert_allclose(out, [0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0])
        capped = governance.free_ride_experience(coop, riders, sanctioned, mem, 2, 10.0)
        assert capped.max() == 1.0

    def test_board_willingness(self):
        assert governance.board_willingness(np.array([0.5]), np.array([0.5]), np.array([1.0]), 0.0)[0] == pytest.approx(
            0.5
        )
        grid = np.linspace(0, 1, 5)
        half = np.full(5, 0.5)
        assert (np.diff(governance.board_willingness(grid, half, half, 1.2)) > 0).all()
        costs = [governance.board_willingness(half, half, half, h)[0] for h in (0.0, 0.5, 1.2, 5.0)]
        assert (np.diff(costs) < 0).all()

    def test_elect_board_highest_reputation_wins(self):
        rng = np.random.default_rng(0)
        candidates = np.array([1, 3, 4, 6, 8])
        reputation = np.array([0.0, 0.3, 0.0, 0.9, 0.1, 0.0, 0.8, 0.0, 0.5, 0.99])  # 9 is not a candidate
        will = np.ones(10)
        elected = governance.elect_board(rng, candidates, will, reputation, 2)
        assert sorted(elected.tolist()) == [3, 6]

    @settings(max_examples=30, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.integers(0, 8), unit_floats)
    def test_elect_board_at_most_seats_and_only_candidates(self, seed, seats, w):
        rng = np.random.default_rng(seed)
        candidates = np.flatnonzero(rng.random(30) < 0.5)
        elected = governance.elect_board(rng, candidates, np.full(30, w), rng.random(30), seats)
        assert elected.size <= seats
        assert set(elected.tolist()) <= set(candidates.tolist())
        assert np.unique(elected).size == elected.size

    def test_elect_board_nobody_willing(self):
        out = governance.elect_board(np.random.default_rng(0), np.arange(5), np.zeros(5), np.ones(5), 3)
        assert out.size == 0


# ---------------------------------------------------------------- finance
class TestFinance:
    def test_transfer_conserves_total(self):
        rng = np.random.default_rng(0)
        hh, coops = rng.random(50) * 10, rng.random(3) * 100
        payer, payee = rng.integers(0, 50, 200), rng.integers(0, 3, 200)
        amount = rng.random(200)
        h2, c2 = finance.transfer(hh, coops, payer, payee, amount)
        assert np.isclose(h2.sum() + c2.sum(), hh.sum() + coops.sum(), rtol=0, atol=1e-9)
        np.testing.assert_allclose(c2 - coops, np.bincount(payee, amount, minlength=3))
        np.testing.assert_allclose(hh - h2, np.bincount(payer, amount, minlength=50))

    def test_move_conserves_total(self):
        rng = np.random.default_rng(1)
        cash = rng.random(20)
        out = finance.move(cash, rng.integers(0, 20, 100), rng.integers(0, 20, 100), rng.random(100))
        assert np.isclose(out.sum(), cash.sum(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            finance.move(cash, np.array([0]), np.array([1]), np.array([0.25])), cash + np.r_[-0.25, 0.25, np.zeros(18)]
        )

    def test_flat_instalment(self):
        p, i = finance.flat_instalment(np.array([12.0, 6.0]), 0.02, 12)
        np.testing.assert_allclose(p, [1.0, 0.5])
        np.testing.assert_allclose(i, [0.24, 0.12])

    def test_full_term_loan_conserves_money_and_pays_term_times_interest(self):
        term, rate, principal = 12, 0.02, np.array([12.0])
        borrower, lender = np.array([10.0]), np.array([100.0])
        total0 = borrower.sum() + lender.sum()
        lender, borrower = finance.transfer(lender, borrower, np.array([0]), np.array([0]), principal)
        outstanding = principal.copy()
        p_part, i_part = finance.flat_instalment(principal, rate, term)
        for _ in range(term):
            paid, outstanding, missed = finance.repay(borrower, outstanding, p_part, i_part, np.array([True]))
            assert not missed.any()
            borrower, lender = finance.transfer(borrower, lender, np.array([0]), np.array([0]), paid)
            assert np.isclose(borrower.sum() + lender.sum(), total0)
        assert outstanding[0] == 0.0
        assert lender[0] == pytest.approx(100.0 + term * principal[0] * rate)
        # a closed loan asks nothing more
        paid, _, missed = finance.repay(borrower, outstanding, p_part, i_part, np.array([True]))
        assert paid[0] == 0.0 and not missed[0]

    def test_repay_insufficient_cash_or_unwilling_is_missed(self):
        cash = np.array([0.5, 10.0, 10.0, 10.0])
        out = np.array([5.0, 5.0, 5.0, 0.0])
        p_part, i_part = np.full(4, 1.0), np.full(4, 0.1)
        willing = np.array([True, False, True, True])
        paid, left, missed = finance.repay(cash, out, p_part, i_part, willing)
        np.testing.assert_allclose(paid, [0.0, 0.0, 1.1, 0.0])
        np.testing.assert_allclose(left, [5.0, 5.0, 4.0, 0.0])
        np.testing.assert_array_equal(missed, [True, True, False, False])

    def test_repay_last_instalment_capped_at_outstanding(self):
        paid, left, missed = finance.repay(
            np.array([5.0]), np.array([0.4]), np.array([1.0]), np.array([0.1]), np.array([True])
        )
        assert paid[0] == pytest.approx(0.5)
        assert left[0] == 0.0 and not missed[0]

    def test_approval_probability(self):
        tied = np.array([0.0, 1.0])
        np.testing.assert_allclose(finance.approval_probability(0.9, 0.8, np.ones(2), tied), [0.9, 0.9])
        unfair = finance.approval_probability(0.9, 0.5, np.zeros(2), tied)
        np.testing.assert_allclose(unfair, [0.45, 0.9])
        np.testing.assert_allclose(finance.approval_probability(0.9, 0.0, np.zeros(2), tied), [0.9, 0.9])

    def test_ration_by_liquidity_hand_case(self):
        group = np.array([0, 0, 1, 1, 0])
        amount = np.array([1.0, 2.0, 3.0, 1.0, 1.0])
        available = np.array([2.5, 3.5])
        key = np.array([0.1, 0.2, 0.3, 0.4, 0.05])
        # group 0 in key order: #4 (1), #0 (2), #1 (4 > 2.5); group 1: #2 (3), #3 (4 > 3.5)
        granted = finance.ration_by_liquidity(group, amount, available, key)
        np.testing.assert_array_equal(granted, [True, False, True, False, True])
        assert finance.ration_by_liquidity(group[:0], amount[:0], available, key[:0]).size == 0

    @settings(max_examples=50, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 4))
    def test_ration_by_liquidity_never_exceeds_available(self, seed, k, n_groups):
        rng = np.random.default_rng(seed)
        group = rng.integers(0, n_groups, k)
        amount = rng.random(k) * 5
        available = rng.random(n_groups) * 20
        granted = finance.ration_by_liquidity(group, amount, available, rng.random(k))
        lent = np.bincount(group[granted], amount[granted], minlength=n_groups)
        assert (lent <= available + 1e-9).all()
        # equal requests: exactly as many as fit are granted
        equal = finance.ration_by_liquidity(group, np.ones(k), available, rng.random(k))
        counts = np.bincount(group, minlength=n_groups)
        expected = np.minimum(counts, np.floor(available + 1e-12))
        np.testing.assert_array_equal(np.bincount(group[equal], minlength=n_groups), expected)

    def test_shu_payout_pools_and_non_members(self):
        coop = np.array([0, 0, 0, 1, 1, 0, 2])
        mem = np.array([True, True, True, True, True, False, False])
        capital = np.array([1.0, 2.0, 3.0, 1.0, 1.0, 50.0, 5.0])
        trans = np.array([0.0, 1.0, 3.0, 2.0, 0.0, 9.0, 1.0])
        surplus = np.array([10.0, -5.0, 8.0])
        out = finance.shu_payout(surplus, coop, mem, capital, trans, 0.6, 0.4)
        assert out[0:3].sum() == pytest.approx(0.6 * 10.0)
        assert out[3:5].sum() == 0.0  # loss: nothing to share
        assert out[5] == 0.0 and out[6] == 0.0  # non-members get nothing
        # member 0: 0.4 * 6 * 1/6 + 0.6 * 6 * 0/4
        assert out[0] == pytest.approx(0.4)

    def test_shu_payout_proportional_to_capital(self):
        coop = np.zeros(4, dtype=np.int64)
        mem = np.array([True, True, True, False])
        capital = np.array([1.0, 3.0, 6.0, 100.0])
        out = finance.shu_payout(np.array([20.0]), coop, mem, capital, np.array([5.0, 0.0, 0.0, 1.0]), 0.5, 1.0)
        np.testing.assert_allclose(out, [1.0, 3.0, 6.0, 0.0])

    def test_shu_payout_zero_basis_paid_equally(self):
        coop = np.zeros(3, dtype=np.int64)
        out = finance.shu_payout(np.array([9.0]), coop, np.ones(3, bool), np.zeros(3), np.zeros(3), 1.0, 1.0)
        np.testing.assert_allclose(out, [3.0, 3.0, 3.0])

    @settings(max_examples=40, deadline=None)
    @given(st.integers(0, 2**32 - 1), unit_floats, unit_floats)
    def test_shu_payout_sums_to_pool(self, seed, member_share, capital_share):
        rng = np.random.default_rng(seed)
        n, n_c = 30, 3
        coop = rng.integers(0, n_c, n)
        mem = rng.random(n) < 0.6
        surplus = rng.normal(5.0, 10.0, n_c)
        out = finance.shu_payout(
            surplus, coop, mem, rng.random(n) * (rng.random(n) < 0.7), rng.random(n), member_share, capital_share
        )
        assert (out >= 0).all()
        assert (out[~mem] == 0).all()
        for c in range(n_c):
            expected = member_share * max(surplus[c], 0.0) if (mem & (coop == c)).any() else 0.0
            assert out[coop == c].sum() == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------- enterprise
class TestEnterprise:
    def test_weather_mean_is_multiplier(self):
        f = enterprise.weather(np.random.default_rng(42), 200_000, 0.25, 0.7)
        assert f.mean() == pytest.approx(0.7, rel=0.005)
        assert (f > 0).all()

    def test_weather_without_spread_is_multiplier(self):
        np.testing.assert_allclose(enterprise.weather(np.random.default_rng(0), 5, 0.0, 1.3), 1.3)

    def test_harvest(self):
        out = enterprise.harvest(np.array([1.0, 2.0, 0.0]), np.array([0.5, 2.0]), np.array([0, 1, 1]))
        np.testing.assert_allclose(out, [0.5, 4.0, 0.0])

    def test_supply_fill_limits(self):
        out = enterprise.supply_fill(np.array([0.0, 5.0, 20.0, 3.0]), np.array([10.0, 10.0, 10.0, 0.0]))
        np.testing.assert_allclose(out, [0.0, 0.5, 1.0, 1.0])

    def test_umkm_output(self):
        cap, skill = np.array([4.0, 4.0, 2.0]), np.array([0.0, 1.0, 0.5])
        np.testing.assert_array_equal(enterprise.umkm_output(cap, skill, np.zeros(3)), 0.0)
        np.testing.assert_allclose(enterprise.umkm_output(cap, skill, np.ones(3)), [2.0, 4.0, 1.5])

    def test_sales_revenue_channel_premiums(self):
        out = np.full(4, 10.0)
        shop = np.array([False, True, False, True])
        partner = np.array([0.0, 0.0, 1.0, 0.5])
        rev, via_shop = enterprise.sales_revenue(out, 2.0, shop, partner, 0.1, 0.25)
        # local, shop, partner, half partner half shop
        np.testing.assert_allclose(rev, [20.0, 22.0, 25.0, 2.0 * (5 * 1.25 + 5 * 1.1)])
        np.testing.assert_allclose(via_shop, [0.0, 22.0, 0.0, 11.0])


# ---------------------------------------------------------------- information
class TestInformation:
    def test_no_exposure_no_broadcast_no_learning(self):
        np.testing.assert_array_equal(information.learn_probability(np.zeros(4), 0.5, np.zeros(4)), 0.0)

    def test_learn_probability_formula_and_monotone(self):
        e = np.linspace(0, 5, 11)
        p = information.learn_probability(e, 0.3, np.full(11, 0.1))
        assert (np.diff(p) > 0).all()
        assert ((p > 0) & (p < 1)).all()
        np.testing.assert_allclose(p, 1 - np.exp(-(0.3 * e + 0.1)))
        assert information.learn_probability(np.zeros(2), 0.3, np.array([0.0, 0.2])) == pytest.approx(
            [0.0, 1 - math.exp(-0.2)]
        )

    def test_exposure_counts(self):
        a, b = np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3])
        w = np.array([1.0, 0.5, 2.0, 1.0])
        informed = np.array([False, True, True, False])
        # 0: informed 1 (w 1) and 2 (w 0.5); 1 and 2: only uninformed contacts; 3: informed 1 (w 2), 2 (w 1)
        np.testing.assert_allclose(information.exposure(5, a, b, w, informed), [1.5, 0.0, 0.0, 3.0, 0.0])


# ---------------------------------------------------------------- skills
class TestSkills:
    def test_train_formula(self):
        s = np.array([0.2, 0.5, 1.0])
        out = skills.train(s, np.array([True, False, True]), 0.4)
        np.testing.assert_allclose(out, [0.2 + 0.4 * 0.8, 0.5, 1.0])

    def test_peer_teaching_hand_case(self):
        s = np.array([0.2, 0.8, 0.5, 0.1])
        out = skills.peer_teaching(4, s, np.array([0, 0]), np.array([1, 2]), 0.5)
        # 0 meets 1 (0.8) and 2 (0.5): best 0.8; 1 and 2 only meet a worse teacher; 3 meets nobody
        np.testing.assert_allclose(out, [0.5, 0.8, 0.5, 0.1])

    @settings(max_examples=40, deadline=None)
    @given(st.integers(0, 2**32 - 1), unit_floats)
    def test_peer_teaching_bounded_by_best_neighbour(self, seed, rate):
        rng = np.random.default_rng(seed)
        n = 15
        s = rng.random(n)
        a, b = rng.integers(0, n, 20), rng.integers(0, n, 20)
        out = skills.peer_teaching(n, s, a, b, rate)
        best = s.copy()
        for i, j in zip(a, b, strict=True):
            best[i], best[j] = max(best[i], s[j]), max(best[j], s[i])
        assert (out <= best + 1e-12).all()
        assert (out >= s - 1e-12).all()
        assert ((out >= 0) & (out <= 1)).all()

    def test_fade_toward_baseline_not_below(self):
        s, base = np.array([0.8, 0.3, 0.5]), np.array([0.4, 0.3, 0.6])
        np.testing.assert_allclose(skills.fade(s, base, 0.25), [0.7, 0.3, 0.5])
        np.testing.assert_allclose(skills.fade(s, base, 1.0), [0.4, 0.3, 0.5])
        faded = s
        for _ in range(200):
            faded = skills.fade(faded, base, 0.3)
        assert (faded >= np.minimum(s, base) - 1e-12).all()
        np.testing.assert_allclose(faded[0], 0.4)

    def test_fade_per_agent_rate(self):
        out = skills.fade(np.array([1.0, 1.0]), np.zeros(2), np.array([0.1, 0.025]))
        np.testing.assert_allclose(out, [0.9, 0.975])

    def _select(self, rule, quota, seed=0):
        age = np.array([60.0, 30.0, 50.0, 70.0, 40.0, 58.0])
        wealth = np.array([5.0, 1.0, 9.0, 0.5, 3.0, 2.0])
        tie = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
        eligible = np.arange(6)
        return skills.select_trainees(np.random.default_rng(seed), eligible, quota, rule, age, 55.0, wealth, tie)

    @pytest.mark.parametrize("rule", ["random", "productive_age", "board_choice", "neediest"])
    def test_select_trainees_quota(self, rule):
        for quota in (0, 1, 3, 6, 10):
            out = self._select(rule, quota)
            assert out.size == min(quota, 6)
            assert np.unique(out).size == out.size

    def test_select_trainees_productive_age_first(self):
        for seed in range(20):
            assert set(self._select("productive_age", 2, seed).tolist()) <= {1, 2, 4}
            assert set(self._select("productive_age", 3, seed).tolist()) == {1, 2, 4}

    def test_select_trainees_neediest_poorest_first(self):
        assert self._select("neediest", 3).tolist() == [3, 1, 5]

    def test_select_trainees_board_choice(self):
        for seed in range(10):
            assert set(self._select("board_choice", 2, seed).tolist()) == {2, 3}

    def test_select_trainees_only_eligible(self):
        eligible = np.array([1, 4])
        out = skills.select_trainees(
            np.random.default_rng(0), eligible, 5, "random", np.zeros(6), 55.0, np.zeros(6), np.zeros(6)
        )
        assert sorted(out.tolist()) == [1, 4]


# ---------------------------------------------------------------- network
class TestNetwork:
    def test_make_ties_orders_endpoints(self):
        t = net.make_ties(np.array([5, 1, 3]), np.array([2, 4, 3]), net.BONDING, net.SENTIMENT, 0.4, born=7)
        assert t.a.tolist() == [2, 1, 3] and t.b.tolist() == [5, 4, 3]
        assert (t.strength == 0.4).all() and (t.born == 7).all() and (t.reach == 1).all()
        assert (t.last_ab == 0.5).all() and (t.last_ba == 0.5).all()
        assert len(t) == 3

    def test_deduplicate(self):
        n = 10
        t = net.make_ties(np.array([0, 1, 2, 1, 2, 4]), np.array([1, 0, 2, 3, 3, 5]), 0, 0, 0.5)
        existing = np.sort(np.array([1 * n + 3, 7 * n + 8]))
        out = net.deduplicate(t, n, existing)
        assert list(zip(out.a.tolist(), out.b.tolist(), strict=True)) == [(0, 1), (2, 3), (4, 5)]
        out = net.deduplicate(t, n)
        assert list(zip(out.a.tolist(), out.b.tolist(), strict=True)) == [(0, 1), (1, 3), (2, 3), (4, 5)]

    def test_classify_layer(self):
        layer = net.classify_layer(
            np.array([0, 0, 1, 2]),
            np.array([0, 1, 1, 2]),
            np.array([False, False, True, False]),
            np.array([False, False, False, True]),
        )
        assert layer.tolist() == [net.BONDING, net.BRIDGING, net.LINKING, net.LINKING]

    def test_reinforce_and_decay(self):
        w = np.array([0.5, 0.5, 0.8, 0.8])
        active = np.array([True, False, True, False])
        perm = np.array([False, False, True, True])
        out = net.reinforce_and_decay(w, active, perm, 0.2, 0.1)
        np.testing.assert_allclose(out, [0.6, 0.45, 0.8, 0.8])

    def test_reach_and_contacts(self):
        assert net.reach(np.array([0.0]), 10.0)[0] == 1.0
        assert (np.diff(net.reach(np.linspace(0, 50, 6), 10.0)) < 0).all()
        rng = np.random.default_rng(0)
        assert net.contacts(rng, np.ones(100), np.ones(100), 1.0).all()
        assert not net.contacts(rng, np.ones(100), np.ones(100), 0.0).any()
        assert not net.contacts(rng, np.zeros(100), np.ones(100), 1.0).any()

    def test_adjacency_index(self):
        indptr, nbrs = net.adjacency_index(5, np.array([0, 0, 2]), np.array([1, 2, 3]))
        got = [sorted(nbrs[indptr[i] : indptr[i + 1]].tolist()) for i in range(5)]
        assert got == [[1, 2], [0], [0, 3], [2], []]

    def test_propose_triadic_picks_two_neighbours_of_a_broker(self):
        # a star centred on 0: only 0 can broker
        indptr, nbrs = net.adjacency_index(6, np.zeros(5, dtype=np.int64), np.arange(1, 6))
        j, k = net.propose_triadic(np.random.default_rng(0), 50, indptr, nbrs, np.ones(6, bool))
        assert j.size == 50 and set(j.tolist()) <= {1, 2, 3, 4, 5} and set(k.tolist()) <= {1, 2, 3, 4, 5}
        j, k = net.propose_triadic(np.random.default_rng(0), 50, indptr, nbrs, np.array([False] + [True] * 5))
        assert j.size == 0

    def test_propose_proximity_bridging_share(self):
        village = np.repeat(np.arange(3), 10)
        start, size = np.arange(3) * 10, np.full(3, 10)
        i, j = net.propose_proximity(np.random.default_rng(0), 200, np.arange(30), village, start, size, 0.0)
        assert (village[i] == village[j]).all()
        i, j = net.propose_proximity(np.random.default_rng(0), 200, np.arange(30), village, start, size, 1.0)
        assert (village[i] != village[j]).all()

    def test_acceptance_decreasing(self):
        d = np.linspace(0, 1, 6)
        assert (np.diff(net.acceptance(d, np.zeros(6), 2.0, 10.0)) < 0).all()
        assert (np.diff(net.acceptance(np.zeros(6), d * 30, 2.0, 10.0)) < 0).all()
        assert net.acceptance(np.zeros(1), np.zeros(1), 2.0, 10.0)[0] == 1.0
        np.testing.assert_allclose(net.acceptance(np.array([0.5]), np.array([10.0]), 2.0, 10.0), math.exp(-2.0))


# ---------------------------------------------------------------- network metrics
class TestNetworkMetrics:
    def test_clustering_matches_networkx(self):
        g = nx.gnm_random_graph(40, 90, seed=1)
        a = np.array([min(e) for e in g.edges])
        b = np.array([max(e) for e in g.edges])
        assert metrics.clustering(40, a, b) == pytest.approx(nx.average_clustering(g))
        # a triangle plus an isolated node: 3 of 4 nodes fully clustered
        assert metrics.clustering(4, np.array([0, 0, 1]), np.array([1, 2, 2])) == pytest.approx(0.75)
        assert metrics.clustering(3, np.zeros(0, np.int64), np.zeros(0, np.int64)) == 0.0

    def test_board_betweenness_exact_matches_networkx(self):
        g = nx.path_graph(5)
        ties = net.make_ties(np.arange(4), np.arange(1, 5), 0, 0, 0.5)
        bc = nx.betweenness_centrality(g)
        got = metrics.board_betweenness(5, ties.a, ties.b, np.array([1, 2]), 100, 0)
        assert got == pytest.approx((bc[1] + bc[2]) / 2)
        assert math.isnan(metrics.board_betweenness(5, ties.a, ties.b, np.zeros(0, np.int64), 100, 0))
