"""The model's wiring: every mechanism that a phase applies reaches a model-level outcome.

Each test cuts one mechanism (replaces the function the phase calls by a no-op) and runs the
same small population with the same seeds (common random numbers) as the intact model. The
outcome the mechanism feeds must move, in the stated direction, by a clear margin. So a phase
left out of ``CooperativeModel.step``, a mechanism disconnected from its phase or a sign
flipped in the wiring makes a test here fail (the cut then changes nothing, or the wrong way).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any
from unittest import mock

import numpy as np
import pytest
from helpers import small_params

from kopsim import (
    CooperativeModel,
    enterprise,
    governance,
    information,
    network,
    participation,
    population,
    reciprocity,
    skills,
    trust,
)
from kopsim import contacts as contacts_module

SEEDS = (0, 1, 2)
STEPS = 60
NO_NETWORK_METRICS = {"metrics": {"network_every": 0, "centrality_every": 0}}


def outcome(
    column: str,
    overrides: dict[str, Any] | None = None,
    cuts: Sequence[tuple[Any, str, Any]] = (),
    steps: int = STEPS,
) -> float:
    """Mean of ``column`` over the last 12 months of ``steps`` and the seeds, with the ``cuts`` patched in."""
    params = small_params({**NO_NETWORK_METRICS, **(overrides or {})})
    values = []
    for seed in SEEDS:
        with contextlib.ExitStack() as stack:
            for module, name, replacement in cuts:
                stack.enter_context(mock.patch.object(module, name, replacement))
            frame = CooperativeModel(params, seed=seed).run(steps)
        values.append(frame[column].iloc[-12:].mean())
    return float(np.mean(values))


def _same_trust(t: np.ndarray, *args: Any) -> np.ndarray:
    return t


CASES = {
    # mechanism cut: (column, overrides, cuts, direction of intact - cut, minimum size)
    "peer trust from exchanges (contacts -> trust.update_trust)": (
        "trust_peer_mean",
        None,
        [(contacts_module.trust, "update_trust", _same_trust)],
        +1,
        0.2,
    ),
    "descriptive norm of member neighbours (participation.neighbour_mean)": (
        "participation_organisation",
        None,
        [(participation, "neighbour_mean", lambda n, a, b, w, v, include=None: np.zeros_like(v))],
        +1,
        0.1,
    ),
    "reputation from helping (reciprocity.update_image)": (
        "reputation_mean",
        None,
        [(reciprocity, "update_image", lambda image, *a: image)],
        +1,
        0.3,
    ),
    "information about membership (information.learn_probability)": (
        "members",
        None,
        [(information, "learn_probability", lambda e, t, b: np.zeros_like(e))],
        +1,
        5.0,
    ),
    "peer teaching along contacts (skills.peer_teaching)": (
        "skill_members",
        None,
        [(skills, "peer_teaching", lambda n, s, a, b, r: s)],
        +1,
        0.02,
    ),
    "perceived benefit from experience (participation.update_benefit)": (
        "participation_business",
        None,
        [(participation, "update_benefit", lambda b, *a: b)],
        +1,
        0.02,
    ),
    # good service and rules, so that experience lifts trust above its initial level
    "trust in board and institution from experience (trust.board_and_institution)": (
        "trust_institution_mean",
        {"trust": {"rule_clarity": 0.9, "fairness": 0.9}, "governance": {"service_quality": 0.95}},
        [(trust, "board_and_institution", lambda *a: None)],
        +1,
        0.1,
    ),
    "sanctions on free-riders (governance.apply_sanction)": (
        "participation_organisation",
        {"governance": {"free_ride_threshold": 0.95}},
        [(governance, "apply_sanction", lambda p, s, e: p)],
        +1,
        0.03,
    ),
    "unpunished free-riding erodes institutional trust (governance.free_ride_experience)": (
        "trust_institution_mean",
        {"governance": {"free_ride_threshold": 0.95}},
        [(governance, "free_ride_experience", lambda coop, *a: np.zeros(coop.size))],
        -1,
        0.15,
    ),
    "tie strength moves with contact (network.reinforce_and_decay)": (
        "tie_strength_mean",
        None,
        [(network, "reinforce_and_decay", lambda s, *a: s)],
        -1,
        0.05,
    ),
    "sentiment ties to the board carry social control (governance.sentiment_control)": (
        "participation_organisation",
        {  # most members with a sentiment tie to the board, sanctions that bite: the channel is clearly live
            "governance": {
                "free_ride_threshold": 0.95,
                "sanction_probability": 0.05,
                "sentiment_control": 19.0,
                "sanction_effect": 0.5,
            },
            "network": {"board_sentiment_share": 0.9},
        },
        [(governance, "sentiment_control", lambda n, *a: np.zeros(n))],
        +1,
        0.01,
    ),
    "non-members forget (information.lapse)": (
        "information_reach",
        None,
        [(information, "lapse", lambda rng, informed, keeps, rate: informed)],
        -1,
        0.03,
    ),
    # a cooperative without running costs makes a surplus and pays SHU every year
    "the board accounts to RAT attendees (governance.rat_accountability)": (
        "trust_board_mean",
        {"governance": {"rat_mobilisation": 0.9}, "finance": {"operating_cost": 0.0}},
        [(governance, "rat_accountability", lambda board_trust, informed, *a: (board_trust, informed))],
        +1,
        0.02,
    ),
    "households differ in their dispositions (population.dispositions)": (
        "trust_peer_low",
        None,
        [(population, "dispositions", lambda rng, params, n, H: (np.zeros(n), np.zeros(n)))],
        +1,
        0.01,
    ),
    "skill raises farm yields (skills.skill_yield)": (
        "harvest",
        {"skills": {"training_every_months": 6, "training_quota": 40, "training_gain": 0.6}},
        [(enterprise, "skill_yield", lambda skill, reference, k: np.ones_like(skill))],
        +1,
        5.0,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cutting_a_mechanism_moves_its_outcome(name):
    column, overrides, cuts, sign, size = CASES[name]
    intact = outcome(column, overrides)
    cut = outcome(column, overrides, cuts)
    assert sign * (intact - cut) > size, f"{name}: intact {intact:.3f}, cut {cut:.3f}"


def test_the_yearly_diklat_raises_members_skill():
    with_training = outcome("skill_members", {"skills": {"training_every_months": 12}})
    without = outcome("skill_members", {"skills": {"training_every_months": 0}})
    assert with_training - without > 0.04


@pytest.mark.parametrize(
    ("column", "channel", "size"),
    [
        ("trust_institution_mean", {"trust": {"disappointment_weight": 0.0}}, 0.1),  # disappointing service
        ("trust_board_mean", {"trust": {"unfair_treatment_weight": 0.0}}, 0.03),  # unfair treatment by the board
        ("trust_peer_mean", {"reciprocity": {"helping_spread": 0.0}}, 0.02),  # refusals by the less helpful
        ("participation_organisation", {"participation": {"cost_spread": 0.0}}, 0.02),  # members' own costs
    ],
)
def test_each_erosion_channel_holds_its_level_down(column, channel, size):
    """Switching an erosion channel off (same seeds) lets the level it holds down climb."""
    eroded, without = outcome(column), outcome(column, channel)
    assert without - eroded > size, f"{column}: with the channel {eroded:.3f}, without {without:.3f}"


def test_only_unfair_treatment_erodes_board_trust():
    """With a perfectly fair board there is no unfair treatment, so its weight changes nothing
    (same seeds); treating fair meetings as unfair would make it matter."""
    fair = {"trust": {"fairness": 1.0}}
    weighted = outcome("trust_board_mean", fair)
    unweighted = outcome("trust_board_mean", {"trust": {"fairness": 1.0, "unfair_treatment_weight": 0.0}})
    assert weighted == unweighted


def test_distrust_not_trust_drives_exits():
    """Members who trust the cooperative leave less (Hirschman 1970): with many exits and no
    joining, a trusting membership keeps more members than a distrustful one (same seeds), over the
    first two years, before experience has moved both to the same trust."""
    churn = {"participation": {"exit_rate": 0.3, "join_rate": 0.0}}
    trusting = outcome("members", {**churn, "trust": {"initial_institution": 0.9, "initial_spread": 0.0}}, steps=24)
    distrustful = outcome("members", {**churn, "trust": {"initial_institution": 0.2, "initial_spread": 0.0}}, steps=24)
    assert trusting > distrustful + 3


def test_rat_attendance_follows_involvement():
    """Without the board's mobilisation, members attend the RAT as they take part in the organisation
    (governance.rat_attendance_probability): attendance in the RAT month is close to the members'
    organisation participation, and a less involved membership attends less (same seeds)."""
    quiet = {"governance": {"rat_mobilisation": 0.0}}
    frame = CooperativeModel(small_params({**NO_NETWORK_METRICS, **quiet}), seed=1).run(12)
    rat = frame.set_index("step").loc[12]  # the RAT month
    attended, involved = rat["rat_attendance"], rat["participation_organisation"]
    assert attended > 0.3 and abs(attended - involved) < 0.15, (attended, involved)
    apathetic = {**quiet, "participation": {"intercept_organisation": -12.0}}
    low = CooperativeModel(small_params({**NO_NETWORK_METRICS, **apathetic}), seed=1).run(12)
    assert low.set_index("step").loc[12, "rat_attendance"] < attended - 0.1
