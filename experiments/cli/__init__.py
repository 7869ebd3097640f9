"""The ``kopsim`` command line: one parser, one module per command family.

* :mod:`.run` — ``run``; :mod:`.catalogue` — ``scenarios``, ``validate``, ``params``;
* :mod:`.survey` — ``survey``; :mod:`.experiments` — ``compare``, ``sweep``, ``report``, ``discover``, ``export``;
* :mod:`.sensitivity` — ``sensitivity``; :mod:`.calibrate` — ``calibrate``, ``validate-fit``;
  :mod:`.national` — ``national``;
  :mod:`.app` — ``app``.

Shared helpers (``--set`` parsing, execution options, exit codes) are in :mod:`.common`.
Bad input (any :class:`kopsim.errors.InputError`) prints one line ``kopsim: error: …`` to
stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from kopsim import __version__
from kopsim.errors import InputError

from . import app, calibrate, catalogue, experiments, national, run, sensitivity, survey
from .common import EXIT_INTERNAL, EXIT_USAGE, one_line, os_error_text

FAMILIES = (run, catalogue, survey, experiments, sensitivity, calibrate, national, app)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse's own convention)
        self.exit(EXIT_USAGE, f"kopsim: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``kopsim`` parser with every command family's subcommands."""
    parser = _Parser(prog="kopsim", description="Social capital in Indonesian cooperatives and UMKM (Mesa 3).")
    parser.add_argument("--version", action="version", version=f"kopsim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for family in FAMILIES:
        family.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    Bad input is one line and exit 2; anything unexpected is one line asking for a report and
    exit 1 (``--debug`` re-raises it, with its traceback).
    """
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as err:
        print(f"kopsim: error: {one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `kopsim params | head`: the reader has gone, which is fine
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except OSError as err:
        print(f"kopsim: error: {os_error_text(err)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kopsim: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: one line, not a traceback, unless --debug
        if args.debug:
            raise
        print(
            f"kopsim: error: internal error: {type(err).__name__}: {one_line(err)} (please report this "
            "to the kopsim developers; run again with --debug to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


__all__ = ["build_parser", "main"]
