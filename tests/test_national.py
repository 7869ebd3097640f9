"""National scale (issue #12 item 5): the plan adds up to the scaled BPS totals, the numbers do not
depend on the executor or its workers, and ``kopsim national`` writes its files or refuses bad input
in one line (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_kopsim

from kopsim.errors import UsageError
from kopsim.experiments import national
from kopsim.experiments.executors import SequentialExecutor, make_executor
from kopsim.experiments.national import BPS, PROVINCES, NationalSpec, plan, run_national, run_shard, shard_seed

ROOT = Path(__file__).resolve().parent.parent
# small and quick: 15 cooperatives (one each in the first 15 provinces), 3 months
TINY = NationalSpec(year=2016, scale=1e-4, months=3, seed=7)


@pytest.mark.parametrize(
    ("year", "scale", "max_worlds"),
    [(2016, 1e-4, 500), (2014, 1e-3, 500), (2015, 3e-4, 2), (2016, 1e-2, 7), (2016, 1.0, 500)],
)
def test_plan_adds_up_to_the_scaled_totals(year, scale, max_worlds):
    spec = NationalSpec(year=year, scale=scale, max_worlds=max_worlds)
    shards = plan(spec)
    bps = BPS[year]
    assert sum(s.worlds for s in shards) == spec.cooperatives == round(scale * bps.active_cooperatives)
    assert sum(s.members for s in shards) == spec.members == round(scale * bps.active_members)
    assert [s.index for s in shards] == list(range(len(shards)))
    assert all(1 <= s.worlds <= max_worlds for s in shards)
    # the synthetic split: equal shares (differing by at most one) over the 34 provinces
    per_region = pd.Series({s.region_code: 0 for s in shards})
    for s in shards:
        per_region[s.region_code] += s.worlds
    assert set(per_region.index) <= {code for code, _ in PROVINCES}
    if spec.cooperatives >= len(PROVINCES):
        assert len(per_region) == 34 and per_region.max() - per_region.min() <= 1
    # founding members per cooperative ≈ active members / active cooperatives
    for s in shards:
        assert abs(s.members_per_cooperative - bps.members_per_cooperative) <= 1.5


def test_bps_figures_and_the_2016_world():
    assert (BPS[2014].active_cooperatives, BPS[2016].active_cooperatives) == (143_007, 150_223)
    assert (BPS[2014].active_members, BPS[2016].active_members) == (35_300_000, 37_800_000)
    assert BPS[2015].interpolated and not BPS[2016].interpolated
    assert round(BPS[2016].members_per_cooperative) == 252
    assert len(PROVINCES) == 34 and len({c for c, _ in PROVINCES}) == 34
    params = national.shard_params(plan(TINY)[0])
    assert (params.population.n_villages, params.population.n_cooperatives) == (2, 1)
    assert params.population.members_per_cooperative == 252


def test_shard_seeds_are_a_seedsequence_spawn_keyed_by_index():
    children = np.random.SeedSequence(7).spawn(15)
    for k in (0, 3, 14):
        assert shard_seed(7, k, 15) == int(children[k].generate_state(1, dtype=np.uint64)[0])
    assert len({shard_seed(7, k, 15) for k in range(15)}) == 15


def test_same_seed_same_regions_serial_process_pool_and_dask():
    serial = run_national(TINY)
    assert serial.regions["region_code"].nunique() == 16  # 15 provinces and Indonesia
    with make_executor("process", 2) as pool:
        pooled = run_national(TINY, pool)
    with make_executor("process", 1) as pool:
        one = run_national(TINY, pool)
    with make_executor("process", 2, dask="local") as client:
        dask = run_national(TINY, client)
    for other in (pooled, one, dask):
        pd.testing.assert_frame_equal(other.regions, serial.regions, check_exact=True)
    assert len({r.pid for r in pooled.shards}) >= 1
    # a shard alone gives what it gave within the run: nothing leaks between shards
    shard = plan(TINY)[4]
    alone = run_shard(shard, shard_seed(TINY.seed, 4, 15))
    for name, values in alone.worlds.items():
        np.testing.assert_array_equal(values, serial.shards[4].worlds[name])
    # another seed, other numbers
    assert not run_national(NationalSpec(year=2016, scale=1e-4, months=3, seed=8)).regions.equals(serial.regions)


def test_regions_pool_the_parts_of_a_split_province():
    spec = NationalSpec(year=2016, scale=1e-4, months=2, seed=3, respondents=0)
    split = NationalSpec(year=2016, scale=1e-4, months=2, seed=3, respondents=0, max_worlds=1)
    assert len(plan(spec)) == len(plan(split)) == 15  # one cooperative per province: nothing to split
    spec3 = NationalSpec(year=2016, scale=5e-4, months=2, seed=3, respondents=0, max_worlds=2)
    shards = plan(spec3)  # 75 cooperatives: 2 or 3 per province, in parts of at most 2
    assert any(s.parts == 2 for s in shards)
    result = run_national(spec3, SequentialExecutor())
    members = result.regions[result.regions.metric == "members"].set_index("region_code")
    assert members.loc[11, "worlds"] == 3 and members.loc[0, "worlds"] == 75
    assert result.bytes_per_agent > 100
    names = dict(result.largest_arrays(3))
    assert all(v > 0 for v in names.values())


def test_state_bytes_sum_every_array_of_state_and_ties():
    from kopsim.model import CooperativeModel

    shard = plan(TINY)[0]
    model = CooperativeModel(national.shard_params(shard), seed=1, replicates=2)
    sizes = national.state_bytes(model.state, model.ties)
    assert sizes["trust"] == model.state.trust.nbytes and sizes["ties.a"] == model.ties.a.nbytes
    assert sum(sizes.values()) / model.state.n > 100


@pytest.mark.parametrize(
    "kwargs",
    [{"scale": 0}, {"scale": -1e-4}, {"scale": 1.5}, {"scale": float("nan")}, {"year": 2017}, {"scale": 1e-7}],
)
def test_bad_spec_is_an_input_error(kwargs):
    with pytest.raises(UsageError):
        NationalSpec(**kwargs)


def test_cli_end_to_end(tmp_path, capsys):
    out = tmp_path / "nat"
    argv = ["national", "--year", "2014", "--scale", "5e-5", "--months", "2", "--executor", "sequential"]
    code, stdout, stderr = run_kopsim([*argv, "--out", str(out)], capsys)
    assert code == 0, stderr
    assert "synthetic" in stdout
    regions = pd.read_csv(out / "regions.csv")
    assert {"year", "region_code", "region", "worlds", "metric", "mean", "q05", "median", "q95"} <= set(regions)
    assert (regions.year == 2014).all()
    assert {"members", "trust_board_mean", "participation_capital", "survey_rat_attendance", "rs_capital"} <= set(
        regions.metric
    )
    assert regions[regions.region_code == 0].worlds.iloc[0] == round(5e-5 * 143_007)
    worlds = pd.read_csv(out / "worlds.csv")
    assert len(worlds) == 7
    info = json.loads((out / "national.json").read_text())
    assert info["seed"] == 1 and info["spec"]["scale"] == 5e-5 and info["kopsim_version"]
    assert info["memory"]["bytes_per_agent"] > 100 and info["memory"]["largest_arrays_bytes_per_agent"]
    assert info["scaled"]["cooperatives"] == 7 and info["parameters"]["population"]["n_villages"] == 2
    assert "synthetic" in info["provincial_split"]


def test_cli_dask_gives_the_sequential_numbers(tmp_path, capsys):
    argv = ["national", "--scale", "5e-5", "--months", "2", "--respondents", "10", "--quiet"]
    code, _, err = run_kopsim([*argv, "--executor", "sequential", "--out", str(tmp_path / "seq")], capsys)
    assert code == 0, err
    code, _, err = run_kopsim([*argv, "--dask", "--workers", "2", "--out", str(tmp_path / "dask")], capsys)
    assert code == 0, err
    for name in ("regions.csv", "worlds.csv"):
        assert (tmp_path / "seq" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    info = json.loads((tmp_path / "dask" / "national.json").read_text())
    assert info["executor"] == "dask local"


@pytest.mark.parametrize(
    "argv",
    [
        ["--scheduler", "not-an-address"],
        ["--scheduler", "tcp://127.0.0.1:9"],  # nothing listens there: refused within the 5 s time-out
        ["--dask", "--scheduler", "tcp://127.0.0.1:9"],
        ["--scale", "0"],
        ["--scale", "-1"],
        ["--scale", "1.5"],
        ["--scale", "abc"],
        ["--year", "2017"],
        ["--year", "2013"],
        ["--scale", "1e-7"],
        ["--scenario", "no_such_scenario"],
        ["--scenario", "kemitraan_association"],  # kemitraan brings partner firms: not in a batch
        ["--scenario", "koperasi_wanita"],  # women only: fewer eligible households than members to found
    ],
)
def test_cli_bad_input_is_one_line_exit_2(argv, capsys, tmp_path):
    code, _, stderr = run_kopsim(["national", *argv, "--out", str(tmp_path / "x"), "--quiet"], capsys)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("kopsim")
    assert not (tmp_path / "x").exists()


def test_cli_help_is_light_and_years_agree():
    from kopsim.experiments.cli import national as cli_national

    assert cli_national.YEARS == national.YEARS
    probe = (
        "import sys; from kopsim.experiments.cli import main\n"
        "try:\n    main(['national', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('mesa', 'pandas', 'numpy', 'scipy', 'dask', 'distributed')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"
