"""Scenario discovery: which parameter boxes lead to a chosen outcome (PRIM on sweep results).

``kopsim discover RESULTS "participation_capital<0.5"`` (or ``kopsim report RESULTS --discover ...``)
marks every finished run whose final value meets the condition as a *case of interest* and asks the
Patient Rule Induction Method (Friedman & Fisher 1999) for boxes in the space of the parameters that
vary across the configurations: hyper-rectangles (and, for a parameter with a few values such as the
scenario, subsets) where such runs are concentrated. Each box is described by

* **coverage**: the share of all cases of interest that fall in the box,
* **density**: the share of the runs in the box that are cases of interest,
* **mass**: the share of all runs in the box,
* the **restricted ranges**: the parameters the box limits, with the range of the whole sweep beside them.

PRIM peels the box a few percent at a time (``peel_alpha`` 5%) and stops at the first box whose density
reaches ``threshold`` (default 0.8); the next box is sought among the runs left outside. The peeling is
done by EMA Workbench (Kwakkel 2017, ``pip install 'kopsim[discovery]'``), imported only here: it costs a
few seconds and ~300 MB to import. Runs, not configurations, are the points, so replications weigh in
with their spread; boxes from few runs overfit, hence n is shown with every box.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kopsim.errors import UsageError

OPS = ("<=", ">=", "<", ">")
THRESHOLD = 0.8
MAX_BOXES = 3
SCENARIO = "scenario name"
_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Condition:
    """``outcome op value`` on a run's final value, e.g. participation_capital < 0.5."""

    outcome: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.value:g}"

    def test(self, x: np.ndarray) -> np.ndarray:
        """Which values meet the condition (NaN never does)."""
        with np.errstate(invalid="ignore"):
            return {"<": x < self.value, "<=": x <= self.value, ">": x > self.value, ">=": x >= self.value}[self.op]


@dataclass(frozen=True)
class Restriction:
    """What a box keeps of one parameter: a numeric range or a set of values, beside the sweep's own."""

    parameter: str
    low: float | None = None
    high: float | None = None
    full_low: float | None = None
    full_high: float | None = None
    values: tuple[str, ...] = ()
    all_values: tuple[str, ...] = ()

    def text(self) -> str:
        if self.values:
            return f"{self.parameter} in {{{', '.join(self.values)}}} (of {{{', '.join(self.all_values)}}})"
        return f"{self.parameter} {self.low:.4g} to {self.high:.4g} (of {self.full_low:.4g} to {self.full_high:.4g})"


@dataclass(frozen=True)
class Box:
    """One PRIM box: its coverage, density, mass, number of runs inside and restrictions."""

    coverage: float
    density: float
    mass: float
    n: int
    restrictions: tuple[Restriction, ...]


@dataclass(frozen=True)
class Discovery:
    """The boxes found for one condition, with what they were found from."""

    condition: Condition
    parameters: tuple[str, ...]
    runs: int
    cases: int
    threshold: float
    boxes: tuple[Box, ...]
    left_out: int = 0  # runs without a finite final value of the outcome


def parse_condition(text: str, outcomes: list[str]) -> Condition:
    """``"participation_capital<0.5"`` -> Condition; a one-line :class:`UsageError` naming what is allowed."""
    m = _CONDITION.match(str(text))
    if not m:
        raise UsageError(
            f"--discover {text!r}: expected OUTCOME OP NUMBER with OP one of {', '.join(OPS)} and a '.' decimal "
            'point, e.g. "participation_capital<0.5"'
        )
    outcome, op, number = m.group(1), m.group(2), float(m.group(3))
    if outcome not in outcomes:
        raise UsageError(
            f"--discover {text!r}: {outcome!r} is not an outcome of these results; allowed: {', '.join(outcomes)}"
        )
    return Condition(outcome, op, number)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def inputs(configs: list[dict[str, Any]], runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run: the parameters (and the scenario) that vary across the runs' configurations.

    Numbers stay numbers; booleans, text and the scenario become categories. Lists (e.g. a targeted
    cooperative set) are left out: PRIM has no order or set for them.
    """
    per_config: list[dict[str, Any]] = []
    for cfg in configs:
        # not "scenario": EMA Workbench drops a column of that name (its own bookkeeping)
        row: dict[str, Any] = {SCENARIO: str(cfg.get("scenario", ""))}
        for key, v in _flatten(cfg.get("parameters") or {}).items():
            if isinstance(v, bool):
                row[key] = "true" if v else "false"  # a category, written as the report writes booleans
            elif isinstance(v, int | float | str):
                row[key] = v
        per_config.append(row)
    index = runs["config_index"].astype(int).to_numpy()
    columns: dict[str, Any] = {}
    for key in dict.fromkeys(k for row in per_config for k in row):
        raw = [per_config[k].get(key) for k in index]
        if len({repr(v) for v in raw}) < 2:
            continue  # the same in every run: nothing to restrict
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw):
            columns[key] = np.asarray(raw, dtype=float)
        else:
            columns[key] = pd.Categorical([str(v) for v in raw])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(index)))


def _load_prim() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ema_workbench warns about optional parallel back ends on import
            from ema_workbench.analysis import prim
    except ImportError:
        raise UsageError(
            "scenario discovery needs EMA Workbench: pip install 'kopsim[discovery]' (or ema_workbench)"
        ) from None
    logging.getLogger("EMA").setLevel(logging.ERROR)
    return prim


def _restrictions(lim: pd.DataFrame, init: pd.DataFrame, x: pd.DataFrame) -> tuple[Restriction, ...]:
    out = []
    for c in x.columns:
        lo, hi = lim[c].iloc[0], lim[c].iloc[1]
        ilo, ihi = init[c].iloc[0], init[c].iloc[1]
        if isinstance(lo, set):
            if set(lo) != set(ilo):
                out.append(Restriction(c, values=tuple(sorted(map(str, lo))), all_values=tuple(sorted(map(str, ilo)))))
        elif float(lo) > float(ilo) or float(hi) < float(ihi):
            out.append(Restriction(c, float(lo), float(hi), float(ilo), float(ihi)))
    return tuple(out)


def prim_boxes(
    x: pd.DataFrame, y: np.ndarray, threshold: float = THRESHOLD, max_boxes: int = MAX_BOXES
) -> tuple[Box, ...]:
    """PRIM boxes of the cases ``y`` (booleans, one per row of ``x``), at most ``max_boxes``.

    Stops at the first box that restricts nothing, does not reach ``threshold`` density or covers no
    case left. No boxes when there is no case, every run is a case, or no parameter varies.
    """
    y = np.asarray(y, dtype=bool)
    if x.shape[1] == 0 or not y.any() or y.all():
        return ()
    prim = _load_prim()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside EMA Workbench, not ours to act on
        p = prim.Prim(x, y, threshold=threshold)
    total = float(y.sum())
    boxes = []
    for _ in range(max_boxes):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                box = p.find_box()
        except (AssertionError, ValueError):  # no cases of interest left outside the earlier boxes
            break
        if box is None:
            break
        lim = box.box_lims[box._cur_box]  # the selected point of the peeling trajectory
        restricted = _restrictions(lim, p.box_init, p.x)
        density, n = float(box.density), int(box.peeling_trajectory["n"].iloc[box._cur_box])
        inside = round(density * n)
        if not restricted or density < threshold or inside == 0:
            break
        boxes.append(Box(inside / total, density, n / len(y), n, restricted))
    return tuple(boxes)


def discover(
    results_dir: str | Path, condition: str, threshold: float = THRESHOLD, max_boxes: int = MAX_BOXES
) -> Discovery:
    """Read a results directory, mark the runs that meet ``condition`` and find PRIM boxes for them."""
    from .reportdata import load

    if not (0 < threshold <= 1):
        raise UsageError(f"--threshold {threshold}: expected a density in (0, 1], e.g. 0.8")
    if max_boxes < 1:
        raise UsageError(f"--boxes {max_boxes}: expected at least 1")
    data = load(Path(results_dir))
    return discover_in(data.configs, data.ok, parse_condition(condition, data.outcomes), threshold, max_boxes)


def discover_in(
    configs: list[dict[str, Any]],
    ok: pd.DataFrame,
    cond: Condition,
    threshold: float = THRESHOLD,
    max_boxes: int = MAX_BOXES,
) -> Discovery:
    """:func:`discover` on runs already read (``ok``: finished runs with ``config_index`` and final_ columns)."""
    col = f"final_{cond.outcome}"
    values = ok[col].astype(float).to_numpy() if col in ok else np.full(len(ok), np.nan)
    finite = np.isfinite(values)
    runs = ok[finite].reset_index(drop=True)
    x = inputs(configs, runs)
    y = cond.test(values[finite])
    boxes = prim_boxes(x, y, threshold, max_boxes)
    return Discovery(cond, tuple(x.columns), len(runs), int(y.sum()), threshold, boxes, int((~finite).sum()))


def discovery_text(d: Discovery) -> str:
    """The boxes as plain text for the terminal."""
    head = (
        f"Scenario discovery (PRIM): runs with final {d.condition}: {d.cases} of {d.runs}"
        + (f" ({d.left_out} runs without a value left out)" if d.left_out else "")
        + f"; parameters that vary: {', '.join(d.parameters) or 'none'}"
    )
    if not d.boxes:
        return head + "\n  " + no_box_reason(d)
    lines = [head]
    for i, b in enumerate(d.boxes, 1):
        lines.append(
            f"  box {i}: coverage {b.coverage:.0%} (share of the cases inside), density {b.density:.0%} "
            f"(share of the box's runs that are cases), mass {b.mass:.0%} ({b.n} runs)"
        )
        lines.extend(f"    {r.text()}" for r in b.restrictions)
    return "\n".join(lines)


def no_box_reason(d: Discovery) -> str:
    """Why no box is shown, in one sentence."""
    if not d.parameters:
        return "no box: no parameter varies across these runs (a sweep over parameters is needed)"
    if d.cases == 0:
        return "no box: no run meets the condition"
    if d.cases == d.runs:
        return "no box: every run meets the condition"
    return f"no box reaches a density of {d.threshold:.0%} (lower it with --threshold)"
