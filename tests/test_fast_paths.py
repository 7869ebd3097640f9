"""The fast paths of a batch give exactly what their plain numpy twins give.

Compiled kernels (kopsim.kernels) rebuild numpy's Generator draws from raw 64-bit outputs; these
tests compare them draw for draw with numpy (including Lemire redraws and the kept half of a
64-bit output), then compare whole batched runs with the kernels on and off. Without numba the
kernels run as plain Python, so the emulation is tested either way. The metrics of a batch
(kopsim.metrics.collect_worlds) are tested against each world's run alone in
tests/test_world_metrics.py.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from kopsim import kernels
from kopsim.model import CooperativeModel
from kopsim.scenario import load

# ranges r + 1 for integers(0, r + 1): r = 0 draws nothing; 2³¹ + 1 rejects about half the draws
RANGES = [1, 2, 3, 7, 183, 3 * 2**30, 2**31 + 1, 2**32 - 5, 2**32]


@pytest.mark.parametrize("seed", range(40))
def test_raw_outputs_give_numpys_integers_and_doubles_draw_for_draw(seed: int) -> None:
    plan_rng = np.random.default_rng(1000 + seed)
    g, h = np.random.default_rng(seed), np.random.default_rng(seed)
    warm = int(plan_rng.integers(0, 4))  # an odd number of 32-bit draws leaves half an output kept
    g.integers(0, 10, warm)
    h.integers(0, 10, warm)
    state = h.bit_generator.state
    raw = h.bit_generator.random_raw(20_000)
    cur = np.zeros(4, dtype=np.uint64)
    cur[1], cur[2] = state["has_uint32"], state["uinteger"]
    for _ in range(8):
        n = int(plan_rng.integers(0, 25))
        if plan_rng.random() < 0.5:
            high = int(plan_rng.choice(RANGES))
            expected = g.integers(0, high, n)
            got = [kernels._bounded(raw, cur, np.uint64(high - 1)) for _ in range(n)]
        else:
            expected = g.random(n)
            got = [kernels._next_double(raw, cur) for _ in range(n)]
        np.testing.assert_array_equal(np.asarray(got, dtype=expected.dtype), expected)
    assert cur[3] == 0  # never ran out


def _fingerprint(model: CooperativeModel) -> tuple[str, str]:
    s = model.state
    arrays = [s.trust, s.participation, s.member, model.ties.a, model.ties.b, model.ties.strength]
    state = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()
    gens = hashlib.sha256(repr([g.bit_generator.state for g in model.world.draw.generators]).encode()).hexdigest()
    return state, gens


def _run(scenario: str, seeds: list[int], months: int) -> tuple[tuple[str, str], object]:
    scen = load(scenario)
    model = CooperativeModel(scen.params, seed=seeds, interventions=scen.interventions)
    model.run_steps(months)
    return _fingerprint(model), model.metrics_frame()


@pytest.mark.parametrize(
    ("scenario", "seeds", "months"),
    [("mandiri_jaya", [5, 6, 7, 8], 60), ("baseline", [2, 9], 36)],  # one village; four per world
)
def test_batched_runs_are_identical_with_the_kernels_on_and_off(
    monkeypatch: pytest.MonkeyPatch, scenario: str, seeds: list[int], months: int
) -> None:
    monkeypatch.setattr(kernels, "ENABLED", True)
    on, frame_on = _run(scenario, seeds, months)
    monkeypatch.setattr(kernels, "ENABLED", False)
    off, frame_off = _run(scenario, seeds, months)
    assert on == off  # state, ties and every world's generator state
    assert frame_on.equals(frame_off)


def test_a_world_that_would_run_out_of_raw_outputs_is_drawn_by_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"none": 0}
    propose = kernels.propose_worlds

    def counted(*args: object, **kwargs: object) -> object:
        out = propose(*args, **kwargs)
        calls["none"] += out is None
        return out

    monkeypatch.setattr(kernels, "ENABLED", False)
    reference, _ = _run("mandiri_jaya", [5, 6], 24)
    monkeypatch.setattr(kernels, "ENABLED", True)
    monkeypatch.setattr(kernels, "SLACK_WORDS", -10_000)  # every world runs out at once
    monkeypatch.setattr(kernels, "propose_worlds", counted)
    starved, _ = _run("mandiri_jaya", [5, 6], 24)
    assert calls["none"] > 0
    assert starved == reference
