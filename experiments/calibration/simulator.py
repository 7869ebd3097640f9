"""One simulation of the calibration: a scenario run with a particle's parameters, surveyed and
summarised as the statistics the targets name.

**One simulation**: the scenario with the particle's parameters (network metrics off: they do
not feed back) run ``steps`` months with a run seed s, then :func:`kopsim.instruments.member_survey.virtual_survey`
of n respondents of the cooperative with survey seed SeedSequence([s, 1]), analysed by
:func:`kopsim.instruments.survey_analysis.analyse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kopsim.instruments.member_survey import ANSWERS, ITEM_NAMES, ResponseModel, SurveyError, virtual_survey
from kopsim.instruments.survey_analysis import SurveyResult, analyse
from kopsim.parameters import ParameterError, Parameters
from kopsim.participation import DOMAINS

if TYPE_CHECKING:
    from .targets import Prior


def survey_statistics(result: SurveyResult, n_target: int) -> dict[str, float]:
    """Every statistic a target can name, of one analysed survey: ``total.<item>`` (the mean answer
    × n_target, so a survey capped at fewer members is on the target's scale), ``share.<item>.<a>``,
    ``rs.<domain>`` (NaN when undefined: a missing statistic, dropped from the distance) and
    ``respondents``."""
    items = result.items.loc[list(ITEM_NAMES)]
    return _statistics(
        result.n,
        items["total"].to_numpy(),
        items[[f"share_{a}" for a in ANSWERS]].to_numpy(),
        result.spearman.loc[list(DOMAINS), "rs"].to_numpy(),
        n_target,
    )


def _statistics(n: int, totals: np.ndarray, shares: np.ndarray, rs: np.ndarray, n_target: int) -> dict[str, float]:
    """The statistics dict of one survey: totals (15,), shares (15, 3), r_s (3,) in ITEM_NAMES / DOMAINS order."""
    x: dict[str, float] = {"respondents": float(n)}
    for k, item in enumerate(ITEM_NAMES):
        x[f"total.{item}"] = float(totals[k]) / n * n_target
        for j, a in enumerate(ANSWERS):
            x[f"share.{item}.{a}"] = float(shares[k, j])
    for k, dom in enumerate(DOMAINS):
        x[f"rs.{dom}"] = float(rs[k])  # NaN when undefined (a constant score): missing, not 0
    return x


INVALID = "invalid"


def batch_survey_statistics(res: Any, n_target: int) -> list[dict[str, float]]:
    """:func:`survey_statistics` of every replicate of a :class:`kopsim.batch.BatchSurveys`
    (``{"invalid": 1}`` for a replicate with too few members)."""
    return [
        _statistics(res.n, res.totals[r], res.shares[r], res.rs[r], n_target) if res.valid[r] else {INVALID: 1.0}
        for r in range(len(res))
    ]


@dataclass(frozen=True)
class SurveySimulator:
    """pyabc's model: the scenario with a particle's parameters, run and surveyed (see the module)."""

    params: Parameters
    interventions: tuple[Any, ...]
    steps: int
    respondents: int
    cooperative: int
    priors: tuple[Prior, ...]
    response: Mapping[str, float] = field(default_factory=dict)

    def split(self, pars: Mapping[str, float]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(scenario overrides, response-model constants) of a particle (pyabc names or keys)."""
        model: dict[str, Any] = {}
        response: dict[str, Any] = dict(self.response)
        for p in self.priors:
            x = pars[p.name] if p.name in pars else pars[p.key]
            if p.response:
                response[p.key.split(".", 1)[1]] = p.value(x)
            else:
                model[p.key] = p.value(x)
        return model, response

    def configure(self, pars: Mapping[str, float]) -> tuple[Parameters, ResponseModel] | None:
        """The scenario's parameters and the response model of a particle; None if the model refuses them."""
        model_over, response = self.split(pars)
        try:
            return self.params.replace(model_over), ResponseModel(**response)
        except ParameterError:
            return None

    def simulate(self, pars: Mapping[str, float], seed: int) -> dict[str, float]:
        """The statistics of one run and survey (``{"invalid": 1}`` for a parameter set the model refuses)."""
        from kopsim.model import CooperativeModel

        configured = self.configure(pars)
        if configured is None:
            return {INVALID: 1.0}
        params, rm = configured
        model = CooperativeModel(params, seed=seed, interventions=self.interventions)
        model.run(self.steps)
        survey_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
        try:
            responses = virtual_survey(model, self.respondents, survey_seed, self.cooperative, rm)
        except SurveyError:  # e.g. every member has left
            return {INVALID: 1.0}
        return survey_statistics(analyse(responses), self.respondents)

    def simulate_batch(self, pars: Mapping[str, float], seed: int, runs: int) -> list[dict[str, float]]:
        """The statistics of ``runs`` runs and surveys of one parameter set: one vectorised batch
        (:mod:`kopsim.batch`; batch seed ``seed``) for a scenario whose interventions can run in
        a batch (training), else one by one with seeds drawn from ``seed``."""
        from kopsim import batch

        if not all(iv.batch_safe for iv in self.interventions):
            seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, runs)
            return [self.simulate(pars, int(x)) for x in seeds]
        configured = self.configure(pars)
        if configured is None:
            return [{INVALID: 1.0}] * runs
        params, rm = configured
        res = batch.run_and_survey(
            params, runs, self.steps, seed, self.respondents, self.cooperative, rm, self.interventions
        )
        return batch_survey_statistics(res, self.respondents)

    def __call__(self, pars: Mapping[str, float]) -> dict[str, float]:
        # the worker's numpy generator was seeded for this job (see _SeededSampler)
        return self.simulate(pars, int(np.random.randint(0, 2**31 - 1)))


__all__ = ["INVALID", "SurveySimulator", "batch_survey_statistics", "survey_statistics"]
