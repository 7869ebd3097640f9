"""``kopsim report --format pdf``: the report as a PDF without a browser (matplotlib's PdfPages).

Page 1 (and more if needed) holds the title and the key-findings box as text: the findings, the
effects below the minimum, the lever note, the stated minimum and any scenario-discovery boxes.
Every figure of the HTML report follows, one per page, as vector graphics with its legend inside.
The full tables stay in the HTML report, which also prints cleanly to PDF from a browser (its print
stylesheet). No new dependency: matplotlib writes the PDF.
"""

from __future__ import annotations

import html
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages

from .figures import new_figure

A4 = (8.27, 11.69)  # inches
BLOCKS = ("h1", "h2", "h3", "p", "li", "div", "ul", "tr")
MARGIN = 0.7  # inches
STYLE = {  # font size (points), space before (inches), weight
    "h1": (15, 0.1, "bold"),
    "h2": (12.5, 0.22, "bold"),
    "h3": (11, 0.16, "bold"),
    "p": (9.5, 0.08, "normal"),
    "li": (9.5, 0.04, "normal"),
    "note": (8.2, 0.1, "normal"),
}


def _wrap_width(size: float, weight: str, indent: float = 0.0) -> int:
    """Characters per line at ``size`` points: DejaVu Sans averages ~0.56 em a character (bold ~0.63)."""
    em = 0.63 if weight == "bold" else 0.56
    return int((A4[0] - 2 * MARGIN - indent) * 72 / (em * size))


class _Blocks(HTMLParser):
    """Text blocks of an HTML fragment: (style, text) per heading, paragraph and list item."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._text: list[str] = []
        self._style: list[str] = ["p"]

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append((self._style[-1], text))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self._flush()
            klass = dict(attrs).get("class") or ""
            style = "note" if "note" in klass or "small-effects" in klass else tag
            self._style.append(style if style in STYLE else self._style[-1])
        elif tag == "br":
            self._text.append(" ")
        elif tag in ("td", "th") and "".join(self._text).strip():
            self._text.append(" | ")  # a table row becomes one line, its cells apart

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._flush()
            if len(self._style) > 1:
                self._style.pop()

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def html_blocks(fragment: str) -> list[tuple[str, str]]:
    """The (style, text) blocks of an HTML fragment, tags dropped and entities resolved."""
    parser = _Blocks()
    parser.feed(fragment)
    parser.close()
    parser._flush()
    return [(style, html.unescape(text)) for style, text in parser.blocks]


def text_pages(pdf: PdfPages, blocks: list[tuple[str, str]]) -> int:
    """Write ``blocks`` on A4 pages (wrapped, a new page when one is full); returns the number of pages."""
    margin, pages = MARGIN, 0
    fig, y = None, 0.0

    def new_page() -> tuple[Any, float]:
        nonlocal pages
        if fig is not None:
            pdf.savefig(fig)
        pages += 1
        return new_figure(*A4), A4[1] - margin

    fig, y = new_page()
    for style, text in blocks:
        size, before, weight = STYLE.get(style, STYLE["p"])
        bullet = style == "li"
        lines = textwrap.wrap(text, width=_wrap_width(size, weight, 0.4 if bullet else 0.0)) or [""]
        y -= before
        for i, line in enumerate(lines):
            step = size * 1.35 / 72
            if y - step < margin:
                fig, y = new_page()
            y -= step
            x = margin + (0.25 if bullet else 0.0)
            prefix = "\u2022 " if bullet and i == 0 else ("  " if bullet else "")
            fig.text(x / A4[0], y / A4[1], prefix + line, fontsize=size, fontweight=weight, va="bottom")
    pdf.savefig(fig)
    return pages


def open_pdf(path: Path, title: str) -> PdfPages:
    """A PdfPages at ``path`` with the report's title (no creation date: the same results give the same file)."""
    return PdfPages(path, metadata={"Title": title, "Creator": "kopsim report", "CreationDate": None})
