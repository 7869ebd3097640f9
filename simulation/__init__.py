"""kopsim: an agent-based model of social capital in Indonesian cooperatives and UMKM."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kopsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .model import CooperativeModel
from .parameters import ParameterError, Parameters

__all__ = ["CooperativeModel", "ParameterError", "Parameters", "__version__"]
