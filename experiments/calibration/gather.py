"""A chunk of ABC jobs run as one batch of worlds, with exactly the particles of one-by-one jobs.

pyabc's ``simulate_one`` draws a particle from the proposal, calls the model, then computes the
distance and accepts or rejects, all in one call. To run the models of many jobs as one batch
(:meth:`~.simulator.SurveySimulator.simulate_many`), :func:`run_jobs` runs each job's
``simulate_one`` in a thread of its own, one thread at a time: job j's thread seeds numpy's and
random's global generators as the one-by-one job does, draws its particle and run seed, and stops
in the model call (:meth:`Gather.request`); only then does the next job start. When every job
waits (or finished without a model call), the waiting particles run as one batch, and each thread
is released in job order with the global generators restored to the state they had when it
stopped. Each job therefore sees the draws, the statistics (a world is bit-identical alone and in
a batch) and hence the particle and acceptance it has alone, on every executor.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

_ACTIVE: Gather | None = None  # the gather of the chunk this process is running, if any


def active() -> Gather | None:
    """The gather collecting this process's model calls (None: run each call at once)."""
    return _ACTIVE


class Gather:
    """Model calls of the waiting jobs: (simulator, particle, run seed) and where the result goes."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.requests: list[tuple[Any, Mapping[str, float], int, dict[str, Any]]] = []

    def request(self, simulator: Any, pars: Mapping[str, float], seed: int) -> dict[str, float]:
        """Called in a job's thread by the model: wait until the chunk's batch has run, then return
        this particle's statistics."""
        slot: dict[str, Any] = {"ready": threading.Event()}
        with self.changed:
            self.requests.append((simulator, pars, seed, slot))
            self.changed.notify_all()
        slot["ready"].wait()
        return slot["result"]


def run_jobs(simulate_one: Callable[[], Any], jobs: Sequence[tuple[int, int]]) -> list[tuple[int, Any]]:
    """Run ``simulate_one`` once per (job, seed) of ``jobs``, the models as one batch (module
    docstring); returns (job, particle) in job order. An exception of a job is raised again."""
    global _ACTIVE
    gather = Gather()
    _ACTIVE = gather
    outcomes: dict[int, Any] = {}
    errors: dict[int, BaseException] = {}
    waiting: list[tuple[int, threading.Thread, int, Any]] = []  # job, thread, its request, generator states
    try:
        for job, seed in jobs:
            random.seed(seed)
            np.random.seed(seed)
            asked = len(gather.requests)
            ended: list[bool] = []

            def work(job: int = job, ended: list[bool] = ended) -> None:
                try:
                    outcomes[job] = simulate_one()
                except BaseException as err:  # raised again by the coordinator
                    errors[job] = err
                finally:
                    with gather.changed:
                        ended.append(True)
                        gather.changed.notify_all()

            thread = threading.Thread(target=work, daemon=True)
            thread.start()

            def stopped(ended: list[bool] = ended, asked: int = asked) -> bool:
                return len(gather.requests) > asked or bool(ended)

            with gather.changed:
                gather.changed.wait_for(stopped)
            if len(gather.requests) > asked:  # stopped in its model call
                waiting.append((job, thread, asked, (np.random.get_state(), random.getstate())))
            else:
                thread.join()
        _run_requests(gather.requests)
        for _job, thread, asked, (np_state, py_state) in waiting:  # released one at a time, in job order
            np.random.set_state(np_state)
            random.setstate(py_state)
            gather.requests[asked][3]["ready"].set()
            thread.join()
    finally:
        _ACTIVE = None
    for job, _seed in jobs:
        if job in errors:
            raise errors[job]
    return [(job, outcomes[job]) for job, _seed in jobs]


def _run_requests(requests: Sequence[tuple[Any, Mapping[str, float], int, dict[str, Any]]]) -> None:
    """The waiting model calls, one batch per simulator (a model comparison has several)."""
    by_simulator: dict[int, list[int]] = {}
    for k, (simulator, _pars, _seed, _slot) in enumerate(requests):
        by_simulator.setdefault(id(simulator), []).append(k)
    for ks in by_simulator.values():
        simulator = requests[ks[0]][0]
        try:
            results = simulator.simulate_many([(requests[k][1], requests[k][2]) for k in ks])
        except Exception:  # one particle's failure must not take the others: each alone, as pyabc would
            results = [simulator.simulate(requests[k][1], requests[k][2]) for k in ks]
        for k, result in zip(ks, results, strict=True):
            requests[k][3]["result"] = result


__all__ = ["Gather", "active", "run_jobs"]
