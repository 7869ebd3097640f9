"""kopsim experiments: replications, comparisons and sweeps over scenarios, with statistics and reports.

Experiments import the simulation; the simulation never imports experiments. The names
below are imported on first use (PEP 562), so ``kopsim.experiments.cli`` starts without
pandas or Mesa.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import run_experiment
    from .spec import Experiment, compare_experiment, load_experiment

# name -> submodule that defines it
_LAZY = {"run_experiment": "runner", "Experiment": "spec", "compare_experiment": "spec", "load_experiment": "spec"}

__all__ = ["Experiment", "compare_experiment", "load_experiment", "run_experiment"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
