"""Executors behind the standard :class:`concurrent.futures.Executor` interface.

* ``sequential`` — runs each task in the calling process when submitted (for debugging);
* ``process`` (default) — a local :class:`~concurrent.futures.ProcessPoolExecutor`,
  workers = cores;
* ``dask`` — ``local`` starts a :class:`distributed.LocalCluster` (one single-threaded worker
  process per core); ``tcp://HOST:PORT`` joins an existing scheduler. Uses
  ``Client.get_executor()``. Needs the optional extra ``kopsim[dask]``.

Results do not depend on the executor: every run's seed is fixed before submission and a
run uses nothing but its own seeded generator.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from kopsim.errors import UsageError

DASK_CONNECT_TIMEOUT = "5s"


class SequentialExecutor(Executor):
    """Runs each submitted call immediately in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # the future carries it, as a pool's would
            future.set_exception(err)
        return future


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextlib.contextmanager
def make_executor(kind: str = "process", workers: int | None = None, dask: str | None = None) -> Iterator[Executor]:
    """An executor as a context manager. ``dask`` ('local' or an address) selects Dask."""
    workers = workers or default_workers()
    if dask is not None:
        with _dask_executor(dask, workers) as ex:
            yield ex
        return
    if kind == "sequential":
        yield SequentialExecutor()
    elif kind == "process":
        # No max_tasks_per_child: on Python 3.11 a pool whose workers all retire starts no new ones
        # and waits for ever (CPython gh-115634); with it at 500, any run of more than 500 tasks per
        # worker (a sensitivity analysis of 2,048 runs on 2 workers) hung at task 1,000.
        with ProcessPoolExecutor(max_workers=workers) as ex:
            yield ex
    else:
        raise UsageError(f"--executor: {kind!r} is not an executor; allowed: sequential, process (or --dask)")


@contextlib.contextmanager
def _dask_executor(address: str, workers: int) -> Iterator[Executor]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask: Dask is not installed; install it with: pip install 'kopsim[dask]'") from None
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        try:
            yield client.get_executor()
        finally:
            client.close()
            cluster.close()
        return
    if not address.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
        raise UsageError(f"--dask: {address!r} is not allowed; use 'local' or a scheduler address tcp://HOST:PORT")
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as err:
        raise UsageError(
            f"--dask: cannot reach the Dask scheduler at {address} ({type(err).__name__}); is it running?"
        ) from None
    try:
        yield client.get_executor()
    finally:
        client.close()
