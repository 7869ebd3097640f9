"""Mutation testing of the model's wiring: ``python tools/mutation.py [--list] [--only SUBSTRING] [--jobs N]``.

A wiring mutant is the model with one causal link broken: a phase call deleted from
``CooperativeModel.step`` (found from its source, so a new phase gets its mutant), or a sign
flipped / a term cut in the equation of a mechanism (the :data:`MECHANISM_MUTANTS` below). Each
mutant is written into a copy of the source tree and the model-level tests run against it,
stopping at the first failure (``pytest -x``). A mutant is *killed* when a test fails; the kill
rate is the share killed. The target (docs/ODD.md, III.1) is at least 80%.

Why not mutmut: mutmut mutates every operator of every line (thousands of mutants, most in
code that is not wiring, each needing the slow model-level tests), and it runs the tests in a
``mutants/`` copy that the installed package name ``kopsim`` (mapped from ``simulation/``) does
not resolve to. This harness mutates the wiring only and imports the copy as ``kopsim``.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The model-level tests, fastest first so that most mutants die early.
TESTS = [
    "tests/test_mechanisms.py",
    "tests/test_model.py",
    "tests/test_agencies.py",
    "tests/test_accounts.py",
    "tests/test_wiring.py",
    "tests/test_levers.py",
    "tests/test_dynamics.py",
    "tests/test_credit.py",
    "tests/test_partnership.py",
    "tests/test_cases.py",
    "tests/test_programmes.py",
]
# (file, text, replacement, what the mutant breaks)
MECHANISM_MUTANTS: list[tuple[str, str, str, str]] = [
    (
        "finance.py",
        "    accounts.book(s, c, interest, income=True)\n",
        "",
        "the interest a cooperative receives is not booked as income",
    ),
    (
        "units.py",
        "    s.coop_income_ytd += revenue.reshape(C, U).sum(axis=1)",
        "    pass",
        "business units' revenue is not booked",
    ),
    (
        "contacts.py",
        "used_ties(rng, ties.strength, agencies.contact_weights(world), np_.contact_rate)",
        "used_ties(rng, ties.strength, ties.reach, np_.contact_rate)",
        "who started a tie does not change its use",
    ),
    (
        "agencies.py",
        "return np.where(top_down & touches_agency, factor, 1.0)",
        "return np.where(top_down & touches_agency, 1.0, factor)",
        "sought ties used less than top-down ones",
    ),
    (
        "agencies.py",
        "renew = np.flatnonzero(asked & s.licensed)",
        "renew = np.flatnonzero(asked & ~asked)",
        "contact with the certifier renews nothing",
    ),
    (
        "agencies.py",
        "granted[order] = np.clip(affordable - before, 0, d)",
        "granted[order] = d",
        "budgets do not limit programmes",
    ),
    (
        "agencies.py",
        "key = (~applicants(world, provider)).astype(float)",
        "key = applicants(world, provider).astype(float)",
        "applicants served last",
    ),
    (
        "agencies.py",
        "return ~s.misconduct_detected",
        "return np.ones(s.n_coops, dtype=bool)",
        "misconduct withholds nothing",
    ),
    ("trust.py", "np.clip(trust + gain - loss", "np.clip(trust + gain + loss", "negative experience raises trust"),
    (
        "trust.py",
        "disappointed = (used & ~satisfied)",
        "disappointed = (used & satisfied)",
        "satisfying service disappoints",
    ),
    (
        "contacts.py",
        "(met & ~fair) * tp.unfair_treatment_weight",
        "(met & fair) * tp.unfair_treatment_weight",
        "fair treatment erodes board trust",
    ),
    (
        "participation.py",
        "intercept - cost + benefit_weight * benefit",
        "intercept - cost - benefit_weight * benefit",
        "benefit lowers participation",
    ),
    ("participation.py", "+ norm_weight * norm", "- norm_weight * norm", "neighbours' participation discourages"),
    ("participation.py", "+ trust_weight * trust)", "- trust_weight * trust)", "institutional trust discourages"),
    (
        "membership.py",
        "return rate * trust * members_benefit",
        "return rate * (1.0 - trust) * members_benefit",
        "distrust attracts members",
    ),
    (
        "membership.py",
        "return rate * (1.0 - trust) * (1.0 - benefit)",
        "return rate * trust * (1.0 - benefit)",
        "trust drives exits",
    ),
    (
        "governance.py",
        "participation + effect * (1.0 - participation)",
        "participation - effect * participation",
        "sanctions lower participation",
    ),
    (
        "governance.py",
        "np.minimum(1.0, harm * share[safe_coop])",
        "np.minimum(1.0, 0.0 * share[safe_coop])",
        "free-riding harms nobody",
    ),
    ("governance.py", "pos = (attended & shu_paid)", "pos = (attended & ~shu_paid)", "a year without SHU pleases"),
    (
        "governance.py",
        "mobilisation + (1.0 - mobilisation) * org_participation",
        "mobilisation",
        "attendance ignores involvement",
    ),
    (
        "reciprocity.py",
        "+ trust_weight * (trust_giver - 0.5)",
        "- trust_weight * (trust_giver - 0.5)",
        "trusting givers help less",
    ),
    (
        "reciprocity.py",
        "+ image_weight * (image_receiver - 0.5)",
        "- image_weight * (image_receiver - 0.5)",
        "good reputation is punished",
    ),
    ("information.py", "-(transmission * exposure_ + broadcast)", "-(broadcast)", "contacts carry no news"),
    (
        "information.py",
        "(rng.random(informed.shape[0]) >= rate)",
        "(rng.random(informed.shape[0]) < rate)",
        "forgetting inverted",
    ),
    ("skills.py", "skill - rate * (skill - baseline)", "skill + rate * (skill - baseline)", "skill grows unused"),
    ("skills.py", "skill + gain * (1.0 - skill), skill)", "skill, skill)", "training teaches nothing"),
    (
        "skills.py",
        "1.0 + skill_return * (skill - reference)",
        "1.0 - skill_return * (skill - reference)",
        "skill lowers yields",
    ),
]


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    line: int  # 1-based line to replace (phase mutants) or 0 (text mutants)
    old: str
    new: str


def phase_mutants() -> list[Mutant]:
    """One mutant per call statement in ``CooperativeModel.step``: the call deleted."""
    path = ROOT / "simulation" / "model.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    step = next(
        node
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == "CooperativeModel"
        for node in cls.body
        if isinstance(node, ast.FunctionDef) and node.name == "step"
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for node in ast.walk(step):
        for stmt in getattr(node, "body", []):
            # a phase: a call whose result is discarded or stored on the model (a result bound to a
            # local name feeds later phases, so deleting it fails by NameError and says nothing)
            phase = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            phase |= (
                isinstance(stmt, ast.Assign)
                and isinstance(stmt.value, ast.Call)
                and all(isinstance(t, ast.Attribute) for t in stmt.targets)
            )
            if not phase:
                continue
            text = "\n".join(lines[stmt.lineno - 1 : stmt.end_lineno])
            # bookkeeping, not a causal link; refresh_board_tie is a cache that readers refresh themselves,
            # so deleting an eager call is an equivalent mutant
            if any(word in text for word in ("datacollector", "begin_month", "metrics.collect", "refresh_board_tie")):
                continue
            first = lines[stmt.lineno - 1]
            indent = first[: len(first) - len(first.lstrip())]
            name = " ".join(text.split())
            out.append(Mutant(f"phase deleted: {name[:90]}", "model.py", stmt.lineno, text, f"{indent}pass"))
    return out


def mechanism_mutants() -> list[Mutant]:
    return [Mutant(f"{file}: {why}", file, 0, old, new) for file, old, new, why in MECHANISM_MUTANTS]


def write_copy(mutant: Mutant, into: Path) -> None:
    """A copy of the source tree with ``mutant`` applied."""
    for folder in ("simulation", "experiments", "scenarios", "tests", "docs"):
        shutil.copytree(ROOT / folder, into / folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = into / "simulation" / mutant.file
    text = path.read_text(encoding="utf-8")
    if mutant.line:
        lines = text.splitlines()
        span = mutant.old.count("\n") + 1
        assert "\n".join(lines[mutant.line - 1 : mutant.line - 1 + span]) == mutant.old
        lines[mutant.line - 1 : mutant.line - 1 + span] = [mutant.new]
        text = "\n".join(lines) + "\n"
    else:
        if text.count(mutant.old) != 1:
            raise SystemExit(f"tools/mutation.py: {mutant.file}: {mutant.old!r} found {text.count(mutant.old)} times")
        text = text.replace(mutant.old, mutant.new)
    path.write_text(text, encoding="utf-8")
    (into / "pkg").mkdir()
    (into / "pkg" / "kopsim").symlink_to(into / "simulation")


BOOT = (
    "import sys; root = sys.argv[1]; sys.path.insert(0, root + '/pkg'); sys.path.insert(0, root + '/tests'); "
    "import kopsim; assert kopsim.__file__.startswith(root), kopsim.__file__; kopsim.__path__.append(root); "
    "import pytest; sys.exit(pytest.main(['-x', '-q', '-p', 'no:cacheprovider', *sys.argv[2:]]))"
)


def run(mutant: Mutant) -> tuple[Mutant, bool, float]:
    """(mutant, killed, seconds)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kopsim-mutant-") as tmp:
        root = Path(tmp)
        write_copy(mutant, root)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            [sys.executable, "-c", BOOT, str(root), *(str(root / t) for t in TESTS)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
    return mutant, proc.returncode != 0, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--only", default="", help="run only mutants whose name contains this")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once")
    args = parser.parse_args(argv)
    mutants = [m for m in phase_mutants() + mechanism_mutants() if args.only in m.name]
    if args.list:
        for m in mutants:
            print(m.name)
        return 0
    killed = 0
    with ThreadPoolExecutor(args.jobs) as pool:
        for k, (m, dead, secs) in enumerate(pool.map(run, mutants), 1):
            killed += dead
            print(f"[{k}/{len(mutants)}] {'killed  ' if dead else 'SURVIVED'} {secs:6.0f} s  {m.name}", flush=True)
    print(f"kill rate: {killed}/{len(mutants)} = {killed / max(len(mutants), 1):.0%} (target >= 80%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
