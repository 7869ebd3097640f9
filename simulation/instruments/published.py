"""Published survey figures of a reference case (item totals, Spearman r_s, shares, PTP), bundled
(``mandiri_jaya``: Firdaus & Baga 2019) or read from a TOML file of the same layout."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..participation import DOMAINS
from . import DATA
from .member_survey import ITEMS, SurveyError
from .ptp import PTP_INDICATORS, ptp_zone
from .survey_analysis import CategoryBounds, category_bounds, percent_text

PUBLISHED = {"mandiri_jaya": "mandiri_jaya_2018.toml"}


@dataclass(frozen=True)
class PublishedSurvey:
    """Published survey figures (item totals, Spearman r_s, shares, PTP) of a reference case."""

    name: str
    source: str
    title: str
    respondents: int
    totals: dict[str, int]
    spearman: dict[str, tuple[float, float]]
    shares: dict[str, float]
    ptp: dict[str, Any]
    raw: dict[str, Any]

    @property
    def bounds(self) -> CategoryBounds:
        return category_bounds(self.respondents)

    def format(self) -> str:
        lines = [
            f"{self.title} (published; {self.source})",
            f"respondents: {self.respondents}; categories of an item total: {self.bounds.text()}",
            f"{'item':<28}{'domain':<14}{'total':>6}  category",
        ]
        for kind in ("participation", "benefit"):
            lines.append(f"{kind}:")
            for it in ITEMS:
                if it.kind == kind:
                    t = self.totals[it.name]
                    lines.append(f"  {it.name:<26}{it.domain:<14}{t:>6d}  {self.bounds.category(t)}")
        lines.append(f"Spearman rank correlation of benefit with each participation domain (n = {self.respondents}):")
        for dom, (rs, p) in self.spearman.items():
            lines.append(f"  {dom:<14} r_s = {rs:+.3f}   p = {p:.3f}")
        if self.shares:
            lines.append("shares of respondents:")
            lines += [f"  {k:<32}{percent_text(v):>7}" for k, v in self.shares.items()]
        if self.ptp:
            lines.append("PTP (Development Ladder Assessment):")
            for ind in PTP_INDICATORS:
                if ind in self.ptp:
                    lines.append(f"  {ind:<12}{self.ptp[ind]:>7.1f}  {ptp_zone(ind, self.ptp[ind])}")
            if "total" in self.ptp:
                lines.append(f"  {'total':<12}{self.ptp['total']:>7.1f}  {ptp_zone('total', self.ptp['total'])}")
            for k, v in self.ptp.get("network_items", {}).items():
                lines.append(f"    network: {k:<20}{v:>5.1f}")
        return "\n".join(line.rstrip() for line in lines)


def published_names() -> list[str]:
    return sorted(PUBLISHED)


def load_published(name: str) -> PublishedSurvey:
    """A bundled published dataset by name (``mandiri_jaya``) or a TOML file of the same layout.

    Layout: ``[cooperative]`` with ``name`` and ``respondents``; ``[participation]`` item →
    ``{total, domain}``; ``[benefit]`` item → total; optional ``[spearman]`` domain → ``{rs, p}``,
    ``[shares]`` and ``[ptp]`` (see ``simulation/data/mandiri_jaya_2018.toml``).
    """
    if name in PUBLISHED:
        src = f"simulation/data/{PUBLISHED[name]}"
        text = (DATA / PUBLISHED[name]).read_text(encoding="utf-8")
    elif name.endswith(".toml") or Path(name).exists():
        src = name
        try:
            text = Path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SurveyError(f"{name}: file not found") from None
        except (IsADirectoryError, UnicodeDecodeError):
            raise SurveyError(f"{name}: not a readable UTF-8 text file") from None
    else:
        hint = difflib.get_close_matches(name, published_names(), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise SurveyError(
            f"--published: {name!r} is not a bundled dataset (bundled: "
            f"{', '.join(published_names())}) nor a TOML file{extra}"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SurveyError(f"{src}: not valid TOML: {err}") from None
    coop = _table(data, "cooperative", src)
    part = _table(data, "participation", src)
    ben = _table(data, "benefit", src)
    n = coop.get("respondents")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise SurveyError(f"{src}: cooperative.respondents: expected a whole number >= 1, got {n!r}")
    totals: dict[str, int] = {}
    for it in ITEMS:
        table, key = (part, "participation") if it.kind == "participation" else (ben, "benefit")
        entry = table.get(it.name)
        if entry is None:
            raise SurveyError(f"{src}: {key}.{it.name}: missing")
        value = entry.get("total") if isinstance(entry, dict) else entry
        if not isinstance(value, int) or isinstance(value, bool) or not n <= value <= 3 * n:
            raise SurveyError(f"{src}: {key}.{it.name}: expected a whole-number total in {n}..{3 * n}, got {value!r}")
        if isinstance(entry, dict) and entry.get("domain", it.domain) != it.domain:
            raise SurveyError(f"{src}: {key}.{it.name}.domain: {entry['domain']!r}; this item belongs to {it.domain!r}")
        totals[it.name] = value
    corr: dict[str, tuple[float, float]] = {}
    for dom, entry in data.get("spearman", {}).items():
        if dom not in DOMAINS or not isinstance(entry, dict) or not {"rs", "p"} <= set(entry):
            raise SurveyError(
                f"{src}: spearman.{dom}: expected a domain ({', '.join(DOMAINS)}) = {{ rs = .., p = .. }}"
            )
        corr[dom] = (float(entry["rs"]), float(entry["p"]))
    return PublishedSurvey(
        name,
        src,
        str(coop.get("name", name)),
        n,
        totals,
        corr,
        {k: float(v) for k, v in data.get("shares", {}).items()},
        dict(data.get("ptp", {})),
        data,
    )


def _table(data: dict[str, Any], key: str, src: str) -> dict[str, Any]:
    table = data.get(key)
    if not isinstance(table, dict):
        raise SurveyError(f"{src}: {key}: missing table [{key}]")
    return table


__all__ = ["PUBLISHED", "PublishedSurvey", "load_published", "published_names"]
