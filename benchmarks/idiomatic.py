"""kopsim's dynamics written the usual Mesa way, for like-with-like speed ratios (issue #12).

Two comparisons live here.

**Reduced dynamics** (:class:`IdiomaticModel` vs :class:`VectorisedReduced`). The core of kopsim's
monthly contacts (step 4) and participation (step 7), on a fixed network and with every household
a member:

1. each tie (i, j) of strength w is used this month with probability ``contact_rate · w``;
2. on a used tie each side helps the other with
   p = σ(logit h + w_T (T_giver − ½) + w_R (R_receiver − ½) + w_D (D − ½))
   (:func:`kopsim.reciprocity.help_probability`; D: what the receiver did to the giver
   at their last contact, ½ before the first);
3. peer trust follows T' = T + a⁺·pos·(1 − T) − a⁻·neg·T with pos / neg the shares of the
   agent's contacts in which it was helped / refused (:func:`kopsim.trust.update_trust`),
   the image score follows the share of contacts in which the agent helped
   (:func:`kopsim.reciprocity.update_image`), and perceived benefit B is a moving average
   of ``pos`` (kopsim's member–member relations item, :func:`kopsim.participation.update_benefit`);
4. participation in each domain d moves toward
   P*_d = σ(a_d − c_d + β_B·B + β_N·N_d + β_T·T_inst), N_d the tie-weighted mean participation
   of the agent's neighbours (:func:`kopsim.participation.target_propensity`,
   :func:`~simulation.participation.neighbour_mean`, :func:`~simulation.participation.adjust`).
   Institutional trust T_inst is held at its initial value here.

All coefficients are kopsim's defaults (:class:`kopsim.parameters.Parameters`).

* :class:`IdiomaticModel` is how these dynamics are usually written with Mesa: one
  ``mesa.Agent`` per household holding plain Python attributes and its neighbour list, a
  Python ``step()`` per agent, activated in random order with ``self.agents.shuffle_do("step")``.
  Activation is asynchronous, as ``shuffle_do`` implies: an agent's tie contacts are the
  ties it initiates (each tie is initiated by its lower-numbered end, so each tie gets one
  chance per month as in kopsim), and an agent updates its trust from the contacts it had
  since its previous activation.
* :class:`VectorisedReduced` runs exactly the same equations on edge arrays with kopsim's
  own numpy functions, synchronously, as :class:`kopsim.model.CooperativeModel` does.

Both start from the same network and initial state (:func:`initial_state`), so their
trajectories agree statistically, not draw for draw (different random streams and update
orders); :func:`agreement` measures that.

**The full month** (:class:`IdiomaticFullModel` vs :class:`kopsim.model.CooperativeModel`): every
phase of ``CooperativeModel.step`` written as a Mesa user would, so that idiomatic ÷ kopsim compares
like with like. A ``mesa.Model`` (``self.random`` for per-agent draws, ``self.rng`` for the weather
and the counts of tie proposals) with one ``mesa.Agent`` subclass per actor: :class:`HouseholdAgent`
(members and non-members alike, a ``member`` flag), :class:`Agency` (regional agencies and village
governments), :class:`Moneylender`, :class:`Cooperative` (its books and rules); villages are plain
objects (:class:`Village`) and a tie is a :class:`Link` held in both ends' ``ties`` lists. Every
quantity is a Python float, int, bool or list; every equation is kopsim's, with kopsim's parameter
values (the scenario's), evaluated per agent with ``math``. Phases run as ``AgentSet.do`` /
``shuffle_do`` calls, with per-cooperative sums by Python loops between them. The initial state is
copied from ``CooperativeModel(params, seed)`` (households' attributes, money, loans, offices, trust,
participation, benefit items, informed, licences, and every tie with its layer, kind, strength,
reach, permanence, top-down flag and last exchanges), so both run the same population.

Per month (kopsim's phase numbers, :mod:`kopsim.model`):

0. a new year resets the income statement. No interventions, kemitraan or business units (the
   benchmark populations have none; :func:`_check_supported` refuses them); the supervisors' audit is
   left out (it acts only on running board misconduct, which needs a scandal intervention).
1. livelihoods (``farm``, ``produce_and_sell``): log-normal weather per village; each farm's harvest
   with its skill yield; each village's raw-material supply and demand and their fill; UMKM output;
   the sale through the shop (a draw on business participation) with its premium and the
   cooperative's margin (to its surplus, cash and books); income, consumption, the income benefit
   item and the reference income. Simplified: no partner offtake or extra premium (no programme).
2. savings (``save``): mandatory (compliance or capital participation, if cash allows) and voluntary
   deposits; withdrawals of voluntary savings scaled to each cooperative's cash.
3. credit (``repay``, ``borrow``): instalments of cooperative and tengkulak loans, paid with a
   chance that falls with the income shortfall and if cash covers them; arrears, default, write-off
   and exclusion; members' harm from defaults; new needs, access, the logit choice of lender, the
   board's approval (favouritism, board tie), the cooperative's liquidity (requests served in
   activation order, as kopsim serves them in random order), else a random tengkulak of the village
   as far as its cash allows; the loan items, the board's approvals and refusals; the operating
   cost. Simplified: the village government's referral of needy non-members and joining with a
   loan are left out (the referral rate is 0 without the village-engagement programme).
4. contacts (``meet`` on every actor, then ``digest``): each tie, from its lower end, is used with
   probability c·w·ρ·m (m: an agency's top-down tie); on a used personal tie both sides may help
   (disposition, trust, image, tit-for-tat); the better skilled teaches; meeting the board;
   word of mouth for non-members; information exposure along every used tie; agency contacts. Then
   per household: peer trust, image and the peers item; the board relation (a fairness draw, the
   board item, board trust); peer teaching; learning and forgetting about the cooperative; what
   agencies deliver (advice, credit information, licences and their renewal) and licences running
   out. Experiences are gathered first and applied after, as kopsim's arrays are (synchronous).
5. governance (``free_ride``): free-riders, the social control of a sentiment tie to the board
   (each rider scans its own ties), the sanction draw and its effect, each cooperative's harm.
6. trust (``judge_cooperative``, ``hear``): service satisfaction and its item, members' board and
   institutional trust with the rules' gain factor; non-members' institutional trust from what
   their member contacts think and what the village saw (SHU after the RAT, defaults).
7. participation (``aim`` then ``settle``): mean benefit over the items experienced, the
   tie-weighted norm of member neighbours (every tie), the logistic targets and partial
   adjustment (targets from last month's neighbours, as kopsim's synchronous update).
8. membership (``decide_membership``, ``join_or_leave``): joins (informed, trust × members' mean
   benefit, eligible, the entry fee), exits (no office), refunds pro rata to the cooperative's cash,
   newcomers take up the cooperative's mean participation.
9. skills (``fade_skill``): fading toward the pre-training level, slower under follow-up. The
   standing Diklat (``skills.training_every_months`` > 0, off by default) is not covered (refused).
10. network (``tend_ties`` on every actor, :meth:`IdiomaticFullModel.form_ties`): strengthening and
    decay from each tie's lower end, dissolution below the minimum strength; Poisson proposals, a
    binomial share by triadic closure (a random household with two ties or more and two of its
    neighbours) and the rest by proximity (own village, or another with the bridging share),
    accepted with homophily (age, wealth, trade) × distance. Simplified: triadic proposals read the
    current ties (kopsim's neighbour lists are rebuilt when the tie count moves by 1 % or yearly).
11. the RAT in its month (:meth:`IdiomaticFullModel.rat`): attendance, SHU by capital and
    transactions as far as cash allows, the board's accountability to those present, the surplus
    settled, willingness to serve; board elections when the term ends (standing by willingness,
    votes by reputation, incumbents fill empty seats, the cooperative office's ties to the new
    board, the chair's ministry and village-government ties handed to the new chair — the old chair
    is found as the holder of the ministry tie).
12. board-tie flags (``mark_board_tie``) and the month's outcomes: a ``mesa.DataCollector`` with
    the model reporters of :data:`_REPORTERS`, computed by Python loops (kopsim collects its metrics
    table every month too; network metrics are off in both).

:func:`full_agreement` compares the seed-averaged trajectories of both from the same populations;
they agree within the noise of a few seeds on every outcome reported (1k agents, 24 months, seeds
1–3: largest gap 4.1 %, institutional trust; seeds 4–9: 2.2 %). Membership turnover (joins and
exits, a few a month) is too noisy to compare at 200 households; its work is tested directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mesa
import networkx as nx
import numpy as np

from kopsim import participation as part
from kopsim import reciprocity as recip
from kopsim import trust as trust_mod
from kopsim.parameters import Parameters

WS_DEGREE = 6  # Watts–Strogatz: each node joined to its 6 nearest ring neighbours …
WS_REWIRE = 0.1  # … with 10 % of the ties rewired at random
INITIAL_SD = 0.15  # spread of initial trust and participation (as in simulation.population)


@dataclass(frozen=True)
class Dynamics:
    """Coefficients of the reduced dynamics (kopsim's defaults unless overridden)."""

    contact_rate: float
    helping_norm: float
    help_trust_weight: float
    image_weight: float
    direct_weight: float
    image_update_rate: float
    gain_rate: float
    loss_rate: float
    benefit_memory: float
    intercepts: tuple[float, float, float]
    costs: tuple[float, float, float]
    benefit_weight: float
    norm_weight: float
    trust_weight: float
    adjustment_rate: float

    @classmethod
    def from_parameters(cls, p: Parameters | None = None) -> Dynamics:
        p = p or Parameters()
        rp, pp = p.reciprocity, p.participation
        return cls(
            contact_rate=p.network.contact_rate,
            helping_norm=rp.helping_norm,
            help_trust_weight=rp.trust_weight,
            image_weight=rp.image_weight,
            direct_weight=rp.direct_weight,
            image_update_rate=rp.image_update_rate,
            gain_rate=p.trust.gain_rate,
            loss_rate=p.trust.loss_rate,
            benefit_memory=pp.benefit_memory,
            intercepts=(pp.intercept_organisation, pp.intercept_business, pp.intercept_capital),
            costs=(pp.cost_organisation, pp.cost_business, pp.cost_capital),
            benefit_weight=pp.benefit_weight,
            norm_weight=pp.norm_weight,
            trust_weight=pp.trust_weight,
            adjustment_rate=pp.adjustment_rate,
        )


def initial_state(n: int, seed: int) -> dict[str, np.ndarray]:
    """Network and month-0 state shared by both formulations.

    Ties: ``networkx.watts_strogatz_graph(n, 6, 0.1, seed)`` with a < b and strength
    U(0.3, 0.9) (kopsim's kin ties). Peer and institutional trust and the three
    participation propensities: N(0.6, 0.15) clipped to [0, 1]; image and benefit 0.5.
    """
    g = nx.watts_strogatz_graph(n, WS_DEGREE, WS_REWIRE, seed=seed)
    edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    a, b = edges.min(axis=1), edges.max(axis=1)
    order = np.lexsort((b, a))
    rng = np.random.default_rng(seed)

    def clipped(size: Any) -> np.ndarray:
        return np.clip(rng.normal(0.6, INITIAL_SD, size), 0.0, 1.0)

    return {
        "a": a[order],
        "b": b[order],
        "strength": rng.uniform(0.3, 0.9, a.size),
        "trust_peer": clipped(n),
        "trust_institution": clipped(n),
        "participation": clipped((n, 3)),
        "image": np.full(n, 0.5),
        "benefit": np.full(n, 0.5),
    }


# ---- idiomatic Mesa ----------------------------------------------------------------------
def help_probability(trust_giver: float, image_receiver: float, last_from_receiver: float, d: Dynamics) -> float:
    """Scalar twin of :func:`kopsim.reciprocity.help_probability`."""
    h = min(max(d.helping_norm, 1e-9), 1.0 - 1e-9)
    x = (
        math.log(h / (1.0 - h))
        + d.help_trust_weight * (trust_giver - 0.5)
        + d.image_weight * (image_receiver - 0.5)
        + d.direct_weight * (last_from_receiver - 0.5)
    )
    return 0.5 * (1.0 + math.tanh(0.5 * x))


class Tie:
    """A tie as the initiating agent sees it."""

    __slots__ = ("last_in", "last_out", "other", "strength")

    def __init__(self, other: Household, strength: float) -> None:
        self.other = other
        self.strength = strength
        self.last_out = 0.5  # what the owner did to the other at their last contact
        self.last_in = 0.5  # what the other did to the owner


class Household(mesa.Agent):
    """A member household with its social capital as Python attributes."""

    def __init__(
        self,
        model: IdiomaticModel,
        trust_peer: float,
        trust_institution: float,
        participation: list[float],
        image: float,
        benefit: float,
    ) -> None:
        super().__init__(model)
        self.trust_peer = trust_peer
        self.trust_institution = trust_institution
        self.participation = participation
        self.image = image
        self.benefit = benefit
        self.neighbours: list[tuple[Household, float]] = []  # (neighbour, tie strength), every tie
        self.ties: list[Tie] = []  # ties this agent initiates
        self.contacts = 0
        self.received = 0
        self.gave = 0

    def step(self) -> None:
        d: Dynamics = self.model.dynamics
        rand = self.model.random.random
        # contacts and exchanges along the ties this agent initiates
        for tie in self.ties:
            if rand() < d.contact_rate * tie.strength:
                other = tie.other
                i_helps = rand() < help_probability(self.trust_peer, other.image, tie.last_in, d)
                j_helps = rand() < help_probability(other.trust_peer, self.image, tie.last_out, d)
                tie.last_out = 1.0 if i_helps else 0.0
                tie.last_in = 1.0 if j_helps else 0.0
                self.contacts += 1
                other.contacts += 1
                if i_helps:
                    self.gave += 1
                    other.received += 1
                if j_helps:
                    other.gave += 1
                    self.received += 1
        # peer trust, image and benefit from the contacts since this agent's last activation
        if self.contacts:
            pos = self.received / self.contacts
            neg = 1.0 - pos
            t = self.trust_peer
            t = t + d.gain_rate * pos * (1.0 - t) - d.loss_rate * neg * t
            self.trust_peer = min(max(t, 0.0), 1.0)
            self.image += d.image_update_rate * (self.gave / self.contacts - self.image)
            self.benefit += d.benefit_memory * (pos - self.benefit)
            self.contacts = self.received = self.gave = 0
        # participation: partial adjustment toward the target propensity
        wsum = 0.0
        tot = [0.0, 0.0, 0.0]
        for other, w in self.neighbours:
            wsum += w
            p = other.participation
            tot[0] += w * p[0]
            tot[1] += w * p[1]
            tot[2] += w * p[2]
        own = self.participation
        new = []
        for k in range(3):
            norm = tot[k] / wsum if wsum > 0 else own[k]
            x = (
                d.intercepts[k]
                - d.costs[k]
                + d.benefit_weight * self.benefit
                + d.norm_weight * norm
                + d.trust_weight * self.trust_institution
            )
            target = 0.5 * (1.0 + math.tanh(0.5 * x))
            new.append(own[k] + d.adjustment_rate * (target - own[k]))
        self.participation = new


class IdiomaticModel(mesa.Model):
    """The reduced dynamics as agents with a Python ``step()``, run with ``shuffle_do``."""

    def __init__(self, state: dict[str, np.ndarray], seed: int | None = None, dynamics: Dynamics | None = None) -> None:
        super().__init__(rng=seed)
        self.dynamics = dynamics or Dynamics.from_parameters()
        n = state["trust_peer"].size
        people = [
            Household(
                self,
                float(state["trust_peer"][i]),
                float(state["trust_institution"][i]),
                [float(v) for v in state["participation"][i]],
                float(state["image"][i]),
                float(state["benefit"][i]),
            )
            for i in range(n)
        ]
        for i, j, w in zip(state["a"].tolist(), state["b"].tolist(), state["strength"].tolist(), strict=True):
            people[i].ties.append(Tie(people[j], w))
            people[i].neighbours.append((people[j], w))
            people[j].neighbours.append((people[i], w))
        self.people = people  # in index order, for comparisons with the vectorised twin

    def step(self) -> None:
        self.agents.shuffle_do("step")

    def means(self) -> dict[str, float]:
        """Mean peer trust, participation (all domains) and image."""
        people = self.people
        n = len(people)
        return {
            "trust_peer": sum(p.trust_peer for p in people) / n,
            "participation": sum(sum(p.participation) for p in people) / (3 * n),
            "image": sum(p.image for p in people) / n,
        }


# ---- vectorised twin ---------------------------------------------------------------------
class VectorisedReduced:
    """The same reduced dynamics on edge arrays with kopsim's numpy mechanism functions."""

    def __init__(self, state: dict[str, np.ndarray], seed: int | None = None, dynamics: Dynamics | None = None) -> None:
        self.d = dynamics or Dynamics.from_parameters()
        self.rng = np.random.default_rng(seed)
        self.a, self.b, self.w = state["a"], state["b"], state["strength"]
        self.n = state["trust_peer"].size
        self.trust_peer = state["trust_peer"].copy()
        self.trust_institution = state["trust_institution"].copy()
        self.participation = state["participation"].copy()
        self.image = state["image"].copy()
        self.benefit = state["benefit"].copy()
        self.last_ab = np.full(self.a.size, 0.5)  # what a did to b at their last contact
        self.last_ba = np.full(self.a.size, 0.5)
        self._p_contact = self.d.contact_rate * self.w
        self._intercepts = np.array(self.d.intercepts)
        self._costs = np.array(self.d.costs)
        self.steps = 0

    def step(self) -> None:
        d, rng = self.d, self.rng
        active = rng.random(self.a.size) < self._p_contact
        A, B = self.a[active], self.b[active]
        weights = (d.helping_norm, d.help_trust_weight, d.image_weight, d.direct_weight)
        p_ab = recip.help_probability(self.trust_peer[A], self.image[B], self.last_ba[active], *weights)
        p_ba = recip.help_probability(self.trust_peer[B], self.image[A], self.last_ab[active], *weights)
        u = rng.random((2, A.size))
        a_h, b_h = u[0] < p_ab, u[1] < p_ba
        self.last_ab[active] = a_h
        self.last_ba[active] = b_h
        pos, neg, gave, cnt = recip.exchange_experiences(self.n, A, B, a_h, b_h)
        self.trust_peer = trust_mod.update_trust(self.trust_peer, pos, neg, d.gain_rate, d.loss_rate)
        self.image = recip.update_image(self.image, gave, cnt, d.image_update_rate)
        self.benefit = part.update_benefit(self.benefit, pos, cnt > 0, d.benefit_memory)
        norm = part.neighbour_mean(self.n, self.a, self.b, self.w, self.participation)
        target = part.target_propensity(
            self._intercepts,
            self.benefit[:, None],
            norm,
            self.trust_institution[:, None],
            self._costs,
            d.benefit_weight,
            d.norm_weight,
            d.trust_weight,
        )
        self.participation = part.adjust(self.participation, target, d.adjustment_rate)
        self.steps += 1

    def means(self) -> dict[str, float]:
        return {
            "trust_peer": float(self.trust_peer.mean()),
            "participation": float(self.participation.mean()),
            "image": float(self.image.mean()),
        }


# ---- statistical agreement ---------------------------------------------------------------
def trajectories(n: int, steps: int, seed: int) -> dict[str, list[dict[str, float]]]:
    """Mean trust, participation and image after each step, for both formulations."""
    state = initial_state(n, seed)
    out: dict[str, list[dict[str, float]]] = {}
    for name, cls in (("idiomatic", IdiomaticModel), ("vectorised", VectorisedReduced)):
        model = cls(state, seed=seed + 1)
        rows = [model.means()]
        for _ in range(steps):
            model.step()
            rows.append(model.means())
        out[name] = rows
    return out


def agreement(n: int, steps: int, seeds: list[int]) -> dict[str, Any]:
    """Seed-averaged trajectories of both formulations and their largest relative gap."""
    runs = [trajectories(n, steps, s) for s in seeds]
    result: dict[str, Any] = {"n": n, "steps": steps, "seeds": list(seeds)}
    for key in ("trust_peer", "participation", "image"):
        idi = np.mean([[row[key] for row in r["idiomatic"]] for r in runs], axis=0)
        vec = np.mean([[row[key] for row in r["vectorised"]] for r in runs], axis=0)
        rel = np.abs(idi - vec) / np.maximum(np.abs(vec), 1e-12)
        result[key] = {
            "idiomatic_final": float(idi[-1]),
            "vectorised_final": float(vec[-1]),
            "rel_gap_final": float(rel[-1]),
            "rel_gap_max": float(rel.max()),
            "initial": float(vec[0]),
        }
    return result


# ==== the full month, the idiomatic Mesa way ==============================================
# Codes as kopsim numbers them (kopsim.state, kopsim.network, kopsim.participation).
_BONDING, _BRIDGING, _LINKING = 0, 1, 2
_INTEREST, _SENTIMENT = 0, 1
_NO_OFFICE, _BOARD, _SUPERVISOR = 0, 1, 2
_AGENCY, _MONEYLENDER = 3, 4
# benefit items, in kopsim.participation.BENEFIT_ITEMS order
_B_LOANS, _B_INCOME, _B_LOAN_SAT, _B_SERVICE, _B_TRAINING, _B_PEERS, _B_BOARD = range(7)
# agency kinds (kopsim.state.AGENCY_KINDS; 6 is a village government)
_ADVISES = frozenset((0, 1))  # cooperative office, labour office: advice
_INFORMS = frozenset((2,))  # state bank: credit information
_CERTIFIES = frozenset((3,))  # halal certifier: licences
_MINISTRY, _VILLAGE_GOVERNMENT = 4, 6


def _logistic(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def _trust_step(t: float, pos: float, neg: float, gain: float, loss: float, g: float = 1.0) -> float:
    """Scalar :func:`kopsim.trust.update_trust`."""
    t = t + gain * g * pos * (1.0 - t) - loss * neg * t
    return 0.0 if t < 0.0 else 1.0 if t > 1.0 else t


class Link:
    """One tie, held by both ends (``a.ties`` and ``b.ties``; ``a`` has the lower kopsim index)."""

    __slots__ = (
        "a",
        "b",
        "kind",
        "last_ab",
        "last_ba",
        "last_contact",
        "layer",
        "permanent",
        "reach",
        "strength",
        "top_down",
        "used",
    )

    def __init__(self, a: Actor, b: Actor, layer: int, kind: int, strength: float, reach: float, **kw: Any) -> None:
        self.a, self.b = a, b
        self.layer, self.kind, self.strength, self.reach = layer, kind, strength, reach
        self.permanent = kw.get("permanent", False)
        self.top_down = kw.get("top_down", False)
        self.last_ab = kw.get("last_ab", 0.5)
        self.last_ba = kw.get("last_ba", 0.5)
        self.last_contact = kw.get("last_contact", 0)
        self.used = False

    def other(self, me: Actor) -> Actor:
        return self.b if self.a is me else self.a


class Actor(mesa.Agent):
    """Anything a tie can end at: households, agencies (and village governments), moneylenders."""

    is_household = False

    def __init__(self, model: IdiomaticFullModel, idx: int, village: int, x: float, y: float) -> None:
        super().__init__(model)
        self.idx = idx  # kopsim's index, for copying state and ordering ties
        self.village = village
        self.x, self.y = x, y
        self.ties: list[Link] = []
        self.member = False
        self.informed = False
        self.skill = 0.0

    def meet(self) -> None:
        """Phase 4a: this month's contacts along the ties this actor initiates (it is their lower end)."""
        m: IdiomaticFullModel = self.model
        p = m.p
        rand = m.random.random
        rate = p.network.contact_rate
        top_down_use = p.agencies.top_down_use
        for tie in self.ties:
            if tie.a is not self:
                continue
            other = tie.b
            use = top_down_use if tie.top_down and (isinstance(other, Agency) or isinstance(self, Agency)) else 1.0
            if rand() >= rate * tie.strength * tie.reach * use:
                continue
            tie.used = True
            # information travels along every used tie (kopsim.information.exposure, w = 1)
            if other.informed:
                self.exposure += 1
            if self.informed:
                other.exposure += 1
            if tie.layer == _LINKING:
                if isinstance(other, Agency) and self.is_household and other.kind < _VILLAGE_GOVERNMENT:
                    self.agencies_met.append(other.kind)
                elif isinstance(self, Agency) and other.is_household and self.kind < _VILLAGE_GOVERNMENT:
                    other.agencies_met.append(self.kind)
                continue
            self.exchange(tie, other, m)

    def exchange(self, tie: Link, other: HouseholdAgent, m: IdiomaticFullModel) -> None:
        """A personal contact between two households: favours both ways (kopsim.reciprocity)."""
        rand = m.random.random
        me: HouseholdAgent = self  # type: ignore[assignment]
        i_helps = rand() < m.help_probability(me.trust_peer, other.image, tie.last_ba, me.helpfulness)
        j_helps = rand() < m.help_probability(other.trust_peer, me.image, tie.last_ab, other.helpfulness)
        tie.last_ab = 1.0 if i_helps else 0.0
        tie.last_ba = 1.0 if j_helps else 0.0
        me.contacts += 1
        other.contacts += 1
        m.exchanges += 1
        if i_helps:
            me.gave += 1
            other.received += 1
        if j_helps:
            other.gave += 1
            me.received += 1
            if i_helps:
                m.mutual += 1
        # the better skilled teaches (kopsim.skills.peer_teaching: the best teacher met counts)
        if other.skill > me.best_teacher:
            me.best_teacher = other.skill
        if me.skill > other.best_teacher:
            other.best_teacher = me.skill
        # meeting a board member of one's own cooperative; word of mouth for non-members
        if me.coop is other.coop:
            if other.member and other.office == _BOARD:
                me.met_board = True
            if me.member and me.office == _BOARD:
                other.met_board = True
        if not me.member:
            me.heard_from.append(other)
        if not other.member:
            other.heard_from.append(me)

    def tend_ties(self) -> None:
        """Phase 10a: the ties this actor initiates grow with contact and decay without it (Burt 2000);
        ties below the minimum strength dissolve."""
        m: IdiomaticFullModel = self.model
        np_ = m.p.network
        for tie in [t for t in self.ties if t.a is self]:
            if tie.permanent:
                tie.used = False
                continue
            if tie.used:
                tie.strength += np_.reinforcement_rate * (1.0 - tie.strength)
                tie.last_contact = m.t
                tie.used = False
            else:
                tie.strength *= 1.0 - np_.decay_rate
            if tie.strength < np_.min_strength:
                m.remove_tie(tie)


class Agency(Actor):
    """A regional agency or a village government: an end of linking ties."""

    def __init__(self, model: IdiomaticFullModel, idx: int, village: int, x: float, y: float, kind: int) -> None:
        super().__init__(model, idx, village, x, y)
        self.kind = kind
        self.exposure = 0


class Moneylender(Actor):
    """A tengkulak lending from its own cash."""

    def __init__(self, model: IdiomaticFullModel, idx: int, village: int, x: float, y: float, cash: float) -> None:
        super().__init__(model, idx, village, x, y)
        self.cash = cash
        self.exposure = 0


class Cooperative(mesa.Agent):
    """A cooperative's books and rules (kopsim's per-cooperative state arrays) as attributes."""

    def __init__(self, model: IdiomaticFullModel, index: int, s: Any) -> None:
        super().__init__(model)
        self.index = index
        self.cash = float(s.coop_cash[index])
        self.surplus = float(s.coop_surplus[index])
        self.rule_clarity = float(s.rule_clarity[index])
        self.fairness = float(s.fairness[index])
        self.service_quality = float(s.service_quality[index])
        self.shu_paid = float(s.shu_paid[index])
        self.entry_fee = float(s.entry_fee[index])
        self.written_off = float(s.coop_written_off[index])
        self.income_ytd = float(s.coop_income_ytd[index])
        self.cost_ytd = float(s.coop_cost_ytd[index])
        self.households: list[HouseholdAgent] = []
        self.reset_month()

    def reset_month(self) -> None:
        self.lendable = 0.0
        self.withdraw_scale = 1.0
        self.defaults = 0
        self.member_defaults = 0
        self.riders_unpunished = 0
        self.refund_scale = 1.0

    @property
    def gain_factor(self) -> float:
        """kopsim.trust.rule_gain_factor."""
        return self.rule_clarity * self.fairness

    def members(self) -> list[HouseholdAgent]:
        return [h for h in self.households if h.member]


class HouseholdAgent(Actor):
    """A household, member or not, with every quantity kopsim keeps for it as a Python attribute."""

    is_household = True

    def __init__(self, model: IdiomaticFullModel, i: int, s: Any, coop: Cooperative) -> None:
        super().__init__(model, i, int(s.village[i]), float(s.x[i]), float(s.y[i]))
        self.coop = coop
        for name in (
            "age",
            "wealth",
            "farm_capacity",
            "umkm_capacity",
            "image",
            "willingness",
            "helpfulness",
            "time_cost",
            "skill",
            "skill_base",
            "fade_factor",
            "cash",
            "savings_mandatory",
            "savings_voluntary",
            "coop_loan",
            "coop_principal_part",
            "coop_interest_part",
            "coop_loan_rate",
            "ml_loan",
            "ml_principal_part",
            "ml_interest_part",
            "transactions_year",
            "income",
            "income_ref",
            "revenue",
            "harvest",
            "loan_income_basis",
            "board_tie",
        ):
            setattr(self, name, float(getattr(s, name)[i]))
        for name in (
            "role",
            "product",
            "office",
            "follow_up_until",
            "coop_arrears",
            "ml_arrears",
            "coop_excluded_until",
            "ml_excluded_until",
            "licence_until",
        ):
            setattr(self, name, int(getattr(s, name)[i]))
        for name in ("needy", "licensed", "member", "attended_rat", "informed", "eligible"):
            setattr(self, name, bool(getattr(s, name)[i]))
        self.trust_peer, self.trust_board, self.trust_institution = (float(v) for v in s.trust[i])
        self.participation = [float(v) for v in s.participation[i]]
        self.benefit = [float(v) for v in s.benefit[i]]
        self.benefit_seen = [bool(v) for v in s.benefit_seen[i]]
        ml = int(s.ml_lender[i])
        self.ml_lender: Moneylender | None = model.actors[ml] if ml >= 0 else None  # type: ignore[assignment]
        self.mean_benefit = 0.5
        self.member_at_start = self.member
        self.reset_month()

    def reset_month(self) -> None:
        self.contacts = self.received = self.gave = self.exposure = 0
        self.best_teacher = self.skill
        self.met_board = False
        self.heard_from: list[HouseholdAgent] = []
        self.agencies_met: list[int] = []
        self.saved = self.repaid = self.granted = False
        self.board_positive = self.board_negative = 0.0
        self.default_harm = 0.0
        self.joining = self.leaving = False

    def observe(self, item: int, value: float) -> None:
        """kopsim.participation.observe_benefit for one household."""
        self.benefit[item] += self.model.p.participation.benefit_memory * (value - self.benefit[item])

    # ---- 1. livelihoods --------------------------------------------------------------------
    def farm(self) -> None:
        m: IdiomaticFullModel = self.model
        village = m.villages[self.village]
        k = m.p.skills.farm_skill_return
        self.harvest = self.farm_capacity * village.factor * max(0.0, 1.0 + k * (self.skill - m.p.skills.initial_mean))
        ep = m.p.enterprise
        village.supply += self.harvest * ep.supply_share
        village.demand += self.umkm_capacity * ep.input_share

    def produce_and_sell(self) -> None:
        m: IdiomaticFullModel = self.model
        ep, fp = m.p.enterprise, m.p.finance
        output = self.umkm_capacity * (0.5 + 0.5 * self.skill) * m.villages[self.village].fill
        shop = self.member and m.random.random() < self.participation[1]
        via_shop = output if shop else 0.0
        local = output - via_shop
        price = ep.price_index
        self.revenue = price * (via_shop * (1.0 + ep.shop_premium) + local)
        shop_sales = price * via_shop * (1.0 + ep.shop_premium)
        margin = shop_sales * ep.shop_margin
        coop = self.coop
        coop.surplus += margin
        coop.cash += margin
        coop.income_ytd += margin
        self.transactions_year += shop_sales
        self.income = (
            fp.base_income
            + self.harvest
            + self.revenue
            - output * ep.input_share
            - margin
            + fp.loan_return * (self.coop_loan + self.ml_loan)
        )
        self.cash = max(self.cash - fp.cash_spending_rate * self.cash + (1.0 - fp.consumption_share) * self.income, 0.0)
        mu = m.p.participation.benefit_memory
        if self.member:
            ref = max(self.income_ref, 1e-9)
            self.observe(_B_INCOME, min(max(0.5 + (self.income - self.income_ref) / ref, 0.0), 1.0))
        self.income_ref += mu * (self.income - self.income_ref)

    # ---- 2. savings ------------------------------------------------------------------------
    def save(self) -> None:
        m: IdiomaticFullModel = self.model
        fp = m.p.finance
        rand = m.random.random
        u0, u1 = rand(), rand()
        pcap = self.participation[2]
        amount_m = amount_v = 0.0
        if self.member:
            comply = fp.mandatory_compliance + (1.0 - fp.mandatory_compliance) * pcap
            if u0 < comply and self.cash >= fp.mandatory_saving:
                amount_m = fp.mandatory_saving
            if u1 < pcap:
                amount_v = fp.voluntary_saving_share * (self.cash - amount_m)
        out = fp.withdrawal_rate * self.savings_voluntary * self.coop.withdraw_scale
        self.savings_mandatory += amount_m
        self.savings_voluntary += amount_v - out
        net = amount_m + amount_v - out
        self.cash -= net
        self.coop.cash += net
        self.saved = self.member and (amount_m > 0 or u1 < pcap)

    # ---- 3. credit -------------------------------------------------------------------------
    def repay(self) -> None:
        """Instalments of running loans, arrears and default (cooperative and tengkulak)."""
        m: IdiomaticFullModel = self.model
        fp = m.p.finance
        rand = m.random.random
        basis = self.loan_income_basis
        shortfall = min(max(1.0 - self.income / basis, 0.0), 1.0) if basis > 0 else 0.0
        p_pay = fp.repayment_discipline * max(0.0, 1.0 - fp.shortfall_sensitivity * shortfall)
        willing_coop, willing_ml = rand() < p_pay, rand() < p_pay
        coop = self.coop
        if self.coop_loan > 1e-12:
            principal = min(self.coop_principal_part, self.coop_loan)
            due = principal + self.coop_interest_part
            if willing_coop and self.cash >= due:
                self.cash -= due
                coop.cash += due
                coop.surplus += self.coop_interest_part
                coop.income_ytd += self.coop_interest_part
                self.transactions_year += self.coop_interest_part
                self.coop_loan -= principal
                if self.coop_loan < 1e-9:
                    self.coop_loan = 0.0
                self.coop_arrears = 0
                self.repaid = True
                if self.member:
                    rate = self.coop_loan_rate / max(fp.moneylender_interest_rate, 1e-9)
                    self.observe(_B_LOAN_SAT, min(max(1.0 - rate, 0.0), 1.0))
            else:
                self.coop_arrears += 1
                if self.member:
                    self.observe(_B_LOAN_SAT, 0.0)
            if self.coop_loan > 1e-12 and self.coop_arrears >= fp.default_after_months:
                coop.surplus -= self.coop_loan
                coop.written_off += self.coop_loan
                coop.defaults += 1
                if self.member:
                    coop.member_defaults += 1
                self.coop_loan = 0.0
                self.coop_arrears = 0
                self.coop_excluded_until = m.t + fp.default_exclusion_months
        if self.ml_loan > 1e-12:
            principal = min(self.ml_principal_part, self.ml_loan)
            due = principal + self.ml_interest_part
            if willing_ml and self.cash >= due:
                self.cash -= due
                self.ml_lender.cash += due  # type: ignore[union-attr]
                self.ml_loan -= principal
                if self.ml_loan < 1e-9:
                    self.ml_loan = 0.0
                self.ml_arrears = 0
            else:
                self.ml_arrears += 1
            if self.ml_loan > 1e-12 and self.ml_arrears >= fp.default_after_months:
                self.ml_loan = 0.0
                self.ml_arrears = 0
                self.ml_excluded_until = m.t + fp.default_exclusion_months
            if self.ml_loan <= 0:
                self.ml_lender = None

    def borrow(self) -> None:
        """A new loan need; the choice of lender; the board's decision; the cooperative's liquidity
        (served in this activation order), else the village tengkulak as far as its cash allows."""
        m: IdiomaticFullModel = self.model
        fp = m.p.finance
        rand = m.random.random
        if self.coop_loan > 0 or self.ml_loan > 0 or rand() >= fp.loan_need_rate:
            return
        t, coop = m.t, self.coop
        rate = fp.coop_interest_rate
        may_coop = self.coop_excluded_until <= t
        applied = approved = False
        if self.informed and self.member and may_coop:
            adv = (fp.moneylender_interest_rate - rate) / max(fp.moneylender_interest_rate, 1e-9)
            p_coop = _logistic(
                fp.choice_constant
                + fp.choice_rate_weight * adv
                + fp.choice_trust_weight * (self.trust_institution - 0.5)
                + fp.choice_participation_weight * (self.participation[1] - 0.5)
            )
            applied = rand() < p_coop
        if applied:
            p_ok = fp.approval_rate * (1.0 - fp.favouritism * (1.0 - coop.fairness) * (1.0 - self.board_tie))
            approved = rand() < p_ok
            if approved and coop.lendable + 1e-12 >= fp.loan_size:
                coop.lendable -= fp.loan_size
                coop.cash -= fp.loan_size
                self.cash += fp.loan_size
                self.coop_loan = fp.loan_size
                self.coop_principal_part = fp.loan_size / fp.loan_term_months
                self.coop_interest_part = fp.loan_size * rate
                self.coop_loan_rate = rate
                self.granted = True
        if not self.granted:
            lenders = m.villages[self.village].moneylenders
            if lenders and self.ml_excluded_until <= t and rand() < fp.moneylender_uptake:
                lender = lenders[int(rand() * len(lenders))]
                if lender.cash + 1e-12 >= fp.loan_size:
                    lender.cash -= fp.loan_size
                    self.cash += fp.loan_size
                    self.ml_loan = fp.loan_size
                    self.ml_principal_part = fp.loan_size / fp.loan_term_months
                    self.ml_interest_part = fp.loan_size * fp.moneylender_interest_rate
                    self.ml_lender = lender
        if self.granted or self.ml_loan > 0:
            self.loan_income_basis = self.income_ref
        if applied or (self.member and not may_coop):
            self.observe(_B_LOANS, 1.0 if self.granted else 0.0)
        if self.granted:
            self.board_positive = 1.0
        elif applied and not approved:
            self.board_negative = 1.0 - coop.gain_factor  # a refusal under clear, fair rules is understood

    # ---- 4. contacts: what this month's exchanges did --------------------------------------
    def digest(self) -> None:
        m: IdiomaticFullModel = self.model
        p = m.p
        rand = m.random.random
        tp = p.trust
        if self.contacts:
            pos = self.received / self.contacts
            self.trust_peer = _trust_step(self.trust_peer, pos, 1.0 - pos, tp.gain_rate, tp.loss_rate)
            self.image += p.reciprocity.image_update_rate * (self.gave / self.contacts - self.image)
            if self.member:
                self.observe(_B_PEERS, pos)
        if self.met_board and self.member:
            coop = self.coop
            fair = rand() < coop.fairness
            self.observe(_B_BOARD, 1.0 if fair else 0.0)
            self.benefit_seen[_B_BOARD] = True
            self.trust_board = _trust_step(
                self.trust_board,
                1.0 if fair else 0.0,
                0.0 if fair else tp.unfair_treatment_weight,
                tp.gain_rate,
                tp.loss_rate,
                coop.gain_factor,
            )
        self.skill += p.skills.peer_teaching_rate * (self.best_teacher - self.skill)
        # information about membership and credit (kopsim.information)
        ip = p.information
        village = m.villages[self.village]
        broadcast = ip.village_broadcast_rate * village.responsiveness + ip.coop_outreach_rate
        learn = not self.informed and rand() < -math.expm1(-(ip.transmission_rate * self.exposure + broadcast))
        forget = rand() < ip.forget_rate
        self.informed = (self.informed and (self.member or not forget)) or learn
        # what used ties to agencies delivered (kopsim.agencies.serve), and licences running out
        ap = p.agencies
        if self.agencies_met:
            kinds = set(self.agencies_met)
            if kinds & _ADVISES:
                self.skill += ap.extension_gain * (1.0 - self.skill)
            if kinds & _INFORMS:
                self.informed = True
            if kinds & _CERTIFIES:
                if self.licensed:
                    self.licence_until = m.t + round(12 * ap.licence_years)
                elif self.product > 0 and rand() < ap.certification_rate:
                    self.licensed = True
                    self.licence_until = m.t + round(12 * ap.licence_years)
        if self.licensed and 0 <= self.licence_until < m.t:
            self.licensed = False
            self.licence_until = -1

    # ---- 5. governance: free-riding and sanction -------------------------------------------
    def free_ride(self) -> None:
        if not self.member or self.participation[0] >= self.model.p.governance.free_ride_threshold:
            return
        m: IdiomaticFullModel = self.model
        gp = m.p.governance
        m.riders += 1
        coop = self.coop
        # a sentiment tie to the board of one's own cooperative is extra social control
        kin = 0.0
        for tie in self.ties:
            other = tie.other(self)
            if tie.kind == _SENTIMENT and other.member and other.office == _BOARD and other.coop is coop:
                kin = gp.sentiment_control
                break
        p = min(1.0, gp.sanction_probability * (1.0 + kin)) * coop.rule_clarity
        if m.random.random() < p:
            self.participation[0] += gp.sanction_effect * (1.0 - self.participation[0])
        else:
            coop.riders_unpunished += 1

    # ---- 6. trust in the board and the institution; non-members' trust ---------------------
    def judge_cooperative(self) -> None:
        if not self.member:
            return
        m: IdiomaticFullModel = self.model
        tp = m.p.trust
        coop = self.coop
        g = coop.gain_factor
        satisfied = disappointed = False
        if self.saved or self.repaid or self.granted:
            satisfied = m.random.random() < coop.service_quality
            disappointed = not satisfied
            self.observe(_B_SERVICE, 1.0 if satisfied else 0.0)
        self.trust_board = _trust_step(
            self.trust_board, self.board_positive, self.board_negative, tp.gain_rate, tp.loss_rate, g
        )
        harm = max(coop.free_ride_harm, coop.default_harm)
        neg = max(harm, tp.disappointment_weight if disappointed else 0.0)
        self.trust_institution = _trust_step(
            self.trust_institution, 1.0 if satisfied else 0.0, neg, tp.gain_rate, tp.loss_rate, g
        )

    def hear(self) -> None:
        if self.member:
            return
        m: IdiomaticFullModel = self.model
        told_k, total = 0, 0.0
        for other in self.heard_from:
            if other.member:
                told_k += 1
                total += other.trust_institution
        coop = self.coop
        w = m.p.governance.hearsay_weight
        told = w if told_k else 0.0
        mean = total / told_k if told_k else 0.0
        pos = min(max(told * mean + coop.seen_positive, 0.0), 1.0)
        neg = min(max(told * (1.0 - mean) + coop.seen_negative, 0.0), 1.0)
        tp = m.p.trust
        self.trust_institution = _trust_step(self.trust_institution, pos, neg, tp.gain_rate, tp.loss_rate)

    # ---- 7. participation ------------------------------------------------------------------
    def aim(self) -> None:
        """Target propensities from benefit, the norm of member neighbours and institutional trust."""
        seen = [b for b, s in zip(self.benefit, self.benefit_seen, strict=True) if s]
        self.mean_benefit = sum(seen) / len(seen) if seen else 0.5
        if not self.member:
            return
        pp = self.model.p.participation
        wsum = 0.0
        tot = [0.0, 0.0, 0.0]
        for tie in self.ties:
            other = tie.other(self)
            if other.member:
                w = tie.strength
                wsum += w
                q = other.participation
                tot[0] += w * q[0]
                tot[1] += w * q[1]
                tot[2] += w * q[2]
        own = self.participation
        base = pp.benefit_weight * self.mean_benefit + pp.trust_weight * self.trust_institution - self.time_cost
        self.next_participation = [
            own[k]
            + pp.adjustment_rate
            * (
                _logistic(
                    self.model.intercepts[k]
                    - self.model.costs[k]
                    + base
                    + pp.norm_weight * (tot[k] / wsum if wsum > 0 else own[k])
                )
                - own[k]
            )
            for k in range(3)
        ]

    def settle(self) -> None:
        self.participation = self.next_participation if self.member else [0.0, 0.0, 0.0]

    # ---- 8. membership ---------------------------------------------------------------------
    def decide_membership(self) -> None:
        m: IdiomaticFullModel = self.model
        pp = m.p.participation
        rand = m.random.random
        u0, u1 = rand(), rand()
        coop = self.coop
        if not self.member:
            self.joining = (
                self.informed
                and u0 < pp.join_rate * self.trust_institution * coop.members_benefit
                and self.eligible
                and self.cash >= coop.entry_fee
            )
        elif self.office == _NO_OFFICE:
            self.leaving = u1 < pp.exit_rate * (1.0 - self.trust_institution) * (1.0 - self.mean_benefit)
            if self.leaving:
                coop.refunds_owed += self.savings_mandatory + self.savings_voluntary

    def join_or_leave(self) -> None:
        coop = self.coop
        if self.joining:
            self.member = True
            self.cash -= coop.entry_fee
            coop.cash += coop.entry_fee
            self.savings_mandatory += coop.entry_fee
            self.participation = list(coop.habits)  # newcomers take up the cooperative's habits
        elif self.leaving:
            frac = min(1.0, coop.refund_scale)
            pay = (self.savings_mandatory + self.savings_voluntary) * frac
            coop.cash -= pay
            self.cash += pay
            self.savings_mandatory *= 1.0 - frac
            self.savings_voluntary *= 1.0 - frac
            self.member = False
            self.participation = [0.0, 0.0, 0.0]
            self.attended_rat = False

    # ---- 9. skills fade --------------------------------------------------------------------
    def fade_skill(self) -> None:
        m: IdiomaticFullModel = self.model
        rate = m.p.skills.fade_rate
        if self.follow_up_until >= m.t:
            rate *= self.fade_factor
        if self.skill > self.skill_base:
            self.skill -= rate * (self.skill - self.skill_base)

    # ---- 11. the RAT -----------------------------------------------------------------------
    def attend_rat(self) -> None:
        mob = self.model.p.governance.rat_mobilisation
        self.attended_rat = self.member and self.model.random.random() < mob + (1.0 - mob) * self.participation[0]

    def account(self) -> None:
        """The board accounts for the year to those present; willingness to serve."""
        m: IdiomaticFullModel = self.model
        tp = m.p.trust
        if self.attended_rat:
            self.informed = True
            paid = self.coop.shu_paid > 0
            self.trust_board = _trust_step(
                self.trust_board,
                1.0 if paid else 0.0,
                0.0 if paid else tp.disappointment_weight,
                tp.gain_rate,
                tp.loss_rate,
                self.coop.gain_factor,
            )
        self.transactions_year = 0.0
        self.update_willingness()

    def update_willingness(self) -> None:
        h = self.model.p.governance.honorarium_cost
        x = 2.0 * self.trust_institution + 2.0 * self.participation[0] + self.skill - 3.0 - h
        self.willingness = _logistic(x) if self.member else 0.0

    def reset_board_tie(self) -> None:
        self.board_tie = 0.0

    def mark_board_tie(self) -> None:
        """A board member flags its neighbours of the same cooperative (kopsim's ``board_tie``)."""
        if self.member and self.office == _BOARD:
            for tie in self.ties:
                other = tie.other(self)
                if other.is_household and other.coop is self.coop:
                    other.board_tie = 1.0


class Village:
    """A village: its households, moneylenders, weather and raw-material market (plain object)."""

    def __init__(self, index: int, responsiveness: float) -> None:
        self.index = index
        self.responsiveness = responsiveness
        self.households: list[HouseholdAgent] = []
        self.moneylenders: list[Moneylender] = []
        self.factor = 1.0
        self.supply = self.demand = 0.0
        self.fill = 1.0


class IdiomaticFullModel(mesa.Model):
    """kopsim's full monthly step written the usual Mesa way (see :data:`FULL_TWIN_PHASES`).

    ``params``: what :class:`kopsim.model.CooperativeModel` takes; ``seed``: the population is that
    of ``CooperativeModel(params, seed)`` (households, members, offices, ties, money, all copied);
    ``rng_seed``: the twin's own random stream (default ``seed + 1``: not kopsim's draws).
    """

    def __init__(self, params: Any = None, seed: int = 1, rng_seed: int | None = None, source: Any = None) -> None:
        super().__init__(rng=seed + 1 if rng_seed is None else rng_seed)
        from kopsim.model import CooperativeModel

        kop = source if source is not None else CooperativeModel(params, seed=seed, collect_metrics=False)
        self.p: Parameters = kop.base_params
        _check_supported(self.p, kop)
        s, ties = kop.state, kop.ties
        self.t = 0
        self.last_election = int(s.last_election)
        pp = self.p.participation
        self.intercepts = (pp.intercept_organisation, pp.intercept_business, pp.intercept_capital)
        self.costs = (pp.cost_organisation, pp.cost_business, pp.cost_capital)
        rp = self.p.reciprocity
        h = min(max(rp.helping_norm, 1e-9), 1.0 - 1e-9)
        self._help_logit = math.log(h / (1.0 - h))
        self.cooperatives = [Cooperative(self, c, s) for c in range(s.n_coops)]
        self.villages = [Village(v, float(s.responsiveness[v])) for v in range(s.n_villages)]
        H = s.n_households
        self.actors: list[Actor] = [None] * s.n  # type: ignore[list-item]
        for i in range(H, s.n):  # institutions first: households refer to their moneylender
            v, x, y = int(s.village[i]), float(s.x[i]), float(s.y[i])
            if s.role[i] == _MONEYLENDER:
                ml = Moneylender(self, i, v, x, y, float(s.cash[i]))
                self.actors[i] = ml
                self.villages[v].moneylenders.append(ml)
            else:
                self.actors[i] = Agency(self, i, v, x, y, int(s.agency_kind[i]))
        for i in range(H):
            hh = HouseholdAgent(self, i, s, self.cooperatives[max(int(s.coop[i]), 0)])
            self.actors[i] = hh
            hh.coop.households.append(hh)
            self.villages[hh.village].households.append(hh)
        self.households = self.agents_by_type[HouseholdAgent]
        self.actor_set = self.agents.select(lambda a: isinstance(a, Actor))  # households and institutions
        self.households_list: list[HouseholdAgent] = self.actors[:H]  # type: ignore[assignment]
        self.ministries = {i for i in range(H, s.n) if s.agency_kind[i] == _MINISTRY}
        self.cooperative_office = next(i for i in range(H, s.n) if s.agency_kind[i] == 0)
        self.tie_keys: set[tuple[int, int]] = set()
        for k in range(len(ties)):
            self._add_link(
                int(ties.a[k]),
                int(ties.b[k]),
                int(ties.layer[k]),
                int(ties.kind[k]),
                float(ties.strength[k]),
                float(ties.reach[k]),
                permanent=bool(ties.permanent[k]),
                top_down=bool(ties.top_down[k]),
                last_ab=float(ties.last_ab[k]),
                last_ba=float(ties.last_ba[k]),
            )
        self.exchanges = self.mutual = self.riders = 0
        self.last_reciprocity = float("nan")
        self.last_free_rider_share = 0.0
        self.last_shu = 0.0
        self.datacollector = mesa.DataCollector(model_reporters=_REPORTERS)
        self.datacollector.collect(self)

    # ---- ties --------------------------------------------------------------------------------
    def _add_link(self, i: int, j: int, layer: int, kind: int, strength: float, reach: float, **kw: Any) -> Link:
        a, b = (i, j) if i < j else (j, i)
        tie = Link(self.actors[a], self.actors[b], layer, kind, strength, reach, **kw)
        self.actors[a].ties.append(tie)
        self.actors[b].ties.append(tie)
        self.tie_keys.add((a, b))
        return tie

    def remove_tie(self, tie: Link) -> None:
        tie.a.ties.remove(tie)
        tie.b.ties.remove(tie)
        self.tie_keys.discard((tie.a.idx, tie.b.idx))

    def help_probability(self, trust_giver: float, image_receiver: float, last: float, disposition: float) -> float:
        """Scalar :func:`kopsim.reciprocity.help_probability`."""
        rp = self.p.reciprocity
        return _logistic(
            self._help_logit
            + disposition
            + rp.trust_weight * (trust_giver - 0.5)
            + rp.image_weight * (image_receiver - 0.5)
            + rp.direct_weight * (last - 0.5)
        )

    # ---- the month ---------------------------------------------------------------------------
    def step(self) -> None:
        self.t += 1
        p = self.p
        households = self.households
        for coop in self.cooperatives:
            coop.reset_month()
        households.do("reset_month")
        if self.t % 12 == 0:  # a new year: the income statement starts afresh
            for coop in self.cooperatives:
                coop.income_ytd = coop.cost_ytd = 0.0
        # 1. livelihoods
        ep = p.enterprise
        sigma = ep.weather_sigma
        for village in self.villages:
            village.factor = ep.harvest_multiplier * math.exp(self.rng.normal(-0.5 * sigma * sigma, sigma))
            village.supply = village.demand = 0.0
        households.do("farm")
        for village in self.villages:
            village.fill = min(1.0, village.supply / village.demand) if village.demand > 0 else 1.0
        households.shuffle_do("produce_and_sell")
        # 2. savings: withdrawals are scaled to what each cooperative's cash allows
        fp = p.finance
        for coop in self.cooperatives:
            owed = sum(fp.withdrawal_rate * h.savings_voluntary for h in coop.households)
            coop.withdraw_scale = min(1.0, coop.cash / max(owed, 1e-12))
        households.shuffle_do("save")
        # 3. credit: instalments, defaults, then new loans within each cooperative's liquidity
        households.shuffle_do("repay")
        for coop in self.cooperatives:
            deposits = sum(h.savings_mandatory + h.savings_voluntary for h in coop.households)
            coop.lendable = max(coop.cash - fp.liquidity_reserve * deposits, 0.0)
            members = coop.members()
            share = coop.member_defaults / max(len(members), 1)
            coop.default_share = share
            coop.default_harm = min(1.0, fp.default_harm * share)
        households.shuffle_do("borrow")
        for coop in self.cooperatives:  # the running cost, paid as far as cash allows
            cost = min(fp.operating_cost, coop.cash)
            coop.cash -= cost
            coop.surplus -= fp.operating_cost
            coop.cost_ytd += cost
        # 4. contacts along ties, then what each household made of them
        self.exchanges = self.mutual = 0
        self.actor_set.shuffle_do("meet")
        self.last_reciprocity = self.mutual / self.exchanges if self.exchanges else float("nan")
        households.do("digest")
        # 5. free-riding and sanction
        self.riders = 0
        households.shuffle_do("free_ride")
        gp = p.governance
        n_members = 0
        for coop in self.cooperatives:
            k = len(coop.members())
            n_members += k
            coop.free_ride_harm = min(1.0, gp.free_ride_harm * coop.riders_unpunished / max(k, 1))
        self.last_free_rider_share = self.riders / n_members if n_members else 0.0
        # 6. members' trust in the board and the cooperative; what non-members hear and see
        households.do("judge_cooperative")
        after_rat = self.t % 12 == (gp.rat_month + 1) % 12
        for coop in self.cooperatives:
            coop.seen_positive = gp.shu_visibility if (coop.shu_paid > 0 and after_rat) else 0.0
            coop.seen_negative = min(1.0, fp.default_harm * coop.default_share)
        households.do("hear")
        # 7. participation (targets from last month's neighbours, then all move)
        households.do("aim")
        households.do("settle")
        # 8. membership: the cooperative's members' mean benefit and habits, then joins and exits
        for coop in self.cooperatives:
            members = coop.members()
            k = max(len(members), 1)
            coop.members_benefit = sum(h.mean_benefit for h in members) / k
            coop.habits = [sum(h.participation[d] for h in members) / k for d in range(3)]
            coop.refunds_owed = 0.0
        households.shuffle_do("decide_membership")
        for coop in self.cooperatives:
            joiners = sum(coop.entry_fee for h in coop.households if h.joining)
            coop.refund_scale = (coop.cash + joiners) / max(coop.refunds_owed, 1e-12)
        households.do("join_or_leave")
        # 9. skills fade toward their pre-training level
        households.do("fade_skill")
        # 10. network dynamics
        self.actor_set.do("tend_ties")
        self.form_ties()
        # 11. the RAT in its month
        self.last_shu = 0.0
        if self.t % 12 == gp.rat_month % 12:
            self.rat()
        households.do("reset_board_tie")
        households.do("mark_board_tie")
        self.datacollector.collect(self)

    def form_ties(self) -> None:
        """Triadic closure and proximity proposals, accepted by homophily and distance."""
        p, rng, rand = self.p, self.rng, self.random.random
        np_ = p.network
        hh = self.households_list
        H = len(hh)
        count = int(rng.poisson(np_.formation_attempts * H))
        if not count:
            return
        n_tri = int(rng.binomial(count, np_.triadic_share))
        pairs: list[tuple[Actor, Actor]] = []
        brokers = [h for h in hh if len(h.ties) >= 2]
        for _ in range(n_tri if brokers else 0):
            broker = brokers[int(rand() * len(brokers))]
            k = len(broker.ties)
            pairs.append((broker.ties[int(rand() * k)].other(broker), broker.ties[int(rand() * k)].other(broker)))
        villages = self.villages
        for _ in range(count - n_tri):
            i = hh[int(rand() * H)]
            v = i.village
            if rand() < np_.bridging_share and len(villages) > 1:
                v = (v + 1 + int(rand() * (len(villages) - 1))) % len(villages)
            people = villages[v].households
            pairs.append((i, people[int(rand() * len(people))]))
        pop = p.population
        span = max(pop.age_max - pop.age_min, 1e-9)
        seen: set[tuple[int, int]] = set()
        for i, j in pairs:
            if i is j or not (i.is_household and j.is_household):
                continue
            key = (i.idx, j.idx) if i.idx < j.idx else (j.idx, i.idx)
            if key in self.tie_keys or key in seen:
                continue
            seen.add(key)
            d_age = abs(i.age - j.age) / span
            d_wealth = min(1.0, abs(math.log1p(i.wealth) - math.log1p(j.wealth)) / 4.0)
            d_role = 1.0 if (i.role != j.role or i.product != j.product) else 0.0
            dist = math.hypot(i.x - j.x, j.y - i.y)
            if rand() < math.exp(-np_.homophily * (d_age + d_wealth + d_role) / 3.0 - dist / np_.proximity_scale_km):
                layer = _BONDING if i.village == j.village else _BRIDGING
                kind = _SENTIMENT if layer == _BONDING else _INTEREST
                reach = math.exp(-dist / np_.proximity_scale_km)
                self._add_link(i.idx, j.idx, layer, kind, np_.new_tie_strength, reach, last_contact=self.t)

    def rat(self) -> None:
        """The annual members' meeting: attendance, SHU, accountability, willingness, elections."""
        p = self.p
        fp = p.finance
        households = self.households
        households.do("attend_rat")
        total = 0.0
        for coop in self.cooperatives:
            members = coop.members()
            pool = fp.shu_member_share * max(coop.surplus, 0.0)
            capital = [h.savings_mandatory + h.savings_voluntary for h in members]
            sum_k = sum(capital)
            sum_x = sum(h.transactions_year for h in members)
            k = max(len(members), 1)
            payout = []
            for h, cap in zip(members, capital, strict=True):
                share_k = cap / sum_k if sum_k > 0 else 1.0 / k
                share_x = h.transactions_year / sum_x if sum_x > 0 else 1.0 / k
                payout.append(pool * (fp.shu_capital_share * share_k + (1.0 - fp.shu_capital_share) * share_x))
            owed = sum(payout)
            scale = min(1.0, coop.cash / max(owed, 1e-12)) if owed > 0 else 0.0
            for h, pay in zip(members, payout, strict=True):
                h.cash += pay * scale
            coop.cash -= owed * scale
            coop.shu_paid = owed * scale
            total += coop.shu_paid
            settled = scale if owed > 0 else 1.0
            if coop.surplus > 0:
                coop.surplus *= 1.0 - settled
        self.last_shu = total
        households.do("account")
        if self.t - self.last_election >= p.governance.board_term_months:
            self.elect()

    def elect(self) -> None:
        """Board elections: members stand with their willingness, the most reputed win; incumbents
        fill empty seats; the cooperative office ties to the new board; the chair's office ties move."""
        self.last_election = self.t
        seats = self.p.population.board_size
        rand = self.random.random
        np_ = self.p.network
        for coop in self.cooperatives:
            pool = [h for h in coop.households if h.member and h.office != _SUPERVISOR]
            standing = [h for h in pool if rand() < h.willingness]
            standing.sort(key=lambda h: (-h.image, rand()))
            elected = standing[:seats]
            incumbents = [h for h in pool if h.office == _BOARD]
            old_chair = self._chair(coop)
            for h in incumbents:
                if len(elected) >= seats:
                    break
                if h not in elected:
                    elected.append(h)
            for h in incumbents:
                h.office = _NO_OFFICE
            for h in elected:
                h.office = _BOARD
                key = (h.idx, self.cooperative_office)
                if key not in self.tie_keys:  # the cooperative office registers the new board (top-down)
                    self._add_link(
                        h.idx, self.cooperative_office, _LINKING, _INTEREST, np_.new_tie_strength, 1.0, top_down=True
                    )
            if elected and old_chair is not None and old_chair is not elected[0]:
                self._hand_over(old_chair, elected[0])

    def _chair(self, coop: Cooperative) -> HouseholdAgent | None:
        """The holder of the ministry's power tie in ``coop`` (the chair's office)."""
        for h in coop.households:
            for tie in h.ties:
                if tie.other(h).idx in self.ministries:
                    return h
        return None

    def _hand_over(self, old: HouseholdAgent, new: HouseholdAgent) -> None:
        for tie in list(old.ties):
            other = tie.other(old)
            if other.idx in self.ministries or (isinstance(other, Agency) and other.kind == _VILLAGE_GOVERNMENT):
                self.remove_tie(tie)
                if (min(new.idx, other.idx), max(new.idx, other.idx)) not in self.tie_keys:
                    self._add_link(
                        new.idx,
                        other.idx,
                        tie.layer,
                        tie.kind,
                        tie.strength,
                        tie.reach,
                        permanent=tie.permanent,
                        top_down=tie.top_down,
                    )

    # ---- outcomes ----------------------------------------------------------------------------
    def means(self) -> dict[str, float]:
        return {name: fn(self) for name, fn in _REPORTERS.items()}


def _members(model: IdiomaticFullModel) -> list[HouseholdAgent]:
    return [h for h in model.households_list if h.member]


def _member_mean(model: IdiomaticFullModel, fn: Any) -> float:
    members = _members(model)
    return sum(fn(h) for h in members) / len(members) if members else float("nan")


def _nonmember_mean(model: IdiomaticFullModel, fn: Any) -> float:
    out = [fn(h) for h in model.households_list if not h.member]
    return sum(out) / len(out) if out else float("nan")


def _household_mean(model: IdiomaticFullModel, fn: Any) -> float:
    hh = model.households_list
    return sum(fn(h) for h in hh) / len(hh)


# The twin's model-level outcomes, collected every month by its mesa.DataCollector (as kopsim's
# metrics table is); the agreement check compares the first ones with kopsim's (:func:`kopsim_means`).
_REPORTERS: dict[str, Any] = {
    "membership_share": lambda m: _household_mean(m, lambda h: 1.0 if h.member else 0.0),
    "trust_peer": lambda m: _member_mean(m, lambda h: h.trust_peer),
    "trust_board": lambda m: _member_mean(m, lambda h: h.trust_board),
    "trust_institution": lambda m: _member_mean(m, lambda h: h.trust_institution),
    "participation": lambda m: _member_mean(m, lambda h: sum(h.participation) / 3.0),
    "savings": lambda m: _household_mean(m, lambda h: h.savings_mandatory + h.savings_voluntary),
    "trust_institution_nonmembers": lambda m: _nonmember_mean(m, lambda h: h.trust_institution),
    "turnover": lambda m: _household_mean(m, lambda h: 1.0 if h.member != h.member_at_start else 0.0),
    "rat_attendance": lambda m: _member_mean(m, lambda h: 1.0 if h.attended_rat else 0.0),
    "information_reach": lambda m: _household_mean(m, lambda h: 1.0 if h.informed else 0.0),
    "image": lambda m: _household_mean(m, lambda h: h.image),
    "skill": lambda m: _household_mean(m, lambda h: h.skill),
    "income": lambda m: _household_mean(m, lambda h: h.income),
    "coop_loans": lambda m: _household_mean(m, lambda h: h.coop_loan),
    "moneylender_loans": lambda m: _household_mean(m, lambda h: h.ml_loan),
    "coop_cash": lambda m: sum(c.cash for c in m.cooperatives),
    "ties": lambda m: len(m.tie_keys),
    "tie_strength": lambda m: sum(t.strength for a in m.actors for t in a.ties if t.a is a) / len(m.tie_keys),
    "reciprocity_rate": lambda m: m.last_reciprocity,
    "free_rider_share": lambda m: m.last_free_rider_share,
    "shu_paid": lambda m: m.last_shu,
}


def kopsim_means(model: Any, member_at_start: np.ndarray | None = None) -> dict[str, float]:
    """The outcomes of :data:`_REPORTERS` read from a :class:`kopsim.model.CooperativeModel`'s arrays
    (``member_at_start``: membership in month 0, for the turnover; default: now)."""
    s = model.state
    H = s.n_households
    mem = s.member[:H]
    start = mem if member_at_start is None else member_at_start
    tr, pa = s.trust[:H][mem], s.participation[:H][mem]
    n = max(int(mem.sum()), 1)
    return {
        "membership_share": float(mem.mean()),
        "trust_peer": float(tr[:, 0].sum() / n),
        "trust_board": float(tr[:, 1].sum() / n),
        "trust_institution": float(tr[:, 2].sum() / n),
        "participation": float(pa.sum() / (3 * n)),
        "savings": float((s.savings_mandatory[:H] + s.savings_voluntary[:H]).mean()),
        "trust_institution_nonmembers": float(s.trust[:H, 2][~mem].mean()) if (~mem).any() else float("nan"),
        "turnover": float((mem != start).mean()),
        "rat_attendance": float(s.attended_rat[:H][mem].mean()) if mem.any() else float("nan"),
        "information_reach": float(s.informed[:H].mean()),
        "image": float(s.image[:H].mean()),
        "skill": float(s.skill[:H].mean()),
        "income": float(s.income[:H].mean()),
        "coop_loans": float(s.coop_loan[:H].mean()),
        "moneylender_loans": float(s.ml_loan[:H].mean()),
        "coop_cash": float(s.coop_cash.sum()),
        "ties": float(len(model.ties)),
        "tie_strength": float(model.ties.strength.mean()),
        "reciprocity_rate": float(model.last_reciprocity[0]),
        "free_rider_share": float(model.last_free_rider_share[0]),
        "shu_paid": float(model.last_shu[0]),
    }


def _check_supported(p: Parameters, kop: Any) -> None:
    """The twin covers a scenario without programmes (kopsim's benchmark populations); refuse the rest."""
    unsupported = []
    if kop.interventions:
        unsupported.append("interventions")
    if kop.replicates != 1:
        unsupported.append("a batch of worlds")
    if p.cooperative.units:
        unsupported.append("cooperative.units")
    if p.cooperative.mandatory_saving:
        unsupported.append("cooperative.mandatory_saving per cooperative")
    if p.skills.training_every_months:
        unsupported.append("skills.training_every_months (the standing Diklat)")
    if p.enterprise.product_skills or p.enterprise.crop_skills:
        unsupported.append("programme skills")
    if unsupported:
        raise ValueError(f"IdiomaticFullModel does not cover {', '.join(unsupported)}")


# ---- agreement of the full twin with kopsim ---------------------------------------------------
FULL_AGREEMENT_KEYS = (
    "membership_share",
    "trust_peer",
    "trust_board",
    "trust_institution",
    "participation",
    "savings",
    "information_reach",
    "image",
)


def full_trajectories(
    params: Any, steps: int, seed: int, which: tuple[str, ...] = ("kopsim", "twin")
) -> dict[str, list[dict[str, float]]]:
    """Model-level outcomes after each month of kopsim and (or) of its idiomatic twin, from one
    population (``CooperativeModel(params, seed)``; the twin copies it before kopsim runs, and draws
    from its own stream, seeded ``seed + 7919``)."""
    from kopsim.model import CooperativeModel

    kop = CooperativeModel(params, seed=seed, collect_metrics=False)
    start = kop.state.member[: kop.state.n_households].copy()
    out: dict[str, list[dict[str, float]]] = {}
    if "twin" in which:
        twin = IdiomaticFullModel(source=kop, seed=seed, rng_seed=seed + 7919)
        out["twin"] = [twin.means()]
        for _ in range(steps):
            twin.step()
            out["twin"].append(twin.means())
    if "kopsim" in which:
        out["kopsim"] = [kopsim_means(kop, start)]
        for _ in range(steps):
            kop.step()
            out["kopsim"].append(kopsim_means(kop, start))
    return out


def compare_trajectories(
    kopsim_runs: list[list[dict[str, float]]], twin_runs: list[list[dict[str, float]]], keys: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """Per outcome: the seed-averaged trajectories of kopsim and the twin and their relative gaps —
    the largest over the months, at the end, and of the means over months 1 … T (for outcomes that
    are noisy month by month) — with kopsim's own standard error of the seed mean for scale."""
    out = {}
    for key in keys:
        k_rows = np.array([[row[key] for row in r] for r in kopsim_runs])
        kop = k_rows.mean(axis=0)
        twin = np.mean([[row[key] for row in r] for r in twin_runs], axis=0)
        rel = np.abs(twin - kop) / np.maximum(np.abs(kop), 1e-12)
        se = k_rows.std(axis=0, ddof=1) / math.sqrt(len(kopsim_runs)) if len(kopsim_runs) > 1 else 0.0 * kop
        out[key] = {
            "initial": float(kop[0]),
            "kopsim_final": float(kop[-1]),
            "twin_final": float(twin[-1]),
            "rel_gap_final": float(rel[-1]),
            "rel_gap_max": float(rel.max()),
            "month_of_max": int(rel.argmax()),
            "rel_gap_mean": float(abs(twin[1:].mean() - kop[1:].mean()) / max(abs(kop[1:].mean()), 1e-12)),
            "kopsim_rel_se_max": float((se / np.maximum(np.abs(kop), 1e-12)).max()),
        }
    return out


def full_agreement(
    params: Any, steps: int, seeds: list[int], keys: tuple[str, ...] = FULL_AGREEMENT_KEYS
) -> dict[str, Any]:
    """Seed-averaged trajectories of kopsim and the twin and their largest relative gap per outcome."""
    runs = [full_trajectories(params, steps, s) for s in seeds]
    outcomes = compare_trajectories([r["kopsim"] for r in runs], [r["twin"] for r in runs], keys)
    worst = max(outcomes, key=lambda k: outcomes[k]["rel_gap_max"])
    return {
        "steps": steps,
        "seeds": list(seeds),
        "outcomes": outcomes,
        "rel_gap_max": outcomes[worst]["rel_gap_max"],
        "worst": worst,
    }
