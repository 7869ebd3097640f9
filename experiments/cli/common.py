"""Helpers every command family shares: exit codes, ``--set`` overrides, execution options, number formats."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from kopsim.parameters import ParameterError

from .argtypes import pos_int

EXIT_USAGE = 2
EXIT_INTERNAL = 1


def one_line(err: BaseException) -> str:
    """An exception's message on one line (some libraries' messages span several)."""
    return " ".join(str(err).split()) or type(err).__name__


def os_error_text(err: OSError) -> str:
    """'subject: reason' for an OSError; the subject is its file name, or what kopsim was doing."""
    subject = err.filename or getattr(err, "kopsim_subject", None) or "input/output"
    reason = err.strerror or one_line(err) or type(err).__name__
    if err.filename2:
        subject = f"{subject} -> {err.filename2}"
    return f"{subject}: {reason}"


def parse_override(text: str) -> tuple[str, Any]:
    """``GROUP.NAME=VALUE`` (from ``--set``) as a (key, value) pair; the value is read as TOML, else as text."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ParameterError(text, "expected GROUP.NAME=VALUE, e.g. trust.loss_rate=0.3")
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):  # also 5000-digit or 1000-deep values
        value = raw  # bare text, e.g. a choice such as random
    return key.strip(), value


def apply_overrides(params: Any, overrides: list[str]) -> Any:
    """``params`` with every ``--set GROUP.NAME=VALUE`` applied (validated)."""
    if not overrides:
        return params
    return params.replace(dict(parse_override(o) for o in overrides))


def add_set_option(
    p: argparse.ArgumentParser, help_text: str = "override one parameter, e.g. --set trust.loss_rate=0.3 (repeatable)"
) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="GROUP.NAME=VALUE", help=help_text)


def add_execution_options(
    p: argparse.ArgumentParser,
    out_help: str | None = None,
    dask_help: str | None = None,
    quiet_help: str = "no progress bar or summary",
    batch_help: str | None = None,
) -> None:
    """``--out``, ``--executor``, ``--workers``, ``--dask``, ``--quiet``: where and how runs execute."""
    if out_help is not None:
        p.add_argument("--out", type=Path, default=None, help=out_help)
    p.add_argument(
        "--executor",
        choices=("process", "sequential"),
        default="process",
        help="local process pool (default; workers = cores) or sequential",
    )
    p.add_argument("--workers", type=pos_int, default=None, help="worker processes (default: cores)")
    p.add_argument(
        "--dask",
        default=None,
        metavar="local|tcp://HOST:PORT",
        help=dask_help or "run on Dask: 'local' starts a LocalCluster, an address joins a scheduler",
    )
    p.add_argument("--quiet", action="store_true", help=quiet_help)
    if batch_help is not None:
        p.add_argument("--no-batch", dest="batch", action="store_false", help=batch_help)


def fmt(spec: str, value: float) -> str:
    """``spec.format(value)``, or 'n/a' for NaN."""
    return "n/a" if value != value else spec.format(value)  # NaN != NaN
