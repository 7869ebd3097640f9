"""The page's two pictures of a :class:`~kopsim.app.session.Snapshot`: the network and three live charts.

:class:`Painter` draws two matplotlib figures (no pyplot state). The network is drawn by the
one network painter (:class:`kopsim.network_picture.NetworkPainter`, shared with the report)
at the village layout's fixed positions, with bilingual labels; the charts show
participation per domain, the trust bands of the chosen target and the ties per layer. It
builds the figures once and afterwards redraws only the moving artists over a cached
background (blitting), which keeps a step + redraw at ~300 agents around 35 ms.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .. import network as net
from ..labels import outcome_label
from ..network_layout import PARTNER_X
from ..network_picture import LAYER_STYLE, NetworkPainter
from ..state import AGENCY, FARMER, MONEYLENDER, PARTNER, TRADER, UMKM
from .labels import text
from .session import PARTICIPATION, TIES, Snapshot

ROLE_KEYS = {
    TRADER: "trader",
    FARMER: "farmer",
    UMKM: "umkm",
    AGENCY: "agency",
    MONEYLENDER: "moneylender",
    PARTNER: "partner",
}
PARTICIPATION_COLOURS = ("#1b9e77", "#d95f02", "#7570b3")
BAND_COLOURS = ("#d73027", "#fee08b", "#1a9850")
TIE_LINE = {**LAYER_STYLE, net.BONDING: ("#333333", "solid")}  # the network's palette; bonding darker on white


class Painter:
    """The two figures of one session (network; three charts), built once and updated in place.

    Building a figure (axes, ticks, legends, layout) costs several times more than drawing it,
    so :meth:`draw` only moves data into the existing artists and renders them to PNG bytes.
    A new painter is made at reset, and when the language or the trust target changes.
    """

    def __init__(self, snap: Snapshot, lang: str, target: str = "institution", dpi: int = 80) -> None:
        self.lang, self.target, self.dpi = lang, target, dpi
        self._lock = threading.Lock()
        self._backgrounds: dict[str, Any] = {}
        self._build_network(snap)
        self._build_charts(snap)

    # network ------------------------------------------------------------------------------
    def _build_network(self, snap: Snapshot) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        lang = self.lang
        fig = Figure(figsize=(7.6, 6.6), dpi=self.dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.11, 0.83, 0.83))
        ax.set_axis_off()
        ax.set_xlim(-1.12, PARTNER_X + 0.08)
        ax.set_ylim(-1.12, 1.12)
        for k, (x, y) in enumerate(snap.village_labels):
            ax.text(
                x,
                y,
                text("village_label", lang, n=k + 1),
                ha="center",
                va="center",
                fontsize=9,
                color="#222222",
                zorder=4,
            )
        ax.set_aspect("equal")
        self.network = NetworkPainter(ax, snap.network_view(self.target))
        self.net_title = ax.set_title("", fontsize=13, loc="left")
        cax = fig.add_axes((0.87, 0.3, 0.025, 0.5))
        bar = fig.colorbar(self.network.mappable, cax=cax)
        bar.set_label(text("trust_axis", lang, target=text(f"trust_{self.target}", lang)))
        roles = {r: text(key, lang) for r, key in ROLE_KEYS.items()}
        layers = {k: outcome_label(f"ties_{name}", lang, short=True) for k, name in enumerate(net.LAYER_NAMES)}
        handles = self.network.legend_handles(roles, layers)
        fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.01, 0.03),
            ncol=3,
            fontsize=8,
            frameon=False,
            handlelength=2.5,
        )
        fig.text(0.015, 0.01, text("size_note", lang), fontsize=8, color="#444444")
        self.net_fig = fig

    def _update_network(self, snap: Snapshot) -> None:
        self.network.update(snap.network_view(self.target))
        self.net_title.set_text(text("network_title", self.lang, month=snap.month))

    # charts -------------------------------------------------------------------------------
    def _build_charts(self, snap: Snapshot) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        lang = self.lang
        fig = Figure(figsize=(5.6, 6.6), dpi=self.dpi)
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.13, right=0.97, top=0.92, bottom=0.08, hspace=0.55)
        ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
        xmax = max(snap.steps, 1)
        self.part_lines = [
            ax1.plot([], [], color=c, linewidth=1.8, label=outcome_label(col, lang, short=True))[0]
            for col, c in zip(PARTICIPATION, PARTICIPATION_COLOURS, strict=True)
        ]
        ax1.set_ylim(0, 1.05)
        ax1.set_title(text("participation_title", lang), fontsize=10, loc="left", pad=17)
        above = {
            "fontsize": 8,
            "loc": "lower left",
            "bbox_to_anchor": (0.0, 1.0),
            "ncol": 3,
            "frameon": False,
            "borderaxespad": 0.1,
            "handlelength": 2.2,
            "columnspacing": 1.2,
        }
        ax1.legend(**above)  # legends sit between title and plot: static, never over the data
        ax2.set_ylim(0, 1)
        ax2.set_title(
            text("trust_title", lang, target=text(f"trust_{self.target}", lang)), fontsize=10, loc="left", pad=17
        )
        ax2.legend(
            handles=[
                Patch(color=c, label=text(b, lang))
                for c, b in zip(BAND_COLOURS, ("low", "medium", "high"), strict=True)
            ],
            **above,
        )
        self.bands: list[Any] = []
        self.tie_lines = [
            ax3.plot(
                [],
                [],
                color=TIE_LINE[k][0],
                linestyle=TIE_LINE[k][1],
                linewidth=1.8,
                label=outcome_label(col, lang, short=True),
            )[0]
            for k, col in enumerate(TIES)
        ]
        ax3.set_title(text("ties_title", lang), fontsize=10, loc="left", pad=17)
        ax3.legend(**above)
        ax3.set_xlabel(text("month_axis", lang))
        ax3.set_xlim(0, xmax)
        self.ties_top = 1.0
        for ax, label in ((ax1, "share_axis"), (ax2, "share_axis"), (ax3, "ties_axis")):
            ax.set_ylabel(text(label, lang), fontsize=9)
            ax.grid(alpha=0.3)
        self.now_lines = [ax.axvline(0, color="#555555", linewidth=0.8) for ax in (ax1, ax2, ax3)]
        self.chart_axes = (ax1, ax2, ax3)
        self.charts_fig = fig

    def _update_charts(self, snap: Snapshot) -> None:
        h = snap.history
        months = np.arange(len(h["step"]))
        for line, col in zip(self.part_lines, PARTICIPATION, strict=True):
            line.set_data(months, h[col])
        for poly in self.bands:
            poly.remove()
        bands = [np.nan_to_num(h[f"trust_{self.target}_{b}"]) for b in ("low", "medium", "high")]
        self.bands = self.chart_axes[1].stackplot(months, *bands, colors=BAND_COLOURS, alpha=0.85)
        for line, col in zip(self.tie_lines, TIES, strict=True):
            line.set_data(months, h[col])
        top = float(max(np.nanmax(h[c]) for c in TIES))
        if top > self.ties_top or top < 0.5 * self.ties_top:
            self.ties_top = max(top * 1.25, 1.0)  # rescaled only when needed (it redraws the ticks)
            self.chart_axes[2].set_ylim(0, self.ties_top)
            self._backgrounds.pop("charts", None)  # new tick labels: redraw the static part
        for line in self.now_lines:
            line.set_xdata([snap.month, snap.month])

    def draw(self, snap: Snapshot) -> tuple[bytes, bytes]:
        """JPEG bytes of the network and of the charts at ``snap``."""
        with self._lock:
            self._update_network(snap)
            self._update_charts(snap)
            net_artists = [*self.network.artists, self.net_title]
            chart_artists = [*self.part_lines, *self.bands, *self.tie_lines, *self.now_lines]
            return (
                self._blit("network", self.net_fig, net_artists),
                self._blit("charts", self.charts_fig, chart_artists),
            )

    def _blit(self, name: str, fig: Any, artists: list[Any]) -> bytes:
        """Render ``fig``: the static part (axes, ticks, legends) once into a cached background,
        then only the moving ``artists`` (marked animated) on top of it — text is what is slow."""
        import io

        from PIL import Image

        canvas = fig.canvas
        for art in artists:
            art.set_animated(True)
        background = self._backgrounds.get(name)
        if background is None:
            canvas.draw()
            self._backgrounds[name] = canvas.copy_from_bbox(fig.bbox)
        else:
            canvas.restore_region(background)
        for art in artists:
            fig.draw_artist(art)
        buf = io.BytesIO()
        # JPEG: a fifth of PNG's encoding time and size for these pictures, at no visible cost
        Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).save(buf, format="JPEG", quality=90)
        return buf.getvalue()
