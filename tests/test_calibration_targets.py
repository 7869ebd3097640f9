"""Targets of every kind (issue #11): missing statistics, time series, PTP scores and zones, and
trust shares among a group; parsing, one-line errors naming the key, distances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kopsim.experiments import calibration as cal
from kopsim.experiments.calibration.distance import rescaled_sum
from kopsim.experiments.calibration.predictive import quantiles

PRIORS = {"governance.honorarium_cost": {"low": 0, "high": 5}}


def survey_targets(**extra):
    head = {"respondents": 30, "spearman": {"organisation": 0.5, "business": 0.4}, "items": {"rat_attendance": 80}}
    return cal.targets_from_dict({"targets": {**head, **extra}, "priors": PRIORS}, "t.toml")


def stats(rs_org: float, rs_bus: float, total: float = 80.0) -> dict[str, float]:
    return {"respondents": 30.0, "rs.organisation": rs_org, "rs.business": rs_bus, "total.rat_attendance": total}


# ---- 1. undefined statistics are missing, not 0 --------------------------------------------------
def test_an_undefined_spearman_term_is_dropped_and_the_distance_rescaled():
    targets = survey_targets()
    d = cal.SurveyDistance(targets.targets)
    full = stats(0.3, 0.1, 75.0)
    terms = d.terms(full)
    assert d(full) == sum(terms.values())  # all defined: the plain sum, bit for bit
    missing = stats(math.nan, 0.1, 75.0)
    assert d.missing(missing) == ["rs.organisation"]
    defined = terms["rs.business"] + terms["total.rat_attendance"]
    assert d(missing) == pytest.approx(defined * 3 / 2)
    # counting the missing r_s as 0 would give a different (and arbitrary) distance
    as_zero = d(stats(0.0, 0.1, 75.0))
    assert as_zero != pytest.approx(d(missing))
    assert d(stats(math.nan, math.nan, 80.0)) == pytest.approx(0.0)  # only the total, which matches
    assert math.isinf(rescaled_sum([math.nan, math.nan]))
    assert rescaled_sum([1.0, 2.0]) == 3.0


def test_the_ppc_reports_how_often_a_statistic_was_missing():
    q05, med, q95, missing = quantiles(np.array([0.1, np.nan, 0.3, np.nan]))
    assert missing == 0.5 and q05 <= med <= q95 and med == pytest.approx(0.2)
    targets = survey_targets()
    draws = pd.DataFrame([stats(0.2, 0.3), stats(math.nan, 0.3), stats(0.4, 0.3), stats(0.5, 0.3)])
    ppc = cal.ppc_table(targets, draws).set_index("statistic")
    assert ppc.loc["rs.organisation", "missing"] == 0.25
    assert ppc.loc["rs.business", "missing"] == 0.0
    assert math.isfinite(ppc.loc["rs.organisation", "median"])
    from kopsim.experiments.calibration.fit import missing_notes

    notes = missing_notes(ppc.reset_index())
    assert len(notes) == 1 and notes[0].startswith("rs.organisation was undefined in 25%")
