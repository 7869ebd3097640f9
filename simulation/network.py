"""The multiplex social network: ties, their layer and kind, contact, decay and formation.

Each tie is an undirected edge (a < b) with

* a **layer** — bonding (same village: kin, neighbours, same cooperative), bridging
  (across villages) or linking (to an agency or the moneylender) — Woolcock & Narayan
  2000, "Social capital: implications for development theory", WBRO 15:225;
* a **kind** — interest (formed for a purpose), sentiment (friendship, kinship: its own
  end) or power (top-down, permanent, with conditions), the three network kinds of the
  BMT Trans study;
* a **strength** w ∈ (0, 1] that grows with contact and decays without it (Burt 2000,
  "Decay functions", Social Networks 22:1), so social capital grows only in sustained
  relationships.

New ties form by proximity and homophily (McPherson, Smith-Lovin & Cook 2001, Annu. Rev.
Sociol. 27:415) and by triadic closure (Granovetter 1973; Rapoport 1953). Everything is
stored in parallel numpy arrays; the functions below act on all ties at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import kernels

if TYPE_CHECKING:
    from .state import State
    from .streams import Streams, Tagged
    from .world import World

BONDING, BRIDGING, LINKING = 0, 1, 2
LAYER_NAMES = ("bonding", "bridging", "linking")
INTEREST, SENTIMENT, POWER = 0, 1, 2
KIND_NAMES = ("interest", "sentiment", "power")
# Who started a tie (issue #16): a member, the board, an agency, a programme (training,
# kemitraan, licences) or nobody in the model (kin and neighbours: inherited, there at month 0).
ORIGIN_MEMBER, ORIGIN_BOARD, ORIGIN_AGENCY, ORIGIN_PROGRAMME, ORIGIN_INHERITANCE = 0, 1, 2, 3, 4
ORIGIN_NAMES = ("member", "board", "agency", "programme", "inheritance")


@dataclass
class Ties:
    """All ties as parallel arrays.

    ``last_ab``: what a did to b at their last contact (0/1, 0.5 unknown); ``reach``: ease of
    contact ρ; ``born`` and ``last_contact``: months the tie formed and was last used;
    ``origin``: who started it (ORIGIN_NAMES); ``top_down``: initiated from above (an agency or
    programme reaching down to the cooperative, not sought by its members).
    """

    a: np.ndarray
    b: np.ndarray
    layer: np.ndarray
    kind: np.ndarray
    strength: np.ndarray
    permanent: np.ndarray
    last_ab: np.ndarray
    last_ba: np.ndarray
    born: np.ndarray
    reach: np.ndarray
    last_contact: np.ndarray
    origin: np.ndarray
    top_down: np.ndarray

    @classmethod
    def empty(cls) -> Ties:
        return cls(*(np.zeros(0, dtype=t) for t in _DTYPES))

    def __len__(self) -> int:
        return self.a.size

    def keys(self, n: int) -> np.ndarray:
        """Unique integer key a·n + b of each tie."""
        return self.a * n + self.b

    def subset(self, mask: np.ndarray) -> Ties:
        return Ties(*(getattr(self, f)[mask] for f in _FIELDS))

    def extend(self, other: Ties) -> Ties:
        return Ties(*(np.concatenate((getattr(self, f), getattr(other, f))) for f in _FIELDS))

    def subset_extend(self, keep: np.ndarray | None, new: Ties | None) -> Ties:
        """The ties where ``keep`` (all if None), then ``new`` (none if None): one copy per field."""
        idx = np.flatnonzero(keep) if keep is not None else None
        size = (len(self) if idx is None else idx.size) + (len(new) if new is not None else 0)
        fields = []
        for f in _FIELDS:
            old = getattr(self, f)
            out = np.empty(size, dtype=old.dtype)
            k = old.size if idx is None else idx.size
            if idx is None:
                out[:k] = old
            else:
                np.take(old, idx, out=out[:k])
            if new is not None:
                out[k:] = getattr(new, f)
            fields.append(out)
        return Ties(*fields)


_FIELDS = (
    "a",
    "b",
    "layer",
    "kind",
    "strength",
    "permanent",
    "last_ab",
    "last_ba",
    "born",
    "reach",
    "last_contact",
    "origin",
    "top_down",
)
_DTYPES = (np.int64, np.int64, np.int8, np.int8, float, bool, float, float, np.int32, float, np.int32, np.int8, bool)


def make_ties(
    a: np.ndarray,
    b: np.ndarray,
    layer: np.ndarray | int,
    kind: np.ndarray | int,
    strength: np.ndarray | float,
    permanent: np.ndarray | bool = False,
    born: int = 0,
    origin: np.ndarray | int = ORIGIN_MEMBER,
    top_down: np.ndarray | bool = False,
) -> Ties:
    """Build ties from endpoint arrays, ordering each pair so that a < b (reach set to 1); ``origin``
    and ``top_down`` say who started them (default: members, bottom-up)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    m = lo.size
    return Ties(
        lo,
        hi,
        np.broadcast_to(np.asarray(layer, dtype=np.int8), m).copy(),
        np.broadcast_to(np.asarray(kind, dtype=np.int8), m).copy(),
        np.broadcast_to(np.asarray(strength, dtype=float), m).copy(),
        np.broadcast_to(np.asarray(permanent, dtype=bool), m).copy(),
        np.full(m, 0.5),
        np.full(m, 0.5),
        np.full(m, born, dtype=np.int32),
        np.ones(m),
        np.full(m, born, dtype=np.int32),
        np.broadcast_to(np.asarray(origin, dtype=np.int8), m).copy(),
        np.broadcast_to(np.asarray(top_down, dtype=bool), m).copy(),
    )


def deduplicate(ties: Ties, n: int, existing: np.ndarray | None = None) -> Ties:
    """Drop self-loops, repeated pairs and pairs whose key is in the sorted ``existing`` keys."""
    keys = ties.keys(n)
    keep = ties.a != ties.b
    _, first = np.unique(keys, return_index=True)
    uniq = np.zeros(keys.size, dtype=bool)
    uniq[first] = True
    keep &= uniq
    if existing is not None and existing.size:
        pos = np.searchsorted(existing, keys)
        pos[pos >= existing.size] = existing.size - 1
        keep &= existing[pos] != keys
    return ties.subset(keep)


def classify_layer(
    village_a: np.ndarray, village_b: np.ndarray, institutional_a: np.ndarray, institutional_b: np.ndarray
) -> np.ndarray:
    """Layer of each tie: linking if either end is an agency or moneylender, else bonding
    within a village and bridging across villages (Woolcock & Narayan 2000)."""
    layer = np.where(village_a == village_b, BONDING, BRIDGING).astype(np.int8)
    layer[institutional_a | institutional_b] = LINKING
    return layer


def _at(value: float | np.ndarray, index: np.ndarray) -> float | np.ndarray:
    """A number, or per-element values (parameters that differ between worlds) at ``index``."""
    return np.asarray(value)[index] if np.ndim(value) else value


def reach(distance: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
    """Ease of contact over a distance: ρ = exp(−dist / L) (spatial proximity, Franke 2005)."""
    return np.exp(-distance / scale)


def contacts(
    rng: np.random.Generator | Tagged, strength: np.ndarray, reach_: np.ndarray, rate: float | np.ndarray
) -> np.ndarray:
    """Ties used this month: Bernoulli(c · w · ρ) — strong, near ties are used more often.

    Frequency of contact is the first relational property of Franke (2005, *Social
    capital: measurement and policy*, Policy Research Initiative, Canada).
    """
    return rng.random(strength.size) < rate * strength * reach_


def reinforce_and_decay(
    strength: np.ndarray, active: np.ndarray, permanent: np.ndarray, reinforcement: float, decay: float
) -> np.ndarray:
    """Tie strength after one month (Burt 2000).

    w' = w + r·(1 − w) with contact; w' = (1 − δ)·w without; permanent (power) ties keep w.
    """
    new = np.where(active, strength + reinforcement * (1.0 - strength), (1.0 - decay) * strength)
    return np.where(permanent, strength, new)


def adjacency_index(n: int, a: np.ndarray, b: np.ndarray, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """CSR neighbour lists (indptr, neighbours) of agents ``first`` … n − 1 (rows 0 … n − first − 1)
    over the undirected tie list; ends outside that range have no row.

    An agent's neighbours are listed in the order its ties appear (as ``a``, then as ``b``),
    whatever the size, so a world's lists are the same alone and in a batch (scipy's CSR
    conversion would sort them, and only above some size).
    """
    src, dst = np.concatenate((a, b)), np.concatenate((b, a))
    rows = (src >= first) & (src < n)
    return neighbour_lists(n - first, src[rows] - first, dst[rows])


def neighbour_lists(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR lists of directed entries src → dst over rows 0..n−1, each row's in the entries' order."""
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order]


def propose_triadic(
    rng: np.random.Generator,
    count: int,
    indptr: np.ndarray,
    neighbours: np.ndarray,
    allowed: np.ndarray | None = None,
    brokers: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Triadic closure candidates: pick a random broker, then two of its neighbours (j, k).

    Brokers are drawn among ``allowed`` agents (all rows if None) with at least two ties, or
    given (``brokers``, as :meth:`TieSet.adjacency` keeps them); j ≠ k is filtered later with the
    other checks.
    """
    deg = np.diff(indptr)
    if brokers is None:
        brokers = np.flatnonzero((deg >= 2) if allowed is None else allowed & (deg >= 2))
    if brokers.size == 0 or count <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    i = brokers[rng.integers(0, brokers.size, count)]
    d = deg[i]
    j = neighbours[indptr[i] + (rng.random(count) * d).astype(np.int64)]
    k = neighbours[indptr[i] + (rng.random(count) * d).astype(np.int64)]
    return j, k


def propose_proximity(
    rng: np.random.Generator,
    count: int,
    households: np.ndarray,
    village: np.ndarray,
    village_start: np.ndarray,
    village_size: np.ndarray,
    bridging_share: float,
    villages_per_world: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Proximity candidates: a random household and a random household of its own village,
    or with probability ``bridging_share`` of a random other village of its world.

    Villages are numbered world by world in blocks of ``villages_per_world`` (default: all
    villages form one world); a batch of independent replicates (the ``worlds`` of
    :func:`kopsim.population.build`) never proposes a tie across worlds.
    """
    if count <= 0 or households.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    i = households[rng.integers(0, households.size, count)]
    v = village[i]
    n_v = village_start.size if villages_per_world is None else villages_per_world
    other = rng.random(count) < bridging_share
    if n_v > 1:
        shift = rng.integers(1, n_v, count)
        first = v - v % n_v
        v = np.where(other, first + (v - first + shift) % n_v, v)
    j = village_start[v] + (rng.random(count) * village_size[v]).astype(np.int64)
    return i, j


def acceptance(dissimilarity: np.ndarray, distance: np.ndarray, homophily: float, scale: float) -> np.ndarray:
    """P(tie forms | proposed) = exp(−h·d_ij) · exp(−dist_ij / L).

    d_ij ∈ [0, 1]: dissimilarity in age, wealth and livelihood (homophily, McPherson et
    al. 2001); dist_ij: km between homes (spatial proximity, Franke 2005).
    """
    return np.exp(-homophily * dissimilarity - distance / scale)


def dissimilarity(
    age: np.ndarray,
    wealth: np.ndarray,
    role: np.ndarray,
    product: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    age_span: float | np.ndarray,
) -> np.ndarray:
    """d_ij ∈ [0, 1]: mean of age gap / age range, log-wealth gap / 4 (capped) and different trade.

    Different trade: another livelihood, or another product between two UMKM owners
    (homophily on age, wealth and occupation; McPherson et al. 2001).
    """
    span = np.maximum(age_span, 1e-9)
    d_age = np.abs(age[a] - age[b]) / span
    d_wealth = np.minimum(1.0, np.abs(np.log1p(wealth[a]) - np.log1p(wealth[b])) / 4.0)
    d_role = ((role[a] != role[b]) | (product[a] != product[b])).astype(float)
    return (d_age + d_wealth + d_role) / 3.0


# Neighbour lists for triadic closure are rebuilt when the tie count moves by more than this.
ADJACENCY_TOLERANCE = 0.01
# … built for at most this many ties at once (bounds the sort's temporaries in large batches)
ADJACENCY_CHUNK = 1 << 16


class TieSet:
    """The ties of one model with their index: sorted tie keys (for membership tests) and
    cached neighbour lists (for triadic closure). ``ties`` are the arrays (:class:`Ties`)."""

    def __init__(
        self, ties: Ties, n: int, world_id: np.ndarray | None = None, rows_per_world: int | None = None
    ) -> None:
        self.ties = ties
        self.n = n
        self.keys = np.sort(ties.keys(n))  # sorted, for membership tests
        # the world of each agent, for a batch of worlds (kopsim.population.stack); None: one world
        self.world_id = world_id
        self.worlds = 1 if world_id is None or world_id.size == 0 else int(world_id.max()) + 1
        # triadic closure needs the neighbour lists of each world's first rows (its households)
        self.rows_per_world = n if rows_per_world is None else rows_per_world
        empty = (np.zeros(self.rows_per_world + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self._adj: list[tuple[np.ndarray, np.ndarray]] = [empty] * self.worlds
        self._brokers: list[np.ndarray] = [empty[1]] * self.worlds  # rows with at least two ties
        # per world: built yet, tie count and month of the last build
        self._adj_built = np.zeros(self.worlds, dtype=np.int8)
        self._adj_size = np.zeros(self.worlds, dtype=np.int64)
        self._adj_month = np.zeros(self.worlds, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ties)

    def add_ties(
        self,
        s: State,
        a: np.ndarray,
        b: np.ndarray,
        kind: int,
        strength: float | np.ndarray,
        t: int,
        proximity_scale_km: float | np.ndarray,
        fixed_reach: float | None = None,
        permanent: bool = False,
        origin: int = ORIGIN_PROGRAMME,
        top_down: bool = True,
    ) -> bool:
        """Add ties a–b (skipping existing ones); True if any was added. The layer follows from the
        ends; reach is ``fixed_reach`` if given, else 1 for linking ties and distance-based for the others.
        ``origin``/``top_down``: who started them (default: a programme, from above)."""
        new = deduplicate(
            make_ties(a, b, BONDING, kind, strength, permanent, born=t, origin=origin, top_down=top_down),
            self.n,
            self.keys,
        )
        if not len(new):
            return False
        inst = s.institutional
        new.layer = classify_layer(s.village[new.a], s.village[new.b], inst[new.a], inst[new.b])
        if fixed_reach is not None:
            new.reach[:] = fixed_reach
        else:
            dist = np.hypot(s.x[new.a] - s.x[new.b], s.y[new.a] - s.y[new.b])
            if np.ndim(proximity_scale_km):  # one per world (World.per): each new tie's world's
                assert self.world_id is not None  # per-world values exist only in a batch
                proximity_scale_km = np.asarray(proximity_scale_km)[self.world_id[new.a]]
            new.reach = np.where(new.layer == LINKING, 1.0, reach(dist, proximity_scale_km))
        self._insert_keys(new)
        self.ties = self.ties.extend(new)
        return True

    def drop_keys(self, keep: np.ndarray) -> None:
        """Remove the keys of the ties not in ``keep`` from the index (before :meth:`replace`)."""
        gone = self.ties.keys(self.n)[~keep]
        self.keys = np.delete(self.keys, np.searchsorted(self.keys, gone))

    def replace(self, keep: np.ndarray | None, new: Ties | None) -> None:
        """Keep the ties where ``keep`` (all if None) and append ``new`` (already deduplicated);
        the keys of dropped ties must already be gone (:meth:`drop_keys`)."""
        if keep is not None or new is not None:
            self.ties = self.ties.subset_extend(keep, new)
        if new is not None:
            self._insert_keys(new)

    def _insert_keys(self, new: Ties) -> None:
        keys = np.sort(new.keys(self.n))
        self.keys = np.insert(self.keys, np.searchsorted(self.keys, keys), keys)

    def brokers(self, w: int) -> np.ndarray:
        """Rows of world ``w``'s neighbour lists (:meth:`adjacency`) with at least two ties."""
        return self._brokers[w]

    def adjacency(
        self, t: int, keep: np.ndarray | None = None, proposing: np.ndarray | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Neighbour lists for triadic-closure proposals (over the ties ``keep``, default all), one
        (indptr, neighbours) pair per world over its ``rows_per_world`` first agents (its households:
        world w's row r is agent w·rows + r; the neighbours are agent indices).

        Each world's lists are rebuilt when its tie count has moved by more than
        ADJACENCY_TOLERANCE since its last build, or yearly: a proposal from a slightly stale wedge
        is still checked against the current ties, and rebuilding every month would dominate large
        runs. Only the worlds ``proposing`` this month (boolean per world; default all) are checked:
        a world alone asks for its lists only in a month it proposes ties, so its lists are the same
        alone and in a batch.
        """
        a, b = (self.ties.a, self.ties.b) if keep is None else (self.ties.a[keep], self.ties.b[keep])
        W = self.worlds
        tie_world = None if W == 1 or self.world_id is None else self.world_id[a]
        counts = np.array([a.size]) if tie_world is None else np.bincount(tie_world, minlength=W)
        size, month = self._adj_size, self._adj_month
        stale = (np.abs(counts - size) > ADJACENCY_TOLERANCE * np.maximum(size, 1)) | (t - month >= 12)
        stale |= self._adj_built == 0
        if proposing is not None:
            stale &= proposing
        if stale.any():
            # the stale worlds' lists in chunks of worlds of at most ADJACENCY_CHUNK ties, so that the
            # temporaries of the sort stay small however large the batch
            worlds = np.flatnonzero(stale)
            chunk = np.cumsum(counts[worlds]) // ADJACENCY_CHUNK
            for part in np.split(worlds, np.flatnonzero(np.diff(chunk)) + 1):
                self._build_lists(a, b, tie_world, part)
            size[stale], month[stale] = counts[stale], t
            self._adj_built[stale] = 1
        return self._adj

    def _build_lists(self, a: np.ndarray, b: np.ndarray, tie_world: np.ndarray | None, worlds: np.ndarray) -> None:
        """Neighbour lists of ``worlds`` (increasing) from the ties a–b: one sort for all of them.

        A row's entries are its ties as a, then as b, each in tie order, as each world's own lists
        have them (ties never join two worlds); world w's row r is household w·rows + r.
        """
        rows = self.rows_per_world
        if tie_world is None:
            own_a, own_b = a, b
        else:  # these worlds' ties, in tie order (so each world's in its own tie order)
            mine = np.zeros(self.worlds, dtype=bool)
            mine[worlds] = True
            pick = np.flatnonzero(mine[tie_world])
            own_a, own_b = a[pick], b[pick]
        first, last = int(worlds[0]) * rows, (int(worlds[-1]) + 1) * rows  # the households they span
        indptr, nbrs = adjacency_index(last, own_a, own_b, first)  # ties to agencies etc. have no row
        degree = np.diff(indptr)
        for w in worlds:
            lo, hi = int(w) * rows - first, (int(w) + 1) * rows - first
            self._adj[w] = (indptr[lo : hi + 1] - indptr[lo], nbrs[indptr[lo] : indptr[hi]])
            self._brokers[w] = np.flatnonzero(degree[lo:hi] >= 2)


def propose(
    draw: Streams,
    worlds: np.ndarray,
    n_tri: np.ndarray,
    n_prox: np.ndarray,
    lists: list[tuple[np.ndarray, np.ndarray]],
    net_: TieSet,
    s: State,
    bridging: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The month's candidate ties of the proposing ``worlds``: each world's ``n_tri[w]`` triadic
    (:func:`propose_triadic`) then ``n_prox[w]`` proximity proposals (:func:`propose_proximity`),
    drawn from its own generator; all worlds' triadic pairs, then all worlds' proximity pairs.

    In a batch with numba, one compiled loop over the worlds (:func:`kopsim.kernels.propose_worlds`,
    value for value the same); else a Python loop over worlds.
    """
    Hw = s.n_households // s.worlds
    if kernels.ENABLED and s.worlds > 1:
        out = kernels.propose_worlds(
            draw.generators,
            worlds,
            n_tri[worlds],
            n_prox[worlds],
            lists,
            [net_.brokers(int(w)) for w in worlds],
            Hw,
            s.village,
            s.village_start,
            s.village_size,
            bridging,
            s.villages_per_world,
        )
        if out is not None:
            return out
    triadic, proximity = [], []
    for w in worlds:  # each world proposes from its own stream: a loop over worlds
        g = draw.of(int(w))
        indptr, nbrs = lists[w]
        triadic.append(propose_triadic(g, int(n_tri[w]), indptr, nbrs, brokers=net_.brokers(int(w))))
        proximity.append(
            propose_proximity(
                g,
                int(n_prox[w]),
                np.arange(w * Hw, (w + 1) * Hw),
                s.village,
                s.village_start,
                s.village_size,
                float(bridging[w]),
                s.villages_per_world,
            )
        )
    ci = np.concatenate([j for j, _ in triadic] + [j for j, _ in proximity])
    cj = np.concatenate([k for _, k in triadic] + [k for _, k in proximity])
    return ci, cj


def network_dynamics(world: World, used: np.ndarray) -> None:
    """Strengthening and decay of ties (Burt 2000), dissolution of weak ties, and formation of new
    ties by triadic closure and proximity with homophilous acceptance (McPherson et al. 2001)."""
    s, draw, t = world.state, world.draw, world.t
    net_ = world.network
    ties = net_.ties
    npt = world.per("network", s.world_id[ties.a])  # per tie, where the worlds differ
    np_ = world.per("network")  # (W,) per world, where they differ
    # ties added since the contacts (e.g. at training) are appended, so ``used`` still holds
    active = np.zeros(len(ties), dtype=bool)
    active[used] = True
    ties.strength = reinforce_and_decay(ties.strength, active, ties.permanent, npt.reinforcement_rate, npt.decay_rate)
    ties.last_contact[used] = t
    kept = ties.permanent | (ties.strength >= npt.min_strength)
    keep: np.ndarray | None = None
    if not kept.all():  # dissolved now; the tie arrays are rebuilt once, below, with the month's new ties
        keep = kept
        net_.drop_keys(kept)
        world.board_changed()
    new = None
    H = s.n_households
    W = s.worlds
    Hw = H // W  # households per world
    count = draw.poisson(np.broadcast_to(np_.formation_attempts * Hw, W), np.full(W, Hw > 0))  # attempts per world
    if count.any():
        n_tri = draw.binomial(count, np_.triadic_share)
        lists = net_.adjacency(t, keep, count > 0)
        bridging = np.broadcast_to(np_.bridging_share, W)
        ci, cj = propose(draw, np.flatnonzero(count), n_tri, count - n_tri, lists, net_, s, bridging)
        ok = (ci < H) & (cj < H)
        strength = world.per("network", s.world_id[ci[ok]]).new_tie_strength
        cand = deduplicate(make_ties(ci[ok], cj[ok], BONDING, SENTIMENT, strength, born=t), s.n, net_.keys)
        if len(cand):
            a, b = cand.a, cand.b
            pp, npc = world.per("population", s.world_id[a]), world.per("network", s.world_id[a])
            dis = dissimilarity(s.age, s.wealth, s.role, s.product, a, b, pp.age_max - pp.age_min)
            dist = np.hypot(s.x[a] - s.x[b], s.y[a] - s.y[b])
            acc = draw.random(s.world_id[a]) < acceptance(dis, dist, npc.homophily, npc.proximity_scale_km)
            if acc.any():
                new = cand.subset(acc)
                new.layer = classify_layer(
                    s.village[new.a], s.village[new.b], np.zeros(len(new), bool), np.zeros(len(new), bool)
                )
                new.kind = np.where(new.layer == BONDING, SENTIMENT, INTEREST).astype(np.int8)
                new.reach = reach(dist[acc], _at(npc.proximity_scale_km, acc))
    net_.replace(keep, new)
    if new is not None:
        world.board_changed()
