"""Statistics across replications: means, standard deviations and 95% confidence intervals.

* ``summary``: per configuration, step and outcome — n, mean, sd and the t-based interval
  mean ± t_{0.975, n−1} · sd / √n (Student 1908), computed by streaming over the per-run
  step files (sums and sums of squares), so memory does not grow with the number of runs.
* ``differences``: each configuration's final outcome minus the first configuration's,
  paired by replication (common random numbers make the pairs share their random draws),
  with the paired t interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

from .store import Store, _atomic_write_csv, _atomic_write_parquet

LEVEL = 0.95


def t_interval(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """mean ± t_{(1+level)/2, n−1} · sd / √n; NaN where n < 2."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = st.t.ppf(0.5 + level / 2.0, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def summary(store: Store, outcomes: list[str]) -> pd.DataFrame:
    """Tidy table: label, config_id, step, outcome, n, mean, sd, ci_low, ci_high."""
    total: pd.DataFrame | None = None
    for frame in store.iter_steps():
        vals = frame[outcomes].astype(float)
        keys = [frame["config_id"], frame["label"], frame["step"]]
        part = pd.concat(
            {"n": vals.notna().astype(float).groupby(keys).sum(),
             "s": vals.groupby(keys).sum(min_count=1).fillna(0.0),
             "q": (vals * vals).groupby(keys).sum(min_count=1).fillna(0.0)}, axis=1)
        total = part if total is None else total.add(part, fill_value=0.0)
    if total is None:
        return pd.DataFrame(columns=["config_id", "label", "step", "outcome", "n", "mean", "sd", "ci_low", "ci_high"])
    n, s, q = total["n"], total["s"], total["q"]
    mean = s / n.where(n > 0)
    var = (q - n * mean * mean) / (n - 1).where(n > 1)
    sd = np.sqrt(var.clip(lower=0.0))
    tidy = pd.concat({"n": n.stack(), "mean": mean.stack(future_stack=True), "sd": sd.stack(future_stack=True)},
                     axis=1).reset_index()
    tidy.columns = ["config_id", "label", "step", "outcome", "n", "mean", "sd"]
    tidy["ci_low"], tidy["ci_high"] = t_interval(tidy["mean"].to_numpy(), tidy["sd"].to_numpy(), tidy["n"].to_numpy())
    return tidy


def differences(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Final outcome of each configuration minus the first one's, paired by replication."""
    cols = ["label", "config_index", "outcome", "n", "mean_difference", "sd", "ci_low", "ci_high", "reference"]
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs.iloc[0:0]
    if ok.empty:
        return pd.DataFrame(columns=cols)
    first = ok["config_index"].min()
    ref = ok[ok["config_index"] == first].set_index("replication")
    ref_label = ref["label"].iloc[0]
    rows = []
    for idx, grp in ok[ok["config_index"] != first].groupby("config_index", sort=True):
        g = grp.set_index("replication")
        common = g.index.intersection(ref.index)
        for o in outcomes:
            d = (g.loc[common, f"final_{o}"] - ref.loc[common, f"final_{o}"]).astype(float).dropna()
            n = len(d)
            mean = float(d.mean()) if n else np.nan
            sd = float(d.std(ddof=1)) if n > 1 else np.nan
            lo, hi = t_interval(np.array(mean), np.array(sd), np.array(n))
            rows.append([g["label"].iloc[0], idx, o, n, mean, sd, float(lo), float(hi), ref_label])
    return pd.DataFrame(rows, columns=cols)


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
