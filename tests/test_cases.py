"""Issue #16: modelling the cooperative in front of you (scenario lookup, households, rules, tie origin)."""

from __future__ import annotations

import subprocess
import sys

from kopsim.scenario import load


def _kopsim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kopsim", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_a_scenario_name_resolves_to_the_current_folder_before_the_shipped_ones(tmp_path, monkeypatch):
    (tmp_path / "kopwan_follow_up.toml").write_text(
        'extends = "baseline"\n[scenario]\nname = "kopwan"\nsteps = 3\n', encoding="utf-8"
    )
    (tmp_path / "baseline.toml").write_text('[scenario]\nname = "my_baseline"\nsteps = 4\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load("kopwan_follow_up").name == "kopwan"
    assert load("baseline").name == "my_baseline"  # the user's own file shadows the shipped one
    proc = _kopsim("validate", "kopwan_follow_up", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_a_missing_extends_names_the_folder_searched(tmp_path):
    (tmp_path / "child.toml").write_text('extends = "kopwan_base.toml"\n', encoding="utf-8")
    proc = _kopsim("validate", str(tmp_path / "child.toml"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert f"file not found in {tmp_path.resolve()}" in proc.stderr


def test_a_misspelt_name_suggests_the_file_in_the_current_folder(tmp_path):
    (tmp_path / "kopwan_follow_up.toml").write_text("[scenario]\nsteps = 3\n", encoding="utf-8")
    proc = _kopsim("validate", "kopwan_folow_up", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean 'kopwan_follow_up'?" in proc.stderr
    assert str(tmp_path) in proc.stderr
