"""The shipped scenario files (TOML). ``path(name)`` finds one; ``available()`` lists them."""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
DEFAULT = "baseline"


def available() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in DIRECTORY.glob("*.toml"))


def path(name: str) -> Path:
    """Path of the shipped scenario ``name`` (with or without ``.toml``)."""
    return DIRECTORY / (name if name.endswith(".toml") else f"{name}.toml")
