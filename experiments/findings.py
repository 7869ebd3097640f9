"""Key findings: the differences that are outside their 95% CI and at least the minimum of practical
importance, as sentences (the report's first box), as rows (:func:`key_findings`) and as a terminal
table (:func:`findings_text`, printed after ``kopsim compare`` and ``sweep``)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .i18n import LANG, ci_decimals, ci_text, esc, loc, num, pct, say, tr
from .reportdata import ReportData, has_values, load, prepare


def key_findings(
    results_dir: str | Path,
    reference: str | int | None = None,
    contrasts: Sequence[str] = (),
    min_effect: float | stats.MinEffect = stats.MIN_EFFECT,
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
    min_effect: float | stats.MinEffect = stats.MIN_EFFECT,
) -> str:
    """The key findings as a plain-text table for the terminal (a sentence when nothing passes), then what
    each intervention can and cannot move by construction."""
    data = prepare(load(Path(results_dir)), reference, contrasts, "en", min_effect)
    rows = finding_rows(data)
    steps = data.manifest.get("steps", "?")
    head = (
        f"Key findings at month {steps}: differences outside their 95% CI and at least "
        f"{pct(data.min_rel)} of the outcome's scale{_absolute_text(data)} (paired by replication)"
    )
    levers = "".join(
        "\n"
        + textwrap.fill(
            f"{kind}: can move {', '.join(can) or '(none of these outcomes)'}"
            + (f"; cannot move by construction: {', '.join(cannot)}" if cannot else "")
            if documented
            else f"{kind}: not in the model's lever map",
            width=110,
            initial_indent="  ",
            subsequent_indent="      ",
            break_on_hyphens=False,
        )
        for kind, can, cannot, documented in lever_notes(data, plain=True)
    )
    if levers:
        levers = "\nWhat each intervention can move (model's lever map):" + levers
    if data.differences.empty and data.contrasts is None:
        return head + "\n  nothing to compare (one configuration with finished runs)" + levers
    if not rows:
        return head + "\n  " + nothing_passes(data, html_out=False) + levers
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
    return head + "\n" + "\n".join(lines) + levers


def _absolute_text(data: ReportData) -> str:
    """``" (members: 5; ...)"``: the outcomes given an absolute minimum, in their own units."""
    if not data.min_abs:
        return ""
    items = [f"{label_and_unit(o)[0]}: {num(v)}" for o, v in data.min_abs.items()]
    lead = ", kecuali" if LANG.get() == "id" else ", except"
    return f"{lead} {'; '.join(items)}"


SIGNS = {"+": "+", "-": "\u2212", "±": "±"}


def _sign(entry: Any, outcome: str) -> str:
    """The lever map's sign for ``outcome``: from a :class:`kopsim.levers.Lever` (``sign``) or a plain dict."""
    if hasattr(entry, "sign"):
        return str(entry.sign(outcome))
    return str(entry.get(outcome, "?")) if isinstance(entry, dict) else "?"


def lever_notes(data: ReportData, plain: bool = False) -> list[tuple[str, list[str], list[str], bool]]:
    """Per intervention kind used by any compared configuration: the report's outcomes it can move (with the
    direction: + raise, \u2212 lower, ± either) and those it cannot move by construction, from
    :mod:`kopsim.levers`, and whether the map documents the kind at all. ``plain``: outcome column names
    (for the terminal) instead of labels."""
    from kopsim.levers import LEVERS, lever_note

    kinds = list(dict.fromkeys(str(i.get("kind")) for c in data.configs for i in c.get("interventions") or []))
    out: list[tuple[str, list[str], list[str], bool]] = []
    for kind in kinds:
        if kind not in LEVERS:
            out.append((kind, [], [], False))
            continue
        can, cannot = lever_note(kind)

        def name(o: str) -> str:
            return o if plain else label_and_unit(o)[0]

        entry = LEVERS[kind]
        can_t = [f"{name(o)} ({SIGNS.get(_sign(entry, o), '?')})" for o in can if o in data.outcomes]
        cannot_t = [name(o) for o in cannot if o in data.outcomes]
        out.append((kind, can_t, cannot_t, True))
    return out


def section_levers(data: ReportData) -> str:
    """The lever note: which outcomes each intervention can and cannot move, so a tight zero difference in an
    outcome it cannot move is not read as evidence of no effect."""
    notes = lever_notes(data)
    if not notes:
        return ""
    id_ = LANG.get() == "id"
    items = []
    for kind, can, cannot, documented in notes:
        if not documented:
            missing = "tidak ada dalam peta tuas model" if id_ else "not in the model's lever map"
            items.append(f"<li><code>{esc(kind)}</code>: {missing}.</li>")
            continue
        can_w, cannot_w = (
            ("dapat menggerakkan", "tidak dapat menggerakkan (menurut konstruksi model)")
            if id_
            else (
                "can move",
                "cannot move by construction",
            )
        )
        none = "tidak satu pun hasil di laporan ini" if id_ else "none of the outcomes in this report"
        text = f"<code>{esc(kind)}</code> {can_w}: {esc(', '.join(can) or none)}"
        if cannot:
            text += f"; <strong>{cannot_w}</strong>: {esc(', '.join(cannot))}"
        items.append(f"<li>{text}.</li>")
    lead = (
        "Apa yang dapat digerakkan setiap intervensi (peta tuas model, <code>kopsim.levers</code>; + menaikkan, "
        "\u2212 menurunkan, ± keduanya). Selisih nol yang sempit pada hasil yang tidak dapat digerakkan bukanlah "
        "bukti bahwa intervensi itu tidak berpengaruh: model memang tidak menghubungkannya."
        if id_
        else "What each intervention can move (the model's lever map, <code>kopsim.levers</code>; + raises, "
        "\u2212 lowers, ± either way). A tight zero difference in an outcome an intervention cannot move is no "
        "evidence that it does not work: the model has no mechanism linking the two."
    )
    return f"<div class=levers><p>{lead}</p><ul>{''.join(items)}</ul></div>"


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
            f"rata-rata bulanan terbesar dari pembanding (mis. jumlah anggota terbanyak){esc(_absolute_text(data))}. "
            "Ubah dengan <code>kopsim report --min-effect 0,05</code> atau per hasil, dalam satuannya sendiri: "
            "<code>--min-effect members=5</code>."
        ).replace("0,05</code>", "0.05</code>")
    return (
        f"A finding is a difference in the final month (month {esc(data.manifest.get('steps', '?'))}) whose 95% "
        f"confidence interval excludes zero <em>and</em> whose size is at least {share} of the outcome's scale "
        "(the minimum of practical importance): its fixed range for bounded outcomes (shares, trust, skill: 0 to "
        f"1, so {rel}; the E-I index: -1 to +1), otherwise the reference's largest monthly "
        f"mean (e.g. its largest membership or savings){esc(_absolute_text(data))}. Change it with "
        "<code>kopsim report --min-effect 0.05</code>, or per outcome in its own units: "
        "<code>--min-effect members=5</code>."
    )


def nothing_passes(data: ReportData, html_out: bool = True) -> str:
    frames = classified(data)
    small = sum(int((f["excludes_zero"] & ~f["important"]).sum()) for f in frames)
    no_ci = all(not np.isfinite(f["ci_low"].astype(float)).any() for f in frames)
    steps = data.manifest.get("steps", "?")
    share = f"{100 * data.min_rel:.3g}%"
    if LANG.get() == "id" and html_out:
        text = (
            f"Tidak ada selisih yang lolos kedua uji (di luar IK 95% dan paling sedikit {loc(share)} dari skala "
            f"hasil) pada bulan ke-{steps}."
        )
        if small:
            text += f" {small} selisih memiliki IK yang tidak mencakup nol tetapi lebih kecil dari batas minimum."
        if no_ci:
            text += " Tidak ada IK: setiap konfigurasi perlu paling sedikit 2 replikasi."
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
    if no_ci:  # e.g. a sweep with one replication: nothing can pass, and the reader should know why
        text += " There are no confidence intervals: that needs at least 2 replications of each configuration."
    return text


def section_findings(data: ReportData) -> str:
    frames = classified(data)
    if not frames:
        text = (
            "Only one configuration has finished runs: there is nothing to compare."
            if LANG.get() == "en"
            else "Hanya satu konfigurasi yang selesai: tidak ada yang dibandingkan."
        )
        return f"<div class=keybox><p>{text}</p>{section_levers(data)}</div>"
    rows = finding_rows(data)
    parts = []
    if not rows:
        parts.append(f"<p class=nothing><strong>{esc(nothing_passes(data))}</strong></p>")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for frame in frames:  # every compared pair, in order, so a pair without findings says so
        for pair in zip(frame["label"].astype(str), frame["reference"].astype(str), strict=True):
            groups.setdefault(pair, [])
    for r in rows:
        groups.setdefault((r["configuration"], r["reference"]), []).append(r)
    none = say(
        "No difference passes both tests (outside the 95% CI and at least the minimum).",
        "Tidak ada selisih yang lolos kedua uji (di luar IK 95% dan paling sedikit batas minimum).",
    )
    if rows:  # with no findings at all, the one sentence above says it for every pair
        for (a, b), items in groups.items():
            body = "".join(f"<li>{esc(r['sentence'])}.</li>" for r in items) or f"<li class=muted>{none}</li>"
            parts.append(f"<h3>{esc(a)} <span class=muted>vs</span> {esc(b)}</h3><ul class=findings>{body}</ul>")
    small = []
    for frame in frames:
        for r in frame[frame["excludes_zero"] & ~frame["important"]].itertuples():
            if has_values(data, str(r.outcome)):
                m, _ = ci_text(float(r.mean_difference), float(r.ci_low), float(r.ci_high), signed=True)
                who = esc(r.label)
                if str(r.reference) != data.names[data.ref]:  # a contrast: name its B
                    who += f" vs {esc(r.reference)}"
                small.append(f"{who}: {esc(label_and_unit(str(r.outcome))[0])} {m}")
    if small:
        lead = (
            "Also outside the 95% CI but below the minimum of practical importance (not findings): "
            if LANG.get() == "en"
            else "Juga di luar IK 95% tetapi di bawah batas minimum (bukan temuan): "
        )
        parts.append(f"<p class=small-effects>{lead}{'; '.join(small)}.</p>")
    parts.append(section_levers(data))
    parts.append(f"<p class=note>{threshold_text(data)}</p>")
    return "<div class=keybox>" + "".join(parts) + "</div>"
