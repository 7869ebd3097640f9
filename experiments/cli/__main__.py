"""``python -m kopsim.experiments.cli``: the same as ``kopsim``."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
