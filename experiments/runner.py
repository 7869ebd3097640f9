"""Running an experiment: every planned run on an executor, each written as it finishes.

Only a bounded window of runs is in flight (a few per worker), and each result is written to
the store and dropped as soon as it arrives, so memory does not grow with the number of runs.
Re-running the same command skips every run that already has a record; when none is left to
run and the tables were written from exactly the stored runs (:meth:`Store.tables_current`), it
writes nothing and never imports the model, so a finished experiment "resumes" in about a second.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import sys
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import kopsim

from .executors import default_workers, make_executor
from .spec import Experiment, RunSpec
from .store import Store

IN_FLIGHT_PER_WORKER = 2


def __getattr__(name: str) -> Any:
    # The model (mesa, igraph, matplotlib: over a second) is imported when a run is executed, not by
    # a re-run that finds every run done. Tests replace runner.CooperativeModel to inject failures.
    if name == "CooperativeModel":
        from kopsim import CooperativeModel

        globals()[name] = CooperativeModel
        return CooperativeModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _model_class() -> Any:
    return sys.modules[__name__].CooperativeModel  # through __getattr__ the first time


def _record(spec: RunSpec) -> dict[str, Any]:
    cfg = spec.config
    return {
        "run_id": spec.run_id,
        "config_id": cfg.config_id,
        "label": cfg.label,
        "scenario": cfg.scenario.name,
        "overrides": cfg.overrides,
        "replication": spec.replication,
        "seed": spec.seed,
        "steps": spec.steps,
    }


def execute(spec: RunSpec) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one simulation; never raises: an exception is returned as an error record."""
    cfg = spec.config
    t0 = time.perf_counter()
    try:
        model = _model_class()(cfg.scenario.params, seed=spec.seed, interventions=cfg.scenario.interventions)
        frame = model.run(spec.steps)
    except Exception as err:  # recorded, and the sweep goes on
        record = _record(spec)
        record.update(
            status="error", error=f"{type(err).__name__}: {err}", duration_s=round(time.perf_counter() - t0, 4)
        )
        return record, None
    return result(spec, frame, round(time.perf_counter() - t0, 4))


def result(spec: RunSpec, frame: pd.DataFrame, duration_s: float) -> tuple[dict[str, Any], pd.DataFrame]:
    """The record and the metrics table written for a finished run (``frame``: its metrics table)."""
    cfg = spec.config
    record = _record(spec)
    steps = frame[["step", *spec.outcomes]].copy()
    steps.insert(0, "replication", spec.replication)
    steps.insert(0, "label", cfg.label)
    steps.insert(0, "config_id", cfg.config_id)
    steps.insert(0, "run_id", spec.run_id)
    last = frame.iloc[-1]
    record.update(
        status="ok",
        error="",
        duration_s=duration_s,
        **{f"final_{o}": float(last[o]) for o in spec.outcomes},
    )
    return record, steps


def execute_batch(specs: Sequence[RunSpec]) -> list[tuple[dict[str, Any], pd.DataFrame | None]]:
    """Run ``specs`` as one batch of worlds; never raises. Each result is what
    :func:`execute` returns for that run alone; if the batch fails as a whole,
    its runs are run one by one, so a failing run is reported as the one that failed."""
    if len(specs) == 1:
        return [execute(specs[0])]
    t0 = time.perf_counter()
    try:
        model = _model_class()(
            [s.config.scenario.params for s in specs],
            seed=[s.seed for s in specs],
            interventions=[s.config.scenario.interventions for s in specs],
        )
        model.run_steps(specs[0].steps)
        frames = [model.metrics_frame(world=w) for w in range(len(specs))]
    except Exception:  # one run's error must not hide the others: each is run, and reported, alone
        return [execute(s) for s in specs]
    share = round((time.perf_counter() - t0) / len(specs), 4)
    return [result(spec, frame, share) for spec, frame in zip(specs, frames, strict=True)]


def fingerprint(exp: Experiment) -> str:
    """What makes two invocations the same experiment (replications may grow between them).

    The kopsim version is part of it, so results of another model version are never mixed in.
    """
    blob = json.dumps(
        {
            "configs": [c.config_id for c in exp.configs],
            "steps": exp.steps,
            "seed": exp.seed,
            "outcomes": list(exp.outcomes),
            "kopsim": kopsim.__version__,
        },
        sort_keys=True,
    )
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def manifest(exp: Experiment) -> dict[str, Any]:
    import mesa
    import numpy as np

    return {
        "experiment": exp.name,
        "source": exp.source,
        "fingerprint": fingerprint(exp),
        "kopsim_version": kopsim.__version__,
        "root_seed": exp.seed,
        "replication_seeds": "numpy.random.SeedSequence(root_seed).spawn(replications)[i].generate_state(1)[0]",
        "replications": exp.replications,
        "steps": exp.steps,
        "outcomes": list(exp.outcomes),
        "configs": [
            {
                "index": k,
                "config_id": c.config_id,
                "label": c.label,
                "scenario": c.scenario.name,
                "scenario_file": c.scenario.source,
                "overrides": c.overrides,
                "interventions": [{"kind": i.kind, **asdict(i)} for i in c.scenario.interventions],
                "parameters": c.scenario.params.to_dict(),
            }
            for k, c in enumerate(exp.configs)
        ],
        "spec": exp.spec,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
    }


@dataclass
class Outcome:
    planned: int
    skipped: int
    ok: int
    failed: int
    seconds: float


def run_experiment(
    exp: Experiment,
    out: str | Path,
    executor: str = "process",
    workers: int | None = None,
    dask: str | None = None,
    quiet: bool = False,
    batch: bool = True,
) -> Outcome:
    """Run every planned run of ``exp`` not yet in the store at ``out``; ``batch``: pack runs that can
    share a model into batches of worlds (:mod:`experiments.batching`; the results are the same)."""
    store = Store(out)
    key = {"fingerprint": fingerprint(exp)}
    store.check(key)  # before anything starts: refuse a directory holding another experiment
    with store.lock():  # one writer per directory
        return _run_locked(exp, store, key, executor, workers, dask, quiet, batch)


def _run_locked(
    exp: Experiment,
    store: Store,
    key: dict[str, Any],
    executor: str,
    workers: int | None,
    dask: str | None,
    quiet: bool,
    batch: bool = True,
) -> Outcome:
    from tqdm import tqdm

    from .batching import plan

    held = store.check(key)  # again: another process may have written it before we held the lock
    index = {c.config_id: k for k, c in enumerate(exp.configs)}
    planned = exp.runs()
    done = store.finished()
    todo = [r for r in planned if r.run_id not in done]
    ok = failed = 0
    t0 = time.perf_counter()
    workers = workers or default_workers()
    if todo:
        _model_class()  # imported once here, so that forked pool workers inherit it
    with make_executor(executor, workers, dask) if todo else contextlib.nullcontext() as ex:
        # only once the executor is up, so a failed connection writes nothing; the full manifest (it
        # imports mesa for its version) only for a new directory
        store.open(key if held else manifest(exp))
        if held and todo:  # more replications than stored: the manifest says how many there now are
            store.extend_manifest(manifest(exp))
        bar = tqdm(
            total=len(planned),
            initial=len(planned) - len(todo),
            unit="run",
            disable=quiet,
            file=sys.stderr,
            desc=exp.name,  # whole: a cut label hid which experiment this was
            dynamic_ncols=True,
        )
        pending: set[Future] = set()
        # each job is a batch of runs (one run when batching is off or a run cannot share a model)
        queue = iter(plan(todo, workers) if batch else [[spec] for spec in todo])
        window = max(1, IN_FLIGHT_PER_WORKER * workers)
        exhausted = not todo
        while pending or not exhausted:
            while not exhausted and len(pending) < window:
                specs = next(queue, None)
                if specs is None:
                    exhausted = True
                else:
                    assert ex is not None  # an executor exists whenever runs are left to do
                    pending.add(ex.submit(execute_batch, specs))
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                for record, steps in fut.result():  # written run by run, as each batch arrives
                    record["config_index"] = index[record["config_id"]]
                    store.write_run(record, steps)
                    if record["status"] == "ok":
                        ok += 1
                    else:
                        failed += 1
                        if not quiet:
                            bar.write(f"kopsim: run {record['run_id']} failed: {record['error']}", file=sys.stderr)
                    bar.update(1)
    bar.close()
    if todo or not store.tables_current():
        from .stats import write_statistics

        store.consolidate()
        write_statistics(store)
        store.mark_tables()  # last: a crash before this leaves them to be written again
    return Outcome(len(planned), len(planned) - len(todo), ok, failed, time.perf_counter() - t0)
