"""The report's figure sections: forest plot, distributions of final values, time series and the network
picture. Each figure is embedded in the HTML as base64 PNG, also written as SVG and PNG files under
``RESULTS/figures/`` (legend inside) and, for ``--format pdf``, added to the PDF as a vector page."""

from __future__ import annotations

import base64
import html
import io
import re
import time
from typing import Any

import numpy as np

from . import stats
from .i18n import LANG, ci_text, esc, say
from .reportdata import ReportData, constant_outcomes, final_values, has_values
from .store import Store

TS_DPI = 100
FOREST_DPI = 100
NETWORK_DPI = 100
DIST_MAX_CONFIGS = 12


def png(fig: Any, dpi: int, data: ReportData | None = None, name: str = "") -> str:
    """The figure as base64 PNG for the HTML; also written as ``name``.svg and ``name``.png under the
    results' ``figures/`` folder when the report writes figure files."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    if data is not None and data.figure_dir is not None and name:
        data.figure_dir.mkdir(parents=True, exist_ok=True)
        stem = data.figure_dir / _file_name(name)
        (stem.with_suffix(".png")).write_bytes(buf.getvalue())
        from matplotlib import rc_context

        # text stays text (searchable, editable in a word processor or Inkscape); ids stable between runs
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "kopsim"}):
            fig.savefig(stem.with_suffix(".svg"), format="svg", metadata={"Date": None, "Creator": None})
    if data is not None and data.pdf is not None:
        data.pdf.savefig(fig)  # vector, one figure per page
    fig.clear()
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "figure"


def img(b64: str, alt: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<img{klass} src="data:image/png;base64,{b64}" alt="{esc(alt)}">'


def section_forest(data: ReportData) -> str:
    from .figures import forest_standardised, palette

    if data.differences.empty:
        return ""
    outcomes = [o for o in data.outcomes if has_values(data, o)]
    order = [data.names[k] for k in range(len(data.configs))]
    colours = palette(order)
    scale, raw = {}, {}
    for o in outcomes:
        vals = final_values(data, data.ref, o)
        scale[o] = float(vals.std(ddof=1)) if vals.size > 1 else float("nan")
    for r in data.differences.itertuples():
        m, ci = ci_text(float(r.mean_difference), float(r.ci_low), float(r.ci_high), signed=True)
        raw[(str(r.label), str(r.outcome))] = html.unescape(f"{m} {ci}")
    try:
        fig = forest_standardised(
            data.differences,
            scale,
            outcomes=outcomes,
            labels=[n for n in order if n != data.names[data.ref]],
            colours=colours,
            lang=data.lang,
            raw_text=raw,
        )
    except ValueError as err:
        return f"<p class=note>No forest plot: {esc(err)}.</p>"
    skipped = [o for o in outcomes if not (np.isfinite(scale[o]) and scale[o] > 0)]
    note = say(
        "<p>Every difference from the reference on one common scale: the difference divided by the "
        f"reference's standard deviation across replications in month {esc(data.manifest.get('steps', '?'))}, "
        "with its 95% CI; the raw difference and CI in the outcome's own units are written beside each row. "
        "Filled markers are findings (CI excludes 0 and the difference is at least the minimum of practical "
        "importance), grey ones exclude 0 but are smaller, open ones include 0.</p>",
        "<p>Semua selisih terhadap pembanding pada satu skala bersama: selisih dibagi simpangan baku pembanding "
        f"antar-replikasi pada bulan ke-{esc(data.manifest.get('steps', '?'))}, dengan IK 95%-nya; selisih dan IK "
        "dalam satuan hasil itu sendiri ditulis di samping setiap baris. Penanda penuh: temuan (IK tidak mencakup 0 "
        "dan selisih paling sedikit batas minimum), abu-abu: IK tidak mencakup 0 tetapi lebih kecil, kosong: IK "
        "mencakup 0.</p>",
    )
    if skipped:
        note += (
            "<p class=note>Not on the common scale (the reference does not vary across replications): "
            + ", ".join(f"<code>{esc(o)}</code>" for o in skipped)
            + "; see the table above.</p>"
        )
    return note + img(png(fig, FOREST_DPI, data, "forest"), "forest plot of differences from the reference", "wide")


def section_time_series(data: ReportData) -> str:
    from .figures import palette, time_series

    names = [data.names[k] for k in range(len(data.configs))]
    colours = palette(names)
    try:
        env = stats.envelope(Store(data.root), [o for o in data.outcomes if has_values(data, o)])
        by_id = {str(c.get("config_id")): data.names[k] for k, c in enumerate(data.configs)}
        env["label"] = env["config_id"].astype(str).map(by_id)
    except (OSError, ValueError, KeyError):
        env = None
    cells, skipped = [], []
    for o in data.outcomes:
        if not has_values(data, o):
            skipped.append(o)
            continue
        minimum = (data.minimum or {}).get((data.ref, o), float("nan"))
        fig = time_series(
            data.summary,
            o,
            labels=names,
            colours=colours,
            legend=True,
            envelope=env,
            lang=data.lang,
            min_span=10 * minimum,  # a change below the minimum never fills the axis
        )
        cells.append(
            f"<figure>{img(png(fig, TS_DPI, data, 'timeseries-' + o), 'time series of ' + o)}"
            f"<figcaption><code>{esc(o)}</code></figcaption></figure>"
        )
    note = ""
    if skipped:
        note = (
            "<p class=note>Not shown (no values in any month): "
            + ", ".join(f"<code>{esc(o)}</code>" for o in skipped)
            + ".</p>"
        )
    files = (
        say(" Each figure is also in ", " Setiap gambar juga ada di ")
        + f"<code>{esc(data.figure_dir)}</code>"
        + say(" as SVG and PNG, with its legend.", " sebagai SVG dan PNG, dengan legendanya.")
        if data.figure_dir is not None
        else ""
    )
    return (
        say(
            "<p>Mean per month over replications (line) with its 95% confidence band (shaded) and the 5&ndash;95% "
            "range of the individual replications (dashed): the band shows how precisely the mean is known, the "
            "dashed range how much one simulated cooperative varies. The y axis gives the unit (Rp M: million "
            "rupiah) or the scale (0 = none, 1 = full, e.g. skill 0 = no skill, 1 = fully skilled), and spans at "
            "least ten times the minimum of practical importance, so a change too small to matter does not fill "
            "the picture.",
            "<p>Rata-rata per bulan antar-replikasi (garis) dengan pita kepercayaan 95% (arsir) dan rentang "
            "5&ndash;95% dari replikasi (putus-putus): pita menunjukkan seberapa tepat rata-rata diketahui, rentang "
            "menunjukkan seberapa berbeda satu koperasi simulasi. Sumbu y memberi satuan (Rp juta) atau skala "
            "(0 = tidak ada, 1 = penuh, mis. keterampilan 0 = tidak terampil, 1 = sepenuhnya terampil), dan "
            "rentangnya paling sedikit sepuluh kali batas minimum, sehingga perubahan yang terlalu kecil untuk "
            "berarti tidak memenuhi gambar.",
        )
        + files
        + f"</p><div class=tsgrid>{''.join(cells)}</div>{note}"
    )


def section_network(data: ReportData) -> str:
    from kopsim import CooperativeModel, Parameters
    from kopsim.interventions import from_dict
    from kopsim.network_picture import network_picture

    from .spec import replication_seeds

    cfg = data.configs[data.ref]
    steps = int(data.manifest.get("steps", 0) or 0)
    row = data.runs[(data.runs["config_index"] == data.ref) & (data.runs["replication"] == 0)]
    if not row.empty:
        seed = int(row["seed"].iloc[0])
    else:
        seed = replication_seeds(int(data.manifest.get("root_seed", 0)), 1)[0]
    t0 = time.perf_counter()
    try:
        params = Parameters.from_dict(cfg.get("parameters") or {})
        ivs = [from_dict(dict(item)) for item in cfg.get("interventions") or []]
        model = CooperativeModel(params, seed=seed, interventions=ivs)
        frame = model.run(steps)
        fig = network_picture(model)
    except Exception as err:  # the rest of the report is still worth having
        return (
            f"<p class=warn>The network picture could not be made: re-running replication 0 of "
            f"{esc(data.names[data.ref])} failed ({esc(type(err).__name__)}: {esc(err)}).</p>"
        )
    seconds = time.perf_counter() - t0
    check = ""
    if not row.empty and row["status"].iloc[0] == "ok" and len(frame):
        last = frame.iloc[-1]
        differ = [
            o
            for o in data.outcomes
            if f"final_{o}" in row
            and o in last
            and not np.isclose(float(last[o]), float(row[f"final_{o}"].iloc[0]), rtol=1e-9, atol=1e-12, equal_nan=True)
        ]
        if differ:
            check = (
                "<p class=warn>This re-run does not reproduce the recorded run (different final "
                f"{', '.join(esc(o) for o in differ[:5])}{' ...' if len(differ) > 5 else ''}); the model may "
                "have changed since the results were made.</p>"
            )
        else:
            check = "<p class=note>The re-run reproduces the recorded run's final outcomes exactly.</p>"
    return (
        f"<p>The social network of a simulated cooperative at the end of replication 0 of "
        f"<strong>{esc(data.names[data.ref])}</strong> (seed {seed}, month {steps}), re-run for this report "
        f"({seconds:.1f} s). Colour: the household's trust in the cooperative on the colour-blind-safe "
        "viridis scale (dark purple low, yellow high; grey: agencies, village governments, moneylenders and "
        "partner firms); size: mean participation in the cooperative's "
        "organisation, business and capital (non-members smallest); marker: livelihood or actor type; black "
        "outline: board member. Ties: bonding (same village) solid, bridging (across villages) dashed, "
        "linking (to agencies and moneylenders) dotted; stronger ties are darker. Larger models show the "
        "first cooperative's households and the institutional actors tied to them.</p>"
        + check
        + img(png(fig, NETWORK_DPI, data, "network"), "social network of one simulated cooperative", "net")
    )


def section_distributions(data: ReportData) -> str:
    from .figures import distributions, palette

    constant = constant_outcomes(data)
    outcomes = [o for o in data.outcomes if has_values(data, o) and o not in constant]
    order = [data.names[k] for k in range(len(data.configs))]
    if len(order) > DIST_MAX_CONFIGS:  # a sweep: a row per configuration would not fit a page
        return say(
            f"<p class=note>Not drawn for more than {DIST_MAX_CONFIGS} configurations ({len(order)} here); the "
            "spread of each is in the time series' replication envelopes and in runs.csv.</p>",
            f"<p class=note>Tidak digambar untuk lebih dari {DIST_MAX_CONFIGS} konfigurasi ({len(order)} di sini); "
            "sebarannya ada di rentang replikasi deret waktu dan di runs.csv.</p>",
        )
    finals = data.ok.assign(label=data.ok["config_index"].astype(int).map(data.names))
    try:
        fig = distributions(
            finals, outcomes, order, colours=palette(order), lang=data.lang, steps=data.manifest.get("steps", "?")
        )
    except ValueError:
        return ""
    lead = (
        "Sebaran nilai akhir: satu titik per replikasi (satu koperasi simulasi), kotak dari kuartil pertama "
        "s.d. ketiga, garis di median. Rata-rata dan IK di atas meringkas sebaran ini."
        if LANG.get() == "id"
        else "The spread of the final values: one point per replication (one simulated cooperative), the box "
        "from the first to the third quartile, the line at the median. The means and CIs above summarise these "
        "points; a wide spread with a narrow CI means the average is well known but single cooperatives differ."
    )
    return f"<p>{lead}</p>" + img(png(fig, FOREST_DPI, data, "distributions"), "distributions of final values", "wide")
