"""The page's live charts as inline SVG: vector (sharp on a projector), text the browser sizes, cheap to redraw.

Each chart is one ``<svg>`` with its title, legend, axes and lines, so a copied chart keeps its
key. Text is :data:`FONT` units high and the chart :data:`WIDTH` units wide: the page shows it
at least about that many CSS pixels wide at 1024×768, so text stays ≥ 16 px (the browser test
measures it). The previous run (kept at Reset) is drawn under the current one, in the same
colours, faint and dashed. Building a chart is string formatting of at most a few hundred
points per line, with numpy doing the arithmetic (no loop over agents).

:data:`PANELS` is the menu of plotted variables; each panel names its metrics columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from ..labels import outcome_label
from ..palette import BAND_COLOURS, LAYER_COLOURS, PREVIOUS_RUN_OPACITY, SERIES
from .labels import text
from .session import PARTICIPATION, TIES

WIDTH = 340  # viewBox units (the page shows a chart ~360 CSS pixels wide at 1024×768)
FONT = 17  # text height in viewBox units
LINE = 3.0  # stroke width of the current run's lines


@dataclass(frozen=True)
class Panel:
    """One chart: its columns, their colours and legend keys (None: the outcome's short label), its y range."""

    columns: tuple[str, ...]
    colours: tuple[str, ...]
    legend: tuple[str, ...] | None = None  # keys of :mod:`kopsim.app.labels`
    bounded: bool = False  # a share or a 0..1 score: the axis is fixed at 0..1


PANELS: dict[str, Panel] = {
    "participation": Panel(PARTICIPATION, SERIES[:3], bounded=True),
    "trust": Panel(
        ("trust_institution_mean", "trust_board_mean", "trust_peer_mean"),
        SERIES[:3],
        ("trust_institution", "trust_board", "trust_peer"),
        bounded=True,
    ),
    "trust_bands": Panel(("low", "medium", "high"), BAND_COLOURS, ("low", "medium", "high"), bounded=True),
    "ties": Panel(TIES, LAYER_COLOURS),
    "members": Panel(("members",), SERIES[:1]),
    "skill": Panel(("skill_members", "skill_mean"), SERIES[:2], ("of_members", "of_households"), bounded=True),
    "loans": Panel(
        ("coop_loans_outstanding", "moneylender_loans_outstanding"), SERIES[:2], ("coop", "moneylender_short")
    ),
    "borrowers": Panel(("coop_borrowers", "moneylender_borrowers"), SERIES[:2], ("coop", "moneylender_short")),
    "savings": Panel(("savings_mandatory", "savings_voluntary"), SERIES[:2], ("mandatory", "voluntary")),
    "income": Panel(("household_income_mean",), SERIES[:1], ("mean",)),
    "information": Panel(
        ("information_reach", "information_reach_needy"), SERIES[:2], ("all_households", "needy"), bounded=True
    ),
    "partners": Panel(("partner_ties", "partner_ties_in_contact"), SERIES[:2], ("all_partner", "in_contact")),
    "reciprocity": Panel(("reciprocity_rate", "free_rider_share"), SERIES[:2], ("reciprocity", "free_riders"), True),
}
DEFAULT_PANELS = ("participation", "trust", "ties")
MAX_PANELS = 4


def panel_columns(key: str, target: str) -> tuple[str, ...]:
    """The metrics columns of panel ``key`` (the trust bands are those of the target colouring the dots)."""
    panel = PANELS[key]
    if key == "trust_bands":
        return tuple(f"trust_{target}_{band}" for band in panel.columns)
    return panel.columns


def panel_svg(
    key: str,
    history: Mapping[str, np.ndarray],
    previous: Mapping[str, np.ndarray] | None,
    steps: int,
    lang: str,
    target: str = "institution",
) -> str:
    """The chart of panel ``key`` for the run so far (``history``: column -> values for months 0..now)."""
    panel = PANELS[key]
    columns = panel_columns(key, target)
    names = (
        [text(k, lang) for k in panel.legend] if panel.legend else [outcome_label(c, lang, short=True) for c in columns]
    )
    series = [(n, c, history.get(col)) for n, c, col in zip(names, panel.colours, columns, strict=True)]
    faint = (
        [(n, c, previous.get(col)) for n, c, col in zip(names, panel.colours, columns, strict=True)] if previous else []
    )
    title = text(f"panel_{key}", lang, target=text(f"trust_{target}", lang))
    return line_chart(title, series, faint, steps, lang, bounded=panel.bounded, css=f"kopsim-chart-{key}")


Series = tuple[str, str, "np.ndarray | None"]  # (legend label, colour, values per month)


def line_chart(
    title: str,
    series: Sequence[Series],
    previous: Sequence[Series] = (),
    steps: int = 120,
    lang: str = "id",
    *,
    bounded: bool = False,
    css: str = "",
) -> str:
    """An SVG line chart: title, legend (wrapped into rows), y axis (0..1 if ``bounded``), months on x."""
    legend, legend_rows = _legend(series)
    top = 8 + FONT + 6 + legend_rows * (FONT + 8) + 12
    left, right, plot_h = 46, WIDTH - 20, 76
    bottom = top + plot_h
    height = bottom + FONT + 12
    xmax = max(steps, 1)
    values = [v for _, _, v in (*series, *previous) if v is not None and np.isfinite(v).any()]
    ymax = 1.0 if bounded else _nice(max((float(np.nanmax(v)) for v in values), default=1.0))
    ymax = max(ymax, 1e-9)

    def xs(n: int) -> np.ndarray:
        return left + (right - left) * np.arange(n) / xmax

    def ys(v: np.ndarray) -> np.ndarray:
        return bottom - plot_h * np.clip(v, 0.0, ymax) / ymax

    out = [
        f'<svg class="kopsim-chart {css}" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="{FONT}" role="img">',
        f'<text x="4" y="{8 + FONT}" font-weight="bold">{escape(title)}</text>',
        *(item.format(y0=8 + FONT + 6) for item in legend),
    ]
    for frac in (0.0, 0.5, 1.0):  # y grid and labels
        y = bottom - plot_h * frac
        out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#D0D0D0" stroke-width="1"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + FONT * 0.35:.1f}" text-anchor="end">{_tick(ymax * frac, lang)}</text>'
        )
    every = 12 * max(1, math.ceil(xmax / 12 / 5))  # whole years, at most about five ticks
    for m in range(0, xmax + 1, every):
        x = left + (right - left) * m / xmax
        out.append(f'<text x="{x:.1f}" y="{bottom + FONT + 4}" text-anchor="middle">{m}</text>')
    out.append(
        f'<text x="{right}" y="{bottom - 6}" text-anchor="end" fill="#555555">{escape(text("month_axis", lang))}</text>'
    )
    for _, colour, v in previous:
        if v is not None:
            out.append(_polyline(xs(len(v)), ys(v), v, colour, "kopsim-previous", faint=True))
    for _, colour, v in series:
        if v is not None:
            out.append(_polyline(xs(len(v)), ys(v), v, colour, "kopsim-series"))
    now = max((len(v) for _, _, v in series if v is not None), default=1) - 1
    x_now = left + (right - left) * now / xmax
    out.append(f'<line x1="{x_now:.1f}" x2="{x_now:.1f}" y1="{top}" y2="{bottom}" stroke="#555555" stroke-width="1"/>')
    out.append("</svg>")
    return "".join(out)


def _polyline(x: np.ndarray, y: np.ndarray, v: np.ndarray, colour: str, css: str, *, faint: bool = False) -> str:
    ok = np.isfinite(v)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x[ok], y[ok], strict=True))
    style = f' stroke-dasharray="6 4" opacity="{PREVIOUS_RUN_OPACITY}"' if faint else ""
    width = LINE * 0.8 if faint else LINE
    return (
        f'<polyline class="{css}" points="{points}" fill="none" stroke="{colour}" '
        f'stroke-width="{width}" stroke-linejoin="round"{style}/>'
    )


def _legend(series: Sequence[Series]) -> tuple[list[str], int]:
    """Legend items (``{y0}`` left to fill in) laid out in rows across the chart's width, and the row count."""
    items, x, row = [], 4.0, 0
    for label, colour, _ in series:
        width = 30 + 0.58 * FONT * len(label) + 12  # swatch, text (a sans-serif character ≈ 0.5-0.58 em), gap
        if x > 4 and x + width > WIDTH:
            x, row = 4.0, row + 1
        dy = row * (FONT + 8)
        items.append(
            f'<line x1="{x:.0f}" x2="{x + 24:.0f}" y1="{{y0}}" y2="{{y0}}" stroke="{colour}" stroke-width="{LINE}" '
            f'transform="translate(0 {dy + FONT * 0.6:.0f})"/>'
            f'<text x="{x + 30:.0f}" y="{{y0}}" transform="translate(0 {dy + FONT:.0f})">{escape(label)}</text>'
        )
        x += width
    return items, row + 1 if series else 0


def _nice(top: float) -> float:
    """A round axis maximum at or above ``top`` (1, 2, 2.5 or 5 times a power of ten)."""
    if not math.isfinite(top) or top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power


def _tick(value: float, lang: str) -> str:
    """An axis number; Indonesian writes the decimal point as a comma."""
    shown = f"{value:.0f}" if value >= 100 or value == 0 else f"{value:.2f}".rstrip("0").rstrip(".")
    return shown.replace(".", ",") if lang == "id" else shown
