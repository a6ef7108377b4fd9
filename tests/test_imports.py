"""No import cycles inside the package, and a criteria registry that loads no build code.

Every module of ``growthzones`` is parsed with :mod:`ast` (not imported), so lazy imports
inside functions count too: a cycle hidden behind a function-level import still makes
the order of imports matter and is reported here.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import growthzones

PACKAGE = "growthzones"

#: Known cycles in files this change does not own, each as its sorted module tuple; the
#: lead empties this list once they are fixed. Keep it explicit: a new cycle must fail.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def package_modules() -> dict[str, Path]:
    """Every module of the package by dotted name, with its source file."""
    root = Path(growthzones.__file__).parent
    mods = {PACKAGE: root / "__init__.py"}
    for info in pkgutil.walk_packages([str(root)], prefix=PACKAGE + "."):
        rel = info.name.split(".")[1:]
        path = root.joinpath(*rel)
        mods[info.name] = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
    return mods


def _resolve(module: str, is_pkg: bool, level: int, target: str | None) -> str:
    """Absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    parts = module.split(".")
    base = parts if is_pkg else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """Package modules that ``module`` imports anywhere in its source (any nesting)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] == PACKAGE]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                src = _resolve(module, is_pkg, node.level, node.module)
            elif node.module and node.module.split(".")[0] == PACKAGE:
                src = node.module
            else:
                continue
            # ``from . import x`` imports the submodule x when there is one.
            names = [f"{src}.{a.name}" if f"{src}.{a.name}" in known else src
                     for a in node.names]
        else:
            continue
        for name in names:
            while name not in known and "." in name:  # growthzones.grid.BNG -> .grid
                name = name.rsplit(".", 1)[0]
            if name in known and name != module:
                out.add(name)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = package_modules()
    known = set(mods)
    return {m: imports_of(m, p, known) for m, p in mods.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[tuple[str, ...]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
                out.append(tuple(sorted(comp)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_find_cycles_on_a_hand_made_graph():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert find_cycles(graph) == [("a", "b", "c")]


def test_relative_imports_resolve_like_python():
    assert _resolve("growthzones.store", False, 1, None) == "growthzones"
    assert _resolve("growthzones.layers.land", False, 2, "grid") == "growthzones.grid"
    assert _resolve("growthzones.layers", True, 1, "land") == "growthzones.layers.land"
    assert (_resolve("growthzones.layers.grid_capacity.placement", False, 3, "catalog")
            == "growthzones.catalog")


def test_the_graph_sees_module_and_function_level_imports():
    graph = import_graph()
    assert "growthzones.layers.grid_capacity.network" in graph
    # function-level: build.build_store imports layers.base inside the function
    assert "growthzones.layers.base" in graph["growthzones.build"]


def test_no_import_cycles_in_the_package():
    graph = import_graph()
    cycles = [c for c in find_cycles(graph) if c not in KNOWN_CYCLES]
    detail = "\n".join(
        "  " + " <-> ".join(c) + "\n    edges: " + ", ".join(
            f"{a} -> {b}" for a in c for b in sorted(graph[a]) if b in c)
        for c in cycles)
    assert not cycles, f"{len(cycles)} import cycle(s) in {PACKAGE}:\n{detail}"


def test_criteria_registry_imports_no_build_code():
    # The registry package itself imports only the standard library (and its own modules) ...
    mods = {m: p for m, p in package_modules().items()
            if m == f"{PACKAGE}.criteria" or m.startswith(f"{PACKAGE}.criteria.")}
    assert len(mods) > 1, mods  # the package and its theme modules
    imported: set[str] = set()
    for module, path in mods.items():
        tree = ast.parse(path.read_text("utf-8"))
        imported |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                     for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        inside = {_resolve(module, path.name == "__init__.py", n.level, n.module)
                  for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level}
        assert all(m.startswith(f"{PACKAGE}.criteria") for m in inside), (module, inside)
    assert imported <= {"__future__", "dataclasses", "typing"}, imported
    # ... and loading it (after the package) pulls in none of the layer build modules.
    code = ("import sys, growthzones.criteria as c; assert len(c.REGISTRY) > 30; "
            "print(sorted(m for m in sys.modules if m.startswith('growthzones.layers')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(growthzones.__file__).parent.parent)
    assert res.stdout.strip() == "[]", res.stdout
