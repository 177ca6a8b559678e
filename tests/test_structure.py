"""The shape of the code: no import circles, PuLP in one module, no oversized files.

Imports inside functions count: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "optimiser", "bedplan")
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def import_graph() -> nx.DiGraph:
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        for target in _imports(name, path, set(mods)):
            # A package's __init__ is imported by its submodules implicitly: not an edge.
            if name.startswith(target + "."):
                continue
            g.add_edge(name, target)
    return g


def test_the_import_graph_has_no_circle():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], f"import circles: {cycles[:5]}"


def test_pulp_is_imported_by_exactly_one_module():
    users = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            if "pulp" in roots:
                users.append(name)
    assert sorted(set(users)) == ["optimiser.core.formulation"]


def test_no_python_file_is_over_800_lines():
    big = []
    for path in ROOT.rglob("*.py"):
        if any(p in path.parts for p in (".venv", "build", ".git")):
            continue
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            big.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert big == []


def test_layers_point_one_way():
    """models → geography → core → planning → report → bedplan; never backwards."""
    order = ["models", "optimiser.geography", "optimiser.core", "optimiser.planning",
             "optimiser.report", "bedplan"]

    def layer(module: str) -> int:
        return max(i for i, prefix in enumerate(order)
                   if module == prefix or module.startswith(prefix + "."))

    backwards = [(a, b) for a, b in import_graph().edges
                 if layer(b) > layer(a)]
    assert backwards == []
