"""The constants of the member survey's response model (:class:`ResponseModel`).

Kept apart from :mod:`kopsim.instruments.member_survey` (which needs pandas) so that a scenario's
``[survey]`` table can be validated without it: ``kopsim validate`` and ``kopsim scenarios`` stay quick.
The equations that use them are in :mod:`kopsim.instruments.member_survey`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..parameters import _Group, param


@dataclass(frozen=True)
class ResponseModel(_Group):
    """Constants of the survey response model (validated like the model parameters)."""

    noise_sd: float = param(0.15, 0.0, 5.0, "latent units", "s.d. σ of the answer noise ε")
    cut_low: float = param(0.2, 0.0, 1.0, "latent", "κ₁: latent score from which the answer is 2")
    cut_high: float = param(0.5, 0.0, 1.0, "latent", "κ₂: latent score from which the answer is 3")
    rat_propensity_weight: float = param(
        0.5, 0.0, 1.0, "weight", "ω in L = ω·P_org + (1 − ω)·attended last RAT (rat_attendance)"
    )
    knowledge_skill_weight: float = param(1.0, 0.0, 100.0, "weight", "weight of skill in knowledge_of_cooperative")
    knowledge_informed_weight: float = param(
        0.0,
        0.0,
        100.0,
        "weight",
        "weight of being informed about membership and credit in knowledge_of_cooperative "
        "(0: every member is informed, so in a member survey the term is a constant)",
    )
    knowledge_organisation_weight: float = param(
        1.0, 0.0, 100.0, "weight", "weight of organisation participation (involvement) in knowledge_of_cooperative"
    )

    def _check_relations(self) -> None:
        from ..parameters import ParameterError

        if self.cut_high < self.cut_low:
            raise ParameterError("cut_high", f"must be >= cut_low ({self.cut_low:g})")
        if self.knowledge_skill_weight + self.knowledge_informed_weight + self.knowledge_organisation_weight <= 0:
            raise ParameterError("knowledge_skill_weight", "the three knowledge weights must not all be 0")


__all__ = ["ResponseModel"]
