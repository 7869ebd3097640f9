"""Issue #16 item 4: programmes by name — a training builds its programme's skill, a business needs
the skill of its product, and a training of the wrong skill changes neither output nor units."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from kopsim.interventions import Training
from kopsim.model import CooperativeModel
from kopsim.parameters import CROPS, Parameters
from kopsim.scenario import load
from kopsim.state import PRODUCTS

QUIET = {"network_every": 0, "centrality_every": 0}
POP = {"households_per_village": 60, "members_per_cooperative": 30}


def _params(**groups) -> Parameters:
    return Parameters.from_dict({"population": POP, "metrics": QUIET, **groups})


def _run(p: Parameters, skill: str | None, months: int = 12, seed: int = 3, **kw) -> CooperativeModel:
    ivs = () if skill is None else (Training(start=2, quota=10, gain=0.6, skill=skill, **kw),)
    model = CooperativeModel(p, seed=seed, interventions=ivs)
    model.frame = model.run(months)
    return model


def test_a_named_training_raises_its_column_and_nothing_else():
    p = _params(enterprise={"product_skills": {"cassava_chips": "food_processing"}})
    food, dye = _run(p, "food_processing"), _run(p, "tie_dye")
    s0, s = food.state, dye.state
    assert s.skill_names == ("food_processing", "tie_dye")
    assert s0.skill_names == ("food_processing",)
    assert s0.programme_skill.any()
    k = s.skill_names.index("tie_dye")
    trained = s.trained_at[: s.n_households] >= 0
    assert trained.sum() == 10 and (s.programme_skill[: s.n_households][trained, k] > 0.3).all()
    np.testing.assert_array_equal(s.skill, s0.skill)  # the general skill is the same whichever programme
    assert not s.programme_skill[:, s.skill_names.index("food_processing")].any()  # the other programme too
    f = dye.frame
    assert f["skill_tie_dye_members"].iloc[0] == 0 < f["skill_tie_dye_members"].iloc[-1]
    assert (f["skill_food_processing_members"] == 0).all()
    np.testing.assert_array_equal(f["skill_members"], food.frame["skill_members"])


def test_general_training_keeps_todays_behaviour():
    model = _run(_params(), "general")
    assert model.state.skill_names == () and model.state.programme_skill.shape == (model.state.n, 0)
    assert not [c for c in model.frame.columns if c.startswith("skill_") and c != "skill_mean" and c != "skill_members"]
    assert model.frame["skill_members"].iloc[-1] > model.frame["skill_members"].iloc[0]


def _owners_revenue(model: CooperativeModel, product: str) -> float:
    s = model.state
    H = s.n_households
    return float(s.revenue[:H][s.product[:H] == PRODUCTS.index(product)].sum())


def test_a_umkm_needing_x_produces_more_after_an_x_training_than_after_a_y_training():
    p = _params(
        population={**POP, "umkm_share": 0.4},
        enterprise={"product_skills": {p: "food_processing" for p in PRODUCTS[1:]}},
    )
    x, y = _run(p, "food_processing", target="umkm"), _run(p, "tie_dye", target="umkm")
    assert _owners_revenue(x, "cassava_chips") > _owners_revenue(y, "cassava_chips") > 0
    assert x.frame["umkm_revenue"].iloc[3:].mean() > 1.03 * y.frame["umkm_revenue"].iloc[3:].mean()


def test_farmers_of_a_crop_needing_x_harvest_more_after_x_training():
    p = _params(households={"crops": {"rubber": 1.0}}, enterprise={"crop_skills": {"rubber": "rubber_processing"}})
    x, y = _run(p, "rubber_processing", target="all"), _run(p, "tie_dye", target="all")
    assert (x.state.crop[: x.state.n_households] == CROPS.index("rubber")).sum() > 0
    assert x.frame["harvest"].iloc[3:].sum() > y.frame["harvest"].iloc[3:].sum()


DYE_UNIT = {
    "kind": "processing",
    "product": "jumputan",
    "opened_by": "trained_members",
    "skill": "tie_dye",
    "trained_members": 2,
    "skill_threshold": 0.5,
}


def test_a_unit_needing_x_opens_after_x_training_and_not_after_y():
    p = _params(cooperative={"units": [DYE_UNIT]}, skills={"training_every_months": 0})
    x, y = _run(p, "tie_dye"), _run(p, "rubber_processing")
    assert x.frame["units_open"].iloc[0] == 0 and x.frame["units_open"].iloc[-1] == 1
    assert (y.frame["units_open"] == 0).all()
    general = _run(p, "general")  # the general skill does not open it either
    assert (general.frame["units_open"] == 0).all()


def test_peer_teaching_spreads_a_programme_skill_to_the_untrained():
    def untrained_skill(rate: float) -> float:
        model = _run(_params(skills={"peer_teaching_rate": rate}), "tie_dye", months=24)
        s = model.state
        H = s.n_households
        return float(s.programme_skill[:H, 0][s.trained_at[:H] < 0].sum())

    assert untrained_skill(0.0) == 0.0
    assert untrained_skill(0.1) > 0.5


def test_a_programme_skill_fades_toward_its_own_base_slower_with_follow_up():
    def trainees_skill(fade: float, follow_up: bool) -> float:
        p = _params(skills={"fade_rate": fade, "peer_teaching_rate": 0.0})
        model = _run(p, "tie_dye", months=14, follow_up=follow_up, follow_up_months=12)
        s = model.state
        mask = s.trained_at >= 0
        assert (s.fade_factor == 1.0).all()  # the general skill's follow-up is not touched
        return float(s.programme_skill[mask, 0].mean())

    kept = trainees_skill(0.0, False)
    assert kept == pytest.approx(0.6)  # 0 + 0.6 (1 - 0), nothing fades
    faded = trainees_skill(0.1, False)
    assert faded == pytest.approx(0.6 * 0.9**13)  # toward its pre-training level 0 in months 2..14
    assert faded < trainees_skill(0.1, True) < kept  # follow-up slows it


def _kopsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kopsim", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[interventions]]\nkind = "training"\nskill = "Tie-Dye"',
            "interventions[0].skill: 'Tie-Dye' is not a skill name; allowed: 'general' or a programme's skill",
        ),
        (
            '[parameters.enterprise]\nproduct_skills = { cassava = "food_processing" }',
            "parameters.enterprise.product_skills.cassava: unknown name; allowed: 'salted_eggs'",
        ),
        (
            '[[parameters.cooperative.units]]\nkind = "shop"\nskill = "tie dye"',
            "parameters.cooperative.units[0].skill: 'tie dye' is not a skill name",
        ),
        (
            '[[parameters.cooperative.units]]\nkind = "processing"\nproduct = "jumputan"\nskill = "tye_dye"\n'
            '[[interventions]]\nkind = "training"\nskill = "tie_dye"',
            "parameters.cooperative.units[0].skill: 'tye_dye' is built by no training of this scenario; "
            "allowed: 'general', 'tie_dye' (did you mean 'tie_dye'?)",
        ),
    ],
)
def test_bad_skill_names_are_one_line_with_exit_2(tmp_path, text, expected):
    f = tmp_path / "bad.toml"
    f.write_text(text + "\n", encoding="utf-8")
    proc = _kopsim("validate", str(f))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert str(f) in proc.stderr and expected in proc.stderr, proc.stderr


def test_prabumulih_ships_the_offices_programmes_by_name():
    scen = load("prabumulih")
    skills = {iv.skill for iv in scen.interventions if isinstance(iv, Training)}
    assert {"tie_dye", "rubber_processing"} <= skills
    assert scen.params.enterprise.crop_skills == {"rubber": "rubber_processing"}
    assert [u["skill"] for u in scen.params.cooperative.units] == ["tie_dye"]
