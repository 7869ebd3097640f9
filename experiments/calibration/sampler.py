"""The pyabc sampler on kopsim's executors (sequential, process pool, Dask), reproducible from one seed.

Seeds: the driver seeds numpy's global generator with
``--seed``; job j of generation t seeds its worker with SeedSequence([seed, t + 1, j]) before
pyabc draws the particle and the run seed s, and a generation keeps the first P accepted
particles in job order, so a fit is reproducible from ``--seed`` on every executor
(sequential, process pool, Dask; jobs started beyond the P-th acceptance are discarded and
reported as ``simulations_discarded``). The pyabc sampler here submits to the executors of
:mod:`experiments.executors`.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import require_pyabc


def _job_seed(root: int, t: int, job: int) -> int:
    return int(np.random.SeedSequence([root, t + 1, job]).generate_state(1)[0])


_LOADED: dict[str, Any] = {}  # in a worker: the last generation's simulate_one, by the hash of its pickle


def _seeded_job(simulate_one_pickle: bytes, key: str, job: int, seed: int) -> tuple[int, Any, bool]:
    """Run pyabc's ``simulate_one`` once with numpy's and random's global generators seeded."""
    import random

    import cloudpickle

    simulate_one = _LOADED.get(key)
    if simulate_one is None:  # unpickled once per generation and worker
        _LOADED.clear()
        simulate_one = _LOADED[key] = cloudpickle.loads(simulate_one_pickle)
    random.seed(seed)
    np.random.seed(seed)
    particle = simulate_one()
    return job, particle, bool(particle.accepted)


def _seeded_jobs(simulate_one_pickle: bytes, key: str, jobs: Sequence[tuple[int, int]]) -> list[tuple[int, Any, bool]]:
    """Run pyabc's ``simulate_one`` for each (job, seed) of a chunk, the models as one batch of
    worlds (:mod:`.gather`): the particles the jobs give one by one (:func:`_seeded_job`)."""
    import cloudpickle

    from .gather import run_jobs

    simulate_one = _LOADED.get(key)
    if simulate_one is None:
        _LOADED.clear()
        simulate_one = _LOADED[key] = cloudpickle.loads(simulate_one_pickle)
    return [(job, particle, bool(particle.accepted)) for job, particle in run_jobs(simulate_one, jobs)]


def chunk_size(needed: int, accepted: int, finished: int, in_flight: int, largest: int) -> int:
    """Jobs of the next chunk: the jobs still expected (``needed`` acceptances at the acceptance rate
    so far) shared among the chunks in flight, 1 … ``largest``; small near a generation's end, so few
    jobs run beyond its n-th acceptance."""
    rate = accepted / finished if finished >= 20 and accepted else 1.0
    expected = math.ceil(max(needed, 1) / max(rate, 0.01))
    return max(1, min(largest, math.ceil(expected / max(in_flight, 1))))


def make_sampler(
    executor: cf.Executor,
    in_flight: int,
    root_seed: int,
    budget: int,
    progress: Callable[[str], None] | None = None,
    models: Sequence[str] = (),
    chunk: int = 1,
) -> Any:
    """A pyabc sampler that submits jobs to ``executor`` (at most ``in_flight`` at a time), seeds
    job j of generation t with SeedSequence([root_seed, t + 1, j]), keeps the first n accepted
    particles in job order, and never lets the jobs kept exceed ``budget``. With ``chunk`` > 1 the
    jobs go to the executor in chunks of consecutive jobs (up to ``chunk``, :func:`chunk_size`) whose
    models run as one batch of worlds (:func:`_seeded_jobs`): the same particles, fewer model calls.

    A generation is not started when the budget left is smaller than the simulations the previous
    complete one needed: the threshold only falls, so the acceptance rate falls with it (every
    Mandiri Jaya fit so far) and such a generation would be abandoned after spending what is left.

    ``models``: the names of the models of a model comparison (two or more); each generation's
    record then holds the posterior model probabilities of its accepted particles (``p_models``:
    the normalised importance weights summed per model, as pyabc's populations compute them) and
    the progress line gives them."""
    pyabc = require_pyabc()

    class SeededFutureSampler(pyabc.sampler.Sampler):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.budget_left = budget
            self.used = 0
            self.discarded = 0
            self.last_needed = 0  # simulations of the last complete generation of this run
            self.generations: list[dict[str, Any]] = []

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
            import cloudpickle

            started = time.perf_counter()
            payload = cloudpickle.dumps(simulate_one)
            key = hashlib.sha1(payload).hexdigest()
            limit = self.budget_left if math.isfinite(self.budget_left) else sys.maxsize
            if t >= 0 and limit < self.last_needed:
                limit = 0  # not started (class docstring): nothing would be kept
            if math.isfinite(max_eval):
                limit = min(limit, int(max_eval))
            results: dict[int, tuple[Any, bool]] = {}
            running: dict[cf.Future, list[int]] = {}
            next_job = 0
            nth: int | None = None

            def nth_accepted() -> int | None:
                # the n-th accepted job in job order, provided every earlier job has finished
                count = 0
                for j in range(next_job):
                    if j not in results:
                        return None
                    if results[j][1]:
                        count += 1
                        if count == n:
                            return j
                return None

            while True:
                accepted = sum(1 for _, ok in results.values() if ok)
                while len(running) < in_flight and accepted < n and next_job < limit:
                    size = 1
                    if chunk > 1:
                        size = chunk_size(n - accepted, accepted, len(results), in_flight, chunk)
                    jobs = list(range(next_job, min(next_job + size, limit)))
                    if len(jobs) == 1:
                        fut = executor.submit(_seeded_job, payload, key, next_job, _job_seed(root_seed, t, next_job))
                    else:
                        seeded = [(j, _job_seed(root_seed, t, j)) for j in jobs]
                        fut = executor.submit(_seeded_jobs, payload, key, seeded)
                    running[fut] = jobs
                    next_job += len(jobs)
                nth = nth_accepted()
                if nth is not None or not running:
                    break
                done, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    got = fut.result()
                    del running[fut]
                    for job, particle, ok in got if isinstance(got, list) else [got]:
                        results[job] = (particle, ok)
            for fut, jobs in list(running.items()):  # jobs beyond the n-th acceptance: cancel, or let them finish
                if not fut.cancel():
                    fut.result()
                    self.discarded += len(jobs)
            last = nth if nth is not None else next_job - 1
            sample = self._create_empty_sample()
            for j in range(last + 1):  # every job up to the n-th acceptance has finished
                sample.append(results[j][0])
            self.discarded += sum(1 for j in results if j > last)
            kept = last + 1
            self.nr_evaluations_ = kept
            self.used += kept
            self.budget_left -= kept
            if nth is None:
                sample.ok = False
            else:
                self.last_needed = kept
            seconds = time.perf_counter() - started
            largest, ess = _accepted_summary(sample.accepted_particles)
            record = {
                "t": t,
                "simulations": kept,
                "accepted": sample.n_accepted,
                "complete": nth is not None,
                "started": next_job > 0,
                "seconds": seconds,
                "largest_distance": largest,
                "ess": ess,
            }
            if len(models) > 1:
                record["p_models"] = _model_probabilities(sample.accepted_particles, len(models))
            self.generations.append(record)
            if progress is not None:
                what = "prior calibration sample" if t < 0 else f"generation {t}"
                if next_job == 0 and nth is None:
                    progress(
                        f"{what}: not started: {self.budget_left} simulations left of the budget, fewer than "
                        f"the {self.last_needed} the last generation needed"
                    )
                    return sample
                state = "" if nth is not None else " - budget exhausted, generation abandoned"
                fit = "" if t < 0 else f"largest accepted distance {largest:.3g}, ESS {ess:.0f}, "
                progress(
                    f"{what}: {sample.n_accepted} accepted of {kept} simulations "
                    f"({fit}acceptance rate {sample.n_accepted / max(kept, 1):.2f}, {seconds:.1f} s; "
                    f"{self.used} used){state}"
                )
                if "p_models" in record and t >= 0 and nth is not None:
                    progress(f"generation {t}: {model_probability_text(models, record['p_models'], n)}")
            return sample

    return SeededFutureSampler()


def budget_note(generations: Sequence[dict[str, Any]], last_complete: int, result: str) -> str | None:
    """The note for a fit the budget ended (None if it did not): whether the budget ran out during the
    first incomplete generation or before it was started, and which generation is the ``result``."""
    cut = next((g for g in generations if not g["complete"]), None)
    if cut is None:
        return None
    when = "during" if cut["started"] else "before"
    return f"the budget ran out {when} generation {cut['t']}; the {result} is generation {last_complete}"


def _model_probabilities(particles: list[Any], n_models: int) -> list[float]:
    """p(m) = Σ_{particles of model m} w / Σ_all w over the accepted particles (pyabc's population
    model probabilities; Toni et al. 2009)."""
    w = np.zeros(n_models)
    for p in particles:
        w[int(p.m)] += float(p.weight)
    total = w.sum()
    return [float(x) for x in (w / total if total > 0 else np.full(n_models, np.nan))]


def model_probability_text(models: Sequence[str], probabilities: Sequence[float], population: int) -> str:
    """One line: each model's probability and, for two models, the Bayes factor of the first over
    the second (:func:`kopsim.experiments.calibration.posterior.bayes_factor`)."""
    from .posterior import bayes_factor_text

    parts = [f"p({name}) = {p:.3f}" for name, p in zip(models, probabilities, strict=True)]
    if len(models) == 2:
        parts.append(f"BF = {bayes_factor_text(probabilities[0], probabilities[1], population)}")
    return ", ".join(parts)


def _accepted_summary(particles: list[Any]) -> tuple[float, float]:
    """Largest distance among the accepted particles (the generation's ε is at least this) and their
    effective sample size ESS = 1/Σw² of the normalised importance weights (NaN if none)."""
    if not particles:
        return float("nan"), float("nan")
    distance = max(float(p.distance) for p in particles)
    w = np.array([float(p.weight) for p in particles])
    total = w.sum()
    ess = float(1.0 / np.sum((w / total) ** 2)) if total > 0 else float("nan")
    return distance, ess


__all__ = ["budget_note", "make_sampler", "model_probability_text"]
