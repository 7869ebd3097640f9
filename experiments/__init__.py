"""kopsim experiments: replications, comparisons and sweeps over scenarios, with statistics and reports.

Experiments import the simulation; the simulation never imports experiments.
"""

from .runner import run_experiment
from .spec import Experiment, compare_experiment, load_experiment

__all__ = ["Experiment", "compare_experiment", "load_experiment", "run_experiment"]
