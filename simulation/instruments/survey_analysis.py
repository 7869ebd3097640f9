"""Statistics of a member survey, virtual or real: item totals and their categories, answer shares,
domain scores and Spearman correlations (:func:`analyse`), so a simulated and a real survey are
summarised identically.

Categories of an item total
---------------------------
Each of n respondents answers 1–3, so a total T runs n … 3n. The study's table for n = 30
(Rendah / low 30–50, Sedang / medium 51–71, Tinggi / high 72–90) is scaled proportionally
on the mean answer T/n: **low** when T/n ≤ 50/30 (= 5/3), **high** when T/n ≥ 72/30 (= 2.4),
**medium** in between; in whole totals: low n … ⌊5n/3⌋, medium ⌊5n/3⌋+1 … ⌈12n/5⌉−1, high
⌈12n/5⌉ … 3n. For n = 30 this is the published table exactly (:func:`category_bounds`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ..participation import DOMAINS
from .member_survey import ANSWERS, ITEM_BY_NAME, ITEM_NAMES, ITEMS, SCORE_DOMAINS, Responses, SurveyError

if TYPE_CHECKING:
    from .published import PublishedSurvey


# The study's category table for 30 respondents, as bounds on the mean answer (total / n).
LOW_MAX_MEAN = (50, 30)  # low:  total / n ≤ 50/30
HIGH_MIN_MEAN = (72, 30)  # high: total / n ≥ 72/30


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

        return f"low {span(*self.low)}, medium {span(*self.medium)}, high {span(*self.high)}"


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
                line = (
                    f"  {name:<26}{row['domain']:<14}{row['total']:>6d}  {row['category']:<9}"
                    f"{percent_text(row['share_1']):>7}{percent_text(row['share_2']):>7}{percent_text(row['share_3']):>7}"
                )
                if published:
                    line += f"{published.totals[name]:>11d} {published.bounds.category(published.totals[name])}"
                lines.append(line)
        lines.append(f"Spearman rank correlation of the benefit score with each participation domain (n = {self.n}):")
        for dom, row in self.spearman.iterrows():
            line = f"  {dom:<14} r_s = {number_text(row['rs'], '+.3f'):>6}   p = {number_text(row['p'], '.3f'):>5}"
            if published and dom in published.spearman:
                rs, p = published.spearman[dom]
                line += f"      published (n = {pub_n}): r_s = {rs:+.3f}   p = {p:.3f}"
            lines.append(line)
        return "\n".join(line.rstrip() for line in lines)


def percent_text(x: float) -> str:
    """A share as a percentage with one decimal, e.g. 0.433 -> '43.3%'."""
    return f"{100 * x:.1f}%"


def number_text(x: float, fmt: str) -> str:
    """``format(x, fmt)``, or 'n/a' for NaN."""
    return "n/a" if x != x else format(x, fmt)


def check_responses(responses: pd.DataFrame, source: str = "responses") -> pd.DataFrame:
    """The 15 item columns as integers, or :class:`SurveyError` naming the missing column or bad cell."""
    missing = [c for c in ITEM_NAMES if c not in responses.columns]
    if missing:
        raise SurveyError(
            f"{source}: missing column {missing[0]!r}"
            + (f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else "")
        )
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
            raise SurveyError(
                f"{source}: respondent {who!r}, column {col!r}: {cell!r} is not an answer; answers are 1, 2 or 3"
            )
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
        rows.append(
            {
                "item": name,
                "kind": item.kind,
                "domain": item.domain,
                "total": int(totals[k]),
                "category": bounds.category(int(totals[k])),
                "share_1": float(shares[0]),
                "share_2": float(shares[1]),
                "share_3": float(shares[2]),
            }
        )
    items = pd.DataFrame(rows).set_index("item")
    scores = pd.DataFrame(
        {dom: table[[it.name for it in ITEMS if it.domain == dom]].sum(axis=1) for dom in SCORE_DOMAINS},
        index=table.index,
    )
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


__all__ = [
    "HIGH_MIN_MEAN",
    "LOW_MAX_MEAN",
    "CategoryBounds",
    "SurveyResult",
    "analyse",
    "category_bounds",
    "check_responses",
    "spearman",
]
