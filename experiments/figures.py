"""Figures of experiment results: time series with confidence bands, a forest plot of
differences from the reference. Outcome labels come from the one table in :mod:`kopsim.labels`;
the picture of a cooperative's social network from :mod:`kopsim.network_picture`.

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas. Figures
are made without ``pyplot``, so nothing opens a window, no global figure registry grows and
the caller owns the figure (save it with ``fig.savefig(...)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kopsim.labels import outcome_label

__all__ = ["forest_plot", "new_figure", "outcome_label", "palette", "time_series"]


def palette(labels: Sequence[str]) -> dict[str, Any]:
    """One colour per configuration label, in order (tab10, or tab20 beyond ten)."""
    cmap = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    return {lab: cmap(k % cmap.N) for k, lab in enumerate(labels)}


def new_figure(width: float, height: float, **kwargs: Any) -> Figure:
    """A figure on the Agg canvas, outside pyplot (no window, no global registry)."""
    fig = Figure(figsize=(width, height), **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _label_order(frame: pd.DataFrame, labels: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(frame["label"].astype(str)))
    if labels is None:
        return present
    return [lab for lab in labels if lab in set(present)]


# ---- time series ------------------------------------------------------------------------
def time_series(
    summary: pd.DataFrame, outcome: str, labels: Sequence[str] | None = None, *, ax: Axes | None = None,
    colours: dict[str, Any] | None = None, legend: bool = True, title: str | None = None,
) -> Figure:
    """Mean of ``outcome`` per month with its shaded 95% confidence band, one line per configuration.

    ``summary`` is the tidy table of :func:`experiments.stats.summary` (label, step, outcome,
    mean, ci_low, ci_high). ``labels`` orders and selects the configurations (default: order of
    appearance). Months where the outcome is not computed (NaN) are left out; an outcome that
    is NaN in every month raises ValueError.
    """
    rows = summary[summary["outcome"] == outcome]
    if rows.empty or not rows["mean"].notna().any():
        raise ValueError(f"outcome {outcome!r} has no values in the summary")
    order = _label_order(rows, labels)
    colours = colours or palette(order)
    if ax is None:
        fig = new_figure(5.0, 3.2)
        fig.subplots_adjust(left=0.15, right=0.97, top=0.9, bottom=0.15)  # fixed: a layout engine draws twice
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    band_alpha = 0.2 if len(order) <= 3 else 0.1  # many overlapping bands turn to mud
    for z, lab in enumerate(order):
        part = rows[rows["label"].astype(str) == lab].sort_values("step")
        part = part[part["mean"].notna()]
        if part.empty:
            continue
        x = part["step"].to_numpy(dtype=float)
        sparse = len(part) < 0.5 * (x.max() - x.min() + 1) or len(part) <= 3
        colour = colours.get(lab)
        # the first configuration (the reference) on top: under common random numbers the others
        # coincide with it until they diverge
        ax.plot(x, part["mean"].to_numpy(dtype=float), color=colour, lw=1.6, label=lab,
                marker="o" if sparse else None, ms=3, zorder=3 + len(order) - z)
        lo, hi = part["ci_low"].to_numpy(dtype=float), part["ci_high"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            ax.fill_between(x, lo, hi, where=ok, color=colour, alpha=band_alpha, lw=0, interpolate=False)
    ax.set_title(title if title is not None else outcome_label(outcome), fontsize=10)
    ax.set_xlabel("month", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, lw=0.4, alpha=0.5)
    ax.margins(x=0.01)
    if legend and len(order) > 1:
        ax.legend(fontsize=7, frameon=False, loc="best")
    return fig


# ---- forest plot ------------------------------------------------------------------------
def forest_plot(
    differences: pd.DataFrame, outcomes: Sequence[str] | None = None, labels: Sequence[str] | None = None,
    *, colours: dict[str, Any] | None = None, ncols: int = 3,
) -> Figure:
    """Mean difference from the reference (final month, paired by replication) with its 95% CI.

    One small panel per outcome, each on its own scale (the outcome's units), so outcomes of
    very different sizes stay readable; within a panel one horizontal error bar per
    non-reference configuration and a vertical line at zero. A filled marker means the
    interval excludes zero; an open marker that it does not. ``differences`` is the table of
    :func:`experiments.stats.differences`. Outcomes without any finite difference are skipped.
    """
    if differences.empty:
        raise ValueError("no differences to plot (only one configuration, or no finished runs)")
    diffs = differences.copy()
    diffs["label"] = diffs["label"].astype(str)
    if outcomes is None:
        outcomes = list(dict.fromkeys(diffs["outcome"]))
    outcomes = [o for o in outcomes if diffs.loc[diffs["outcome"] == o, "mean_difference"].notna().any()]
    if not outcomes:
        raise ValueError("every difference is NaN")
    order = _label_order(diffs, labels)
    if colours is None:  # the reference takes the first colour, as in time_series
        ref_label = str(diffs["reference"].iloc[0]) if "reference" in diffs else ""
        colours = palette([ref_label, *order])
    k = len(order)
    ncols = max(1, min(ncols, len(outcomes)))
    nrows = math.ceil(len(outcomes) / ncols)
    longest = max(len(lab) for lab in order)
    panel_h = 0.9 + 0.28 * k
    fig = new_figure(min(4.2 * ncols + 0.07 * longest, 18.0), panel_h * nrows + 0.6, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    ref = diffs["reference"].iloc[0] if "reference" in diffs else "the reference"
    for pos, outcome in enumerate(outcomes):
        ax = axes[pos // ncols][pos % ncols]
        rows = diffs[diffs["outcome"] == outcome].set_index("label")
        for y, lab in enumerate(order):
            if lab not in rows.index:
                continue
            r = rows.loc[lab]
            m, lo, hi = float(r["mean_difference"]), float(r["ci_low"]), float(r["ci_high"])
            if not np.isfinite(m):
                continue
            has_ci = np.isfinite(lo) and np.isfinite(hi)
            xerr = np.array([[m - lo], [hi - m]]) if has_ci else None
            excludes = has_ci and (lo > 0 or hi < 0)
            colour = colours.get(lab)
            ax.errorbar([m], [y], xerr=xerr, fmt="o", color=colour, mfc=colour if excludes else "white",
                        mec=colour, ms=5, capsize=3, lw=1.4)
        ax.axvline(0.0, color="0.3", lw=0.9, ls="-", zorder=0)
        ax.set_yticks(range(k))
        ax.set_yticklabels(order if pos % ncols == 0 else [""] * k, fontsize=8)
        ax.set_ylim(k - 0.5, -0.5)
        ax.set_title(outcome_label(outcome), fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(True, axis="x", lw=0.4, alpha=0.5)
        lo_x, hi_x = ax.get_xlim()
        span = max(abs(lo_x), abs(hi_x))
        if span > 0:  # keep zero in view with some room on both sides
            ax.set_xlim(min(lo_x, -0.05 * span), max(hi_x, 0.05 * span))
    for pos in range(len(outcomes), nrows * ncols):
        axes[pos // ncols][pos % ncols].set_visible(False)
    fig.suptitle(f"Difference from {ref} in the final month (mean and 95% CI, paired by replication; "
                 "each panel in the outcome's own units; filled marker: CI excludes 0)", fontsize=9)
    return fig
