"""A batch of worlds: per-world random streams, so a world is bit-identical alone and in any batch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from helpers import small_params

from kopsim.errors import ParameterError
from kopsim.model import CooperativeModel, world_seeds
from kopsim.parameters import GROUPS, SHARED_GROUPS, Parameters
from kopsim.scenario import load
from kopsim.state import State
from kopsim.streams import Blocks, Streams, replication_seeds
from kopsim.world import DiffersBetweenWorlds

# index-valued arrays: compared after mapping to the world's own numbering by world_state
_INDEX_FIELDS = {"village", "coop", "village_start", "moneylender_of", "village_government", "ml_lender", "unit_used"}


def world_state(model: CooperativeModel, w: int) -> dict[str, np.ndarray]:
    """World ``w``'s state arrays and ties, in the world's own agent numbering."""
    s = model.state
    W = s.worlds
    idx = np.flatnonzero(s.world_id == w)
    local = np.full(s.n, -1)
    local[idx] = np.arange(idx.size)
    # per-world blocks of cooperatives, villages, business units (U per cooperative) and world rows
    per = {
        s.unit_open.size: s.unit_open.size // W,
        s.n_coops: s.coops_per_world,
        s.n_villages: s.villages_per_world,
        W: 1,
    }
    out: dict[str, np.ndarray] = {}
    for f in dataclasses.fields(State):
        v = getattr(s, f.name)
        if not isinstance(v, np.ndarray) or f.name == "world_id":
            continue
        if v.ndim and v.shape[0] == s.n:
            v = v[idx]
        elif v.ndim and W > 1 and v.shape[0] in per:
            k = per[v.shape[0]]
            v = v[w * k : (w + 1) * k]
        if f.name in _INDEX_FIELDS:
            if f.name in ("village_start", "moneylender_of", "village_government", "ml_lender"):
                v = np.where(v >= 0, local[np.maximum(v, 0)], v)
            elif f.name == "village":
                v = np.where(v >= 0, v - w * s.villages_per_world, v)
            elif f.name == "coop":
                v = np.where(v >= 0, v - w * s.coops_per_world, v)
            else:
                v = np.where(v >= 0, v - w * (s.unit_open.size // W), v)
        out[f.name] = v
    ties = model.ties
    mine = s.world_id[ties.a] == w
    for name in ("a", "b"):
        out[f"ties.{name}"] = local[getattr(ties, name)[mine]]
    for name in ("strength", "kind", "layer", "last_ab", "last_ba", "born", "last_contact", "origin", "reach"):
        out[f"ties.{name}"] = getattr(ties, name)[mine]
    return out


def assert_same_world(alone: CooperativeModel, batch: CooperativeModel, w: int) -> None:
    a, b = world_state(alone, 0), world_state(batch, w)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].shape == b[name].shape, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=f"world {w}: {name}")


@pytest.mark.parametrize(("scenario", "months"), [("mandiri_jaya", 120), ("training_follow_up", 48)])
def test_a_world_is_bit_identical_alone_and_in_any_batch(scenario: str, months: int) -> None:
    scen = load(scenario)

    def run(seed: int | list[int]) -> CooperativeModel:
        m = CooperativeModel(scen.params, seed=seed, interventions=scen.interventions, collect_metrics=False)
        m.run_steps(months)
        return m

    alone = {seed: run(seed) for seed in (11, 7)}
    for seeds in ([11, 7], [3, 7, 11]):  # another batch size, another position
        batch = run(seeds)
        assert batch.state.worlds == len(seeds)
        for w, seed in enumerate(seeds):
            if seed in alone:
                assert_same_world(alone[seed], batch, w)
    # and the worlds of a batch are not copies of each other
    assert not np.array_equal(world_state(batch, 0)["trust"], world_state(batch, 1)["trust"])


def test_replicates_of_one_root_seed_are_the_runners_replications() -> None:
    from kopsim.experiments.spec import replication_seeds as runner_seeds

    model = CooperativeModel(small_params(), seed=5, replicates=3)
    assert model.seeds == replication_seeds(5, 3) == runner_seeds(5, 3)
    assert world_seeds(9) == [9]  # a single world uses its seed itself
    assert world_seeds([4, 2]) == [4, 2]
    with pytest.raises(ValueError, match="one per replicate"):
        world_seeds([4, 2], 3)
    with pytest.raises(ValueError, match="at least 1"):
        world_seeds(1, 0)


def test_each_world_has_its_own_regional_agencies() -> None:
    model = CooperativeModel(small_params(), seed=[1, 2])
    s = model.state
    for w in range(2):
        office = s.agency_of("cooperative_office", w)
        assert s.world_id[office] == w and s.agency_kind[office] == 0
        ties = model.ties
        at_office = (ties.a == office) | (ties.b == office)
        assert at_office.any()
        assert (s.world_id[ties.a[at_office]] == w).all() and (s.world_id[ties.b[at_office]] == w).all()
    # no tie joins two worlds
    assert (s.world_id[model.ties.a] == s.world_id[model.ties.b]).all()


def test_streams_give_each_element_its_worlds_next_draw_in_order() -> None:
    tags = np.array([1, 0, 1, 2, 0])
    got = Streams([np.random.default_rng(s) for s in (10, 11, 12)]).random(tags)
    expect = {w: np.random.default_rng(s).random(int((tags == w).sum())) for w, s in enumerate((10, 11, 12))}
    np.testing.assert_array_equal(got[tags == 0], expect[0])
    np.testing.assert_array_equal(got[tags == 1], expect[1])
    np.testing.assert_array_equal(got[tags == 2], expect[2])
    # blocks of equal size are the same as their tags, row by row for several rows
    a = Streams([np.random.default_rng(s) for s in (1, 2)]).random(Blocks(2, 3), rows=2)
    b = Streams([np.random.default_rng(s) for s in (1, 2)]).random(np.repeat([0, 1], 3), rows=2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:, :3], np.random.default_rng(1).random((2, 3)))
    # aligned arguments are split with their elements
    n = Streams([np.random.default_rng(s) for s in (1, 2)]).normal(
        np.array([0.0, 100.0, 0.0]), 1.0, np.array([0, 1, 0])
    )
    assert n[1] > 50 > max(n[0], n[2])
    # a pure mechanism's rng.random(n) for tagged elements must ask for exactly their number
    with pytest.raises(ValueError, match="tagged"):
        Streams([np.random.default_rng(1), np.random.default_rng(2)]).tagged(tags).random(4)


def perturbed(params: Parameters, k: int) -> Parameters:
    """``params`` with every real-valued parameter that may differ between worlds moved a little
    (world k's own values; k = 0 unchanged): a mechanism that read any of them as one number for
    the whole batch would give world k world 0's value."""
    if k == 0:
        return params
    over = {}
    for gname, group in params.to_dict().items():
        if gname in SHARED_GROUPS:
            continue
        for f in dataclasses.fields(GROUPS[gname]):
            if f.type != "float":
                continue
            value = group[f.name]
            for candidate in (value * (1 + 0.013 * k) + 1e-4 * k, value * (1 - 0.013 * k) - 1e-4 * k):
                try:
                    params.replace({f"{gname}.{f.name}": candidate})
                except ParameterError:
                    continue  # outside its range: try the other direction
                over[f"{gname}.{f.name}"] = candidate
                break
    return params.replace(over)


@pytest.mark.parametrize(("scenario", "months"), [("mandiri_jaya", 120), ("koperasi_wanita", 36)])
def test_worlds_with_their_own_parameters_are_bit_identical_to_their_runs_alone(scenario: str, months: int) -> None:
    scen = load(scenario)
    params = [perturbed(scen.params, k) for k in range(3)]
    seeds = [11, 12, 13]
    batch = CooperativeModel(params, seed=seeds, interventions=scen.interventions)
    assert len(batch.world.base_varying) > 100  # every real-valued parameter differs between the worlds
    batch.run_steps(months)
    for w in (1, 2):
        alone = CooperativeModel(params[w], seed=seeds[w], interventions=scen.interventions)
        alone.run_steps(months)
        assert_same_world(alone, batch, w)
        # and so are its metrics, read with its own parameters (e.g. the trust bands' thresholds)
        pd.testing.assert_frame_equal(batch.metrics_frame(world=w), alone.metrics_frame(), check_exact=True)


def test_only_real_valued_parameters_may_differ_between_worlds() -> None:
    base = Parameters.from_dict(small_params())
    with pytest.raises(ParameterError, match=r"governance\.rat_month.*differs between the worlds"):
        CooperativeModel([base, base.replace({"governance.rat_month": 3})], seed=[1, 2])
    with pytest.raises(ParameterError, match=r"metrics\.betweenness_samples"):
        CooperativeModel([base, base.replace({"metrics.betweenness_samples": 7})], seed=[1, 2])
    with pytest.raises(ValueError, match="2 parameter sets for 3 replicates"):
        CooperativeModel([base, base], replicates=3)


def test_a_parameter_that_differs_between_worlds_is_never_read_as_one_number() -> None:
    base = Parameters.from_dict(small_params())
    model = CooperativeModel([base, base.replace({"trust.gain_rate": 0.2})], seed=[1, 2])
    world = model.world
    with pytest.raises(DiffersBetweenWorlds, match=r"trust\.gain_rate"):
        _ = world.params.trust.gain_rate
    assert world.params.trust.loss_rate == base.trust.loss_rate  # shared ones read as before
    per_household = world.per("trust", model.state.household_world).gain_rate
    np.testing.assert_array_equal(np.unique(per_household[: model.state.n_households // 2]), [0.08])
    np.testing.assert_array_equal(np.unique(per_household[model.state.n_households // 2 :]), [0.2])
    np.testing.assert_array_equal(world.per("trust").gain_rate, [0.08, 0.2])
    assert world.of_world("trust", 1).gain_rate == 0.2
    # a policy in force sets the value of every world, for its month
    world.override({"trust.gain_rate": 0.5})
    assert world.params.trust.gain_rate == 0.5 and world.per("trust").gain_rate == 0.5
    world.begin_month(world.t + 1)
    np.testing.assert_array_equal(world.per("trust").gain_rate, [0.08, 0.2])


def test_worlds_with_their_own_timetables_are_bit_identical_to_their_runs_alone() -> None:
    from kopsim.interventions import BoardScandal, Grant, MarketAccess, Policy, Training, VillageEngagement

    grant = Grant(start=6, recipient="households", amount=50.0)
    training = Training(start=3, every=12, quota=8, selection="random")
    policy = Policy(start=4, end=20, set={"finance.coop_interest_rate": 0.015, "participation.join_rate": 0.05})
    scandal = BoardScandal(start=10, end=30)
    timetables = [
        [grant, VillageEngagement(start=2, end=24)],
        [training, policy, MarketAccess(start=5, licences=3)],
        [grant, scandal, policy],
    ]
    params = Parameters.from_dict(small_params())
    seeds = [21, 22, 23]
    batch = CooperativeModel(params, seed=seeds, interventions=timetables, collect_metrics=False)
    batch.run_steps(36)
    for w, own in enumerate(timetables):
        alone = CooperativeModel(params, seed=seeds[w], interventions=own, collect_metrics=False)
        alone.run_steps(36)
        assert_same_world(alone, batch, w)
    # a policy in some worlds only may set only real-valued parameters
    switch = Policy(start=1, set={"governance.rat_month": 3})
    model = CooperativeModel(params, seed=[1, 2], interventions=[[switch], []], collect_metrics=False)
    with pytest.raises(ValueError, match="cannot be set in some worlds"):
        model.step()
    with pytest.raises(ValueError, match="different orders"):
        CooperativeModel(params, seed=[1, 2], interventions=[[grant, training], [training, grant]])
