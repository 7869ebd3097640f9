"""``kopsim report DIR``: one self-contained HTML file describing a results directory.

The report opens with the key findings: for each compared configuration, the outcomes whose
final-month difference from the reference is both outside its 95% confidence interval and at
least a stated minimum of practical importance (:func:`stats.minimum_effect`, default 2% of the
outcome's scale), one sentence each with units and CI, or a plain sentence that nothing passes.
Then what was compared, the run settings, the final outcomes per configuration with 95%
confidence intervals, the differences from the reference (the first configuration, or
``--reference``) and any pairwise contrasts (``--contrast A:B``), a forest plot on one
standardised scale, a time-series figure per outcome and a picture of one simulated
cooperative's social network (replication 0 of the reference, re-run from the manifest); with
``--discover``, the PRIM boxes right after the key findings.
Images are embedded as base64 PNG and the CSS is inline (with a print stylesheet), so the file
can be sent on as it is; every figure is also written as SVG and PNG under ``DIR/figures/``
with its legend inside. ``lang="id"`` gives Indonesian headings, key findings, outcome labels
and number format (1.234,5).

This module holds the entry point, the table sections and the page; the parts live by concept in
:mod:`.reportdata` (loading, reference, contrasts, minimums), :mod:`.findings` (the key-findings
box, lever note, terminal table), :mod:`.report_figures` (figure sections), :mod:`.i18n` (words and
numbers), :mod:`.report_pdf` (``--format pdf``) and :mod:`.discovery` (``--discover``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import kopsim
from kopsim.errors import UsageError
from kopsim.labels import outcome_label

from . import stats
from .findings import section_findings
from .i18n import LANG, LANGS, as_text, ci_decimals, ci_text, esc, loc, num, say, tr
from .report_figures import (
    EarlyNetwork,
    figure_sections,
    section_distributions,
    section_forest,
    section_network,
    section_time_series,
    start_network,
)
from .reportdata import (
    ReportData,
    constant_outcomes,
    final_values,
    has_values,
    load,
    mean_ci,
    prepare,
    reference_index,
)

EXECUTOR_NOTE = (
    "Results do not depend on the executor (sequential, local process pool or Dask) or on the number of "
    "workers: every run's seed is fixed before it is submitted, and a run uses nothing but its own seeded "
    "random generator, so re-running the same command anywhere gives the same numbers."
)


# ---- public entry point -----------------------------------------------------------------
def write_report(
    results_dir: str | Path,
    output: str | Path | None = None,
    *,
    network: bool = True,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    lang: str = "en",
    min_effect: float | stats.MinEffect = stats.MIN_EFFECT,
    figures: bool = True,
    discover: str | None = None,
    pdf: bool = False,
) -> Path:
    """Write the HTML report of ``results_dir`` to ``output`` (default RESULTS/report.html); return its path.

    Raises :class:`UsageError` (one line) when ``results_dir`` is not a kopsim results
    directory or holds no finished runs, or a ``reference`` or contrast names no configuration.
    ``network=False`` leaves out the network picture (which re-runs one simulation).
    ``reference``: the configuration (label or index) the others are compared with (default:
    the first). ``contrasts``: extra pairwise comparisons ``"A:B"`` (A minus B, paired by
    replication). ``lang``: ``en`` or ``id`` (Indonesian labels and number format).
    ``min_effect``: the minimum of practical importance, as a share of each outcome's scale
    (see :func:`stats.minimum_effect`) or a :class:`stats.MinEffect` (with absolute minimums per
    outcome). ``figures``: also write every figure as SVG and PNG under ``RESULTS/figures/``.
    ``discover``: a condition such as ``"participation_capital<0.5"``: add the PRIM boxes of the runs
    that meet it (:mod:`.discovery`). ``pdf``: also write the key findings and every figure to a PDF
    beside the HTML file (same name, ``.pdf``).
    """
    if lang not in LANGS:
        raise UsageError(f"--lang {lang!r}: expected one of {', '.join(LANGS)}")
    share = min_effect.share if isinstance(min_effect, stats.MinEffect) else min_effect
    if not (0 <= share < 1):
        raise UsageError(f"--min-effect {share}: expected a share of the outcome's scale in [0, 1), e.g. 0.02")
    data = load(Path(results_dir))
    early = None
    # the longest figure, started now: it needs only the loaded runs (an unknown reference starts nothing;
    # prepare reports it, after any earlier error)
    with contextlib.suppress(UsageError):
        if network and not pdf:
            early = start_network(data, reference_index(data, reference), data.root / "figures" if figures else None)
    try:
        return _report(data, early, output, network, reference, contrasts, lang, min_effect, figures, discover, pdf)
    finally:
        if early is not None:
            early.close()


def _report(
    data: ReportData,
    early: EarlyNetwork | None,
    output: str | Path | None,
    network: bool,
    reference: str | int | None,
    contrasts: Sequence[str],
    lang: str,
    min_effect: float | stats.MinEffect,
    figures: bool,
    discover: str | None,
    pdf: bool,
) -> Path:
    prepare(data, reference, contrasts, lang, min_effect)
    found = None
    if discover is not None:
        from .discovery import discover_in, parse_condition

        found = discover_in(data.configs, data.ok, parse_condition(discover, data.outcomes))
    out = Path(output) if output is not None else data.root / "report.html"
    if out.is_dir():
        out = out / "report.html"
    token = LANG.set(lang)
    try:
        figure_dir = data.root / "figures" if figures else None
        if pdf:
            from .report_pdf import open_pdf

            pdf_path = out.with_suffix(".pdf")
            tmp = pdf_path.with_name(f".{pdf_path.name}.{os.getpid()}.tmp")
            try:
                with open_pdf(tmp, _title(data)) as pages:
                    data.pdf = pages
                    text = _render(data, network, figure_dir, found)
                os.replace(tmp, pdf_path)
            finally:
                data.pdf = None
                tmp.unlink(missing_ok=True)
        else:
            text = _render(data, network, figure_dir, found, early)
        _write(out, text)
    finally:
        LANG.reset(token)
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


def _outcome_cell(name: str) -> str:
    return f"{esc(outcome_label(name, LANG.get()))}<br><code>{esc(name)}</code>"


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
    month = say("month", "bulan ke-")
    sp = "" if LANG.get() == "id" else " "
    upto = say("the end", "akhir") if not end else f"{month}{sp}{end}"
    when = []
    if start is not None:
        if event and not every:
            when.append(f"{month}{sp}{start}, {say('once', 'sekali')}")
        elif end == start:
            when.append(f"{month}{sp}{start}")
        else:
            when.append(f"{month}{sp}{start} {say('to', 's.d.')} {upto}")
    if every:
        when.append(say(f"every {every} months", f"setiap {every} bulan"))
    rest = [
        f"{k} {as_text(v)}"
        for k, v in item.items()
        if k not in ("kind", "start", "end", "every") and not (k == "cooperatives" and not v)
    ]
    if "cooperatives" not in item or not item.get("cooperatives"):
        rest.append(say("all cooperatives", "semua koperasi"))
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


def _section_compared(data: ReportData) -> str:
    ref = data.configs[data.ref]
    ref_params = _flatten(ref.get("parameters") or {})
    rows = []
    for k, cfg in enumerate(data.configs):
        ivs = cfg.get("interventions") or []
        none = say("none", "tidak ada")
        iv_text = "<br>".join(esc(_intervention_text(i)) for i in ivs) or none
        over = cfg.get("overrides") or {}
        over_text = ", ".join(f"{esc(key)} = {esc(as_text(v))}" for key, v in over.items()) or none
        if k == data.ref:
            changed = f"<em>{say('reference', 'pembanding')}</em>"
        else:
            params = _flatten(cfg.get("parameters") or {})
            diffs = [
                f"{esc(key)}: {esc(as_text(ref_params[key]) if key in ref_params else '(none)')} "
                f"&rarr; {esc(as_text(v))}"
                for key, v in params.items()
                if ref_params.get(key) != v
            ]
            changed = "<br>".join(diffs) or none
        desc = _description(cfg)
        rows.append(
            f"<tr><td>{k}</td><td><strong>{esc(data.names[k])}</strong>"
            f"{'<br><span class=muted>' + esc(desc) + '</span>' if desc else ''}</td>"
            f"<td>{esc(cfg.get('scenario', ''))}</td><td>{iv_text}</td><td>{over_text}</td><td>{changed}</td></tr>"
        )
    lead = say(
        f"{len(data.configs)} configuration{'s' if len(data.configs) != 1 else ''}; "
        f"{'the first, ' if data.ref == 0 else ''}<strong>{esc(data.names[data.ref])}</strong>, is the reference "
        "every other configuration is compared with (choose another with <code>kopsim report --reference</code>).",
        f"{len(data.configs)} konfigurasi; <strong>{esc(data.names[data.ref])}</strong> adalah pembanding bagi "
        "konfigurasi lainnya (pilih yang lain dengan <code>kopsim report --reference</code>).",
    )
    head = say(
        "<th>#</th><th>configuration</th><th>scenario</th><th>interventions</th><th>overrides</th>"
        "<th>parameters that differ from the reference</th>",
        "<th>#</th><th>konfigurasi</th><th>skenario</th><th>intervensi</th><th>pengubahan</th>"
        "<th>parameter yang berbeda dari pembanding</th>",
    )
    return (
        f"<p>{lead}</p><div class=scroll><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _section_settings(data: ReportData) -> str:
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
        (say("experiment", "eksperimen"), esc(m.get("experiment", "?"))),
        (say("defined by", "didefinisikan oleh"), esc(m.get("source", "?"))),
        (say("started", "dimulai"), esc(m.get("created", "?"))),
        (say("kopsim version", "versi kopsim"), esc(version) + esc(ver_note)),
        (
            say("software", "perangkat lunak"),
            esc(f"Python {m.get('python', '?')}, Mesa {m.get('mesa', '?')}, numpy {m.get('numpy', '?')}"),
        ),
        (say("root seed", "benih akar (root seed)"), esc(m.get("root_seed", "?"))),
        (say("replications per configuration", "replikasi per konfigurasi"), esc(reps)),
        (say("months simulated", "bulan yang disimulasikan"), esc(m.get("steps", "?"))),
        (say("outcomes recorded", "hasil yang dicatat"), esc(len(data.outcomes))),
        (
            say("runs", "run"),
            say(
                f"{planned} planned, <strong>{n_ok} ok</strong>, "
                f"<strong{' class=bad' if len(failed) else ''}>{len(failed)} failed</strong>"
                + (f", {missing} not yet run" if missing else ""),
                f"{planned} direncanakan, <strong>{n_ok} berhasil</strong>, "
                f"<strong{' class=bad' if len(failed) else ''}>{len(failed)} gagal</strong>"
                + (f", {missing} belum dijalankan" if missing else ""),
            ),
        ),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in items)
    parts = [
        f"<table class=kv>{body}</table>",
        say(
            f"<p class=note>{esc(EXECUTOR_NOTE)} Replication <em>i</em> of "
            "every configuration uses the same seed (common random numbers), derived from the root seed.</p>",
            "<p class=note>Hasil tidak bergantung pada cara menjalankan (berurutan, paralel atau Dask): benih setiap "
            "run ditetapkan sebelum dijalankan, jadi perintah yang sama memberi angka yang sama di mana pun. "
            "Replikasi ke-<em>i</em> setiap konfigurasi memakai benih yang sama (common random numbers).</p>",
        ),
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
            f"<tr><td><code>{esc(r.run_id)}</code></td><td>{esc(data.names.get(int(r.config_index), r.label))}</td>"
            f"<td>{esc(r.replication)}</td><td>{esc(r.seed)}</td><td><code>{esc(r.error)}</code></td></tr>"
            for r in failed.itertuples()
        )
        parts.append(
            "<h3>Failed runs</h3><div class=scroll><table><thead><tr><th>run</th><th>configuration</th>"
            f"<th>replication</th><th>seed</th><th>error</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    return "".join(parts)


def _section_finals(data: ReportData) -> str:
    ks = list(range(len(data.configs)))
    head = "".join(
        f"<th>{esc(data.names[k])}<br><span class=muted>n = {int((data.ok['config_index'] == k).sum())}</span></th>"
        for k in ks
    )
    rows, not_final = [], []
    constant = constant_outcomes(data)
    for o in data.outcomes:
        if not has_values(data, o) or o in constant:
            continue
        stats_k = [mean_ci(final_values(data, k, o)) for k in ks]
        decs = [d for d in (ci_decimals(lo, hi) for _, lo, hi in stats_k) if d is not None]
        row_dec = max(decs) if decs else None  # one precision per row: the narrowest interval's
        cells = []
        for mean, lo, hi in stats_k:
            m, ci = ci_text(mean, lo, hi, row_dec)
            cells.append(f"<td class=num>{m}<br><span class=ci>{ci}</span></td>")
        if all(not final_values(data, k, o).size for k in ks):
            not_final.append(o)
        rows.append(f"<tr><td>{_outcome_cell(o)}</td>{''.join(cells)}</tr>")
    note = ""
    if not_final:
        note = (
            "<p class=note>&ndash;: not computed in the final month ("
            + ", ".join(esc(o) for o in not_final)
            + "; some network metrics are computed only every few months).</p>"
        )
    note += _constant_note(data)
    return (
        f"<p>{tr('finals_lead').format(steps=esc(data.manifest.get('steps', '?')))}</p>"
        f"<div class=scroll><table class=grid><thead><tr><th>{tr('th_outcome')}</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def _constant_note(data: ReportData) -> str:
    constant = constant_outcomes(data)
    if not constant:
        return ""
    items = ", ".join(
        f"{esc(outcome_label(o, LANG.get()))} = {num(float(data.ok[f'final_{o}'].astype(float).dropna().iloc[0]))}"
        for o in constant
    )
    if LANG.get() == "id":
        return f"<p class=note>Tidak ditampilkan karena sama di setiap replikasi dan konfigurasi: {items}.</p>"
    return (
        f"<p class=note>Left out, the same in every run of every configuration (nothing to compare; e.g. the "
        f"E-I index of a model with one village): {items}.</p>"
    )


def _difference_rows(data: ReportData, diff: pd.DataFrame, show_reference: bool = False) -> tuple[list[str], int, int]:
    """Table rows of classified differences; the counts of findings and of small effects."""
    rows = []
    n_big = n_small = 0
    constant = constant_outcomes(data)
    for _, part in diff.groupby(["label", "reference"], sort=False):
        for o in data.outcomes:
            r = part[part["outcome"].astype(str) == o]
            if r.empty or not has_values(data, o) or o in constant:
                continue
            r = r.iloc[0]
            mean, lo, hi, sd, n = (
                float(r["mean_difference"]),
                float(r["ci_low"]),
                float(r["ci_high"]),
                float(r["sd"]),
                int(r["n"]),
            )
            m, ci = ci_text(mean, lo, hi, signed=True)
            ref_k = int(r["reference_index"]) if "reference_index" in r and pd.notna(r["reference_index"]) else data.ref
            ref_mean = mean_ci(final_values(data, ref_k, o))[0]
            pct = "&ndash;"
            if np.isfinite(mean) and np.isfinite(ref_mean) and ref_mean != 0:
                share = round(100.0 * mean / abs(ref_mean), 1)
                pct = loc(f"{share:+.1f}%") if share != 0 else loc("0.0%")
            flag, big = bool(r["excludes_zero"]), bool(r["important"])
            minimum = float(r["minimum"])
            n_big += big
            n_small += flag and not big
            if n > 1 and sd == 0 and mean == 0:
                verdict = say("no: identical in every replication", "tidak: sama di setiap replikasi")
            elif big:
                verdict = f"<strong>{say('yes: a finding', 'ya: temuan')}</strong>"
            elif flag:
                verdict = say("yes, but smaller than the minimum", "ya, tetapi lebih kecil dari batas minimum")
            elif np.isfinite(lo):
                verdict = say("no", "tidak")
            else:
                verdict = "&ndash;"
            klass = " class=flag" if big else (" class=small" if flag else "")
            ref_cell = f"<td>{esc(r['reference'])}</td>" if show_reference else ""
            rows.append(
                f"<tr{klass}><td>{esc(r['label'])}</td>{ref_cell}"
                f"<td>{_outcome_cell(o)}</td><td class=num>{n}</td><td class=num>{m}</td>"
                f"<td class=num>{ci}</td><td class=num>{pct}</td><td class=num>{num(minimum)}</td>"
                f"<td>{verdict}</td></tr>"
            )
    return rows, n_big, n_small


def _section_differences(data: ReportData) -> str:
    diff = data.differences
    if diff.empty:
        return (
            "<p>Only one configuration has finished runs, so there are no differences to show.</p>"
            if len(data.configs) > 1 or not data.ok.empty
            else "<p>No differences to show.</p>"
        )
    rows, n_big, n_small = _difference_rows(data, diff)
    if LANG.get() == "id":
        lead = (
            f"<p>Hasil bulan terakhir setiap konfigurasi dikurangi hasil pembanding (<strong>"
            f"{esc(data.names[data.ref])}</strong>), berpasangan per replikasi, dengan IK 95% berpasangan. "
            f"<strong>{n_big}</strong> selisih memiliki IK yang tidak mencakup nol dan besarnya paling sedikit batas "
            f"minimum (temuan, disorot); {n_small} lainnya tidak mencakup nol tetapi lebih kecil dari batas minimum "
            "(abu-abu).</p><p class=note>Hanya bulan terakhir yang dibandingkan: efek yang sudah lewat terlihat di "
            "deret waktu, bukan di sini. Karena replikasi ke-<em>i</em> setiap konfigurasi memakai benih yang sama, "
            "IK bisa sangat sempit: selisih yang IK-nya tidak mencakup nol bisa tetap terlalu kecil untuk berarti, "
            "karena itu ada kolom minimum. IK menggambarkan keacakan model antar-replikasi, bukan ketidakpastian "
            "parameternya atau seberapa baik model mewakili koperasi nyata.</p>"
        )
    else:
        lead = (
            f"<p>Each configuration's final-month outcome minus the reference's (<strong>{esc(data.names[data.ref])}"
            "</strong>), paired by replication, with the paired 95% confidence interval. "
            f"<strong>{n_big}</strong> difference{'s' if n_big != 1 else ''} ha{'ve' if n_big != 1 else 's'} an "
            "interval that excludes zero and a size of at least the minimum of practical importance (findings, "
            f"highlighted); {n_small} more exclude{'s' if n_small == 1 else ''} zero but "
            f"{'is' if n_small == 1 else 'are'} smaller than the minimum (grey).</p>"
            "<p class=note>Only the final month is compared: an effect that has passed by then (a shock that "
            "ended, a programme that stopped) shows in the time series below, not here. "
            "Because replication <em>i</em> of every configuration shares its seed, much of the chance variation "
            "cancels in the pairs and intervals can be very narrow: a difference whose interval excludes zero can "
            "still be too small to matter, hence the minimum column (see Key findings). With many outcomes, about "
            "one in twenty differences that are truly zero will exclude zero by chance. The intervals describe "
            "the model's own randomness across replications, not uncertainty in its parameters or in how well it "
            "represents real cooperatives.</p>"
        )
    return (
        lead + f"<div class=scroll><table class=grid><thead><tr><th>{tr('th_config')}</th><th>{tr('th_outcome')}</th>"
        f"{tr('th_diff_row')}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _section_contrasts(data: ReportData) -> str:
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


def _section_discovery(found: Any) -> str:
    from .discovery import no_box_reason

    id_ = LANG.get() == "id"
    lead = (
        f"PRIM (Friedman &amp; Fisher 1999, lewat EMA Workbench): kotak parameter tempat run dengan nilai akhir "
        f"<code>{esc(found.condition)}</code> terkumpul ({found.cases} dari {found.runs} run). "
        "Cakupan: bagian dari semua kasus yang ada di dalam kotak; kepadatan: bagian run di dalam kotak yang "
        "merupakan kasus; massa: bagian semua run yang ada di dalam kotak."
        if id_
        else f"PRIM (Friedman &amp; Fisher 1999, via EMA Workbench): parameter boxes where the runs whose final "
        f"<code>{esc(found.condition)}</code> concentrate ({found.cases} of {found.runs} runs are such cases). "
        "Coverage: the share of all cases inside the box; density: the share of the box's runs that are cases; "
        "mass: the share of all runs inside the box. Parameters that vary: "
        + ", ".join(f"<code>{esc(p)}</code>" for p in found.parameters)
        + "."
    )
    if found.left_out:
        lead += f" ({found.left_out} runs without a final value left out.)"
    if not found.boxes:
        return f"<p>{lead}</p><p class=nothing><strong>{esc(no_box_reason(found))}.</strong></p>"
    rows = []
    for i, b in enumerate(found.boxes, 1):
        restr = "<br>".join(esc(r.text()) for r in b.restrictions)
        rows.append(
            f"<tr><td class=num>{i}</td><td class=num>{loc(f'{b.coverage:.0%}')}</td>"
            f"<td class=num>{loc(f'{b.density:.0%}')}</td><td class=num>{loc(f'{b.mass:.0%}')} ({b.n})</td>"
            f"<td>{restr}</td></tr>"
        )
    head = (
        "<th>kotak</th><th>cakupan</th><th>kepadatan</th><th>massa (run)</th><th>rentang yang dibatasi</th>"
        if id_
        else "<th>box</th><th>coverage</th><th>density</th><th>mass (runs)</th><th>restricted ranges</th>"
    )
    return (
        f"<p>{lead}</p><div class=scroll><table class=grid><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
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
.levers{font-size:.9rem;color:#2a3448}.keybox .levers li{font-size:.9rem}
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


def _title(data: ReportData) -> str:
    return say("kopsim report", "laporan kopsim") + f": {data.manifest.get('experiment', data.root.name)}"


def _render(
    data: ReportData,
    network: bool,
    figure_dir: Path | None = None,
    found: Any = None,
    early: EarlyNetwork | None = None,
) -> str:
    m = data.manifest
    data.figure_dir = figure_dir
    title = _title(data)
    reps, steps = m.get("replications", "?"), m.get("steps", "?")
    n_text = (
        f"{len(data.configs)} configuration{'s' if len(data.configs) != 1 else ''}"
        if data.lang == "en"
        else str(len(data.configs))
    )
    sub = (
        tr("sub").replace("{n} configuration(s)", "{n}").format(n=n_text, reps=esc(reps), steps=esc(steps))
        + f" <code>{esc(data.root)}</code>"
    )
    sections = [("findings", tr("findings"), section_findings(data))]
    if found is not None:
        sections.append(("discovery", tr("discovery"), _section_discovery(found)))
    if data.pdf is not None:  # the PDF opens with the same words, before any figure
        from .report_pdf import html_blocks, text_pages

        head = f"<h1>{esc(title)}</h1><p>{sub}</p>"
        text_pages(data.pdf, html_blocks(head + "".join(f"<h2>{esc(t)}</h2>{c}" for _, t, c in sections)))
    sections += [
        ("compared", tr("compared"), _section_compared(data)),
        ("settings", tr("settings"), _section_settings(data)),
        ("finals", tr("finals"), _section_finals(data)),
        ("differences", tr("differences"), _section_differences(data)),
    ]
    contrasts = _section_contrasts(data)
    if contrasts:
        sections.append(("contrasts", tr("contrasts"), contrasts))
    if data.pdf is None:  # drawn in parallel; the PDF takes its pages in order, one by one
        drawn = figure_sections(data, network, early=early)
    else:
        drawn = {"forest": section_forest(data), "distributions": section_distributions(data)}
        drawn["timeseries"] = section_time_series(data)
        if network:
            drawn["network"] = section_network(data)
    if drawn["forest"]:
        sections.append(("forest", tr("forest"), drawn["forest"]))
    if drawn["distributions"]:
        sections.append(("distributions", tr("distributions"), drawn["distributions"]))
    sections.append(("timeseries", tr("timeseries"), drawn["timeseries"]))
    if network:
        sections.append(("network", tr("network"), drawn["network"]))
    nav = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title, _ in sections)
    body = "".join(f'<h2 id="{sid}">{esc(title)}</h2>{content}' for sid, title, content in sections)
    made = time.strftime("%Y-%m-%d %H:%M:%S %z")
    return (
        f"<!DOCTYPE html>\n<html lang={LANG.get()}><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class=sub>{sub}</p><nav>{nav}</nav>{body}"
        + say(
            f"<footer>Made by <code>kopsim report</code> (kopsim {esc(kopsim.__version__)}) on {esc(made)}. "
            "kopsim is an agent-based model of social capital in Indonesian cooperatives (koperasi) and small "
            "enterprises (UMKM); its results are model outcomes, not observations.</footer>",
            f"<footer>Dibuat oleh <code>kopsim report</code> (kopsim {esc(kopsim.__version__)}) pada {esc(made)}. "
            "kopsim adalah model berbasis agen tentang modal sosial di koperasi dan UMKM Indonesia; hasilnya "
            "adalah keluaran model, bukan pengamatan.</footer>",
        )
        + "</body></html>\n"
    )
