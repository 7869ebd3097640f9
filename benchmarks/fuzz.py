"""Fuzzing the command line: ``python -m benchmarks.fuzz [--cases 10000] [--seed 0]``.

Generates scenario files, experiment files and ``--set`` values (hypothesis strategies: well
formed TOML with hostile values — huge and negative numbers, NaN, deep arrays, wrong types,
misspelt keys — and raw text mutations of valid files) and calls
``kopsim.experiments.cli.main`` in-process with each:

* ``kopsim validate FILE`` for scenario files,
* ``kopsim sweep FILE`` for experiment files (the plan is built, then the runs are skipped:
  :func:`plan_only` replaces the runner, so a valid but long plan costs no time),
* ``kopsim run --steps 1 --set KEY=VALUE`` on a small scenario,
* ``kopsim survey FILE.csv`` for survey CSVs (headers with missing, misspelt or repeated items;
  cells such as ``２``, ``+2``, NaN, long text; several delimiters; raw mutations),
* :func:`kopsim.experiments.calibration.load_targets` for targets files (every statistic kind,
  shares, priors and survey constants with hostile values), on the small scenario: a valid file
  would start a fit, so the loader's own contract is checked (it returns, or raises a one-line
  :class:`kopsim.errors.InputError`).

The contract: exit 0, or exit 2 with exactly one stderr line starting ``kopsim: error:``;
never a traceback. Prints the counts and the first inputs that broke it (exit 1 if any did).
``tests/test_fuzz.py`` runs the same strategies for about 20 seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hseed
from hypothesis import strategies as st

TINY = (
    '[scenario]\nname = "tiny"\nsteps = 2\n[parameters.population]\nn_villages = 2\nn_cooperatives = 1\n'
    "households_per_village = 30\nmembers_per_cooperative = 20\n[parameters.metrics]\nnetwork_every = 0\n"
    "centrality_every = 0\n"
)

# Keys a user might write (some misspelt), and values that have broken parsers before.
PARAM_KEYS = [
    "trust.loss_rate",
    "trust.gain_rate",
    "trust.low_threshold",
    "population.members_per_cooperative",
    "population.n_cooperatives",
    "population.board_size",
    "population.farmer_share",
    "skills.training_quota",
    "skills.training_selection",
    "skills.follow_up",
    "finance.loan_term_months",
    "network.kin_degree",
    "metrics.network_every",
    "governance.rat_month",
    "trust.los_rate",
    "nosuch.group",
    "trust",
    "population.age_max",
]
SCENARIO_HEAD = ["name", "description", "steps", "seed", "stpes"]
EXPERIMENT_HEAD = ["name", "scenarios", "replications", "steps", "seed", "outcomes", "replicatons"]
INTERVENTION_KEYS = ["kind", "start", "end", "every", "quota", "cooperatives", "follow_up", "amount", "factor"]
KINDS = ["training", "kemitraan", "grant", "credit", "policy", "harvest_failure", "nosuch"]
OUTCOMES = ["members", "trust_institution_mean", "skill_members", "trust_mean"]

scalars = st.one_of(
    st.integers(-3, 40),
    st.integers(),
    st.sampled_from([10**30, -(10**30), 2**63, 10**400, 0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e308, 5e-324]),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["random", "baseline", "tiny.toml", "/dev/zero", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
deep = st.integers(1, 1500).map(lambda n: "[" * n + "]" * n)


def toml_value(v: Any) -> str:
    """A TOML literal for ``v`` (inline arrays and tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _value_text() -> st.SearchStrategy[str]:
    """Half plausible values (so that valid files are common too), half hostile ones."""
    plausible = st.one_of(st.integers(0, 40).map(str), st.floats(0, 1).map(repr), st.sampled_from(["true", "false"]))
    return st.one_of(plausible, values.map(toml_value), deep)


@st.composite
def scenario_text(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        parents = st.sampled_from(["tiny.toml", "baseline.toml", "self.toml", "nosuch.toml"]).map(json.dumps)
        lines.append(f"extends = {draw(parents | _value_text())}")
    if draw(st.booleans()):
        lines.append("[scenario]")
        for key in draw(st.lists(st.sampled_from(SCENARIO_HEAD), max_size=4, unique=True)):
            lines.append(f"{key} = {draw(st.integers(-2, 200).map(str) | _value_text())}")
    groups: dict[str, list[str]] = {}
    for key in draw(st.lists(st.sampled_from(PARAM_KEYS), max_size=4, unique=True)):
        group, _, name = key.partition(".")
        groups.setdefault(group, []).append(f"{name or 'x'} = {draw(_value_text())}")
    for group, items in groups.items():
        lines += [f"[parameters.{group}]", *items]
    for _ in range(draw(st.integers(0, 2))):
        lines.append("[[interventions]]")
        lines.append(f"kind = {json.dumps(draw(st.sampled_from(KINDS)))}")
        for key in draw(st.lists(st.sampled_from(INTERVENTION_KEYS[1:]), max_size=3, unique=True)):
            lines.append(f"{key} = {draw(st.integers(-2, 150).map(str) | _value_text())}")
    text = "\n".join(lines) + "\n"
    return _mutate(draw, text)


@st.composite
def experiment_text(draw: st.DrawFn) -> str:
    lines = ["[experiment]"] if draw(st.integers(0, 9)) else []
    for key in draw(st.lists(st.sampled_from(EXPERIMENT_HEAD), max_size=5, unique=True)):
        if key == "scenarios":
            names = draw(st.lists(st.sampled_from(["tiny.toml", "baseline", "nosuch", "/dev/zero"]), max_size=3))
            lines.append(f"scenarios = {toml_value(names) if draw(st.integers(0, 4)) else draw(_value_text())}")
        elif key == "outcomes":
            lines.append(f"outcomes = {toml_value(draw(st.lists(st.sampled_from(OUTCOMES), max_size=2)))}")
        else:
            small = st.integers(-1, 4).map(str) | st.sampled_from(["100000000", "0"])
            lines.append(f"{key} = {draw(small | _value_text())}")
    if "scenarios" not in " ".join(lines) and draw(st.booleans()):
        lines.append('scenarios = ["tiny.toml"]')
    table = draw(st.sampled_from(["", "grid", "samples", "both"]))
    if table in ("grid", "both"):
        lines.append("[grid]")
        for key in draw(st.lists(st.sampled_from(PARAM_KEYS), max_size=3, unique=True)):
            lines.append(f"{json.dumps(key)} = {draw(st.lists(values, max_size=3).map(toml_value) | _value_text())}")
    if table in ("samples", "both"):
        lines.append("[samples]")
        lines.append(f"n = {draw(st.integers(-1, 5).map(str) | st.sampled_from(['100000000']) | _value_text())}")
        for key in draw(st.lists(st.sampled_from(PARAM_KEYS), max_size=2, unique=True)):
            lines.append(f"{json.dumps(key)} = {draw(st.lists(scalars, max_size=3).map(toml_value) | _value_text())}")
    return _mutate(draw, "\n".join(lines) + "\n")


def _mutate(draw: st.DrawFn, text: str) -> str:
    """Sometimes cut, duplicate or insert a few characters (malformed TOML, repeated keys)."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["cut", "dup", "insert"]))
        if op == "cut":
            text = text[:i] + text[i + draw(st.integers(1, 10)) :]
        elif op == "dup":
            text = text[:i] + text[i : i + 20] + text[i:]
        else:
            text = text[:i] + draw(st.sampled_from(["[", "]", "=", '"', "\n", "\x00", "é", "{", ",", "#"])) + text[i:]
    return text


ITEMS = (
    "rat_attendance",
    "giving_suggestions",
    "knowledge_of_cooperative",
    "willing_to_serve_board",
    "willing_to_stay",
    "mandatory_savings",
    "voluntary_savings",
    "borrowing_for_business",
    "ease_of_loans",
    "income_increase",
    "loan_satisfaction",
    "service_satisfaction",
    "training_satisfaction",
    "member_member_relations",
    "member_board_relations",
)
CELLS = [
    "1",
    "2",
    "3",
    "3",
    "2",
    "0",
    "4",
    "",
    " ",
    "２",
    "٣",
    "+2",
    "2.0",
    "nan",
    "inf",
    "-1",
    "1e0",
    "abc",
    '"2"',
    "x" * 300,
]


@st.composite
def survey_csv(draw: st.DrawFn) -> str:
    header = list(ITEMS)
    if draw(st.integers(0, 3)) == 0:
        header = draw(
            st.lists(
                st.sampled_from([*ITEMS, "respondent", "rat_atendance", "", "respondent"]), min_size=1, max_size=18
            )
        )
    elif draw(st.booleans()):
        header = ["respondent", *header]
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    rows = [delimiter.join(header)]
    for r in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        cells = [str(r) if name == "respondent" else draw(st.sampled_from(CELLS)) for name in header][: max(width, 0)]
        rows.append(delimiter.join(cells))
    return _mutate(draw, "\n".join(rows) + "\n")


TARGET_TABLES = ["items", "categories", "spearman", "shares", "nosuch"]


@st.composite
def targets_text(draw: st.DrawFn) -> str:
    lines = ["[targets]"] if draw(st.integers(0, 9)) else []
    lines.append(f"respondents = {draw(st.sampled_from(['20', '5', '0', '-3', '1000']) | _value_text())}")
    for table in draw(st.lists(st.sampled_from(TARGET_TABLES), max_size=3, unique=True)):
        lines.append(f"[targets.{table}]")
        for item in draw(
            st.lists(st.sampled_from([*ITEMS[:4], "organisation", "capital", "nosuch"]), max_size=3, unique=True)
        ):
            plausible = st.sampled_from(
                [
                    "50",
                    "0.5",
                    '{ category = "high", total = 50 }',
                    '"medium"',
                    "{ 1 = 0.2, 2 = 0.3, 3 = 0.5 }",
                    "{ 1 = 0.9, 2 = 0.9 }",
                    "{ 3 = 1.5 }",
                ]
            )
            lines.append(f"{item} = {draw(plausible | _value_text())}")
    if draw(st.booleans()):
        lines.append("[priors]")
        for key in draw(st.lists(st.sampled_from(PARAM_KEYS), max_size=2, unique=True)):
            low, high = draw(st.sampled_from(["0", "0.1", "-1", "1e400"])), draw(st.sampled_from(["0.5", "2", "0"]))
            lines.append(f"{json.dumps(key)} = {{ low = {low}, high = {high} }}")
    if draw(st.booleans()):
        lines.append("[survey]")
        lines.append(f"noise = {draw(_value_text())}")
    return _mutate(draw, "\n".join(lines) + "\n")


set_values = st.tuples(st.sampled_from(PARAM_KEYS), st.one_of(_value_text(), st.text(max_size=20)))


@dataclass
class Verdict:
    kind: str  # "ok" (exit 0), "input error" (exit 2, one line) or "broken"
    detail: str


def plan_only(exp: Any, out: Any, **_: Any) -> Any:
    """Stands in for the runner: builds the plan (every run spec), runs nothing."""
    from kopsim.experiments.runner import Outcome

    return Outcome(len(exp.runs()), 0, 0, 0, 0.0)


def call(args: list[str]) -> Verdict:
    """Run ``kopsim ARGS`` in-process; classify the outcome against the contract."""
    from kopsim.experiments import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # anything escaping main() breaks the contract
            return Verdict("broken", f"{type(exc).__name__} escaped main(): {exc}"[:300])
    lines = err.getvalue().splitlines()
    if code == 0 and "Traceback" not in err.getvalue():
        return Verdict("ok", "")
    if code == 2 and len(lines) == 1 and lines[0].startswith("kopsim: error:"):
        return Verdict("input error", lines[0])
    return Verdict("broken", f"exit {code}: {err.getvalue()[-500:]}")


class Workspace:
    """A temporary directory with tiny.toml, and the runner replaced by :func:`plan_only`."""

    def __enter__(self) -> Workspace:
        from kopsim.experiments import runner

        self._tmp = tempfile.TemporaryDirectory(prefix="kopsim-fuzz-")
        self.root = Path(self._tmp.name)
        (self.root / "tiny.toml").write_text(TINY, encoding="utf-8")
        (self.root / "self.toml").write_text('extends = "self.toml"\n', encoding="utf-8")
        self._cwd = os.getcwd()
        os.chdir(self.root)
        self._real = runner.run_experiment
        runner.run_experiment = plan_only
        return self

    def __exit__(self, *exc: object) -> None:
        from kopsim.experiments import runner

        runner.run_experiment = self._real
        os.chdir(self._cwd)
        self._tmp.cleanup()

    def scenario(self, text: str) -> Verdict:
        (self.root / "case.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
        return call(["validate", "case.toml"])

    def experiment(self, text: str) -> Verdict:
        (self.root / "exp.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
        return call(["sweep", "exp.toml", "--executor", "sequential", "--quiet", "--out", "out"])

    def survey(self, text: str) -> Verdict:
        (self.root / "case.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
        return call(["survey", "case.csv"])

    def targets(self, text: str) -> Verdict:
        from kopsim.errors import InputError
        from kopsim.experiments.calibration import load_targets
        from kopsim.scenario import load

        (self.root / "targets.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_targets(str(self.root / "targets.toml"), load("tiny.toml").params)
        except InputError as err:
            message = str(err)
            if "\n" in message or not message:
                return Verdict("broken", f"a message of {message.count(chr(10)) + 1} lines: {message[:300]}")
            return Verdict("input error", message)
        except Exception as err:  # anything else breaks the contract
            return Verdict("broken", f"{type(err).__name__}: {err}"[:300])
        return Verdict("ok", "")

    def override(self, key: str, value: str) -> Verdict:
        return call(["run", "tiny.toml", "--steps", "1", "--quiet", "--out", "run-out", "--set", f"{key}={value}"])


def _bind(check: Any) -> Any:
    def one(case: Any) -> None:
        check(case)

    return one


FAMILIES = {
    "scenario": scenario_text(),
    "experiment": experiment_text(),
    "set": set_values,
    "survey": survey_csv(),
    "targets": targets_text(),
}


CHECKS = {
    "scenario": Workspace.scenario,
    "experiment": Workspace.experiment,
    "set": lambda ws, case: ws.override(*case),
    "survey": Workspace.survey,
    "targets": Workspace.targets,
}


def fuzz(cases: int, seed: int = 0) -> tuple[Counter, list[str]]:
    """``cases`` inputs spread over the families; returns (counts, examples of broken inputs)."""
    counts: Counter = Counter()
    broken: list[str] = []
    with Workspace() as ws:
        for family, strategy in FAMILIES.items():
            n = cases // len(FAMILIES) + (1 if family == "scenario" else 0) * (cases % len(FAMILIES))

            def check(case: Any, family: str = family) -> None:
                verdict = CHECKS[family](ws, case)
                counts[(family, verdict.kind)] += 1
                if verdict.kind == "broken" and len(broken) < 10:
                    broken.append(f"{family}: {case!r:.300} -> {verdict.detail}")

            run = settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))(
                given(case=strategy)(_bind(check))
            )
            hseed(seed)(run)()
    return counts, broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="inputs in all (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    counts, broken = fuzz(args.cases, args.seed)
    for family in FAMILIES:
        row = {k: counts[(family, k)] for k in ("ok", "input error", "broken")}
        print(f"{family:<10} " + ", ".join(f"{k}: {v}" for k, v in row.items()))
    total = {k: sum(v for (_, kk), v in counts.items() if kk == k) for k in ("ok", "input error", "broken")}
    print(f"{'total':<10} " + ", ".join(f"{k}: {v}" for k, v in total.items()))
    for line in broken:
        print("BROKEN " + line)
    return 1 if total["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
