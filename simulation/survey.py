"""The observation model: the instruments of the field studies, applied to a simulated cooperative.

Three instruments of DOMAIN.md ("Measurement instruments the model must speak"):

1. **Member survey** (Firdaus & Baga 2019, Koperasi Mandiri Jaya). :func:`virtual_survey`
   draws respondents from a simulated cooperative and answers the fifteen items (:data:`ITEMS`:
   eight participation items in three domains and the seven benefit items) from their model
   state through the response model below; :func:`load_survey_csv` reads the same table from
   real answers. :func:`analyse` turns either into item totals, categories, answer shares and
   Spearman correlations, so a simulated and a real survey are summarised identically.
2. **PTP** — Penilaian Tangga Perkembangan (Soedjono 2003): :func:`ptp_score` scores the 23
   variables of a cooperative from its state and sums them into the four indicators and
   their green / yellow / red zones.
3. **Relational properties** of partnerships (Franke 2005): :func:`partnership_properties`.

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

Categories of an item total
---------------------------
Each of n respondents answers 1–3, so a total T runs n … 3n. The study's table for n = 30
(Rendah / low 30–50, Sedang / medium 51–71, Tinggi / high 72–90) is scaled proportionally
on the mean answer T/n: **low** when T/n ≤ 50/30 (= 5/3), **high** when T/n ≥ 72/30 (= 2.4),
**medium** in between; in whole totals: low n … ⌊5n/3⌋, medium ⌊5n/3⌋+1 … ⌈12n/5⌉−1, high
⌈12n/5⌉ … 3n. For n = 30 this is the published table exactly (:func:`category_bounds`).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import tomllib
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import UsageError
from .parameters import _Group, param
from .participation import BENEFIT_ITEMS, DOMAINS, logistic
from .state import BOARD, BOARD_TRUST, BUSINESS, CAPITAL, INSTITUTION, ORGANISATION, PARTNER, SUPERVISOR

if TYPE_CHECKING:
    from .model import CooperativeModel


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
# The study's category table for 30 respondents, as bounds on the mean answer (total / n).
LOW_MAX_MEAN = (50, 30)     # low:  total / n ≤ 50/30
HIGH_MIN_MEAN = (72, 30)    # high: total / n ≥ 72/30
SCORE_DOMAINS: tuple[str, ...] = (*DOMAINS, "benefit")

Responses = pd.DataFrame
"""One row per respondent (index ``respondent``), one integer column 1..3 per item of :data:`ITEM_NAMES`."""


# ---- the response model -------------------------------------------------------------------------
@dataclass(frozen=True)
class ResponseModel(_Group):
    """Constants of the survey response model (validated like the model parameters)."""

    noise_sd: float = param(0.15, 0.0, 5.0, "latent units", "s.d. σ of the answer noise ε")
    cut_low: float = param(0.2, 0.0, 1.0, "latent", "κ₁: latent score from which the answer is 2")
    cut_high: float = param(0.5, 0.0, 1.0, "latent", "κ₂: latent score from which the answer is 3")
    rat_propensity_weight: float = param(
        0.5, 0.0, 1.0, "weight", "ω in L = ω·P_org + (1 − ω)·attended last RAT (rat_attendance)")
    knowledge_skill_weight: float = param(1.0, 0.0, 100.0, "weight", "weight of skill in knowledge_of_cooperative")
    knowledge_informed_weight: float = param(
        0.0, 0.0, 100.0, "weight", "weight of being informed about membership and credit in knowledge_of_cooperative "
        "(0: every member is informed, so in a member survey the term is a constant)")
    knowledge_organisation_weight: float = param(
        1.0, 0.0, 100.0, "weight", "weight of organisation participation (involvement) in knowledge_of_cooperative")

    def _check_relations(self) -> None:
        from .parameters import ParameterError

        if self.cut_high < self.cut_low:
            raise ParameterError("cut_high", f"must be >= cut_low ({self.cut_low:g})")
        if self.knowledge_skill_weight + self.knowledge_informed_weight + self.knowledge_organisation_weight <= 0:
            raise ParameterError("knowledge_skill_weight", "the three knowledge weights must not all be 0")


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
    frame = pd.DataFrame({name: np.clip(np.asarray(cols[name], dtype=float), 0.0, 1.0) for name in ITEM_NAMES},
                         index=pd.Index(idx, name=RESPONDENT_COLUMN))
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
    model: CooperativeModel, n: int, seed: int | None, cooperative: int = 0, rm: ResponseModel | None = None,
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
    frame: np.ndarray, n: int, seed: int | None, rm: ResponseModel,
) -> tuple[np.ndarray, np.ndarray]:
    """The survey's draws: ``n`` respondents of ``frame`` without replacement (ascending), then an
    (n × 15) block of answer noise ε ~ N(0, σ²), both from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(frame, size=n, replace=False))
    noise = rng.normal(0.0, 1.0, (chosen.size, len(ITEM_NAMES))) * rm.noise_sd
    return chosen, noise


# ---- analysis -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategoryBounds:
    """Whole-number bounds of the item-total categories for ``n`` respondents (inclusive)."""

    n: int
    low: tuple[int, int]
    medium: tuple[int, int]
    high: tuple[int, int]

    def category(self, total: float) -> str:
        """'low', 'medium' or 'high' for an item total (by the mean answer total / n, see module)."""
        return str(self.categories(total))

    def categories(self, totals: np.ndarray | float) -> np.ndarray:
        """:meth:`category` of every total of an array (same shape, strings)."""
        t = np.asarray(totals, dtype=float)
        low = t * LOW_MAX_MEAN[1] <= LOW_MAX_MEAN[0] * self.n
        high = t * HIGH_MIN_MEAN[1] >= HIGH_MIN_MEAN[0] * self.n
        return np.where(low, "low", np.where(high, "high", "medium"))

    def text(self) -> str:
        def span(lo: int, hi: int) -> str:
            return f"{lo}-{hi}" if hi > lo else (f"{lo}" if hi == lo else "none")

        return (f"low {span(*self.low)}, medium {span(*self.medium)}, high {span(*self.high)}")


def category_bounds(n: int) -> CategoryBounds:
    """low n … ⌊5n/3⌋, medium … ⌈12n/5⌉ − 1, high ⌈12n/5⌉ … 3n (30 → 30–50 / 51–71 / 72–90)."""
    if n < 1:
        raise SurveyError(f"respondents: {n}; categories need at least 1 respondent")
    low_max = (LOW_MAX_MEAN[0] * n) // LOW_MAX_MEAN[1]
    high_min = -((-HIGH_MIN_MEAN[0] * n) // HIGH_MIN_MEAN[1])
    return CategoryBounds(n, (n, low_max), (low_max + 1, high_min - 1), (high_min, 3 * n))


@dataclass(frozen=True)
class SurveyResult:
    """Statistics of one survey (virtual or real), as :func:`analyse` computes them.

    ``items``: one row per item (in :data:`ITEM_NAMES` order) with ``kind``, ``domain``,
    ``total``, ``category`` and ``share_1/2/3`` (share of respondents giving each answer);
    ``scores``: per respondent the sum of the items of each participation domain and of the
    benefit items; ``spearman``: per domain Spearman r_s and two-sided p between the benefit
    score and the domain score (NaN when either is constant).
    """

    n: int
    bounds: CategoryBounds
    items: pd.DataFrame
    scores: pd.DataFrame
    spearman: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The item table (a copy)."""
        return self.items.copy()

    def format(self, published: PublishedSurvey | None = None) -> str:
        """A plain-text report; with ``published``, its totals and r_s are shown alongside."""
        lines = [f"respondents: {self.n}; categories of an item total: {self.bounds.text()}"]
        pub_n = published.respondents if published else None
        head = f"{'item':<28}{'domain':<14}{'total':>6}  {'category':<9}{'1':>7}{'2':>7}{'3':>7}"
        if published:
            head += f"{'published':>11}"
        lines.append(head)
        for kind in ("participation", "benefit"):
            lines.append(f"{kind}:")
            for name, row in self.items[self.items["kind"] == kind].iterrows():
                line = (f"  {name:<26}{row['domain']:<14}{row['total']:>6d}  {row['category']:<9}"
                        f"{_pct(row['share_1']):>7}{_pct(row['share_2']):>7}{_pct(row['share_3']):>7}")
                if published:
                    line += f"{published.totals[name]:>11d} {published.bounds.category(published.totals[name])}"
                lines.append(line)
        lines.append(f"Spearman rank correlation of the benefit score with each participation domain (n = {self.n}):")
        for dom, row in self.spearman.iterrows():
            line = f"  {dom:<14} r_s = {_num(row['rs'], '+.3f'):>6}   p = {_num(row['p'], '.3f'):>5}"
            if published and dom in published.spearman:
                rs, p = published.spearman[dom]
                line += f"      published (n = {pub_n}): r_s = {rs:+.3f}   p = {p:.3f}"
            lines.append(line)
        return "\n".join(line.rstrip() for line in lines)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _num(x: float, fmt: str) -> str:
    return "n/a" if x != x else format(x, fmt)


def check_responses(responses: pd.DataFrame, source: str = "responses") -> pd.DataFrame:
    """The 15 item columns as integers, or :class:`SurveyError` naming the missing column or bad cell."""
    missing = [c for c in ITEM_NAMES if c not in responses.columns]
    if missing:
        raise SurveyError(f"{source}: missing column {missing[0]!r}"
                          + (f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else ""))
    if len(responses) == 0:
        raise SurveyError(f"{source}: no respondents")
    out = responses[list(ITEM_NAMES)]
    for col in ITEM_NAMES:
        values = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isin(values, ANSWERS)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            cell, who = out[col].iloc[k], out.index[k]
            cell, who = (x.item() if isinstance(x, np.generic) else x for x in (cell, who))
            raise SurveyError(f"{source}: respondent {who!r}, column {col!r}: {cell!r} "
                              "is not an answer; answers are 1, 2 or 3")
    return out.astype(np.int64)


def analyse(responses: Responses, source: str = "responses") -> SurveyResult:
    """Item totals, categories, answer shares, domain scores and Spearman r_s of a response table.

    Categories use :func:`category_bounds` for the number of respondents. Domain score of a
    respondent: sum of the domain's items (organisation: five items, capital: two, business:
    one); benefit score: sum of the seven benefit items. r_s and p: ``scipy.stats.spearmanr``
    (average ranks for ties; p two-sided from the t distribution), benefit score against each
    domain score.
    """
    table = check_responses(responses, source)
    n = len(table)
    bounds = category_bounds(n)
    values = table.to_numpy()
    totals = values.sum(axis=0)
    rows = []
    for k, name in enumerate(ITEM_NAMES):
        item = ITEM_BY_NAME[name]
        shares = [(values[:, k] == a).mean() for a in ANSWERS]
        rows.append({"item": name, "kind": item.kind, "domain": item.domain, "total": int(totals[k]),
                     "category": bounds.category(int(totals[k])),
                     "share_1": float(shares[0]), "share_2": float(shares[1]), "share_3": float(shares[2])})
    items = pd.DataFrame(rows).set_index("item")
    scores = pd.DataFrame({dom: table[[it.name for it in ITEMS if it.domain == dom]].sum(axis=1)
                           for dom in SCORE_DOMAINS}, index=table.index)
    corr = []
    for dom in DOMAINS:
        rs, p = spearman(scores["benefit"].to_numpy(), scores[dom].to_numpy())
        corr.append({"domain": dom, "rs": rs, "p": p})
    return SurveyResult(n, bounds, items, scores, pd.DataFrame(corr).set_index("domain"))


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman r_s and two-sided p (scipy); NaN for fewer than 2 respondents or a constant score."""
    if x.size < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.spearmanr(x, y)
    return float(res.statistic), float(res.pvalue)


# ---- real answers: CSV in and out ----------------------------------------------------------------
DATA = resources.files("kopsim") / "data"
TEMPLATE_NAME = "survey_template.csv"


def template_text() -> str:
    """The bundled CSV template: the header row (respondent and the 15 item columns), no answers."""
    return (DATA / TEMPLATE_NAME).read_text(encoding="utf-8")


def write_survey_csv(responses: Responses, path: str | Path) -> Path:
    """Write a response table in the CSV layout :func:`load_survey_csv` reads (respondent column first)."""
    path = Path(path)
    table = check_responses(responses)
    out = table.copy()
    out.index.name = RESPONDENT_COLUMN
    out.to_csv(path, index=True, lineterminator="\n")
    return path


def load_survey_csv(path: str | Path) -> Responses:
    """Read real survey answers: one row per respondent, one column per item, answers 1, 2 or 3.

    Layout (see ``simulation/data/survey_template.csv``): a header row naming the 15 item
    columns of :data:`ITEM_NAMES` in any order (case and surrounding spaces ignored), optionally
    a ``respondent`` column of unique labels; separators ``,`` ``;`` or tab (the one the header
    uses most); UTF-8 (a spreadsheet's byte-order mark is fine). Rows are numbered as in a
    spreadsheet: the header is row 1. Every problem — empty file, unknown, duplicate or missing
    column, a row with the wrong number of cells, a blank row, an empty or non-numeric cell, an
    answer other than 1, 2, 3, a repeated respondent label — raises :class:`SurveyError` with
    one line naming the row and column.
    """
    path = Path(path)
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SurveyError(f"{src}: file not found") from None
    except IsADirectoryError:
        raise SurveyError(f"{src}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise SurveyError(f"{src}: not a UTF-8 text file; save the sheet as CSV UTF-8") from None
    if not text.strip():
        raise SurveyError(f"{src}: empty file; expected a header row naming the item columns "
                          f"({', '.join(ITEM_NAMES[:3])}, ...; see `kopsim survey --template FILE`)")
    first = text.splitlines()[0]
    delimiter = max(",;\t", key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    allowed = (*ITEM_NAMES, RESPONDENT_COLUMN)
    for k, name in enumerate(header):
        if name == "":
            raise SurveyError(f"{src}: row 1, column {k + 1}: empty column name; allowed: {RESPONDENT_COLUMN} "
                              "and the item names")
        if name not in allowed:
            hint = difflib.get_close_matches(name, allowed, n=1)
            extra = (f"; did you mean {hint[0]!r}?" if hint
                     else f"; allowed: {RESPONDENT_COLUMN}, {', '.join(ITEM_NAMES)}")
            raise SurveyError(f"{src}: row 1, column {k + 1}: unknown column {name!r}{extra}")
        if header.index(name) != k:
            raise SurveyError(f"{src}: row 1, column {k + 1}: column {name!r} appears twice")
    missing = [c for c in ITEM_NAMES if c not in header]
    if missing:
        more = f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise SurveyError(f"{src}: row 1: missing column {missing[0]!r}{more}")
    if len(rows) < 2:
        raise SurveyError(f"{src}: no respondents; expected one row per respondent below the header")
    answers = np.zeros((len(rows) - 1, len(ITEM_NAMES)), dtype=np.int64)
    labels: list[str] = []
    seen: dict[str, int] = {}
    cols = {name: header.index(name) for name in ITEM_NAMES}
    rid = header.index(RESPONDENT_COLUMN) if RESPONDENT_COLUMN in header else None
    for r, row in enumerate(rows[1:], start=2):
        if all(not cell.strip() for cell in row):
            raise SurveyError(f"{src}: row {r}: blank row; every row below the header must be one respondent")
        if len(row) != len(header):
            raise SurveyError(f"{src}: row {r}: {len(row)} cells, but the header has {len(header)} columns")
        for k, name in enumerate(ITEM_NAMES):
            answers[r - 2, k] = _answer_cell(row[cols[name]], src, r, name)
        if rid is not None:
            label = row[rid].strip()
            if not label:
                raise SurveyError(f"{src}: row {r}, column {RESPONDENT_COLUMN!r}: empty respondent label")
            if label in seen:
                raise SurveyError(f"{src}: row {r}, column {RESPONDENT_COLUMN!r}: respondent {label!r} "
                                  f"already in row {seen[label]}")
            seen[label] = r
            labels.append(label)
    index = pd.Index(labels if rid is not None else range(1, len(rows)), name=RESPONDENT_COLUMN)
    return pd.DataFrame(answers, index=index, columns=list(ITEM_NAMES))


def _answer_cell(cell: str, src: str, row: int, column: str) -> int:
    text = cell.strip()
    where = f"{src}: row {row}, column {column!r}"
    if not text:
        raise SurveyError(f"{where}: empty cell; every item needs an answer 1, 2 or 3")
    try:
        value = float(text)
    except ValueError:
        raise SurveyError(f"{where}: {text!r} is not a number; answers are 1, 2 or 3") from None
    if not math.isfinite(value) or value not in ANSWERS:
        raise SurveyError(f"{where}: {text} is outside 1-3; answers are 1, 2 or 3")
    return int(value)


# ---- published figures --------------------------------------------------------------------------
PUBLISHED = {"mandiri_jaya": "mandiri_jaya_2018.toml"}


@dataclass(frozen=True)
class PublishedSurvey:
    """Published survey figures (item totals, Spearman r_s, shares, PTP) of a reference case."""

    name: str
    source: str
    title: str
    respondents: int
    totals: dict[str, int]
    spearman: dict[str, tuple[float, float]]
    shares: dict[str, float]
    ptp: dict[str, Any]
    raw: dict[str, Any]

    @property
    def bounds(self) -> CategoryBounds:
        return category_bounds(self.respondents)

    def format(self) -> str:
        lines = [f"{self.title} (published; {self.source})",
                 f"respondents: {self.respondents}; categories of an item total: {self.bounds.text()}",
                 f"{'item':<28}{'domain':<14}{'total':>6}  category"]
        for kind in ("participation", "benefit"):
            lines.append(f"{kind}:")
            for it in ITEMS:
                if it.kind == kind:
                    t = self.totals[it.name]
                    lines.append(f"  {it.name:<26}{it.domain:<14}{t:>6d}  {self.bounds.category(t)}")
        lines.append(f"Spearman rank correlation of benefit with each participation domain (n = {self.respondents}):")
        for dom, (rs, p) in self.spearman.items():
            lines.append(f"  {dom:<14} r_s = {rs:+.3f}   p = {p:.3f}")
        if self.shares:
            lines.append("shares of respondents:")
            lines += [f"  {k:<32}{_pct(v):>7}" for k, v in self.shares.items()]
        if self.ptp:
            lines.append("PTP (Development Ladder Assessment):")
            for ind in PTP_INDICATORS:
                if ind in self.ptp:
                    lines.append(f"  {ind:<12}{self.ptp[ind]:>7.1f}  {ptp_zone(ind, self.ptp[ind])}")
            if "total" in self.ptp:
                lines.append(f"  {'total':<12}{self.ptp['total']:>7.1f}  {ptp_zone('total', self.ptp['total'])}")
            for k, v in self.ptp.get("network_items", {}).items():
                lines.append(f"    network: {k:<20}{v:>5.1f}")
        return "\n".join(line.rstrip() for line in lines)


def published_names() -> list[str]:
    return sorted(PUBLISHED)


def load_published(name: str) -> PublishedSurvey:
    """A bundled published dataset by name (``mandiri_jaya``) or a TOML file of the same layout.

    Layout: ``[cooperative]`` with ``name`` and ``respondents``; ``[participation]`` item →
    ``{total, domain}``; ``[benefit]`` item → total; optional ``[spearman]`` domain → ``{rs, p}``,
    ``[shares]`` and ``[ptp]`` (see ``simulation/data/mandiri_jaya_2018.toml``).
    """
    if name in PUBLISHED:
        src = f"simulation/data/{PUBLISHED[name]}"
        text = (DATA / PUBLISHED[name]).read_text(encoding="utf-8")
    elif name.endswith(".toml") or Path(name).exists():
        src = name
        try:
            text = Path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SurveyError(f"{name}: file not found") from None
        except (IsADirectoryError, UnicodeDecodeError):
            raise SurveyError(f"{name}: not a readable UTF-8 text file") from None
    else:
        hint = difflib.get_close_matches(name, published_names(), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise SurveyError(f"--published: {name!r} is not a bundled dataset (bundled: "
                          f"{', '.join(published_names())}) nor a TOML file{extra}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SurveyError(f"{src}: not valid TOML: {err}") from None
    coop = _table(data, "cooperative", src)
    part = _table(data, "participation", src)
    ben = _table(data, "benefit", src)
    n = coop.get("respondents")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise SurveyError(f"{src}: cooperative.respondents: expected a whole number >= 1, got {n!r}")
    totals: dict[str, int] = {}
    for it in ITEMS:
        table, key = (part, "participation") if it.kind == "participation" else (ben, "benefit")
        entry = table.get(it.name)
        if entry is None:
            raise SurveyError(f"{src}: {key}.{it.name}: missing")
        value = entry.get("total") if isinstance(entry, dict) else entry
        if not isinstance(value, int) or isinstance(value, bool) or not n <= value <= 3 * n:
            raise SurveyError(f"{src}: {key}.{it.name}: expected a whole-number total in {n}..{3 * n}, "
                              f"got {value!r}")
        if isinstance(entry, dict) and entry.get("domain", it.domain) != it.domain:
            raise SurveyError(f"{src}: {key}.{it.name}.domain: {entry['domain']!r}; this item belongs to "
                              f"{it.domain!r}")
        totals[it.name] = value
    corr: dict[str, tuple[float, float]] = {}
    for dom, entry in data.get("spearman", {}).items():
        if dom not in DOMAINS or not isinstance(entry, dict) or not {"rs", "p"} <= set(entry):
            raise SurveyError(f"{src}: spearman.{dom}: expected a domain ({', '.join(DOMAINS)}) "
                              "= { rs = .., p = .. }")
        corr[dom] = (float(entry["rs"]), float(entry["p"]))
    return PublishedSurvey(name, src, str(coop.get("name", name)), n, totals, corr,
                           {k: float(v) for k, v in data.get("shares", {}).items()}, dict(data.get("ptp", {})), data)


def _table(data: dict[str, Any], key: str, src: str) -> dict[str, Any]:
    table = data.get(key)
    if not isinstance(table, dict):
        raise SurveyError(f"{src}: {key}: missing table [{key}]")
    return table


# ---- PTP: Penilaian Tangga Perkembangan ---------------------------------------------------------
PTP_INDICATORS = ("vision", "capacity", "resources", "network")
PTP_VARIABLES: dict[str, tuple[str, ...]] = {
    "vision": ("equity_of_benefit", "communication_with_members", "commitment_to_business",
               "commitment_to_social_development", "leadership_effectiveness", "strategic_plan",
               "dispute_resolution"),
    "capacity": ("structure", "staff_retention", "staff_terms", "staff_training", "cost_cutting",
                 "operating_system", "audits", "service_to_members"),
    "resources": ("capital_adequacy", "asset_growth", "return_on_assets", "credit_policy"),
    "network": ("fiscal_policy", "government", "apex_cooperative", "other_parties"),
}
# Highest score of one variable: 5 (consistent progress), resources 10 (DOMAIN.md); the lowest is 1.
PTP_VARIABLE_MAX = {"vision": 5, "capacity": 5, "resources": 10, "network": 5}
# Zone thresholds (green from, yellow from; red below), the lower bounds of DOMAIN.md's table.
# The total's thresholds are the sums of the indicators' (not in the source: derived).
PTP_ZONES: dict[str, tuple[float, float]] = {
    "vision": (22, 12), "capacity": (26, 13), "resources": (28, 15), "network": (15, 8), "total": (91, 48),
}


@dataclass(frozen=True)
class PTPScale(_Group):
    """Reference values that turn a cooperative's state into PTP variable indices x ∈ [0, 1]."""

    training_window_months: int = param(24, 1, 1200, "months",
                                        "commitment to social development: members trained within this window")
    asset_growth_full: float = param(0.10, 1e-6, 100.0, "per year",
                                     "asset growth (annualised, since founding) scored as full progress")
    roa_full: float = param(0.10, 1e-6, 100.0, "per year", "return on assets scored as full progress")
    arrears_worst: float = param(0.20, 1e-6, 1.0, "share of borrowers",
                                 "arrears share scored as no evidence of a credit policy")


def ptp_zone(indicator: str, score: float) -> str:
    """'green', 'yellow' or 'red' for an indicator (or 'total') score: green from the green zone's
    lower bound, yellow from the yellow zone's, red below (DOMAIN.md's table)."""
    green, yellow = PTP_ZONES[indicator]
    if score >= green:
        return "green"
    if score >= yellow:
        return "yellow"
    return "red"


@dataclass(frozen=True)
class PTPResult:
    """PTP of one cooperative: ``variables`` (indicator, variable, index x, score), ``indicators``
    (score, max, zone) and the total with its zone."""

    cooperative: int
    variables: pd.DataFrame
    indicators: pd.DataFrame
    total: float
    total_zone: str

    def format(self, published: PublishedSurvey | None = None) -> str:
        pub = published.ptp if published else {}
        lines = [f"{'indicator / variable':<38}{'index':>7}{'score':>8}{'max':>6}  zone"
                 + ("      published" if pub else "")]
        for ind in PTP_INDICATORS:
            row = self.indicators.loc[ind]
            line = f"{ind:<38}{'':>7}{row['score']:>8.1f}{row['max']:>6.0f}  {row['zone']:<6}"
            if ind in pub:
                line += f"{pub[ind]:>9.1f} {ptp_zone(ind, pub[ind])}"
            lines.append(line)
            for _, v in self.variables[self.variables["indicator"] == ind].iterrows():
                lines.append(f"  {v['variable']:<36}{v['index']:>7.2f}{v['score']:>8.1f}{v['max']:>6.0f}")
        line = f"{'total':<38}{'':>7}{self.total:>8.1f}{self.indicators['max'].sum():>6.0f}  {self.total_zone:<6}"
        if "total" in pub:
            line += f"{pub['total']:>9.1f} {ptp_zone('total', pub['total'])}"
        lines.append(line)
        return "\n".join(line.rstrip() for line in lines)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def _gini(values: np.ndarray) -> float:
    """Gini coefficient G = Σ_i Σ_j |v_i − v_j| / (2 n² v̄) (0 for no or all-zero values)."""
    if values.size == 0 or values.sum() <= 0:
        return 0.0
    v = np.sort(values)
    n = v.size
    return float((2.0 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum()))


def _relation(model: CooperativeModel, members: np.ndarray, others: np.ndarray) -> float:
    """Strength of the cooperative's relation with the agents ``others``: the strongest tie
    between any of them and any current member (0 without a tie)."""
    s, ties = model.state, model.ties
    is_member = np.zeros(s.n, dtype=bool)
    is_member[members] = True
    is_other = np.zeros(s.n, dtype=bool)
    is_other[others] = True
    touch = (is_member[ties.a] & is_other[ties.b]) | (is_member[ties.b] & is_other[ties.a])
    return float(ties.strength[touch].max()) if touch.any() else 0.0


def ptp_indices(model: CooperativeModel, cooperative: int = 0, scale: PTPScale | None = None) -> dict[str, float]:
    """The PTP variable indices x ∈ [0, 1] of ``cooperative`` (monotone in the state named).

    M: the cooperative's members; O: its office holders (board and supervisors); t: months
    run; A = cash + outstanding loans (assets); I = interest due this month on running loans;
    C = ``finance.operating_cost`` per month; V = members' voluntary savings (withdrawable, a
    liability).

    Vision: equity_of_benefit = 1 − Gini of M's mean perceived benefit; communication =
    share of M with a tie to a board member; commitment_to_business = mean business
    participation; commitment_to_social_development = share of M trained within
    ``training_window_months``; leadership_effectiveness = mean trust in the board;
    strategic_plan = rule clarity; dispute_resolution = fairness.
    Capacity: structure = filled share of the board and supervisor seats; staff_retention =
    mean willingness to serve of O; staff_terms = σ(−governance.honorarium_cost);
    staff_training = mean skill of O; cost_cutting = 1 − C / I; operating_system = service
    quality; audits = share of M at the last RAT (where the accounts are approved);
    service_to_members = mean service-satisfaction item.
    Resources: capital_adequacy = 1 − V / A; asset_growth = g / ``asset_growth_full`` with g =
    (A / finance.initial_coop_capital)^(12/t) − 1; return_on_assets = 12 (I − C) / A /
    ``roa_full``; credit_policy = 1 − (arrears share of borrowers) / ``arrears_worst``.
    Network: relation(X) = strongest tie between a member and X; fiscal_policy = mean
    relation(ministry, state bank); government = mean of relation(cooperative office),
    relation(labour office) and the responsiveness of the village governments it serves;
    apex_cooperative = 0 (no secondary cooperative in the model: always "no evidence");
    other_parties = mean relation(halal certifier, partnership office, partner firms).
    Every index is clipped to [0, 1].
    """
    scale = scale or PTPScale()
    s, p = model.state, model.p
    M = survey_members(model, cooperative)
    H = s.n_households
    O = M[np.isin(s.office[M], (BOARD, SUPERVISOR))]  # noqa: E741 - O for office holders, as in the docstring
    t = model.steps
    in_coop = s.coop[:H] == cooperative
    loans = s.coop_loan[:H]
    borrowers = in_coop & (loans > 0)
    assets = float(s.coop_cash[cooperative] + loans[in_coop].sum())
    interest = float(s.coop_interest_part[:H][borrowers].sum())
    cost = p.finance.operating_cost
    voluntary = float(s.savings_voluntary[:H][in_coop].sum())
    a0 = p.finance.initial_coop_capital
    if t > 0 and a0 > 0 and assets > 0:
        growth = (assets / a0) ** (12.0 / t) - 1.0
    else:
        growth = 0.0 if t == 0 or assets <= 0 else math.inf
    arrears = float((s.coop_arrears[:H][borrowers] > 0).mean()) if borrowers.any() else 0.0
    trained = (s.trained_at[M] >= 0) & (s.trained_at[M] > t - scale.training_window_months)
    ai = s.agency_index
    villages = np.unique(s.village[:H][in_coop])
    seats = p.population.board_size + p.population.supervisors
    x = {
        "equity_of_benefit": 1.0 - _gini(s.benefit[M].mean(axis=1)),
        "communication_with_members": _mean(s.board_tie[M]),
        "commitment_to_business": _mean(s.participation[M, BUSINESS]),
        "commitment_to_social_development": _mean(trained.astype(float)),
        "leadership_effectiveness": _mean(s.trust[M, BOARD_TRUST]),
        "strategic_plan": float(s.rule_clarity[cooperative]),
        "dispute_resolution": float(s.fairness[cooperative]),
        "structure": O.size / seats if seats else 1.0,
        "staff_retention": _mean(s.willingness[O]),
        "staff_terms": float(logistic(np.array(-p.governance.honorarium_cost))),
        "staff_training": _mean(s.skill[O]),
        "cost_cutting": 1.0 - cost / interest if interest > 0 else 0.0,
        "operating_system": float(s.service_quality[cooperative]),
        "audits": _mean(s.attended_rat[M].astype(float)),
        "service_to_members": _mean(s.benefit[M, BENEFIT_ITEMS.index("service_satisfaction")]),
        "capital_adequacy": 1.0 - voluntary / assets if assets > 0 else 0.0,
        "asset_growth": growth / scale.asset_growth_full,
        "return_on_assets": 12.0 * (interest - cost) / assets / scale.roa_full if assets > 0 else 0.0,
        "credit_policy": 1.0 - arrears / scale.arrears_worst,
        "fiscal_policy": np.mean([_relation(model, M, np.array([ai["ministry"]])),
                                  _relation(model, M, np.array([ai["state_bank"]]))]),
        "government": np.mean([_relation(model, M, np.array([ai["cooperative_office"]])),
                               _relation(model, M, np.array([ai["labour_office"]])),
                               _mean(s.responsiveness[villages])]),
        "apex_cooperative": 0.0,
        "other_parties": np.mean([_relation(model, M, np.array([ai["halal_certifier"]])),
                                  _relation(model, M, np.array([ai["partnership_office"]])),
                                  _relation(model, M, np.flatnonzero(s.role == PARTNER))]),
    }
    return {k: float(np.clip(v, 0.0, 1.0)) for k, v in x.items()}


def ptp_score(model: CooperativeModel, cooperative: int = 0, scale: PTPScale | None = None) -> PTPResult:
    """PTP of ``cooperative``: each variable scored 1 + (max − 1)·x from its index x
    (:func:`ptp_indices`; max 5, resources 10), summed per indicator and in total, with the
    zones of :func:`ptp_zone`."""
    x = ptp_indices(model, cooperative, scale)
    rows = []
    for ind in PTP_INDICATORS:
        top = PTP_VARIABLE_MAX[ind]
        for var in PTP_VARIABLES[ind]:
            rows.append({"indicator": ind, "variable": var, "index": x[var], "score": 1.0 + (top - 1.0) * x[var],
                         "max": float(top)})
    variables = pd.DataFrame(rows)
    sums = variables.groupby("indicator", sort=False)[["score", "max"]].sum()
    sums["zone"] = [ptp_zone(ind, sc) for ind, sc in sums["score"].items()]
    total = float(sums["score"].sum())
    return PTPResult(cooperative, variables, sums.loc[list(PTP_INDICATORS)], total, ptp_zone("total", total))


# ---- relational properties of partnerships ------------------------------------------------------
FOLLOW_UP_MONTHS = 12


@dataclass(frozen=True)
class PartnershipProperties:
    """Relational properties (Franke 2005) of the ties to partner firms met through kemitraan.

    ``contacts_per_month``: mean expected contacts per tie and month, c·w·ρ (the model's contact
    probability: network.contact_rate × strength × reach) — frequency; ``intensity``: mean tie
    strength w (what has been exchanged and kept); ``distance_km``: mean distance between the
    ends — spatial proximity; ``followed_up``: ties formed at least 12 months ago;
    ``still_in_contact``: of those, the ties used in the last 12 months (after the month they
    formed); ``share_in_contact`` = still_in_contact / followed_up (NaN when none is 12 months old).
    Ties that have dissolved (strength below network.min_strength, after many months without
    contact) are no longer in the tie list, so the share is an upper bound once old ties dissolve.
    """

    ties: int
    contacts_per_month: float
    intensity: float
    distance_km: float
    followed_up: int
    still_in_contact: int
    share_in_contact: float

    def format(self) -> str:
        if self.ties == 0:
            return "no ties to partner firms"
        return "\n".join([
            f"ties to partner firms                      {self.ties:>8d}",
            f"frequency: contacts per tie and month      {self.contacts_per_month:>8.3f}",
            f"intensity: mean tie strength               {self.intensity:>8.3f}",
            f"spatial proximity: mean distance (km)      {self.distance_km:>8.1f}",
            f"ties formed >= {FOLLOW_UP_MONTHS} months ago               {self.followed_up:>8d}",
            f"  of which in contact in the last {FOLLOW_UP_MONTHS} months {self.still_in_contact:>8d}"
            f"  ({_num(self.share_in_contact, '.1%')})",
        ])


def partnership_properties(model: CooperativeModel, cooperative: int | None = None) -> PartnershipProperties:
    """Frequency, intensity, distance and follow-up contact of the ties to partner firms (of the
    households of ``cooperative``, or all households when None) at the current month."""
    s, ties = model.state, model.ties
    partner = (s.role[ties.a] == PARTNER) | (s.role[ties.b] == PARTNER)
    if cooperative is not None:
        home = np.where(s.role[ties.a] == PARTNER, ties.b, ties.a)
        partner &= s.coop[home] == cooperative
    k = np.flatnonzero(partner)
    if k.size == 0:
        return PartnershipProperties(0, float("nan"), float("nan"), float("nan"), 0, 0, float("nan"))
    a, b = ties.a[k], ties.b[k]
    t = model.steps
    freq = model.p.network.contact_rate * ties.strength[k] * ties.reach[k]
    dist = np.hypot(s.x[a] - s.x[b], s.y[a] - s.y[b])
    old = ties.born[k] <= t - FOLLOW_UP_MONTHS
    used = (ties.last_contact[k] > t - FOLLOW_UP_MONTHS) & (ties.last_contact[k] > ties.born[k])
    n_old = int(old.sum())
    n_used = int((old & used).sum())
    return PartnershipProperties(int(k.size), float(freq.mean()), float(ties.strength[k].mean()), float(dist.mean()),
                                 n_old, n_used, n_used / n_old if n_old else float("nan"))


__all__ = [
    "ITEMS", "ITEM_NAMES", "PTP_INDICATORS", "PTP_VARIABLES", "PTP_ZONES", "CategoryBounds", "Item",
    "PTPResult", "PTPScale", "PartnershipProperties", "PublishedSurvey", "ResponseModel", "Responses",
    "SurveyError", "SurveyResult", "analyse", "answer", "category_bounds", "latent_scores", "load_published",
    "load_survey_csv", "partnership_properties", "ptp_indices", "ptp_score", "ptp_zone", "spearman",
    "virtual_survey", "write_survey_csv",
]
