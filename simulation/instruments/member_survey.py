"""Instrument 1, the member survey (Firdaus & Baga 2019): the fifteen items, the response model and
the virtual survey of a simulated cooperative.

Response model (one respondent i, one item k)
---------------------------------------------
Every item has a *latent score* L_ik ∈ [0, 1] computed from the respondent's state (the
table in :func:`latent_scores`). The answer is an ordered probit of it::

    Y_ik = 1 + 1[L_ik + ε_ik ≥ κ₁] + 1[L_ik + ε_ik ≥ κ₂],   ε_ik ~ N(0, σ²) independent,

so P(Y = 1) = Φ((κ₁ − L)/σ), P(Y = 3) = 1 − Φ((κ₂ − L)/σ), and with σ = 0 the answer is the
band [0, κ₁), [κ₁, κ₂) or [κ₂, 1] the latent score falls in. σ = ``noise_sd`` (0.15), κ₁ =
``cut_low`` (0.2), κ₂ = ``cut_high`` (0.5) (:class:`ResponseModel`). The cut points are
calibrated, not the thirds of [0, 1]: with κ₂ = 2/3 a neutral latent score of 0.5 (e.g. an
income as before) has an expected answer of exactly 2, yet 13 of the 15 items of the Mandiri
Jaya survey are in the high category; over pilot fits to that survey (docs/CALIBRATION.md)
κ₁ = 0.2, κ₂ = 0.5 gave the smallest distance the model parameters could reach among
(0.2, 0.5), (0.25, 0.55), (0.3, 0.6) and (1/3, 2/3), with σ = 0.15 best among 0.07, 0.1 and
0.15 (respondents who answer positively: acquiescence). The draw order is fixed: respondents first
(``Generator.choice`` without replacement), then an (n × 15) block of noise in
:data:`ITEM_NAMES` order, so the same state and seed give the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..participation import BENEFIT_ITEMS, DOMAINS
from ..state import BOARD_TRUST, BUSINESS, CAPITAL, INSTITUTION, ORGANISATION
from .response import ResponseModel

if TYPE_CHECKING:
    from ..model import CooperativeModel


class SurveyError(UsageError):
    """Unusable survey input (CSV, published dataset, respondents): one line naming row, column or key.

    A :class:`kopsim.errors.UsageError`, so ``kopsim`` prints it as ``kopsim: error: …`` and exits 2.
    """


# ---- the items ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One survey item: its column name, what it asks, and its domain (``benefit`` for benefit items)."""

    name: str
    question: str
    domain: str

    @property
    def kind(self) -> str:
        return "benefit" if self.domain == "benefit" else "participation"


PARTICIPATION_ITEMS: tuple[Item, ...] = (
    Item("rat_attendance", "attends the annual members' meeting (RAT)", "organisation"),
    Item("giving_suggestions", "gives suggestions to the board", "organisation"),
    Item("knowledge_of_cooperative", "knows what a cooperative is and how it works", "organisation"),
    Item("willing_to_serve_board", "is willing to serve on the board", "organisation"),
    Item("willing_to_stay", "is willing to stay a member", "organisation"),
    Item("mandatory_savings", "pays mandatory savings (simpanan wajib)", "capital"),
    Item("voluntary_savings", "pays voluntary savings (simpanan sukarela)", "capital"),
    Item("borrowing_for_business", "borrows to start or run a business", "business"),
)
BENEFIT_QUESTIONS = {
    "ease_of_loans": "finds it easy to get loans",
    "income_increase": "reports an income increase",
    "loan_satisfaction": "is satisfied with the loans",
    "service_satisfaction": "is satisfied with the service",
    "training_satisfaction": "is satisfied with the training",
    "member_member_relations": "has good relations with other members",
    "member_board_relations": "has a good relation with the board",
}
ITEMS: tuple[Item, ...] = PARTICIPATION_ITEMS + tuple(Item(b, BENEFIT_QUESTIONS[b], "benefit") for b in BENEFIT_ITEMS)
ITEM_NAMES: tuple[str, ...] = tuple(it.name for it in ITEMS)
ITEM_BY_NAME = {it.name: it for it in ITEMS}
RESPONDENT_COLUMN = "respondent"
ANSWERS = (1, 2, 3)
SCORE_DOMAINS: tuple[str, ...] = (*DOMAINS, "benefit")

Responses: TypeAlias = pd.DataFrame
"""One row per respondent (index ``respondent``), one integer column 1..3 per item of :data:`ITEM_NAMES`."""


# ---- the response model: kopsim.instruments.response (light: a scenario's [survey] validates it) ----


def latent_scores(model: CooperativeModel, idx: np.ndarray, rm: ResponseModel | None = None) -> pd.DataFrame:
    """Latent scores L ∈ [0, 1] of the households ``idx`` on every item (columns :data:`ITEM_NAMES`).

    ============================  =========================================================
    item                          latent score L (state of the respondent)
    ============================  =========================================================
    rat_attendance                ω·P_org + (1 − ω)·A, A = 1 if at the last RAT (``attended_rat``)
    giving_suggestions            P_org · T_board (one speaks up where one takes part and trusts the board)
    knowledge_of_cooperative      (w_S·S + w_I·I + w_O·P_org) / (w_S + w_I + w_O); S skill, I informed (0/1)
    willing_to_serve_board        W, the model's willingness to serve (governance.board_willingness)
    willing_to_stay               1 − (1 − T_inst)(1 − B̄), the complement of the exit hazard's factor
                                  (participation.exit_rate · (1 − T_inst) · (1 − B̄)); B̄ mean benefit
    mandatory_savings             m + (1 − m)·P_cap, the model's monthly chance of paying simpanan
                                  wajib (m = finance.mandatory_compliance)
    voluntary_savings             P_cap, the monthly chance of a voluntary deposit
    borrowing_for_business        P_bus, the chance of applying when a loan is needed
    each benefit item k           B_k, the perceived-benefit item (State.benefit column k)
    ============================  =========================================================

    P_org, P_bus, P_cap: participation propensities; T_board, T_inst: trust in the board and
    the institution; ω, w_S, w_I, w_O: :class:`ResponseModel`.
    """
    rm = rm or ResponseModel()
    s = model.state
    idx = np.asarray(idx, dtype=np.int64)
    p_org = s.participation[idx, ORGANISATION]
    p_bus = s.participation[idx, BUSINESS]
    p_cap = s.participation[idx, CAPITAL]
    benefit = s.benefit[idx]
    omega = rm.rat_propensity_weight
    w = np.array([rm.knowledge_skill_weight, rm.knowledge_informed_weight, rm.knowledge_organisation_weight])
    knowledge = (w[0] * s.skill[idx] + w[1] * s.informed[idx] + w[2] * p_org) / w.sum()
    m = model.p.finance.mandatory_compliance
    cols = {
        "rat_attendance": omega * p_org + (1.0 - omega) * s.attended_rat[idx],
        "giving_suggestions": p_org * s.trust[idx, BOARD_TRUST],
        "knowledge_of_cooperative": knowledge,
        "willing_to_serve_board": s.willingness[idx],
        "willing_to_stay": 1.0 - (1.0 - s.trust[idx, INSTITUTION]) * (1.0 - benefit.mean(axis=1)),
        "mandatory_savings": m + (1.0 - m) * p_cap,
        "voluntary_savings": p_cap,
        "borrowing_for_business": p_bus,
    }
    for k, name in enumerate(BENEFIT_ITEMS):
        cols[name] = benefit[:, k]
    frame = pd.DataFrame(
        {name: np.clip(np.asarray(cols[name], dtype=float), 0.0, 1.0) for name in ITEM_NAMES},
        index=pd.Index(idx, name=RESPONDENT_COLUMN),
    )
    return frame


def answer(latent: np.ndarray, noise: np.ndarray, rm: ResponseModel) -> np.ndarray:
    """Y = 1 + 1[L + ε ≥ κ₁] + 1[L + ε ≥ κ₂] (integers 1..3), ``noise`` = ε already scaled by σ."""
    z = latent + noise
    return (1 + (z >= rm.cut_low) + (z >= rm.cut_high)).astype(np.int64)


def survey_members(model: CooperativeModel, cooperative: int = 0) -> np.ndarray:
    """Indices of the current members of ``cooperative`` (the sampling frame), ascending."""
    s = model.state
    if not 0 <= cooperative < s.n_coops:
        raise SurveyError(f"cooperative {cooperative} does not exist; allowed: 0..{s.n_coops - 1}")
    H = s.n_households
    return np.flatnonzero(s.member[:H] & (s.coop[:H] == cooperative))


def virtual_survey(
    model: CooperativeModel,
    n: int,
    seed: int | None,
    cooperative: int = 0,
    rm: ResponseModel | None = None,
) -> Responses:
    """Survey ``n`` members of ``cooperative`` of a (run) model: one row per respondent, answers 1..3.

    Respondents are drawn without replacement with ``numpy.random.default_rng(seed)`` (``n`` is
    capped at the number of members); each answers every item by the response model of the
    module docstring. The model is only read, never changed, and its own generator is not used.
    The index holds the respondents' agent indices, ascending.
    """
    rm = rm or ResponseModel()
    if n < 1:
        raise SurveyError(f"respondents: {n} is not allowed; survey at least 1 member")
    frame = survey_members(model, cooperative)
    if frame.size == 0:
        raise SurveyError(f"cooperative {cooperative} has no members to survey")
    chosen, noise = draw_respondents(frame, min(n, frame.size), seed, rm)
    latent = latent_scores(model, chosen, rm)
    return pd.DataFrame(answer(latent.to_numpy(), noise, rm), index=latent.index, columns=list(ITEM_NAMES))


def draw_respondents(
    frame: np.ndarray,
    n: int,
    seed: int | None,
    rm: ResponseModel,
) -> tuple[np.ndarray, np.ndarray]:
    """The survey's draws: ``n`` respondents of ``frame`` without replacement (ascending), then an
    (n × 15) block of answer noise ε ~ N(0, σ²), both from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(frame, size=n, replace=False))
    noise = rng.normal(0.0, 1.0, (chosen.size, len(ITEM_NAMES))) * rm.noise_sd
    return chosen, noise


__all__ = [
    "ANSWERS",
    "BENEFIT_QUESTIONS",
    "ITEMS",
    "ITEM_BY_NAME",
    "ITEM_NAMES",
    "PARTICIPATION_ITEMS",
    "RESPONDENT_COLUMN",
    "SCORE_DOMAINS",
    "Item",
    "ResponseModel",
    "Responses",
    "SurveyError",
    "answer",
    "draw_respondents",
    "latent_scores",
    "survey_members",
    "virtual_survey",
]
