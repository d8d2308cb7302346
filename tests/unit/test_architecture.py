# SPDX-License-Identifier: GPL-3.0-or-later
"""The shape of plugins/ (CONTRIBUTING.md, "Layers"): imports flow one way, there is no import cycle, and no
function in module_utils is longer than 60 lines.

Imports are read from the source with ``ast`` (every import, also those inside functions, because AnsiballZ bundles
those too), so a cycle that only shows at run time in a rare path is caught here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "plugins"
PREFIX = "ansible_collections.signet.azure.plugins."
MAX_FUNCTION_LINES = 60

# Lower layers never import higher ones. Within a layer, imports are allowed as long as they form no cycle.
LAYERS = (
    (
        "foundation",
        (
            "module_utils._errors",
            "module_utils._xml",
            "module_utils._redact",
            "module_utils._clouds",
            "module_utils._signing",
            "module_utils._retry",
            "module_utils._certs",
            "module_utils._argspec",
            "module_utils._localfile",
            "module_utils._defaults",
            "module_utils._deps",
        ),
    ),
    ("settings", ("module_utils._settings",)),
    ("auth", ("module_utils._auth",)),
    ("transport", ("module_utils._transport", "module_utils._explain")),
    ("clients", ("module_utils._clients",)),
    ("plans", ("module_utils._plans",)),
    ("module glue", ("module_utils._module",)),
    ("plugins", ("modules", "lookup", "doc_fragments")),
)
# Functions allowed to be longer than MAX_FUNCTION_LINES, each with the reason (CONTRIBUTING.md repeats it).
LONG_FUNCTIONS_ALLOWED: dict[str, str] = {}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PLUGINS).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PLUGINS.rglob("*.py"))}


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level:
        base = current.split(".")
        if not is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        root = ".".join(base + ([node.module] if node.module else []))
    elif node.module and node.module.startswith(PREFIX):
        root = node.module[len(PREFIX) :]
    else:
        return []
    # "from .pkg import mod" names a module when pkg/mod.py exists; otherwise it names an attribute of root
    return [root + "." + alias.name for alias in node.names] + [root]


def import_graph() -> dict[str, set[str]]:
    sources = _sources()
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, path in sources.items():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(name, path.name == "__init__.py", node)
            elif isinstance(node, ast.Import):
                targets = [a.name[len(PREFIX) :] for a in node.names if a.name.startswith(PREFIX)]
            for target in targets:
                if target in sources and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer_of(name: str) -> int:
    for rank, (_label, prefixes) in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    if name == "module_utils":
        return 0
    raise AssertionError("%s belongs to no layer: add it to LAYERS and to CONTRIBUTING.md's map" % name)


def test_graph_is_read():
    graph = import_graph()
    assert "module_utils._module" in graph["modules.storage_blob"]
    assert "module_utils._errors" in graph["module_utils._transport"]


def test_no_import_cycles():
    assert _cycles(import_graph()) == []


def test_cycle_detector_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_flow_one_way():
    wrong = []
    for name, targets in import_graph().items():
        for target in targets:
            if layer_of(target) > layer_of(name):
                wrong.append("%s (%s) imports %s (%s)" % (name, LAYERS[layer_of(name)][0], target, LAYERS[layer_of(target)][0]))
    assert wrong == []


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


@pytest.mark.parametrize("path", sorted((PLUGINS / "module_utils").rglob("*.py")), ids=lambda p: str(p.relative_to(PLUGINS)))
def test_functions_are_short(path):
    too_long = []
    for fn in _functions(ast.parse(path.read_text(), str(path))):
        length = fn.end_lineno - fn.lineno + 1
        key = "%s:%s" % (path.relative_to(PLUGINS / "module_utils"), fn.name)
        if length > MAX_FUNCTION_LINES and key not in LONG_FUNCTIONS_ALLOWED:
            too_long.append("%s (%d lines)" % (key, length))
    assert too_long == []
