"""The results store: one directory per experiment, written run by run, atomically.

Layout::

    DIR/manifest.json          experiment, configurations, root seed, kopsim version, planned runs
    DIR/runs/<run_id>.json     one record per finished run (status ok or error)
    DIR/steps/<run_id>.parquet its per-step outcomes (ok runs only)
    DIR/runs.parquet, runs.csv the runs table: one row per finished run (rebuilt by consolidate)
    DIR/summary.csv, differences.csv   statistics (experiments.stats)

A run counts as finished once its record exists. Records and step files are written to a
temporary name and renamed into place (``os.replace`` is atomic on POSIX), step file first,
so a crash at any moment leaves either a whole run or none. Resuming lists the records and
skips those runs.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from kopsim.errors import UsageError

MANIFEST = "manifest.json"


class Store:
    """A results directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.steps_dir = self.root / "steps"

    # ---- writing ------------------------------------------------------------------------
    def check(self, manifest: dict[str, Any]) -> bool:
        """Refuse a directory that holds something else; True if it already holds this experiment."""
        existing = self.root / MANIFEST
        if existing.exists():
            old = self.manifest()
            if old.get("fingerprint") != manifest["fingerprint"]:
                raise UsageError(f"{self.root}: holds results of a different experiment "
                                 f"({old.get('experiment', '?')!r}); choose another --out directory")
            return True
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise UsageError(f"{self.root}: exists and is not a kopsim results directory; choose another --out")
        return False

    def open(self, manifest: dict[str, Any]) -> None:
        """Create the directory (or reuse it for the same experiment); clear half-written temp files."""
        if self.check(manifest):
            for tmp in [*self.runs_dir.glob(".*.tmp"), *self.steps_dir.glob(".*.tmp")]:
                tmp.unlink(missing_ok=True)  # left by a killed run; its result was never renamed in
            return
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.steps_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write_text(self.root / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")

    def write_run(self, record: dict[str, Any], steps: pd.DataFrame | None) -> None:
        """Persist one finished run: its step table (if any), then its record."""
        run_id = record["run_id"]
        if steps is not None:
            _atomic_write_parquet(self.steps_dir / f"{run_id}.parquet", steps)
        _atomic_write_text(self.runs_dir / f"{run_id}.json", json.dumps(record, default=_json_default) + "\n")

    # ---- reading ------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"{self.root}: not a kopsim results directory (no {MANIFEST})") from None
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: corrupt manifest ({err.msg})") from None

    def finished(self) -> set[str]:
        """Run ids with a record (ok or error)."""
        if not self.runs_dir.exists():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.json")}

    def records(self) -> Iterator[dict[str, Any]]:
        for path in sorted(self.runs_dir.glob("*.json")):
            yield json.loads(path.read_text(encoding="utf-8"))

    def runs_table(self) -> pd.DataFrame:
        """One row per finished run, in a stable order."""
        rows = list(self.records())
        if not rows:
            return pd.DataFrame(columns=["run_id", "config_id", "label", "replication", "seed", "status"])
        frame = pd.DataFrame(rows)
        return frame.sort_values(["config_index", "replication"]).reset_index(drop=True)

    def step_files(self) -> list[Path]:
        return sorted(self.steps_dir.glob("*.parquet"))

    def iter_steps(self) -> Iterator[pd.DataFrame]:
        """Per-step tables one run at a time (memory stays bounded)."""
        for path in self.step_files():
            yield pd.read_parquet(path)

    def consolidate(self, csv_steps: bool = False) -> pd.DataFrame:
        """Write runs.parquet and runs.csv (and steps.csv if asked); return the runs table."""
        table = self.runs_table()
        flat = table.copy()
        if "overrides" in flat:
            flat["overrides"] = flat["overrides"].map(lambda d: json.dumps(d, sort_keys=True))
        _atomic_write_parquet(self.root / "runs.parquet", flat)
        _atomic_write_csv(self.root / "runs.csv", flat)
        if csv_steps:
            tmp = self.root / ".steps.csv.tmp"
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                for k, frame in enumerate(self.iter_steps()):
                    frame.to_csv(fh, index=False, header=(k == 0))
            os.replace(tmp, self.root / "steps.csv")
        return table


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _tmp_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(name, 0o666 & ~_UMASK)  # mkstemp makes owner-only files; results are meant to be shared
    return Path(name)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = _tmp_beside(path)
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = _tmp_beside(path)
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
    tmp = _tmp_beside(path)
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
