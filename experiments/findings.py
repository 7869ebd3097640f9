"""Key findings: the differences that are outside their 95% CI and at least the minimum of practical
importance, as sentences (the report's first box), as rows (:func:`key_findings`) and as a terminal
table (:func:`findings_text`, printed after ``kopsim compare`` and ``sweep``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .i18n import LANG, ci_decimals, ci_text, esc, loc, num, pct, tr
from .reportdata import ReportData, has_values, load, prepare


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
    data = prepare(load(Path(results_dir)), reference, contrasts, lang, min_effect)
    token = LANG.set(lang)
    try:
        return finding_rows(data)
    finally:
        LANG.reset(token)


def findings_text(
    results_dir: str | Path,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    min_effect: float = stats.MIN_EFFECT,
) -> str:
    """The key findings as a plain-text table for the terminal (a sentence when nothing passes)."""
    data = prepare(load(Path(results_dir)), reference, contrasts, "en", min_effect)
    rows = finding_rows(data)
    steps = data.manifest.get("steps", "?")
    head = (
        f"Key findings at month {steps}: differences outside their 95% CI and at least "
        f"{pct(min_effect)} of the outcome's scale (paired by replication)"
    )
    if data.differences.empty and data.contrasts is None:
        return head + "\n  nothing to compare (one configuration with finished runs)"
    if not rows:
        return head + "\n  " + nothing_passes(data, html_out=False)
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


def label_and_unit(outcome: str) -> tuple[str, str]:
    """The outcome's label without a trailing "(unit)" and the unit to write after a number."""
    from kopsim.labels import OUTCOMES, outcome_label

    lang = LANG.get()
    label = outcome_label(outcome, lang)
    unit = OUTCOMES[outcome].unit if outcome in OUTCOMES else ""
    if lang == "id":
        unit = unit.replace("Rp M", "Rp juta").replace("/month", "/bulan")
    if unit and label.endswith(f"({unit})"):
        return label[: -len(unit) - 2].rstrip(), unit
    return label, ""


def classified(data: ReportData) -> list[pd.DataFrame]:
    frames = [data.differences] if not data.differences.empty else []
    if data.contrasts is not None and not data.contrasts.empty:
        frames.append(data.contrasts)
    return frames


def finding_rows(data: ReportData) -> list[dict[str, Any]]:
    """One row per difference that passes both tests (outside its 95% CI, at least the minimum effect)."""
    steps = data.manifest.get("steps", "?")
    rows = []
    for frame in classified(data):
        for r in frame[frame["important"]].itertuples():
            if not has_values(data, str(r.outcome)):
                continue
            mean, lo, hi, minimum = float(r.mean_difference), float(r.ci_low), float(r.ci_high), float(r.minimum)
            d = ci_decimals(lo, hi)
            label, unit = label_and_unit(str(r.outcome))
            size, _ = ci_text(abs(mean), lo, hi, d)
            signed, _ = ci_text(mean, lo, hi, d, signed=True)
            lo_t, hi_t = (num(lo, d), num(hi, d)) if d is not None else (num(lo), num(hi))
            verb = tr("raises") if mean > 0 else tr("lowers")
            unit_text = f" {unit}" if unit else ""
            sentence = (
                f"{r.label} {verb} {label} {tr('by')} {size}{unit_text} ({tr('ci')} {lo_t} {tr('to')} "
                f"{hi_t}) {tr('over')} {r.reference} {tr('at_month')} {steps}"
            )
            if LANG.get() == "id":
                sentence = sentence.replace(f"{tr('at_month')} {steps}", f"{tr('at_month')}{steps}")
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
                    "ci_text": f"{lo_t} {tr('to')} {hi_t}",
                    "minimum_text": num(
                        minimum,
                        None
                        if not np.isfinite(minimum) or minimum == 0
                        else max(0, 1 - math.floor(math.log10(minimum))),
                    ),
                }
            )
    return rows


def threshold_text(data: ReportData) -> str:
    share, rel = pct(data.min_rel), loc(format(data.min_rel, "g"))
    if LANG.get() == "id":
        return (
            f"Temuan = selisih pada bulan terakhir (bulan ke-{esc(data.manifest.get('steps', '?'))}) yang "
            f"interval kepercayaan 95%-nya tidak mencakup nol <em>dan</em> besarnya paling sedikit {share} dari "
            "skala hasil tersebut: rentang tetapnya untuk hasil yang berbatas (proporsi, kepercayaan, "
            f"keterampilan: 0 s.d. 1, jadi {rel}; indeks E-I: -1 s.d. +1), selain itu nilai "
            "rata-rata bulanan terbesar dari pembanding (mis. jumlah anggota terbanyak). Ubah dengan "
            "<code>kopsim report --min-effect</code>."
        )
    return (
        f"A finding is a difference in the final month (month {esc(data.manifest.get('steps', '?'))}) whose 95% "
        f"confidence interval excludes zero <em>and</em> whose size is at least {share} of the outcome's scale "
        "(the minimum of practical importance): its fixed range for bounded outcomes (shares, trust, skill: 0 to "
        f"1, so {rel}; the E-I index: -1 to +1), otherwise the reference's largest monthly "
        "mean (e.g. its largest membership or savings). Change it with <code>kopsim report --min-effect</code>."
    )


def nothing_passes(data: ReportData, html_out: bool = True) -> str:
    small = sum(int((f["excludes_zero"] & ~f["important"]).sum()) for f in classified(data))
    steps = data.manifest.get("steps", "?")
    share = f"{100 * data.min_rel:.3g}%"
    if LANG.get() == "id" and html_out:
        text = (
            f"Tidak ada selisih yang lolos kedua uji (di luar IK 95% dan paling sedikit {loc(share)} dari skala "
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


def section_findings(data: ReportData) -> str:
    frames = classified(data)
    if not frames:
        return (
            "<div class=keybox><p>Only one configuration has finished runs: there is nothing to compare.</p></div>"
            if LANG.get() == "en"
            else "<div class=keybox><p>Hanya satu konfigurasi yang selesai: tidak ada yang dibandingkan.</p></div>"
        )
    rows = finding_rows(data)
    parts = []
    if not rows:
        parts.append(f"<p class=nothing><strong>{esc(nothing_passes(data))}</strong></p>")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["configuration"], r["reference"]), []).append(r)
    for (a, b), items in groups.items():
        parts.append(
            f"<h3>{esc(a)} <span class=muted>vs</span> {esc(b)}</h3><ul class=findings>"
            + "".join(f"<li>{esc(r['sentence'])}.</li>" for r in items)
            + "</ul>"
        )
    small = []
    for frame in frames:
        for r in frame[frame["excludes_zero"] & ~frame["important"]].itertuples():
            if has_values(data, str(r.outcome)):
                m, _ = ci_text(float(r.mean_difference), float(r.ci_low), float(r.ci_high), signed=True)
                small.append(f"{esc(r.label)}: {esc(label_and_unit(str(r.outcome))[0])} {m}")
    if small:
        lead = (
            "Also outside the 95% CI but below the minimum of practical importance (not findings): "
            if LANG.get() == "en"
            else "Juga di luar IK 95% tetapi di bawah batas minimum (bukan temuan): "
        )
        parts.append(f"<p class=small-effects>{lead}{'; '.join(small)}.</p>")
    parts.append(f"<p class=note>{threshold_text(data)}</p>")
    return "<div class=keybox>" + "".join(parts) + "</div>"
