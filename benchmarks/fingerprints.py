"""Fingerprints of every shipped scenario's metrics: ``python -m benchmarks.fingerprints [NAME ...]``.

Runs each shipped scenario with its own steps and seed and prints the shape of its metrics
table and the first 16 hex digits of the SHA-256 of the table written as CSV at full precision.
A refactoring that must keep results bit-identical keeps every line of this output: run it
before and after and compare (``diff``).
"""

from __future__ import annotations

import hashlib
import sys

from kopsim import scenarios
from kopsim.model import CooperativeModel
from kopsim.scenario import load


def fingerprint(name: str) -> str:
    scen = load(name)
    frame = CooperativeModel(scen.params, seed=scen.seed, interventions=scen.interventions).run(scen.steps)
    digest = hashlib.sha256(frame.to_csv(index=False, float_format="%.17g").encode()).hexdigest()[:16]
    return f"{name} {frame.shape} {digest}"


def main(names: list[str]) -> None:
    for name in names or scenarios.available():
        print(fingerprint(name), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
