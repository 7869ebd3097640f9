"""Errors of every layer, at the bottom so that every module may import them.

Anything a user can get wrong (a scenario file, a parameter value, a command-line option, a
survey CSV, a targets file, a results directory) raises an :class:`InputError`: its message
is one line naming the file, the key and what is allowed. The ``kopsim`` command prints it
as ``kopsim: error: …`` and exits with code 2; the Python API lets it propagate.
"""

from __future__ import annotations


class KopsimError(Exception):
    """Base of kopsim's own errors."""


class InputError(KopsimError, ValueError):
    """Bad input: a one-line message naming the file, the key and what is allowed (exit code 2)."""


class UsageError(InputError):
    """Bad input found by a command (an option, a file it reads, a results directory)."""


class ScenarioError(InputError):
    """A scenario file that cannot be used: the message is 'file: key.path: what is allowed'."""


class ParameterError(InputError):
    """An invalid parameter: the message names the parameter, its value and what is allowed."""

    def __init__(self, path: str, message: str, source: str | None = None) -> None:
        self.path = path
        self.source = source
        self.reason = message
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{path}: {message}")


__all__ = ["InputError", "KopsimError", "ParameterError", "ScenarioError", "UsageError"]
