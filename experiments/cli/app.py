"""The ``kopsim app`` subcommand: ``register(sub)`` adds it to the kopsim parser.

Importing this module is cheap and never imports Solara (the core install has no Solara);
the handler imports the server lazily.
"""

from __future__ import annotations

import argparse
from typing import Any

from .argtypes import nonneg_int, port, pos_int

DEFAULT_PORT = 8765
# The class-size population, kept here so that building the parser does not import the app's
# session module (numpy, the network picture). It must equal kopsim.app.session.DEFAULT_HOUSEHOLDS
# (tests/test_cli_startup.py checks this).
DEFAULT_HOUSEHOLDS = 290


def register(sub: Any) -> None:
    """Add ``app`` to the kopsim subcommands (``sub`` is the parser's subparsers action)."""
    app = sub.add_parser(
        "app",
        help="serve the classroom page: a live network and charts, with intervention sliders",
        description="Serve the classroom page on HOST:PORT (default http://localhost:8765/). "
        "Labels in Bahasa Indonesia or English (a switch on the page). Needs the optional "
        "extra: pip install 'kopsim[app]'. Works without internet.",
    )
    app.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="shipped scenario name or path to a scenario TOML file (default: baseline)",
    )
    app.add_argument("--port", type=port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)")
    app.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1: this computer only; 0.0.0.0: the local network)",
    )
    app.add_argument(
        "--households",
        type=nonneg_int,
        default=DEFAULT_HOUSEHOLDS,
        help=f"class-size population: about this many households (default {DEFAULT_HOUSEHOLDS}, "
        "about 300 agents; 0 = the scenario's own population)",
    )
    app.add_argument("--seed", type=nonneg_int, default=None, help="random seed (default: the scenario's)")
    app.add_argument(
        "--lang",
        choices=("id", "en"),
        default="id",
        help="starting language: id (Bahasa Indonesia, default) or en (English)",
    )
    app.add_argument("--open", action="store_true", help="open the page in the default web browser")
    app.add_argument(
        "--max-sessions",
        type=pos_int,
        default=None,
        help="most browser tabs at once (default 60); more get a 'class is full' message",
    )
    app.set_defaults(handler=cmd_app)


def cmd_app(args: argparse.Namespace) -> int:
    from kopsim.app.server import serve

    return serve(
        args.scenario,
        host=args.host,
        port=args.port,
        households=args.households,
        seed=args.seed,
        lang=args.lang,
        open_browser=args.open,
        max_sessions=args.max_sessions,
    )
