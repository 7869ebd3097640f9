"""The results store: one directory per experiment, written run by run, atomically.

Layout::

    DIR/manifest.json          experiment, configurations, root seed, kopsim version, planned runs
    DIR/runs/<run_id>.json     one record per finished run (status ok or error)
    DIR/steps/<run_id>.parquet its per-step outcomes (ok runs only)
    DIR/runs.parquet, runs.csv the runs table: one row per finished run (rebuilt by consolidate)
    DIR/summary.csv, differences.csv   statistics (experiments.stats)
    DIR/.tables.json           which run files and tables the last consolidation saw (see below)

A run counts as finished once its record exists. Records and step files are written to a
temporary name and renamed into place (``os.replace`` is atomic on POSIX), step file first,
so a crash at any moment leaves either a whole run or none. Resuming lists the records and
skips those runs, except runs whose record or step file is unreadable (a disk error, a file
truncated by hand): those are computed again. Reading a directory (report, export) refuses
corrupt files, naming them.

After writing the tables (runs table and statistics) the runner records the name, size,
modification time and inode of every run record and step file, and of each table, in
``.tables.json``. A re-run that finds nothing left to run and every one of these unchanged
(:meth:`Store.tables_current`) leaves the tables as they are instead of recomputing them from
every step file; any new, removed or rewritten run or table makes it recompute them.

One process writes a directory at a time: :meth:`Store.lock` holds an exclusive
``fcntl.flock`` on ``DIR/.lock`` (released by the kernel when the process ends, however it
ends), so a second ``compare``/``sweep`` on the same directory stops with one line instead
of computing every run again and deleting the first one's temporary files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from kopsim.errors import UsageError

MANIFEST = "manifest.json"
LOCK = ".lock"
TABLES_STAMP = ".tables.json"
TABLES = ("runs.parquet", "runs.csv", "summary.parquet", "summary.csv", "differences.csv")
MAX_RECORD_BYTES = 1024 * 1024  # a run record is a few kB
MAX_MANIFEST_BYTES = 256 * 1024 * 1024  # every configuration's parameters: ~2 kB each, 10,000 at most


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
                raise UsageError(
                    f"{self.root}: holds results of a different experiment "
                    f"({old.get('experiment', '?')!r}); choose another --out directory"
                )
            return True
        if self.root.exists() and (not self.root.is_dir() or any(p.name != LOCK for p in self.root.iterdir())):
            raise UsageError(f"{self.root}: exists and is not a kopsim results directory; choose another --out")
        return False

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the directory's write lock (created if missing); a second writer gets a UsageError.

        A directory created here and left holding only the lock file (the run never started) is
        removed again, so failed input writes nothing.
        """
        created = not self.root.exists()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise UsageError(f"{self.root}: cannot create the results directory ({err.strerror or err})") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                raise UsageError(
                    f"{self.root}: another kopsim process (pid {owner}) is writing this results "
                    "directory; wait for it to finish or choose another --out"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            if created and [p.name for p in self.root.iterdir()] == [LOCK]:
                (self.root / LOCK).unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    self.root.rmdir()
            os.close(fd)  # releases the lock

    def open(self, manifest: dict[str, Any]) -> None:
        """Create the directory (or reuse it for the same experiment); clear half-written temp files."""
        if self.check(manifest):
            for tmp in [*self.runs_dir.glob(".*.tmp"), *self.steps_dir.glob(".*.tmp")]:
                tmp.unlink(missing_ok=True)  # left by a killed run; its result was never renamed in
            return
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.steps_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write_text(self.root / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")

    def extend_manifest(self, manifest: dict[str, Any]) -> None:
        """Record more replications of the same experiment (``manifest``'s count, if larger than the
        stored one), keeping the stored ``created`` time and noting when it was ``extended``."""
        old = self.manifest()
        if int(manifest.get("replications", 0)) <= int(old.get("replications", 0)):
            return
        new = {**manifest, "created": old.get("created", manifest.get("created"))}
        new["extended"] = manifest.get("created")
        _atomic_write_text(self.root / MANIFEST, json.dumps(new, indent=2, default=str) + "\n")

    def write_run(self, record: dict[str, Any], steps: pd.DataFrame | None) -> None:
        """Persist one finished run: its step table (if any), then its record."""
        run_id = record["run_id"]
        if steps is not None:
            _atomic_write_parquet(self.steps_dir / f"{run_id}.parquet", steps)
        _atomic_write_text(self.runs_dir / f"{run_id}.json", json.dumps(record, default=_json_default) + "\n")

    def tables_current(self) -> bool:
        """Whether the runs table and statistics were written (:meth:`mark_tables`) from exactly the run
        records and step files stored now, and are themselves unchanged since."""
        try:
            stamp = json.loads((self.root / TABLES_STAMP).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return bool(stamp == self._tables_signature())

    def mark_tables(self) -> None:
        """Record that the tables now match the stored runs (call after writing them)."""
        _atomic_write_text(self.root / TABLES_STAMP, json.dumps(self._tables_signature()) + "\n")

    def _tables_signature(self) -> dict[str, Any]:
        """A digest of every run file's name, size, modification time and inode (a rewrite is a new
        inode: files are renamed into place), and the same of each table (None if missing)."""
        digest = hashlib.sha1()
        for folder in (self.runs_dir, self.steps_dir):
            with contextlib.suppress(FileNotFoundError), os.scandir(folder) as it:
                for name, st in sorted((e.name, e.stat()) for e in it if not e.name.startswith(".")):
                    digest.update(f"{folder.name}/{name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}\n".encode())
        tables: dict[str, list[int] | None] = {}
        for name in TABLES:
            try:
                st = (self.root / name).stat()
                tables[name] = [st.st_size, st.st_mtime_ns, st.st_ino]
            except OSError:
                tables[name] = None
        return {"runs": digest.hexdigest(), "tables": tables}

    # ---- reading ------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        from kopsim.tomlio import read_limited_text

        path = self.root / MANIFEST
        if not path.exists():
            raise UsageError(f"{self.root}: not a kopsim results directory (no {MANIFEST})")
        text = read_limited_text(path, UsageError, MAX_MANIFEST_BYTES, "manifest")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: corrupt manifest ({err.msg})") from None
        except RecursionError:
            raise UsageError(f"{path}: corrupt manifest (nested too deeply)") from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: corrupt manifest (not a JSON object)")
        return data

    def fingerprint(self) -> str | None:
        """The fingerprint of the experiment this directory holds; None if there is no readable manifest."""
        if not (self.root / MANIFEST).is_file():
            return None
        try:
            value = self.manifest().get("fingerprint")
        except UsageError:
            return None
        return value if isinstance(value, str) else None

    def finished(self) -> set[str]:
        """Run ids with a readable record (ok or error) and, for ok runs, a readable step file.

        A run whose files are corrupt does not count, so resuming computes it again.
        """
        if not self.runs_dir.exists():
            return set()
        done = set()
        for path in self.runs_dir.glob("*.json"):
            try:
                record = self._record(path)
                if record.get("status") == "ok":
                    self._check_steps(self.steps_dir / f"{path.stem}.parquet")
            except UsageError:
                continue
            done.add(path.stem)
        return done

    def verify(self) -> None:
        """Refuse a directory with unreadable run records or step files, naming the first and the count."""
        bad: list[str] = []
        for path in sorted(self.runs_dir.glob("*.json")):
            try:
                record = self._record(path)
                if record.get("status") == "ok":
                    self._check_steps(self.steps_dir / f"{path.stem}.parquet")
            except UsageError as err:
                bad.append(str(err))
        if bad:
            more = f" (and {len(bad) - 1} more corrupt runs)" if len(bad) > 1 else ""
            raise UsageError(f"{bad[0]}{more}; run the same compare/sweep command again to recompute them")

    def _record(self, path: Path) -> dict[str, Any]:
        """One run record, or a UsageError naming the file."""
        from kopsim.tomlio import read_limited_text

        text = read_limited_text(path, UsageError, MAX_RECORD_BYTES, "run record")
        try:
            record = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as err:
            raise UsageError(f"{path}: corrupt run record ({getattr(err, 'msg', 'nested too deeply')})") from None
        if not isinstance(record, dict) or record.get("run_id") != path.stem:
            raise UsageError(f"{path}: corrupt run record (not the record of run {path.stem})")
        return record

    @staticmethod
    def _check_steps(path: Path) -> None:
        """A step file whose Parquet footer can be read (a truncated file has none), else a UsageError."""
        import pyarrow.parquet as pq

        if not path.is_file():
            raise UsageError(f"{path}: missing step file of a finished run")
        try:
            pq.read_metadata(path)
        except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged file
            raise UsageError(f"{path}: corrupt step file ({' '.join(str(err).split())})") from None

    def records(self) -> Iterator[dict[str, Any]]:
        for path in sorted(self.runs_dir.glob("*.json")):
            yield self._record(path)

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
        """Per-step tables one run at a time (memory stays bounded); an unreadable file is a UsageError."""
        for path in self.step_files():
            try:
                frame = pd.read_parquet(path)
            except Exception as err:  # pyarrow's errors for damaged files vary (ArrowInvalid, OSError, ...)
                raise UsageError(
                    f"{path}: corrupt step file ({' '.join(str(err).split())}); run the same "
                    "compare/sweep command again to recompute it"
                ) from None
            yield frame

    def consolidate(self, csv_steps: bool = False) -> pd.DataFrame:
        """Write runs.parquet and runs.csv (and steps.csv if asked); return the runs table."""
        table = self.runs_table()
        flat = table.copy()
        if "overrides" in flat:
            flat["overrides"] = flat["overrides"].map(lambda d: json.dumps(d, sort_keys=True))
        _atomic_write_parquet(self.root / "runs.parquet", flat)
        _atomic_write_csv(self.root / "runs.csv", flat)
        if csv_steps:
            with _writing(self.root / "steps.csv") as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
                for k, frame in enumerate(self.iter_steps()):
                    frame.to_csv(fh, index=False, header=(k == 0))
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


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path``, renamed into place at the end; any failure (a full disk,
    pyarrow's OSError without a file name) is an OSError naming ``path``, and the temporary file goes."""
    tmp: Path | None = None
    try:
        tmp = _tmp_beside(path)
        yield tmp
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        reason = err.strerror or " ".join(str(err).split()) or type(err).__name__
        raise OSError(err.errno, f"cannot write ({reason})", str(path)) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _atomic_write_text(path: Path, text: str) -> None:
    with _writing(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    with _writing(path) as tmp:
        frame.to_parquet(tmp, index=False)


def _atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
    with _writing(path) as tmp:
        frame.to_csv(tmp, index=False)
