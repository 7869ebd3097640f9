"""Which outcomes each intervention can move, by construction of the model (placeholder).

``LEVERS[kind][outcome]`` is "+" (can raise it), "-" (can lower it), "±" (can move it either way) or
"0" (cannot move it by construction: no mechanism links the intervention to it). The report reads
this map so that a tight zero difference in an outcome the intervention cannot move is not taken as
evidence that it has no effect.

PLACEHOLDER: a minimal version with the final API, written so that the report can be coded against
it; the lead engineer's full map replaces its content.
"""

from __future__ import annotations

LEVERS: dict[str, dict[str, str]] = {
    "training": {
        "skill_members": "+",
        "skill_mean": "+",
        "umkm_revenue": "±",
        "households": "0",
    },
    "harvest_failure": {
        "harvest": "-",
        "household_income_mean": "-",
        "households": "0",
    },
}


def lever_note(kind: str) -> tuple[list[str], list[str]]:
    """The outcomes intervention ``kind`` can move and those it cannot move by construction.

    A kind or outcome the map does not list is in neither list (not documented).
    """
    levers = LEVERS.get(kind, {})
    can = [o for o, sign in levers.items() if sign != "0"]
    cannot = [o for o, sign in levers.items() if sign == "0"]
    return can, cannot
