"""Statistics across replications: means, standard deviations and 95% confidence intervals.

* ``summary``: per configuration, step and outcome — n, mean, sd and the t-based interval
  mean ± t_{0.975, n−1} · sd / √n (Student 1908), computed by streaming over the per-run
  step files (sums and sums of squares), so memory does not grow with the number of runs.
* ``differences``: each configuration's final outcome minus the reference configuration's
  (the first unless chosen), paired by replication (common random numbers make the pairs share
  their random draws), with the paired t interval; ``paired_difference`` for any two.
* ``minimum_effect``, ``MinEffect`` and ``classify``: which differences are both outside their 95% CI
  and larger than a stated minimum of practical importance (a share of each outcome's scale, or an
  absolute value per outcome).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kopsim.errors import UsageError

from .store import Store, _atomic_write_csv, _atomic_write_parquet

LEVEL = 0.95


def t_interval(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """mean ± t_{(1+level)/2, n−1} · sd / √n; NaN where n < 2."""
    # scipy.special.stdtrit is what scipy.stats.t.ppf computes (same values, bit for bit), without
    # importing scipy.stats (about 0.5 s of every compare and report)
    from scipy.special import stdtrit

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2.0) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def summary(store: Store, outcomes: list[str]) -> pd.DataFrame:
    """Tidy table: label, config_id, step, outcome, n, mean, sd, ci_low, ci_high.

    Streams over the step files, adding each run's values, squares and counts into arrays per
    configuration (numpy, no per-file groupby: 60 runs took 1.4 s that way); rows are sorted by
    configuration id, label and step, outcomes in the given order.
    """
    cols = ["config_id", "label", "step", "outcome", "n", "mean", "sd", "ci_low", "ci_high"]
    sums: dict[tuple[Any, Any], _Sums] = {}
    for frame in store.iter_steps():
        vals = frame[outcomes].to_numpy(dtype=float)
        cid, lab = frame["config_id"].to_numpy(), frame["label"].to_numpy()
        if len(frame) and (cid == cid[0]).all() and (lab == lab[0]).all():  # one run per file: the usual case
            groups: list[tuple[Any, Any]] = [((cid[0], lab[0]), slice(None))]
        else:
            groups = [(key, idx) for key, idx in frame.groupby(["config_id", "label"], sort=False).indices.items()]
        for key, rows in groups:
            sums.setdefault(key, _Sums(len(outcomes))).add(frame["step"].to_numpy()[rows], vals[rows])
    if not sums:
        return pd.DataFrame(columns=cols)
    parts = []
    for (config_id, label), acc in sorted(sums.items(), key=lambda item: item[0]):
        order = np.argsort(acc.steps, kind="stable")
        n, s, q = acc.n[order], acc.s[order], acc.q[order]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s / np.where(n > 0, n, np.nan)
            var = (q - n * mean * mean) / np.where(n > 1, n - 1, np.nan)
        sd = np.sqrt(np.where(var < 0.0, 0.0, var))
        steps = np.repeat(np.asarray(acc.steps)[order], len(outcomes))
        parts.append(
            pd.DataFrame(
                {
                    "config_id": config_id,
                    "label": label,
                    "step": steps,
                    "outcome": np.tile(np.asarray(outcomes, dtype=object), len(order)),
                    "n": n.ravel(),
                    "mean": mean.ravel(),
                    "sd": sd.ravel(),
                }
            )
        )
    tidy = pd.concat(parts, ignore_index=True)
    tidy["ci_low"], tidy["ci_high"] = t_interval(tidy["mean"].to_numpy(), tidy["sd"].to_numpy(), tidy["n"].to_numpy())
    return tidy


class _Sums:
    """Running count, sum and sum of squares per step (rows) and outcome (columns) of one configuration.

    Each run's values are added in file order, a NaN counting as absent, as the pandas
    ``groupby(...).sum()`` and ``DataFrame.add(fill_value=0)`` this replaces did, so the statistics are
    bit for bit the same.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.steps: list[Any] = []
        self.row: dict[Any, int] = {}
        self.n = np.zeros((0, width))
        self.s = np.zeros((0, width))
        self.q = np.zeros((0, width))

    def add(self, steps: np.ndarray, vals: np.ndarray) -> None:
        new = [st for st in dict.fromkeys(steps.tolist()) if st not in self.row]
        if new:
            for st in new:
                self.row[st] = len(self.steps)
                self.steps.append(st)
            grow = np.zeros((len(new), self.width))
            self.n, self.s, self.q = (np.vstack((a, grow)) for a in (self.n, self.s, self.q))
        idx = np.fromiter((self.row[st] for st in steps.tolist()), dtype=np.intp, count=len(steps))
        present = ~np.isnan(vals)
        filled = np.where(present, vals, 0.0)
        if np.unique(idx).size == idx.size:  # one row per step: add the run's values as they are
            self.n[idx] += present
            self.s[idx] += filled
            self.q[idx] += np.where(present, vals * vals, 0.0)
        else:  # several rows per step in one file (not written by kopsim): summed row by row
            np.add.at(self.n, idx, present.astype(float))
            np.add.at(self.s, idx, filled)
            np.add.at(self.q, idx, np.where(present, vals * vals, 0.0))


def differences(runs: pd.DataFrame, outcomes: list[str], reference: int | None = None) -> pd.DataFrame:
    """Final outcome of each configuration minus the reference's (default: the first), paired by replication."""
    cols = ["label", "config_index", "outcome", "n", "mean_difference", "sd", "ci_low", "ci_high", "reference"]
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs.iloc[0:0]
    if ok.empty:
        return pd.DataFrame(columns=cols)
    first = int(ok["config_index"].min()) if reference is None else int(reference)
    frames = [
        paired_difference(ok, outcomes, int(idx), first)
        for idx in sorted(ok["config_index"].unique())
        if int(idx) != first
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def paired_difference(runs: pd.DataFrame, outcomes: list[str], a: int, b: int) -> pd.DataFrame:
    """Final outcome of configuration ``a`` minus configuration ``b``, paired by replication.

    Replication *i* of every configuration shares its seed (common random numbers), so the pairs
    share their random draws; the interval is the paired Student t interval. Columns: label (a's),
    config_index (a), outcome, n, mean_difference, sd, ci_low, ci_high, reference (b's label),
    reference_index (b). Empty when either configuration has no finished runs.
    """
    cols = [
        "label",
        "config_index",
        "outcome",
        "n",
        "mean_difference",
        "sd",
        "ci_low",
        "ci_high",
        "reference",
        "reference_index",
    ]
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    ga = ok[ok["config_index"] == a].set_index("replication")
    gb = ok[ok["config_index"] == b].set_index("replication")
    if ga.empty or gb.empty:
        return pd.DataFrame(columns=cols)
    common = ga.index.intersection(gb.index)
    rows = []
    for o in outcomes:
        col = f"final_{o}"
        if col in ga and col in gb:
            d = (ga.loc[common, col].astype(float) - gb.loc[common, col].astype(float)).dropna()
        else:
            d = pd.Series(dtype=float)
        n = len(d)
        mean = float(d.mean()) if n else np.nan
        sd = float(d.std(ddof=1)) if n > 1 else np.nan
        lo, hi = t_interval(np.array(mean), np.array(sd), np.array(n))
        rows.append([ga["label"].iloc[0], a, o, n, mean, sd, float(lo), float(hi), gb["label"].iloc[0], b])
    return pd.DataFrame(rows, columns=cols)


def envelope(store: Store, outcomes: list[str], low: float = 0.05, high: float = 0.95) -> pd.DataFrame:
    """The spread of the replications: per configuration, step and outcome the ``low`` and ``high``
    quantiles (default 5% and 95%) of the per-run values. Columns: config_id, label, step, outcome, low, high."""
    cols = ["config_id", "label", "step", "outcome", "low", "high"]
    frames = [f[["config_id", "label", "step", *[o for o in outcomes if o in f]]] for f in store.iter_steps()]
    if not frames:
        return pd.DataFrame(columns=cols)
    tall = pd.concat(frames, ignore_index=True).melt(id_vars=["config_id", "label", "step"], var_name="outcome")
    tall["value"] = tall["value"].astype(float)
    grouped = tall.groupby(["config_id", "label", "step", "outcome"], sort=False)["value"]
    out = pd.concat({"low": grouped.quantile(low), "high": grouped.quantile(high)}, axis=1).reset_index()
    return out[cols]


MIN_EFFECT = 0.02


@dataclass(frozen=True)
class MinEffect:
    """The minimum of practical importance: ``share`` of each outcome's scale (:func:`minimum_effect`), except
    the outcomes given an ``absolute`` minimum in their own units (e.g. ``{"members": 5}``: five members)."""

    share: float = MIN_EFFECT
    absolute: dict[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, values: Sequence[str | float], outcomes: Sequence[str] | None = None) -> MinEffect:
        """From ``--min-effect`` values: ``SHARE`` (e.g. 0.05) and/or ``OUTCOME=VALUE`` (absolute, repeatable).

        A one-line :class:`UsageError` names a bad value, a negative minimum or an unknown outcome."""
        share, absolute = MIN_EFFECT, {}
        for item in values:
            text = str(item).strip()
            name, _, number = text.rpartition("=")
            try:
                x = float(number)
            except ValueError:
                x = float("nan")
            if "=" not in text:
                if not (0 <= x < 1):
                    raise UsageError(
                        f"--min-effect {text!r}: expected a share of the outcome's scale in [0, 1), e.g. 0.02, "
                        "or OUTCOME=VALUE in the outcome's units, e.g. members=5"
                    )
                share = x
                continue
            name = name.strip()
            if not np.isfinite(x) or x < 0:
                raise UsageError(f"--min-effect {text!r}: expected OUTCOME=VALUE with a number >= 0, e.g. members=5")
            if outcomes is not None and name not in outcomes:
                raise UsageError(
                    f"--min-effect {text!r}: {name!r} is not an outcome of these results; "
                    f"allowed: {', '.join(outcomes)}"
                )
            absolute[name] = x
        return cls(share, absolute)

    def of(self, outcome: str, reference_means: np.ndarray) -> float:
        """The minimum for ``outcome``: its absolute value if given, else the share of its scale."""
        if outcome in self.absolute:
            return self.absolute[outcome]
        return minimum_effect(outcome, reference_means, self.share)


def minimum_effect(outcome: str, reference_means: np.ndarray, relative: float = MIN_EFFECT) -> float:
    """The smallest difference of practical importance for ``outcome``: ``relative`` (default 2%) of its scale.

    The scale is the outcome's fixed range where it has one (0 to 1 for shares, trust and skill, so
    0.02; -1 to +1 for the E-I index, so 0.04), else the largest absolute value of the reference's
    monthly mean (``reference_means``), e.g. 2% of the reference's largest membership or savings.
    NaN when there is no finite reference value.
    """
    from kopsim.labels import outcome_bounds

    bounds = outcome_bounds(outcome)
    if bounds is not None:
        return relative * (bounds[1] - bounds[0])
    vals = np.asarray(reference_means, dtype=float)
    vals = vals[np.isfinite(vals)]
    return relative * float(np.abs(vals).max()) if vals.size else float("nan")


def classify(diffs: pd.DataFrame, minimum: dict[str, float]) -> pd.DataFrame:
    """``diffs`` with columns ``minimum``, ``excludes_zero`` (95% CI excludes 0) and ``important``
    (excludes zero and |difference| >= minimum)."""
    out = diffs.copy()
    out["minimum"] = out["outcome"].astype(str).map(minimum).astype(float)
    lo, hi = out["ci_low"].astype(float), out["ci_high"].astype(float)
    out["excludes_zero"] = (np.isfinite(lo) & np.isfinite(hi) & ((lo > 0) | (hi < 0))).astype(bool)
    big = out["mean_difference"].astype(float).abs() >= out["minimum"]
    out["important"] = (out["excludes_zero"] & big.fillna(False)).astype(bool)
    return out


def write_statistics(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compute and write summary.parquet/.csv and differences.csv; return both tables."""
    outcomes = store.manifest()["outcomes"]
    summ = summary(store, outcomes)
    runs = store.runs_table()
    diff = differences(runs, outcomes)
    _atomic_write_parquet(store.root / "summary.parquet", summ)
    _atomic_write_csv(store.root / "summary.csv", summ)
    _atomic_write_csv(store.root / "differences.csv", diff)
    return summ, diff
