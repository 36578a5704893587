"""The package's layering, from its source (ast, no import): no import circle, lazy imports included; the
progress module on the ground floor; no module but the entry point imports the CLI at module level."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "cmd_correct"


def _modules() -> dict[str, Path]:
    out = {}
    for f in PKG.rglob("*.py"):
        parts = list(f.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


MODULES = _modules()


def imports(name: str, *, top_level_only: bool = False) -> set[str]:
    """Package modules `name` imports (a `from pkg import mod` counts as pkg.mod when that is a module)."""
    f = MODULES[name]
    package = name.split(".") if f.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(f.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                mod = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found |= {mod} | {f"{mod}.{a.name}" for a in node.names}
    return {m for m in found if m in MODULES and m != name}


def _graph() -> dict[str, set[str]]:
    """name -> what it imports, plus the package __init__s an import runs first, except the importer's own
    packages (Python has begun those before the importer runs: that is no circle)."""
    graph = {}
    for name in MODULES:
        edges = set()
        for dep in imports(name):
            parts = dep.split(".")
            for i in range(2, len(parts) + 1):
                parent = ".".join(parts[:i])
                if parent != name and not name.startswith(parent + "."):
                    edges.add(parent)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_planted_circle():
    graph = _graph()
    planted = {k: set(v) for k, v in graph.items()}
    planted["cmd_correct.errors"].add("cmd_correct.params")  # params imports errors
    assert any({"cmd_correct.errors", "cmd_correct.params"} <= set(c) for c in _cycles(planted))


def test_no_import_circle_in_the_package():
    assert _cycles(_graph()) == []


def test_progress_is_the_ground_floor():
    assert imports("cmd_correct.progress") == set()


def test_the_name_maps_are_the_ground_floor():
    # stages.py names every command, params section and train backend; the CLI, params and train read it.
    assert imports("cmd_correct.stages") == set()


def test_no_module_imports_the_cli_at_module_level():
    """Stage cores take a progress callback; only their thin `main()` reaches for the CLI's parser."""
    importers = sorted(n for n in MODULES if "cmd_correct.cli" in imports(n, top_level_only=True))
    assert importers == ["cmd_correct.__main__"]
