"""``kopsim scenarios``, ``validate`` and ``params``: what is shipped, whether files are valid, every parameter."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kopsim.errors import InputError
from kopsim.parameters import describe
from kopsim.tomlio import toml_value

from .common import EXIT_INTERNAL, EXIT_USAGE, one_line


def register(sub: Any) -> None:
    sub.add_parser("scenarios", help="list the shipped scenarios with their one-line purpose").set_defaults(
        handler=cmd_scenarios
    )
    val = sub.add_parser("validate", help="check scenario files; one line per file, exit 2 if any is invalid")
    val.add_argument("files", nargs="+", help="scenario TOML files or shipped scenario names")
    val.set_defaults(handler=cmd_validate)
    prm = sub.add_parser("params", help="list every parameter with its default, unit and allowed range")
    prm.add_argument("--markdown", action="store_true", help="print a Markdown table (as in scenarios/README.md)")
    prm.set_defaults(handler=cmd_params)


def cmd_scenarios(_: argparse.Namespace) -> int:
    from kopsim import scenarios
    from kopsim.scenario import load

    for name in scenarios.available():
        try:
            scen = load(name)
            print(f"{name:<28} {scen.description}")
        except InputError as err:
            print(f"{name:<28} INVALID: {err}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """One line per file; an unexpected error in one file does not stop the others from being checked."""
    from kopsim.scenario import load  # here, not at the top: `kopsim --help` needs no numpy

    bad = internal = 0
    for item in args.files:
        try:
            scen = load(item)
        except InputError as err:
            print(f"kopsim: error: {one_line(err)}", file=sys.stderr)
            bad += 1
            continue
        except Exception as err:  # a bug, reported for this file only
            if getattr(args, "debug", False):
                raise
            print(
                f"kopsim: error: {item}: internal error: {type(err).__name__}: {one_line(err)} "
                "(please report this to the kopsim developers)",
                file=sys.stderr,
            )
            internal += 1
            continue
        print(f"{scen.source}: ok ({scen.name}: {scen.steps} months, {len(scen.interventions)} interventions)")
    return EXIT_INTERNAL if internal else EXIT_USAGE if bad else 0


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
    from kopsim.interventions import KINDS
    from kopsim.interventions import describe as describe_interventions

    lines = ["## Every parameter", "", "| key | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for row in describe():
        shown = toml_value(row["default"], float_format=".4g")
        lines.append(f"| `{row['key']}` | {shown} | {row['unit']} | {row['allowed']} | {row['description']} |")
    rows = describe_interventions()
    for kind, cls in KINDS.items():
        doc = " ".join((cls.__doc__ or "").split())
        lines += [
            "",
            f'### `kind = "{kind}"`',
            "",
            doc,
            "",
            "| key | default | unit | allowed | meaning |",
            "|---|---|---|---|---|",
        ]
        for row in rows:
            if row["kind"] == kind:
                shown = toml_value(row["default"], float_format=".4g")
                lines.append(f"| `{row['key']}` | {shown} | {row['unit']} | {row['allowed']} | {row['description']} |")
    return "\n".join(lines)
