"""Validate a fit on any targets: simulate a fitted scenario and set each target beside the model's
predictive range (``kopsim validate-fit FIT_DIR TARGETS``).

**What is simulated**: the scenario of ``FIT_DIR/calibrated.toml`` run ``draws`` times with new
seeds at the calibrated point (``manifest.json``'s ``point``, which also holds fitted constants
of the survey response model that ``calibrated.toml`` keeps only as comments), or, with
``posterior=True``, at parameter sets drawn by weight from ``FIT_DIR/posterior.csv`` (the
posterior predictive). Each run is surveyed and summarised by
:class:`.simulator.SurveySimulator` exactly as in the fit, for the statistics the targets file
names (survey, series, PTP, trust); the survey month is the targets file's ``steps``, else the
calibrated scenario's. The run seeds come from SeedSequence([seed, VALIDATE_TAG]), so they are
not those of the fit's own checks.

**The table** is :func:`.predictive.ppc_table` of those runs (observed, median, 5%–95% range,
``inside``, ``missing``, ``held_out`` in the targets file) with ``fit``: ``fitted`` when the
fit used the same statistic (its label is in ``FIT_DIR/ppc.csv`` and was not held out there),
``held out`` when the fit predicted but did not fit it, ``new`` otherwise; ``fitted`` is the
boolean of the first. A statistic matched by label may still have another observed value than
in the fit (another study of the same statistic).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kopsim.scenario import Scenario, load

from .errors import CalibrationError
from .fit import PARTICLES_PER_BATCH, without_unused_metrics
from .predictive import point_predictive_draws, posterior_predictive_draws, ppc_table
from .simulator import INVALID, SurveySimulator
from .targets import Prior, Targets, check_for_run, load_targets

DEFAULT_DRAWS = 200
VALIDATE_TAG = 0x7A11D  # SeedSequence tag of the validation runs (new seeds, not the fit's)
FIT_FILES = ("calibrated.toml", "manifest.json", "ppc.csv")
ROLES = ("fitted", "held out", "new")


@dataclass
class Validation:
    """What :func:`validate_fit` returns: the table, the runs' statistics and the bookkeeping."""

    fit_dir: Path
    targets: Targets
    scenario: Scenario
    steps: int
    posterior: bool  # parameter sets drawn from posterior.csv (else the calibrated point)
    draws: int
    seed: int
    table: pd.DataFrame  # one row per target statistic (ppc_table's columns, then fit and fitted)
    runs: pd.DataFrame  # the statistics of every run
    notes: list[str] = field(default_factory=list)

    @property
    def inside(self) -> tuple[int, int]:
        """(targets inside the 90% range, targets)."""
        inside = self.table["inside"].fillna(False).astype(bool)
        return int(inside.sum()), len(inside)

    @property
    def inside_new(self) -> tuple[int, int]:
        """(targets not used in the fit inside the 90% range, targets not used in the fit)."""
        rows = self.table[~self.table["fitted"].astype(bool)]
        return int(rows["inside"].fillna(False).astype(bool).sum()), len(rows)

    def tally(self) -> str:
        """One line: k of m targets inside the 90% range; of those not used in the fit, k' of m'."""
        k, m = self.inside
        k2, m2 = self.inside_new
        return f"{k} of {m} targets inside the 90% range; of the targets not used in the fit: {k2} of {m2}"

    @property
    def what(self) -> str:
        """Which parameter sets were simulated, in words."""
        if self.posterior:
            return f"{self.draws} runs at parameter sets drawn from the fit's posterior (posterior.csv)"
        return f"{self.draws} runs of the calibrated point (calibrated.toml) with new seeds"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CalibrationError(f"{path}: not a kopsim calibrate manifest ({err})") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: not a kopsim calibrate manifest (expected a JSON object)")
    return data


def fit_priors(manifest: dict[str, Any], path: Path) -> tuple[Prior, ...]:
    """The fitted parameters of a fit, from its manifest's ``priors``."""
    try:
        return tuple(
            Prior(str(p["key"]), float(p["low"]), float(p["high"]), str(p["scale"]), bool(p["integer"]))
            for p in manifest["priors"]
        )
    except (KeyError, TypeError, ValueError):
        raise CalibrationError(f"{path}: priors: expected the fitted parameters written by kopsim calibrate") from None


def fit_roles(ppc: pd.DataFrame) -> dict[str, str]:
    """Statistic label -> ``fitted`` or ``held out``, of a fit's ppc.csv."""
    held = ppc["held_out"].fillna(False).astype(str).str.lower().isin(("true", "1")) if "held_out" in ppc else None
    return {
        str(stat): "held out" if held is not None and bool(held.iloc[i]) else "fitted"
        for i, stat in enumerate(ppc["statistic"])
    }


def _check_fit_dir(fit_dir: Path, posterior: bool) -> None:
    if not fit_dir.is_dir():
        raise CalibrationError(f"{fit_dir}: no such directory; FIT_DIR is the --out directory of kopsim calibrate")
    names = (*FIT_FILES, "posterior.csv") if posterior else FIT_FILES
    for name in names:
        if not (fit_dir / name).is_file():
            extra = " (needed by --posterior)" if name == "posterior.csv" else ""
            raise CalibrationError(
                f"{fit_dir}: no {name}{extra}; FIT_DIR must be the --out directory of a finished kopsim calibrate"
            )


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """A table of a fit directory, or one line naming the file and the columns expected."""
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CalibrationError(
            f"{path}: not a table written by kopsim calibrate ({' '.join(str(err).split())})"
        ) from None
    missing = [c for c in columns if c not in table]
    if missing:
        raise CalibrationError(f"{path}: no column {', '.join(missing)}; expected the table kopsim calibrate writes")
    return table


def _posterior(fit_dir: Path, priors: Sequence[Prior]) -> pd.DataFrame:
    path = fit_dir / "posterior.csv"
    table = _read_csv(path, [])
    missing = [p.key for p in priors if p.key not in table] + ([] if "weight" in table else ["weight"])
    if missing or not len(table):
        raise CalibrationError(f"{path}: columns {', '.join(missing) or 'rows'} missing; expected kopsim's posterior")
    w = table["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise CalibrationError(f"{path}: weight: expected weights >= 0 with a positive sum")
    table["weight"] = w / w.sum()
    return table


def validate_fit(
    fit_dir: str | Path,
    targets: str | Path | Targets,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = None,
    posterior: bool = False,
    executor: str = "process",
    workers: int | None = None,
    dask: str | None = None,
) -> Validation:
    """Simulate the fit in ``fit_dir`` and set every target of ``targets`` (a targets file, a shipped
    name or parsed :class:`.targets.Targets`; [priors] optional) beside its predictive range (module
    docstring). ``seed`` defaults to the calibrated scenario's. Bad input raises
    :class:`CalibrationError` (one line) before anything runs."""
    from kopsim.experiments.executors import make_executor

    fit_dir = Path(fit_dir)
    if draws < 2:
        raise CalibrationError(f"--draws: {draws} is too few; use a whole number >= 2")
    _check_fit_dir(fit_dir, posterior)
    manifest = _read_json(fit_dir / "manifest.json")
    priors = fit_priors(manifest, fit_dir / "manifest.json")
    scen = load(str(fit_dir / "calibrated.toml"))
    if not isinstance(targets, Targets):
        targets = load_targets(targets, scen.params, priors_required=False)
    steps = targets.steps if targets.steps is not None else scen.steps
    if targets.cooperative >= scen.params.population.n_cooperatives:
        raise CalibrationError(
            f"{targets.source}: targets.cooperative: {targets.cooperative} does not exist in {scen.name!r}; "
            f"allowed 0..{scen.params.population.n_cooperatives - 1}"
        )
    check_for_run(targets, scen.params, tuple(scen.interventions), steps)
    point = manifest.get("point")
    if not posterior and not (isinstance(point, dict) and all(p.key in point for p in priors)):
        raise CalibrationError(f"{fit_dir / 'manifest.json'}: point: expected the calibrated parameter values")
    table_post = _posterior(fit_dir, priors) if posterior else None
    roles = fit_roles(_read_csv(fit_dir / "ppc.csv", ["statistic"]))
    seed = scen.seed if seed is None else seed
    response = dict(manifest.get("response_fixed") or {})
    notes = []
    differ = {k: v for k, v in targets.response.items() if response.get(k) != v}
    if differ:
        notes.append(
            f"{targets.source}: [survey] {', '.join(differ)}: the fit's response model is used, not this file's"
        )
    base = without_unused_metrics(scen.params, targets)
    simulator = SurveySimulator(
        base,
        tuple(scen.interventions),
        steps,
        targets.respondents,
        targets.cooperative,
        priors,
        response,
        targets.model_targets,
    )
    run_seed = int(np.random.SeedSequence([seed, VALIDATE_TAG]).generate_state(1)[0])
    with make_executor(executor, workers, dask) as ex:
        if table_post is not None:
            runs = posterior_predictive_draws(simulator, table_post, priors, draws, run_seed, ex, PARTICLES_PER_BATCH)
        else:
            assert isinstance(point, dict)
            at = {p.key: float(point[p.key]) for p in priors}
            runs = point_predictive_draws(simulator, at, priors, draws, run_seed, ex, PARTICLES_PER_BATCH)
    invalid = int(runs[INVALID].fillna(0).sum()) if INVALID in runs else 0
    if invalid:
        notes.append(f"{invalid} of {draws} runs were invalid (e.g. every member left) and are left out")
    if invalid == draws:
        raise CalibrationError(f"{fit_dir}: every one of the {draws} runs was invalid; nothing to compare")
    table = ppc_table(targets, runs)
    table["fit"] = [roles.get(str(s), "new") for s in table["statistic"]]
    table["fitted"] = table["fit"] == "fitted"
    for _, row in table.iterrows():
        if float(row["missing"]) > 0:
            notes.append(
                f"{row['statistic']} was undefined in {row['missing']:.0%} of the runs (left out of its range)"
            )
    return Validation(fit_dir, targets, scen, steps, posterior, draws, seed, table, runs, notes)


# ---- output --------------------------------------------------------------------------------


def _num(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "" if math.isnan(v) else f"{v:.4g}"


def observed_text(row: Any) -> str:
    """The observed value of a table row (a category target's category, with a reported total)."""
    obs = _num(row["observed"])
    if row["kind"] in ("category", "ptp_zone"):
        obs = f"{obs} {row['observed_category']}".strip()
    return obs


def format_table(v: Validation) -> str:
    """The table as text: one line per target statistic."""
    head = (
        f"{'target':<38}{'observed':>14} {'median':>16}{'5%':>10}{'95%':>10}  {'in':<4}{'missing':>8}  "
        f"{'fit':<9}{'held out'}"
    )
    lines = [head]
    for _, r in v.table.iterrows():
        cat = f" ({r['median_category']})" if r["kind"] in ("category", "ptp_zone") else ""
        lines.append(
            f"{r['statistic']:<38}{observed_text(r):>14} {_num(r['median']) + cat:>16}{_num(r['q05']):>10}"
            f"{_num(r['q95']):>10}  {'yes' if r['inside'] else 'NO':<4}{r['missing']:>8.0%}  "
            f"{r['fit']:<9}{'yes' if r['held_out'] else '':<8}".rstrip()
        )
    return "\n".join(lines)


def versions() -> dict[str, str]:
    """The versions of kopsim, Python and the packages a run uses."""
    import platform
    from importlib import metadata

    import kopsim

    out = {"kopsim": kopsim.__version__, "python": platform.python_version()}
    for name in ("mesa", "numpy", "pandas"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def info(v: Validation, command: str, elapsed: float | None = None) -> dict[str, Any]:
    """validation.json: how the table was made."""
    import kopsim

    k, m = v.inside
    k2, m2 = v.inside_new
    fit_manifest = v.fit_dir / "manifest.json"
    return {
        "command": command,
        "kopsim_version": kopsim.__version__,
        "versions": versions(),
        "fit_dir": str(v.fit_dir.resolve()),
        "fit_manifest_sha256": hashlib.sha256(fit_manifest.read_bytes()).hexdigest(),
        "scenario": v.scenario.name,
        "targets_file": v.targets.source,
        "targets_sha256": v.targets.sha256(),
        "simulated": "posterior" if v.posterior else "point",
        "draws": v.draws,
        "seed": v.seed,
        "steps": v.steps,
        "respondents": v.targets.respondents,
        "cooperative": v.targets.cooperative,
        "inside": f"{k} of {m}",
        "inside_not_fitted": f"{k2} of {m2}",
        "tally": v.tally(),
        "notes": v.notes,
        **({"wall_time_seconds": round(elapsed, 1)} if elapsed is not None else {}),
    }


def render_html(v: Validation, meta: dict[str, Any]) -> str:
    """validation.html: one self-contained page (inline CSS, kopsim report's style): the tally, the
    table with targets outside their range highlighted, then the command, versions and seed."""
    from kopsim.experiments.i18n import esc
    from kopsim.experiments.report import CSS

    k, m = v.inside
    k2, m2 = v.inside_new
    css = (
        CSS
        + "tr.out td{background:#fde2e1}tr.in td.in{color:#1a7f37;font-weight:600}td.out{color:#b00020;font-weight:600}"
    )
    rows = []
    for _, r in v.table.iterrows():
        inside = bool(r["inside"])
        cat = f" ({esc(r['median_category'])})" if r["kind"] in ("category", "ptp_zone") else ""
        rows.append(
            f"<tr class={'in' if inside else 'out'}><td><code>{esc(r['statistic'])}</code></td>"
            f"<td class=num>{esc(observed_text(r))}</td><td class=num>{esc(_num(r['median']))}{cat}</td>"
            f"<td class=num>{esc(_num(r['q05']))} – {esc(_num(r['q95']))}</td>"
            f"<td class={'in' if inside else 'out'}>{'yes' if inside else 'no'}</td>"
            f"<td class=num>{r['missing']:.0%}</td><td>{esc(r['fit'])}</td>"
            f"<td>{'yes' if r['held_out'] else ''}</td></tr>"
        )
    notes = "".join(f"<li>{esc(n)}</li>" for n in v.notes)
    kv = [
        ("command", f"<code>{esc(meta['command'])}</code>"),
        ("fit directory", f"<code>{esc(meta['fit_dir'])}</code>"),
        ("scenario", esc(meta["scenario"])),
        ("targets file", f"<code>{esc(meta['targets_file'])}</code> (sha256 {esc(meta['targets_sha256'][:16])}…)"),
        ("simulated", esc(v.what)),
        ("seed", esc(meta["seed"])),
        ("survey month, respondents, cooperative", esc(f"{v.steps}, {v.targets.respondents}, {v.targets.cooperative}")),
        ("versions", esc(", ".join(f"{k} {v}" for k, v in meta["versions"].items()))),
    ]
    title = f"kopsim validate-fit: {v.scenario.name} on {Path(v.targets.source).name}"
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{css}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class=sub>{esc(v.what)}; fit <code>{esc(v.fit_dir)}</code></p>"
        f"<div class=keybox><p><b>{k} of {m}</b> targets inside the 90% range; of the targets not used in "
        f"the fit: <b>{k2} of {m2}</b>.</p></div>"
        "<h2>Targets against the model's predictive range</h2>"
        "<p class=note>Range: the 5% and 95% quantiles of the simulated statistic (over the runs where it is "
        "defined; <i>missing</i> is the share where it is not). A category or PTP zone is inside when the "
        "median's category is the observed one. <i>fit</i>: <b>fitted</b> — the fit used this statistic; "
        "<b>held out</b> — the fit predicted but did not fit it; <b>new</b> — not in the fit. <i>held out</i>: "
        "held out in this targets file.</p>"
        "<div class=scroll><table><thead><tr><th>target</th><th>observed</th><th>median</th>"
        "<th>5% – 95%</th><th>inside</th><th>missing</th><th>fit</th><th>held out</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + "<h2>How this was made</h2><table class=kv>"
        + "".join(f"<tr><th>{esc(a)}</th><td>{b}</td></tr>" for a, b in kv)
        + "</table><footer>Made by <code>kopsim validate-fit</code>; model outcomes, not observations.</footer>"
        "</body></html>\n"
    )


def write_validation(v: Validation, out: Path, command: str, elapsed: float | None = None) -> dict[str, Path]:
    """validation.csv, validation.html and validation.json in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "validation.csv", "html": out / "validation.html", "json": out / "validation.json"}
    meta = info(v, command, elapsed)
    v.table.to_csv(paths["csv"], index=False)
    paths["html"].write_text(render_html(v, meta), encoding="utf-8")
    paths["json"].write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return paths


__all__ = [
    "DEFAULT_DRAWS",
    "ROLES",
    "VALIDATE_TAG",
    "Validation",
    "fit_priors",
    "fit_roles",
    "format_table",
    "render_html",
    "validate_fit",
    "versions",
    "write_validation",
]
