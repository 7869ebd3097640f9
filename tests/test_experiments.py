"""The experiment runner: executors agree, interrupted sweeps resume, failures are recorded, bad input is refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kopsim.experiments import cli as exp_cli
from kopsim.experiments import runner
from kopsim.experiments.spec import compare_experiment, load_experiment, replication_seeds
from kopsim.experiments.stats import t_interval
from kopsim.experiments.store import Store

SMALL = """
[experiment]
name = "small"
scenarios = ["small.toml"]
replications = {reps}
steps = {steps}
seed = 7
outcomes = ["members", "trust_institution_mean", "skill_members"]

[grid]
"skills.training_quota" = [2, 8]
"""

SCENARIO = """
[scenario]
name = "small"
[parameters.population]
households_per_village = 40
members_per_cooperative = 30
[parameters.metrics]
network_every = 0
centrality_every = 0
"""


def write_experiment(directory: Path, reps: int = 3, steps: int = 12) -> Path:
    (directory / "small.toml").write_text(SCENARIO, encoding="utf-8")
    path = directory / "exp.toml"
    path.write_text(SMALL.format(reps=reps, steps=steps), encoding="utf-8")
    return path


def comparable(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs table without timings, and all step rows, in a fixed order."""
    runs = pd.read_parquet(out / "runs.parquet").drop(columns=["duration_s"])
    runs = runs.sort_values("run_id").reset_index(drop=True)
    steps = pd.concat(Store(out).iter_steps()).sort_values(["run_id", "step"]).reset_index(drop=True)
    return runs, steps


def assert_same_results(reference: Path, others: list[Path], runs: int) -> None:
    """Every results directory holds the reference's runs and step rows (timings aside), all ok."""
    ref_runs, ref_steps = comparable(reference)
    assert len(ref_runs) == runs and (ref_runs["status"] == "ok").all()
    for out in others:
        got_runs, got_steps = comparable(out)
        pd.testing.assert_frame_equal(got_runs, ref_runs)
        pd.testing.assert_frame_equal(got_steps, ref_steps)


def test_seeds_derive_from_the_root_seed():
    a, b = replication_seeds(5, 4), replication_seeds(5, 4)
    assert a == b and len(set(a)) == 4
    assert replication_seeds(6, 4) != a
    assert replication_seeds(5, 6)[:4] == a  # more replications keep the first seeds


def test_compare_uses_common_random_numbers():
    exp = compare_experiment(["baseline", "harvest_shock"], 3, 2, 11, ["members"])
    runs = exp.runs()
    by_rep: dict[int, set[int]] = {}
    for r in runs:
        by_rep.setdefault(r.replication, set()).add(r.seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())  # replication i: one seed for every scenario
    assert len({r.run_id for r in runs}) == len(runs) == 6


def test_executors_give_identical_results(tmp_path):
    exp = write_experiment(tmp_path)
    outs = {}
    for name, extra in [
        ("sequential", ["--executor", "sequential"]),
        ("process", ["--workers", "2"]),
        ("dask", ["--dask", "local", "--workers", "2"]),
    ]:
        outs[name] = tmp_path / name
        assert exp_cli.main(["sweep", str(exp), "--out", str(outs[name]), "--quiet", *extra]) == 0
    assert_same_results(outs["sequential"], [outs["process"], outs["dask"]], runs=6)


def test_batched_runs_give_the_results_of_runs_alone(tmp_path):
    from kopsim.experiments import batching

    (tmp_path / "small.toml").write_text(SCENARIO, encoding="utf-8")
    path = tmp_path / "exp.toml"  # a real-valued grid: every configuration and replication can share a model
    path.write_text(
        SMALL.format(reps=3, steps=12).replace('"skills.training_quota" = [2, 8]', '"trust.loss_rate" = [0.2, 0.3]')
    )
    exp = load_experiment(path)
    batches = batching.plan(exp.runs(), workers=2)
    assert sorted(len(b) for b in batches) == [3, 3]  # six runs, two workers
    outs = {}
    for name, extra in [("alone", ["--no-batch"]), ("batched", []), ("batched_seq", ["--executor", "sequential"])]:
        outs[name] = tmp_path / name
        assert exp_cli.main(["sweep", str(path), "--out", str(outs[name]), "--quiet", "--workers", "2", *extra]) == 0
    assert_same_results(outs["alone"], [outs["batched"], outs["batched_seq"]], runs=6)
    # runs that differ in a parameter that shapes the timetable (a month, a size) never share a model
    path.write_text(SMALL.format(reps=3, steps=12).replace("skills.training_quota", "skills.training_every_months"))
    assert all(len(b) <= 2 for b in batching.plan(load_experiment(path).runs(), workers=2))


def test_statistics_match_a_direct_computation(tmp_path):
    exp = write_experiment(tmp_path, reps=4, steps=6)
    out = tmp_path / "out"
    assert exp_cli.main(["sweep", str(exp), "--out", str(out), "--quiet", "--executor", "sequential"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    steps = pd.concat(Store(out).iter_steps())
    label = steps["label"].iloc[0]
    vals = steps[(steps["label"] == label) & (steps["step"] == 6)]["trust_institution_mean"]
    row = summary[
        (summary["label"] == label) & (summary["step"] == 6) & (summary["outcome"] == "trust_institution_mean")
    ].iloc[0]
    assert row["n"] == 4
    assert row["mean"] == pytest.approx(vals.mean())
    assert row["sd"] == pytest.approx(vals.std(ddof=1))
    lo, hi = t_interval(np.array(vals.mean()), np.array(vals.std(ddof=1)), np.array(4))
    assert row["ci_low"] == pytest.approx(float(lo)) and row["ci_high"] == pytest.approx(float(hi))
    diff = pd.read_csv(out / "differences.csv")
    runs = pd.read_parquet(out / "runs.parquet")
    other = diff[diff["outcome"] == "skill_members"].iloc[0]
    a = runs[runs["config_index"] == 1].set_index("replication")["final_skill_members"]
    b = runs[runs["config_index"] == 0].set_index("replication")["final_skill_members"]
    assert other["mean_difference"] == pytest.approx((a - b).mean())


def test_a_failing_run_is_recorded_and_the_rest_complete(tmp_path, monkeypatch):
    exp = load_experiment(write_experiment(tmp_path))
    bad_seed = exp.runs()[2].seed
    real = runner.CooperativeModel

    class Flaky(real):
        def __init__(self, *args, seed=None, **kwargs):
            if seed == bad_seed or (isinstance(seed, list) and bad_seed in seed):  # alone or in a batch
                raise RuntimeError("injected failure")
            super().__init__(*args, seed=seed, **kwargs)

    monkeypatch.setattr(runner, "CooperativeModel", Flaky)
    result = runner.run_experiment(exp, tmp_path / "out", executor="sequential", quiet=True)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    failed = runs[runs["status"] == "error"]
    # the seed is shared by both configurations of that replication (common random numbers)
    assert result.failed == len(failed) == 2 and result.ok == 4
    assert failed["error"].str.contains("RuntimeError: injected failure").all()
    assert len(list((tmp_path / "out" / "steps").glob("*.parquet"))) == 4


def test_resume_skips_finished_runs_and_more_replications_extend(tmp_path):
    exp_path = write_experiment(tmp_path, reps=2)
    out = tmp_path / "out"
    first = runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    assert (first.ok, first.skipped) == (4, 0)
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}
    again = runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    assert (again.ok, again.skipped) == (0, 4)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")} == stamps
    write_experiment(tmp_path, reps=3)
    more = runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    assert (more.ok, more.skipped) == (2, 4)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 3  # the manifest records what the directory now holds
    assert manifest["created"] <= manifest["extended"]
    fewer = write_experiment(tmp_path, reps=2)
    runner.run_experiment(load_experiment(fewer), out, executor="sequential", quiet=True)
    assert json.loads((out / "manifest.json").read_text())["replications"] == 3


def _sweep_cmd(exp: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "kopsim", "sweep", str(exp), "--out", str(out), "--quiet", "--workers", "2"]


def test_sigkill_mid_sweep_then_rerun_finishes_exactly_the_planned_runs(tmp_path):
    exp_path = write_experiment(tmp_path, reps=30, steps=48)
    out = tmp_path / "out"
    planned = {r.run_id for r in load_experiment(exp_path).runs()}
    proc = subprocess.Popen(
        _sweep_cmd(exp_path, out), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(list((out / "runs").glob("*.json"))) < 6:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, mid-way
        proc.wait()
    before = {p.stem for p in (out / "runs").glob("*.json")}
    assert 6 <= len(before) < len(planned), "the kill must land mid-way"
    for path in (out / "steps").glob("*.parquet"):  # whatever was renamed into place is whole
        pd.read_parquet(path)
    done = subprocess.run(_sweep_cmd(exp_path, out), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    records = [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]
    ids = [r["run_id"] for r in records]
    assert sorted(ids) == sorted(planned)  # exactly the planned runs, none twice
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == len(planned) and runs["run_id"].is_unique and (runs["status"] == "ok").all()
    steps = pd.concat(Store(out).iter_steps())
    assert steps.groupby("run_id").size().eq(48).all() and steps["run_id"].nunique() == len(planned)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_scheduler_and_worker_as_separate_processes(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error")
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            address,
            "--nworkers",
            "1",
            "--nthreads",
            "1",
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
        cwd=tmp_path,
    )
    try:
        exp = write_experiment(tmp_path, reps=2, steps=6)
        via_dask = tmp_path / "dask"
        code = None
        deadline = time.time() + 60
        while time.time() < deadline:  # the scheduler takes a moment to listen
            try:
                code = exp_cli.main(["sweep", str(exp), "--out", str(via_dask), "--quiet", "--dask", address])
                break
            except SystemExit:
                time.sleep(0.5)
        assert code == 0
        local = tmp_path / "local"
        assert exp_cli.main(["sweep", str(exp), "--out", str(local), "--quiet", "--executor", "sequential"]) == 0
        for a, b in zip(comparable(via_dask), comparable(local), strict=True):
            pd.testing.assert_frame_equal(a, b)
    finally:
        for p in (worker, scheduler):
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


# ---------------------------------------------------------------- bad input
def _one_line_error(args: list[str], cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "kopsim", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kopsim: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[experiment\n", "not valid TOML"),
        ('[experiment]\nscenarios = ["nosuch"]\n', "experiment.scenarios[0]"),
        ('[experiment]\nscenarios = ["baseline"]\noutcomes = ["trust_mean"]\n', "not a metric"),
        ('[experiment]\nscenarios = ["baseline"]\nreplications = 0\n', "replications"),
        ('[experiment]\nscenarios = ["baseline"]\nreplicatons = 2\n', "did you mean 'replications'"),
        ('[experiment]\nscenarios = ["baseline"]\n[grid]\n"trust.loss_rate" = [0.2, 7.0]\n', "allowed range"),
        ('[experiment]\nscenarios = ["baseline"]\n[samples]\nn = 3\n"trust.loss_rate" = [0.5, 0.1]\n', "low <= high"),
    ],
)
def test_bad_experiment_files(tmp_path, text, fragment):
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    assert fragment in _one_line_error(["sweep", str(f), "--out", str(tmp_path / "o")], tmp_path)
    assert not (tmp_path / "o").exists()


def test_bad_compare_and_dask_input(tmp_path):
    assert "replications" in _one_line_error(["compare", "baseline", "--replications", "0"], tmp_path)
    assert "nosuch" in _one_line_error(["compare", "baseline", "nosuch"], tmp_path)
    assert "not a metric" in _one_line_error(["compare", "baseline", "--outcomes", "nope"], tmp_path)
    port = _free_port()  # nothing listens there
    msg = _one_line_error(
        [
            "compare",
            "baseline",
            "--replications",
            "1",
            "--steps",
            "1",
            "--dask",
            f"tcp://127.0.0.1:{port}",
            "--out",
            str(tmp_path / "d"),
        ],
        tmp_path,
    )
    assert "cannot reach the Dask scheduler" in msg


def test_a_different_experiment_never_overwrites_results(tmp_path):
    exp = write_experiment(tmp_path, reps=1, steps=3)
    out = tmp_path / "out"
    assert exp_cli.main(["sweep", str(exp), "--out", str(out), "--quiet", "--executor", "sequential"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    msg = _one_line_error(["compare", "baseline", "--replications", "1", "--steps", "2", "--out", str(out)], tmp_path)
    assert "different experiment" in msg
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_process_pool_runs_more_tasks_than_a_worker_limit_would_allow():
    """2,200 tasks on 2 workers finish. With max_tasks_per_child = 500 they hung at task 1,000 on
    Python 3.11 (CPython gh-115634: once every worker has retired none is started again)."""
    import subprocess
    import sys

    code = (
        "from kopsim.experiments.executors import make_executor\n"
        "with make_executor('process', 2) as ex:\n"
        "    futures = [ex.submit(abs, -k) for k in range(2200)]\n"
        "    assert sum(f.result() for f in futures) == sum(range(2200))\n"
        "print('done')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr


# ---- a finished experiment run again -------------------------------------------------------------
def _tables(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every table's bytes and modification time."""
    names = ("runs.parquet", "runs.csv", "summary.parquet", "summary.csv", "differences.csv")
    return {n: ((out / n).read_bytes(), (out / n).stat().st_mtime_ns) for n in names}


def test_a_finished_experiment_runs_nothing_and_rewrites_nothing(tmp_path, monkeypatch, capsys):
    exp = write_experiment(tmp_path, reps=2, steps=4)
    out = tmp_path / "out"
    args = ["sweep", str(exp), "--out", str(out), "--executor", "sequential"]
    assert exp_cli.main(args) == 0
    first = capsys.readouterr().out
    files = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    tables = _tables(out)

    def no_model(*args, **kwargs):
        raise AssertionError("a finished experiment must not simulate")

    monkeypatch.setattr(runner, "CooperativeModel", no_model)
    monkeypatch.setattr("kopsim.experiments.spec.check_outcomes", no_model)  # checked when the directory began
    again = runner.run_experiment(load_experiment(exp, check=False), out, executor="sequential", quiet=True)
    assert (again.planned, again.skipped, again.ok, again.failed) == (4, 4, 0, 0)
    assert exp_cli.main(args) == 0
    second = capsys.readouterr().out
    assert _tables(out) == tables  # not even rewritten with the same bytes
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"} == files
    # the same key findings on the screen; only the summary line says that nothing ran
    assert "4 runs planned, 0 already done, 4 ran" in first and "4 runs planned, 4 already done, 0 ran" in second
    assert first.split("\n", 1)[1] == second.split("\n", 1)[1]


def test_a_finished_experiment_run_again_imports_no_model(tmp_path):
    exp = write_experiment(tmp_path, reps=1, steps=2)
    out = tmp_path / "out"
    assert exp_cli.main(["sweep", str(exp), "--out", str(out), "--quiet", "--executor", "sequential"]) == 0
    probe = (
        "import sys; from kopsim.experiments.cli import main; "
        f"code = main(['sweep', {str(exp)!r}, '--out', {str(out)!r}]); "
        "print(code, sorted(m for m in ('mesa', 'kopsim.model', 'igraph', 'scipy.stats') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"


def test_tables_are_rewritten_when_runs_or_tables_change(tmp_path):
    exp_path = write_experiment(tmp_path, reps=2, steps=4)
    out = tmp_path / "out"
    runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    tables = _tables(out)
    store = Store(out)
    assert store.tables_current()
    assert exp_cli.main(["export", str(out)]) == 0  # rewrites the runs table from the same runs
    assert store.tables_current()
    (out / "summary.csv").unlink()  # a table removed by hand: written again, the same
    assert not store.tables_current()
    runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    assert {n: b for n, (b, _) in _tables(out).items()} == {n: b for n, (b, _) in tables.items()}
    (out / ".tables.json").unlink()  # killed after the last run, before the tables were marked
    runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    assert store.tables_current()
    assert {n: b for n, (b, _) in _tables(out).items()} == {n: b for n, (b, _) in tables.items()}
    record = sorted((out / "runs").glob("*.json"))[0]  # a record edited by hand: the runs table follows it
    data = json.loads(record.read_text())
    data["final_members"] = -1.0
    record.write_text(json.dumps(data) + "\n")
    assert not store.tables_current()
    again = runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    assert again.ok == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs.loc[runs["run_id"] == record.stem, "final_members"].item() == -1.0
    removed = sorted((out / "runs").glob("*.json"))[-1]  # a record removed: that run is computed again
    removed.unlink()
    again = runner.run_experiment(load_experiment(exp_path), out, executor="sequential", quiet=True)
    assert (again.ok, again.skipped) == (1, 3) and store.tables_current()


def test_t_interval_is_scipy_stats_t():
    from scipy import stats as st

    n = np.arange(0, 500, dtype=float)
    sd = np.linspace(0.0, 3.0, n.size)
    lo, hi = t_interval(np.ones_like(n), sd, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = st.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    np.testing.assert_array_equal(lo, 1.0 - half)  # bit for bit
    np.testing.assert_array_equal(hi, 1.0 + half)
