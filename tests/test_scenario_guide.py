"""docs/SCENARIOS.md: the three worked examples are complete scenario files that run end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "SCENARIOS.md"
BLOCK = re.compile(r"<!-- example: (\S+\.toml) -->\n```toml\n(.*?)```", re.S)
EXAMPLES = dict(BLOCK.findall(GUIDE.read_text(encoding="utf-8")))


def test_the_guide_has_the_three_worked_examples_in_both_languages():
    assert set(EXAMPLES) == {"kopwan_melati.toml", "bmt_minimarket_sewing.toml", "gapoktan_simpan_pinjam.toml"}
    text = GUIDE.read_text(encoding="utf-8")
    assert "Part 1 (English)" in text and "Bagian 2 (Bahasa Indonesia)" in text
    for name in EXAMPLES:
        assert text.count(name) >= 2  # named in the English and the Indonesian part


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_worked_example_runs_end_to_end(tmp_path, name):
    (tmp_path / name).write_text(EXAMPLES[name], encoding="utf-8")
    stem = name.removesuffix(".toml")
    cmd = [sys.executable, "-m", "kopsim"]
    proc = subprocess.run([*cmd, "validate", stem], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "results"
    proc = subprocess.run(
        [*cmd, "run", stem, "--quiet", "--out", str(out), "--set", "metrics.centrality_every=0"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(out / "metrics.csv")
    assert len(frame) == 120 and frame["members"].iloc[-1] > 0
    if stem == "kopwan_melati":
        assert (frame["members_female_share"] == 1.0).all() and frame["members"].iloc[-1] > 40
