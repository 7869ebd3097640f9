"""``kopsim report DIR``: one self-contained HTML file describing a results directory.

The report shows what was compared, the run settings, the final outcomes per configuration
with 95% confidence intervals, the differences from the reference configuration, a forest
plot, a time-series figure per outcome and a picture of one simulated cooperative's social
network (replication 0 of the first configuration, re-run from the manifest). Images are
embedded as base64 PNG and the CSS is inline, so the file can be sent on as it is.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import kopsim
from kopsim.errors import UsageError

from . import stats
from .store import Store

TS_DPI = 100
FOREST_DPI = 100
NETWORK_DPI = 100
EXECUTOR_NOTE = (
    "Results do not depend on the executor (sequential, local process pool or Dask) or on the number of "
    "workers: every run's seed is fixed before it is submitted, and a run uses nothing but its own seeded "
    "random generator, so re-running the same command anywhere gives the same numbers.")


@dataclass
class _Data:
    """Everything the report is made from."""

    root: Path
    manifest: dict[str, Any]
    configs: list[dict[str, Any]]
    names: dict[int, str]          # config index -> display label (unique)
    runs: pd.DataFrame             # every finished run (ok and failed)
    ok: pd.DataFrame               # ok runs only
    summary: pd.DataFrame          # with a 'config_index' column
    differences: pd.DataFrame      # with a 'config_index' column
    outcomes: list[str]
    recomputed: bool


# ---- public entry point -----------------------------------------------------------------
def write_report(results_dir: str | Path, output: str | Path | None = None, *, network: bool = True) -> Path:
    """Write the HTML report of ``results_dir`` to ``output`` (default RESULTS/report.html); return its path.

    Raises :class:`UsageError` (one line) when ``results_dir`` is not a kopsim results
    directory or holds no finished runs. ``network=False`` leaves out the network picture
    (which re-runs one simulation).
    """
    data = _load(Path(results_dir))
    out = Path(output) if output is not None else data.root / "report.html"
    if out.is_dir():
        out = out / "report.html"
    _write(out, _render(data, network))
    return out


def _write(path: Path, text: str) -> None:
    """Write atomically (temporary file, then rename) with the usual permissions (umask), since
    the report is meant to be shared."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---- loading ----------------------------------------------------------------------------
def _load(root: Path) -> _Data:
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
    return _Data(root, manifest, configs, names, runs, ok, summ, diff, [str(o) for o in outcomes], recomputed)


def _statistics(store: Store, outcomes: list[str], runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """The written summary and differences if they are up to date, else recomputed in memory."""
    root = store.root
    summ_path, diff_path = root / "summary.parquet", root / "differences.csv"
    newest = max((p.stat().st_mtime for p in store.runs_dir.glob("*.json")), default=0.0)
    if summ_path.exists() and diff_path.exists() and min(summ_path.stat().st_mtime,
                                                         diff_path.stat().st_mtime) >= newest:
        try:
            summ = pd.read_parquet(summ_path)
            diff = pd.read_csv(diff_path, dtype={"label": str, "reference": str, "outcome": str})
            if set(outcomes) <= set(summ["outcome"].astype(str)):
                return summ, diff, False
        except (OSError, ValueError, KeyError):
            pass
    return stats.summary(store, outcomes), stats.differences(runs, outcomes), True


# ---- formatting helpers -----------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(x: float, decimals: int | None = None) -> str:
    """A number for a table: fixed decimals if given, else up to 4 significant digits."""
    if x is None or not np.isfinite(x):
        return "&ndash;"
    if decimals is not None:
        text = f"{x:,.{decimals}f}"
        if float(text.replace(",", "")) == 0.0:
            text = text.lstrip("-")
        return text
    if x == 0:
        return "0"
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    if abs(x) < 1e-3:
        return f"{x:.2e}"
    return f"{x:.4g}"


def _decimals(lo: float, hi: float) -> int | None:
    """Decimals that show the interval's half-width to two significant digits (None if no width)."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return None
    half = (hi - lo) / 2.0
    return int(min(8, max(0, 1 - math.floor(math.log10(half)))))


def _ci_text(mean: float, lo: float, hi: float, decimals: int | None = None,
             signed: bool = False) -> tuple[str, str]:
    """Mean and ``[low, high]`` at the precision of the interval (or ``decimals``)."""
    d = decimals if decimals is not None else _decimals(lo, hi)
    if d is None:
        m = _num(mean)
        ci = "&ndash;" if not (np.isfinite(lo) and np.isfinite(hi)) else f"[{_num(lo)}, {_num(hi)}]"
    else:
        m, ci = _num(mean, d), f"[{_num(lo, d)}, {_num(hi, d)}]"
    if signed and np.isfinite(mean) and not m.startswith("-") and float(m.replace(",", "")) != 0:
        m = "+" + m
    return m, ci


def _png(fig: Any, dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    fig.clear()
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(b64: str, alt: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<img{klass} src="data:image/png;base64,{b64}" alt="{_e(alt)}">'


def _outcome_cell(name: str) -> str:
    from kopsim.labels import outcome_label

    return f'{_e(outcome_label(name))}<br><code>{_e(name)}</code>'


def _has_values(data: _Data, outcome: str) -> bool:
    rows = data.summary[data.summary["outcome"].astype(str) == outcome]
    return bool(rows["mean"].notna().any())


def _final_values(data: _Data, k: int, outcome: str) -> np.ndarray:
    col = f"final_{outcome}"
    if col not in data.ok:
        return np.zeros(0)
    vals = data.ok.loc[data.ok["config_index"] == k, col].astype(float).to_numpy()
    return vals[np.isfinite(vals)]


def _mean_ci(vals: np.ndarray) -> tuple[float, float, float]:
    n = vals.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(vals.mean())
    sd = float(vals.std(ddof=1)) if n > 1 else float("nan")
    lo, hi = stats.t_interval(np.array(mean), np.array(sd), np.array(n))
    return mean, float(lo), float(hi)


# ---- sections ---------------------------------------------------------------------------
def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _intervention_text(item: dict[str, Any]) -> str:
    """``training: months 12 to the end, every 12 months; quota 15, ...`` (every field shown)."""
    from kopsim.interventions import KINDS

    kind = str(item.get("kind", "?"))
    start, end, every = item.get("start"), item.get("end"), item.get("every")
    event = getattr(KINDS.get(kind), "recurring", True)
    upto = "the end" if not end else f"month {end}"
    when = []
    if start is not None:
        if event and not every:
            when.append(f"month {start}, once")
        elif end == start:
            when.append(f"month {start}")
        else:
            when.append(f"month {start} to {upto}")
    if every:
        when.append(f"every {every} months")
    rest = [f"{k} {v}" for k, v in item.items()
            if k not in ("kind", "start", "end", "every") and not (k == "cooperatives" and not v)]
    if "cooperatives" not in item or not item.get("cooperatives"):
        rest.append("all cooperatives")
    return f"{kind}: {', '.join(when)}" + (f"; {', '.join(rest)}" if rest else "")


def _description(cfg: dict[str, Any]) -> str:
    """The scenario's one-line description, read from its file if it still loads."""
    from kopsim.scenario import load

    src = cfg.get("scenario_file") or cfg.get("scenario")
    try:
        scen = load(src)
    except Exception:  # cosmetic: a moved or changed file only loses the description
        return ""
    return scen.description if scen.name == cfg.get("scenario") else ""


def _section_compared(data: _Data) -> str:
    ref = data.configs[0]
    ref_params = _flatten(ref.get("parameters") or {})
    rows = []
    for k, cfg in enumerate(data.configs):
        ivs = cfg.get("interventions") or []
        iv_text = "<br>".join(_e(_intervention_text(i)) for i in ivs) or "none"
        over = cfg.get("overrides") or {}
        over_text = ", ".join(f"{_e(key)} = {_e(v)}" for key, v in over.items()) or "none"
        if k == 0:
            changed = "<em>reference</em>"
        else:
            params = _flatten(cfg.get("parameters") or {})
            diffs = [f"{_e(key)}: {_e(ref_params.get(key, '(none)'))} &rarr; {_e(v)}"
                     for key, v in params.items() if ref_params.get(key) != v]
            changed = "<br>".join(diffs) or "none"
        desc = _description(cfg)
        rows.append(
            f"<tr><td>{k}</td><td><strong>{_e(data.names[k])}</strong>"
            f"{'<br><span class=muted>' + _e(desc) + '</span>' if desc else ''}</td>"
            f"<td>{_e(cfg.get('scenario', ''))}</td><td>{iv_text}</td><td>{over_text}</td><td>{changed}</td></tr>")
    return (
        f"<p>{len(data.configs)} configuration{'s' if len(data.configs) != 1 else ''}; the first, "
        f"<strong>{_e(data.names[0])}</strong>, is the reference every other configuration is compared with.</p>"
        "<div class=scroll><table><thead><tr><th>#</th><th>configuration</th><th>scenario</th>"
        "<th>interventions</th><th>overrides</th><th>parameters that differ from the reference</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>")


def _section_settings(data: _Data) -> str:
    m = data.manifest
    runs = data.runs
    reps = int(m.get("replications", 0) or 0)
    planned = reps * len(data.configs)
    n_ok = int((runs["status"] == "ok").sum())
    failed = runs[runs["status"] != "ok"]
    missing = max(0, planned - len(runs))
    version = str(m.get("kopsim_version", "?"))
    ver_note = "" if version == kopsim.__version__ else f" (this report made with kopsim {kopsim.__version__})"
    items = [
        ("experiment", _e(m.get("experiment", "?"))),
        ("defined by", _e(m.get("source", "?"))),
        ("started", _e(m.get("created", "?"))),
        ("kopsim version", _e(version) + _e(ver_note)),
        ("software", _e(f"Python {m.get('python', '?')}, Mesa {m.get('mesa', '?')}, numpy {m.get('numpy', '?')}")),
        ("root seed", _e(m.get("root_seed", "?"))),
        ("replications per configuration", _e(reps)),
        ("months simulated", _e(m.get("steps", "?"))),
        ("outcomes recorded", _e(len(data.outcomes))),
        ("runs", f"{planned} planned, <strong>{n_ok} ok</strong>, "
                 f"<strong{' class=bad' if len(failed) else ''}>{len(failed)} failed</strong>"
                 + (f", {missing} not yet run" if missing else "")),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in items)
    parts = [f"<table class=kv>{body}</table>", f"<p class=note>{_e(EXECUTOR_NOTE)} Replication <em>i</em> of "
             "every configuration uses the same seed (common random numbers), derived from the root seed.</p>"]
    if missing:
        parts.append(f"<p class=warn>{missing} planned run{'s have' if missing != 1 else ' has'} not finished; "
                     "the statistics below cover the finished runs only. Re-run the same command to resume.</p>")
    if data.recomputed:
        parts.append("<p class=note>The statistics were recomputed from the run records for this report "
                     "(the written summary was missing or older than the runs).</p>")
    if len(failed):
        rows = "".join(
            f"<tr><td><code>{_e(r.run_id)}</code></td><td>{_e(data.names.get(int(r.config_index), r.label))}</td>"
            f"<td>{_e(r.replication)}</td><td>{_e(r.seed)}</td><td><code>{_e(r.error)}</code></td></tr>"
            for r in failed.itertuples())
        parts.append("<h3>Failed runs</h3><div class=scroll><table><thead><tr><th>run</th><th>configuration</th>"
                     f"<th>replication</th><th>seed</th><th>error</th></tr></thead><tbody>{rows}</tbody></table></div>")
    return "".join(parts)


def _section_finals(data: _Data) -> str:
    ks = list(range(len(data.configs)))
    head = "".join(
        f"<th>{_e(data.names[k])}<br><span class=muted>n = {int((data.ok['config_index'] == k).sum())}</span></th>"
        for k in ks)
    rows, not_final = [], []
    for o in data.outcomes:
        if not _has_values(data, o):
            continue
        stats_k = [_mean_ci(_final_values(data, k, o)) for k in ks]
        decs = [d for d in (_decimals(lo, hi) for _, lo, hi in stats_k) if d is not None]
        row_dec = max(decs) if decs else None  # one precision per row: the narrowest interval's
        cells = []
        for mean, lo, hi in stats_k:
            m, ci = _ci_text(mean, lo, hi, row_dec)
            cells.append(f"<td class=num>{m}<br><span class=ci>{ci}</span></td>")
        if all(not _final_values(data, k, o).size for k in ks):
            not_final.append(o)
        rows.append(f"<tr><td>{_outcome_cell(o)}</td>{''.join(cells)}</tr>")
    note = ""
    if not_final:
        note = ("<p class=note>&ndash;: not computed in the final month (" + ", ".join(_e(o) for o in not_final)
                + "; some network metrics are computed only every few months).</p>")
    return (f"<p>Mean over replications in month {_e(data.manifest.get('steps', '?'))}, with its 95% confidence "
            "interval (Student t) below it.</p>"
            f"<div class=scroll><table class=grid><thead><tr><th>outcome</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>{note}")


def _section_differences(data: _Data) -> str:
    diff = data.differences
    if diff.empty:
        return ("<p>Only one configuration has finished runs, so there are no differences to show.</p>"
                if len(data.configs) > 1 or not data.ok.empty else "<p>No differences to show.</p>")
    ref_k = int(data.ok["config_index"].min())
    rows = []
    n_flag = 0
    for k in sorted(diff["config_index"].unique()):
        part = diff[diff["config_index"] == k]
        for o in data.outcomes:
            r = part[part["outcome"].astype(str) == o]
            if r.empty or not _has_values(data, o):
                continue
            r = r.iloc[0]
            mean, lo, hi, sd, n = (float(r["mean_difference"]), float(r["ci_low"]), float(r["ci_high"]),
                                   float(r["sd"]), int(r["n"]))
            m, ci = _ci_text(mean, lo, hi, signed=True)
            ref_mean = _mean_ci(_final_values(data, ref_k, o))[0]
            pct = "&ndash;"
            if np.isfinite(mean) and np.isfinite(ref_mean) and ref_mean != 0:
                share = round(100.0 * mean / abs(ref_mean), 1)
                pct = f"{share:+.1f}%" if share != 0 else "0.0%"
            flag = bool(np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0))
            n_flag += flag
            if n > 1 and sd == 0 and mean == 0:
                verdict = "no: identical in every replication"
            elif flag:
                verdict = "<strong>yes</strong>"
            elif np.isfinite(lo):
                verdict = "no"
            else:
                verdict = "&ndash;"
            rows.append(f"<tr{' class=flag' if flag else ''}><td>{_e(data.names[int(k)])}</td>"
                        f"<td>{_outcome_cell(o)}</td><td class=num>{n}</td><td class=num>{m}</td>"
                        f"<td class=num>{ci}</td><td class=num>{pct}</td><td>{verdict}</td></tr>")
    return (
        f"<p>Each configuration's final-month outcome minus the reference's (<strong>{_e(data.names[ref_k])}"
        "</strong>), paired by replication, with the paired 95% confidence interval. "
        f"<strong>{n_flag}</strong> difference{'s' if n_flag != 1 else ''} ha{'ve' if n_flag != 1 else 's'} an "
        "interval that excludes zero (highlighted).</p>"
        "<p class=note>Only the final month is compared: an effect that has passed by then (a shock that "
        "ended, a programme that stopped) shows in the time series below, not here. "
        "Because replication <em>i</em> of every configuration shares its seed, much of the chance "
        "variation cancels in the pairs and intervals can be very narrow: a highlighted difference can still be "
        "too small to matter &mdash; check its size against the reference (% column). With many outcomes, about "
        "one in twenty differences that are truly zero will be highlighted by chance. The intervals describe the "
        "model's own randomness across replications, not uncertainty in its parameters or in how well it "
        "represents real cooperatives.</p>"
        "<div class=scroll><table class=grid><thead><tr><th>configuration</th><th>outcome</th><th>pairs</th>"
        "<th>difference</th><th>95% CI</th><th>% of reference mean</th><th>CI excludes 0</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>")


def _section_forest(data: _Data) -> str:
    from .figures import forest_plot, palette

    if data.differences.empty:
        return ""
    outcomes = [o for o in data.outcomes if _has_values(data, o)]
    colours = palette([data.names[k] for k in range(len(data.configs))])
    order = [data.names[k] for k in range(len(data.configs))]
    try:
        fig = forest_plot(data.differences, outcomes=outcomes, labels=order, colours=colours)
    except ValueError as err:
        return f"<p class=note>No forest plot: {_e(err)}.</p>"
    return _img(_png(fig, FOREST_DPI), "forest plot of differences from the reference", "wide")


def _legend_html(data: _Data) -> str:
    from matplotlib.colors import to_hex

    from .figures import palette

    names = [data.names[k] for k in range(len(data.configs))]
    cols = palette(names)
    return "<p class=legend>" + "".join(
        f'<span><i style="background:{to_hex(cols[n])}"></i>{_e(n)}</span>' for n in names) + "</p>"


def _section_time_series(data: _Data) -> str:
    from .figures import palette, time_series

    names = [data.names[k] for k in range(len(data.configs))]
    colours = palette(names)
    cells, skipped = [], []
    for o in data.outcomes:
        if not _has_values(data, o):
            skipped.append(o)
            continue
        fig = time_series(data.summary, o, labels=names, colours=colours, legend=False)
        cells.append(f"<figure>{_img(_png(fig, TS_DPI), 'time series of ' + o)}"
                     f"<figcaption><code>{_e(o)}</code></figcaption></figure>")
    note = ""
    if skipped:
        note = ("<p class=note>Not shown (no values in any month): " + ", ".join(f"<code>{_e(o)}</code>"
                for o in skipped) + ".</p>")
    return ("<p>Mean per month over replications (line) with its 95% confidence band (shaded).</p>"
            + _legend_html(data) + f"<div class=tsgrid>{''.join(cells)}</div>{note}")


def _section_network(data: _Data) -> str:
    from kopsim import CooperativeModel, Parameters
    from kopsim.interventions import from_dict
    from kopsim.network_picture import network_picture

    from .spec import replication_seeds

    cfg = data.configs[0]
    steps = int(data.manifest.get("steps", 0) or 0)
    row = data.runs[(data.runs["config_index"] == 0) & (data.runs["replication"] == 0)]
    if not row.empty:
        seed = int(row["seed"].iloc[0])
    else:
        seed = replication_seeds(int(data.manifest.get("root_seed", 0)), 1)[0]
    t0 = time.perf_counter()
    try:
        params = Parameters.from_dict(cfg.get("parameters") or {})
        ivs = [from_dict(dict(item)) for item in cfg.get("interventions") or []]
        model = CooperativeModel(params, seed=seed, interventions=ivs)
        frame = model.run(steps)
        fig = network_picture(model)
    except Exception as err:  # the rest of the report is still worth having
        return (f"<p class=warn>The network picture could not be made: re-running replication 0 of "
                f"{_e(data.names[0])} failed ({_e(type(err).__name__)}: {_e(err)}).</p>")
    seconds = time.perf_counter() - t0
    check = ""
    if not row.empty and row["status"].iloc[0] == "ok" and len(frame):
        last = frame.iloc[-1]
        differ = [o for o in data.outcomes if f"final_{o}" in row and o in last
                  and not np.isclose(float(last[o]), float(row[f"final_{o}"].iloc[0]), rtol=1e-9, atol=1e-12,
                                     equal_nan=True)]
        if differ:
            check = ("<p class=warn>This re-run does not reproduce the recorded run (different final "
                     f"{', '.join(_e(o) for o in differ[:5])}{' ...' if len(differ) > 5 else ''}); the model may "
                     "have changed since the results were made.</p>")
        else:
            check = "<p class=note>The re-run reproduces the recorded run's final outcomes exactly.</p>"
    return (f"<p>The social network of a simulated cooperative at the end of replication 0 of "
            f"<strong>{_e(data.names[0])}</strong> (seed {seed}, month {steps}), re-run for this report "
            f"({seconds:.1f} s). Colour: the household's trust in the cooperative (orange: agencies, village "
            "governments, moneylenders and partner firms); size: mean participation in the cooperative's "
            "organisation, business and capital (non-members smallest); marker: livelihood or actor type; black "
            "outline: board member. Ties: bonding (same village) solid, bridging (across villages) dashed, "
            "linking (to agencies and moneylenders) dotted; stronger ties are darker. Larger models show the "
            "first cooperative's households and the institutional actors tied to them.</p>"
            + check + _img(_png(fig, NETWORK_DPI), "social network of one simulated cooperative", "net"))


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2433;
 max-width:1280px;margin:0 auto;padding:1.2rem 1.6rem 3rem;line-height:1.45;font-size:15px}
h1{font-size:1.7rem;margin:.2rem 0 .3rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #dde3ec;
 padding-bottom:.2rem}h3{font-size:1.05rem}
.sub{color:#55607a;margin:0 0 1rem}.muted{color:#6a7489;font-size:.85em}
nav{background:#f4f6fa;padding:.5rem .8rem;border-radius:6px;font-size:.9rem}nav a{margin-right:1rem}
table{border-collapse:collapse;font-size:.88rem;margin:.6rem 0}
th,td{border:1px solid #d5dbe5;padding:.3rem .5rem;vertical-align:top;text-align:left}
thead th{background:#eef1f6;position:sticky;top:0}tbody tr:nth-child(even){background:#fafbfd}
table.kv th{background:#f4f6fa;font-weight:600;width:16rem}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ci{color:#5b6579;font-size:.85em}tr.flag td{background:#fff4c9}
code{font-size:.85em;color:#38425a}.scroll{overflow-x:auto}
.note{color:#4a5468;font-size:.88rem;background:#f6f8fb;border-left:3px solid #b9c3d3;padding:.4rem .7rem}
.warn{background:#fff1e6;border-left:3px solid #e66101;padding:.4rem .7rem}.bad{color:#b00020}
img{max-width:100%;height:auto}img.wide,img.net{display:block;margin:.5rem auto}
.tsgrid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:.6rem}
.tsgrid figure{margin:0;border:1px solid #e3e7ee;border-radius:4px;padding:.2rem;text-align:center}
figcaption{font-size:.75rem;color:#6a7489}
.legend span{display:inline-block;margin-right:1.1rem;font-size:.9rem}
.legend i{display:inline-block;width:1.4em;height:.35em;margin-right:.35em;vertical-align:middle;border-radius:2px}
footer{margin-top:3rem;color:#6a7489;font-size:.8rem}
@media print{nav{display:none}.tsgrid{grid-template-columns:repeat(2,1fr)}h2{page-break-before:auto}}
"""


def _render(data: _Data, network: bool) -> str:
    m = data.manifest
    sections = [
        ("compared", "What was compared", _section_compared(data)),
        ("settings", "Run settings", _section_settings(data)),
        ("finals", "Final outcomes per configuration", _section_finals(data)),
        ("differences", "Differences from the reference", _section_differences(data)),
    ]
    forest = _section_forest(data)
    if forest:
        sections.append(("forest", "Forest plot of the differences", forest))
    sections.append(("timeseries", "Outcomes over time", _section_time_series(data)))
    if network:
        sections.append(("network", "The social network of one simulated cooperative", _section_network(data)))
    nav = "".join(f'<a href="#{sid}">{_e(title)}</a>' for sid, title, _ in sections)
    body = "".join(f'<h2 id="{sid}">{_e(title)}</h2>{content}' for sid, title, content in sections)
    title = f"kopsim report: {m.get('experiment', data.root.name)}"
    reps, steps = m.get("replications", "?"), m.get("steps", "?")
    sub = (f"{len(data.configs)} configuration{'s' if len(data.configs) != 1 else ''} &times; {_e(reps)} "
           f"replications &times; {_e(steps)} months &middot; results directory <code>{_e(data.root)}</code>")
    made = time.strftime("%Y-%m-%d %H:%M:%S %z")
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class=sub>{sub}</p><nav>{nav}</nav>{body}"
        f"<footer>Made by <code>kopsim report</code> (kopsim {_e(kopsim.__version__)}) on {_e(made)}. "
        "kopsim is an agent-based model of social capital in Indonesian cooperatives (koperasi) and small "
        "enterprises (UMKM); its results are model outcomes, not observations.</footer></body></html>\n")
