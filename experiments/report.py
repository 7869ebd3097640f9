"""``kopsim report DIR``: one self-contained HTML file describing a results directory.

The report opens with the key findings: for each compared configuration, the outcomes whose
final-month difference from the reference is both outside its 95% confidence interval and at
least a stated minimum of practical importance (:func:`stats.minimum_effect`, default 2% of the
outcome's scale), one sentence each with units and CI, or a plain sentence that nothing passes.
Then what was compared, the run settings, the final outcomes per configuration with 95%
confidence intervals, the differences from the reference (the first configuration, or
``--reference``) and any pairwise contrasts (``--contrast A:B``), a forest plot on one
standardised scale, a time-series figure per outcome and a picture of one simulated
cooperative's social network (replication 0 of the reference, re-run from the manifest).
Images are embedded as base64 PNG and the CSS is inline (with a print stylesheet), so the file
can be sent on as it is; every figure is also written as SVG and PNG under ``DIR/figures/``
with its legend inside. ``lang="id"`` gives Indonesian headings, key findings, outcome labels
and number format (1.234,5).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
import time
from collections.abc import Sequence
from contextvars import ContextVar
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
LANGS = ("en", "id")
_LANG: ContextVar[str] = ContextVar("kopsim_report_lang", default="en")
EXECUTOR_NOTE = (
    "Results do not depend on the executor (sequential, local process pool or Dask) or on the number of "
    "workers: every run's seed is fixed before it is submitted, and a run uses nothing but its own seeded "
    "random generator, so re-running the same command anywhere gives the same numbers."
)


@dataclass
class _Data:
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
    minimum: dict[tuple[int, str], float] | None = None  # (reference index, outcome) -> minimum effect
    figure_dir: Path | None = None  # where figures are also written as SVG and PNG files


# ---- public entry point -----------------------------------------------------------------
def write_report(
    results_dir: str | Path,
    output: str | Path | None = None,
    *,
    network: bool = True,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    lang: str = "en",
    min_effect: float = stats.MIN_EFFECT,
    figures: bool = True,
) -> Path:
    """Write the HTML report of ``results_dir`` to ``output`` (default RESULTS/report.html); return its path.

    Raises :class:`UsageError` (one line) when ``results_dir`` is not a kopsim results
    directory or holds no finished runs, or a ``reference`` or contrast names no configuration.
    ``network=False`` leaves out the network picture (which re-runs one simulation).
    ``reference``: the configuration (label or index) the others are compared with (default:
    the first). ``contrasts``: extra pairwise comparisons ``"A:B"`` (A minus B, paired by
    replication). ``lang``: ``en`` or ``id`` (Indonesian labels and number format).
    ``min_effect``: the minimum of practical importance, as a share of each outcome's scale
    (see :func:`stats.minimum_effect`). ``figures``: also write every figure as SVG and PNG under
    ``RESULTS/figures/``.
    """
    if lang not in LANGS:
        raise UsageError(f"--lang {lang!r}: expected one of {', '.join(LANGS)}")
    if not (0 <= min_effect < 1):
        raise UsageError(f"--min-effect {min_effect}: expected a share of the outcome's scale in [0, 1), e.g. 0.02")
    data = _load(Path(results_dir))
    prepare(data, reference, contrasts, lang, min_effect)
    out = Path(output) if output is not None else data.root / "report.html"
    if out.is_dir():
        out = out / "report.html"
    token = _LANG.set(lang)
    try:
        figure_dir = data.root / "figures" if figures else None
        _write(out, _render(data, network, figure_dir))
    finally:
        _LANG.reset(token)
    return out


def _config_index(data: _Data, name: str | int) -> int:
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


def prepare(
    data: _Data,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    lang: str = "en",
    min_effect: float = stats.MIN_EFFECT,
) -> _Data:
    """Set the reference, compute the differences from it and any contrasts, and the minimum effects."""
    data.lang, data.min_rel = lang, min_effect
    first = int(data.ok["config_index"].min()) if not data.ok.empty else 0
    data.ref = first if reference is None else _config_index(data, reference)
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
        a, b = _config_index(data, a_name), _config_index(data, b_name)
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
            data.minimum[(r, o)] = stats.minimum_effect(o, rows["mean"].to_numpy(dtype=float), min_effect)
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


def key_findings(
    results_dir: str | Path,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    min_effect: float = stats.MIN_EFFECT,
    lang: str = "en",
) -> list[dict[str, Any]]:
    """The differences that are outside their 95% CI and at least the minimum effect, as rows for a table.

    Each row: configuration, reference, outcome, label, difference, ci_low, ci_high, minimum,
    month and sentence. Reads the results directory as the report does.
    """
    data = prepare(_load(Path(results_dir)), reference, contrasts, lang, min_effect)
    token = _LANG.set(lang)
    try:
        return _findings(data)
    finally:
        _LANG.reset(token)


def findings_text(
    results_dir: str | Path,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    min_effect: float = stats.MIN_EFFECT,
) -> str:
    """The key findings as a plain-text table for the terminal (a sentence when nothing passes)."""
    data = prepare(_load(Path(results_dir)), reference, contrasts, "en", min_effect)
    rows = _findings(data)
    steps = data.manifest.get("steps", "?")
    head = (
        f"Key findings at month {steps}: differences outside their 95% CI and at least "
        f"{_pct(min_effect)} of the outcome's scale (paired by replication)"
    )
    if data.differences.empty and data.contrasts is None:
        return head + "\n  nothing to compare (one configuration with finished runs)"
    if not rows:
        return head + "\n  " + _nothing_passes(data, html_out=False)
    table = [("configuration", "vs", "outcome", "difference", "95% CI", "minimum")]
    for r in rows:
        table.append(
            (r["configuration"], r["reference"], r["label"], r["difference_text"], r["ci_text"], r["minimum_text"])
        )
    widths = [max(len(str(row[j])) for row in table) for j in range(len(table[0]))]
    lines = [
        "  "
        + "  ".join(
            str(c).ljust(w) if j not in (3, 5) else str(c).rjust(w)
            for j, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return head + "\n" + "\n".join(lines)


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


# ---- formatting helpers -----------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _loc(text: str) -> str:
    """``text`` (a number formatted the English way) in the report's language: Indonesian swaps the
    decimal point and the thousands separator (1,234.5 -> 1.234,5)."""
    if _LANG.get() == "id":
        return text.translate(str.maketrans(",.", ".,"))
    return text


def _nonzero(text: str) -> bool:
    """Whether a formatted number shows any non-zero digit (in either language's format)."""
    mantissa = re.split("[eE]", text)[0]
    return bool(re.search("[1-9]", mantissa))


def _num(x: float, decimals: int | None = None) -> str:
    """A number for a table: fixed decimals if given, else up to 4 significant digits (in the report's language)."""
    if x is None or not np.isfinite(x):
        return "&ndash;"
    if decimals is not None:
        text = f"{x:,.{decimals}f}"
        if float(text.replace(",", "")) == 0.0:
            text = text.lstrip("-")
        return _loc(text)
    if x == 0:
        return "0"
    if abs(x) >= 1e4:
        return _loc(f"{x:,.0f}")
    if abs(x) < 1e-3:
        return _loc(f"{x:.2e}")
    return _loc(f"{x:.4g}")


def _pct(share: float) -> str:
    """A share as a percentage (0.02 -> 2%), in the report's language."""
    return _loc(f"{100 * share:.3g}%")


def _decimals(lo: float, hi: float) -> int | None:
    """Decimals that show the interval's half-width to two significant digits (None if no width)."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return None
    half = (hi - lo) / 2.0
    return int(min(8, max(0, 1 - math.floor(math.log10(half)))))


def _ci_text(mean: float, lo: float, hi: float, decimals: int | None = None, signed: bool = False) -> tuple[str, str]:
    """Mean and ``[low, high]`` at the precision of the interval (or ``decimals``)."""
    d = decimals if decimals is not None else _decimals(lo, hi)
    sep = "; " if _LANG.get() == "id" else ", "  # a comma is the Indonesian decimal mark
    if d is None:
        m = _num(mean)
        ci = "&ndash;" if not (np.isfinite(lo) and np.isfinite(hi)) else f"[{_num(lo)}{sep}{_num(hi)}]"
    else:
        m, ci = _num(mean, d), f"[{_num(lo, d)}{sep}{_num(hi, d)}]"
    if signed and np.isfinite(mean) and not m.startswith("-") and _nonzero(m):
        m = "+" + m
    return m, ci


def _png(fig: Any, dpi: int, data: _Data | None = None, name: str = "") -> str:
    """The figure as base64 PNG for the HTML; also written as ``name``.svg and ``name``.png under the
    results' ``figures/`` folder when the report writes figure files."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    if data is not None and data.figure_dir is not None and name:
        data.figure_dir.mkdir(parents=True, exist_ok=True)
        stem = data.figure_dir / _file_name(name)
        (stem.with_suffix(".png")).write_bytes(buf.getvalue())
        from matplotlib import rc_context

        # text stays text (searchable, editable in a word processor or Inkscape); ids stable between runs
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "kopsim"}):
            fig.savefig(stem.with_suffix(".svg"), format="svg", metadata={"Date": None, "Creator": None})
    fig.clear()
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "figure"


def _img(b64: str, alt: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<img{klass} src="data:image/png;base64,{b64}" alt="{_e(alt)}">'


def _outcome_cell(name: str) -> str:
    from kopsim.labels import outcome_label

    return f"{_e(outcome_label(name, _LANG.get()))}<br><code>{_e(name)}</code>"


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


# ---- words in two languages ---------------------------------------------------------------
T: dict[str, dict[str, str]] = {
    "findings": {"en": "Key findings", "id": "Temuan utama"},
    "compared": {"en": "What was compared", "id": "Apa yang dibandingkan"},
    "settings": {"en": "Run settings", "id": "Pengaturan simulasi"},
    "finals": {"en": "Final outcomes per configuration", "id": "Hasil akhir per konfigurasi"},
    "differences": {"en": "Differences from the reference", "id": "Selisih terhadap pembanding"},
    "contrasts": {"en": "Pairwise contrasts", "id": "Perbandingan berpasangan"},
    "forest": {"en": "Forest plot of the differences", "id": "Diagram hutan (forest plot) selisih"},
    "timeseries": {"en": "Outcomes over time", "id": "Hasil dari waktu ke waktu"},
    "network": {
        "en": "The social network of one simulated cooperative",
        "id": "Jaringan sosial satu koperasi simulasi",
    },
    "raises": {"en": "raises", "id": "menaikkan"},
    "lowers": {"en": "lowers", "id": "menurunkan"},
    "by": {"en": "by", "id": "sebesar"},
    "ci": {"en": "95% CI", "id": "IK 95%"},
    "to": {"en": "to", "id": "s.d."},
    "over": {"en": "over", "id": "dibanding"},
    "at_month": {"en": "at month", "id": "pada bulan ke-"},
    "true": {"en": "true", "id": "ya"},
    "th_outcome": {"en": "outcome", "id": "hasil"},
    "th_config": {"en": "configuration", "id": "konfigurasi"},
    "th_diff_row": {
        "en": "<th>pairs</th><th>difference</th><th>95% CI</th><th>% of reference mean</th>"
        "<th>minimum</th><th>CI excludes 0</th>",
        "id": "<th>pasangan</th><th>selisih</th><th>IK 95%</th><th>% dari rata-rata pembanding</th>"
        "<th>minimum</th><th>IK tidak mencakup 0</th>",
    },
    "finals_lead": {
        "en": "Mean over replications in month {steps}, with its 95% confidence interval (Student t) below it.",
        "id": "Rata-rata antar-replikasi pada bulan ke-{steps}, dengan interval kepercayaan 95% "
        "(Student t) di bawahnya.",
    },
    "sub": {
        "en": "{n} configuration(s) &times; {reps} replications &times; {steps} months &middot; results directory",
        "id": "{n} konfigurasi &times; {reps} replikasi &times; {steps} bulan &middot; direktori hasil",
    },
    "false": {"en": "false", "id": "tidak"},
}


def _t(key: str) -> str:
    return T[key].get(_LANG.get(), T[key]["en"])


def _value(v: Any) -> str:
    """A parameter value as a reader expects it: booleans as true/false (not Python's True/False)."""
    if isinstance(v, bool | np.bool_):
        return _t("true") if v else _t("false")
    if isinstance(v, float):
        return _loc(f"{v:g}")
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


# ---- key findings ---------------------------------------------------------------------------
def _label_and_unit(outcome: str) -> tuple[str, str]:
    """The outcome's label without a trailing "(unit)" and the unit to write after a number."""
    from kopsim.labels import OUTCOMES, outcome_label

    lang = _LANG.get()
    label = outcome_label(outcome, lang)
    unit = OUTCOMES[outcome].unit if outcome in OUTCOMES else ""
    if lang == "id":
        unit = unit.replace("Rp M", "Rp juta").replace("/month", "/bulan")
    if unit and label.endswith(f"({unit})"):
        return label[: -len(unit) - 2].rstrip(), unit
    return label, ""


def _classified(data: _Data) -> list[pd.DataFrame]:
    frames = [data.differences] if not data.differences.empty else []
    if data.contrasts is not None and not data.contrasts.empty:
        frames.append(data.contrasts)
    return frames


def _findings(data: _Data) -> list[dict[str, Any]]:
    """One row per difference that passes both tests (outside its 95% CI, at least the minimum effect)."""
    steps = data.manifest.get("steps", "?")
    rows = []
    for frame in _classified(data):
        for r in frame[frame["important"]].itertuples():
            if not _has_values(data, str(r.outcome)):
                continue
            mean, lo, hi, minimum = float(r.mean_difference), float(r.ci_low), float(r.ci_high), float(r.minimum)
            d = _decimals(lo, hi)
            label, unit = _label_and_unit(str(r.outcome))
            size, _ = _ci_text(abs(mean), lo, hi, d)
            signed, _ = _ci_text(mean, lo, hi, d, signed=True)
            lo_t, hi_t = (_num(lo, d), _num(hi, d)) if d is not None else (_num(lo), _num(hi))
            verb = _t("raises") if mean > 0 else _t("lowers")
            unit_text = f" {unit}" if unit else ""
            sentence = (
                f"{r.label} {verb} {label} {_t('by')} {size}{unit_text} ({_t('ci')} {lo_t} {_t('to')} "
                f"{hi_t}) {_t('over')} {r.reference} {_t('at_month')} {steps}"
            )
            if _LANG.get() == "id":
                sentence = sentence.replace(f"{_t('at_month')} {steps}", f"{_t('at_month')}{steps}")
            rows.append(
                {
                    "configuration": str(r.label),
                    "reference": str(r.reference),
                    "outcome": str(r.outcome),
                    "label": label + (f" ({unit})" if unit else ""),
                    "difference": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "minimum": minimum,
                    "month": steps,
                    "sentence": sentence,
                    "difference_text": signed,
                    "ci_text": f"{lo_t} {_t('to')} {hi_t}",
                    "minimum_text": _num(
                        minimum,
                        None
                        if not np.isfinite(minimum) or minimum == 0
                        else max(0, 1 - math.floor(math.log10(minimum))),
                    ),
                }
            )
    return rows


def _threshold_text(data: _Data) -> str:
    share, rel = _pct(data.min_rel), _loc(format(data.min_rel, "g"))
    if _LANG.get() == "id":
        return (
            f"Temuan = selisih pada bulan terakhir (bulan ke-{_e(data.manifest.get('steps', '?'))}) yang "
            f"interval kepercayaan 95%-nya tidak mencakup nol <em>dan</em> besarnya paling sedikit {share} dari "
            "skala hasil tersebut: rentang tetapnya untuk hasil yang berbatas (proporsi, kepercayaan, "
            f"keterampilan: 0 s.d. 1, jadi {rel}; indeks E-I: -1 s.d. +1), selain itu nilai "
            "rata-rata bulanan terbesar dari pembanding (mis. jumlah anggota terbanyak). Ubah dengan "
            "<code>kopsim report --min-effect</code>."
        )
    return (
        f"A finding is a difference in the final month (month {_e(data.manifest.get('steps', '?'))}) whose 95% "
        f"confidence interval excludes zero <em>and</em> whose size is at least {share} of the outcome's scale "
        "(the minimum of practical importance): its fixed range for bounded outcomes (shares, trust, skill: 0 to "
        f"1, so {rel}; the E-I index: -1 to +1), otherwise the reference's largest monthly "
        "mean (e.g. its largest membership or savings). Change it with <code>kopsim report --min-effect</code>."
    )


def _nothing_passes(data: _Data, html_out: bool = True) -> str:
    small = sum(int((f["excludes_zero"] & ~f["important"]).sum()) for f in _classified(data))
    steps = data.manifest.get("steps", "?")
    share = f"{100 * data.min_rel:.3g}%"
    if _LANG.get() == "id" and html_out:
        text = (
            f"Tidak ada selisih yang lolos kedua uji (di luar IK 95% dan paling sedikit {_loc(share)} dari skala "
            f"hasil) pada bulan ke-{steps}."
        )
        if small:
            text += f" {small} selisih memiliki IK yang tidak mencakup nol tetapi lebih kecil dari batas minimum."
        return text
    text = (
        f"Nothing passes: no difference is both outside its 95% CI and at least {share} of the outcome's scale "
        f"at month {steps}."
    )
    if small:
        text += (
            f" {small} difference{'s have' if small != 1 else ' has'} a CI excluding zero but "
            f"{'are' if small != 1 else 'is'} smaller than the minimum of practical importance."
        )
    return text


def _section_findings(data: _Data) -> str:
    frames = _classified(data)
    if not frames:
        return (
            "<div class=keybox><p>Only one configuration has finished runs: there is nothing to compare.</p></div>"
            if _LANG.get() == "en"
            else "<div class=keybox><p>Hanya satu konfigurasi yang selesai: tidak ada yang dibandingkan.</p></div>"
        )
    rows = _findings(data)
    parts = []
    if not rows:
        parts.append(f"<p class=nothing><strong>{_e(_nothing_passes(data))}</strong></p>")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["configuration"], r["reference"]), []).append(r)
    for (a, b), items in groups.items():
        parts.append(
            f"<h3>{_e(a)} <span class=muted>vs</span> {_e(b)}</h3><ul class=findings>"
            + "".join(f"<li>{_e(r['sentence'])}.</li>" for r in items)
            + "</ul>"
        )
    small = []
    for frame in frames:
        for r in frame[frame["excludes_zero"] & ~frame["important"]].itertuples():
            if _has_values(data, str(r.outcome)):
                m, _ = _ci_text(float(r.mean_difference), float(r.ci_low), float(r.ci_high), signed=True)
                small.append(f"{_e(r.label)}: {_e(_label_and_unit(str(r.outcome))[0])} {m}")
    if small:
        lead = (
            "Also outside the 95% CI but below the minimum of practical importance (not findings): "
            if _LANG.get() == "en"
            else "Juga di luar IK 95% tetapi di bawah batas minimum (bukan temuan): "
        )
        parts.append(f"<p class=small-effects>{lead}{'; '.join(small)}.</p>")
    parts.append(f"<p class=note>{_threshold_text(data)}</p>")
    return "<div class=keybox>" + "".join(parts) + "</div>"


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
    rest = [
        f"{k} {_value(v)}"
        for k, v in item.items()
        if k not in ("kind", "start", "end", "every") and not (k == "cooperatives" and not v)
    ]
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
    ref = data.configs[data.ref]
    ref_params = _flatten(ref.get("parameters") or {})
    rows = []
    for k, cfg in enumerate(data.configs):
        ivs = cfg.get("interventions") or []
        iv_text = "<br>".join(_e(_intervention_text(i)) for i in ivs) or "none"
        over = cfg.get("overrides") or {}
        over_text = ", ".join(f"{_e(key)} = {_e(_value(v))}" for key, v in over.items()) or "none"
        if k == data.ref:
            changed = "<em>reference</em>"
        else:
            params = _flatten(cfg.get("parameters") or {})
            diffs = [
                f"{_e(key)}: {_e(_value(ref_params[key]) if key in ref_params else '(none)')} &rarr; {_e(_value(v))}"
                for key, v in params.items()
                if ref_params.get(key) != v
            ]
            changed = "<br>".join(diffs) or "none"
        desc = _description(cfg)
        rows.append(
            f"<tr><td>{k}</td><td><strong>{_e(data.names[k])}</strong>"
            f"{'<br><span class=muted>' + _e(desc) + '</span>' if desc else ''}</td>"
            f"<td>{_e(cfg.get('scenario', ''))}</td><td>{iv_text}</td><td>{over_text}</td><td>{changed}</td></tr>"
        )
    return (
        f"<p>{len(data.configs)} configuration{'s' if len(data.configs) != 1 else ''}; "
        f"{'the first, ' if data.ref == 0 else ''}<strong>{_e(data.names[data.ref])}</strong>, is the reference "
        "every other configuration is compared with (choose another with <code>kopsim report --reference</code>)."
        "</p>"
        "<div class=scroll><table><thead><tr><th>#</th><th>configuration</th><th>scenario</th>"
        "<th>interventions</th><th>overrides</th><th>parameters that differ from the reference</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


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
        (
            "runs",
            f"{planned} planned, <strong>{n_ok} ok</strong>, "
            f"<strong{' class=bad' if len(failed) else ''}>{len(failed)} failed</strong>"
            + (f", {missing} not yet run" if missing else ""),
        ),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in items)
    parts = [
        f"<table class=kv>{body}</table>",
        f"<p class=note>{_e(EXECUTOR_NOTE)} Replication <em>i</em> of "
        "every configuration uses the same seed (common random numbers), derived from the root seed.</p>",
    ]
    if missing:
        parts.append(
            f"<p class=warn>{missing} planned run{'s have' if missing != 1 else ' has'} not finished; "
            "the statistics below cover the finished runs only. Re-run the same command to resume.</p>"
        )
    if data.recomputed:
        parts.append(
            "<p class=note>The statistics were recomputed from the run records for this report "
            "(the written summary was missing or older than the runs).</p>"
        )
    if len(failed):
        rows = "".join(
            f"<tr><td><code>{_e(r.run_id)}</code></td><td>{_e(data.names.get(int(r.config_index), r.label))}</td>"
            f"<td>{_e(r.replication)}</td><td>{_e(r.seed)}</td><td><code>{_e(r.error)}</code></td></tr>"
            for r in failed.itertuples()
        )
        parts.append(
            "<h3>Failed runs</h3><div class=scroll><table><thead><tr><th>run</th><th>configuration</th>"
            f"<th>replication</th><th>seed</th><th>error</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    return "".join(parts)


def _section_finals(data: _Data) -> str:
    ks = list(range(len(data.configs)))
    head = "".join(
        f"<th>{_e(data.names[k])}<br><span class=muted>n = {int((data.ok['config_index'] == k).sum())}</span></th>"
        for k in ks
    )
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
        note = (
            "<p class=note>&ndash;: not computed in the final month ("
            + ", ".join(_e(o) for o in not_final)
            + "; some network metrics are computed only every few months).</p>"
        )
    return (
        f"<p>{_t('finals_lead').format(steps=_e(data.manifest.get('steps', '?')))}</p>"
        f"<div class=scroll><table class=grid><thead><tr><th>{_t('th_outcome')}</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def _difference_rows(data: _Data, diff: pd.DataFrame, show_reference: bool = False) -> tuple[list[str], int, int]:
    """Table rows of classified differences; the counts of findings and of small effects."""
    rows = []
    n_big = n_small = 0
    for _, part in diff.groupby(["label", "reference"], sort=False):
        for o in data.outcomes:
            r = part[part["outcome"].astype(str) == o]
            if r.empty or not _has_values(data, o):
                continue
            r = r.iloc[0]
            mean, lo, hi, sd, n = (
                float(r["mean_difference"]),
                float(r["ci_low"]),
                float(r["ci_high"]),
                float(r["sd"]),
                int(r["n"]),
            )
            m, ci = _ci_text(mean, lo, hi, signed=True)
            ref_k = int(r["reference_index"]) if "reference_index" in r and pd.notna(r["reference_index"]) else data.ref
            ref_mean = _mean_ci(_final_values(data, ref_k, o))[0]
            pct = "&ndash;"
            if np.isfinite(mean) and np.isfinite(ref_mean) and ref_mean != 0:
                share = round(100.0 * mean / abs(ref_mean), 1)
                pct = _loc(f"{share:+.1f}%") if share != 0 else _loc("0.0%")
            flag, big = bool(r["excludes_zero"]), bool(r["important"])
            minimum = float(r["minimum"])
            n_big += big
            n_small += flag and not big
            if n > 1 and sd == 0 and mean == 0:
                verdict = "no: identical in every replication"
            elif big:
                verdict = "<strong>yes: a finding</strong>"
            elif flag:
                verdict = "yes, but smaller than the minimum"
            elif np.isfinite(lo):
                verdict = "no"
            else:
                verdict = "&ndash;"
            klass = " class=flag" if big else (" class=small" if flag else "")
            ref_cell = f"<td>{_e(r['reference'])}</td>" if show_reference else ""
            rows.append(
                f"<tr{klass}><td>{_e(r['label'])}</td>{ref_cell}"
                f"<td>{_outcome_cell(o)}</td><td class=num>{n}</td><td class=num>{m}</td>"
                f"<td class=num>{ci}</td><td class=num>{pct}</td><td class=num>{_num(minimum)}</td>"
                f"<td>{verdict}</td></tr>"
            )
    return rows, n_big, n_small


def _section_differences(data: _Data) -> str:
    diff = data.differences
    if diff.empty:
        return (
            "<p>Only one configuration has finished runs, so there are no differences to show.</p>"
            if len(data.configs) > 1 or not data.ok.empty
            else "<p>No differences to show.</p>"
        )
    rows, n_big, n_small = _difference_rows(data, diff)
    return (
        f"<p>Each configuration's final-month outcome minus the reference's (<strong>{_e(data.names[data.ref])}"
        "</strong>), paired by replication, with the paired 95% confidence interval. "
        f"<strong>{n_big}</strong> difference{'s' if n_big != 1 else ''} ha{'ve' if n_big != 1 else 's'} an "
        "interval that excludes zero and a size of at least the minimum of practical importance (findings, "
        f"highlighted); {n_small} more exclude{'s' if n_small == 1 else ''} zero but "
        f"{'is' if n_small == 1 else 'are'} smaller than the minimum (grey).</p>"
        "<p class=note>Only the final month is compared: an effect that has passed by then (a shock that "
        "ended, a programme that stopped) shows in the time series below, not here. "
        "Because replication <em>i</em> of every configuration shares its seed, much of the chance "
        "variation cancels in the pairs and intervals can be very narrow: a difference whose interval excludes "
        "zero can still be too small to matter, hence the minimum column (see Key findings). With many outcomes, "
        "about one in twenty differences that are truly zero will exclude zero by chance. The intervals describe "
        "the model's own randomness across replications, not uncertainty in its parameters or in how well it "
        "represents real cooperatives.</p>"
        f"<div class=scroll><table class=grid><thead><tr><th>{_t('th_config')}</th><th>{_t('th_outcome')}</th>"
        f"{_t('th_diff_row')}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _section_contrasts(data: _Data) -> str:
    if data.contrasts is None or data.contrasts.empty:
        return ""
    rows, _, _ = _difference_rows(data, data.contrasts, show_reference=True)
    return (
        "<p>Each contrast A minus B (<code>--contrast A:B</code>) in the final month, paired by replication "
        "(common random numbers, as the differences above); the minimum is taken from B's scale.</p>"
        "<div class=scroll><table class=grid><thead><tr><th>A</th><th>B</th><th>outcome</th><th>pairs</th>"
        "<th>difference</th><th>95% CI</th><th>% of B's mean</th><th>minimum</th><th>CI excludes 0</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _section_forest(data: _Data) -> str:
    from .figures import forest_standardised, palette

    if data.differences.empty:
        return ""
    outcomes = [o for o in data.outcomes if _has_values(data, o)]
    order = [data.names[k] for k in range(len(data.configs))]
    colours = palette(order)
    scale, raw = {}, {}
    for o in outcomes:
        vals = _final_values(data, data.ref, o)
        scale[o] = float(vals.std(ddof=1)) if vals.size > 1 else float("nan")
    for r in data.differences.itertuples():
        m, ci = _ci_text(float(r.mean_difference), float(r.ci_low), float(r.ci_high), signed=True)
        raw[(str(r.label), str(r.outcome))] = html.unescape(f"{m} {ci}")
    try:
        fig = forest_standardised(
            data.differences,
            scale,
            outcomes=outcomes,
            labels=[n for n in order if n != data.names[data.ref]],
            colours=colours,
            lang=data.lang,
            raw_text=raw,
        )
    except ValueError as err:
        return f"<p class=note>No forest plot: {_e(err)}.</p>"
    skipped = [o for o in outcomes if not (np.isfinite(scale[o]) and scale[o] > 0)]
    note = (
        "<p>Every difference from the reference on one common scale: the difference divided by the "
        f"reference's standard deviation across replications in month {_e(data.manifest.get('steps', '?'))}, "
        "with its 95% CI; the raw difference and CI in the outcome's own units are written beside each row. "
        "Filled markers are findings (CI excludes 0 and the difference is at least the minimum of practical "
        "importance), grey ones exclude 0 but are smaller, open ones include 0.</p>"
    )
    if skipped:
        note += (
            "<p class=note>Not on the common scale (the reference does not vary across replications): "
            + ", ".join(f"<code>{_e(o)}</code>" for o in skipped)
            + "; see the table above.</p>"
        )
    return note + _img(_png(fig, FOREST_DPI, data, "forest"), "forest plot of differences from the reference", "wide")


def _section_time_series(data: _Data) -> str:
    from .figures import palette, time_series

    names = [data.names[k] for k in range(len(data.configs))]
    colours = palette(names)
    try:
        env = stats.envelope(Store(data.root), [o for o in data.outcomes if _has_values(data, o)])
        by_id = {str(c.get("config_id")): data.names[k] for k, c in enumerate(data.configs)}
        env["label"] = env["config_id"].astype(str).map(by_id)
    except (OSError, ValueError, KeyError):
        env = None
    cells, skipped = [], []
    for o in data.outcomes:
        if not _has_values(data, o):
            skipped.append(o)
            continue
        fig = time_series(data.summary, o, labels=names, colours=colours, legend=True, envelope=env, lang=data.lang)
        cells.append(
            f"<figure>{_img(_png(fig, TS_DPI, data, 'timeseries-' + o), 'time series of ' + o)}"
            f"<figcaption><code>{_e(o)}</code></figcaption></figure>"
        )
    note = ""
    if skipped:
        note = (
            "<p class=note>Not shown (no values in any month): "
            + ", ".join(f"<code>{_e(o)}</code>" for o in skipped)
            + ".</p>"
        )
    files = (
        f" Each figure is also in <code>{_e(data.figure_dir)}</code> as SVG and PNG, with its legend."
        if data.figure_dir is not None
        else ""
    )
    return (
        "<p>Mean per month over replications (line) with its 95% confidence band (shaded) and the 5&ndash;95% "
        "range of the individual replications (dashed): the band shows how precisely the mean is known, the "
        "dashed range how much one simulated cooperative varies. The y axis gives the unit (Rp M: million "
        "rupiah) or the scale (0 = none, 1 = full, e.g. skill 0 = no skill, 1 = fully skilled)."
        + files
        + f"</p><div class=tsgrid>{''.join(cells)}</div>{note}"
    )


def _section_network(data: _Data) -> str:
    from kopsim import CooperativeModel, Parameters
    from kopsim.interventions import from_dict
    from kopsim.network_picture import network_picture

    from .spec import replication_seeds

    cfg = data.configs[data.ref]
    steps = int(data.manifest.get("steps", 0) or 0)
    row = data.runs[(data.runs["config_index"] == data.ref) & (data.runs["replication"] == 0)]
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
        return (
            f"<p class=warn>The network picture could not be made: re-running replication 0 of "
            f"{_e(data.names[data.ref])} failed ({_e(type(err).__name__)}: {_e(err)}).</p>"
        )
    seconds = time.perf_counter() - t0
    check = ""
    if not row.empty and row["status"].iloc[0] == "ok" and len(frame):
        last = frame.iloc[-1]
        differ = [
            o
            for o in data.outcomes
            if f"final_{o}" in row
            and o in last
            and not np.isclose(float(last[o]), float(row[f"final_{o}"].iloc[0]), rtol=1e-9, atol=1e-12, equal_nan=True)
        ]
        if differ:
            check = (
                "<p class=warn>This re-run does not reproduce the recorded run (different final "
                f"{', '.join(_e(o) for o in differ[:5])}{' ...' if len(differ) > 5 else ''}); the model may "
                "have changed since the results were made.</p>"
            )
        else:
            check = "<p class=note>The re-run reproduces the recorded run's final outcomes exactly.</p>"
    return (
        f"<p>The social network of a simulated cooperative at the end of replication 0 of "
        f"<strong>{_e(data.names[data.ref])}</strong> (seed {seed}, month {steps}), re-run for this report "
        f"({seconds:.1f} s). Colour: the household's trust in the cooperative on the colour-blind-safe "
        "viridis scale (dark purple low, yellow high; grey: agencies, village governments, moneylenders and "
        "partner firms); size: mean participation in the cooperative's "
        "organisation, business and capital (non-members smallest); marker: livelihood or actor type; black "
        "outline: board member. Ties: bonding (same village) solid, bridging (across villages) dashed, "
        "linking (to agencies and moneylenders) dotted; stronger ties are darker. Larger models show the "
        "first cooperative's households and the institutional actors tied to them.</p>"
        + check
        + _img(_png(fig, NETWORK_DPI, data, "network"), "social network of one simulated cooperative", "net")
    )


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
.keybox{border:2px solid #2c5d8a;background:#f3f8fd;border-radius:6px;padding:.3rem 1rem .6rem;margin:1rem 0}
.keybox h3{margin:.6rem 0 .2rem}.keybox ul.findings{margin:.2rem 0 .4rem;padding-left:1.3rem}
.keybox li{margin:.15rem 0;font-size:1rem}.keybox .nothing{font-size:1rem}
.small-effects{color:#6a7489;font-size:.85rem}tr.small td{color:#6a7489}
@page{size:A4;margin:14mm 12mm}
@media print{
 body{max-width:none;padding:0;font-size:10.5pt;color:#000}
 nav,footer .noprint{display:none}
 a{color:inherit;text-decoration:none}
 h2{page-break-after:avoid;break-after:avoid;border-bottom:1px solid #888}
 h3{page-break-after:avoid;break-after:avoid}
 table,figure,img,.keybox,.note,.warn{page-break-inside:avoid;break-inside:avoid}
 thead{display:table-header-group}thead th{position:static}
 .scroll{overflow:visible}table{font-size:8.5pt;width:100%}
 .tsgrid{display:grid;grid-template-columns:repeat(2,1fr)}
 img{max-width:100%!important}
 tr.flag td{background:#fff4c9!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .keybox{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""


def _render(data: _Data, network: bool, figure_dir: Path | None = None) -> str:
    m = data.manifest
    data.figure_dir = figure_dir
    sections = [
        ("findings", _t("findings"), _section_findings(data)),
        ("compared", _t("compared"), _section_compared(data)),
        ("settings", _t("settings"), _section_settings(data)),
        ("finals", _t("finals"), _section_finals(data)),
        ("differences", _t("differences"), _section_differences(data)),
    ]
    contrasts = _section_contrasts(data)
    if contrasts:
        sections.append(("contrasts", _t("contrasts"), contrasts))
    forest = _section_forest(data)
    if forest:
        sections.append(("forest", _t("forest"), forest))
    sections.append(("timeseries", _t("timeseries"), _section_time_series(data)))
    if network:
        sections.append(("network", _t("network"), _section_network(data)))
    nav = "".join(f'<a href="#{sid}">{_e(title)}</a>' for sid, title, _ in sections)
    body = "".join(f'<h2 id="{sid}">{_e(title)}</h2>{content}' for sid, title, content in sections)
    title = f"kopsim report: {m.get('experiment', data.root.name)}"
    reps, steps = m.get("replications", "?"), m.get("steps", "?")
    n_text = (
        f"{len(data.configs)} configuration{'s' if len(data.configs) != 1 else ''}"
        if data.lang == "en"
        else str(len(data.configs))
    )
    sub = (
        _t("sub").replace("{n} configuration(s)", "{n}").format(n=n_text, reps=_e(reps), steps=_e(steps))
        + f" <code>{_e(data.root)}</code>"
    )
    made = time.strftime("%Y-%m-%d %H:%M:%S %z")
    return (
        f"<!DOCTYPE html>\n<html lang={_LANG.get()}><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class=sub>{sub}</p><nav>{nav}</nav>{body}"
        f"<footer>Made by <code>kopsim report</code> (kopsim {_e(kopsim.__version__)}) on {_e(made)}. "
        "kopsim is an agent-based model of social capital in Indonesian cooperatives (koperasi) and small "
        "enterprises (UMKM); its results are model outcomes, not observations.</footer></body></html>\n"
    )
