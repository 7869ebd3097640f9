"""Figures of a fit: the marginal posteriors and the posterior-predictive check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from kopsim.instruments.ptp import PTP_INDICATORS

from .distance import category_interval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .fit import CalibrationResult


def posterior_figure(result: CalibrationResult, truth: Mapping[str, float] | None = None) -> Figure:
    """One panel per parameter: the weighted posterior histogram, the prior density, the median and
    the 90% interval (and ``truth`` if given)."""
    from kopsim.experiments.figures import new_figure

    priors = result.targets.priors
    ncols = min(3, len(priors))
    nrows = math.ceil(len(priors) / ncols)
    fig = new_figure(3.4 * ncols, 2.5 * nrows)
    w = result.posterior["weight"].to_numpy()
    for k, p in enumerate(priors):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        x = result.posterior[p.key].to_numpy()
        if p.scale == "log":
            bins = np.geomspace(p.low, p.high, 31)
            ax.set_xscale("log")
        else:
            bins = np.linspace(p.low, p.high, 31)
        ax.hist(x, bins=bins.tolist(), weights=w, density=True, color="#4c72b0", alpha=0.75, label="posterior")
        grid = np.geomspace(p.low, p.high, 200) if p.scale == "log" else np.linspace(p.low, p.high, 200)
        ax.plot(grid, p.density(grid), color="grey", lw=1.2, ls="--", label="prior")
        row = result.summary.set_index("parameter").loc[p.key]
        ax.axvline(row["median"], color="black", lw=1.2, label="median")
        ax.axvspan(row["q05"], row["q95"], color="#4c72b0", alpha=0.12, label="90% interval")
        if truth and p.key in truth:
            ax.axvline(truth[p.key], color="#c44e52", lw=1.5, label="truth")
        ax.set_title(p.key, fontsize=8)
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(fontsize=6, frameon=False)
    fig.tight_layout()
    return fig


def _ptp_sum(statistic: str) -> bool:
    """A PTP total or indicator score (or zone), rather than one variable's score."""
    return statistic.split(".", 1)[1] in ("total", *PTP_INDICATORS)


def ppc_figure(result: CalibrationResult) -> Figure:
    """Posterior-predictive check: per target the simulated 90% interval and median against the
    observed value (item totals on the background of the low / medium / high bands)."""
    from kopsim.experiments.figures import new_figure

    ppc = result.ppc
    groups = [
        ("item totals and categories", ppc[ppc["kind"].isin(("total", "category"))]),
        ("Spearman r_s (benefit vs domain)", ppc[ppc["kind"] == "spearman"]),
        ("answer shares", ppc[ppc["kind"] == "share"]),
        *(
            (f"time series: {metric} (at month)", ppc[ppc["statistic"].str.startswith(f"series.{metric}.")])
            for metric in dict.fromkeys(s.split(".")[1] for s in ppc.loc[ppc["kind"] == "series", "statistic"])
        ),
        ("PTP total and indicators", ppc[ppc["kind"].isin(("ptp", "ptp_zone")) & ppc["statistic"].map(_ptp_sum)]),
        ("PTP variables", ppc[(ppc["kind"] == "ptp") & ~ppc["statistic"].map(_ptp_sum)]),
        ("trust category shares", ppc[ppc["kind"] == "trust"]),
        ("relational properties of partnerships", ppc[ppc["kind"] == "relational"]),
    ]
    groups = [(title, part) for title, part in groups if len(part)]
    heights = [max(1.2, 0.28 * len(part) + 0.8) for _, part in groups]
    fig = new_figure(7.0, sum(heights))
    gs = fig.add_gridspec(len(groups), 1, height_ratios=heights)
    n = result.targets.respondents
    for k, (title, part) in enumerate(groups):
        ax = fig.add_subplot(gs[k])
        y = np.arange(len(part))
        if title.startswith("item"):
            lo, hi = category_interval("low", n)[1], category_interval("high", n)[0]
            for a, b, c in ((n, lo, "#f2d7d5"), (lo, hi, "#fcf3cf"), (hi, 3 * n, "#d5f5e3")):
                ax.axvspan(a, b, color=c, alpha=0.8, lw=0)
            ax.set_xlim(n, 3 * n)
        colors = np.where(part["inside"].astype(bool), "#4c72b0", "#c44e52")
        ax.hlines(y - 0.12, part["q05"], part["q95"], colors=colors.tolist(), lw=3, alpha=0.8)
        ax.plot(part["median"], y - 0.12, "o", color="black", ms=3, label="posterior predictive: median, 90%")
        ax.hlines(y + 0.18, part["point_q05"], part["point_q95"], colors="grey", lw=1.5, alpha=0.9)
        ax.plot(part["point_median"], y + 0.18, "|", color="black", ms=6, label=f"{result.point_method}: median, 90%")
        obs = part["observed"].to_numpy(dtype=float)
        ax.plot(obs, y, "x", color="#c44e52", ms=6, mew=1.5, label="observed")
        labels = [
            r["statistic"].split(".", 1)[1]
            + (f" [{r['observed_category']}]" if r["kind"] in ("category", "ptp_zone") else "")
            for _, r in part.iterrows()
        ]
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(True, axis="x", lw=0.4, alpha=0.5)
        if k == 0:
            ax.legend(fontsize=6, frameon=False, loc="lower left")
    fig.tight_layout()
    return fig


__all__ = ["posterior_figure", "ppc_figure"]
