"""CooperativeModel: the Mesa model composing every mechanism; one step = one month.

Process order within a month (see docs/ODD.md, "Process overview and scheduling"):

0. interventions — this month's conditions reset to neutral, then every active
   intervention applies (state changes, conditions such as harvest or price factors);
1. livelihoods — weather, harvests, UMKM production and sales, income, consumption;
2. savings — mandatory and voluntary deposits;
3. credit — repayments and arrears of running loans, then loan needs, applications to the
   cooperative, board approval, liquidity, the moneylender; the cooperative's operating cost;
4. contacts — ties used this month; exchanges (reciprocity), reputation, peer trust,
   peer teaching, information diffusion;
5. governance — free-riding and sanction;
6. service experience, then trust in the board and the institution (perceived-benefit
   items are updated where each is experienced: income in 1, loans in 3, relations in 4,
   service in 6, training in 9);
7. participation in the three domains;
8. membership — joining by informed households, exits;
9. training (Diklat) on its timetable, skill fading;
10. network dynamics — strengthening, decay, dissolution, formation;
11. the RAT in its month — attendance, SHU, willingness to serve, board elections;
12. metrics.

All random draws come from ``self.rng`` (``mesa.Model``'s seeded numpy Generator), in a
fixed order, so the same parameters and seed give identical results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import enterprise, finance, governance, information, metrics, population, skills, trust
from . import network as net
from . import participation as part
from . import reciprocity as recip
from .agents import Agency, Farmer, Moneylender, PartnerFirm, Trader, UMKMOwner
from .interventions import Intervention, Kemitraan
from .parameters import Parameters
from .state import (
    AGENCY,
    BOARD,
    BOARD_TRUST,
    BUSINESS,
    CAPITAL,
    FARMER,
    INSTITUTION,
    MONEYLENDER,
    NO_OFFICE,
    ORGANISATION,
    PARTNER,
    PEER,
    SUPERVISOR,
    TRADER,
    UMKM,
    Conditions,
)

# Neighbour lists for triadic closure are rebuilt when the tie count moves by more than this.
ADJACENCY_TOLERANCE = 0.01

# Columns of State.benefit (participation.BENEFIT_ITEMS).
B_LOANS, B_INCOME, B_LOAN_SAT, B_SERVICE, B_TRAINING, B_PEERS, B_BOARD = range(7)

_AGENT_CLASS = {TRADER: Trader, FARMER: Farmer, UMKM: UMKMOwner, AGENCY: Agency, MONEYLENDER: Moneylender,
                PARTNER: PartnerFirm}


class CooperativeModel(mesa.Model):
    """Social capital in cooperatives (koperasi) and small enterprises (UMKM).

    Parameters
    ----------
    params:
        A :class:`~simulation.parameters.Parameters`, a nested mapping of overrides
        ``{group: {name: value}}``, or None for the defaults.
    seed:
        Seed of the model's numpy Generator (``self.rng``); same seed, same run.
    interventions:
        Programmes and shocks (:mod:`kopsim.interventions`) applied on their timetables.
    replicates:
        Independent copies of the world simulated together as one array program (a
        vectorised batch; the ``worlds`` of :func:`kopsim.population.build`): replicate r is
        cooperative r·C … r·C + C − 1 (C = ``population.n_cooperatives``). A batch keeps no
        pooled metrics (survey or read each replicate: :mod:`kopsim.batch`), takes no
        interventions and creates no Mesa agent views (``model.agents`` is empty).

    After ``step()`` the month's outcomes are in :meth:`metrics_frame`.
    """

    def __init__(
        self,
        params: Parameters | Mapping[str, Any] | None = None,
        seed: int | None = None,
        interventions: Sequence[Intervention] = (),
        replicates: int = 1,
    ) -> None:
        if replicates < 1:
            raise ValueError(f"replicates: {replicates}; allowed: at least 1")
        if replicates > 1 and interventions:
            raise ValueError("a batch of replicates takes no interventions; run the replicates one by one")
        if params is None:
            params = Parameters()
        elif not isinstance(params, Parameters):
            params = Parameters.from_dict(params)
        super().__init__(rng=seed)
        self.seed = seed
        self.base_params = params
        self.p = params
        self.interventions = tuple(interventions)
        pools = [iv for iv in self.interventions if isinstance(iv, Kemitraan)]
        self.replicates = replicates
        self.state, ties = population.build(params, self.rng,
                                            tuple((iv.partner_pool, iv.distance_km) for iv in pools), replicates)
        s = self.state
        start = s.n - sum(iv.partner_pool for iv in pools)
        self._partner_pools: dict[int, np.ndarray] = {}
        for iv in pools:
            self._partner_pools[id(iv)] = np.arange(start, start + iv.partner_pool)
            start += iv.partner_pool
        for iv in self.interventions:
            iv.validate_for(self)
        institutional = s.institutional
        dist = np.hypot(s.x[ties.a] - s.x[ties.b], s.y[ties.a] - s.y[ties.b])
        ties.reach = np.where(institutional[ties.a] | institutional[ties.b], 1.0,
                              net.reach(dist, params.network.proximity_scale_km))
        self.ties = ties
        self._ties_changed()
        # one seed for sampled network metrics, drawn once so metric timing cannot shift the run
        self.metric_seed = int(self.rng.integers(2**31 - 1))
        self.last_reciprocity = float("nan")
        self.last_free_rider_share = 0.0
        self.last_shu = 0.0
        self._last_election = 0
        self.conditions = Conditions.neutral(s)
        # what interventions need to remember between months (e.g. levels before a programme)
        self.intervention_memory: dict[int, Any] = {}
        self._rows: list[dict[str, Any]] = []
        # agent objects are thin views: created once, never in the step; a batch of
        # replicates is an array program only (tens of thousands of views would cost more
        # than its runs)
        for i in range(s.n if replicates == 1 else 0):
            _AGENT_CLASS[int(s.role[i])](self, i)
        self._by_idx = sorted(self.agents, key=lambda a: a.idx)
        self._update_willingness()

    # ---- convenience views -------------------------------------------------------------
    def agent(self, idx: int) -> mesa.Agent:
        """The Mesa agent at state index ``idx``."""
        return self._by_idx[idx]

    def members(self) -> mesa.agent.AgentSet:
        """Current members (anggota) as an AgentSet."""
        member = self.state.member
        return self.agents.select(lambda a: bool(member[a.idx]))

    def board(self) -> mesa.agent.AgentSet:
        """Current board members (pengurus) as an AgentSet."""
        office, member = self.state.office, self.state.member
        return self.agents.select(lambda a: bool(member[a.idx]) and office[a.idx] == BOARD)

    def metrics_frame(self) -> pd.DataFrame:
        """Tidy table of outcomes: one row per step, one named column per outcome."""
        if self.replicates > 1:
            raise ValueError("a batch of replicates keeps no pooled metrics; read each replicate "
                             "(simulation.batch) or run the replicates one by one")
        return pd.DataFrame(self._rows)

    def run_steps(self, steps: int) -> None:
        """Run ``steps`` months (a batch of replicates too; :meth:`run` also returns the metrics)."""
        for _ in range(steps):
            self.step()

    def run(self, steps: int) -> pd.DataFrame:
        """Run ``steps`` months and return :meth:`metrics_frame`."""
        for _ in range(steps):
            self.step()
        return self.metrics_frame()

    # ---- the month ---------------------------------------------------------------------
    def step(self) -> None:
        t = self.steps  # already incremented by mesa.Model
        self.last_shu = 0.0  # SHU is paid only in the RAT month
        self.conditions = Conditions.neutral(self.state)
        self.p = self.base_params
        for iv in self.interventions:
            if iv.active(t):
                iv.apply(self, t)
                self._refresh_board_tie()  # the next programme, and credit, read it
        self._livelihoods()
        self._savings()
        self._credit()
        used = self._contacts()
        riders, sanctioned = self._governance()
        self._institutional_trust(riders, sanctioned)
        self._participation()
        self._membership()
        self._training(t)
        self._network_dynamics(t, used)
        if t % 12 == self.p.governance.rat_month % 12:
            self._rat(t)
        self._refresh_board_tie()
        if self.replicates == 1:
            self._rows.append(metrics.collect(self))

    # 1. livelihoods
    def _livelihoods(self) -> None:
        s, ep, fp = self.state, self.p.enterprise, self.p.finance
        H = s.n_households
        v = s.village[:H]
        cond = self.conditions
        factor = enterprise.weather(self.rng, s.n_villages, ep.weather_sigma, ep.harvest_multiplier) * cond.harvest
        s.harvest[:H] = enterprise.harvest(s.farm_capacity[:H], factor, v)
        supply = np.bincount(v, s.harvest[:H] * ep.supply_share, minlength=s.n_villages)
        demand = np.bincount(v, s.umkm_capacity[:H] * ep.input_share, minlength=s.n_villages)
        fill = enterprise.supply_fill(supply, demand)
        output = enterprise.umkm_output(s.umkm_capacity[:H], s.skill[:H], fill[v])
        shop = s.member[:H] & cond.shop_open[s.coop[:H]] & (self.rng.random(H) < s.participation[:H, BUSINESS])
        partner = np.minimum(1.0, ep.partner_offtake * self._partner_strength()[:H])
        revenue, shop_sales = enterprise.sales_revenue(output, ep.price_index * cond.price[s.coop[:H]], shop, partner,
                                                       ep.shop_premium, ep.partner_premium, cond.premium[:H])
        s.revenue[:H] = revenue
        margin = shop_sales * ep.shop_margin
        s.coop_surplus += np.bincount(s.coop[:H], margin, minlength=s.n_coops)
        s.coop_cash += np.bincount(s.coop[:H], margin, minlength=s.n_coops)
        s.transactions_year[:H] += shop_sales
        income = (fp.base_income + s.harvest[:H] + revenue - output * ep.input_share - margin
                  + fp.loan_return * (s.coop_loan[:H] + s.ml_loan[:H]))
        s.income[:H] = income
        spend = fp.cash_spending_rate * s.cash[:H]
        s.cash[:H] = np.maximum(s.cash[:H] - spend + (1.0 - fp.consumption_share) * income, 0.0)
        # perceived income increase: 0.5 = as before, → 1 well above the household's reference
        rel = (income - s.income_ref[:H]) / np.maximum(s.income_ref[:H], 1e-9)
        observed = np.clip(0.5 + rel, 0.0, 1.0)
        self._observe(B_INCOME, observed, s.member[:H])
        s.income_ref[:H] += self.p.participation.benefit_memory * (income - s.income_ref[:H])

    # 2. savings
    def _savings(self) -> None:
        s, fp = self.state, self.p.finance
        H = s.n_households
        mem = s.member[:H]
        pcap = s.participation[:H, CAPITAL]
        u = self.rng.random((2, H))
        mand = mem & (u[0] < fp.mandatory_compliance + (1 - fp.mandatory_compliance) * pcap) & (
            s.cash[:H] >= fp.mandatory_saving)
        amount_m = np.where(mand, fp.mandatory_saving, 0.0)
        vol = mem & (u[1] < pcap)
        amount_v = np.where(vol, fp.voluntary_saving_share * (s.cash[:H] - amount_m), 0.0)
        c = np.maximum(s.coop[:H], 0)
        # withdrawals of voluntary savings, as far as the cooperative's cash allows
        want = fp.withdrawal_rate * s.savings_voluntary[:H]
        owed = np.bincount(c, want, minlength=s.n_coops)
        out = want * np.minimum(1.0, s.coop_cash / np.maximum(owed, 1e-12))[c]
        s.savings_mandatory[:H] += amount_m
        s.savings_voluntary[:H] += amount_v - out
        s.cash[:H], s.coop_cash = finance.transfer(s.cash[:H], s.coop_cash, np.arange(H), c,
                                                   amount_m + amount_v - out)
        self._saved = mand | vol

    # 3. credit
    def _credit(self) -> None:
        s, fp, rng = self.state, self.p.finance, self.rng
        H = s.n_households
        idx = np.arange(H)
        c = s.coop[:H]
        ml = s.moneylender_of[s.village[:H]]
        # instalments of running loans (a loan paid out this month is first due next month)
        willing = rng.random((2, H)) < fp.repayment_discipline
        paid, left, missed = finance.repay(s.cash[:H], s.coop_loan[:H], s.coop_principal_part[:H],
                                           s.coop_interest_part[:H], willing[0])
        interest = np.where(paid > 0, s.coop_interest_part[:H], 0.0)
        s.cash[:H], s.coop_cash = finance.transfer(s.cash[:H], s.coop_cash, idx, c, paid)
        s.coop_surplus += np.bincount(c, interest, minlength=s.n_coops)
        s.transactions_year[:H] += interest
        s.coop_loan[:H] = left
        s.coop_arrears[:H] = np.where(missed, s.coop_arrears[:H] + 1, np.where(paid > 0, 0, s.coop_arrears[:H]))
        # satisfaction with a loan: how much cheaper it is than the tengkulak; none when in arrears
        loan_sat = np.where(paid > 0, 1.0 - s.coop_loan_rate[:H] / max(fp.moneylender_interest_rate, 1e-9), 0.0)
        self._observe(B_LOAN_SAT, np.clip(loan_sat, 0.0, 1.0), ((paid > 0) | missed) & s.member[:H])
        repaid = paid > 0
        if s.ml_loan[:H].any():
            paid, left, missed = finance.repay(s.cash[:H], s.ml_loan[:H], s.ml_principal_part[:H],
                                               s.ml_interest_part[:H], willing[1])
            has = paid > 0
            s.cash = finance.move(s.cash, idx[has], ml[has], paid[has])
            s.ml_loan[:H] = left
            s.ml_arrears[:H] = np.where(missed, s.ml_arrears[:H] + 1, np.where(has, 0, s.ml_arrears[:H]))
        # new loans: need, application, the board's decision, the cooperative's liquidity
        mem = s.member[:H]
        no_loan = (s.coop_loan[:H] <= 0) & (s.ml_loan[:H] <= 0)
        u = rng.random((5, H))
        need = no_loan & (u[0] < fp.loan_need_rate)
        apply = need & mem & s.informed[:H] & (u[1] < s.participation[:H, BUSINESS])
        fair = s.fairness[c]
        p_ok = finance.approval_probability(fp.approval_rate, fp.favouritism, fair, s.board_tie[:H])
        approved = apply & (u[2] < p_ok)
        amount = fp.loan_size * np.ones(H)
        cand = np.flatnonzero(approved)
        savings = np.bincount(c, s.savings_mandatory[:H] + s.savings_voluntary[:H], minlength=s.n_coops)
        lendable = np.maximum(s.coop_cash - fp.liquidity_reserve * savings, 0.0)
        liquid = finance.ration_by_liquidity(c[cand], amount[cand], lendable, u[3][cand])
        granted = np.zeros(H, dtype=bool)
        granted[cand[liquid]] = True
        s.cash[:H], s.coop_cash = self._disburse_coop(granted, amount)
        s.coop_principal_part[:H] = np.where(granted, fp.loan_size / fp.loan_term_months, s.coop_principal_part[:H])
        scheme = self.conditions.coop_rate[c]
        rate = np.where(np.isnan(scheme), fp.coop_interest_rate, scheme)
        s.coop_loan_rate[:H] = np.where(granted, rate, s.coop_loan_rate[:H])
        s.coop_interest_part[:H] = np.where(granted, fp.loan_size * rate, s.coop_interest_part[:H])
        # the tengkulak: for non-members, the refused and those who did not apply
        to_ml = need & ~granted & (ml >= 0) & (u[4] < fp.moneylender_uptake)
        if to_ml.any():
            s.cash = finance.move(s.cash, ml[to_ml], idx[to_ml], amount[to_ml])
            s.ml_loan[:H] = np.where(to_ml, amount, s.ml_loan[:H])
            s.ml_principal_part[:H] = np.where(to_ml, fp.loan_size / fp.loan_term_months, s.ml_principal_part[:H])
            s.ml_interest_part[:H] = np.where(to_ml, fp.loan_size * fp.moneylender_interest_rate,
                                              s.ml_interest_part[:H])
        # experiences of applicants: ease of loans (any refusal), the board's decision (its own refusals)
        self._observe(B_LOANS, granted.astype(float), apply)
        self._board_pos = np.where(granted, 1.0, 0.0)
        g = trust.rule_gain_factor(s.rule_clarity[c], fair)
        board_refused = apply & ~approved
        self._board_neg = np.where(board_refused, 1.0 - g, 0.0)  # a refusal under clear, fair rules is understood
        self._used_service = granted | repaid | self._saved
        # the cooperative's running cost, paid as far as its cash allows
        cost = np.minimum(self.p.finance.operating_cost, s.coop_cash)
        s.coop_cash = s.coop_cash - cost
        s.coop_surplus -= self.p.finance.operating_cost

    def _disburse_coop(self, granted: np.ndarray, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.state
        H = s.n_households
        idx = np.flatnonzero(granted)
        s.coop_loan[:H] = np.where(granted, amount, s.coop_loan[:H])
        cash_c, cash_h = finance.transfer(s.coop_cash, s.cash[:H], s.coop[idx], idx, amount[idx])
        return cash_h, cash_c

    # 4. contacts, exchange, peer trust, teaching, information
    def _contacts(self) -> np.ndarray:
        """Returns the indices of the ties used this month."""
        s, ties, rng = self.state, self.ties, self.rng
        np_, rp, tp = self.p.network, self.p.reciprocity, self.p.trust
        active = net.contacts(rng, ties.strength, ties.reach, np_.contact_rate)
        used = np.flatnonzero(active)  # indices, not masks: each is used many times below
        all_a, all_b = ties.a[used], ties.b[used]
        personal = used[ties.layer[used] != net.LINKING]
        A, B = ties.a[personal], ties.b[personal]
        peer = s.trust[:, PEER]
        weights = (rp.helping_norm, rp.trust_weight, rp.image_weight, rp.direct_weight)
        p_ab = recip.help_probability(peer[A], s.image[B], ties.last_ba[personal], *weights)
        p_ba = recip.help_probability(peer[B], s.image[A], ties.last_ab[personal], *weights)
        u = rng.random((2, A.size))
        a_h, b_h = u[0] < p_ab, u[1] < p_ba
        ties.last_ab[personal] = a_h
        ties.last_ba[personal] = b_h
        pos, neg, gave, cnt = recip.exchange_experiences(s.n, A, B, a_h, b_h)
        s.trust[:, PEER] = trust.update_trust(peer, pos, neg, tp.gain_rate, tp.loss_rate)
        s.image = recip.update_image(s.image, gave, cnt, rp.image_update_rate)
        self.last_reciprocity = recip.reciprocity_rate(a_h, b_h)
        H = s.n_households
        self._observe(B_PEERS, pos[:H], (cnt[:H] > 0) & s.member[:H])
        # board contact: the member–board relation as the board's fairness, marred by a scandal
        on_board = (s.office == BOARD) & s.member
        same = s.coop[A] == s.coop[B]
        met_board = np.zeros(s.n, dtype=bool)
        met_board[A[on_board[B] & same]] = True
        met_board[B[on_board[A] & same]] = True
        c = np.maximum(s.coop[:H], 0)
        self._observe(B_BOARD, s.fairness[c] * (1.0 - self.conditions.scandal[c]), met_board[:H] & s.member[:H])
        s.skill = skills.peer_teaching(s.n, s.skill, A, B, self.p.skills.peer_teaching_rate)
        # information about membership and credit travels along this month's contacts
        ip = self.p.information
        expo = information.exposure(s.n, all_a, all_b, np.ones(all_a.size), s.informed)[:H]
        cond = self.conditions
        broadcast = (ip.village_broadcast_rate * cond.responsiveness[s.village[:H]] + ip.coop_outreach_rate
                     + cond.needy_outreach[s.village[:H]] * s.needy[:H])
        learn = ~s.informed[:H] & (rng.random(H) < information.learn_probability(expo, ip.transmission_rate,
                                                                                  broadcast))
        s.informed[:H] |= learn
        return used

    # 5. governance
    def _governance(self) -> tuple[np.ndarray, np.ndarray]:
        s, gp = self.state, self.p.governance
        H = s.n_households
        mem = s.member[:H]
        riders = governance.free_riders(s.participation[:H, ORGANISATION], mem, gp.free_ride_threshold)
        c = np.maximum(s.coop[:H], 0)
        p_sanction = np.minimum(1.0, gp.sanction_probability * (1.0 + self.conditions.social_control[c]))
        sanctioned = governance.sanction_mask(self.rng, riders, s.rule_clarity[c], p_sanction)
        s.participation[:H, ORGANISATION] = governance.apply_sanction(
            s.participation[:H, ORGANISATION], sanctioned, gp.sanction_effect)
        n_mem = int(mem.sum())
        self.last_free_rider_share = float(riders.sum()) / n_mem if n_mem else 0.0
        return riders, sanctioned

    # 6. benefit and trust in board and institution
    def _institutional_trust(self, riders: np.ndarray, sanctioned: np.ndarray) -> None:
        s, tp, gp = self.state, self.p.trust, self.p.governance
        H = s.n_households
        mem = s.member[:H]
        c = np.maximum(s.coop[:H], 0)
        g = trust.rule_gain_factor(s.rule_clarity[c], s.fairness[c])
        quality = s.service_quality[c]
        used = self._used_service & mem
        self._observe(B_SERVICE, quality, used)
        scandal = self.conditions.scandal[c] * gp.scandal_trust_hit
        board_pos = np.where(mem, self._board_pos, 0.0)
        board_neg = np.where(mem, np.maximum(self._board_neg, scandal), 0.0)
        s.trust[:H, BOARD_TRUST] = trust.update_trust(s.trust[:H, BOARD_TRUST], board_pos, board_neg,
                                                      tp.gain_rate, tp.loss_rate, g)
        harm = governance.free_ride_experience(s.coop[:H], riders, sanctioned, mem, s.n_coops, gp.free_ride_harm)
        inst_pos = np.where(used, quality, 0.0)
        inst_neg = np.maximum(harm, scandal) * mem
        s.trust[:H, INSTITUTION] = trust.update_trust(s.trust[:H, INSTITUTION], inst_pos, inst_neg,
                                                      tp.gain_rate, tp.loss_rate, g)

    # 7. participation
    def _participation(self) -> None:
        s, pp, ties = self.state, self.p.participation, self.ties
        H = s.n_households
        mem = s.member[:H]
        benefit = self._mean_benefit = s.benefit[:H] @ np.full(s.benefit.shape[1], 1.0 / s.benefit.shape[1])
        # the norm is what fellow members do: non-members, agencies and firms do not count
        norm = part.neighbour_mean(s.n, ties.a, ties.b, ties.strength, s.participation, include=s.member)[:H]
        target = part.target_propensity(
            self._intercepts, benefit[:, None], norm, s.trust[:H, INSTITUTION][:, None], self._costs,
            pp.benefit_weight, pp.norm_weight, pp.trust_weight)
        new = part.adjust(s.participation[:H], target, pp.adjustment_rate)
        s.participation[:H] = np.where(mem[:, None], new, 0.0)

    # 8. membership
    def _membership(self) -> None:
        s, pp = self.state, self.p.participation
        H = s.n_households
        mem = s.member[:H]
        c = np.maximum(s.coop[:H], 0)
        cm = c[mem]
        count = np.maximum(np.bincount(cm, minlength=s.n_coops), 1)
        benefit = self._mean_benefit  # B̄ of step 7: benefit items do not change in between
        mean_benefit = np.bincount(cm, benefit[mem], minlength=s.n_coops) / count
        u = self.rng.random((2, H))
        inst = s.trust[:H, INSTITUTION]
        join = ~mem & s.informed[:H] & (u[0] < pp.join_rate * inst * mean_benefit[c])
        leave = mem & (s.office[:H] == NO_OFFICE) & (u[1] < pp.exit_rate * (1.0 - inst) * (1.0 - benefit))
        if join.any():
            # newcomers take up the cooperative's habits: its members' mean participation
            pm = s.participation[:H][mem]
            mean_part = np.stack([np.bincount(cm, pm[:, k], minlength=s.n_coops) for k in range(3)], axis=1)
            s.member[:H] |= join
            s.participation[:H][join] = (mean_part / count[:, None])[c[join]]
        if leave.any():
            refund = np.where(leave, s.savings_mandatory[:H] + s.savings_voluntary[:H], 0.0)
            # the cooperative pays back what its cash allows; the rest stays owed as savings
            avail = s.coop_cash[c] / np.maximum(np.bincount(c, refund, minlength=s.n_coops)[c], 1e-12)
            frac = np.where(leave, np.minimum(1.0, avail), 0.0)
            pay = refund * frac
            s.coop_cash, s.cash[:H] = finance.transfer(s.coop_cash, s.cash[:H], c, np.arange(H), pay)
            s.savings_mandatory[:H] *= 1.0 - frac
            s.savings_voluntary[:H] *= 1.0 - frac
            s.member[:H] &= ~leave
            s.participation[:H][leave] = 0.0
            s.attended_rat[:H] &= ~leave
        if join.any() or leave.any():
            self._board_tie_stale = True

    # 9. training and fading
    def _training(self, t: int) -> None:
        s, kp = self.state, self.p.skills
        H = s.n_households
        if kp.training_every_months and t % kp.training_every_months == 0 and kp.training_quota:
            self._refresh_board_tie()
            chosen = []
            for c in range(s.n_coops):  # per cooperative quota: loop over cooperatives, not agents
                eligible = np.flatnonzero(s.member[:H] & (s.coop[:H] == c))
                chosen.append(skills.select_trainees(self.rng, eligible, kp.training_quota, kp.training_selection,
                                                     s.age, self.p.population.productive_age_max, s.wealth,
                                                     s.board_tie))
            self.train(np.concatenate(chosen), kp.training_gain, kp.follow_up, "cooperative_office", t)
        rate = np.where(s.followed_up, kp.fade_rate * kp.follow_up_fade_factor, kp.fade_rate)
        s.skill = skills.fade(s.skill, s.skill_base, rate)

    def train(self, trainees: np.ndarray, gain: float, follow_up: bool, provider: str, t: int) -> None:
        """Train the households ``trainees`` (indices): skill gain, follow-up flag, a linking tie
        to the ``provider`` agency, and every member's training-satisfaction observation."""
        s = self.state
        H = s.n_households
        mask = np.zeros(s.n, dtype=bool)
        mask[trainees] = True
        s.skill_base = np.where(mask, s.skill, s.skill_base)
        s.skill = skills.train(s.skill, mask, gain)
        s.trained_at[mask] = t
        s.followed_up[mask] = follow_up
        self._observe(B_TRAINING, mask[:H].astype(float), s.member[:H])
        self.add_ties(trainees, np.full(trainees.size, s.agency_index[provider]), net.INTEREST,
                      self.p.network.new_tie_strength, t)

    # 10. network dynamics
    def _network_dynamics(self, t: int, used: np.ndarray) -> None:
        s, np_, rng = self.state, self.p.network, self.rng
        ties = self.ties
        # ties added since the contacts (e.g. at training) are appended, so ``used`` still holds
        active = np.zeros(len(ties), dtype=bool)
        active[used] = True
        ties.strength = net.reinforce_and_decay(ties.strength, active, ties.permanent,
                                                np_.reinforcement_rate, np_.decay_rate)
        ties.last_contact[used] = t
        keep = ties.permanent | (ties.strength >= np_.min_strength)
        if keep.all():
            keep = None
        else:  # dissolved now; the tie arrays are rebuilt once, below, with the month's new ties
            gone = ties.keys(s.n)[~keep]
            self._keys = np.delete(self._keys, np.searchsorted(self._keys, gone))
            self._board_tie_stale = True
        new = None
        H = s.n_households
        count = rng.poisson(np_.formation_attempts * H) if H else 0
        if count:
            n_tri = rng.binomial(count, np_.triadic_share)
            person = np.zeros(s.n, dtype=bool)
            person[:H] = True
            indptr, nbrs = self._adjacency(t, keep)
            tj, tk = net.propose_triadic(rng, n_tri, indptr, nbrs, person)
            pj, pk = net.propose_proximity(rng, count - n_tri, np.arange(H), s.village, s.village_start,
                                           s.village_size, np_.bridging_share, s.villages_per_world)
            ci, cj = np.concatenate((tj, pj)), np.concatenate((tk, pk))
            ok = (ci < H) & (cj < H)
            cand = net.deduplicate(net.make_ties(ci[ok], cj[ok], net.BONDING, net.SENTIMENT,
                                                 np_.new_tie_strength, born=t), s.n, self._keys)
            if len(cand):
                a, b = cand.a, cand.b
                dis = self._dissimilarity(a, b)
                dist = np.hypot(s.x[a] - s.x[b], s.y[a] - s.y[b])
                acc = rng.random(a.size) < net.acceptance(dis, dist, np_.homophily, np_.proximity_scale_km)
                if acc.any():
                    new = cand.subset(acc)
                    new.layer = net.classify_layer(s.village[new.a], s.village[new.b],
                                                   np.zeros(len(new), bool), np.zeros(len(new), bool))
                    new.kind = np.where(new.layer == net.BONDING, net.SENTIMENT, net.INTEREST).astype(np.int8)
                    new.reach = net.reach(dist[acc], np_.proximity_scale_km)
        if keep is not None or new is not None:
            self.ties = ties.subset_extend(keep, new)
        if new is not None:
            self._insert_keys(new)

    # 11. the annual members' meeting
    def _rat(self, t: int) -> None:
        s, fp, gp, tp = self.state, self.p.finance, self.p.governance, self.p.trust
        H = s.n_households
        mem = s.member[:H]
        attend = governance.rat_attendance_probability(s.participation[:H, ORGANISATION], gp.rat_mobilisation)
        s.attended_rat[:H] = mem & (self.rng.random(H) < attend)
        c = np.maximum(s.coop[:H], 0)
        capital = s.savings_mandatory[:H] + s.savings_voluntary[:H]
        payout = finance.shu_payout(s.coop_surplus, c, mem, capital, s.transactions_year[:H],
                                    fp.shu_member_share, fp.shu_capital_share)
        owed = np.bincount(c, payout, minlength=s.n_coops)
        scale = np.where(owed > 0, np.minimum(1.0, s.coop_cash / np.maximum(owed, 1e-12)), 0.0)
        payout = payout * scale[c]
        s.coop_cash, s.cash[:H] = finance.transfer(s.coop_cash, s.cash[:H], c, np.arange(H), payout)
        s.shu_paid = np.bincount(c, payout, minlength=s.n_coops)
        self.last_shu = float(payout.sum())
        got = payout > 0
        g = trust.rule_gain_factor(s.rule_clarity[c], s.fairness[c])
        s.trust[:H, BOARD_TRUST] = trust.update_trust(s.trust[:H, BOARD_TRUST], got.astype(float),
                                                      np.zeros(H), tp.gain_rate, tp.loss_rate, g)
        # a loss is carried forward; of a profit, the share not paid for want of cash stays owed
        settled = np.where(owed > 0, scale, 1.0)  # nothing owed (e.g. no members): all goes to reserves
        s.coop_surplus = np.where(s.coop_surplus > 0, s.coop_surplus * (1.0 - settled), s.coop_surplus)
        s.transactions_year[:H] = 0.0
        self._update_willingness()
        if t - self._last_election >= gp.board_term_months:
            self._elect(t)

    def _elect(self, t: int) -> None:
        s = self.state
        self._last_election = t
        H = s.n_households
        seats = self.p.population.board_size
        boards = []
        for c in range(s.n_coops):  # one election per cooperative
            pool = np.flatnonzero(s.member[:H] & (s.coop[:H] == c) & (s.office[:H] != SUPERVISOR))
            elected = governance.elect_board(self.rng, pool, s.willingness, s.image, seats)
            if elected.size < seats:  # too few stand: incumbents fill the empty seats
                incumbents = pool[s.office[pool] == BOARD]
                elected = np.concatenate((elected, np.setdiff1d(incumbents, elected)[: seats - elected.size]))
            old = pool[s.office[pool] == BOARD]
            s.office[old] = NO_OFFICE
            s.office[elected] = BOARD
            boards.append(elected)
        # the cooperative office keeps a linking tie with whoever is on the board
        board = np.concatenate(boards)
        self.add_ties(board, np.full(board.size, s.agency_index["cooperative_office"]), net.INTEREST,
                      self.p.network.new_tie_strength, t)
        self._board_tie_stale = True

    # ---- helpers -----------------------------------------------------------------------
    def _observe(self, item: int, observed: np.ndarray | float, mask: np.ndarray) -> None:
        """Update one perceived-benefit item of households where it was observed."""
        s = self.state
        at = np.flatnonzero(mask)  # few households observe an item in a month: update only theirs
        seen = observed[at] if isinstance(observed, np.ndarray) and observed.ndim else observed
        col = s.benefit[:, item]
        col[at] = part.update_benefit(col[at], seen, True, self.p.participation.benefit_memory)

    def _update_willingness(self) -> None:
        s = self.state
        s.willingness = np.where(
            s.member,
            governance.board_willingness(s.trust[:, INSTITUTION], s.participation[:, ORGANISATION], s.skill,
                                         self.p.governance.honorarium_cost), 0.0)

    def add_ties(
        self, a: np.ndarray, b: np.ndarray, kind: int, strength: float, t: int,
        reach: float | None = None, permanent: bool = False,
    ) -> None:
        """Add ties a–b (skipping existing ones). The layer follows from the ends; reach is
        ``reach`` if given, else 1 for linking ties and distance-based for the others."""
        s = self.state
        new = net.deduplicate(net.make_ties(a, b, net.BONDING, kind, strength, permanent, born=t), s.n, self._keys)
        if not len(new):
            return
        inst = s.institutional
        new.layer = net.classify_layer(s.village[new.a], s.village[new.b], inst[new.a], inst[new.b])
        if reach is not None:
            new.reach[:] = reach
        else:
            dist = np.hypot(s.x[new.a] - s.x[new.b], s.y[new.a] - s.y[new.b])
            new.reach = np.where(new.layer == net.LINKING, 1.0, net.reach(dist, self.p.network.proximity_scale_km))
        self._append_ties(new)

    def partner_firms(self, programme: Kemitraan) -> np.ndarray:
        """Agent indices of the partner firms of a kemitraan programme."""
        return self._partner_pools.get(id(programme), np.zeros(0, dtype=np.int64))

    def override_parameters(self, overrides: Mapping[str, Any]) -> None:
        """Use ``overrides`` ({"group.name": value}) on top of this month's parameters."""
        self.p = self.p.replace(overrides)

    def _adjacency(self, t: int, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Neighbour lists for triadic-closure proposals (over the ties ``keep``, default all).

        Rebuilt when the tie count has moved by more than ADJACENCY_TOLERANCE since the last
        build, or yearly: a proposal from a slightly stale wedge is still checked against the
        current ties, and rebuilding every month would dominate large runs.
        """
        n_ties = len(self.ties) if keep is None else int(keep.sum())
        if (self._adj is None or abs(n_ties - self._adj_size) > ADJACENCY_TOLERANCE * max(self._adj_size, 1)
                or t - self._adj_month >= 12):
            a, b = (self.ties.a, self.ties.b) if keep is None else (self.ties.a[keep], self.ties.b[keep])
            self._adj = net.adjacency_index(self.state.n, a, b)
            self._adj_size, self._adj_month = n_ties, t
        return self._adj

    def _dissimilarity(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """d_ij ∈ [0, 1]: mean of age gap / age range, log-wealth gap / 4 (capped) and different trade.

        Different trade: another livelihood, or another product between two UMKM owners.
        """
        s, pp = self.state, self.p.population
        span = max(pp.age_max - pp.age_min, 1e-9)
        d_age = np.abs(s.age[a] - s.age[b]) / span
        d_wealth = np.minimum(1.0, np.abs(np.log1p(s.wealth[a]) - np.log1p(s.wealth[b])) / 4.0)
        d_role = ((s.role[a] != s.role[b]) | (s.product[a] != s.product[b])).astype(float)
        return (d_age + d_wealth + d_role) / 3.0

    def _ties_changed(self) -> None:
        """Rebuild everything derived from the tie list (after construction)."""
        self._keys = np.sort(self.ties.keys(self.state.n))  # sorted, for membership tests
        self._adj = None
        self._adj_size = self._adj_month = 0
        self._board_tie_stale = True
        self._refresh_board_tie()

    def _append_ties(self, new: net.Ties) -> None:
        """Add ties (already deduplicated) and keep the sorted key index in step."""
        self._insert_keys(new)
        self.ties = self.ties.extend(new)

    def _insert_keys(self, new: net.Ties) -> None:
        keys = np.sort(new.keys(self.state.n))
        self._keys = np.insert(self._keys, np.searchsorted(self._keys, keys), keys)
        self._board_tie_stale = True

    def _partner_strength(self) -> np.ndarray:
        """Σ strength of each agent's bridging ties (trading partners in other places)."""
        s, ties = self.state, self.ties
        bridging = ties.layer == net.BRIDGING
        w = ties.strength[bridging]
        return np.bincount(ties.a[bridging], w, minlength=s.n) + np.bincount(ties.b[bridging], w, minlength=s.n)

    def _refresh_board_tie(self) -> None:
        """board_tie = 1 for agents with a tie to a board member of their own cooperative.

        Ties and offices change several times a month; the flag is recomputed only where it is
        read (credit, training) and at the end of the month, if anything changed since.
        """
        if not self._board_tie_stale:
            return
        self._board_tie_stale = False
        s, ties = self.state, self.ties
        on_board = (s.office == BOARD) & s.member
        touch = np.flatnonzero(on_board[ties.a] | on_board[ties.b])
        a, b = ties.a[touch], ties.b[touch]
        same = s.coop[a] == s.coop[b]
        tie = np.zeros(s.n)
        tie[a[on_board[b] & same]] = 1.0
        tie[b[on_board[a] & same]] = 1.0
        s.board_tie = tie

    @property
    def _intercepts(self) -> np.ndarray:
        pp = self.p.participation
        return np.array([pp.intercept_organisation, pp.intercept_business, pp.intercept_capital])

    @property
    def _costs(self) -> np.ndarray:
        pp = self.p.participation
        return np.array([pp.cost_organisation, pp.cost_business, pp.cost_capital])
