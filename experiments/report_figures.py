"""The report's figure sections: forest plot, distributions of final values, time series and the network
picture. Each figure is embedded in the HTML as base64 PNG, also written as SVG and PNG files under
``RESULTS/figures/`` (legend inside) and, for ``--format pdf``, added to the PDF as a vector page.

Drawing is most of a report's time (about 25 figures, each rendered twice, and one simulation re-run
for the network picture), and the figures do not depend on each other, so :func:`figure_sections`
draws them in forked worker processes, one per core; the files and the HTML are the same as when
drawn one after another (each figure depends only on its data; the PDF keeps the sequential path,
since its pages come in order).
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

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


def time_series_envelope(data: ReportData) -> pd.DataFrame | None:
    """The 5-95% range of the replications per configuration, step and outcome (None if unreadable)."""
    try:
        env = stats.envelope(Store(data.root), [o for o in data.outcomes if has_values(data, o)])
        by_id = {str(c.get("config_id")): data.names[k] for k, c in enumerate(data.configs)}
        env["label"] = env["config_id"].astype(str).map(by_id)
    except (OSError, ValueError, KeyError):
        return None
    return env


def time_series_cells(data: ReportData, outcomes: list[str], env: pd.DataFrame | None) -> list[str]:
    """One figure (as HTML) per outcome in ``outcomes`` (each must have values)."""
    from .figures import palette, time_series

    names = [data.names[k] for k in range(len(data.configs))]
    colours = palette(names)
    cells = []
    for o in outcomes:
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
    return cells


def section_time_series(data: ReportData, cells: list[str] | None = None) -> str:
    """The time-series section; ``cells``: its figures if already drawn (:func:`figure_sections`)."""
    if cells is None:
        env = time_series_envelope(data)
        cells = time_series_cells(data, [o for o in data.outcomes if has_values(data, o)], env)
    skipped = [o for o in data.outcomes if not has_values(data, o)]
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


# ---- drawing in parallel ----------------------------------------------------------------------
TS_CHUNK = 2  # time series per task: small tasks keep the workers equally busy to the end
_JOB: ReportData | None = None  # what forked workers draw from


def figure_sections(
    data: ReportData, network: bool, workers: int | None = None, early: EarlyNetwork | None = None
) -> dict[str, str]:
    """The HTML of the figure sections ("forest", "distributions", "timeseries" and, with ``network``,
    "network"), drawn in ``workers`` forked processes (default: one per core); in this process when
    there is one core or no ``fork`` (the same output either way). Not for the PDF (``data.pdf``).
    ``early``: the network picture, already being drawn (:func:`start_network`)."""
    global _JOB
    from concurrent.futures import Executor, Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    from . import figures as _  # noqa: F401  (matplotlib: imported once here, not in every worker)
    from .executors import SequentialExecutor, default_workers

    outcomes = [o for o in data.outcomes if has_values(data, o)]
    chunks = [outcomes[i : i + TS_CHUNK] for i in range(0, len(outcomes), TS_CHUNK)]
    # the longest first: the distributions' panel grid, the simulation behind the network picture
    first = ["distributions", *(["network"] if network and early is None else []), "forest"]
    workers = min(workers or default_workers(), len(first) + len(chunks))
    parallel = workers > 1 and _can_fork()

    def draw_all(pool: Executor) -> tuple[list[Future], list[Future]]:
        started = [pool.submit(_draw, kind) for kind in first]
        # read while the workers draw (they do not read step files); each task gets its outcomes' rows
        env = time_series_envelope(data)
        series = [pool.submit(_draw, "timeseries", chunk, _rows(env, chunk)) for chunk in chunks]
        return started, series

    _JOB = data
    try:
        if parallel:
            try:
                # fork: the workers start at once with this process's data and imports
                with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_worker) as pool:
                    started, series = draw_all(pool)
                    results = [f.result() for f in started], [f.result() for f in series]
            except BrokenProcessPool:  # a worker died (e.g. out of memory): draw here instead
                parallel = False
        if not parallel:
            started, series = draw_all(SequentialExecutor())
            results = [f.result() for f in started], [f.result() for f in series]
    finally:
        _JOB = None
    out = dict(zip(first, results[0], strict=True))
    out["timeseries"] = section_time_series(data, [cell for cells in results[1] for cell in cells])
    if network and early is not None:
        out["network"] = early.result()
    return out


def start_network(data: ReportData, ref: int, figure_dir: Path | None) -> EarlyNetwork | None:
    """Start drawing the network picture of configuration ``ref`` in a forked process, or None when this
    machine has one core or no ``fork`` (then :func:`figure_sections` draws it with the rest).

    The picture needs only the loaded runs, not the statistics, and its simulation is the longest task of a
    report, so starting it before the statistics are prepared keeps the second core busy meanwhile."""
    from .executors import default_workers

    if default_workers() < 2 or not _can_fork():
        return None
    from . import figures as _  # noqa: F401  (matplotlib imported once, before any fork, not in each process)

    return EarlyNetwork(data, ref, figure_dir)


class EarlyNetwork:
    """The network section being drawn in a forked process. Its figure files are written to a temporary
    folder and moved into ``figure_dir`` by :meth:`result`, so a report that fails meanwhile writes none;
    :meth:`close` (always) stops the process and removes the folder."""

    def __init__(self, data: ReportData, ref: int, figure_dir: Path | None) -> None:
        import dataclasses
        import tempfile
        from multiprocessing import get_context

        self.figure_dir = figure_dir
        self.tmp = Path(tempfile.mkdtemp(prefix="kopsim-network-")) if figure_dir is not None else None
        job = dataclasses.replace(data, ref=ref, figure_dir=self.tmp, pdf=None)
        ctx = get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_network_child, args=(job, child), daemon=True)
        self.proc.start()
        child.close()

    def result(self) -> str:
        """The section's HTML (its exception if drawing raised one); the figure files moved into place."""
        import shutil

        try:
            ok, value = self.conn.recv()
        except EOFError:  # the process died (e.g. out of memory)
            raise RuntimeError("the process drawing the network picture ended without a result") from None
        finally:
            self.proc.join()
        if not ok:
            raise value
        if self.tmp is not None and self.figure_dir is not None:
            self.figure_dir.mkdir(parents=True, exist_ok=True)
            for path in sorted(self.tmp.iterdir()):
                shutil.move(path, self.figure_dir / path.name)
        return str(value)

    def close(self) -> None:
        import shutil

        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join()
        self.conn.close()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _network_child(data: ReportData, conn: Any) -> None:
    _worker()
    try:
        reply: tuple[bool, Any] = (True, section_network(data))
    except BaseException as err:  # sent back and raised in the report's process
        reply = (False, err)
    conn.send(reply)
    conn.close()


def _can_fork() -> bool:
    """Whether figures can be drawn in forked processes: ``fork`` exists here (Linux, macOS), and this is not
    a daemonic process (e.g. a multiprocessing pool's worker), which may not start processes of its own."""
    from multiprocessing import current_process, get_all_start_methods

    return "fork" in get_all_start_methods() and not current_process().daemon


def _worker() -> None:
    """A drawing process lives for one report: no cyclic garbage collection (about 6% of drawing time, much
    of it spent walking the objects inherited from the report's process)."""
    import gc

    gc.disable()


def _rows(env: pd.DataFrame | None, outcomes: list[str]) -> pd.DataFrame | None:
    """The envelope's rows of ``outcomes`` (in their order: the figures see exactly these rows)."""
    return None if env is None else env[env["outcome"].isin(outcomes)]


def _draw(kind: str, outcomes: list[str] | None = None, env: pd.DataFrame | None = None) -> Any:
    """One task of :func:`figure_sections` (in a worker: the report data came with the fork)."""
    assert _JOB is not None
    data = _JOB
    token = LANG.set(data.lang)
    try:
        if kind == "timeseries":
            return time_series_cells(data, outcomes or [], env)
        return {"forest": section_forest, "distributions": section_distributions, "network": section_network}[kind](
            data
        )
    finally:
        LANG.reset(token)


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
