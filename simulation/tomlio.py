"""TOML in and out: reading input files with one-line errors (scenarios, experiments, parameter ranges,
targets), and writing values, key lines and tables (calibrated scenarios, targets files, parameter tables).

Every file is checked before it is read: it must be a regular file (a device such as
``/dev/zero`` would never end) no larger than :data:`MAX_TOML_BYTES`. tomllib recurses once
per nesting level, so absurdly nested arrays end in a one-line error, not a RecursionError.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MAX_TOML_BYTES = 1024 * 1024  # 1 MiB: the largest shipped scenario is a few kB


def check_regular_file(path: str | Path, error: type[Exception], limit: int, what: str = "file") -> None:
    """Raise ``error`` unless ``path`` is an existing regular file of at most ``limit`` bytes."""
    src = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{src}: file not found") from None
    except (OSError, ValueError) as err:
        raise error(f"{src}: cannot read file ({getattr(err, 'strerror', None) or err})") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{src}: cannot read file (it is a directory; expected a {what})")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{src}: cannot read file (not a regular file but a device, pipe or socket; expected a {what})")
    if info.st_size > limit:
        raise error(f"{src}: {info.st_size} bytes is larger than the limit of {limit} bytes for a {what}")


def read_limited_text(path: str | Path, error: type[Exception], limit: int, what: str = "file") -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes; failures raise ``error`` naming the file."""
    src = str(path)
    check_regular_file(path, error, limit, what)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)  # the file may have grown since stat
    except OSError as err:
        raise error(f"{src}: cannot read file ({err.strerror or err})") from None
    if len(raw) > limit:
        raise error(f"{src}: larger than the limit of {limit} bytes for a {what}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{src}: not a UTF-8 text file") from None


def read_toml(path: str | Path, error: type[Exception]) -> dict[str, Any]:
    """Parse a TOML file; any failure raises ``error`` with one line naming the file and the problem."""
    return parse_toml(read_limited_text(path, error, MAX_TOML_BYTES, "TOML file"), str(path), error)


def parse_toml(text: str, src: str, error: type[Exception]) -> dict[str, Any]:
    """Parse TOML text read from ``src``; any failure raises ``error`` with one line naming ``src``."""
    try:
        return tomllib.loads(text)
    except ValueError as err:  # TOMLDecodeError, or an integer of more than 4300 digits
        raise error(f"{src}: not valid TOML: {' '.join(str(err).split())}") from None
    except RecursionError:
        raise error(f"{src}: not valid TOML: nested too deeply") from None


BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    """A key as TOML: bare when it may be, else a quoted string."""
    return key if BARE_KEY.fullmatch(key) else json.dumps(key)


def toml_value(value: Any, digits: int = 6, float_format: str | None = None) -> str:
    """A value as TOML text: ``true`` / ``false``; an integer as it is; a float rounded to ``digits``
    significant digits and written as the shortest float that reads back (``2.0``, ``0.1``), or with
    ``float_format`` (e.g. ``".4g"``, for display); a string double-quoted with JSON escapes (valid TOML);
    a table inline (``{}`` when empty); a list as an array."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(value, float_format) if float_format else repr(float(f"{value:.{digits}g}"))
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{toml_key(str(k))} = {toml_value(v, digits, float_format)}" for k, v in value.items())
        return f"{{ {inner} }}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v, digits, float_format) for v in value) + "]"
    return json.dumps(value)


def toml_line(key: str, value: Any, comment: str = "", align: int = 0, digits: int = 6) -> str:
    """``key = value`` (the key padded so that ``=`` stands in column ``align``), then ``    # comment``."""
    line = f"{toml_key(key).ljust(align - 1)} = {toml_value(value, digits)}"
    return f"{line}    # {comment}" if comment else line


def toml_table(
    name: str, entries: Mapping[str, Any] | Iterable[tuple[str, Any, str]], align: int = 0, digits: int = 6
) -> list[str]:
    """The lines of the table ``[name]``: one :func:`toml_line` per entry, from a mapping key → value or
    from (key, value, comment) triples."""
    rows = [(k, v, "") for k, v in entries.items()] if isinstance(entries, Mapping) else list(entries)
    return [f"[{name}]", *(toml_line(k, v, c, align, digits) for k, v, c in rows)]
