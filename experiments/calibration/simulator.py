"""One simulation of the calibration: a scenario run with a particle's parameters, surveyed and
summarised as the statistics the targets name.

**One simulation**: the scenario with the particle's parameters (network metrics off: they do
not feed back) run ``steps`` months with a run seed s (:func:`run_model`: the metrics are collected
only in the months the series targets read), then :func:`kopsim.instruments.member_survey.virtual_survey`
of n respondents of the cooperative with survey seed SeedSequence([s, 1]), summarised in arrays
(:func:`answers_statistics`: the statistics of :func:`kopsim.instruments.survey_analysis.analyse`)
(no survey when no target needs one).

Targets of the run model are read from the same run (:func:`model_statistics`): a series point
``series.<metric>.m<month>`` from the model's metrics table (month 0 = the initial state), the PTP
scores ``ptp.<total|indicator|variable>`` of the cooperative after the run
(:func:`kopsim.instruments.ptp.ptp_score`), and each trust target's sample
``trust.<name>.<low|medium|high|n>`` (:func:`kopsim.instruments.trust_survey.trust_survey`, sample
seed SeedSequence([s, TRUST_TAG, k]) for the k-th trust target) and each relational target's property
``relational.<name>`` of a partnership study's sample (:func:`kopsim.instruments.relational.relational_survey`,
seed SeedSequence([s, RELATIONAL_TAG, k])). A survey-only targets file runs and surveys exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from kopsim.instruments.member_survey import ANSWERS, ITEM_NAMES, ResponseModel, SurveyError, virtual_survey
from kopsim.instruments.ptp import PTP_INDICATORS, ptp_score
from kopsim.instruments.relational import relational_survey
from kopsim.instruments.survey_analysis import SurveyResult
from kopsim.instruments.trust_survey import TRUST_CATEGORIES, trust_survey
from kopsim.parameters import ParameterError, Parameters
from kopsim.participation import DOMAINS

from .gather import active

if TYPE_CHECKING:
    from kopsim.model import CooperativeModel

    from .targets import Prior, Target

TRUST_TAG = 0x7457  # SeedSequence tag of the trust targets' samples
RELATIONAL_TAG = 0x5245  # and of the relational (partnership study) targets' samples


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


def answers_statistics(answers: np.ndarray, n_target: int) -> dict[str, float]:
    """:func:`survey_statistics` of one survey's (n × 15) answers, computed in arrays
    (:func:`kopsim.batch.batch_statistics`) instead of through :func:`analyse`'s tables: the same
    totals and shares, and r_s equal to ``scipy.stats.spearmanr``'s to rounding."""
    from kopsim.batch import batch_statistics

    res = batch_statistics(answers[None], np.array([True]), np.zeros(1, dtype=np.uint64))
    return _statistics(answers.shape[0], res.totals[0], res.shares[0], res.rs[0], n_target)


INVALID = "invalid"


def metrics_by_month(model: CooperativeModel) -> Any:
    """The model's metrics table with one row per month from month 0 (the initial state), indexed
    by month (:meth:`CooperativeModel.metrics_frame` starts at month 1)."""
    if model.datacollector is None:
        raise ValueError("this model keeps no metrics table (a run without one, or a batch: metrics_frame(world=w))")
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame.index.name = "month"
    return frame


def series_months(targets: tuple[Target, ...] | list[Target]) -> frozenset[int]:
    """The months (0 = the initial state) whose metrics the series targets read."""
    return frozenset(cast(int, t.month) for t in targets if t.kind == "series")


def run_model(
    params: Parameters, seed: int, interventions: tuple[Any, ...], steps: int, months: frozenset[int]
) -> tuple[CooperativeModel, dict[int, dict[str, Any]]]:
    """Run the scenario ``steps`` months keeping no metrics table, and collect the metrics
    (:func:`kopsim.metrics.collect`) only in ``months``: the same values as the table's rows (metrics
    do not feed back), at a fraction of the cost of a row every month."""
    from kopsim import metrics
    from kopsim.model import CooperativeModel

    model = CooperativeModel(params, seed=seed, interventions=interventions, collect_metrics=False)
    rows: dict[int, dict[str, Any]] = {}
    for month in range(steps + 1):
        if month:
            model.step()
        if month in months:
            rows[month] = metrics.collect(model)
    return model, rows


def model_statistics(
    model: CooperativeModel,
    targets: tuple[Target, ...],
    cooperative: int,
    seed: int,
    rows: Mapping[int, Mapping[str, Any]] | None = None,
) -> dict[str, float]:
    """The statistics the model targets (series, PTP, trust, relational) name, of a run model (module docstring).

    ``rows``: the metrics of the months the series targets name, by month (:func:`run_model`), for a
    model run without a metrics table; by default they are read from the model's table."""
    x: dict[str, float] = {}
    series = [t for t in targets if t.kind == "series"]
    if series:
        if rows is None:
            frame = metrics_by_month(model)
            rows = {m: frame.iloc[m] for m in series_months(series) if m < len(frame)}
        for t in series:
            row = rows.get(cast(int, t.month))
            x[t.statistic] = float(row[t.key]) if row is not None else float("nan")
    if any(t.kind in ("ptp", "ptp_zone") for t in targets):
        ptp = ptp_score(model, cooperative)
        x["ptp.total"] = float(ptp.total)
        for ind in PTP_INDICATORS:
            x[f"ptp.{ind}"] = float(ptp.indicators.loc[ind, "score"])
        for _, row in ptp.variables.iterrows():
            x[f"ptp.{row['variable']}"] = float(row["score"])
    for k, t in enumerate(t for t in targets if t.kind == "trust"):
        sample_seed = int(np.random.SeedSequence([seed, TRUST_TAG, k]).generate_state(1)[0])
        shares, m = trust_survey(model, t.of, t.group, t.n, sample_seed, cooperative)
        for cat, share in zip(TRUST_CATEGORIES, shares, strict=True):
            x[f"trust.{t.key}.{cat}"] = float(share)
        x[f"trust.{t.key}.n"] = float(m)
    for k, t in enumerate(t for t in targets if t.kind == "relational"):
        sample_seed = int(np.random.SeedSequence([seed, RELATIONAL_TAG, k]).generate_state(1)[0])
        props, _m = relational_survey(model, t.group, t.n, sample_seed, cooperative, cast(int, t.month))
        x[t.statistic] = props[t.of]  # NaN when nobody sampled can answer: missing
    return x


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
    model_targets: tuple[Target, ...] = ()  # targets read from the run model (series, PTP, trust)

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
        configured = self.configure(pars)
        if configured is None:
            return {INVALID: 1.0}
        params, rm = configured
        model, rows = run_model(params, seed, self.interventions, self.steps, series_months(self.model_targets))
        return self._statistics(model, seed, rm, rows)

    def _statistics(
        self, model: Any, seed: int, rm: ResponseModel, rows: Mapping[int, Mapping[str, Any]]
    ) -> dict[str, float]:
        """The survey's and the model targets' statistics of a run model (or a world of a batch)."""
        x: dict[str, float] = {}
        if self.respondents > 0:
            survey_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
            try:
                responses = virtual_survey(model, self.respondents, survey_seed, self.cooperative, rm)
            except SurveyError:  # e.g. every member has left
                return {INVALID: 1.0}
            x = answers_statistics(responses.to_numpy(), self.respondents)
        if self.model_targets:
            x.update(model_statistics(model, self.model_targets, self.cooperative, seed, rows))
        return x

    def simulate_many(self, jobs: Sequence[tuple[Mapping[str, float], int]]) -> list[dict[str, float]]:
        """:meth:`simulate` of each (particle, run seed) of ``jobs``, value for value, as one batch of
        worlds (each world its particle's parameters and its run seed: bit-identical to its run
        alone); one by one when the particles cannot share a model (they differ in a parameter that
        is not real-valued, or a programme brings agents of its own)."""
        from kopsim import metrics
        from kopsim.model import CooperativeModel

        out: list[dict[str, float]] = [{INVALID: 1.0}] * len(jobs)
        configured = [self.configure(pars) for pars, _ in jobs]
        live = [k for k, c in enumerate(configured) if c is not None]
        if len(live) <= 1 or not all(iv.batch_safe for iv in self.interventions):
            return [self.simulate(pars, seed) for pars, seed in jobs]
        try:
            model = CooperativeModel(
                [configured[k][0] for k in live],  # type: ignore[index]
                seed=[jobs[k][1] for k in live],
                interventions=self.interventions,
                collect_metrics=False,
            )
        except ParameterError:  # e.g. particles differing in an integer parameter: one model each
            return [self.simulate(pars, seed) for pars, seed in jobs]
        months = series_months(self.model_targets)
        rows: list[dict[int, dict[str, Any]]] = [{} for _ in live]
        for month in range(self.steps + 1):
            if month:
                model.step()
            if month in months:
                for w, row in enumerate(metrics.collect_worlds(model)):
                    rows[w][month] = row
        for w, (k, world) in enumerate(zip(live, model.world_views(), strict=True)):
            out[k] = self._statistics(world, jobs[k][1], configured[k][1], rows[w])  # type: ignore[index]
        return out

    def simulate_batch(self, pars: Mapping[str, float], seed: int, runs: int) -> list[dict[str, float]]:
        """The statistics of ``runs`` runs and surveys of one parameter set: one vectorised batch
        (:mod:`kopsim.batch`; batch seed ``seed``) for targets of the survey alone, else the runs
        with seeds drawn from ``seed`` (:meth:`simulate_many`: as one batch of worlds where the
        scenario's programmes allow, the values of the runs one by one)."""
        from kopsim import batch

        if self.model_targets or not all(iv.batch_safe for iv in self.interventions):
            seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, runs)
            return self.simulate_many([(pars, int(x)) for x in seeds])
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
        seed = int(np.random.randint(0, 2**31 - 1))
        gather = active()
        if gather is not None:  # a chunk of jobs runs its models as one batch (kopsim.experiments.calibration.gather)
            return gather.request(self, pars, seed)
        return self.simulate(pars, seed)


__all__ = [
    "INVALID",
    "RELATIONAL_TAG",
    "TRUST_TAG",
    "SurveySimulator",
    "answers_statistics",
    "batch_survey_statistics",
    "metrics_by_month",
    "model_statistics",
    "run_model",
    "series_months",
    "survey_statistics",
]
