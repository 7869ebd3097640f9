"""The calibration's input error and its optional dependency.

Needs pyabc: the optional extra ``kopsim[calibration]``.
"""

from __future__ import annotations

from typing import Any

from kopsim.errors import UsageError

INSTALL_HINT = "install it with: pip install 'kopsim[calibration]'"


class CalibrationError(UsageError):
    """Unusable calibration input: one line naming the file and key; exit code 2."""


def require_pyabc() -> Any:
    """The pyabc module, or :class:`CalibrationError` with the install hint when it is missing."""
    try:
        import pyabc
    except ImportError:
        raise CalibrationError(f"calibration needs pyabc, which is not installed; {INSTALL_HINT}") from None
    return pyabc


__all__ = ["INSTALL_HINT", "CalibrationError", "require_pyabc"]
