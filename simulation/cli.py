"""Command line: ``kopsim run [SCENARIO] --steps N --seed S --out DIR`` and friends.

Bad input (unknown scenario, invalid parameter, malformed file) prints one line
``kopsim: error: …`` to stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .argtypes import nonneg_int, pos_int
from .parameters import ParameterError, Parameters, describe
from .scenario import ScenarioError, load

EXIT_USAGE = 2


class UsageError(ValueError):
    """Bad input found by a command: printed as one line, exit code 2."""

SUMMARY_COLUMNS = (
    ("members", "members", "{:.0f}"),
    ("participation_organisation", "participation: organisation", "{:.3f}"),
    ("participation_business", "participation: business unit", "{:.3f}"),
    ("participation_capital", "participation: capital", "{:.3f}"),
    ("trust_peer_mean", "trust in peers (mean)", "{:.3f}"),
    ("trust_board_mean", "trust in the board (mean)", "{:.3f}"),
    ("trust_institution_mean", "trust in the cooperative (mean)", "{:.3f}"),
    ("reciprocity_rate", "reciprocity rate", "{:.3f}"),
    ("savings_mandatory", "mandatory savings (Rp M)", "{:.1f}"),
    ("savings_voluntary", "voluntary savings (Rp M)", "{:.1f}"),
    ("coop_loans_outstanding", "cooperative loans outstanding (Rp M)", "{:.1f}"),
    ("arrears_share", "arrears share of borrowers", "{:.3f}"),
    ("umkm_revenue", "UMKM revenue this month (Rp M)", "{:.1f}"),
    ("information_reach", "information reach", "{:.3f}"),
    ("ei_index", "E-I index (bonding -1 .. bridging +1)", "{:.3f}"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's own convention)
        self.exit(EXIT_USAGE, f"kopsim: error: {message}\n")


def build_parser(extensions: Sequence[Callable[[Any], None]] = ()) -> argparse.ArgumentParser:
    """The ``kopsim`` parser; each extension adds subcommands (with ``set_defaults(handler=…)``)."""
    parser = _Parser(prog="kopsim", description="Social capital in Indonesian cooperatives and UMKM (Mesa 3).")
    parser.add_argument("--version", action="version", version=f"kopsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run one simulation and write its metrics and manifest")
    run.add_argument("scenario", nargs="?", default=None,
                     help="shipped scenario name or path to a scenario TOML file (default: baseline)")
    run.add_argument("--steps", type=pos_int, default=None, help="months to simulate (default: the scenario's)")
    run.add_argument("--seed", type=nonneg_int, default=None, help="random seed (default: the scenario's)")
    run.add_argument("--out", type=Path, default=None,
                     help="output directory (default: kopsim-output/<scenario>-seed<seed>)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="GROUP.NAME=VALUE",
                     help="override one parameter, e.g. --set trust.loss_rate=0.3 (repeatable)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(handler=cmd_run)
    sub.add_parser("scenarios", help="list the shipped scenarios with their one-line purpose").set_defaults(
        handler=cmd_scenarios)
    val = sub.add_parser("validate", help="check scenario files; one line per file, exit 2 if any is invalid")
    val.add_argument("files", nargs="+", help="scenario TOML files or shipped scenario names")
    val.set_defaults(handler=cmd_validate)
    prm = sub.add_parser("params", help="list every parameter with its default, unit and allowed range")
    prm.add_argument("--markdown", action="store_true", help="print a Markdown table (as in scenarios/README.md)")
    prm.set_defaults(handler=cmd_params)
    from .survey_cli import register as register_survey  # imported here: survey_cli imports this module

    register_survey(sub)
    from .app.cli import register as register_app  # `kopsim app`; imports no Solara

    register_app(sub)
    for extend in extensions:
        extend(sub)
    return parser


def _parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ParameterError(text, "expected GROUP.NAME=VALUE, e.g. trust.loss_rate=0.3")
    key, raw = text.split("=", 1)
    import tomllib

    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # bare text, e.g. a choice such as random
    return key.strip(), value


def cmd_run(args: argparse.Namespace) -> int:
    scen = load(args.scenario)
    params = scen.params
    if args.overrides:
        params = params.replace(dict(_parse_override(o) for o in args.overrides))
    steps = args.steps if args.steps is not None else scen.steps
    seed = args.seed if args.seed is not None else scen.seed
    out = args.out or Path("kopsim-output") / f"{scen.name}-seed{seed}"
    from .model import CooperativeModel  # imported here so `--help` and errors stay fast

    t0 = time.perf_counter()
    model = CooperativeModel(params, seed=seed, interventions=scen.interventions)
    frame = model.run(steps)
    elapsed = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "metrics.csv", index=False)
    manifest = run_manifest(scen.name, scen.source, params, seed, steps, elapsed, model.state.n)
    manifest["interventions"] = [intervention_record(iv) for iv in scen.interventions]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=float) + "\n", encoding="utf-8")
    if not args.quiet:
        print(summary(scen.name, scen.description, frame, seed, steps, elapsed, model.state.n, out))
    return 0


def run_manifest(name: str, source: str, params: Parameters, seed: int, steps: int, elapsed: float,
                 n_agents: int) -> dict[str, Any]:
    """What is needed to reproduce a run: seed, every parameter, versions."""
    import mesa
    import numpy as np
    import pandas as pd

    return {
        "kopsim_version": __version__,
        "scenario": name,
        "scenario_file": os.path.abspath(source),
        "seed": seed,
        "steps": steps,
        "agents": n_agents,
        "parameters": params.to_dict(),
        "wall_time_seconds": round(elapsed, 4),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "files": {"metrics": "metrics.csv"},
    }


def summary(name: str, description: str, frame: Any, seed: int, steps: int, elapsed: float, n_agents: int,
            out: Path) -> str:
    first, last = frame.iloc[0], frame.iloc[-1]
    lines = [f"kopsim {__version__} - scenario {name!r}: {description}",
             f"{steps} months, seed {seed}, {n_agents} agents, {elapsed:.2f} s",
             f"{'outcome':<40}{'month 1':>12}{f'month {steps}':>12}"]
    for col, label, fmt in SUMMARY_COLUMNS:
        lines.append(f"{label:<40}{_fmt(fmt, first[col]):>12}{_fmt(fmt, last[col]):>12}")
    lines.append(f"wrote {out / 'metrics.csv'} ({len(frame)} rows x {frame.shape[1]} columns) "
                 f"and {out / 'manifest.json'}")
    return "\n".join(lines)


def _fmt(fmt: str, value: float) -> str:
    return "n/a" if value != value else fmt.format(value)  # NaN != NaN


def intervention_record(iv: Any) -> dict[str, Any]:
    """An intervention as plain data for the manifest."""
    from dataclasses import asdict

    return {"kind": iv.kind, **asdict(iv)}


def cmd_scenarios(_: argparse.Namespace) -> int:
    import scenarios

    for name in scenarios.available():
        try:
            scen = load(name)
            print(f"{name:<28} {scen.description}")
        except ScenarioError as err:
            print(f"{name:<28} INVALID: {err}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    bad = 0
    for item in args.files:
        try:
            scen = load(item)
        except (ScenarioError, ParameterError) as err:
            print(f"kopsim: error: {err}", file=sys.stderr)
            bad += 1
            continue
        print(f"{scen.source}: ok ({scen.name}: {scen.steps} months, {len(scen.interventions)} interventions)")
    return EXIT_USAGE if bad else 0


def cmd_params(args: argparse.Namespace) -> int:
    if args.markdown:
        print(parameter_table())
        return 0
    for row in describe():
        unit = f" [{row['unit']}]" if row["unit"] else ""
        print(f"{row['key']:<45} {row['default']!s:>14}{unit}  allowed {row['allowed']}: {row['description']}")
    return 0


def parameter_table() -> str:
    """Every parameter, then every intervention field, as Markdown tables (scenarios/README.md)."""
    from .interventions import KINDS
    from .interventions import describe as describe_interventions

    lines = ["## Every parameter", "", "| key | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for row in describe():
        shown = _toml_value(row["default"])
        lines.append(f"| `{row['key']}` | {shown} | {row['unit']} | {row['allowed']} | {row['description']} |")
    rows = describe_interventions()
    for kind, cls in KINDS.items():
        doc = " ".join((cls.__doc__ or "").split())
        lines += ["", f"### `kind = \"{kind}\"`", "", doc, "",
                  "| key | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
        for row in rows:
            if row["kind"] == kind:
                lines.append(f"| `{row['key']}` | {_toml_value(row['default'])} | {row['unit']} | {row['allowed']} "
                             f"| {row['description']} |")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    """A default as it would be written in a scenario file."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{}" if not value else str(value)
    return str(value)


def main(argv: Sequence[str] | None = None, extensions: Sequence[Callable[[Any], None]] = ()) -> int:
    """Run the command line; ``extensions`` add subcommands (the experiments package adds its own)."""
    args = build_parser(extensions).parse_args(argv)
    try:
        return args.handler(args)
    except (ScenarioError, ParameterError, UsageError) as err:
        print(f"kopsim: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `kopsim params | head`: the reader has gone, which is fine
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except OSError as err:
        print(f"kopsim: error: {err.filename or ''}: {err.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kopsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
