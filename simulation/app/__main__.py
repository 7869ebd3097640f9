"""``python -m kopsim.app [SCENARIO] [--port N] …``: the same as ``kopsim app …`` (an entry point)."""

import sys

from kopsim.experiments.cli import main

if __name__ == "__main__":
    sys.exit(main(["app", *sys.argv[1:]]))
