"""The one colour palette of kopsim's pictures: the report's figures and the classroom page.

Okabe & Ito's qualitative palette is safe for the common colour-vision deficiencies
(deuteranopia, protanopia, tritanopia); trust is coloured with ``viridis`` (perceptually
uniform, readable in grey). Nothing here imports matplotlib, so the page and the tests can
read the colours cheaply.
"""

from __future__ import annotations

# Okabe & Ito (2008), yellow (#F0E442) left out: too pale on white. The report gives the first
# configuration (usually the reference) black.
BLACK, BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION = (
    "#000000",
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
)
OKABE_ITO = (BLACK, BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION)
GREY = "#7F7F7F"  # institutions, bonding ties, previous runs (not a hue: no confusion with the series)

TRUST_CMAP = "viridis"  # trust 0 (dark purple) .. 1 (yellow); was red-green, unreadable for ~1 in 12 men

# Three-way series on the page's charts: participation domains, tie layers, trust targets, trust bands.
SERIES = (BLUE, ORANGE, GREEN, PURPLE, VERMILLION, SKY, BLACK)
LAYER_COLOURS = (GREY, BLUE, PURPLE)  # bonding, bridging, linking (network picture and charts)
BAND_COLOURS = (VERMILLION, ORANGE, BLUE)  # low, medium, high trust: distinct in all three deficiencies
PREVIOUS_RUN_OPACITY = 0.35  # the previous run after Reset: the same colour, faint and dashed
