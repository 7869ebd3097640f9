"""``kopsim report``: the self-contained HTML report and the figures behind it."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import small_params
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from kopsim import CooperativeModel
from kopsim.experiments import cli
from kopsim.experiments.figures import forest_plot, time_series
from kopsim.network_picture import network_picture, network_subgraph

OUTCOMES = ["members", "trust_institution_mean", "umkm_revenue", "clustering"]
SCENARIOS = ["baseline", "harvest_shock"]
IMAGE = '<img src="data:image/png;base64,'
IMAGE_ANY = re.compile(r'<img[^>]*\ssrc="data:image/png;base64,[A-Za-z0-9+/=]+"')
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def kopsim(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small compare: 2 scenarios x 2 replications x 6 months (clustering is NaN after month 1)."""
    out = tmp_path_factory.mktemp("report") / "cmp"
    code = cli.main(
        [
            "compare",
            *SCENARIOS,
            "--replications",
            "2",
            "--steps",
            "6",
            "--outcomes",
            ",".join(OUTCOMES),
            "--executor",
            "sequential",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def report_html(results: Path) -> str:
    code = cli.main(["report", str(results)])
    assert code == 0
    return (results / "report.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the HTML report
def test_report_names_every_configuration_and_outcome(report_html):
    assert report_html.startswith("<!DOCTYPE html>")
    for label in SCENARIOS:
        assert label in report_html
    for outcome in OUTCOMES:
        assert outcome in report_html
    for section in (
        "What was compared",
        "Run settings",
        "Final outcomes",
        "Differences from the reference",
        "Forest plot",
        "Outcomes over time",
        "social network",
    ):
        assert section in report_html


def test_report_embeds_images_and_nothing_external(report_html):
    # a forest plot, one time series per outcome with values (all four) and the network picture
    assert len(IMAGE_ANY.findall(report_html)) >= 1 + len(OUTCOMES) + 1
    assert report_html.count(IMAGE) >= len(OUTCOMES)
    assert not EXTERNAL.findall(report_html)
    assert "http://" not in report_html and "https://" not in report_html
    assert "<script" not in report_html.lower() and "<link" not in report_html.lower()


def test_report_settings_and_reproduction(report_html, results):
    manifest = json.loads((results / "manifest.json").read_text())
    assert f"<th>root seed</th><td>{manifest['root_seed']}</td>" in report_html
    assert "4 planned, <strong>4 ok</strong>" in report_html
    assert "do not depend on the executor" in report_html
    # the network picture's re-run matches the recorded run
    assert "reproduces the recorded run" in report_html
    # clustering is computed in month 1 only, so its final value is shown as not computed
    assert "not computed in the final month" in report_html


def test_report_command_prints_path_and_honours_output(results, tmp_path, capsys):
    target = tmp_path / "sent.html"
    code, out, err = kopsim(["report", str(results), "--output", str(target)], capsys)
    assert code == 0, err
    assert out.strip() == f"wrote {target}"
    assert target.stat().st_size > 10_000


def test_report_lists_failed_runs_and_recomputes(results, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(results, copy)
    record_path = sorted((copy / "runs").glob("*.json"))[-1]
    record = json.loads(record_path.read_text())
    record.update(status="error", error="ValueError: bad <value> & more")
    for key in [k for k in record if k.startswith("final_")]:
        del record[key]
    record_path.write_text(json.dumps(record) + "\n")
    (copy / "steps" / f"{record['run_id']}.parquet").unlink()
    code, _, err = kopsim(["report", str(copy)], capsys)
    assert code == 0, err
    text = (copy / "report.html").read_text()
    assert "<strong class=bad>1 failed</strong>" in text
    assert "ValueError: bad &lt;value&gt; &amp; more" in text
    assert record["run_id"] in text
    assert "recomputed" in text


def test_report_skips_outcomes_without_values_and_single_configuration(tmp_path, capsys):
    spec = tmp_path / "exp.toml"
    spec.write_text(
        '[experiment]\nname = "nan"\nscenarios = ["baseline"]\nreplications = 2\nsteps = 3\n'
        'outcomes = ["members", "clustering"]\n\n[grid]\n"metrics.network_every" = [0]\n'
    )
    out = tmp_path / "sweep"
    code, _, err = kopsim(["sweep", str(spec), "--executor", "sequential", "--quiet", "--out", str(out)], capsys)
    assert code == 0, err
    code, _, err = kopsim(["report", str(out)], capsys)
    assert code == 0, err
    text = (out / "report.html").read_text()
    assert "Not shown (no values in any month): <code>clustering</code>" in text
    assert "Forest plot" not in text  # one configuration: nothing to compare
    assert len(IMAGE_ANY.findall(text)) == 3  # the distribution of final values, the members time series, the network


@pytest.mark.parametrize("kind", ["empty", "not-results", "missing", "manifest-only"])
def test_report_on_a_non_results_directory_is_a_usage_error(kind, results, tmp_path, capsys):
    target = tmp_path / "dir"
    if kind != "missing":
        target.mkdir()
    if kind == "not-results":
        (target / "notes.txt").write_text("hello\n")
    if kind == "manifest-only":
        shutil.copy(results / "manifest.json", target / "manifest.json")
    code, out, err = kopsim(["report", str(target)], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kopsim: error: "), err
    assert not (target / "report.html").exists()


# ---------------------------------------------------------------- figures
def test_time_series_has_one_line_and_band_per_configuration(results):
    summary = pd.read_parquet(results / "summary.parquet")
    fig = time_series(summary, "trust_institution_mean", labels=SCENARIOS)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == SCENARIOS
    assert len(ax.collections) == len(SCENARIOS)  # one shaded CI band each
    assert ax.get_xlabel() == "month"
    # clustering has one value (month 1): still one line per configuration
    assert len(time_series(summary, "clustering").axes[0].get_lines()) == len(SCENARIOS)


def test_time_series_rejects_an_outcome_without_values(results):
    summary = pd.read_parquet(results / "summary.parquet")
    empty = summary.assign(mean=np.nan)
    with pytest.raises(ValueError, match="no values"):
        time_series(empty, "members")


def _differences(configs: list[str], outcomes: list[str]) -> pd.DataFrame:
    rows = []
    for k, label in enumerate(configs, start=1):
        for j, o in enumerate(outcomes):
            scale = 10.0 ** (2 * j)  # very different scales
            rows.append([label, k, o, 5, k * scale, scale, (k - 1.5) * scale, (k + 1.5) * scale, "ref"])
    rows.append([configs[0], 1, "nothing", 1, np.nan, np.nan, np.nan, np.nan, "ref"])  # skipped
    return pd.DataFrame(
        rows,
        columns=["label", "config_index", "outcome", "n", "mean_difference", "sd", "ci_low", "ci_high", "reference"],
    )


def test_forest_plot_has_one_panel_per_outcome_and_one_bar_per_configuration():
    configs, outcomes = ["a", "b", "c"], ["x", "y", "z", "w"]
    fig = forest_plot(_differences(configs, outcomes), ncols=3)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == outcomes
    for ax in panels:
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert len(bars) == len(configs)
        zero = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0.0, 0.0]]
        assert len(zero) == 1
        assert ax.get_xlim()[0] < 0 < ax.get_xlim()[1]
    # each panel on its own scale
    widths = [ax.get_xlim()[1] - ax.get_xlim()[0] for ax in panels]
    assert widths[-1] > 1000 * widths[0]


def test_forest_plot_needs_differences():
    with pytest.raises(ValueError):
        forest_plot(_differences(["a"], ["x"]).iloc[0:0])


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50, metadata={"Software": None})
    return buf.getvalue()


def test_network_picture_draws_a_small_model_whole_and_deterministically():
    model = CooperativeModel(small_params(), seed=5)
    model.run(3)
    graph = network_subgraph(model)
    s = model.state
    assert set(range(s.n_households)) <= set(graph.nodes)
    assert graph.number_of_edges() > 0
    layers = {d["layer"] for _, _, d in graph.edges(data=True)}
    assert layers == {0, 1, 2}  # bonding, bridging and linking ties all drawn
    fig = network_picture(model)
    assert isinstance(fig, Figure)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("bonding tie") for t in legend) and any(t.startswith("linking tie") for t in legend)
    assert _png(fig) == _png(network_picture(model))


def test_network_picture_of_a_large_model_is_capped_to_the_first_cooperative():
    model = CooperativeModel(small_params({"population": {"n_cooperatives": 2}}), seed=6)
    model.run(2)
    s = model.state
    graph = network_subgraph(model, max_nodes=60)
    assert graph.number_of_nodes() <= 60
    households = [i for i in graph.nodes if i < s.n_households]
    assert households and all(s.coop[i] == 0 for i in households)
    members = set(np.flatnonzero(s.member[: s.n_households] & (s.coop[: s.n_households] == 0)).tolist())
    assert members <= set(households)  # members come first, then other households fill the room
    tight = [i for i in network_subgraph(model, max_nodes=40).nodes if i < s.n_households]
    assert tight and set(tight) <= members
    institutional = [i for i in graph.nodes if i >= s.n_households]
    assert all(graph.degree(i) > 0 for i in institutional)


# ---------------------------------------------------------------- the same numbers and figures, faster
def _summary_by_groupby(results: Path, outcomes: list[str]) -> pd.DataFrame:
    """The summary as kopsim computed it before it was vectorised: per-file pandas groupby sums."""
    from kopsim.experiments.stats import t_interval
    from kopsim.experiments.store import Store

    total = None
    for frame in Store(results).iter_steps():
        vals = frame[outcomes].astype(float)
        keys = [frame["config_id"], frame["label"], frame["step"]]
        part = pd.concat(
            {
                "n": vals.notna().astype(float).groupby(keys).sum(),
                "s": vals.groupby(keys).sum(min_count=1).fillna(0.0),
                "q": (vals * vals).groupby(keys).sum(min_count=1).fillna(0.0),
            },
            axis=1,
        )
        total = part if total is None else total.add(part, fill_value=0.0)
    assert total is not None
    n, s, q = total["n"], total["s"], total["q"]
    mean = s / n.where(n > 0)
    sd = np.sqrt(((q - n * mean * mean) / (n - 1).where(n > 1)).clip(lower=0.0))
    tidy = pd.concat(
        {"n": n.stack(), "mean": mean.stack(future_stack=True), "sd": sd.stack(future_stack=True)}, axis=1
    ).reset_index()
    tidy.columns = ["config_id", "label", "step", "outcome", "n", "mean", "sd"]
    tidy["ci_low"], tidy["ci_high"] = t_interval(tidy["mean"].to_numpy(), tidy["sd"].to_numpy(), tidy["n"].to_numpy())
    return tidy


def test_summary_is_bit_for_bit_the_groupby_summary(results):
    from kopsim.experiments.stats import summary
    from kopsim.experiments.store import Store

    got = summary(Store(results), OUTCOMES)
    assert got["mean"].isna().any()  # clustering: NaN after month 1, counted as absent
    pd.testing.assert_frame_equal(got, _summary_by_groupby(results, OUTCOMES), check_exact=True)
    written = pd.read_parquet(results / "summary.parquet")
    pd.testing.assert_frame_equal(written, got, check_exact=True)


def test_figures_drawn_in_parallel_equal_those_drawn_one_by_one(results, tmp_path):
    from kopsim.experiments.i18n import LANG
    from kopsim.experiments.report_figures import figure_sections, start_network
    from kopsim.experiments.reportdata import load, prepare, reference_index

    drawn = {}
    for workers in (1, 2, "early"):  # one by one; in 2 workers; and the network picture started before prepare
        data = load(results)
        figure_dir = tmp_path / f"figures-{workers}"
        early = start_network(data, reference_index(data), figure_dir) if workers == "early" else None
        assert workers != "early" or early is not None  # the test machine has 2 cores and fork
        prepare(data)
        data.figure_dir = figure_dir
        token = LANG.set(data.lang)
        try:
            sections = figure_sections(data, network=True, workers=2 if early else int(workers), early=early)
        finally:
            LANG.reset(token)
            if early is not None:
                early.close()
        timeless = {k: re.sub(r"\(\d+\.\d s\)", "(T s)", v) for k, v in sections.items()}  # the re-run's time
        html = {k: v.replace(str(data.figure_dir), "DIR") for k, v in timeless.items()}
        files = {p.name: p.read_bytes() for p in sorted(data.figure_dir.iterdir())}
        drawn[workers] = html, files
    assert set(drawn[1][0]) == {"forest", "distributions", "timeseries", "network"}
    assert len(drawn[1][1]) == 2 * (1 + 1 + len(OUTCOMES) + 1)  # SVG and PNG of each figure
    assert drawn[2] == drawn[1]
    assert drawn["early"] == drawn[1]


def test_a_report_that_fails_leaves_no_network_picture_behind(results, tmp_path, capsys):
    import tempfile

    copy = tmp_path / "copy"
    shutil.copytree(results, copy)
    shutil.rmtree(copy / "figures", ignore_errors=True)  # left by the module's earlier reports
    (copy / "report.html").unlink(missing_ok=True)
    before = set(Path(tempfile.gettempdir()).glob("kopsim-network-*"))
    # the picture starts drawing once the runs are loaded; the condition fails later, while it draws
    code, _, err = kopsim(["report", str(copy), "--discover", "no_such_outcome<1"], capsys)
    assert code == 2 and "kopsim: error:" in err
    assert not (copy / "figures").exists() and not (copy / "report.html").exists()
    assert set(Path(tempfile.gettempdir()).glob("kopsim-network-*")) == before


def _report_in_worker(results: str) -> str:
    from kopsim.experiments.report import write_report

    return str(write_report(results, Path(results) / "from-worker.html"))


def test_a_report_written_inside_a_daemonic_worker_draws_there(results):
    """A pool's worker may not start processes: the figures are then drawn one by one, in the worker."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        path = Path(pool.apply(_report_in_worker, (str(results),)))
    text = path.read_text(encoding="utf-8")
    assert "reproduces the recorded run" in text and len(IMAGE_ANY.findall(text)) >= 1 + len(OUTCOMES) + 1
