"""Scenario files: a TOML file naming a population, parameter overrides and run length.

Layout (see scenarios/README.md)::

    [scenario]
    name = "baseline"
    description = "one line: the question this scenario answers"
    steps = 120        # months
    seed = 42

    [parameters.population]
    n_villages = 4
    ...

Every mistake raises :class:`ScenarioError` naming the file, the key path and what is
allowed; the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .parameters import ParameterError, Parameters, unknown_key

SCENARIO_KEYS = {"name": str, "description": str, "steps": int, "seed": int}
TOP_KEYS = ("scenario", "parameters")
MAX_STEPS = 100_000


class ScenarioError(ValueError):
    """A scenario file that cannot be used: message is 'file: key.path: what is allowed'."""


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario."""

    name: str
    description: str
    steps: int
    seed: int
    params: Parameters
    source: str
    overrides: dict[str, Any]


def resolve(name_or_path: str | Path | None) -> Path:
    """A shipped scenario name ('baseline') or a path to a TOML file; None = the default."""
    import scenarios

    if name_or_path is None:
        return scenarios.path(scenarios.DEFAULT)
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in str(name_or_path):
        return p
    shipped = scenarios.path(str(name_or_path))
    if shipped.exists():
        return shipped
    names = scenarios.available()
    hint = difflib.get_close_matches(str(name_or_path), names, n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    raise ScenarioError(f"{name_or_path}: no such scenario file or shipped scenario "
                        f"(shipped: {', '.join(names)}){extra}")


def load(name_or_path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario; raises :class:`ScenarioError` on any mistake."""
    path = resolve(name_or_path)
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{src}: file not found") from None
    except OSError as err:
        raise ScenarioError(f"{src}: cannot read file ({err.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{src}: not valid TOML: {err}") from None
    return from_dict(data, src)


def from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate an already-parsed scenario mapping."""
    for key in data:
        if key not in TOP_KEYS:
            raise ScenarioError(f"{source}: {key}: {unknown_key(key, TOP_KEYS)}")
    head = data.get("scenario", {})
    if not isinstance(head, dict):
        raise ScenarioError(f"{source}: scenario: expected a table with {', '.join(SCENARIO_KEYS)}")
    for key, value in head.items():
        if key not in SCENARIO_KEYS:
            raise ScenarioError(f"{source}: scenario.{key}: {unknown_key(key, SCENARIO_KEYS)}")
        want = SCENARIO_KEYS[key]
        if not isinstance(value, want) or isinstance(value, bool):
            raise ScenarioError(f"{source}: scenario.{key}: expected {want.__name__}, got {value!r}")
    steps = head.get("steps", 120)
    if not 1 <= steps <= MAX_STEPS:
        raise ScenarioError(f"{source}: scenario.steps: {steps} is outside the allowed range [1, {MAX_STEPS}]")
    seed = head.get("seed", 0)
    if seed < 0:
        raise ScenarioError(f"{source}: scenario.seed: {seed} is negative; allowed: a whole number >= 0")
    overrides = data.get("parameters", {})
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{source}: parameters: expected tables of parameter groups")
    try:
        params = Parameters.from_dict(overrides)
    except ParameterError as err:
        raise ScenarioError(f"{source}: parameters.{err.path}: {err.reason}") from None
    name = head.get("name", Path(source).stem)
    return Scenario(name=name, description=head.get("description", ""), steps=steps, seed=seed,
                    params=params, source=source, overrides=overrides)

