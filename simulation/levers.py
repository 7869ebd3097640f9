"""The lever → outcome map: by which mechanisms each intervention and shock can move each outcome.

One entry per intervention kind (:data:`kopsim.interventions.KINDS`): the chain of mechanisms it
acts through and, for each outcome of :data:`OUTCOMES`, the sign of the effect the model gives
it: ``"+"`` raises, ``"-"`` lowers, ``"±"`` can move it either way (or only slightly, by a long
chain whose sign depends on the case), ``"0"`` cannot move it by construction (no mechanism
links the two; differences are noise from other draws). The table in docs/ODD.md ("Lever →
outcome map") is generated from it, the report's lever note reads it (:func:`lever_note`), and
tests/test_levers.py checks every ``+``/``-`` claim under common random numbers and every ``0``
claim against its noise. A claim is measured on a small population after five years, with the
intervention at its defaults unless :data:`TEST_DOSES` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The outcomes users ask about, as metric columns (see README "What a run produces").
OUTCOMES: tuple[str, ...] = (
    "members",
    "participation_organisation",
    "participation_business",
    "participation_capital",
    "trust_peer_mean",
    "trust_board_mean",
    "trust_institution_mean",
    "reciprocity_rate",
    "savings_voluntary",
    "coop_loans_outstanding",
    "moneylender_loans_outstanding",
    "arrears_share",
    "household_income_mean",
    "umkm_revenue",
    "skill_mean",
    "information_reach_needy",
)
SIGNS = ("+", "-", "±", "0")
PARTICIPATION = ("participation_organisation", "participation_business", "participation_capital")


@dataclass(frozen=True)
class Lever:
    """One intervention kind: the chain of mechanisms it acts through and the signs it gives."""

    kind: str
    chain: str
    moves: Mapping[str, str] = field(default_factory=dict)  # outcome -> "+", "-" or "±"; others "0"
    cannot: tuple[str, ...] = ()  # outcomes it cannot move by construction (tested against noise)

    def sign(self, outcome: str) -> str:
        """The sign the map gives ``outcome``: "+", "-", "±" or "0"."""
        if outcome in self.moves:
            return self.moves[outcome]
        return "0" if outcome in self.cannot else "±"


def _all(outcomes: tuple[str, ...], sign: str) -> dict[str, str]:
    return dict.fromkeys(outcomes, sign)


LEVERS: dict[str, Lever] = {
    lever.kind: lever
    for lever in (
        Lever(
            "training",
            "trainees' skill (skills.train) → farm yield and UMKM output (skills.skill_yield, "
            "enterprise.umkm_output) → income → perceived income increase; trainees' training "
            "satisfaction → perceived benefit → participation (small and transient: the income item "
            "is judged against one's own recent income, and only trainees judge the training); peer "
            "teaching spreads skill; fading without follow-up; the provider's budget and rule decide "
            "which cooperatives it reaches, none where an audit found misconduct (agencies.programme_quotas)",
            {"skill_mean": "+", "umkm_revenue": "+", "household_income_mean": "+"},
            cannot=("trust_peer_mean",),
        ),
        Lever(
            "kemitraan",
            "event ties to partner firms (bridging) → partner offtake at a premium → UMKM revenue; "
            "technology at the event → skill",
            {"umkm_revenue": "+"},
            cannot=("trust_peer_mean",),
        ),
        Lever(
            "grant",
            "cash to the lending fund → fewer loans refused for want of liquidity → ease of loans, "
            "board trust → perceived benefit → participation; in kind: service quality and rule "
            "clarity → satisfaction and trust gains",
            {"coop_loans_outstanding": "+"},
        ),
        Lever(
            "credit",
            "cheaper cooperative credit (conditions.coop_rate) → loan satisfaction → perceived "
            "benefit → participation; more borrowing from the cooperative",
            {"savings_voluntary": "+"},
        ),
        Lever(
            "management",
            "rule clarity, fairness and service quality up → larger trust gains (trust.rule_gain_factor), "
            "fewer disappointments and unfair treatment → institutional and board trust → "
            "participation; sanctions need clear rules",
            {"trust_institution_mean": "+", "trust_board_mean": "+", **_all(PARTICIPATION, "+")},
        ),
        Lever(
            "village_engagement",
            "the village government relays information, outreach to needy households → information "
            "reach of the needy → joining; more social control → sanctions",
            {"information_reach_needy": "+"},
        ),
        Lever(
            "digital_marketing",
            "an online channel at a premium for member UMKM → revenue → income → perceived income "
            "increase → participation (small and transient: income is judged against one's own recent income)",
            {"umkm_revenue": "+", "household_income_mean": "+"},
            cannot=("skill_mean", "trust_peer_mean"),
        ),
        Lever(
            "market_access",
            "branding and licences: a price premium for member UMKM → revenue",
            {"umkm_revenue": "+"},
        ),
        Lever(
            "harvest_failure",
            "harvests × factor → raw material for UMKM and farm income → income, savings, revenue "
            "(the perceived income item is judged against one's own recent income, so it recovers "
            "while the shock lasts)",
            {"household_income_mean": "-", "savings_voluntary": "-", "umkm_revenue": "-"},
        ),
        Lever(
            "price_drop",
            "UMKM prices × factor → revenue → income → savings",
            {"umkm_revenue": "-", "household_income_mean": "-", "savings_voluntary": "-"},
            cannot=("skill_mean", "trust_peer_mean"),
        ),
        Lever(
            "board_scandal",
            "negative board and institutional experience, fairness lost → board and institutional "
            "trust → participation, exits; less saving and shop use",
            {
                "trust_board_mean": "-",
                "trust_institution_mean": "-",
                "savings_voluntary": "-",
                **_all(PARTICIPATION, "-"),
            },
        ),
        Lever(
            "grant_ending",
            "capital withdrawn from the lending fund → loans refused → ease of loans, board trust → "
            "participation; refused borrowers turn to the moneylender",
            {"coop_loans_outstanding": "-", "moneylender_loans_outstanding": "+", **_all(PARTICIPATION, "-")},
        ),
        Lever(
            "policy",
            "any parameter while it holds: acts through whichever mechanism reads that parameter (no fixed signs)",
        ),
    )
}

# Interventions as the tests apply them (start month 6, yearly where recurring), with the
# doses that make a small, slow effect visible on a 120-household population.
TEST_DOSES: dict[str, dict[str, Any]] = {
    "training": {"quota": 40, "every": 6, "gain": 0.6, "quality": 1.0},
    "kemitraan": {"association": True, "participants": 10},  # partners kept in contact trade
    "grant": {"amount": 200.0},
    "price_drop": {"factor": 0.3},
}
# Parameter overrides under which a lever is tested (the case in which its chain is live).
TEST_CASES: dict[str, dict[str, dict[str, Any]]] = {
    "grant": {"finance": {"initial_coop_capital": 2.0}},  # a lending fund too small for the demand
    "board_scandal": {"population": {"supervisors": 0}},  # nobody audits, so the misconduct runs its course
    "kemitraan": {"partnership": {"monitoring_cost": 0.25}},  # partners near enough to be worth monitoring
}


def lever_note(kind: str) -> tuple[list[str], list[str]]:
    """Outcomes intervention ``kind`` can move (signs "+", "-" or "±") and those it cannot ("0")."""
    lever = LEVERS[kind]
    can = [o for o in OUTCOMES if lever.sign(o) != "0"]
    cannot = [o for o in OUTCOMES if lever.sign(o) == "0"]
    return can, cannot


def markdown_table() -> str:
    """The map as a Markdown table (docs/ODD.md): one row per lever, one column per outcome."""
    short = [o.replace("participation_", "part. ").replace("_mean", "").replace("_", " ") for o in OUTCOMES]
    lines = ["| lever | " + " | ".join(short) + " |", "|---|" + "---|" * len(OUTCOMES)]
    for kind, lever in LEVERS.items():
        lines.append(f"| `{kind}` | " + " | ".join(lever.sign(o) for o in OUTCOMES) + " |")
    return "\n".join(lines)


__all__ = ["LEVERS", "OUTCOMES", "SIGNS", "TEST_CASES", "TEST_DOSES", "Lever", "lever_note", "markdown_table"]
