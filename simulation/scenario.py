"""Scenario files: a TOML file naming a population, parameter overrides and run length.

Layout (see scenarios/README.md)::

    extends = "baseline.toml"   # optional: start from another scenario (path relative to this file)

    [scenario]
    name = "training_follow_up"
    description = "one line: the question this scenario answers"
    description_id = "the same line in Bahasa Indonesia (optional; the classroom page shows it)"
    steps = 120        # months
    seed = 42

    [parameters.population]
    n_villages = 4

    [[interventions]]  # any number; appended to those of the extended scenario
    kind = "training"
    start = 12
    every = 12
    follow_up = true

A child scenario overrides single keys of ``[scenario]`` and ``[parameters.*]`` and adds
interventions to those it extends.

Every mistake raises :class:`ScenarioError` naming the file, the key path and what is
allowed; the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import interventions as iv_lib
from .errors import ScenarioError
from .interventions import Intervention
from .parameters import ParameterError, Parameters, unknown_key
from .tomlio import read_toml

SCENARIO_KEYS = {"name": str, "description": str, "description_id": str, "steps": int, "seed": int}
MAX_DESCRIPTION = 300  # characters: a description is one line on a page
TOP_KEYS = ("extends", "scenario", "parameters", "interventions", "survey")
MAX_STEPS = 100_000
MAX_EXTENDS = 32  # a chain of 'extends' longer than this is refused (the shipped ones are 1-2 deep)


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
    interventions: tuple[Intervention, ...] = ()
    description_id: str = ""  # the description in Bahasa Indonesia ("" = none given)
    # how a member survey of this scenario is answered: constants of the response model
    # (kopsim.instruments.member_survey.ResponseModel), e.g. those a calibration fitted with it
    survey: dict[str, Any] = field(default_factory=dict)

    def response_model(self) -> Any:
        """The scenario's survey response model (its ``[survey]`` table over the defaults)."""
        from .instruments.response import ResponseModel

        return ResponseModel(**self.survey)

    def describe(self, lang: str = "en") -> str:
        """The one-line description in ``lang`` ("id": Bahasa Indonesia where given, else English)."""
        return self.description_id if lang == "id" and self.description_id else self.description


def resolve(name_or_path: str | Path | None) -> Path:
    """A shipped scenario name ('baseline') or a path to a TOML file; None = the default."""
    from kopsim import scenarios

    if name_or_path is None:
        return scenarios.path(scenarios.DEFAULT)
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in str(name_or_path):
        return p
    return resolve_name(str(name_or_path), Path.cwd())


def resolve_name(name: str, folder: Path) -> Path:
    """A bare scenario name: ``folder/name.toml`` if it exists, else the shipped scenario ``name``.

    The user's own folder comes first, so ``kopsim run kopwan_follow_up`` inside the folder of
    ``kopwan_follow_up.toml`` runs that file; a name found in neither place is refused with the
    folder searched, the shipped names and the nearest name of either.
    """
    from kopsim import scenarios

    local = folder / f"{name}.toml"
    if local.is_file():
        return local
    shipped = scenarios.path(name)
    if shipped.exists():
        return shipped
    names = scenarios.available()
    try:
        own = sorted(q.stem for q in folder.glob("*.toml"))
    except OSError:
        own = []
    hint = difflib.get_close_matches(name, [*own, *names], n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    raise ScenarioError(
        f"{name}: no such scenario: neither {local} nor a shipped scenario (shipped: {', '.join(names)}){extra}"
    )


def load(name_or_path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario (following ``extends``); raises :class:`ScenarioError`."""
    path = resolve(name_or_path)
    data = _read_chain(path, ())
    return from_dict(data, str(path))


def _read(path: Path) -> dict[str, Any]:
    data = read_toml(path, ScenarioError)
    if not data:  # an empty or comment-only file is almost certainly a mistake (wrong file, unsaved editor)
        raise ScenarioError(
            f"{path}: empty scenario file; expected a [scenario] table, [parameters.*] "
            'tables, [[interventions]] or extends = "other.toml"'
        )
    return data


def _read_chain(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """The file's mapping merged onto whatever it extends (recursively, refusing cycles)."""
    here = path.resolve()
    if here in seen:
        chain = " -> ".join(p.name for p in (*seen, here))
        raise ScenarioError(
            f"{seen[-1]}: extends: cycle {chain}; allowed: a chain that ends in a file without 'extends'"
        )
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(
            f"{seen[0]}: extends: chain longer than {MAX_EXTENDS} files (at {path}); allowed: at most {MAX_EXTENDS}"
        )
    data = _read(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    head = data.get("scenario")
    if isinstance(head, dict) and "description" in head and "description_id" not in head:
        # a new English description must not keep the parent's Indonesian one (it would describe the parent)
        head["description_id"] = ""
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(f"{path}: extends: expected the path of another scenario file, got {parent!r}")
    base_path = (path.parent / parent) if not Path(parent).is_absolute() else Path(parent)
    if not base_path.exists() and "/" not in parent and not Path(parent).is_absolute():
        try:  # a bare name: the extending file's folder first, then the shipped scenarios
            base_path = resolve_name(parent.removesuffix(".toml"), path.parent)
        except ScenarioError:
            base_path = path.parent / parent
    if not base_path.exists():
        raise ScenarioError(
            f"{path}: extends: {parent}: file not found in {base_path.parent.resolve()} "
            "(nor among the shipped scenarios); allowed: a path relative to this file or a shipped scenario name"
        )
    base = _read_chain(base_path, (*seen, here))
    return merge(base, data)


def merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over base: tables merge key by key, interventions are appended."""
    out = dict(base)
    for key, value in child.items():
        if key == "interventions" and isinstance(value, list) and isinstance(base.get(key), list):
            out[key] = [*base[key], *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = merge(base[key], value)
        else:
            out[key] = value
    return out


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
    for key in ("description", "description_id"):
        if len(head.get(key, "")) > MAX_DESCRIPTION or "\n" in head.get(key, ""):
            raise ScenarioError(f"{source}: scenario.{key}: expected one line of at most {MAX_DESCRIPTION} characters")
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
    raw = data.get("interventions", [])
    if not isinstance(raw, list):
        raise ScenarioError(f"{source}: interventions: expected an array of tables ([[interventions]])")
    ivs = []
    for k, item in enumerate(raw):
        try:
            ivs.append(iv_lib.from_dict(item))
        except ParameterError as err:
            raise ScenarioError(f"{source}: interventions[{k}].{err.path}: {err.reason}") from None
        except TypeError as err:  # e.g. a table where a value was expected
            raise ScenarioError(f"{source}: interventions[{k}]: {err}") from None
    survey = data.get("survey", {})
    if not isinstance(survey, dict):
        raise ScenarioError(f"{source}: survey: expected a table of response-model constants (noise_sd, cut_low, ..)")
    if survey:  # imported only when a scenario has one: `kopsim validate` stays quick
        from dataclasses import fields

        from .instruments.response import ResponseModel

        allowed = tuple(f.name for f in fields(ResponseModel))
        for key in survey:
            if key not in allowed:
                raise ScenarioError(f"{source}: survey.{key}: {unknown_key(key, allowed)}")
        try:
            ResponseModel(**survey)
        except ParameterError as err:
            raise ScenarioError(f"{source}: survey.{err.path}: {err.reason}") from None
    name = head.get("name", Path(source).stem)
    scen = Scenario(
        name=name,
        description=head.get("description", ""),
        description_id=head.get("description_id", ""),
        steps=steps,
        seed=seed,
        params=params,
        source=source,
        overrides=overrides,
        interventions=tuple(ivs),
        survey=dict(survey),
    )
    _check_targets(scen)
    return scen


def _check_targets(scen: Scenario) -> None:
    """Interventions may only target cooperatives that exist, and train at most the members there can be."""
    n = scen.params.population.n_cooperatives
    catchment = scen.params.population.catchment  # the most members a cooperative can ever have
    for k, iv in enumerate(scen.interventions):
        quota = getattr(iv, "quota", None)
        if isinstance(quota, int) and quota > catchment:
            raise ScenarioError(
                f"{scen.source}: interventions[{k}].quota: {quota} exceeds the households one "
                f"cooperative can have as members ({catchment}); allowed: 0..{catchment}"
            )
        bad = [c for c in iv.cooperatives if c >= n]
        if bad:
            raise ScenarioError(
                f"{scen.source}: interventions[{k}].cooperatives: {bad} out of range; "
                f"allowed 0..{n - 1} (population.n_cooperatives = {n})"
            )
    _check_skills(scen)


def _check_skills(scen: Scenario) -> None:
    """A business needing a skill that no training of the scenario builds but that is spelt like one
    that does is a misspelling (a skill nobody is trained in is allowed: the business then works
    with untrained hands)."""
    trained = sorted({iv.skill for iv in scen.interventions if isinstance(iv, iv_lib.Training)} - {"general"})
    ep, units = scen.params.enterprise, scen.params.cooperative.units
    needs = [
        (f"enterprise.{t}.{key}", name)
        for t in ("product_skills", "crop_skills")
        for key, name in getattr(ep, t).items()
    ]
    needs += [(f"cooperative.units[{u}].skill", unit["skill"]) for u, unit in enumerate(units)]
    for path, name in needs:
        if name == "general" or name in trained:
            continue
        hint = difflib.get_close_matches(name, trained, n=1)
        if hint:
            allowed = ", ".join(repr(x) for x in ["general", *trained])
            raise ScenarioError(
                f"{scen.source}: parameters.{path}: {name!r} is built by no training of this scenario; "
                f"allowed: {allowed} (did you mean {hint[0]!r}?)"
            )
