"""kopsim: an agent-based model of social capital in Indonesian cooperatives and UMKM.

``import kopsim`` is light: the model (Mesa, pandas, scipy) is imported on first use of
``kopsim.CooperativeModel`` (``from kopsim import CooperativeModel`` works as before), so the
command line's ``--help``, ``validate``, ``scenarios`` and ``params`` start at once.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("kopsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .parameters import ParameterError, Parameters

if TYPE_CHECKING:
    from .model import CooperativeModel

# name -> submodule that defines it, imported on first access (PEP 562)
_LAZY = {"CooperativeModel": "model"}

__all__ = ["CooperativeModel", "ParameterError", "Parameters", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
