"""The simulator's modules form layers: no import cycle, and only the entry points import the assembly.

Every import counts, including those under `TYPE_CHECKING` and inside functions: a type-only or late
import still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rcsim

PACKAGE = Path(rcsim.__file__).parent
# The assembly (`rcsim.app`) wires every part together; only the package's entry points may use it:
# `__init__` re-exports `Simulator` and `build_app`, `__main__` runs the server.
ENTRY_POINTS = frozenset({"rcsim", "rcsim.__main__"})


def _module_name(path: Path) -> str:
    parts = ["rcsim", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The rcsim modules `name` imports (a package counts when a name is taken from its `__init__`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in known else target)
    return {imported for imported in found if imported in known and imported != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle is not None:
            return cycle
    return None


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert {"rcsim", "rcsim.app", "rcsim.calls", "rcsim.model"} <= set(graph)
    assert "rcsim.app" in graph["rcsim.__main__"]
    assert "rcsim.config" in graph["rcsim.app"]


def test_no_import_cycles() -> None:
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_only_the_entry_points_import_the_assembly() -> None:
    graph = _graph()
    importers = {name for name, imported in graph.items() if "rcsim.app" in imported}
    assert importers <= ENTRY_POINTS, sorted(importers - ENTRY_POINTS)
    # The package's `__init__` imports the assembly, so no module below may import the package either.
    through_package = {name for name, imported in graph.items() if "rcsim" in imported}
    assert through_package <= {"rcsim.__main__"}, sorted(through_package)
