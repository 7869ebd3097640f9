"""Words and numbers in the report's language: English or Indonesian (``LANG``, set per report).

Indonesian swaps the decimal point and the thousands separator (1,234.5 -> 1.234,5), because a reader
there takes "," for the decimal mark; a confidence interval's bounds are then separated by ";".
Booleans are written as words (true/false, ya/tidak), never Python's True/False.
"""

from __future__ import annotations

import html
import math
import re
from contextvars import ContextVar
from typing import Any

import numpy as np

LANGS = ("en", "id")
LANG: ContextVar[str] = ContextVar("kopsim_report_lang", default="en")


def esc(value: Any) -> str:
    """``value`` as HTML text."""
    return html.escape(str(value), quote=True)


def loc(text: str) -> str:
    """``text`` (a number formatted the English way) in the report's language: Indonesian swaps the
    decimal point and the thousands separator (1,234.5 -> 1.234,5)."""
    if LANG.get() == "id":
        return text.translate(str.maketrans(",.", ".,"))
    return text


def nonzero(text: str) -> bool:
    """Whether a formatted number shows any non-zero digit (in either language's format)."""
    mantissa = re.split("[eE]", text)[0]
    return bool(re.search("[1-9]", mantissa))


def num(x: float, decimals: int | None = None) -> str:
    """A number for a table: fixed decimals if given, else up to 4 significant digits (in the report's language)."""
    if x is None or not np.isfinite(x):
        return "&ndash;"
    if decimals is not None:
        text = f"{x:,.{decimals}f}"
        if float(text.replace(",", "")) == 0.0:
            text = text.lstrip("-")
        return loc(text)
    if x == 0:
        return "0"
    if abs(x) >= 1e4:
        return loc(f"{x:,.0f}")
    if abs(x) < 1e-3:
        return loc(f"{x:.2e}")
    return loc(f"{x:.4g}")


def pct(share: float) -> str:
    """A share as a percentage (0.02 -> 2%), in the report's language."""
    return loc(f"{100 * share:.3g}%")


def ci_decimals(lo: float, hi: float) -> int | None:
    """Decimals that show the interval's half-width to two significant digits (None if no width)."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return None
    half = (hi - lo) / 2.0
    return int(min(8, max(0, 1 - math.floor(math.log10(half)))))


def ci_text(mean: float, lo: float, hi: float, decimals: int | None = None, signed: bool = False) -> tuple[str, str]:
    """Mean and ``[low, high]`` at the precision of the interval (or ``decimals``)."""
    d = decimals if decimals is not None else ci_decimals(lo, hi)
    sep = "; " if LANG.get() == "id" else ", "  # a comma is the Indonesian decimal mark
    if d is None:
        m = num(mean)
        ci = "&ndash;" if not (np.isfinite(lo) and np.isfinite(hi)) else f"[{num(lo)}{sep}{num(hi)}]"
    else:
        m, ci = num(mean, d), f"[{num(lo, d)}{sep}{num(hi, d)}]"
    if signed and np.isfinite(mean) and not m.startswith("-") and nonzero(m):
        m = "+" + m
    return m, ci


T: dict[str, dict[str, str]] = {
    "findings": {"en": "Key findings", "id": "Temuan utama"},
    "compared": {"en": "What was compared", "id": "Apa yang dibandingkan"},
    "settings": {"en": "Run settings", "id": "Pengaturan simulasi"},
    "finals": {"en": "Final outcomes per configuration", "id": "Hasil akhir per konfigurasi"},
    "differences": {"en": "Differences from the reference", "id": "Selisih terhadap pembanding"},
    "contrasts": {"en": "Pairwise contrasts", "id": "Perbandingan berpasangan"},
    "forest": {"en": "Forest plot of the differences", "id": "Diagram hutan (forest plot) selisih"},
    "timeseries": {"en": "Outcomes over time", "id": "Hasil dari waktu ke waktu"},
    "distributions": {"en": "Distribution of final values", "id": "Sebaran nilai akhir"},
    "discovery": {"en": "Scenario discovery", "id": "Penemuan skenario (scenario discovery)"},
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


def say(en: str, id_: str) -> str:
    """``en`` or its Indonesian ``id_``, by the report's language (for text used once)."""
    return id_ if LANG.get() == "id" else en


def tr(key: str) -> str:
    return T[key].get(LANG.get(), T[key]["en"])


def as_text(v: Any) -> str:
    """A parameter value as a reader expects it: booleans as true/false (not Python's True/False)."""
    if isinstance(v, bool | np.bool_):
        return tr("true") if v else tr("false")
    if isinstance(v, float):
        return loc(f"{v:g}")
    if isinstance(v, list | tuple):
        return "[" + ", ".join(as_text(x) for x in v) + "]"
    return str(v)
