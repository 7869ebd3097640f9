"""Metrics per world: a batch keeps one metrics table per world, and world w's table is the table of
world w run alone with its seed, bit for bit (every column, NaN equal), network metrics included."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from helpers import small_params

from kopsim.model import CooperativeModel
from kopsim.population import unstack
from kopsim.reciprocity import reciprocity_rate, reciprocity_rates
from kopsim.scenario import load
from kopsim.state import State

MONTH_OUTCOMES = ("reciprocity_rate", "free_rider_share", "shu_paid")  # the month's outcomes the model keeps
NETWORK = ("clustering", "board_betweenness")  # sampled / costly: on their schedule, NaN between


def run(scenario: str, seed: int | list[int], months: int) -> CooperativeModel:
    scen = load(scenario)
    model = CooperativeModel(scen.params, seed=seed, interventions=scen.interventions)
    model.run_steps(months)
    return model


@pytest.mark.parametrize(("scenario", "months"), [("mandiri_jaya", 24), ("koperasi_wanita", 24)])
def test_a_worlds_metrics_in_a_batch_are_its_metrics_alone(scenario: str, months: int) -> None:
    alone = {seed: run(scenario, seed, months).metrics_frame() for seed in (11, 7)}
    for table in alone.values():
        assert "world" not in table.columns
        for col in NETWORK:  # months 1, 12 and 24 (network_every = centrality_every = 12)
            assert table[col].notna().sum() == 3, col
    # the worlds differ in every outcome a pooled value would blur, so pooling fails the comparison
    for col in (*MONTH_OUTCOMES, *NETWORK, "density", "members"):
        assert not alone[11][col].equals(alone[7][col]), col
    assert any((t["shu_paid"] > 0).any() for t in alone.values())  # a RAT paid SHU
    for seeds in ([11, 7], [3, 7, 11]):  # another batch size, another position
        batch = run(scenario, seeds, months)
        assert batch.datacollector is None
        for w, seed in enumerate(seeds):
            if seed in alone:
                pd.testing.assert_frame_equal(batch.metrics_frame(world=w), alone[seed], check_exact=True)
        table = batch.metrics_frame()
        assert list(table.columns[:2]) == ["world", "step"]
        assert table.shape == (months * len(seeds), alone[11].shape[1] + 1)
        for w in range(len(seeds)):
            mine = table[table["world"] == w].drop(columns="world").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, batch.metrics_frame(world=w), check_exact=True)


def test_the_months_outcomes_are_kept_per_world() -> None:
    seeds = [11, 7]
    batch = run("mandiri_jaya", seeds, 12)  # month 12: the RAT (SHU paid)
    assert batch.last_reciprocity.shape == batch.last_free_rider_share.shape == batch.last_shu.shape == (2,)
    for w, seed in enumerate(seeds):
        alone = run("mandiri_jaya", seed, 12)
        assert alone.last_reciprocity.shape == (1,)
        for name in ("last_reciprocity", "last_free_rider_share", "last_shu"):
            assert getattr(batch, name)[w] == getattr(alone, name)[0], name
        assert batch.metric_seeds[w] == alone.metric_seed
    assert batch.last_shu[0] != batch.last_shu[1] and batch.last_reciprocity[0] != batch.last_reciprocity[1]


def test_unstack_gives_the_world_run_alone() -> None:
    params = small_params(
        {
            "population": {"n_villages": 4, "n_cooperatives": 2, "households_per_village": 30},
            "metrics": {"network_every": 3, "centrality_every": 3, "betweenness_samples": 16},
        }
    )
    seeds = [5, 8, 2]
    batch = CooperativeModel(params, seed=seeds)
    batch.run_steps(6)
    for w, seed in enumerate(seeds):
        alone = CooperativeModel(params, seed=seed)
        alone.run_steps(6)
        s, ties = unstack(batch.state, batch.ties, w)
        a = alone.state
        for f in dataclasses.fields(State):
            mine, theirs = getattr(s, f.name), getattr(a, f.name)
            if isinstance(theirs, np.ndarray):
                assert mine.dtype == theirs.dtype, f.name
                np.testing.assert_array_equal(mine, theirs, err_msg=f"world {w}: {f.name}")
            else:
                assert mine == theirs, f.name
        for name in ("a", "b", "strength", "kind", "layer", "born", "last_contact", "origin", "top_down"):
            np.testing.assert_array_equal(getattr(ties, name), getattr(alone.ties, name), err_msg=name)
        pd.testing.assert_frame_equal(batch.metrics_frame(world=w), alone.metrics_frame(), check_exact=True)
    assert unstack(batch.state, batch.ties, 0)[0].n < batch.state.n


def test_a_single_worlds_table_keeps_its_shape_and_a_table_needs_metrics() -> None:
    model = CooperativeModel(small_params(), seed=3)
    model.run_steps(3)
    table = model.metrics_frame()
    assert "world" not in table.columns and list(table["step"]) == [1, 2, 3]
    pd.testing.assert_frame_equal(model.metrics_frame(world=0), table, check_exact=True)
    with pytest.raises(ValueError, match="world: 1"):
        model.metrics_frame(world=1)
    quiet = CooperativeModel(small_params(), seed=[3, 4], collect_metrics=False)
    quiet.run_steps(1)
    with pytest.raises(ValueError, match="collect_metrics=False"):
        quiet.metrics_frame()


def test_reciprocity_rates_per_world() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random(50) < 0.6, rng.random(50) < 0.5
    world = np.sort(rng.integers(0, 3, 50))
    rates = reciprocity_rates(a, b, world, 4)  # world 3 had no contacts
    for w in range(3):
        assert rates[w] == reciprocity_rate(a[world == w], b[world == w])
    assert np.isnan(rates[3])
    assert reciprocity_rates(a, b, np.zeros(50, dtype=np.int64), 1)[0] == reciprocity_rate(a, b)
