"""``python -m simulation.app [SCENARIO] [--port N] …``: the same as ``kopsim app …``."""

import sys

from ..cli import main
from .cli import register

if __name__ == "__main__":
    sys.exit(main(["app", *sys.argv[1:]], extensions=(register,)))
