"""The layers point one way: no import circle, an API layer that stands alone, no dev tool in the core.

Every import statement of every module is read (those inside functions too, but
not those only for type checkers), so a circle hidden behind a late import
counts as one.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "finizi_b4b"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _type_checking_only(tree: ast.AST) -> set[int]:
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            hidden |= {id(inner) for inner in ast.walk(node)}
    return hidden


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in GRAPH:
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
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


def test_no_import_circle():
    assert _cycles() == []


def test_a_circle_is_found_when_there_is_one():
    GRAPH["finizi_b4b.api.errors"].add("finizi_b4b.tools.messages")
    try:
        assert any("finizi_b4b.api.errors" in cycle for cycle in _cycles())
    finally:
        GRAPH["finizi_b4b.api.errors"].discard("finizi_b4b.tools.messages")


def test_the_api_layer_imports_nothing_above_it():
    above = {
        name: sorted(module for module in imports if not module.startswith("finizi_b4b.api"))
        for name, imports in GRAPH.items()
        if name.startswith("finizi_b4b.api")
    }
    assert {name: modules for name, modules in above.items() if modules} == {}


def test_the_server_core_never_imports_the_developer_tools():
    core = [name for name in GRAPH if not name.startswith(("finizi_b4b.devtools", "finizi_b4b.sandbox"))]
    core = [name for name in core if name not in ("finizi_b4b.cli", "finizi_b4b.checks")]
    reaching = {
        name: sorted(m for m in GRAPH[name] if m.startswith("finizi_b4b.devtools"))
        for name in core
        if not name.startswith("finizi_b4b.checks")
    }
    assert {name: modules for name, modules in reaching.items() if modules} == {}


def test_no_module_generates_code():
    users = [
        name
        for name, path in MODULES.items()
        if any(
            isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("exec", "eval")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    ]
    assert users == []


def _code_strings(tree: ast.AST) -> list[str]:
    """The string constants of a module but its docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_api_path_prefix_is_written_once():
    """Every path of the API starts with one constant (api/fields.py's API); the sandbox, which plays
    the other side of the wire, spells its own routes."""
    found = [
        f"{path.relative_to(PACKAGE)}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "sandbox" not in path.relative_to(PACKAGE).parts
        for text in _code_strings(ast.parse(path.read_text(encoding="utf-8")))
        if "/api/v1" in text
    ]
    assert found == ["api/fields.py: '/api/v1'"]
