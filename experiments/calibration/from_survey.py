"""A targets file written from survey data: real answers or published figures (``kopsim calibrate
--from-survey``)."""

from __future__ import annotations

from kopsim.instruments.member_survey import ANSWERS
from kopsim.instruments.published import PublishedSurvey
from kopsim.instruments.survey_analysis import SurveyResult
from kopsim.tomlio import toml_line, toml_table

# The starter [priors] block of a targets file written from data (to edit).
STARTER_PRIORS: dict[str, dict[str, float]] = {
    "participation.benefit_weight": {"low": 0.5, "high": 20},
    "participation.intercept_organisation": {"low": -12, "high": 2},
    "governance.honorarium_cost": {"low": 0, "high": 5},
    "skills.training_quota": {"low": 2, "high": 100},
}


def targets_toml(result: SurveyResult | PublishedSurvey, source: str, shares: bool = True) -> str:
    """A targets file (text) stating every item total, the three Spearman r_s and (for real answers,
    ``shares``) every item's answer shares, with a starter [priors] block to edit."""
    if isinstance(result, PublishedSurvey):
        n = result.respondents
        totals = {k: int(v) for k, v in result.totals.items()}
        rs = {d: v[0] for d, v in result.spearman.items()}
        share_rows: dict[str, tuple[float, float, float]] = {}
    else:
        n = result.n
        totals = {k: int(v) for k, v in result.items["total"].items()}
        rs = {d: float(v) for d, v in result.spearman["rs"].items() if v == v}
        share_rows = {k: (row["share_1"], row["share_2"], row["share_3"]) for k, row in result.items.iterrows()}
    lines = [
        f"# Calibration targets from {source} (written by kopsim calibrate --from-survey).",
        "# Edit [priors] to name the parameters to fit; delete statistics you do not want to fit.",
        "",
        *toml_table("targets", {"respondents": n, "source": source}),
        "",
    ]
    lines += toml_table("targets.items", totals, align=26)
    if rs:
        lines += ["", *toml_table("targets.spearman", {d: round(v, 3) for d, v in rs.items()}, align=14)]
    if shares and share_rows:
        lines += ["", "# shares of respondents answering 1 / 2 / 3 (the totals above already fix their mean)"]
        lines += ["# [targets.shares]"]
        lines += [
            "# " + toml_line(k, {a: round(s, 3) for a, s in zip(ANSWERS, row, strict=True)})
            for k, row in share_rows.items()
        ]
    lines += ["", *toml_table("priors", STARTER_PRIORS)]
    return "\n".join(lines) + "\n"


__all__ = ["targets_toml"]
