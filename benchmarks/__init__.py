"""kopsim benchmark suite: run ``python -m benchmarks`` from the repository root (see README.md).

Every measurement runs in a fresh Python subprocess (:mod:`benchmarks.worker`), so each
peak-memory figure belongs to one model size alone and no run warms another's caches;
figures that are compared with each other (idiomatic Mesa vs kopsim) are measured in one
process, alternating.
"""

# Population of each named size: households_per_village × n_villages households, plus
# 6 regional agencies, one village government and one moneylender per village.
HOUSEHOLDS_PER_VILLAGE = 200
MEMBERS_PER_COOPERATIVE = 150
SIZES = {"1k": 5, "10k": 50, "100k": 500}  # name -> n_villages (202·V + 6 agents)

METRICS_OFF = {"network_every": 0, "centrality_every": 0}

# Koperasi Mandiri Jaya (Firdaus & Baga 2019): one cooperative of 133 members in one village.
MANDIRI_JAYA = {
    "population": {"n_villages": 1, "n_cooperatives": 1, "households_per_village": 200, "members_per_cooperative": 133}
}

TARGETS = {
    "mandiri_120_steps_ms": 20.0,  # ≤: scenarios/mandiri_jaya.toml, 120 steps, default metrics
    "large_120_steps_s": 30.0,  # ≤: 100k agents, construction + 120 steps
    "large_peak_rss_gib": 2.0,  # ≤: 100k agents, peak resident memory
    "speedup_vs_idiomatic_10k": 100.0,  # ≥: idiomatic Mesa ms/step ÷ kopsim ms/step at 10k
    "cli_help_s": 0.5,  # ≤: `kopsim --help`, wall
    "cli_validate_s": 0.5,  # ≤: `kopsim validate FILE`, wall
    "national_1m_120_months_s": 300.0,  # ≤: 1M agents x 120 months on 2 workers (benchmarks.national, extrapolated)
    "national_1m_gib": 3.0,  # ≤: 1M agents held at once (benchmarks.national, extrapolated)
}

# `kopsim` commands timed by the cli section (the first two are targets)
CLI_COMMANDS = (("--help",), ("validate", "scenarios/baseline.toml"), ("--version",), ("scenarios",), ("params",))


def population(n_villages: int) -> dict[str, dict[str, int]]:
    """Parameters for ``n_villages`` villages of 200 households, one cooperative per two villages."""
    return {
        "population": {
            "n_villages": n_villages,
            "n_cooperatives": max(1, n_villages // 2),
            "households_per_village": HOUSEHOLDS_PER_VILLAGE,
            "members_per_cooperative": MEMBERS_PER_COOPERATIVE,
        }
    }


def expected_agents(n_villages: int) -> int:
    """Agent count of :func:`population`: households + 6 agencies + governments + moneylenders."""
    return n_villages * HOUSEHOLDS_PER_VILLAGE + 6 + 2 * n_villages
