"""Scenario discovery (PRIM via EMA Workbench): conditions, boxes on constructed data, and the
``kopsim discover`` / ``kopsim report --discover`` commands on a tiny sweep."""

from __future__ import annotations

import contextlib
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kopsim.errors import UsageError
from kopsim.experiments import cli
from kopsim.experiments import discovery as dsc
from tests.helpers import run_kopsim

OUTCOMES = ["trust_institution_mean", "members"]
SWEEP = """
[experiment]
name = "tiny"
scenarios = ["baseline"]
replications = 1
steps = 2
seed = 1
outcomes = ["trust_institution_mean", "members"]

[samples]
n = 10
"trust.initial_institution" = [0.1, 0.9]
"trust.loss_rate" = [0.1, 0.4]
"""


def kopsim(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_kopsim(args, capsys)


# ---------------------------------------------------------------- conditions
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("members<5", ("members", "<", 5.0)),
        (" members >= 1e2 ", ("members", ">=", 100.0)),
        ("members>-.5", ("members", ">", -0.5)),
    ],
)
def test_conditions_parse(text, expected):
    c = dsc.parse_condition(text, OUTCOMES)
    assert (c.outcome, c.op, c.value) == expected
    assert c.test(np.array([4.0, np.nan, 200.0])).dtype == bool
    assert not c.test(np.array([np.nan]))[0]  # a missing value never meets a condition


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("members=5", "OUTCOME OP NUMBER"),
        ("members<0,5", "'.' decimal"),
        ("nosuch<1", "allowed: trust_institution_mean"),
    ],
)
def test_bad_conditions_name_what_is_allowed(text, names):
    with pytest.raises(UsageError) as err:
        dsc.parse_condition(text, OUTCOMES)
    assert names in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------- PRIM on constructed data
def _constructed(n: int = 40) -> tuple[list[dict], pd.DataFrame]:
    rng = np.random.default_rng(3)
    configs = [
        {
            "scenario": "a" if k % 2 else "b",
            "parameters": {"trust": {"loss_rate": float(x)}, "skills": {"flag": True, "quota": 5}},
        }
        for k, x in enumerate(rng.uniform(0, 1, n))
    ]
    ok = pd.DataFrame({"config_index": np.repeat(np.arange(n), 2)})
    loss = np.array([configs[k]["parameters"]["trust"]["loss_rate"] for k in ok["config_index"]])
    scen = np.array([configs[k]["scenario"] for k in ok["config_index"]])
    ok["final_members"] = np.where((loss > 0.6) & (scen == "a"), 10.0, 50.0) + rng.normal(0, 1, len(ok))
    return configs, ok


def test_inputs_keep_only_what_varies():
    configs, ok = _constructed()
    x = dsc.inputs(configs, ok)
    assert list(x.columns) == [dsc.SCENARIO, "trust.loss_rate"]  # quota and flag are the same everywhere
    assert isinstance(x[dsc.SCENARIO].dtype, pd.CategoricalDtype) and x["trust.loss_rate"].dtype == float


def test_prim_finds_the_box_that_made_the_cases():
    pytest.importorskip("ema_workbench")
    configs, ok = _constructed()
    found = dsc.discover_in(configs, ok, dsc.parse_condition("members<30", ["members"]))
    assert found.cases == int((ok["final_members"] < 30).sum()) and found.runs == len(ok)
    box = found.boxes[0]
    assert box.coverage >= 0.8 and box.density >= 0.8 and 0 < box.mass < 0.5
    limits = {r.parameter: r for r in box.restrictions}
    assert limits[dsc.SCENARIO].values == ("a",)
    assert limits["trust.loss_rate"].low > 0.55 and limits["trust.loss_rate"].full_low < 0.1
    text = dsc.discovery_text(found)
    assert re.search(r"box 1: coverage \d+%.*density \d+%.*mass \d+% \(\d+ runs\)", text)
    assert "trust.loss_rate 0.6" in text


def test_no_box_is_said_plainly():
    configs, ok = _constructed()
    none = dsc.discover_in(configs, ok, dsc.parse_condition("members<0", ["members"]))
    assert not none.boxes and "no run meets the condition" in dsc.discovery_text(none)
    every = dsc.discover_in(configs, ok, dsc.parse_condition("members>0", ["members"]))
    assert "every run meets the condition" in dsc.discovery_text(every)


# ---------------------------------------------------------------- commands on a tiny sweep
@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``kopsim sweep``: 10 Latin-hypercube samples of two trust parameters x 1 replication x 2 months."""
    root = tmp_path_factory.mktemp("discovery")
    (root / "exp.toml").write_text(SWEEP)
    out = root / "out"
    screen = io.StringIO()
    with contextlib.redirect_stdout(screen), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["sweep", str(root / "exp.toml"), "--executor", "sequential", "--out", str(out)])
    assert code == 0
    # the sweep ends with the key findings (none without CIs, and it says why) and points to discover
    text = screen.getvalue()
    assert "Key findings at month 2" in text and "needs at least 2 replications" in text
    assert f"kopsim discover {out}" in text
    return out


class _Tables(HTMLParser):
    """The rows of every table under the section with id ``section`` (text of each cell)."""

    def __init__(self, section: str) -> None:
        super().__init__()
        self.section, self.inside, self.rows, self.cell = section, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.inside = dict(attrs).get("id") == self.section
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_discover_command_and_report_section(sweep, tmp_path, capsys):
    pytest.importorskip("ema_workbench")
    code, out, err = kopsim(["discover", str(sweep), "trust_institution_mean<0.4"], capsys)
    assert code == 0, err
    assert "parameters that vary: trust.initial_institution, trust.loss_rate" in out
    assert "box 1: coverage" in out and "trust.initial_institution" in out.split("box 1", 1)[1]
    target = tmp_path / "r.html"
    code, _, err = kopsim(
        [
            "report",
            str(sweep),
            "--no-network",
            "--no-figure-files",
            "--output",
            str(target),
            "--discover",
            "trust_institution_mean<0.4",
        ],
        capsys,
    )
    assert code == 0, err
    html = target.read_text()
    assert html.index('id="findings"') < html.index('id="discovery"') < html.index('id="compared"')
    parser = _Tables("discovery")
    parser.feed(html)
    head, first = parser.rows[0], parser.rows[1]
    assert head[:4] == ["box", "coverage", "density", "mass (runs)"]
    assert re.fullmatch(r"\d+%", first[1]) and re.fullmatch(r"\d+% \(\d+\)", first[3])
    assert "trust.initial_institution" in first[4]


@pytest.mark.parametrize(
    "args",
    [
        ["discover", "{out}", "trust_institution_mean=0.4"],
        ["discover", "{out}", "nosuch<0.4"],
        ["discover", "{out}", "members<1", "--threshold", "1.5"],
        ["report", "{out}", "--no-network", "--discover", "members"],
    ],
)
def test_bad_discovery_input_is_one_line_and_exit_2(sweep, args, capsys):
    code, _, err = kopsim([a.format(out=sweep) for a in args], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("kopsim: error: ")


def test_without_ema_workbench_the_message_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    configs, ok = _constructed()
    with pytest.raises(UsageError) as err:
        dsc.discover_in(configs, ok, dsc.parse_condition("members<30", ["members"]))
    assert "pip install 'kopsim[discovery]'" in str(err.value)


def test_no_parameter_varies():
    configs = [{"scenario": "a", "parameters": {"trust": {"loss_rate": 0.2}}}] * 2
    ok = pd.DataFrame({"config_index": [0, 1, 0, 1], "final_members": [1.0, 5.0, 2.0, 6.0]})
    found = dsc.discover_in(configs, ok, dsc.parse_condition("members<3", ["members"]))
    assert found.parameters == () and "no parameter varies" in dsc.discovery_text(found)
