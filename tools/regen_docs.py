"""Regenerate the generated parts of the docs: ``python tools/regen_docs.py``.

- scenarios/README.md: the parameter and intervention-field tables (``kopsim params --markdown``);
- docs/ODD.md: III.5 parameter tables and the lever → outcome table (:mod:`kopsim.levers`).
"""

from __future__ import annotations

import re
from pathlib import Path

from kopsim import levers
from kopsim.experiments.cli.catalogue import parameter_table

ROOT = Path(__file__).resolve().parents[1]


def replace_from(text: str, start: str, new: str, end: str | None = None) -> str:
    """``text`` with the part from the line ``start`` up to ``end`` (or the end) replaced by ``new``."""
    i = text.index(start)
    j = text.index(end, i) if end else len(text)
    return text[:i] + new.rstrip("\n") + "\n" + (("\n" + text[j:]) if end else "")


def main() -> None:
    readme = ROOT / "scenarios" / "README.md"
    readme.write_text(
        replace_from(readme.read_text(encoding="utf-8"), "## Every parameter", parameter_table()), encoding="utf-8"
    )
    odd = ROOT / "docs" / "ODD.md"
    text = odd.read_text(encoding="utf-8")
    table = re.search(r"\| lever \|.*?\n(?:\|.*\n)+", text)
    if table:
        text = text.replace(table.group(0), levers.markdown_table() + "\n")
    # III.5.1: the rows of the model-parameter table, from the same source as `kopsim params`
    rows = [ln for ln in parameter_table().split("### `kind")[0].splitlines() if ln.startswith("| `")]
    header = "| parameter | default | unit | allowed range | description |\n|---|---|---|---|---|\n"
    old = re.search(re.escape(header) + r"(?:\| `.*\n)+", text)
    if old:
        text = text.replace(old.group(0), header + "\n".join(rows) + "\n")
    odd.write_text(text, encoding="utf-8")
    print("regenerated scenarios/README.md (parameter tables) and docs/ODD.md (lever map)")


if __name__ == "__main__":
    main()
