"""The page's network picture of a :class:`~kopsim.app.session.Snapshot`, and the clickable layer over it.

:class:`Painter` draws the network with the one network painter
(:class:`kopsim.network_picture.NetworkPainter`, shared with the report) at the village layout's
fixed positions, into a matplotlib figure (no pyplot state) whose axes fill the whole picture.
The picture holds no text: its title, legend, colour scale and village names are HTML and SVG
text on the page, which the browser draws at ≥ 16 px (text inside a raster picture shrinks
with it). It is rendered at about twice the size it is shown at 1024×768, so it stays sharp on
a projector. The figure is built once; afterwards only the moving artists are redrawn over a
cached background (blitting).

:func:`overlay_svg` is an SVG of the same extent laid over the picture: one transparent circle
per actor (``id="kopsim-agent-<index>"``, what a click reports), the village names and a ring
around the inspected actor. It depends on the positions only, so it is rebuilt at reset and
at a click, not every month.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from html import escape
from typing import Any

import numpy as np

from ..network_layout import PARTNER_X
from ..network_picture import LAYER_STYLE, NetworkPainter
from .labels import text
from .session import Snapshot

# The axes' extent in layout coordinates: villages within the unit disc, partner firms in a column at PARTNER_X.
X_RANGE = (-1.12, PARTNER_X + 0.08)
Y_RANGE = (-1.12, 1.12)
FIG_WIDTH_IN = 5.0
FIG_HEIGHT_IN = FIG_WIDTH_IN * (Y_RANGE[1] - Y_RANGE[0]) / (X_RANGE[1] - X_RANGE[0])  # equal aspect, no margins
DPI = 150  # 750 px wide: about twice its width on the page at 1024×768
OVERLAY_WIDTH = 1000  # the overlay's viewBox width
OVERLAY_HEIGHT = round(OVERLAY_WIDTH * FIG_HEIGHT_IN / FIG_WIDTH_IN)
VILLAGE_FONT = 50  # overlay units: ≥ 16 px while the picture is shown ≥ 360 px wide (the browser test measures it)
STRENGTH_BINS = 4  # ties drawn as one path per layer and strength band (not one path per tie: 20x fewer draws)
NODE_SCALE = 1.6  # bigger dots and lines than the report's picture: seen from the back of a room


def fractions(pos: np.ndarray) -> np.ndarray:
    """Layout positions as fractions of the picture's width and height (y down, as on screen)."""
    fx = (pos[:, 0] - X_RANGE[0]) / (X_RANGE[1] - X_RANGE[0])
    fy = (Y_RANGE[1] - pos[:, 1]) / (Y_RANGE[1] - Y_RANGE[0])
    return np.column_stack((fx, fy))


class Painter:
    """The network figure of one session, built once and updated in place.

    Building a figure costs several times more than drawing it, so :meth:`draw` only moves data
    into the existing artists and renders them to JPEG bytes. A new painter is made at reset,
    and when the trust target changes.
    """

    def __init__(self, snap: Snapshot, target: str = "institution", dpi: int = DPI) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.target, self.dpi = target, dpi
        self._lock = threading.Lock()
        self._background: Any = None
        fig = Figure(figsize=(FIG_WIDTH_IN, FIG_HEIGHT_IN), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_axis_off()
        ax.set_xlim(*X_RANGE)
        ax.set_ylim(*Y_RANGE)
        self.network = NetworkPainter(ax, self._nodes_only(snap), scale=NODE_SCALE)
        self.ties = self._build_ties(ax)
        self.fig = fig

    def _nodes_only(self, snap: Snapshot) -> Any:
        """The view for the shared painter without its ties (drawn here, banded by strength)."""
        view = snap.network_view(self.target)
        none = np.zeros(0, dtype=np.int64)
        return replace(view, tie_a=none, tie_b=none, tie_layer=none, tie_strength=np.zeros(0))

    def _build_ties(self, ax: Any) -> dict[tuple[int, int], Any]:
        """One empty path per tie layer and strength band, in the network picture's colours and line styles."""
        from matplotlib.colors import to_rgba
        from matplotlib.patches import PathPatch
        from matplotlib.path import Path

        patches = {}
        for layer, (colour, style) in LAYER_STYLE.items():
            for band in range(STRENGTH_BINS):
                w = (band + 0.5) / STRENGTH_BINS  # the band's middle strength, as NetworkPainter shades one tie
                patches[layer, band] = ax.add_patch(
                    PathPatch(
                        Path(np.zeros((0, 2))),
                        fill=False,
                        edgecolor=(*to_rgba(colour)[:3], 0.15 + 0.55 * w),
                        linewidth=NODE_SCALE * (0.2 + 1.2 * w),
                        linestyle=style,
                        zorder=1,
                    )
                )
        return patches

    def _update_ties(self, snap: Snapshot) -> None:
        from matplotlib.path import Path

        band = np.minimum((np.clip(snap.tie_strength, 0.0, 1.0) * STRENGTH_BINS).astype(np.int64), STRENGTH_BINS - 1)
        for (layer, b), patch in self.ties.items():
            sel = (snap.tie_layer == layer) & (band == b)
            ends = np.empty((2 * int(sel.sum()), 2))
            ends[0::2], ends[1::2] = snap.pos[snap.tie_a[sel]], snap.pos[snap.tie_b[sel]]
            codes = np.tile(np.array([Path.MOVETO, Path.LINETO], dtype=Path.code_type), len(ends) // 2)
            patch.set_path(Path(ends, codes))

    def draw(self, snap: Snapshot) -> bytes:
        """JPEG bytes of the network at ``snap``."""
        import io

        from PIL import Image

        with self._lock:
            self.network.update(self._nodes_only(snap))
            self._update_ties(snap)
            canvas: Any = self.fig.canvas  # the Agg canvas (blitting and its pixel buffer)
            artists = [*self.ties.values(), *(coll for _, coll in self.network.nodes.values())]
            for art in artists:
                art.set_animated(True)
            if self._background is None:  # the static part (here only the white page), once
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.fig.bbox)
            else:
                canvas.restore_region(self._background)
            for art in artists:
                self.fig.draw_artist(art)
            buf = io.BytesIO()
            # JPEG: a fifth of PNG's encoding time and size for this picture, at no visible cost
            width, height = canvas.get_width_height()
            rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            rgba.convert("RGB").save(buf, format="JPEG", quality=88)  # no numpy copy of the RGBA buffer
            return buf.getvalue()


def overlay_svg(snap: Snapshot, lang: str, selected: int | None = None) -> str:
    """The clickable layer over the network picture: a transparent circle per actor, village names, the ring
    around the ``selected`` actor."""
    xy = fractions(snap.pos) * (OVERLAY_WIDTH, OVERLAY_HEIGHT)
    circles = "".join(
        f'<circle id="kopsim-agent-{i}" cx="{x:.1f}" cy="{y:.1f}" r="13"/>' for i, (x, y) in enumerate(xy)
    )
    names = ""
    if snap.village_labels:
        lab = fractions(np.asarray(snap.village_labels, dtype=float)) * (OVERLAY_WIDTH, OVERLAY_HEIGHT)
        lab[:, 0] = np.clip(lab[:, 0], 2.2 * VILLAGE_FONT, OVERLAY_WIDTH - 2.2 * VILLAGE_FONT)  # whole names, not cut
        names = "".join(
            f'<text class="kopsim-village-name" x="{x:.0f}" y="{y:.0f}" text-anchor="middle" '
            f'dominant-baseline="middle">{escape(text("village_label", lang, n=k + 1))}</text>'
            for k, (x, y) in enumerate(lab)
        )
    ring = ""
    if selected is not None and 0 <= selected < len(xy):
        x, y = xy[selected]
        ring = (
            f'<circle id="kopsim-selected" cx="{x:.1f}" cy="{y:.1f}" r="22" fill="none" stroke="#000000" '
            f'stroke-width="5" pointer-events="none"/><circle cx="{x:.1f}" cy="{y:.1f}" r="27" fill="none" '
            f'stroke="#FFFFFF" stroke-width="3" pointer-events="none"/>'
        )
    return (
        f'<svg class="kopsim-overlay" viewBox="0 0 {OVERLAY_WIDTH} {OVERLAY_HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="{VILLAGE_FONT}">'
        f'<g fill="transparent" style="cursor: pointer">{circles}</g>'
        f'<g fill="#111111" stroke="#FFFFFF" stroke-width="6" paint-order="stroke" pointer-events="none">{names}</g>'
        f"{ring}</svg>"
    )
