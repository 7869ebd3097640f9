"""The layers hold: no import cycle anywhere, and the simulation never imports the experiments.

Every ``import`` statement of every module is read from the source (those inside functions
too, since a lazy import is still a dependency), so a cycle that lazy imports only dodge at
run time is found as well. Imports under ``if TYPE_CHECKING:`` are for annotations only and
are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
# source folder -> package it installs as (pyproject.toml [tool.setuptools.package-dir])
PACKAGES = {"simulation": "kopsim", "experiments": "kopsim.experiments", "scenarios": "kopsim.scenarios"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = [PACKAGES[rel.parts[0]], *rel.parts[1:]]
    parts[-1] = parts[-1].removesuffix(".py")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for folder in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the project that ``name`` imports (resolving relative imports)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _is_type_checking(block.test)
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            targets = [f"{mod}.{alias.name}" if f"{mod}.{alias.name}" in known else mod for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import kopsim.x.y` depends on the deepest known module
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target in _imports(name, path, set(modules)):
            graph.add_edge(name, target)
    return graph


def _is_entry_point(name: str) -> bool:
    # `python -m kopsim` stands above both layers: nothing imports a __main__ module
    return name.endswith("__main__")


def test_the_graph_sees_the_imports():
    graph = import_graph()
    assert graph.has_edge("kopsim.model", "kopsim.parameters")
    assert graph.has_edge("kopsim.experiments.runner", "kopsim.experiments.store")
    assert graph.number_of_nodes() > 30


def test_no_import_cycle():
    graph = import_graph()
    cycles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_the_simulation_never_imports_the_experiments():
    graph = import_graph()
    bad = [
        (a, b)
        for a, b in graph.edges
        if not a.startswith("kopsim.experiments") and not _is_entry_point(a) and b.startswith("kopsim.experiments")
    ]
    assert not bad, f"simulation -> experiments: {bad}"


def test_errors_are_the_bottom_layer():
    graph = import_graph()
    assert list(graph.successors("kopsim.errors")) == []
