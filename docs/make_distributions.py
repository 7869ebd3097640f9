"""Month-120 distributions of members' trust and participation in four shipped scenarios.

Writes docs/distributions-month120.png (docs/ODD.md, II.14): ``python docs/make_distributions.py``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from kopsim.model import CooperativeModel
from kopsim.scenario import load
from kopsim.state import BOARD_TRUST, INSTITUTION, ORGANISATION

SCENARIOS = ("weak_rules", "baseline", "good_governance", "village_unengaged")
PANELS = (
    ("trust in the cooperative", "trust", INSTITUTION),
    ("trust in the board", "trust", BOARD_TRUST),
    ("organisation participation", "participation", ORGANISATION),
)


def main() -> None:
    finals = {}
    for name in SCENARIOS:
        scen = load(name)
        params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
        model = CooperativeModel(params, seed=scen.seed, interventions=scen.interventions)
        model.run(120)
        s = model.state
        finals[name] = (s, s.member[: s.n_households])
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(SCENARIOS)))
    fig, axes = plt.subplots(1, len(PANELS), figsize=(12, 3.8), sharey=True)
    bins = np.linspace(0.0, 1.0, 21)
    for ax, (title, attr, col) in zip(axes, PANELS, strict=True):
        for colour, name in zip(colours, SCENARIOS, strict=True):
            s, mem = finals[name]
            values = getattr(s, attr)[: s.n_households][mem, col]
            ax.hist(
                values,
                bins=bins,
                histtype="step",
                linewidth=1.8,
                color=colour,
                label=name,
                weights=np.full(values.size, 1.0 / values.size),
            )
        ax.axvline(1 / 3, color="grey", linestyle=":", linewidth=1)
        ax.set_title(title)
        ax.set_xlabel("level at month 120 (0–1)")
    axes[0].set_ylabel("share of members")
    axes[-1].legend(frameon=False, fontsize=9)
    fig.tight_layout()
    out = Path(__file__).with_name("distributions-month120.png")
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
