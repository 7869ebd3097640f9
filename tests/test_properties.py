"""Property tests: invariants of whole runs over random valid parameters, and parameter validation."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kopsim import CooperativeModel, ParameterError, Parameters
from kopsim.parameters import GROUPS

unit = st.floats(0.0, 1.0, allow_nan=False)
RUN_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def model_params(draw) -> dict:
    """Random valid parameters over a small population (every cross-field rule respected)."""
    n_villages = draw(st.integers(1, 3))
    n_coops = draw(st.integers(1, n_villages))
    hpv = draw(st.integers(5, 40))
    members = draw(st.integers(0, hpv * (n_villages // n_coops)))
    board = draw(st.integers(1, min(max(members, 1), 50)))
    supervisors = draw(st.integers(0, min(max(members, 1) - board, 50)))
    farmer_share = draw(unit)
    umkm_share = draw(st.floats(0.0, 1.0 - farmer_share))
    low = draw(unit)
    return {
        "population": {
            "n_villages": n_villages,
            "n_cooperatives": n_coops,
            "households_per_village": hpv,
            "members_per_cooperative": members,
            "board_size": board,
            "supervisors": supervisors,
            "farmer_share": farmer_share,
            "umkm_share": umkm_share,
            "needy_share": draw(unit),
            "moneylenders_per_village": draw(st.integers(0, 2)),
            "village_government_responsiveness": draw(unit),
            "wealth_sigma": draw(st.floats(0.0, 3.0)),
        },
        "trust": {
            "gain_rate": draw(unit),
            "loss_rate": draw(unit),
            "rule_clarity": draw(unit),
            "fairness": draw(unit),
            "initial_peer": draw(unit),
            "initial_board": draw(unit),
            "initial_institution": draw(unit),
            "initial_spread": draw(st.floats(0.0, 0.5)),
            "low_threshold": low,
            "high_threshold": draw(st.floats(low, 1.0)),
        },
        "reciprocity": {
            "helping_norm": draw(unit),
            "trust_weight": draw(st.floats(0.0, 50.0)),
            "image_weight": draw(st.floats(0.0, 50.0)),
            "direct_weight": draw(st.floats(0.0, 50.0)),
            "image_update_rate": draw(unit),
        },
        "participation": {
            "benefit_weight": draw(st.floats(0.0, 50.0)),
            "norm_weight": draw(st.floats(0.0, 50.0)),
            "trust_weight": draw(st.floats(0.0, 50.0)),
            "cost_organisation": draw(st.floats(0.0, 50.0)),
            "intercept_capital": draw(st.floats(-20.0, 20.0)),
            "adjustment_rate": draw(unit),
            "benefit_memory": draw(unit),
            "join_rate": draw(unit),
            "exit_rate": draw(unit),
        },
        "governance": {
            "free_ride_threshold": draw(unit),
            "sanction_probability": draw(unit),
            "sanction_effect": draw(unit),
            "free_ride_harm": draw(st.floats(0.0, 10.0)),
            "rat_month": draw(st.integers(1, 12)),
            "board_term_months": draw(st.integers(1, 24)),
        },
        "finance": {
            "coop_interest_rate": draw(unit),
            "moneylender_interest_rate": draw(unit),
            "loan_need_rate": draw(unit),
            "loan_size": draw(st.floats(0.0, 100.0)),
            "loan_term_months": draw(st.integers(1, 24)),
            "approval_rate": draw(unit),
            "favouritism": draw(unit),
            "moneylender_uptake": draw(unit),
            "repayment_discipline": draw(unit),
            "withdrawal_rate": draw(unit),
            "voluntary_saving_share": draw(unit),
            "cash_spending_rate": draw(unit),
            "consumption_share": draw(unit),
            "operating_cost": draw(st.floats(0.0, 20.0)),
            "initial_coop_capital": draw(st.floats(0.0, 500.0)),
            "mandatory_saving": draw(st.floats(0.0, 2.0)),
            "shu_member_share": draw(unit),
            "shu_capital_share": draw(unit),
        },
        "enterprise": {
            "harvest_multiplier": draw(st.floats(0.0, 10.0)),
            "weather_sigma": draw(st.floats(0.0, 3.0)),
            "price_index": draw(st.floats(0.0, 10.0)),
        },
        "network": {
            # strength stays in (0, 1] only with a positive new-tie strength and dissolution floor: see report
            "contact_rate": draw(unit),
            "reinforcement_rate": draw(unit),
            "decay_rate": draw(st.floats(0.0, 0.99)),
            "min_strength": draw(st.floats(0.001, 1.0)),
            "new_tie_strength": draw(st.floats(0.01, 1.0)),
            "formation_attempts": draw(st.floats(0.0, 2.0)),
            "triadic_share": draw(unit),
            "bridging_share": draw(unit),
            "homophily": draw(st.floats(0.0, 50.0)),
        },
        "skills": {
            "training_every_months": draw(st.integers(0, 12)),
            # a quota can be filled at most by the households one cooperative can have as members
            "training_quota": draw(st.integers(0, min(30, hpv * (n_villages // n_coops)))),
            "training_selection": draw(st.sampled_from(["random", "productive_age", "board_choice", "neediest"])),
            "follow_up": draw(st.booleans()),
            "training_gain": draw(unit),
            "fade_rate": draw(unit),
            "peer_teaching_rate": draw(unit),
        },
        "information": {
            "transmission_rate": draw(st.floats(0.0, 10.0)),
            "village_broadcast_rate": draw(st.floats(0.0, 10.0)),
        },
        "metrics": {"network_every": draw(st.integers(0, 12)), "centrality_every": draw(st.integers(0, 12))},
    }


@RUN_SETTINGS
@given(model_params(), st.integers(0, 2**32 - 1), st.integers(12, 24))
def test_run_invariants(params, seed, steps):
    model = CooperativeModel(params, seed=seed)
    df = model.run(steps)
    s = model.state
    H = s.n_households
    assert len(df) == steps
    # social capital stays in [0, 1]
    assert ((s.trust >= 0) & (s.trust <= 1)).all()
    assert ((s.participation >= 0) & (s.participation <= 1)).all()
    assert ((s.image >= 0) & (s.image <= 1)).all()
    assert ((s.skill >= 0) & (s.skill <= 1)).all()
    # no negative money
    for name in ("cash", "savings_mandatory", "savings_voluntary", "coop_loan", "ml_loan"):
        assert (getattr(s, name) >= -1e-9).all(), name
    assert (s.coop_cash >= -1e-9).all()
    # every member counted once, and only households are members
    assert df["members"].iloc[-1] == int(s.member[:H].sum())
    assert not s.member[H:].any()
    assert len(model.members()) == int(s.member.sum())
    # ties: ordered, unique, strength in (0, 1]
    t = model.ties
    assert (t.a < t.b).all()
    assert np.unique(t.a * s.n + t.b).size == len(t)
    assert ((t.strength > 0) & (t.strength <= 1)).all()
    assert ((t.b < s.n) & (t.a >= 0)).all()


@RUN_SETTINGS
@given(model_params(), st.integers(0, 2**32 - 1))
def test_run_is_reproducible(params, seed):
    a = CooperativeModel(params, seed=seed).run(5)
    b = CooperativeModel(params, seed=seed).run(5)
    assert a.equals(b)


# ---------------------------------------------------------------- parameter validation
NUMERIC_FIELDS = [
    (gname, f.name, f.default, f.metadata["lo"], f.metadata["hi"])
    for gname, gcls in GROUPS.items()
    for f in fields(gcls)
    if isinstance(f.default, (int, float)) and not isinstance(f.default, bool)
]
RELATION_FREE_GROUPS = {
    "network",
    "reciprocity",
    "participation",
    "governance",
    "finance",
    "enterprise",
    "information",
    "skills",
    "metrics",
}
CROSS_GROUP_FIELDS = {("skills", "training_quota")}  # bounded by population.members_per_cooperative too


def test_every_numeric_field_has_a_range():
    assert len(NUMERIC_FIELDS) > 90
    for gname, name, default, lo, hi in NUMERIC_FIELDS:
        assert lo is not None and hi is not None, f"{gname}.{name}"
        assert lo <= default <= hi, f"{gname}.{name}"


@st.composite
def out_of_range(draw):
    gname, name, default, lo, hi = draw(st.sampled_from(NUMERIC_FIELDS))
    below = draw(st.booleans())
    if isinstance(default, int):
        value = draw(st.integers(max_value=int(lo) - 1) if below else st.integers(min_value=int(hi) + 1))
    else:
        value = draw(
            st.floats(max_value=lo, exclude_max=True, allow_nan=False, allow_infinity=False)
            if below
            else st.floats(min_value=hi, exclude_min=True, allow_nan=False, allow_infinity=False)
        )
    return gname, name, value


@settings(max_examples=150, deadline=None)
@given(out_of_range())
def test_out_of_range_value_raises_with_path_and_allowed(case):
    gname, name, value = case
    with pytest.raises(ParameterError) as info:
        Parameters.from_dict({gname: {name: value}})
    message = str(info.value)
    assert f"{gname}.{name}" in message
    assert "allowed" in message
    assert info.value.path == f"{gname}.{name}"
    # the same through replace() with a dotted key
    with pytest.raises(ParameterError, match="allowed"):
        Parameters().replace({f"{gname}.{name}": value})


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([f for f in NUMERIC_FIELDS if f[0] in RELATION_FREE_GROUPS and f[:2] not in CROSS_GROUP_FIELDS]),
    st.data(),
)
def test_in_range_value_is_accepted_and_stored(spec, data):
    gname, name, default, lo, hi = spec
    value = data.draw(st.integers(int(lo), int(hi)) if isinstance(default, int) else st.floats(lo, hi, allow_nan=False))
    params = Parameters.from_dict({gname: {name: value}})
    stored = getattr(getattr(params, gname), name)
    assert stored == value and type(stored) is type(default)
    # every other parameter keeps its default
    assert params.replace({f"{gname}.{name}": default}) == Parameters()


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(NUMERIC_FIELDS), st.sampled_from([True, "0.5", None, [1], float("nan"), float("inf")]))
def test_wrong_type_raises_with_path(spec, value):
    gname, name, *_ = spec
    with pytest.raises(ParameterError) as info:
        Parameters.from_dict({gname: {name: value}})
    assert str(info.value).startswith(f"{gname}.{name}: ")
