"""What a fit writes: CSV tables, figures, ``calibrated.toml``, the manifest, and the printed summary.

**Output** (``--out DIR``): ``posterior.csv`` (the final generation's particles and weights),
``posterior_summary.csv`` (prior, weighted median, 5% and 95% quantiles, the point written),
``ppc.csv`` (each target beside the median and 90% interval of ``--ppc-draws`` posterior-
predictive surveys — parameters drawn from the posterior, a new run seed each — and, in the
``point_*`` columns, of as many runs of the calibrated point with new seeds),
``ppc_draws.csv`` / ``point_draws.csv`` (the statistics of those surveys), ``populations.csv``
(ε and simulations per generation), ``posterior.png``, ``ppc.png``, ``calibrated.toml`` (a
scenario that ``extends`` the original with the point: ``--point best`` (default), of the
marginal medians and the 8 particles of highest posterior density the one with the smallest mean
distance over 25 new runs (``point_candidates.csv``; :func:`best_point`), ``mode``, the particle
of highest density, or ``median``; :func:`point_estimate`) and ``manifest.json``; ``abc.db`` is
pyabc's database (sqlite).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kopsim.scenario import Scenario, load
from kopsim.tomlio import toml_line, toml_table

from .figures import posterior_figure, ppc_figure
from .posterior import POINT_TEXT
from .targets import RESPONSE_GROUP, Prior

if TYPE_CHECKING:
    from .fit import CalibrationResult


def _extends_value(scenario: Scenario) -> str:
    from kopsim import scenarios

    src = Path(scenario.source).resolve()
    if src.parent == scenarios.DIRECTORY.resolve():
        return src.stem
    return str(src)


def calibrated_toml(result: CalibrationResult, command: str) -> str:
    """A scenario file that ``extends`` the calibrated scenario and sets the fitted parameters to
    their posterior medians (whole-number ones rounded); intervals and priors as comments."""
    scen, t = result.scenario, result.targets
    summary = result.summary.set_index("parameter")
    last_eps = float(result.populations["epsilon"].iloc[-1]) if len(result.populations) else float("nan")
    lines = [
        f"# Calibrated against {t.source} by:",
        f"#   {command}",
        f"# ABC-SMC (pyabc): {len(result.populations)} generations, {result.simulations_used} simulations, "
        f"final epsilon {last_eps:.4g}, seed {result.seed}.",
        f"# Values: the posterior {POINT_TEXT[result.point_method]}; the comments give the 90% posterior "
        "interval and the prior.",
        "# Check the fit: ppc.csv / ppc.png next to this file.",
        toml_line("extends", _extends_value(scen)),
        "",
        *toml_table(
            "scenario",
            {"name": scen.name + "_calibrated", "description": f"{scen.name} calibrated to {Path(t.source).name}"},
        ),
    ]
    if result.steps != scen.steps:
        lines.append(toml_line("steps", result.steps, "the survey month of the targets"))
    groups: dict[str, list[Prior]] = {}
    for p in t.priors:
        groups.setdefault(p.key.split(".", 1)[0], []).append(p)
    for group, ps in groups.items():
        if group == RESPONSE_GROUP:
            continue
        rows = [
            (
                p.key.split(".", 1)[1],
                p.value(summary.loc[p.key, "point"]),
                f"90%: {summary.loc[p.key, 'q05']:.4g} .. {summary.loc[p.key, 'q95']:.4g}; prior {p.text()}",
            )
            for p in ps
        ]
        lines += ["", *toml_table(f"parameters.{group}", rows)]
    if RESPONSE_GROUP in groups or t.response:
        # the response model the fit used: the scenario's surveys are answered by it (scenario [survey])
        rows = [(k, v, "fixed in the targets file") for k, v in t.response.items()]
        for p in groups.get(RESPONSE_GROUP, []):
            row = summary.loc[p.key]
            interval = f"90%: {row['q05']:.4g} .. {row['q95']:.4g}; prior {p.text()}"
            rows.append((p.key.split(".", 1)[1], p.value(row["point"]), interval))
        lines += ["", *toml_table(RESPONSE_GROUP, rows)]
    return "\n".join(lines) + "\n"


def write_outputs(result: CalibrationResult, out: Path, info: dict[str, Any], command: str) -> dict[str, Path]:
    """posterior.csv, posterior_summary.csv, ppc.csv, ppc_draws.csv, point_draws.csv, populations.csv,
    posterior.png, ppc.png, calibrated.toml and manifest.json in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    names = {
        "posterior": "posterior.csv",
        "posterior_summary": "posterior_summary.csv",
        "ppc": "ppc.csv",
        "ppc_draws": "ppc_draws.csv",
        "point_draws": "point_draws.csv",
        "candidates": "point_candidates.csv",
        "populations": "populations.csv",
        "posterior_figure": "posterior.png",
        "ppc_figure": "ppc.png",
        "calibrated": "calibrated.toml",
        "database": "abc.db",
        "manifest": "manifest.json",
    }
    paths = {k: out / v for k, v in names.items()}
    result.posterior.to_csv(paths["posterior"], index_label="particle")
    result.summary.to_csv(paths["posterior_summary"], index=False)
    result.ppc.to_csv(paths["ppc"], index=False)
    result.ppc_draws.to_csv(paths["ppc_draws"], index=False)
    result.point_draws.to_csv(paths["point_draws"], index=False)
    if len(result.candidates):
        result.candidates.to_csv(paths["candidates"], index=False)
    else:
        del paths["candidates"]
    result.populations.to_csv(paths["populations"], index=False)
    posterior_figure(result).savefig(paths["posterior_figure"], dpi=120)
    ppc_figure(result).savefig(paths["ppc_figure"], dpi=120)
    paths["calibrated"].write_text(calibrated_toml(result, command), encoding="utf-8")
    load(str(paths["calibrated"]))  # the scenario written must load
    manifest = {**info, "files": {k: p.name for k, p in paths.items()}, "notes": result.notes}
    paths["manifest"].write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return paths


def format_summary(result: CalibrationResult) -> str:
    lines = [f"{'parameter':<40}{'median':>10}{'5%':>10}{'95%':>10}{result.point_method:>10}  prior"]
    for _, r in result.summary.iterrows():
        lines.append(
            f"{r['parameter']:<40}{r['median']:>10.4g}{r['q05']:>10.4g}{r['q95']:>10.4g}"
            f"{r['point']:>10.4g}  {r['prior']}"
        )
    lines.append("")
    lines.append(f"{'':<36}{'':>12}{'posterior predictive':^37}   {'calibrated point':^37}")
    head = f"{'median':>8}{'5%':>8}{'95%':>8}  {'in':<4}{'category':>11}"
    lines.append(f"{'target':<36}{'observed':>12}{head}   {head}")

    def cols(r: Any, pre: str) -> str:
        cat = ""
        if isinstance(r["observed_category"], str):
            cat = f"{r[pre + 'median_category']} {r[pre + 'p_category']:.2f}"
        return (
            f"{r[pre + 'median']:>8.3g}{r[pre + 'q05']:>8.3g}{r[pre + 'q95']:>8.3g}  "
            f"{'yes' if r[pre + 'inside'] else 'NO':<4}{cat:>11}"
        )

    held = result.ppc["held_out"].fillna(False).astype(bool) if "held_out" in result.ppc else None
    for _, r in result.ppc.iterrows():
        obs = "" if r["observed"] != r["observed"] else f"{r['observed']:.4g}"
        if r["kind"] in ("category", "ptp_zone"):
            obs = f"{obs} {r['observed_category']}".strip()
        name = f"{r['statistic']} *" if r.get("held_out") is True else r["statistic"]
        lines.append(f"{name:<36}{obs:>12}{cols(r, '')}   {cols(r, 'point_')}")
    if held is not None and held.any():
        inside = int(result.ppc.loc[held, "inside"].astype(bool).sum())
        lines.append(
            f"* held out (predicted, not fitted): {inside} of {int(held.sum())} inside the posterior-predictive "
            "90% range"
        )
    return "\n".join(lines)


__all__ = ["calibrated_toml", "format_summary", "write_outputs"]
