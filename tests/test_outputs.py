"""Outputs people can use: key findings first, reference and contrasts, figures as files, Indonesian
numbers and labels, spreadsheet export, a print stylesheet, colour-blind-safe palettes."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kopsim.experiments import cli, findings, i18n, stats
from kopsim.experiments import report as rep
from kopsim.experiments.figures import forest_standardised, palette, time_series
from kopsim.experiments.store import Store
from kopsim.labels import outcome_bounds, outcome_unit

OUTCOMES = ["members", "skill_members", "umkm_revenue", "trust_institution_mean"]
SCENARIOS = ["baseline", "training_follow_up"]
FINDING = re.compile(
    r"training_follow_up (raises|lowers) .+ by [0-9.,]+.* \(95% CI -?[0-9.,]+ to -?[0-9.,]+\) "
    r"over baseline at month 12"
)


def kopsim(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = cli.main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``kopsim compare`` of 2 scenarios x 3 replications x 12 months (training starts in month 12), and its screen."""
    out = tmp_path_factory.mktemp("outputs") / "cmp"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(
            [
                "compare",
                *SCENARIOS,
                "--replications",
                "3",
                "--steps",
                "12",
                "--outcomes",
                ",".join(OUTCOMES),
                "--executor",
                "sequential",
                "--out",
                str(out),
            ]
        )
    assert code == 0
    return out, buf.getvalue()


@pytest.fixture(scope="module")
def report_html(compared: tuple[Path, str]) -> str:
    out, _ = compared
    assert cli.main(["report", str(out), "--no-network"]) == 0
    return (out / "report.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- key findings
def test_key_findings_come_first_with_units_ci_and_the_stated_minimum(report_html):
    body = report_html.split("<body>", 1)[1]
    first = body.index('<h2 id="findings">Key findings</h2>')
    assert first < body.index('id="compared"') < body.index('id="differences"')
    box = body[first : body.index('id="compared"')]
    assert "at least 2% of the outcome's scale" in box  # the minimum of practical importance is stated
    # skill of members rises with the month-12 training, far beyond 0.02 (2% of its 0..1 scale)
    sentences = re.findall(r"<li>(.*?)</li>", box)
    assert any(FINDING.search(s) and "skill of members" in s for s in sentences), sentences


def test_small_effects_are_not_findings():
    diffs = pd.DataFrame(
        {
            "label": ["b"] * 3,
            "config_index": [1] * 3,
            "outcome": ["skill_members", "members", "x"],
            "n": [5] * 3,
            "mean_difference": [0.001, 30.0, 0.5],
            "sd": [1e-4, 5.0, 1.0],
            "ci_low": [0.0009, 20.0, -0.3],
            "ci_high": [0.0011, 40.0, 1.3],
            "reference": ["a"] * 3,
        }
    )
    out = stats.classify(diffs, {"skill_members": 0.02, "members": 2.4, "x": 0.1})
    assert out["excludes_zero"].tolist() == [True, True, False]
    assert out["important"].tolist() == [False, True, False]  # 0.001 is outside its CI but below the minimum


def test_minimum_effect_uses_the_fixed_scale_or_the_reference_size():
    assert stats.minimum_effect("skill_members", np.array([0.3, 0.4])) == pytest.approx(0.02)
    assert stats.minimum_effect("ei_index", np.array([0.1])) == pytest.approx(0.04)
    assert stats.minimum_effect("members", np.array([50.0, 120.0, np.nan])) == pytest.approx(2.4)
    assert np.isnan(stats.minimum_effect("members", np.array([np.nan])))
    assert outcome_bounds("members") is None and outcome_bounds("trust_peer_mean") == (0.0, 1.0)


def test_nothing_passes_is_said_plainly(compared, capsys):
    out, _ = compared
    text = findings.findings_text(out, min_effect=0.99)
    assert "Nothing passes" in text


def test_compare_ends_with_the_key_findings_table(compared):
    _, screen = compared
    tail = screen[screen.index("Key findings at month 12") :]
    assert "configuration" in tail and "95% CI" in tail and "minimum" in tail
    assert re.search(r"training_follow_up\s+baseline\s+skill of members", tail), tail


# ---------------------------------------------------------------- reference and contrasts
def test_reference_and_contrast(compared, tmp_path, capsys):
    out, _ = compared
    target = tmp_path / "r.html"
    code, _, err = kopsim(
        [
            "report",
            str(out),
            "--output",
            str(target),
            "--no-network",
            "--no-figure-files",
            "--reference",
            "training_follow_up",
            "--contrast",
            "training_follow_up:baseline",
        ],
        capsys,
    )
    assert code == 0, err
    text = target.read_text()
    assert "<strong>training_follow_up</strong>, is the reference" in text
    assert "baseline lowers skill of members" in text
    assert "Pairwise contrasts" in text and "training_follow_up raises skill of members" in text
    # the contrast is the negative of the difference, pair by pair
    runs = stats.differences(pd.read_parquet(out / "runs.parquet"), OUTCOMES, reference=1)
    back = stats.paired_difference(pd.read_parquet(out / "runs.parquet"), OUTCOMES, 1, 0)
    assert np.allclose(runs["mean_difference"].to_numpy(), -back["mean_difference"].to_numpy(), equal_nan=True)


@pytest.mark.parametrize(
    "args", [["--reference", "nosuch"], ["--contrast", "baseline"], ["--contrast", "baseline:baseline"]]
)
def test_bad_reference_or_contrast_is_a_usage_error(compared, args, capsys):
    out, _ = compared
    code, _, err = kopsim(["report", str(out), "--no-network", "--no-figure-files", *args], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("kopsim: error: ")


# ---------------------------------------------------------------- figures
def test_figures_are_files_with_their_legend(compared, report_html):
    out, _ = compared
    figs = out / "figures"
    for stem in ["forest", *(f"timeseries-{o}" for o in OUTCOMES)]:
        assert (figs / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = (figs / f"{stem}.svg").read_text()
        assert "<svg" in svg
        assert "training_follow_up" in svg  # the key is inside the figure
    assert "5-95% of replications" in (figs / "timeseries-members.svg").read_text()


def test_time_series_axes_have_units_and_envelopes(compared):
    out, _ = compared
    summary = pd.read_parquet(out / "summary.parquet")
    store = Store(out)
    env = stats.envelope(store, OUTCOMES)
    assert ((env["low"] <= env["high"]) | env["low"].isna()).all()
    fig = time_series(summary, "skill_members", labels=SCENARIOS, envelope=env)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "0 = none, 1 = full"
    assert len(ax.get_lines()) == 3 * len(SCENARIOS)  # mean and two envelope bounds each
    assert fig.legends and not ax.get_legend()
    assert time_series(summary, "umkm_revenue").axes[0].get_ylabel() == "Rp M"
    # a change below the minimum of practical importance never fills the axis: at least 10 x 0.02 of 0..1
    lo, hi = time_series(summary, "skill_members", min_span=0.2).axes[0].get_ylim()
    assert hi - lo >= 0.2 - 1e-9 and lo >= 0.0 and hi <= 1.0
    auto = time_series(summary, "skill_members").axes[0].get_ylim()
    assert auto[1] - auto[0] < 0.2  # what auto-scaling alone would show
    fig = time_series(summary, "skill_members", lang="id")  # Indonesian tick labels: "," decimals
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any("," in t for t in ticks) and not any("." in t for t in ticks), ticks
    assert outcome_unit("members") == "count" and outcome_unit("savings_mandatory", "id") == "Rp juta"


def test_forest_plot_is_on_one_standardised_scale_with_raw_numbers():
    diffs = pd.DataFrame(
        {
            "label": ["b", "b"],
            "outcome": ["x", "y"],
            "mean_difference": [1.0, 1000.0],
            "ci_low": [0.5, 500.0],
            "ci_high": [1.5, 1500.0],
            "reference": ["a", "a"],
            "excludes_zero": [True, True],
            "important": [True, False],
        }
    )
    fig = forest_standardised(diffs, {"x": 1.0, "y": 1000.0})
    ax = fig.axes[0]
    xs = [float(c.lines[0].get_xdata()[0]) for c in ax.containers]
    assert xs == pytest.approx([1.0, 1.0])  # same standardised size on one axis
    texts = [t.get_text() for t in ax.texts]
    assert "+1 [0.5, 1.5]" in texts and "+1000 [500, 1500]" in texts
    with pytest.raises(ValueError):
        forest_standardised(diffs, {"x": 0.0, "y": float("nan")})


# ---------------------------------------------------------------- language, numbers, booleans
def test_indonesian_numbers_and_booleans():
    token = i18n.LANG.set("id")
    try:
        assert i18n.num(1234.5, 1) == "1.234,5"
        assert i18n.num(12345.0) == "12.345"
        assert i18n.ci_text(0.5, 0.25, 0.75, 2, signed=True) == ("+0,50", "[0,25; 0,75]")
        assert i18n.as_text(True) == "ya"
    finally:
        i18n.LANG.reset(token)
    assert i18n.num(1234.5, 1) == "1,234.5"
    assert i18n.as_text(False) == "false" and i18n.as_text(np.bool_(True)) == "true"


def test_report_in_indonesian(compared, tmp_path, capsys):
    out, _ = compared
    target = tmp_path / "id.html"
    code, _, err = kopsim(
        ["report", str(out), "--lang", "id", "--output", str(target), "--no-network", "--no-figure-files"], capsys
    )
    assert code == 0, err
    text = target.read_text()
    assert "<html lang=id>" in text and "Temuan utama" in text
    assert "keterampilan anggota" in text
    assert re.search(
        r"menaikkan keterampilan anggota \(rata-rata\) sebesar \d+,\d+ \(IK 95% \d+,\d+ s\.d\. "
        r"\d+,\d+\) dibanding baseline pada bulan ke-12",
        text,
    )
    assert "<title>laporan kopsim" in text and "<th>eksperimen</th>" in text and "<strong>ya: temuan</strong>" in text
    assert "Dibuat oleh" in text and "Made by" not in text


# ---------------------------------------------------------------- export
def test_export_excel_id(compared, tmp_path, capsys):
    src, _ = compared
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    code, stdout, err = kopsim(["export", str(out), "--excel-id"], capsys)
    assert code == 0, err
    assert "differences-id.csv" in stdout
    raw = (out / "differences-id.csv").read_text(encoding="utf-8-sig")
    header = raw.splitlines()[0]
    assert header.split(";")[:4] == ["label", "config_index", "outcome", "n"]
    back = pd.read_csv(out / "differences-id.csv", sep=";", decimal=",", encoding="utf-8-sig")
    orig = pd.read_csv(out / "differences.csv")
    assert np.allclose(back["mean_difference"], orig["mean_difference"], rtol=1e-5, equal_nan=True)
    cells = [c for line in raw.splitlines()[1:] for c in line.split(";")]
    assert not any(re.fullmatch(r"-?\d+\.\d+", c) for c in cells)  # no '.' decimals
    decimals = [c for c in cells if re.fullmatch(r"-?\d+,\d+(e[-+]\d+)?", c)]
    assert decimals and all(len(re.sub(r"\D", "", c.split("e")[0]).lstrip("0")) <= 6 for c in decimals)
    for name in ("runs", "steps", "summary"):
        assert (out / f"{name}-id.csv").exists()


# ---------------------------------------------------------------- print and palettes
def test_print_stylesheet(report_html):
    css = report_html[report_html.index("<style>") : report_html.index("</style>")]
    assert "@media print" in css and "@page" in css
    printed = css[css.index("@media print") :]
    assert "break-inside:avoid" in printed and "nav" in printed and "table-header-group" in printed


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium")
def test_report_prints_to_pdf(compared, report_html, tmp_path):
    out, _ = compared
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--print-to-pdf={pdf}",
            "--no-pdf-header-footer",
            (out / "report.html").as_uri(),
        ],
        capture_output=True,
        timeout=90,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000


def test_palettes_are_colour_blind_safe():
    from kopsim.network_picture import TRUST_CMAP

    assert TRUST_CMAP in ("viridis", "cividis")
    assert list(palette(["a", "b", "c"]).values()) == ["#000000", "#0072B2", "#E69F00"]


# ---------------------------------------------------------------- lever note, per-outcome minimum, constants
def test_lever_note_says_what_an_intervention_cannot_move(compared, tmp_path, capsys, monkeypatch):
    from kopsim import levers

    fake = {"training": {"skill_members": "+", "members": "0", "umkm_revenue": "±"}}
    monkeypatch.setattr(levers, "LEVERS", fake)
    monkeypatch.setattr(
        levers,
        "lever_note",
        lambda kind: ([o for o, v in fake[kind].items() if v != "0"], [o for o, v in fake[kind].items() if v == "0"]),
    )
    out, _ = compared
    text = findings.findings_text(out)
    assert "training: can move skill_members (+), umkm_revenue (±); cannot move by construction: members" in text
    target = tmp_path / "levers.html"
    code, _, err = kopsim(["report", str(out), "--output", str(target), "--no-network", "--no-figure-files"], capsys)
    assert code == 0, err
    html = target.read_text()
    box = html[html.index('id="findings"') : html.index('id="compared"')]
    assert re.search(
        r"<code>training</code> can move: skill of members \(mean\) \(\+\).*"
        r"<strong>cannot move by construction</strong>: members",
        box,
    )
    code, _, err = kopsim(
        ["report", str(out), "--output", str(target), "--no-network", "--no-figure-files", "--lang", "id"], capsys
    )
    assert code == 0, err
    assert "tidak dapat menggerakkan (menurut konstruksi model)</strong>: anggota" in target.read_text()


def test_lever_note_reads_the_model_map(compared):
    """With kopsim.levers as shipped: every kind is documented, a "0" outcome is named as one it cannot move."""
    from kopsim.experiments.reportdata import load, prepare
    from kopsim.interventions import KINDS
    from kopsim.levers import LEVERS, lever_note

    assert set(LEVERS) == set(KINDS)
    for kind in KINDS:
        can, cannot = lever_note(kind)
        assert not set(can) & set(cannot)
    out, _ = compared
    data = prepare(load(out))
    data.outcomes = [*data.outcomes, *lever_note("training")[1]]  # an outcome training cannot move
    [(kind, can, cannot, documented)] = findings.lever_notes(data, plain=True)
    assert kind == "training" and documented
    assert cannot == lever_note("training")[1] and all(c.endswith(("(+)", "(\u2212)", "(±)")) for c in can)


def test_minimum_per_outcome(compared):
    m = stats.MinEffect.parse(["0.05", "members=5"], OUTCOMES)
    assert m.share == 0.05 and m.of("members", np.array([1000.0])) == 5.0
    assert m.of("skill_members", np.array([0.4])) == pytest.approx(0.05)
    for bad, says in [(["x=1"], "allowed: members"), (["members=-1"], ">= 0"), (["1.5"], "[0, 1)"), (["a"], "[0, 1)")]:
        with pytest.raises(stats.UsageError) as err:
            stats.MinEffect.parse(bad, OUTCOMES)
        assert says in str(err.value)
    out, _ = compared
    # skill of members is a finding at the default minimum (0.02 of its 0..1 scale) but not at 0.5
    assert "skill of members" in findings.findings_text(out)
    text = findings.findings_text(out, min_effect=stats.MinEffect(absolute={"skill_members": 0.5}))
    assert "except skill of members (mean): 0.5" in text and "Nothing passes" in text


def test_constant_outcomes_are_left_out_of_the_tables(compared):
    from kopsim.experiments.reportdata import constant_outcomes, load, prepare

    out, _ = compared
    data = prepare(load(out))
    assert constant_outcomes(data) == []
    data.ok["final_members"] = 7.0  # e.g. an E-I index with one village: the same in every run
    assert constant_outcomes(data) == ["members"]
    finals = rep._section_finals(data)
    assert "<code>members</code>" not in finals and "<code>skill_members</code>" in finals
    assert "Left out, the same in every run of every configuration" in finals and "members = 7" in finals


# ---------------------------------------------------------------- distributions and PDF
def test_distributions_of_final_values(compared, report_html):
    out, _ = compared
    svg = (out / "figures" / "distributions.svg").read_text()
    assert "training_follow_up" in svg and "one point per replication" in svg
    assert '<h2 id="distributions">' in report_html


def test_report_as_pdf(compared, tmp_path, capsys):
    out, _ = compared
    target = tmp_path / "brief.html"
    code, stdout, err = kopsim(
        ["report", str(out), "--output", str(target), "--no-network", "--no-figure-files", "--format", "pdf"], capsys
    )
    assert code == 0, err
    pdf = tmp_path / "brief.pdf"
    assert str(pdf) in stdout
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type /Page\b", data))
    figures = 2 + len(OUTCOMES)  # forest, distributions, one time series per outcome
    assert pages == figures + 1  # the key findings page first
    assert b"kopsim report" in data  # the title in the PDF's metadata


def test_pdf_text_blocks_follow_the_html():
    from kopsim.experiments.report_pdf import html_blocks

    blocks = html_blocks(
        "<h2>Key findings</h2><div class=keybox><h3>b <span>vs</span> a</h3><ul><li>b raises x "
        "by 1 &ndash; 2.</li></ul><p class=note>A finding is ...</p></div>"
    )
    assert blocks == [
        ("h2", "Key findings"),
        ("h3", "b vs a"),
        ("li", "b raises x by 1 – 2."),
        ("note", "A finding is ..."),
    ]
    rows = html_blocks("<table><tr><th>box</th><th>coverage</th></tr><tr><td>1</td><td>80%</td></tr></table>")
    assert rows == [("p", "box | coverage"), ("p", "1 | 80%")]
