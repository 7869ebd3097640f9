"""Random streams: one seeded numpy Generator per world of a batch.

A batch (``CooperativeModel(seed=[s₀, s₁, …])``) lays independent worlds side by side in one
state. For world w to give bit-identical results whether it runs alone or in any batch, every
value it draws must come from its own generator, in the order it would draw alone. So a
mechanism never draws "n numbers" for the whole batch: it asks :class:`Streams` for one draw
per *element* (agent, tie, cooperative, village), tagged with the element's world. Each world's
generator then draws, in one call, as many values as that world has elements, and they are
given to its elements in their order of appearance. Elements of one world keep their relative
order in the batch layout (:func:`kopsim.population.stack`), so world w sees exactly the call
sequence and sizes it makes alone.

With one world every method is the plain Generator call (``random(tags)`` is
``generator.random(len(tags))``), so a single run draws exactly what it drew before streams
existed. With W worlds a draw costs W small numpy calls: a loop over worlds, never over agents.

Seeds of the worlds: :func:`replication_seeds` derives R seeds from one root seed as the
experiment runner derives its replications' seeds (``SeedSequence(root).spawn(R)[i]``), so
the worlds of ``CooperativeModel(seed=s, replicates=R)`` are runs 0 … R−1 of a sweep with root
seed s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class Blocks:
    """Tags of ``worlds`` equal, contiguous blocks of ``size`` elements (world w holds elements
    w·size … w·size + size − 1): households, cooperatives, villages. Draws for blocks skip the
    grouping that arbitrary tags need."""

    __slots__ = ("size", "worlds")

    def __init__(self, worlds: int, size: int) -> None:
        self.worlds, self.size = worlds, size

    def __len__(self) -> int:
        return self.worlds * self.size

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(np.repeat(np.arange(self.worlds), self.size), dtype=dtype or np.int64)


def replication_seeds(root: int | None, count: int) -> list[int]:
    """``count`` seeds from ``root``: ``SeedSequence(root).spawn(count)[i].generate_state(1)[0]``."""
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(root).spawn(count)]


class Streams:
    """One generator per world; draws for elements tagged with their world (module docstring).

    ``tags`` is an integer array, the world of each element the draw is for; draws for the
    elements of world w come from ``generators[w]`` in the elements' order. Array arguments
    aligned with the elements (``low``, ``high``, ``loc``, ``scale``, ``p``) are split the same way.
    """

    def __init__(self, generators: Sequence[np.random.Generator]) -> None:
        if not generators:
            raise ValueError("streams: at least one world")
        self.generators = tuple(generators)
        self.worlds = len(self.generators)

    def __len__(self) -> int:
        return self.worlds

    @property
    def single(self) -> np.random.Generator | None:
        """The generator when there is one world, else None."""
        return self.generators[0] if self.worlds == 1 else None

    def of(self, w: int) -> np.random.Generator:
        """World ``w``'s generator (for a loop over worlds or over cooperatives, in order)."""
        return self.generators[w]

    def tagged(self, tags: np.ndarray | Blocks) -> np.random.Generator | Tagged:
        """A generator-like object for a pure mechanism that draws ``rng.random(len(tags))`` (or
        ``normal``, ``uniform``, ``integers`` of that size): the world's own generator for a single
        world, else a :class:`Tagged` that draws each element from its world's stream."""
        g = self.single
        return g if g is not None else Tagged(self, tags)

    # ---- splitting ---------------------------------------------------------------------
    def _split(self, tags: np.ndarray | Blocks) -> tuple[np.ndarray | None, np.ndarray]:
        """(order, bounds): elements ``order[bounds[w]:bounds[w + 1]]`` belong to world w, in order.
        ``order`` is None when the tags are already sorted (the common case: agents, cooperatives
        and villages are numbered world by world)."""
        tags = np.asarray(tags)
        counts = np.bincount(tags, minlength=self.worlds) if tags.size else np.zeros(self.worlds, dtype=np.int64)
        bounds = np.zeros(self.worlds + 1, dtype=np.int64)
        np.cumsum(counts, out=bounds[1:])
        if tags.size < 2 or bool(np.all(tags[1:] >= tags[:-1])):
            return None, bounds
        return np.argsort(tags, kind="stable"), bounds

    def _blocks(self, tags: Blocks, rows: int | None, method: str, *aligned: Any) -> np.ndarray:
        k = tags.size
        if method == "random" and not aligned:  # the common case: each world fills its own block
            out = np.empty((self.worlds, rows or 1, k))
            for g, block in zip(self.generators, out, strict=True):
                g.random(out=block)
            return out[:, 0, :].reshape(-1) if rows is None else out.transpose(1, 0, 2).reshape(rows, -1)
        bounds = np.arange(self.worlds + 1) * k
        return self._pieces(bounds, rows, method, [a if np.ndim(a) == 0 else np.asarray(a) for a in aligned])

    def _draw(self, tags: np.ndarray | Blocks, rows: int | None, method: str, *aligned: Any) -> np.ndarray:
        if isinstance(tags, Blocks):
            return self._blocks(tags, rows, method, *aligned)
        order, bounds = self._split(tags)
        args = [a if np.ndim(a) == 0 else np.asarray(a) for a in aligned]
        if order is not None:
            args = [a if np.ndim(a) == 0 else a[order] for a in args]
        out = self._pieces(bounds, rows, method, args)
        if order is None:
            return out
        placed = np.empty_like(out)
        placed[..., order] = out
        return placed

    def _pieces(self, bounds: np.ndarray, rows: int | None, method: str, args: list) -> np.ndarray:
        """World w's draws for elements bounds[w] … bounds[w + 1] − 1, concatenated."""
        pieces = []
        for w, g in enumerate(self.generators):
            lo, hi = int(bounds[w]), int(bounds[w + 1])
            if hi == lo:
                continue  # a world with no elements draws nothing, as it would alone
            own = [a if np.ndim(a) == 0 else a[lo:hi] for a in args]
            size = hi - lo if rows is None else (rows, hi - lo)
            pieces.append(getattr(g, method)(*own, size=size))
        if not pieces:
            return np.zeros(0 if rows is None else (rows, 0))
        return np.concatenate(pieces, axis=-1)

    # ---- draws for tagged elements -------------------------------------------------------
    def random(self, tags: np.ndarray | Blocks, rows: int | None = None) -> np.ndarray:
        """U[0, 1) per element (shape (len(tags),), or (rows, len(tags)) drawn row by row)."""
        g = self.single
        if g is not None:
            n = len(tags)
            return g.random(n if rows is None else (rows, n))
        return self._draw(tags, rows, "random")

    def normal(self, loc: float | np.ndarray, scale: float | np.ndarray, tags: np.ndarray | Blocks) -> np.ndarray:
        """N(loc, scale) per element."""
        g = self.single
        if g is not None:
            return g.normal(loc, scale, len(tags))
        return self._draw(tags, None, "normal", loc, scale)

    def uniform(self, low: float | np.ndarray, high: float | np.ndarray, tags: np.ndarray | Blocks) -> np.ndarray:
        """U[low, high) per element."""
        g = self.single
        if g is not None:
            return g.uniform(low, high, len(tags))
        return self._draw(tags, None, "uniform", low, high)

    def integers(self, low: int | np.ndarray, high: int | np.ndarray, tags: np.ndarray | Blocks) -> np.ndarray:
        """Integers in [low, high) per element."""
        g = self.single
        if g is not None:
            return g.integers(low, high, len(tags))
        return self._draw(tags, None, "integers", low, high)

    # ---- one draw per world --------------------------------------------------------------
    def poisson(self, lam: np.ndarray, draw: np.ndarray | None = None) -> np.ndarray:
        """One Poisson(lam[w]) count per world; worlds with ``draw[w]`` False draw nothing (0)."""
        out = np.zeros(self.worlds, dtype=np.int64)
        for w, g in enumerate(self.generators):
            if draw is None or draw[w]:
                out[w] = g.poisson(lam[w])
        return out

    def binomial(self, n: np.ndarray, p: float | np.ndarray) -> np.ndarray:
        """One Binomial(n[w], p[w]) per world with n[w] > 0 (0 elsewhere, nothing drawn); ``p`` a
        number or one per world."""
        out = np.zeros(self.worlds, dtype=np.int64)
        p = np.broadcast_to(p, self.worlds)
        for w, g in enumerate(self.generators):
            if n[w] > 0:
                out[w] = g.binomial(n[w], p[w])
        return out


class Tagged:
    """Draws for fixed tagged elements through the Generator methods a mechanism calls
    (:meth:`Streams.tagged`); ``size`` must be the number of elements (or (rows, elements))."""

    def __init__(self, streams: Streams, tags: np.ndarray | Blocks) -> None:
        self.streams, self.tags = streams, tags

    def _rows(self, size: int | tuple[int, ...] | None) -> int | None:
        n = len(self.tags)
        if size == n or size == (n,):
            return None
        if isinstance(size, tuple) and len(size) == 2 and size[1] == n:
            return size[0]
        raise ValueError(f"tagged draw of size {size} for {n} tagged elements")

    def random(self, size: int | tuple[int, ...] | None = None) -> np.ndarray:
        return self.streams.random(self.tags, self._rows(size))

    def normal(
        self, loc: float | np.ndarray = 0.0, scale: float | np.ndarray = 1.0, size: int | None = None
    ) -> np.ndarray:
        self._rows(size)
        return self.streams.normal(loc, scale, self.tags)

    def uniform(
        self, low: float | np.ndarray = 0.0, high: float | np.ndarray = 1.0, size: int | None = None
    ) -> np.ndarray:
        self._rows(size)
        return self.streams.uniform(low, high, self.tags)

    def integers(self, low: int | np.ndarray, high: int | np.ndarray, size: int | None = None) -> np.ndarray:
        self._rows(size)
        return self.streams.integers(low, high, self.tags)


__all__ = ["Blocks", "Streams", "Tagged", "replication_seeds"]
