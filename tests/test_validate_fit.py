"""``kopsim validate-fit``: a fit's predictive range beside any targets file (files, tally, fitted vs new
targets, a synthetic check inside and outside, bad input)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

pytest.importorskip("pyabc")

from kopsim.experiments.calibration import validate_fit
from tests.helpers import run_kopsim
from tests.test_calibration import TARGETS, TINY

# a targets file of another study: one statistic the fit used, one it held out, new ones; no [priors]
OTHER = """
[targets]
respondents = 50
source = "another study"

[targets.items]
willing_to_serve_board = 80
giving_suggestions = 100

[targets.spearman]
organisation = 0.3

[targets.series.members]
months = [12]
values = [50]

[targets.ptp]
total = 80
zone = "yellow"

[targets.trust.peers]
of = "peer"
group = "members"
n = 10
shares = { low = 0.2, medium = 0.5, high = 0.3 }
"""

DRAWS = "6"


@pytest.fixture(scope="module")
def fit(tmp_path_factory):
    """A real fit directory of the tiny scenario: the cheapest kopsim calibrate (one generation,
    --point median), rs.organisation held out."""
    root = tmp_path_factory.mktemp("validate")
    (root / "tiny.toml").write_text(TINY, encoding="utf-8")
    (root / "targets.toml").write_text(TARGETS, encoding="utf-8")
    out = root / "fit"
    from kopsim.experiments import cli

    code = cli.main(
        [
            *("calibrate", str(root / "tiny.toml"), str(root / "targets.toml")),
            *("--budget", "60", "--population", "20", "--generations", "1", "--ppc-draws", "3"),
            *("--point", "median", "--executor", "sequential", "--seed", "3", "--quiet"),
            *("--hold-out", "rs.organisation", "--out", str(out)),
        ]
    )
    assert code == 0
    return out


def test_cli_writes_the_table_html_and_manifest_with_the_tally(fit, tmp_path, capsys):
    out = tmp_path / "v"
    args = ["validate-fit", str(fit), str(fit.parent / "targets.toml"), "--draws", DRAWS, "--executor", "sequential"]
    code, stdout, err = run_kopsim([*args, "--seed", "4", "--out", str(out)], capsys)
    assert code == 0, err
    tally = [line for line in stdout.splitlines() if "targets inside the 90% range" in line]
    assert len(tally) == 1 and re.fullmatch(
        r"\d of 6 targets inside the 90% range; of the targets not used in the fit: [01] of 1", tally[0]
    )  # rs.organisation was held out of the fit
    table = pd.read_csv(out / "validation.csv")
    assert list(table["statistic"]) == list(pd.read_csv(fit / "ppc.csv")["statistic"])
    assert {"observed", "median", "q05", "q95", "inside", "missing", "held_out", "fit", "fitted"} <= set(table.columns)
    assert table.set_index("statistic")["fit"].to_dict()["rs.organisation"] == "held out"
    assert (table["fit"] != "new").all()
    meta = json.loads((out / "validation.json").read_text())
    assert meta["seed"] == 4 and meta["draws"] == 6 and meta["kopsim_version"]
    assert meta["fit_dir"] == str(fit.resolve()) and len(meta["targets_sha256"]) == 64
    assert meta["simulated"] == "point" and meta["command"].startswith("kopsim validate-fit ")
    html = (out / "validation.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html and "src=" not in html  # self-contained
    assert html.index("targets inside the 90% range") < html.index("<table")  # the tally comes first
    assert "kopsim validate-fit" in html and f"kopsim {meta['kopsim_version']}, python" in html
    assert "<th>seed</th><td>4</td>" in html and meta["versions"]["numpy"] in html
    assert html.count("<tr class=in>") + html.count("<tr class=out>") == len(table)
    # the default output directory: FIT_DIR/validation-<targets stem>
    code, stdout, err = run_kopsim([*args, "--seed", "4", "--quiet"], capsys)
    assert code == 0, err
    assert stdout.splitlines() == tally  # --quiet: the tally only; the same seed, the same table
    assert (fit / "validation-targets" / "validation.html").exists()


def test_targets_the_fit_did_not_use_are_reported_as_new(fit, tmp_path, capsys):
    other = tmp_path / "other.toml"
    other.write_text(OTHER, encoding="utf-8")
    out = tmp_path / "v"
    code, stdout, err = run_kopsim(
        [
            *("validate-fit", str(fit), str(other), "--draws", "4", "--posterior"),
            *("--executor", "sequential", "--out", str(out)),
        ],
        capsys,
    )
    assert code == 0, err
    roles = pd.read_csv(out / "validation.csv").set_index("statistic")["fit"].to_dict()
    assert roles == {
        "total.willing_to_serve_board": "fitted",
        "total.giving_suggestions": "new",
        "rs.organisation": "held out",
        "series.members.m12": "new",
        "ptp.total": "new",
        "ptp_zone.total": "new",
        "trust.peers.low": "new",
        "trust.peers.medium": "new",
        "trust.peers.high": "new",
    }
    assert "of the targets not used in the fit: " in stdout and stdout.rstrip().splitlines()[-2].endswith("of 8")
    assert json.loads((out / "validation.json").read_text())["simulated"] == "posterior"


def test_the_same_seed_gives_the_same_table_on_every_executor(fit, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(OTHER, encoding="utf-8")
    tables = [
        validate_fit(fit, other, draws=3, seed=9, posterior=True, executor=kind, workers=1).table
        for kind in ("sequential", "process")
    ]
    pd.testing.assert_frame_equal(*tables)


def test_the_models_own_median_is_inside_and_an_absurd_value_outside(fit, tmp_path):
    first = tmp_path / "first.toml"
    first.write_text(OTHER, encoding="utf-8")
    v = validate_fit(fit, first, draws=8, seed=2, executor="sequential")
    median = v.table.set_index("statistic")["median"]
    synthetic = tmp_path / "synthetic.toml"
    synthetic.write_text(
        f"""
[targets]
source = "the fitted scenario itself"
held_out = ["series"]  # every target: allowed, since validate-fit fits nothing
[targets.series.members]
months = [12, 24]
values = [{float(median["series.members.m12"])!r}, 10000]
""",
        encoding="utf-8",
    )
    w = validate_fit(fit, synthetic, draws=8, seed=2, executor="sequential")
    table = w.table.set_index("statistic")
    assert bool(table.loc["series.members.m12", "inside"])
    assert not bool(table.loc["series.members.m24", "inside"])
    assert table.loc["series.members.m24", "q95"] < 10000
    assert table["held_out"].all() and (table["fit"] == "new").all()
    assert w.tally() == "1 of 2 targets inside the 90% range; of the targets not used in the fit: 1 of 2"


@pytest.mark.parametrize(
    "case, expected",
    [
        ("no-fit", "no calibrated.toml"),
        ("no-targets", "missing.toml: file not found"),
        ("draws", "--draws: 1 is too few; use a whole number >= 2"),
        ("metric", "targets.series.memberz: unknown metric; did you mean 'members'?"),
        ("month", "targets.series.members: month 999 is after the end of the run; allowed: 0..36"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(fit, tmp_path, capsys, case, expected):
    targets = tmp_path / "t.toml"
    series = {"metric": ("memberz", 12), "month": ("members", 999)}.get(case, ("members", 12))
    targets.write_text(
        f'[targets]\nsource = "x"\n[targets.series.{series[0]}]\nmonths = [{series[1]}]\nvalues = [50]\n',
        encoding="utf-8",
    )
    fit_dir = tmp_path if case == "no-fit" else fit
    target_arg = tmp_path / "missing.toml" if case == "no-targets" else targets
    out = tmp_path / "out"
    draws = "1" if case == "draws" else "3"
    code, stdout, err = run_kopsim(
        [
            *("validate-fit", str(fit_dir), str(target_arg), "--draws", draws),
            *("--executor", "sequential", "--out", str(out)),
        ],
        capsys,
    )
    assert code == 2 and err.count("\n") == 1 and expected in err, err
    assert err.startswith("kopsim: error: ") and stdout == ""
    assert not out.exists()
