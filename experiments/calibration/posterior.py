"""Summaries of a weighted ABC posterior sample: effective sample size, weighted quantiles, a density
estimate, and the point written to ``calibrated.toml``."""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .predictive import INTERVAL, PPC_TAG

if TYPE_CHECKING:
    from .distance import SurveyDistance
    from .simulator import SurveySimulator
    from .targets import Prior


POINTS = ("best", "mode", "median")
POINT_TEXT = {
    "best": "candidate with the smallest mean distance over new runs (see --point)",
    "mode": "mode (highest kernel density among the final particles)",
    "median": "medians (of each parameter)",
}
BEST_CANDIDATES = 30  # --point best: the densest particles tried besides the medians
BEST_RUNS = 200  # --point best: runs per candidate (one batch, the same batch seed for each)


def effective_sample_size(weights: np.ndarray) -> float:
    """ESS = (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2)) if w.size else 0.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of the weighted empirical CDF at mid-weights)."""
    order = np.argsort(values)
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cum, v)


def posterior_density(posterior: pd.DataFrame, priors: Sequence[Prior]) -> np.ndarray | None:
    """A weighted Gaussian kernel density estimate of the posterior at each particle (parameters
    scaled to their prior ranges, log-scaled for log-uniform priors); None if it is singular."""
    if len(posterior) <= len(priors) + 1:
        return None
    from scipy import stats

    cols = []
    for p in priors:
        x = posterior[p.key].to_numpy(dtype=float)
        if p.scale == "log":
            cols.append((np.log(x) - math.log(p.low)) / math.log(p.high / p.low))
        else:
            cols.append((x - p.low) / (p.high - p.low))
    z = np.vstack(cols)
    try:
        density = stats.gaussian_kde(z, weights=posterior["weight"].to_numpy())(z)
    except (np.linalg.LinAlgError, ValueError):
        return None
    return density if np.all(np.isfinite(density)) else None


def point_estimate(posterior: pd.DataFrame, priors: Sequence[Prior], method: str = "mode") -> dict[str, float]:
    """The ``median`` (weighted median of each marginal) or the ``mode`` (the final particle where
    :func:`posterior_density` is highest: a point on the posterior's ridge when parameters trade
    off against each other, which the vector of marginal medians need not be; the median if the
    density estimate is singular). For ``best`` see :func:`best_point`."""
    w = posterior["weight"].to_numpy()
    density = posterior_density(posterior, priors) if method == "mode" else None
    if density is not None:
        best = int(np.argmax(density))
        return {p.key: float(posterior[p.key].iloc[best]) for p in priors}
    return {p.key: float(weighted_quantile(posterior[p.key].to_numpy(), w, (0.5,))[0]) for p in priors}


def best_point(
    simulator: SurveySimulator,
    distance: SurveyDistance,
    posterior: pd.DataFrame,
    priors: Sequence[Prior],
    seed: int,
    ex: cf.Executor,
) -> tuple[dict[str, float], pd.DataFrame]:
    """``--point best``: among the marginal medians and the BEST_CANDIDATES (30) particles of highest
    posterior density, the candidate with the smallest mean distance D over BEST_RUNS (200) new runs
    and surveys (a vectorised batch per candidate, the same batch seed for every candidate; one by
    one for scenarios with interventions). Returns it and the table of candidates."""
    candidates = [point_estimate(posterior, priors, "median")]
    density = posterior_density(posterior, priors)
    if density is not None:
        for i in np.argsort(-density)[:BEST_CANDIDATES]:
            candidates.append({p.key: float(posterior[p.key].iloc[int(i)]) for p in priors})
    batch_seed = int(np.random.SeedSequence([seed, PPC_TAG, 2]).generate_state(1)[0])
    futures = [ex.submit(simulator.simulate_batch, dict(c), batch_seed, BEST_RUNS) for c in candidates]
    rows = []
    for k, (c, fut) in enumerate(zip(candidates, futures, strict=True)):
        d = np.array([distance(x) for x in fut.result()])
        rows.append(
            {
                "candidate": "median" if k == 0 else f"density rank {k}",
                **c,
                "mean_distance": float(np.mean(d)),
                "median_distance": float(np.median(d)),
            }
        )
    table = pd.DataFrame(rows)
    return candidates[int(np.argmin(table["mean_distance"].to_numpy()))], table


def summarise_posterior(
    posterior: pd.DataFrame, priors: Sequence[Prior], point: Mapping[str, float] | None = None
) -> pd.DataFrame:
    rows = []
    w = posterior["weight"].to_numpy()
    for p in priors:
        x = posterior[p.key].to_numpy()
        q05, med, q95 = weighted_quantile(x, w, (INTERVAL[0], 0.5, INTERVAL[1]))
        at = med if point is None else point[p.key]
        rows.append(
            {
                "parameter": p.key,
                "prior": p.text(),
                "low": p.low,
                "high": p.high,
                "scale": p.scale,
                "median": med,
                "q05": q05,
                "q95": q95,
                "mean": float(np.average(x, weights=w)),
                "point": p.value(at),
                "interval_share_of_prior": (q95 - q05) / (p.high - p.low),
            }
        )
    return pd.DataFrame(rows)


def bayes_factor(p_model: float, p_null: float, population: int) -> tuple[float, str]:
    """(BF, relation) with BF = p(model | D) / p(null | D) (equal prior model probabilities).

    relation ``"="``: both models alive, BF is the estimate. A model with probability 0 has died
    out; then the estimate is only a bound from the population size P: ``">"`` with BF = P − 1
    (the null died) or ``"<"`` with BF = 1/(P − 1) (the model died)."""
    if p_model > 0 and p_null > 0:
        return p_model / p_null, "="
    bound = float(max(population - 1, 1))
    if p_null <= 0 < p_model:
        return bound, ">"
    if p_model <= 0 < p_null:
        return 1.0 / bound, "<"
    return math.nan, "="


def bayes_factor_text(p_model: float, p_null: float, population: int) -> str:
    """The Bayes factor as printed: ``4.12``, or ``> 199 (null died out)`` / ``< 1/199 (model died out)``."""
    value, relation = bayes_factor(p_model, p_null, population)
    if relation == ">":
        return f"> {value:.0f} (the null model died out: bound (P-1)/1 from P = {population} particles)"
    if relation == "<":
        return f"< 1/{1 / value:.0f} (the model died out: bound 1/(P-1) from P = {population} particles)"
    return f"{value:.3g}"


__all__ = [
    "BEST_CANDIDATES",
    "BEST_RUNS",
    "POINTS",
    "POINT_TEXT",
    "bayes_factor",
    "bayes_factor_text",
    "best_point",
    "effective_sample_size",
    "point_estimate",
    "posterior_density",
    "summarise_posterior",
    "weighted_quantile",
]
