"""``python -m kopsim …``: the same as the ``kopsim`` command.

The entry point stands above both layers, so it may import the command line from
:mod:`kopsim.experiments` (the simulation itself never does).
"""

import sys

from kopsim.experiments.cli import main

if __name__ == "__main__":
    sys.exit(main())
