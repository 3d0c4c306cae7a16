"""The import graph is one-way: no cycles (function-level imports included) and no layer reaching up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "conformance"

# The layers, top to bottom, as README.md's "How it is built" draws them: imports only go down or sideways.
LAYERS = (
    ("conformance.__main__", "conformance.cli", "conformance.commands", "conformance.suite"),
    ("conformance.scenarios",),
    ("conformance.runner", "conformance.proxy"),
    ("conformance.reports",),
    ("conformance.results",),
    ("conformance.checks",),
    ("conformance.strategies",),
    ("conformance.emulator",),
    ("conformance.profiles",),
    ("conformance.spec",),
    ("conformance.exchange", "conformance.sse", "conformance.redact", "conformance.errors", "conformance"),
    ("conformance.kinds",),  # the vocabularies; imports nothing of the package
)


def layer_of(module: str) -> int:
    for depth, prefixes in enumerate(LAYERS):
        if any(module == p or (p != "conformance" and module.startswith(p + ".")) for p in prefixes):
            return depth
    raise AssertionError(f"{module} is in no layer of the picture")


def _modules() -> dict[str, Path]:
    found = {}
    # conformance/strategies is a link to strategies/, which rglob does not follow by itself
    for path in {*PACKAGE.rglob("*.py"), *(PACKAGE / "strategies").rglob("*.py")}:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of the package `path` imports at run time, at any depth of the file."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for node in ast.walk(branch)
    }
    names = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    out = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name:
            out.add(name)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_only_go_down_the_layers(graph: dict[str, set[str]]) -> None:
    upward = {
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if layer_of(target) < layer_of(module)
    }
    assert upward == set()


def test_the_emulator_depends_on_spec_loading_only(graph: dict[str, set[str]]) -> None:
    used = {t for m, ts in graph.items() if m.startswith("conformance.emulator") for t in ts}
    assert {t for t in used if not t.startswith("conformance.emulator")} <= {
        "conformance.spec",
        *(m for m in graph if m.startswith("conformance.spec.")),
        *LAYERS[-2],
        *LAYERS[-1],
    }


def test_every_module_is_in_the_picture(graph: dict[str, set[str]]) -> None:
    for module in graph:
        layer_of(module)
