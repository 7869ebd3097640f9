"""Runs packed into batches of worlds: one model simulates many runs as one array program.

A run's world is bit-identical whether it runs alone or in any batch (its own random stream,
parameters and timetable: :mod:`kopsim.streams`, :meth:`kopsim.world.World.per`), so packing
changes how fast an experiment runs, never what it finds: each run's record and metrics table
are those :func:`experiments.runner.execute` writes for it alone (tested).

What can share a batch: runs of the same length whose parameters differ only in real-valued
ones (the others shape the world: sizes, months, rules) and whose programmes bring no agents
of their own (kemitraan runs alone). :func:`plan` groups the runs so and cuts each group into
batches sized to memory (``BATCH_AGENTS`` agents at most) and to the workers (every worker gets
a batch while there are enough runs); :func:`experiments.runner.execute_batch` runs one. A run's
``duration_s`` is its share of its batch's time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import fields

from .spec import RunSpec

# Agents in one batch at most: about 1.4 kB of state per agent (benchmarks/national.py), so a batch
# holds some 300 MB; a run of Mandiri Jaya has 188 agents, the baseline district a few thousand.
BATCH_AGENTS = 200_000
# Worlds in one batch at most: an interrupted sweep loses at most the batches in flight.
MAX_WORLDS = 64


def structure(spec: RunSpec) -> str | None:
    """What runs sharing a batch must have in common (None: this run cannot share one): the
    length and every parameter that is not real-valued (sizes, months, rules, switches, lists)."""
    from kopsim.parameters import GROUPS, may_differ

    scen = spec.config.scenario
    if not all(iv.batch_safe for iv in scen.interventions):
        return None
    shape = {
        gname: {f.name: values[f.name] for f in fields(GROUPS[gname]) if not may_differ(gname, f.name, str(f.type))}
        for gname, values in scen.params.to_dict().items()
    }
    return json.dumps({"steps": spec.steps, "outcomes": spec.outcomes, "params": shape}, sort_keys=True, default=str)


def agents_per_world(spec: RunSpec) -> int:
    """Agents of one run's world, as :func:`kopsim.population.build` lays them out (without partner firms)."""
    pp = spec.config.scenario.params.population
    villages = pp.n_villages
    return villages * (pp.households_per_village + 1 + pp.moneylenders_per_village) + 6


def plan(todo: Sequence[RunSpec], workers: int) -> list[list[RunSpec]]:
    """The runs in batches (module docstring), in the order of ``todo`` within each batch."""
    groups: dict[str | None, list[RunSpec]] = {}
    singles: list[list[RunSpec]] = []
    for spec in todo:
        key = structure(spec)
        if key is None:
            singles.append([spec])
        else:
            groups.setdefault(key, []).append(spec)
    batches: list[list[RunSpec]] = []
    for specs in groups.values():
        by_memory = max(1, BATCH_AGENTS // agents_per_world(specs[0]))
        size = max(1, min(MAX_WORLDS, by_memory, math.ceil(len(specs) / max(workers, 1))))
        batches += [specs[i : i + size] for i in range(0, len(specs), size)]
    return batches + singles


__all__ = ["BATCH_AGENTS", "MAX_WORLDS", "agents_per_world", "plan", "structure"]
