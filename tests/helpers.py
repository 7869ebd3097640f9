"""Shared helpers: a small population that keeps model-level tests fast; kopsim run in-process."""

from __future__ import annotations

import copy
from typing import Any

SMALL_POPULATION: dict[str, Any] = {
    "households_per_village": 60,
    "members_per_cooperative": 40,
    "n_villages": 2,
    "n_cooperatives": 1,
}


def small_params(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Nested parameter overrides for a small model, with ``overrides`` merged group by group."""
    params: dict[str, dict[str, Any]] = {"population": dict(SMALL_POPULATION)}
    for group, values in copy.deepcopy(overrides or {}).items():
        params.setdefault(group, {}).update(values)
    return params


def run_kopsim(args: list[str], capsys: Any) -> tuple[int, str, str]:
    """``kopsim ARGS`` in this process: (exit code, stdout, stderr). argparse reports usage errors by
    exiting; that exit becomes the code."""
    from kopsim.experiments import cli

    capsys.readouterr()
    try:
        code = cli.main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err
