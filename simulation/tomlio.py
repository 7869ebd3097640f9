"""Reading TOML input files with one-line errors (scenarios, experiments, parameter ranges, targets)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: str | Path, error: type[Exception]) -> dict[str, Any]:
    """Parse a TOML file; any failure raises ``error`` with one line naming the file and the problem."""
    src = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{src}: file not found") from None
    except UnicodeDecodeError:
        raise error(f"{src}: not a UTF-8 text file") from None
    except OSError as err:
        raise error(f"{src}: cannot read file ({err.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{src}: not valid TOML: {err}") from None
