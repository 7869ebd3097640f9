"""The ``kopsim`` command line, as a subprocess and in-process through ``kopsim.experiments.cli.main``."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from kopsim import CooperativeModel, Parameters, __version__
from kopsim.experiments import cli
from kopsim.parameters import describe
from kopsim.scenario import load


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_subprocess(args: list[str], cwd: Path) -> Result:
    proc = subprocess.run([sys.executable, "-m", "kopsim", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_inprocess(args: list[str], capsys: pytest.CaptureFixture[str]) -> Result:
    capsys.readouterr()
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse reports usage errors by exiting
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


@pytest.fixture(params=["subprocess", "inprocess"])
def kopsim(request, tmp_path, capsys, monkeypatch):
    """Call kopsim with a list of arguments, either way; the working directory is a temporary one."""
    monkeypatch.chdir(tmp_path)
    if request.param == "subprocess":
        return lambda args: run_subprocess(args, tmp_path)
    return lambda args: run_inprocess(args, capsys)


# ---------------------------------------------------------------- successful runs
def test_run_writes_metrics_and_manifest(kopsim, tmp_path):
    out = tmp_path / "out"
    res = kopsim(["run", "--steps", "3", "--seed", "1", "--out", str(out)])
    assert res.code == 0, res.err
    assert res.err == ""
    frame = pd.read_csv(out / "metrics.csv")
    assert len(frame) == 3
    assert frame["step"].tolist() == [1, 2, 3]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 1
    assert manifest["steps"] == 3
    assert manifest["scenario"] == "baseline"
    assert manifest["kopsim_version"] == __version__
    assert manifest["parameters"] == load("baseline").params.to_dict()
    assert manifest["files"]["metrics"] == "metrics.csv"
    assert "wrote" in res.out and "metrics.csv" in res.out


def test_manifest_reproduces_the_run(tmp_path, capsys):
    out = tmp_path / "o"
    res = run_inprocess(
        [
            "run",
            "--steps",
            "4",
            "--seed",
            "5",
            "--out",
            str(out),
            "--quiet",
            "--set",
            "population.households_per_village=40",
            "--set",
            "population.members_per_cooperative=30",
            "--set",
            "skills.training_selection=neediest",
        ],
        capsys,
    )
    assert res.code == 0 and res.out == "" and res.err == ""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    params = Parameters.from_dict(manifest["parameters"])
    assert params.population.households_per_village == 40
    assert params.skills.training_selection == "neediest"
    again = CooperativeModel(params, seed=manifest["seed"]).run(manifest["steps"])
    written = pd.read_csv(out / "metrics.csv")
    pd.testing.assert_frame_equal(written, again, check_dtype=False, rtol=1e-12)
    assert written["households"].iloc[0] == 4 * 40


def test_scenario_file_and_default_output_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "small.toml"
    f.write_text(
        '[scenario]\nname = "small"\nsteps = 2\nseed = 9\n'
        "[parameters.population]\nhouseholds_per_village = 30\nmembers_per_cooperative = 20\n",
        encoding="utf-8",
    )
    res = run_inprocess(["run", str(f), "--quiet"], capsys)
    assert res.code == 0, res.err
    out = tmp_path / "kopsim-output" / "small-seed9"
    assert len(pd.read_csv(out / "metrics.csv")) == 2
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 9 and manifest["scenario"] == "small"
    assert manifest["parameters"]["population"]["households_per_village"] == 30


def test_params_lists_every_key(kopsim):
    res = kopsim(["params"])
    assert res.code == 0
    lines = res.out.splitlines()
    rows = describe()
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        assert line.split()[0] == row["key"]
        assert f"allowed {row['allowed']}" in line
    assert any(line.startswith("trust.loss_rate ") for line in lines)


def test_version(tmp_path):
    res = run_subprocess(["--version"], tmp_path)
    assert res.code == 0
    assert res.out.strip() == f"kopsim {__version__}"


# ---------------------------------------------------------------- bad input
BAD_INPUTS = {
    "unknown scenario": (["run", "nosuch"], "nosuch"),
    "negative loss rate": (["run", "--set", "trust.loss_rate=-1"], "trust.loss_rate"),
    "misspelt key": (["run", "--set", "trust.los_rate=1"], "loss_rate"),
    "misspelt group": (["run", "--set", "trst.loss_rate=1"], "'trust'"),
    "override without =": (["run", "--set", "trust.loss_rate"], "GROUP.NAME=VALUE"),
    "zero steps": (["run", "--steps", "0"], "--steps"),
    "negative seed": (["run", "--seed", "-1"], "--seed"),
    "negative members": (["run", "--set", "population.members_per_cooperative=-5"], "members_per_cooperative"),
    "missing toml": (["run", "missing.toml"], "file not found"),
    "unknown toml key": (["run", "unknown_key.toml"], "did you mean 'loss_rate'"),
    "toml syntax error": (["run", "broken.toml"], "not valid TOML"),
    "toml negative members": (["run", "negative.toml"], "members_per_cooperative"),
    "toml not utf-8": (["run", "latin1.toml"], "latin1.toml"),
    "scenario is a directory": (["run", "."], "cannot read"),
    "bad choice": (["run", "--set", "skills.training_selection=randm"], "'random'"),
    "no command": ([], "required"),
}


def _write_bad_files(directory: Path) -> None:
    (directory / "unknown_key.toml").write_text("[parameters.trust]\nlos_rate = 0.3\n", encoding="utf-8")
    (directory / "broken.toml").write_text("[scenario\nsteps = 3\n", encoding="utf-8")
    (directory / "negative.toml").write_text(
        "[parameters.population]\nmembers_per_cooperative = -5\n", encoding="utf-8"
    )
    (directory / "latin1.toml").write_bytes(b'[scenario]\nname = "caf\xe9"\n')


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_and_exit_2(kopsim, tmp_path, case):
    args, fragment = BAD_INPUTS[case]
    _write_bad_files(tmp_path)
    res = kopsim(args)
    assert res.code == 2, (res.out, res.err)
    lines = res.err.splitlines()
    assert len(lines) == 1, res.err
    assert lines[0].startswith("kopsim: error:")
    assert fragment in lines[0]
    assert "Traceback" not in res.out + res.err
    assert res.out == ""
    assert not (tmp_path / "kopsim-output").exists()  # nothing written on bad input


def test_out_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = run_inprocess(
        [
            "run",
            "--steps",
            "1",
            "--quiet",
            "--set",
            "population.households_per_village=30",
            "--set",
            "population.members_per_cooperative=20",
            "--out",
            str(blocker / "sub"),
        ],
        capsys,
    )
    assert res.code == 2
    assert len(res.err.splitlines()) == 1 and res.err.startswith("kopsim: error:")
