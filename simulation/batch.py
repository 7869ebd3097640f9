"""Many replications of a scenario as one vectorised array program, each surveyed at the end.

A calibration or a posterior-predictive check needs thousands of runs of a small cooperative
(Mandiri Jaya: 188 agents). Run one by one, a month costs about 1 ms of numpy call overhead
whatever the size; :class:`~simulation.model.CooperativeModel` with ``replicates=R`` instead
lays R independent copies of the world side by side in one state
(the ``worlds`` of :func:`kopsim.population.build`), so every mechanism acts on all R at once
and the overhead is shared. Replicate r is cooperative r·C + c (C cooperatives per world).

Each replicate draws from its own generator (:mod:`kopsim.streams`), so replicate r is
bit-identical to the run ``CooperativeModel(params, seed=s_r)`` alone, s_r the seed of the
runner's replication r of root seed ``seed`` (:func:`kopsim.streams.replication_seeds`;
tests/test_worlds.py). The worlds of a batch may also differ in real-valued parameters and
in their programmes (``CooperativeModel(params=[...], seed=[...], interventions=[[...], ...])``).

Metrics: a batch with ``collect_metrics=True`` keeps one metrics table per world, not a pooled
one: ``model.metrics_frame(world=w)`` is world w's table, bit for bit the table of world w run
alone (network metrics and the month's reciprocity, free-riding share and SHU included;
tests/test_world_metrics.py), and ``model.metrics_frame()`` all worlds' tables with a ``world``
column. A table costs about 1 ms per world and month (Mandiri Jaya), more than the month itself,
so the runs here, which read the state at the end, keep none (``collect_metrics=False``).

Surveys: :func:`survey_replicates` asks ``n`` members of each replicate exactly as
:func:`kopsim.instruments.member_survey.virtual_survey` asks one cooperative (same respondents and answers
for the same survey seed), and :func:`batch_statistics` computes item totals and Spearman
r_s with p for all replicates in a few array operations; they equal
:func:`kopsim.instruments.survey_analysis.analyse` replicate by replicate (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .instruments.member_survey import (
    ANSWERS,
    ITEM_NAMES,
    ITEMS,
    SCORE_DOMAINS,
    ResponseModel,
    SurveyError,
    answer,
    draw_respondents,
    latent_scores,
)
from .instruments.survey_analysis import category_bounds
from .interventions import Intervention
from .model import CooperativeModel
from .parameters import Parameters
from .participation import DOMAINS

# Column index of each item in ITEM_NAMES, per score domain (organisation, business, capital, benefit).
_DOMAIN_COLUMNS = {dom: [k for k, it in enumerate(ITEMS) if it.domain == dom] for dom in SCORE_DOMAINS}


@dataclass(frozen=True)
class BatchSurveys:
    """Survey statistics of R replicates, n respondents each.

    ``totals``: (R, 15) item totals in :data:`kopsim.instruments.member_survey.ITEM_NAMES` order; ``rs`` and
    ``p``: (R, 3) Spearman r_s of the benefit score with each participation domain
    (:data:`kopsim.participation.DOMAINS` order) and its two-sided p; ``shares``: (R, 15, 3)
    the share of respondents answering 1, 2 and 3 to each item; ``valid``: (R,)
    False for a replicate with fewer than n members (its rows are NaN); ``seeds``: the survey
    seed of each replicate.
    """

    n: int
    totals: np.ndarray
    rs: np.ndarray
    p: np.ndarray
    shares: np.ndarray
    valid: np.ndarray
    seeds: np.ndarray

    def __len__(self) -> int:
        return self.totals.shape[0]

    def categories(self) -> np.ndarray:
        """(R, 15) category of each total: 'low', 'medium', 'high' ('' for an invalid replicate)."""
        return np.where(self.valid[:, None], category_bounds(self.n).categories(self.totals), "")

    def to_frame(self) -> pd.DataFrame:
        """One row per replicate: survey seed, valid, the 15 totals and ``rs_<domain>``, ``p_<domain>``."""
        frame = pd.DataFrame(self.totals, columns=list(ITEM_NAMES))
        for k, dom in enumerate(DOMAINS):
            frame[f"rs_{dom}"] = self.rs[:, k]
            frame[f"p_{dom}"] = self.p[:, k]
        frame.insert(0, "valid", self.valid)
        frame.insert(0, "survey_seed", self.seeds)
        frame.index.name = "replicate"
        return frame

    def summary(self, quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
        """Per statistic: median, the two quantiles and the shares of replicates per category."""
        ok = self.valid
        cats = self.categories()[ok]
        rows = []
        for k, name in enumerate(ITEM_NAMES):
            col = self.totals[ok, k]
            row = {
                "statistic": name,
                "median": np.median(col),
                "q_low": np.quantile(col, quantiles[0]),
                "q_high": np.quantile(col, quantiles[1]),
            }
            for c in ("low", "medium", "high"):
                row[f"share_{c}"] = float(np.mean(cats[:, k] == c))
            rows.append(row)
        for k, dom in enumerate(DOMAINS):
            col = self.rs[ok, k]
            col = col[~np.isnan(col)]
            rows.append(
                {
                    "statistic": f"rs_{dom}",
                    "median": np.median(col) if col.size else np.nan,
                    "q_low": np.quantile(col, quantiles[0]) if col.size else np.nan,
                    "q_high": np.quantile(col, quantiles[1]) if col.size else np.nan,
                }
            )
        return pd.DataFrame(rows).set_index("statistic")


def survey_seeds(seed: int, replicates: int) -> np.ndarray:
    """Survey seed of each replicate: the first word of SeedSequence([seed, 1, r])."""
    return np.array(
        [int(np.random.SeedSequence([seed, 1, r]).generate_state(1)[0]) for r in range(replicates)], dtype=np.uint64
    )


def survey_replicates(
    model: CooperativeModel,
    n: int,
    seeds: Sequence[int] | np.ndarray,
    cooperative: int = 0,
    rm: ResponseModel | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Answers (R, n, 15) of ``n`` members of cooperative ``cooperative`` of every replicate.

    Replicate r is asked exactly as ``virtual_survey(model, n, seeds[r], r·C + cooperative, rm)``
    would ask it (a loop over replicates draws the respondents; the latent scores of all of
    them are computed at once). Returns the answers and a (R,) mask of replicates with at least
    n members (the others get answers of 0).
    """
    rm = rm or ResponseModel()
    s = model.state
    R, C = s.worlds, s.coops_per_world
    if len(seeds) != R:
        raise ValueError(f"seeds: {len(seeds)} given for {R} replicates")
    if not 0 <= cooperative < C:
        raise SurveyError(f"cooperative {cooperative} does not exist; allowed: 0..{C - 1}")
    H = s.n_households
    members = np.flatnonzero(s.member[:H])
    coop_of = s.coop[members]
    order = np.argsort(coop_of, kind="stable")  # members grouped by cooperative, ascending within
    members, coop_of = members[order], coop_of[order]
    bounds = np.searchsorted(coop_of, np.arange(R * C + 1))
    valid = np.zeros(R, dtype=bool)
    chosen = np.zeros((R, n), dtype=np.int64)
    noise = np.zeros((R, n, len(ITEM_NAMES)))
    for r in range(R):  # a loop over replicates (one draw each), not over agents
        c = r * C + cooperative
        frame = members[bounds[c] : bounds[c + 1]]
        if frame.size < n:
            continue
        valid[r] = True
        chosen[r], noise[r] = draw_respondents(frame, n, int(seeds[r]), rm)
    latent = latent_scores(model, chosen.ravel(), rm).to_numpy().reshape(R, n, -1)
    answers = np.where(valid[:, None, None], answer(latent, noise, rm), 0)
    return answers, valid


def spearman_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman r_s and two-sided p of each row pair of x, y (R, n), as ``scipy.stats.spearmanr``.

    r_s is the Pearson correlation of average ranks; p from t = r_s·√((n − 2)/((1 + r_s)(1 − r_s)))
    with n − 2 degrees of freedom. NaN where a row is constant or n < 3.
    """
    n = x.shape[1]
    rx = stats.rankdata(x, axis=1)
    ry = stats.rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    sxy = np.einsum("ij,ij->i", rx, ry)
    sxx = np.einsum("ij,ij->i", rx, rx)
    syy = np.einsum("ij,ij->i", ry, ry)
    ok = (sxx > 0) & (syy > 0) & (n >= 3)
    rs = np.where(ok, sxy / np.sqrt(np.where(ok, sxx * syy, 1.0)), np.nan)
    rs = np.clip(rs, -1.0, 1.0)
    dof = n - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = rs * np.sqrt(np.clip(dof / ((rs + 1.0) * (1.0 - rs)), 0.0, None))
    p = np.where(ok, 2.0 * stats.t.sf(np.abs(t), dof), np.nan) if dof > 0 else np.full_like(rs, np.nan)
    return rs, p


def batch_statistics(answers: np.ndarray, valid: np.ndarray, seeds: Sequence[int] | np.ndarray) -> BatchSurveys:
    """Item totals and Spearman r_s (benefit score against each participation domain score) per replicate.

    The same statistics as :func:`kopsim.instruments.survey_analysis.analyse` of each replicate's answers: a
    domain score is the sum of the domain's items, the benefit score the sum of the seven
    benefit items.
    """
    R, n, _ = answers.shape
    totals = answers.sum(axis=1).astype(float)
    scores = {dom: answers[:, :, cols].sum(axis=2) for dom, cols in _DOMAIN_COLUMNS.items()}
    rs = np.full((R, len(DOMAINS)), np.nan)
    p = np.full((R, len(DOMAINS)), np.nan)
    for k, dom in enumerate(DOMAINS):
        rs[:, k], p[:, k] = spearman_rows(scores["benefit"].astype(float), scores[dom].astype(float))
    shares = np.stack([(answers == a).mean(axis=1) for a in ANSWERS], axis=-1)
    for x in (totals, rs, p, shares):
        x[~valid] = np.nan
    return BatchSurveys(n, totals, rs, p, shares, valid, np.asarray(seeds, dtype=np.uint64))


def run_and_survey(
    params: Parameters,
    replicates: int,
    steps: int,
    seed: int,
    respondents: int,
    cooperative: int = 0,
    rm: ResponseModel | None = None,
    interventions: Sequence[Intervention] = (),
) -> BatchSurveys:
    """Run ``replicates`` copies of a scenario ``steps`` months in one batch and survey each.

    ``interventions`` must all be ``batch_safe`` (every kind but kemitraan).

    Replicate r is the run with the seed of the runner's replication r of root ``seed``
    (:func:`kopsim.streams.replication_seeds`); its survey is seeded with :func:`survey_seeds` (seed, r).
    No metrics are kept (the surveys read the state at the end).
    """
    params = params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    model = CooperativeModel(
        params, seed=seed, interventions=interventions, replicates=replicates, collect_metrics=False
    )
    model.run_steps(steps)
    seeds = survey_seeds(seed, replicates)
    answers, valid = survey_replicates(model, respondents, seeds, cooperative, rm)
    return batch_statistics(answers, valid, seeds)
