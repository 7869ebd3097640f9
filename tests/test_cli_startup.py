"""The command line starts at once: light commands import no heavy package; metrics agree with networkx.

Which modules a command imports is checked in a fresh interpreter (``sys.modules`` after the
command). Timings are not tested here (the machine may be busy): ``python -m benchmarks``
measures them against the 0.5 s target.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from kopsim import metrics

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("mesa", "pandas", "matplotlib", "scipy", "pyabc", "SALib", "dask", "networkx", "igraph", "solara")

_PROBE = """
import contextlib, io, json, sys
from kopsim.experiments.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(HEAVY))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def _imports_after(*argv: str) -> dict:
    code = _PROBE.replace("HEAVY", repr(HEAVY))
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("--version",),
        ("params",),
        ("scenarios",),
        ("validate", "scenarios/baseline.toml"),
        ("run", "--help"),
        ("calibrate", "--help"),
        ("validate-fit", "--help"),
        ("sensitivity", "--help"),
        ("app", "--help"),
    ],
)
def test_light_commands_import_no_heavy_package(argv):
    result = _imports_after(*argv)
    assert result["code"] in (0, None)
    assert result["heavy"] == [], f"kopsim {' '.join(argv)} imported {result['heavy']}"


def test_import_kopsim_is_light_and_the_model_is_still_there():
    code = (
        "import sys, kopsim, kopsim.scenario, kopsim.parameters, kopsim.interventions; "
        "print(sorted(m for m in ('mesa', 'pandas', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    from kopsim import CooperativeModel
    from kopsim.model import CooperativeModel as Direct

    assert CooperativeModel is Direct
    assert "CooperativeModel" in dir(__import__("kopsim"))


def test_constants_kept_in_the_cli_equal_their_sources():
    from kopsim.app import session
    from kopsim.experiments import calibration, sensitivity
    from kopsim.experiments.cli import app as cli_app
    from kopsim.experiments.cli import calibrate as cli_cal
    from kopsim.experiments.cli import sensitivity as cli_sens

    assert cli_app.DEFAULT_HOUSEHOLDS == session.DEFAULT_HOUSEHOLDS
    for name in (
        "DEFAULT_BUDGET",
        "DEFAULT_POPULATION",
        "DEFAULT_GENERATIONS",
        "DEFAULT_PPC_DRAWS",
        "POINTS",
        "KERNELS",
        "PARTICLES_PER_BATCH",
    ):
        assert getattr(cli_cal, name) == getattr(calibration, name), name
    assert cli_cal.DEFAULT_VALIDATE_DRAWS == calibration.validate.DEFAULT_DRAWS
    assert cli_sens.METHODS == sensitivity.METHODS
    assert cli_sens.SUMMARIES == sensitivity.SUMMARIES


def _graph(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    g = nx.watts_strogatz_graph(n - 5, 4, 0.3, seed=seed)  # + 5 isolated vertices
    a, b = (np.array(x, dtype=np.int64) for x in zip(*g.edges, strict=True))
    return np.r_[a, b[:7]], np.r_[b, a[:7]]  # 7 ties listed twice (both orders): one edge each


@pytest.mark.parametrize(("samples", "seed"), [(20, 0), (20, 3), (1, 5), (500, 1)])
def test_board_betweenness_equals_networkx(samples, seed):
    n = 120
    a, b = _graph(n, seed)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    board = np.array([3, 17, 44, 90])
    k = samples if samples < n else None
    expected = nx.betweenness_centrality(g, k=k, normalized=True, seed=seed)
    got = metrics.betweenness(n, a, b, samples, seed)
    ref = np.array([expected[i] for i in range(n)])
    if samples == 1:  # networkx: NaN for the one sampled source (0/0), as here
        assert np.array_equal(np.isnan(got), np.isnan(ref))
        got, ref = np.nan_to_num(got), np.nan_to_num(ref)
    assert np.allclose(got, ref, rtol=1e-12, atol=1e-15)
    if samples > 1:
        value = metrics.board_betweenness(n, a, b, board, samples, seed)
        assert value == pytest.approx(float(np.mean([expected[i] for i in board])), rel=1e-12)
    assert math.isnan(metrics.board_betweenness(n, a, b, np.array([], dtype=np.int64), samples, seed))


def test_clustering_equals_networkx():
    n = 80
    a, b = _graph(n, 2)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    assert metrics.clustering(n, a, b) == pytest.approx(nx.average_clustering(g), rel=1e-12)
    assert metrics.clustering(n, a[:0], b[:0]) == 0.0
