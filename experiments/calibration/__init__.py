"""Calibration: ABC-SMC (pyabc) of scenario parameters against member-survey statistics and other
field data (time series of metrics, PTP scores and zones, trust shares of a group).

``kopsim calibrate SCENARIO TARGETS [--budget N] [--population P] [--generations G] [--seed S] [--out DIR]``
``kopsim calibrate SCENARIO TARGETS --versus NULL_SCENARIO [...]`` (model choice: a Bayes factor)

The package, one module per concept: :mod:`.targets` (the targets file: observed statistics and
priors), :mod:`.distance` (distances that respect sample size), :mod:`.simulator` (one run and
survey of a particle), :mod:`.sampler` (pyabc's sampler on kopsim's executors), :mod:`.fit`
(ABC-SMC), :mod:`.posterior` (summaries and the point estimate), :mod:`.predictive`
(posterior-predictive checks), :mod:`.figures`, :mod:`.outputs` (files written, summary printed),
:mod:`.from_survey` (a targets file from survey data), :mod:`.model_choice` (a Bayes factor of
a model against a null model: ``--versus``), :mod:`.validate` (a fit set beside any
targets file: ``kopsim validate-fit``) and :mod:`.errors`.

Needs pyabc: the optional extra ``kopsim[calibration]``.
"""

from .distance import SurveyDistance, category_interval, category_z, share_cells, share_deviance, spearman_z, total_z
from .errors import CalibrationError, require_pyabc
from .fit import (
    DEFAULT_BUDGET,
    DEFAULT_GENERATIONS,
    DEFAULT_POPULATION,
    DEFAULT_PPC_DRAWS,
    KERNELS,
    PARTICLES_PER_BATCH,
    CalibrationResult,
    run_calibration,
)
from .from_survey import targets_toml
from .model_choice import ModelChoiceResult, bayes_factor, format_model_choice, run_model_choice, write_model_choice
from .outputs import calibrated_toml, format_summary, write_outputs
from .posterior import POINTS, weighted_quantile
from .predictive import ppc_table
from .simulator import SurveySimulator, batch_survey_statistics, model_statistics, survey_statistics
from .targets import TARGET_KINDS, Prior, Target, Targets, check_for_run, load_targets, targets_from_dict
from .validate import Validation, validate_fit

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_GENERATIONS",
    "DEFAULT_POPULATION",
    "DEFAULT_PPC_DRAWS",
    "KERNELS",
    "PARTICLES_PER_BATCH",
    "POINTS",
    "TARGET_KINDS",
    "CalibrationError",
    "CalibrationResult",
    "ModelChoiceResult",
    "Prior",
    "SurveyDistance",
    "SurveySimulator",
    "Target",
    "Targets",
    "Validation",
    "batch_survey_statistics",
    "bayes_factor",
    "calibrated_toml",
    "category_interval",
    "category_z",
    "check_for_run",
    "format_model_choice",
    "format_summary",
    "load_targets",
    "model_statistics",
    "ppc_table",
    "require_pyabc",
    "run_calibration",
    "run_model_choice",
    "share_cells",
    "share_deviance",
    "spearman_z",
    "survey_statistics",
    "targets_from_dict",
    "targets_toml",
    "total_z",
    "validate_fit",
    "weighted_quantile",
    "write_model_choice",
    "write_outputs",
]
