"""Posterior-predictive checks: surveys simulated from the posterior (or from one point), each
target beside their median and 90% interval."""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kopsim.instruments.ptp import ptp_zone
from kopsim.instruments.survey_analysis import category_bounds
from kopsim.instruments.trust_survey import TRUST_CATEGORIES

from .distance import share_cells
from .simulator import INVALID

if TYPE_CHECKING:
    from .simulator import SurveySimulator
    from .targets import Prior, Targets


INTERVAL = (0.05, 0.95)  # the 90% intervals
PPC_TAG = 0x5050C  # SeedSequence tag of the posterior-predictive draws


def simulate_in_batches(
    simulator: SurveySimulator, jobs: Sequence[tuple[Mapping[str, float], int]], ex: cf.Executor, per_batch: int
) -> list[dict[str, float]]:
    """:meth:`SurveySimulator.simulate` of every (point, seed) of ``jobs``, in order, ``per_batch`` at a
    time as one batch of worlds on ``ex`` (:meth:`SurveySimulator.simulate_many`: the same values)."""
    size = max(1, per_batch)
    futures = [ex.submit(simulator.simulate_many, list(jobs[i : i + size])) for i in range(0, len(jobs), size)]
    return [x for fut in futures for x in fut.result()]


def posterior_predictive_draws(
    simulator: SurveySimulator,
    posterior: pd.DataFrame,
    priors: Sequence[Prior],
    draws: int,
    seed: int,
    ex: cf.Executor,
    per_batch: int = 1,
) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, PPC_TAG]))
    idx = rng.choice(len(posterior), size=draws, p=posterior["weight"].to_numpy())
    seeds = rng.integers(0, 2**31 - 1, size=draws)
    points = [{p.key: float(posterior[p.key].iloc[i]) for p in priors} for i in idx]
    results = simulate_in_batches(simulator, [(p, int(s)) for p, s in zip(points, seeds, strict=True)], ex, per_batch)
    rows = []
    for k, x in enumerate(results):
        rows.append(
            {
                "draw": k,
                "particle": int(idx[k]),
                "seed": int(seeds[k]),
                **{p.key: points[k][p.key] for p in priors},
                **x,
            }
        )
    return pd.DataFrame(rows)


def point_predictive_draws(
    simulator: SurveySimulator,
    point: Mapping[str, float],
    priors: Sequence[Prior],
    draws: int,
    seed: int,
    ex: cf.Executor,
    per_batch: int = 1,
) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, PPC_TAG, 1]))
    seeds = rng.integers(0, 2**31 - 1, size=draws)
    results = simulate_in_batches(simulator, [(dict(point), int(s)) for s in seeds], ex, per_batch)
    return pd.DataFrame([{"draw": k, "seed": int(seeds[k]), **x} for k, x in enumerate(results)])


def quantiles(sim: np.ndarray) -> tuple[float, float, float, float]:
    """(q05, median, q95, missing share) of the simulated values of one statistic: the quantiles
    over the defined values, ``missing`` the share of draws where it was undefined (NaN)."""
    sim = np.asarray(sim, dtype=float)
    defined = sim[~np.isnan(sim)]
    missing = float(1.0 - defined.size / sim.size) if sim.size else 0.0
    if defined.size == 0:
        return math.nan, math.nan, math.nan, missing
    q05, med, q95 = np.quantile(defined, (INTERVAL[0], 0.5, INTERVAL[1]))
    return float(q05), float(med), float(q95), missing


def ppc_table(targets: Targets, draws: pd.DataFrame) -> pd.DataFrame:
    """Each target beside the median and 90% interval of the posterior-predictive surveys.

    ``inside``: the observed value lies in [q05, q95]; for a category target or a PTP zone (and, as extra
    columns, for an item total) the category of the median simulated total, the share of draws
    whose total falls in the observed category and ``inside`` = the median's category is the
    observed one. ``missing``: the share of draws where the statistic was undefined (left out of
    the quantiles and, in the fit, of the distance). ``held_out``: the target was predicted, not
    fitted (``targets.held_out``, ``--hold-out``)."""
    ok = draws[draws[INVALID].isna()] if INVALID in draws else draws
    n = targets.respondents
    bounds = category_bounds(n) if n > 0 else None
    rows = []
    for t in targets.targets:
        if t.kind in ("share", "trust"):
            for answers, s in share_cells(t.observed):
                if t.kind == "trust":
                    names = [TRUST_CATEGORIES[a - 1] for a in answers]
                    cols, stat = [f"trust.{t.key}.{c}" for c in names], f"trust.{t.key}." + "+".join(names)
                else:
                    cols, stat = (
                        [f"share.{t.key}.{a}" for a in answers],
                        f"share.{t.key}." + "+".join(map(str, answers)),
                    )
                sim = ok[cols].sum(axis=1, skipna=False).to_numpy()
                q05, med, q95, missing = quantiles(sim)
                rows.append(
                    {
                        "statistic": stat,
                        "kind": t.kind,
                        "observed": s,
                        "median": med,
                        "q05": q05,
                        "q95": q95,
                        "inside": bool(q05 - 1e-12 <= s <= q95 + 1e-12),
                        "missing": missing,
                        "held_out": t.label in targets.held_out,
                    }
                )
            continue
        col = f"rs.{t.key}" if t.kind == "spearman" else t.statistic
        sim = ok[col].to_numpy(dtype=float)
        q05, med, q95, missing = quantiles(sim)
        row: dict[str, Any] = {
            "statistic": t.label,
            "kind": t.kind,
            "median": med,
            "q05": q05,
            "q95": q95,
            "missing": missing,
            "held_out": t.label in targets.held_out,
        }
        if t.kind in ("spearman", "series", "ptp", "relational"):
            row.update(observed=t.observed, inside=bool(q05 <= t.observed <= q95))
        elif t.kind == "ptp_zone":
            zones = np.array([ptp_zone(t.key, v) if v == v else "" for v in sim])
            median_zone = ptp_zone(t.key, med) if med == med else ""
            row.update(
                observed=np.nan,
                observed_category=t.observed,
                median_category=median_zone,
                p_category=float(np.mean(zones == t.observed)),
                inside=median_zone == t.observed,
            )
        else:
            assert bounds is not None  # a survey target implies respondents
            observed_cat = t.observed if t.kind == "category" else bounds.category(t.observed)
            cats = np.array([bounds.category(v) for v in sim])
            row.update(
                observed_category=observed_cat,
                median_category=bounds.category(med),
                p_category=float(np.mean(cats == observed_cat)),
            )
            if t.kind == "category":
                row.update(
                    observed=np.nan if t.reported is None else t.reported, inside=row["median_category"] == observed_cat
                )
            else:
                row.update(observed=t.observed, inside=bool(q05 <= t.observed <= q95))
        rows.append(row)
    cols = [
        "statistic",
        "kind",
        "observed",
        "median",
        "q05",
        "q95",
        "inside",
        "observed_category",
        "median_category",
        "p_category",
        "missing",
        "held_out",
    ]
    return pd.DataFrame(rows).reindex(columns=cols)


__all__ = [
    "INTERVAL",
    "PPC_TAG",
    "point_predictive_draws",
    "posterior_predictive_draws",
    "ppc_table",
    "quantiles",
]
