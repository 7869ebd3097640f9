"""Mesa's own plot components read CooperativeModel's datacollector (Mesa's SolaraViz needs altair)."""

from __future__ import annotations

import pytest
from helpers import small_params

from kopsim import CooperativeModel


def test_mesa_plot_component_draws_the_models_outcomes():
    solara = pytest.importorskip("solara")  # the app extra; the test extra installs it
    pytest.importorskip("altair")
    from mesa.visualization.components.matplotlib_components import PlotMatplotlib

    model = CooperativeModel(small_params(), seed=1)
    model.run(3)
    _box, rc = solara.render(PlotMatplotlib(model, ["members", "trust_institution_mean"]), handle_error=False)
    png = bytes(rc.find().widget.value)
    assert png.startswith(b"\x89PNG") and len(png) > 1000
