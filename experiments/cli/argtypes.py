"""argparse value types shared by every kopsim subcommand: bad values give argparse's one-line error."""

from __future__ import annotations

import argparse


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def nonneg_int(text: str) -> int:
    """A whole number >= 0."""
    value = _int(text)
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def pos_int(text: str) -> int:
    """A whole number >= 1."""
    value = _int(text)
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port 0..65535 (0 = any free port)."""
    value = _int(text)
    if value is None or not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535 (0 = any free port), got {text!r}")
    return value
