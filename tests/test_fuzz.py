"""Fuzzing scenario files, experiment files, ``--set`` values, survey CSVs and targets files (~25 s).

The contract of ``kopsim``: exit 0 with a clean run, or exit 2 with exactly one stderr line
starting ``kopsim: error:``; never a traceback. The strategies are in :mod:`benchmarks.fuzz`
(``python -m benchmarks.fuzz --cases 10000`` runs many more).
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.fuzz import Workspace, experiment_text, scenario_text, set_values, survey_csv, targets_text

BUDGET_S = 3.0  # per family; examples after the budget return at once, so the test stays near 20 s
FUZZ = settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def ws():
    with Workspace() as workspace:
        yield workspace


class Budget:
    def __init__(self) -> None:
        self.end: float | None = None

    def spent(self) -> bool:
        if self.end is None:
            self.end = time.monotonic() + BUDGET_S
        return time.monotonic() > self.end


def _check(verdict) -> None:
    assert verdict.kind != "broken", verdict.detail


_budgets = {name: Budget() for name in ("scenario", "experiment", "set", "survey", "targets")}


@FUZZ
@given(text=scenario_text())
def test_fuzz_scenario_files(ws, text):
    if not _budgets["scenario"].spent():
        _check(ws.scenario(text))


@FUZZ
@given(text=experiment_text())
def test_fuzz_experiment_files(ws, text):
    if not _budgets["experiment"].spent():
        _check(ws.experiment(text))


@FUZZ
@given(case=set_values)
def test_fuzz_set_values(ws, case):
    if not _budgets["set"].spent():
        _check(ws.override(*case))


@FUZZ
@given(text=survey_csv())
def test_fuzz_survey_csvs(ws, text):
    if not _budgets["survey"].spent():
        _check(ws.survey(text))


@FUZZ
@given(text=targets_text())
def test_fuzz_targets_files(ws, text):
    if not _budgets["targets"].spent():
        _check(ws.targets(text))
