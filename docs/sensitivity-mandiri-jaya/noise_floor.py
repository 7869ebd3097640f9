"""Noise floor of the Morris screening (docs/CALIBRATION.md, "Global sensitivity of the survey statistics").

A parameter whose change only reshuffles the random streams (a new member set, hence other
respondents) still gets an elementary effect: the difference of two means of R replications,
divided by the Morris step Δ = p / (2(p − 1)) (2/3 for p = 4 levels). At the middle of the priors,
G groups of R runs with independent seeds give σ_R, the s.d. of a mean of R runs, and the
expected |elementary effect| of pure noise, E|N(0, 2σ_R²)| / Δ = (2 / √π) σ_R / Δ. Writes
noise_floor.csv (one row per outcome).

    python docs/sensitivity-mandiri-jaya/noise_floor.py   # about 1 minute on 2 cores
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from kopsim.experiments import sensitivity as sa
from kopsim.scenario import load

GROUPS, REPLICATIONS, LEVELS, ROOT = 12, 10, 4, 7
OUTCOMES = (
    "survey,members,arrears_share_of_members,trust_institution_mean,"
    "participation_organisation,participation_business,participation_capital,rat_attendance"
)


def main() -> None:
    scen = load("mandiri_jaya")
    factors, targets = sa.factors_from_targets("mandiri_jaya", scen.params)
    middle = {
        f.key: int(f.value((f.bounds[0] + f.bounds[1]) / 2)) if f.integer else f.value((f.bounds[0] + f.bounds[1]) / 2)
        for f in factors
    }
    params = scen.params.replace({**middle, "metrics.network_every": 0, "metrics.centrality_every": 0})
    outcomes = sa.parse_outcomes(OUTCOMES, params, survey=True)
    survey = sa.SurveySpec(targets.respondents, targets.cooperative, dict(targets.response))
    seeds = sa.sample_seeds(ROOT, GROUPS, REPLICATIONS, "independent")
    tasks = [sa.Task(g, params, (), seeds[g], scen.steps, tuple(outcomes), "final", survey) for g in range(GROUPS)]
    with ProcessPoolExecutor(2) as ex:
        means = np.array([y for _, y, _ in ex.map(sa.evaluate, tasks)])
    sd = np.nanstd(means, axis=0, ddof=1)
    delta = LEVELS / (2 * (LEVELS - 1))
    floor = 2 / math.sqrt(math.pi) * sd / delta
    out = pd.DataFrame(
        {"outcome": outcomes, "mean": np.nanmean(means, axis=0), "sd_of_mean": sd, "noise_mu_star": floor}
    )
    out.to_csv(Path(__file__).with_name("noise_floor.csv"), index=False, float_format="%.4g")
    print(out.to_string(index=False))


if __name__ == "__main__":
    main()
