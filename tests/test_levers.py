"""The lever → outcome map (kopsim.levers, docs/ODD.md) checked against the model.

Each intervention kind runs on the same small population with the same seeds as the model
without it (common random numbers). Every "+" or "-" the map claims must show as a paired
difference of that sign, several standard errors from zero; every outcome the map says the
lever cannot move ("0") must stay within the noise of the paired differences. So a lever cut
from its mechanism, a sign flipped in the wiring, or an undocumented effect makes a test fail.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from helpers import small_params

from kopsim import levers
from kopsim.interventions import KINDS, from_dict
from kopsim.model import CooperativeModel

SEEDS = range(6)
STEPS = 60
CLEAR = 2.5  # a claimed effect: paired t beyond this, in the claimed direction
NOISE = 3.5  # a claimed non-effect: paired |t| within this

BASE = {"metrics": {"network_every": 0, "centrality_every": 0}}


def _params(kind: str) -> dict:
    return small_params({**BASE, **levers.TEST_CASES.get(kind, {})})


@cache
def _finals(kind: str | None, case: str) -> pd.DataFrame:
    """Mean of every outcome over the last 12 months, one row per seed (``case``: whose parameters)."""
    ivs = []
    if kind is not None:
        spec = {"kind": kind, "start": 6, **({"every": 12} if KINDS[kind].recurring else {})}
        spec.update(levers.TEST_DOSES.get(kind, {}))
        ivs = [from_dict(spec)]
    rows = [
        CooperativeModel(_params(case), seed=seed, interventions=ivs)
        .run(STEPS)[list(levers.OUTCOMES)]
        .iloc[-12:]
        .mean()
        for seed in SEEDS
    ]
    return pd.DataFrame(rows)


def paired_t(kind: str) -> pd.Series:
    """Paired t statistic of (with − without the lever) for every outcome."""
    d = _finals(kind, kind) - _finals(None, kind)
    se = d.std(ddof=1) / np.sqrt(len(d))
    return d.mean() / se.where(se > 0, np.inf)


def test_the_map_covers_every_intervention_kind_and_outcome_with_a_valid_sign():
    assert set(levers.LEVERS) == set(KINDS)
    for lever in levers.LEVERS.values():
        assert set(lever.moves) <= set(levers.OUTCOMES) and set(lever.cannot) <= set(levers.OUTCOMES)
        assert {lever.sign(o) for o in levers.OUTCOMES} <= set(levers.SIGNS)
        assert lever.chain
    can, cannot = levers.lever_note("digital_marketing")
    assert "umkm_revenue" in can and "skill_mean" in cannot
    assert "`training`" in levers.markdown_table()


def test_the_odd_table_is_the_map():
    from pathlib import Path

    odd = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert levers.markdown_table() in odd


@pytest.mark.parametrize("kind", [k for k in levers.LEVERS if levers.LEVERS[k].moves or levers.LEVERS[k].cannot])
def test_each_claimed_arrow_shows_with_its_sign_and_each_claimed_zero_stays_in_the_noise(kind):
    t = paired_t(kind)
    lever = levers.LEVERS[kind]
    wrong = []
    for outcome in levers.OUTCOMES:
        sign = lever.sign(outcome)
        if sign == "+" and not t[outcome] > CLEAR:
            wrong.append(f"{outcome}: claimed +, paired t {t[outcome]:.1f}")
        elif sign == "-" and not t[outcome] < -CLEAR:
            wrong.append(f"{outcome}: claimed -, paired t {t[outcome]:.1f}")
        elif sign == "0" and not abs(t[outcome]) <= NOISE:
            wrong.append(f"{outcome}: claimed 0, paired t {t[outcome]:.1f}")
    assert not wrong, f"{kind}: " + "; ".join(wrong)
