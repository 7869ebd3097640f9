"""kopsim's trust and participation dynamics in two formulations, for a like-with-like speed ratio.

The *reduced dynamics* are the core of kopsim's monthly contacts (step 4) and participation
(step 7), on a fixed network and with every household a member:

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
