"""Figures of experiment results: time series with confidence bands (and optionally the spread
of the replications), a forest plot of differences from the reference (each outcome on its own
scale, or all on one standardised scale with the raw numbers beside it). Outcome labels and
units come from the one table in :mod:`kopsim.labels`; the picture of a cooperative's social
network from :mod:`kopsim.network_picture`.

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

from kopsim.labels import outcome_label, outcome_unit
from kopsim.palette import OKABE_ITO  # the one palette, shared with the classroom page

__all__ = ["forest_plot", "forest_standardised", "new_figure", "palette", "time_series"]

WORDS = {
    "en": {
        "month": "month",
        "ci": "mean, 95% CI (shaded)",
        "env": "5-95% of replications (dashed)",
        "finding": "finding: CI excludes 0 and |difference| >= minimum",
        "small": "CI excludes 0, below minimum",
        "none": "CI includes 0",
        "std": "difference / reference s.d. (standardised)",
        "raw": "difference [95% CI] in the outcome's units",
    },
    "id": {
        "month": "bulan",
        "ci": "rata-rata, IK 95% (arsir)",
        "env": "5-95% replikasi (putus-putus)",
        "finding": "temuan: IK tidak mencakup 0 dan |selisih| >= minimum",
        "small": "IK tidak mencakup 0, di bawah minimum",
        "none": "IK mencakup 0",
        "std": "selisih / s.d. pembanding (terstandar)",
        "raw": "selisih [IK 95%] dalam satuan hasil",
    },
}


def palette(labels: Sequence[str]) -> dict[str, Any]:
    """One colour per configuration label, in order: colour-blind safe (Okabe-Ito) up to seven, else tab20."""
    if len(labels) <= len(OKABE_ITO):
        return {lab: OKABE_ITO[k] for k, lab in enumerate(labels)}
    cmap = colormaps["tab20"]
    return {lab: cmap(k % cmap.N) for k, lab in enumerate(labels)}


def axis_label(outcome: str, lang: str = "en") -> str:
    """A y-axis label: the outcome's unit or scale (``Rp M``, ``count``, ``0 = none, 1 = full``)."""
    unit = outcome_unit(outcome, lang)
    return unit or outcome_label(outcome, lang, short=True)


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
    summary: pd.DataFrame,
    outcome: str,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    colours: dict[str, Any] | None = None,
    legend: bool = True,
    title: str | None = None,
    envelope: pd.DataFrame | None = None,
    lang: str = "en",
) -> Figure:
    """Mean of ``outcome`` per month with its shaded 95% confidence band, one line per configuration.

    The y axis is labelled with the outcome's unit or scale. ``envelope`` (columns label, step,
    outcome, low, high; e.g. the 5-95% range of the replications from
    :func:`experiments.stats.envelope`) adds thin dashed lines at its bounds. ``legend`` puts the
    key inside the figure, below the axes, so a copied figure keeps it. ``lang``: en or id.

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
    words = WORDS.get(lang, WORDS["en"])
    if ax is None:
        n_leg = len(order) + (2 if envelope is not None else 1)
        rows_leg = math.ceil(n_leg / 2) if legend and len(order) > 1 else 0
        height = 3.2 + 0.2 * rows_leg
        fig = new_figure(5.0, height)
        bottom = (0.45 + 0.2 * rows_leg + 0.15) / height
        # fixed margins: a layout engine draws twice
        fig.subplots_adjust(left=0.16, right=0.97, top=1 - 0.3 / height, bottom=bottom)
        ax = fig.add_subplot()
    else:
        fig = ax.figure  # type: ignore[assignment]  # a Figure when the axes were made by new_figure
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
        ax.plot(
            x,
            part["mean"].to_numpy(dtype=float),
            color=colour,
            lw=1.6,
            label=lab,
            marker="o" if sparse else None,
            ms=3,
            zorder=3 + len(order) - z,
        )
        lo, hi = part["ci_low"].to_numpy(dtype=float), part["ci_high"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            ax.fill_between(x, lo, hi, where=ok, color=colour, alpha=band_alpha, lw=0, interpolate=False)
        if envelope is not None:
            env = envelope[(envelope["label"].astype(str) == lab) & (envelope["outcome"] == outcome)]
            env = env[env["low"].notna()].sort_values("step")
            for col in ("low", "high"):
                ax.plot(
                    env["step"].to_numpy(dtype=float),
                    env[col].to_numpy(dtype=float),
                    color=colour,
                    lw=0.7,
                    ls=(0, (3, 2)),
                    alpha=0.8,
                    label="_nolegend_",
                    zorder=2,
                )
    ax.set_title(title if title is not None else outcome_label(outcome, lang), fontsize=10)
    ax.set_xlabel(words["month"], fontsize=9)
    ax.set_ylabel(axis_label(outcome, lang), fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(True, lw=0.4, alpha=0.5)
    ax.margins(x=0.01)
    if legend and len(order) > 1:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles: list[Any] = [Line2D([], [], color=colours.get(lab), lw=1.6, label=lab) for lab in order]
        handles.append(Patch(color="0.5", alpha=0.35, label=words["ci"]))
        if envelope is not None:
            handles.append(Line2D([], [], color="0.4", lw=0.7, ls=(0, (3, 2)), label=words["env"]))
        fig.legend(handles=handles, loc="lower center", ncols=2, fontsize=7, frameon=False, bbox_to_anchor=(0.5, 0.0))
    return fig


# ---- forest plot ------------------------------------------------------------------------
def forest_plot(
    differences: pd.DataFrame,
    outcomes: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    *,
    colours: dict[str, Any] | None = None,
    ncols: int = 3,
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
            ax.errorbar(
                [m],
                [y],
                xerr=xerr,
                fmt="o",
                color=colour,
                mfc=colour if excludes else "white",
                mec=colour,
                ms=5,
                capsize=3,
                lw=1.4,
            )
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
    fig.suptitle(
        f"Difference from {ref} in the final month (mean and 95% CI, paired by replication; "
        "each panel in the outcome's own units; filled marker: CI excludes 0)",
        fontsize=9,
    )
    return fig


def forest_standardised(
    differences: pd.DataFrame,
    scale: dict[str, float],
    outcomes: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    *,
    colours: dict[str, Any] | None = None,
    lang: str = "en",
    raw_text: dict[tuple[str, str], str] | None = None,
    title: str | None = None,
) -> Figure:
    """All differences on one common scale: difference / the reference's s.d. (``scale`` per outcome),
    with its 95% CI, one row per configuration and outcome, and the raw difference [95% CI] written
    beside each row (``raw_text`` per (label, outcome), else 4 significant digits).

    ``differences`` is a classified table (:func:`experiments.stats.classify`: columns label,
    outcome, mean_difference, ci_low, ci_high, excludes_zero, important). Marker: filled for a
    finding, grey-filled when the CI excludes zero but the difference is below the minimum, open
    when the CI includes zero. Outcomes whose reference s.d. is zero or unknown are left out (no
    common scale); an empty result raises ValueError. The legend is inside the figure.
    """
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    if differences.empty:
        raise ValueError("no differences to plot (only one configuration, or no finished runs)")
    words = WORDS.get(lang, WORDS["en"])
    diffs = differences.copy()
    diffs["label"] = diffs["label"].astype(str)
    if outcomes is None:
        outcomes = list(dict.fromkeys(diffs["outcome"]))
    usable = [
        o
        for o in outcomes
        if np.isfinite(scale.get(o, np.nan))
        and scale.get(o, 0) > 0
        and diffs.loc[diffs["outcome"] == o, "mean_difference"].notna().any()
    ]
    if not usable:
        raise ValueError("no outcome has a difference and a reference standard deviation above zero")
    order = _label_order(diffs, labels)
    colours = colours or palette(order)
    k = len(order)
    rows_total = len(usable) * k + (len(usable) - 1) * 0.6
    legend_in = 0.16 * math.ceil((k + 3) / 3)
    bottom_in, top_in = 0.75 + legend_in, 0.4 + (0.3 if title else 0.0)  # inches: x label + legend; header
    height = bottom_in + top_in + 0.22 * rows_total + 0.3
    fig = new_figure(10.0, height)
    ax = fig.add_axes((0.3, bottom_in / height, 0.42, 1 - (bottom_in + top_in) / height))
    text_at = blended_transform_factory(ax.transAxes, ax.transData)
    y, ticks, tick_labels = 0.0, [], []
    for outcome in usable:
        rows = diffs[diffs["outcome"] == outcome]
        start = y
        for lab in order:
            r = rows[rows["label"] == lab]
            if not r.empty:
                r = r.iloc[0]
                sd = float(scale[outcome])
                m, lo, hi = (float(r["mean_difference"]) / sd, float(r["ci_low"]) / sd, float(r["ci_high"]) / sd)
                if np.isfinite(m):
                    has_ci = np.isfinite(lo) and np.isfinite(hi)
                    colour = colours.get(lab)
                    big, excl = bool(r.get("important", False)), bool(r.get("excludes_zero", False))
                    face = colour if big else ("0.75" if excl else "white")
                    ax.errorbar(
                        [m],
                        [y],
                        xerr=np.array([[m - lo], [hi - m]]) if has_ci else None,
                        fmt="o",
                        color=colour,
                        mfc=face,
                        mec=colour,
                        ms=5.5 if big else 4.5,
                        capsize=2.5,
                        lw=1.6 if big else 0.9,
                        alpha=1.0 if big or excl else 0.7,
                    )
                    raw = (raw_text or {}).get((lab, outcome))
                    if raw is None:
                        d, a, b = float(r["mean_difference"]), float(r["ci_low"]), float(r["ci_high"])
                        raw = f"{d:+.4g} [{a:.4g}, {b:.4g}]"
                    ax.text(
                        1.02,
                        y,
                        raw,
                        transform=text_at,
                        va="center",
                        ha="left",
                        fontsize=7,
                        fontweight="bold" if big else "normal",
                        color="black" if big or excl else "0.4",
                    )
            y += 1
        ticks.append((start + y - 1) / 2)
        tick_labels.append(outcome_label(outcome, lang))
        y += 0.6
    ax.axvline(0.0, color="0.3", lw=0.9, zorder=0)
    ax.set_yticks(ticks)
    ax.set_yticklabels(tick_labels, fontsize=8)
    ax.set_ylim(y - 0.6 - 0.5, -0.5)
    ax.set_xlabel(words["std"], fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(True, axis="x", lw=0.4, alpha=0.5)
    lo_x, hi_x = ax.get_xlim()
    span = max(abs(lo_x), abs(hi_x), 1e-9)
    ax.set_xlim(min(lo_x, -0.1 * span), max(hi_x, 0.1 * span))
    ax.text(1.02, 1.0, words["raw"], transform=ax.transAxes, va="bottom", ha="left", fontsize=7, style="italic")
    ref = str(diffs["reference"].iloc[0]) if "reference" in diffs else ""
    handles = [
        Line2D([], [], color=colours.get(lab), marker="o", lw=1.4, label=f"{lab} - {ref}" if ref else lab)
        for lab in order
    ]
    handles += [
        Line2D([], [], color="0.2", marker="o", mfc="0.2", ls="", label=words["finding"]),
        Line2D([], [], color="0.2", marker="o", mfc="0.75", ls="", label=words["small"]),
        Line2D([], [], color="0.2", marker="o", mfc="white", ls="", label=words["none"]),
    ]
    fig.legend(handles=handles, loc="lower center", ncols=3, fontsize=7, frameon=False, bbox_to_anchor=(0.5, 0.0))
    if title is not None:
        fig.suptitle(title, fontsize=9)
    return fig
