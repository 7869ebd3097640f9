"""Compiled kernels (numba) for the loops over the worlds of a batch, each with a pure-numpy twin.

A batch draws every world's values from that world's own generator (:mod:`kopsim.streams`), so
work whose draws interleave several Generator methods (``integers`` then ``random`` …) is a Python
loop over worlds. A kernel here does that loop compiled: it reads each world's raw 64-bit outputs
(``bit_generator.random_raw``) and turns them into exactly the values numpy's Generator would
give, following numpy's own algorithms (``numpy/random/src/distributions/distributions.c``):

* ``random()``: ``(x >> 11) · 2⁻⁵³`` of the next 64-bit output x (``next_double``);
* ``integers(low, high)`` (int64, high − low − 1 = r < 2³²): Lemire's bounded draw on 32-bit
  outputs, ``m = u₃₂ · (r + 1)``, redrawn while ``m mod 2³² < (2³² − r − 1) mod (r + 1)``, value
  ``low + m >> 32``; a 32-bit output is the low half of a 64-bit one, whose high half is kept in the
  generator (PCG64's ``has_uint32`` / ``uinteger``) for the next 32-bit draw; r = 0 draws nothing.

Each world's generator is then moved to where its own calls would have left it (``advance`` by
the outputs used, the kept half restored), so a world draws the same values, and its generator
ends in the same state, as with the numpy twin — tested value for value on model runs
(``tests/test_kernels.py``) with the kernels on and off.

numba is optional (``pip install kopsim[fast]``) and imported only when a kernel first runs.
Without it, or with the environment variable ``KOPSIM_NUMBA=0``, :data:`ENABLED` is False and the
callers use their numpy twins; results are identical either way, only the time differs
(``python -m benchmarks.engine``). The kernels are plain Python functions until compiled, so
the emulation can be tested without numba.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence

import numpy as np


def _numba_installed() -> bool:
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # e.g. a test that hides numba
        return False


AVAILABLE = _numba_installed()  # numba is imported, and the kernels compiled, at their first use
ENABLED = AVAILABLE and os.environ.get("KOPSIM_NUMBA", "1") != "0"
_compiled = False

TWO_POW_53 = 1.0 / 9007199254740992.0  # numpy's next_double scale, 2⁻⁵³
MASK32 = 0xFFFFFFFF
# raw outputs fetched beyond a world's expected need, for Lemire redraws (each has probability
# < r / 2³²); a world that would run out is redone on its generator (see propose_worlds)
SLACK_WORDS = 64
_KERNELS = ("_next_uint32", "_next_double", "_bounded", "_propose")  # callees first


def _compile() -> None:
    """Compile the kernels with numba (``njit``, cached on disk) the first time one runs, so that a
    process that never runs a batch never imports numba (about 0.3 s and its memory)."""
    global _compiled
    if _compiled or not AVAILABLE:
        return
    import numba

    module = globals()
    for name in _KERNELS:  # a kernel calls the compiled versions of those before it
        module[name] = numba.njit(cache=True, nogil=True)(module[name])
    _compiled = True


def _next_uint32(raw: np.ndarray, cur: np.ndarray) -> np.uint64:
    """numpy's next_uint32 on PCG64. ``cur`` = [position, has_uint32, uinteger, overflow]."""
    if cur[1] != 0:
        cur[1] = np.uint64(0)
        return cur[2]
    if cur[0] >= raw.size:
        cur[3] = np.uint64(1)
        return np.uint64(0)
    x = raw[cur[0]]
    cur[0] += np.uint64(1)
    cur[1] = np.uint64(1)
    cur[2] = x >> np.uint64(32)
    return x & np.uint64(MASK32)


def _next_double(raw: np.ndarray, cur: np.ndarray) -> float:
    """numpy's next_double: the top 53 bits of the next 64-bit output, scaled to [0, 1)."""
    if cur[0] >= raw.size:
        cur[3] = np.uint64(1)
        return 0.0
    x = raw[cur[0]]
    cur[0] += np.uint64(1)
    return float(x >> np.uint64(11)) * TWO_POW_53


def _bounded(raw: np.ndarray, cur: np.ndarray, r: np.uint64) -> np.int64:
    """numpy's ``integers(0, r + 1)`` for int64 with r < 2³² (Lemire, on 32-bit outputs)."""
    if r == 0:
        return np.int64(0)
    if r == np.uint64(MASK32):
        return np.int64(_next_uint32(raw, cur))
    excl = r + np.uint64(1)
    m = _next_uint32(raw, cur) * excl
    left = m & np.uint64(MASK32)
    if left < excl:
        threshold = (np.uint64(MASK32) - r) % excl
        while left < threshold and cur[3] == 0:
            m = _next_uint32(raw, cur) * excl
            left = m & np.uint64(MASK32)
    return np.int64(m >> np.uint64(32))


def _propose(
    raw: np.ndarray,
    raw_start: np.ndarray,
    cursors: np.ndarray,
    n_tri: np.ndarray,
    n_prox: np.ndarray,
    brokers: np.ndarray,
    broker_start: np.ndarray,
    indptr: np.ndarray,
    indptr_start: np.ndarray,
    nbrs: np.ndarray,
    nbr_start: np.ndarray,
    first_household: np.ndarray,
    households_per_world: int,
    village: np.ndarray,
    village_start: np.ndarray,
    village_size: np.ndarray,
    bridging: np.ndarray,
    villages_per_world: int,
    out_a: np.ndarray,
    out_b: np.ndarray,
    tri_at: np.ndarray,
    prox_at: np.ndarray,
) -> None:
    """Every world's triadic then proximity proposals, as :func:`kopsim.network.propose_triadic`
    and :func:`~kopsim.network.propose_proximity` draw them on the world's generator (see there
    for the model); world w's pairs go to ``out_a/out_b[tri_at[w]:]`` and ``[prox_at[w]:]``."""
    for w in range(n_tri.size):  # w: the w-th proposing world
        own = raw[raw_start[w] : raw_start[w + 1]]
        cur = cursors[w]
        nb = broker_start[w + 1] - broker_start[w]
        c = n_tri[w]
        if nb > 0 and c > 0:
            bro = brokers[broker_start[w] : broker_start[w + 1]]
            ptr = indptr[indptr_start[w] : indptr_start[w + 1]]
            nb_of = nbrs[nbr_start[w] : nbr_start[w + 1]]
            rows = np.empty(c, np.int64)
            for q in range(c):
                rows[q] = bro[_bounded(own, cur, np.uint64(nb - 1))]
            at = tri_at[w]
            for q in range(c):  # j: one random() per proposal, then k: another pass
                i = rows[q]
                out_a[at + q] = nb_of[ptr[i] + np.int64(_next_double(own, cur) * float(ptr[i + 1] - ptr[i]))]
            for q in range(c):
                i = rows[q]
                out_b[at + q] = nb_of[ptr[i] + np.int64(_next_double(own, cur) * float(ptr[i + 1] - ptr[i]))]
        c = n_prox[w]
        hw = households_per_world
        if c > 0 and hw > 0:
            at = prox_at[w]
            v = np.empty(c, np.int64)
            other = np.empty(c, np.bool_)
            for q in range(c):
                i = first_household[w] + _bounded(own, cur, np.uint64(hw - 1))
                out_a[at + q] = i
                v[q] = village[i]
            for q in range(c):
                other[q] = _next_double(own, cur) < bridging[w]
            n_v = villages_per_world
            if n_v > 1:
                for q in range(c):
                    shift = 1 + _bounded(own, cur, np.uint64(n_v - 2))
                    if other[q]:
                        first = v[q] - v[q] % n_v
                        v[q] = first + (v[q] - first + shift) % n_v
            for q in range(c):
                out_b[at + q] = village_start[v[q]] + np.int64(_next_double(own, cur) * float(village_size[v[q]]))


def _starts(pieces: Sequence[np.ndarray]) -> np.ndarray:
    out = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([p.size for p in pieces], out=out[1:])
    return out


def propose_worlds(
    generators: Sequence[np.random.Generator],
    worlds: np.ndarray,
    n_tri: np.ndarray,
    n_prox: np.ndarray,
    lists: Sequence[tuple[np.ndarray, np.ndarray]],
    brokers: Sequence[np.ndarray],
    households_per_world: int,
    village: np.ndarray,
    village_start: np.ndarray,
    village_size: np.ndarray,
    bridging: np.ndarray,
    villages_per_world: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Triadic-closure and proximity proposals of the ``worlds`` (indices, in order), compiled.

    ``lists`` holds every world's neighbour lists (:meth:`kopsim.network.TieSet.adjacency`);
    ``brokers`` those of the ``worlds`` only, in their order; ``n_tri``/``n_prox`` their counts.

    Returns the candidate pairs (triadic pairs of every world, then proximity pairs of every world,
    each world's in its draw order), exactly what the loop over worlds in
    :func:`kopsim.network.network_dynamics` builds with :func:`~kopsim.network.propose_triadic` and
    :func:`~kopsim.network.propose_proximity`, and leaves each generator where that loop would. Returns
    None, having drawn nothing, if a world would need more raw outputs than fetched (more than
    :data:`SLACK_WORDS` Lemire redraws: practically never); the caller then runs the loop.
    """
    _compile()
    W = worlds.size
    n_tri = np.asarray(n_tri, dtype=np.int64)
    n_prox = np.asarray(n_prox, dtype=np.int64)
    nb = np.array([b.size for b in brokers], dtype=np.int64)
    tri = np.where(nb > 0, n_tri, 0)
    prox = np.where(households_per_world > 0, n_prox, 0)
    # 64-bit outputs a world uses at most without redraws: 32-bit integers take half an output each
    need = np.maximum((tri + 1) // 2 + 2 * tri + 3 * ((prox + 1) // 2) + 2 * prox + 3 + SLACK_WORDS, 0)
    states, raws = [], []
    for w, k in zip(worlds, need, strict=True):
        bg = generators[w].bit_generator
        states.append(bg.state)
        raws.append(bg.random_raw(int(k)))
    raw = np.concatenate(raws)
    cursors = np.zeros((W, 4), dtype=np.uint64)  # position, has_uint32, uinteger, overflow
    cursors[:, 1] = [s["has_uint32"] for s in states]
    cursors[:, 2] = [s["uinteger"] for s in states]
    own_lists = [lists[w] for w in worlds]
    own_brokers = list(brokers)
    tri_at = np.concatenate(([0], np.cumsum(tri)[:-1]))
    prox_at = tri.sum() + np.concatenate(([0], np.cumsum(prox)[:-1]))
    total = int(tri.sum() + prox.sum())
    out_a, out_b = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    _propose(
        raw,
        _starts(raws),
        cursors,
        tri,
        prox,
        np.concatenate(own_brokers).astype(np.int64, copy=False),
        _starts(own_brokers),
        np.concatenate([p for p, _ in own_lists]).astype(np.int64, copy=False),
        _starts([p for p, _ in own_lists]),
        np.concatenate([n for _, n in own_lists]).astype(np.int64, copy=False),
        _starts([n for _, n in own_lists]),
        worlds.astype(np.int64) * households_per_world,
        households_per_world,
        village,
        village_start,
        village_size,
        np.asarray(bridging, dtype=np.float64)[worlds],
        villages_per_world,
        out_a,
        out_b,
        tri_at,
        prox_at,
    )
    overflow = bool(cursors[:, 3].any())
    for w, state, cur in zip(worlds, states, cursors, strict=True):
        bg = generators[w].bit_generator
        bg.state = state
        if overflow:
            continue  # nothing drawn: the caller runs the numpy twin
        if cur[0]:
            bg.advance(int(cur[0]))  # as if the outputs used had been drawn (this clears the kept half)
        moved = bg.state
        moved["has_uint32"], moved["uinteger"] = int(cur[1]), int(cur[2])  # the kept half, as numpy leaves it
        bg.state = moved
    return None if overflow else (out_a, out_b)


__all__ = ["AVAILABLE", "ENABLED", "SLACK_WORDS", "propose_worlds"]
