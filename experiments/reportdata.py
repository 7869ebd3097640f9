"""The data a report is made from: a results directory read once, its reference chosen, differences
from it and any pairwise contrasts computed and classified against the minimum of practical importance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kopsim.errors import UsageError

from . import stats
from .store import Store


@dataclass
class ReportData:
    """Everything the report is made from."""

    root: Path
    manifest: dict[str, Any]
    configs: list[dict[str, Any]]
    names: dict[int, str]  # config index -> display label (unique)
    runs: pd.DataFrame  # every finished run (ok and failed)
    ok: pd.DataFrame  # ok runs only
    summary: pd.DataFrame  # with a 'config_index' column
    differences: pd.DataFrame  # with a 'config_index' column
    outcomes: list[str]
    recomputed: bool
    ref: int = 0  # the reference configuration's index
    contrasts: pd.DataFrame | None = None  # extra pairwise contrasts (A minus B), classified
    lang: str = "en"
    min_rel: float = stats.MIN_EFFECT
    min_abs: dict[str, float] = field(default_factory=dict)  # outcome -> absolute minimum (overrides min_rel)
    minimum: dict[tuple[int, str], float] | None = None  # (reference index, outcome) -> minimum effect
    figure_dir: Path | None = None  # where figures are also written as SVG and PNG files
    pdf: Any = None  # an open matplotlib PdfPages when the report is also written as PDF
    valued: set[str] | None = None  # outcomes with a value in some month (has_values), computed once


def constant_outcomes(data: ReportData) -> list[str]:
    """Outcomes with the same final value in every finished run of every configuration (e.g. the E-I index
    of a model with one village): nothing to compare, so the tables leave them out and say so."""
    out = []
    for o in data.outcomes:
        col = f"final_{o}"
        if col not in data.ok or data.ok.empty:
            continue
        vals = data.ok[col].astype(float).to_numpy()
        vals = vals[np.isfinite(vals)]
        if vals.size > 1 and np.all(vals == vals[0]):
            out.append(o)
    return out


def config_index(data: ReportData, name: str | int) -> int:
    """The index of the configuration called ``name`` (display label, label or index number)."""
    text = str(name).strip()
    for k, shown in data.names.items():
        if text == shown:
            return k
    matches = [k for k, c in enumerate(data.configs) if str(c.get("label")) == text]
    if len(matches) == 1:
        return matches[0]
    if text.lstrip("#").isdigit() and int(text.lstrip("#")) < len(data.configs):
        return int(text.lstrip("#"))
    known = ", ".join(data.names[k] for k in range(len(data.configs)))
    raise UsageError(f"{text!r} is not a configuration of this experiment; choose one of: {known} (or its number)")


def reference_index(data: ReportData, reference: str | int | None = None) -> int:
    """The index of the reference configuration: ``reference`` (label or number), else the first with runs."""
    if reference is not None:
        return config_index(data, reference)
    return int(data.ok["config_index"].min()) if not data.ok.empty else 0


def prepare(
    data: ReportData,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    lang: str = "en",
    min_effect: float | stats.MinEffect = stats.MIN_EFFECT,
) -> ReportData:
    """Set the reference, compute the differences from it and any contrasts, and the minimum effects.

    ``min_effect``: a share of each outcome's scale, or a :class:`stats.MinEffect` (share and per-outcome
    absolute minimums; an outcome it names must be one of these results')."""
    if not isinstance(min_effect, stats.MinEffect):
        min_effect = stats.MinEffect(float(min_effect))
    unknown = sorted(set(min_effect.absolute) - set(data.outcomes))
    if unknown:
        raise UsageError(
            f"--min-effect {unknown[0]}=...: {unknown[0]!r} is not an outcome of these results; "
            f"allowed: {', '.join(data.outcomes)}"
        )
    data.lang, data.min_rel, data.min_abs = lang, min_effect.share, dict(min_effect.absolute)
    first = reference_index(data)
    data.ref = reference_index(data, reference)
    if data.ref != first or data.differences.empty or "reference_index" not in data.differences:
        diff = stats.differences(data.runs, data.outcomes, reference=data.ref)
        if not diff.empty:
            diff["config_index"] = diff["config_index"].astype(int)
            diff["label"] = diff["config_index"].map(data.names)
            diff["reference"] = data.names[data.ref]
        data.differences = diff
    pairs = []
    for text in contrasts:
        if ":" not in text:
            raise UsageError(f"--contrast {text!r}: expected A:B (A minus B), e.g. training_follow_up:baseline")
        a_name, b_name = text.split(":", 1)
        a, b = config_index(data, a_name), config_index(data, b_name)
        if a == b:
            raise UsageError(f"--contrast {text!r}: A and B are the same configuration")
        if b == data.ref:
            continue  # already among the differences from the reference
        part = stats.paired_difference(data.ok, data.outcomes, a, b)
        if not part.empty:
            part["label"], part["reference"] = data.names[a], data.names[b]
            pairs.append(part)
    data.minimum = {}
    refs = {data.ref} | {int(p["reference_index"].iloc[0]) for p in pairs}
    for r in refs:
        for o in data.outcomes:
            rows = data.summary[(data.summary["config_index"] == r) & (data.summary["outcome"].astype(str) == o)]
            data.minimum[(r, o)] = min_effect.of(o, rows["mean"].to_numpy(dtype=float))
    if not data.differences.empty:
        data.differences = stats.classify(data.differences, {o: data.minimum[(data.ref, o)] for o in data.outcomes})
    data.contrasts = (
        pd.concat(
            [
                stats.classify(p, {o: data.minimum[(int(p["reference_index"].iloc[0]), o)] for o in data.outcomes})
                for p in pairs
            ],
            ignore_index=True,
        )
        if pairs
        else None
    )
    return data


def load(root: Path) -> ReportData:
    if not root.exists():
        raise UsageError(f"{root}: no such directory; give a results directory written by kopsim compare or sweep")
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory; give a results directory written by kopsim compare or sweep")
    store = Store(root)
    manifest = store.manifest()  # UsageError when missing or corrupt
    configs = manifest.get("configs")
    outcomes = manifest.get("outcomes")
    if not isinstance(configs, list) or not configs or not isinstance(outcomes, list) or not outcomes:
        raise UsageError(f"{root / 'manifest.json'}: not a kopsim experiment manifest (no configs or outcomes)")
    store.verify()  # a corrupt record or step file is named, never silently skipped
    runs = store.runs_table()
    if runs.empty:
        raise UsageError(f"{root}: no finished runs yet; run (or resume) the compare or sweep command first")
    for col, default in (("status", "ok"), ("error", ""), ("config_index", -1)):
        if col not in runs:
            runs[col] = default
    runs["error"] = runs["error"].fillna("").astype(str)
    labels = [str(c.get("label", f"config {k}")) for k, c in enumerate(configs)]
    repeated = {lab for lab in labels if labels.count(lab) > 1}
    names = {k: (f"{lab} (#{k})" if lab in repeated else lab) for k, lab in enumerate(labels)}
    ok = runs[runs["status"] == "ok"].copy()
    summ, diff, recomputed = _statistics(store, outcomes, runs)
    by_id = {str(c.get("config_id")): k for k, c in enumerate(configs)}
    summ = summ.copy()
    summ["config_index"] = summ["config_id"].astype(str).map(by_id)
    summ = summ[summ["config_index"].notna()]
    summ["config_index"] = summ["config_index"].astype(int)
    summ["label"] = summ["config_index"].map(names)
    diff = diff.copy()
    if not diff.empty:
        diff["config_index"] = diff["config_index"].astype(int)
        diff["label"] = diff["config_index"].map(names)
        diff["reference"] = names[int(ok["config_index"].min())] if not ok.empty else ""
    return ReportData(root, manifest, configs, names, runs, ok, summ, diff, [str(o) for o in outcomes], recomputed)


def _statistics(store: Store, outcomes: list[str], runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """The written summary and differences if they are up to date, else recomputed in memory."""
    root = store.root
    summ_path, diff_path = root / "summary.parquet", root / "differences.csv"
    newest = max((p.stat().st_mtime for p in store.runs_dir.glob("*.json")), default=0.0)
    if (
        summ_path.exists()
        and diff_path.exists()
        and min(summ_path.stat().st_mtime, diff_path.stat().st_mtime) >= newest
    ):
        try:
            summ = pd.read_parquet(summ_path)
            diff = pd.read_csv(diff_path, dtype={"label": str, "reference": str, "outcome": str})
            if set(outcomes) <= set(summ["outcome"].astype(str)):
                return summ, diff, False
        except (OSError, ValueError, KeyError):
            pass
    return stats.summary(store, outcomes), stats.differences(runs, outcomes), True


def has_values(data: ReportData, outcome: str) -> bool:
    """Whether ``outcome`` has a mean in any month (the report asks this ~130 times: one pass, kept)."""
    if data.valued is None:
        summ = data.summary
        data.valued = set(summ.loc[summ["mean"].notna(), "outcome"].astype(str))
    return outcome in data.valued


def final_values(data: ReportData, k: int, outcome: str) -> np.ndarray:
    col = f"final_{outcome}"
    if col not in data.ok:
        return np.zeros(0)
    vals = data.ok.loc[data.ok["config_index"] == k, col].astype(float).to_numpy()
    return vals[np.isfinite(vals)]


def mean_ci(vals: np.ndarray) -> tuple[float, float, float]:
    n = vals.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(vals.mean())
    sd = float(vals.std(ddof=1)) if n > 1 else float("nan")
    lo, hi = stats.t_interval(np.array(mean), np.array(sd), np.array(n))
    return mean, float(lo), float(hi)
