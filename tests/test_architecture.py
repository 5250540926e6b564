"""The house in layers: imports go down only, no cycles, no private names across modules.

Every module of ``src/chainrule`` is read with :mod:`ast` (nothing is imported), and every
import is counted, including imports inside functions and under ``TYPE_CHECKING``: a lazy
import is still a dependency.  docs/architecture.md draws the same layers.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "chainrule"

# Rank of each top-level part of the package: a module may import parts of a lower rank,
# and modules of its own part; never a part of the same or a higher rank.
RANK = {
    "errors": 0,
    "utils": 1,
    "optim": 2,
    "nn": 2,
    "data": 3,
    "io": 3,
    "train": 5,
    "model": 6,  # the trained thing: network + preprocessing + target encoding; fits via train
    "viz": 7,
    # the faces, each one library call away from the layers below
    "distributed": 8,
    "estimators": 9,
    "interop": 9,
    "tour": 9,
    "playground": 10,
    "cli": 11,
    "__main__": 12,
}

# The bottom of the house needs NumPy only (SciPy for L-BFGS, imported where it is used;
# array-api-compat for the arrays of other libraries, imported by utils/namespace.py only
# when such an array arrives: test_array_api_compat_is_imported_lazily).
NUMPY_ONLY = {"errors", "utils", "optim", "nn"}
ALLOWED_THIRD_PARTY = {"numpy", "scipy", "array_api_compat"}

# Debts of the move into layers, each to be paid by the redesign (issue "one model, one engine,
# a house in layers"); a test fails when a debt is paid and not struck off here, so the list
# can only shrink.
KNOWN_CYCLES: list[list[str]] = []
KNOWN_HEAVY_IMPORTS: set[str] = set()

# Names of other objects' attributes that are public despite their underscore.
PUBLIC_UNDERSCORED = {"_asdict", "_replace", "_fields", "_make", "_repr_html_",
                      "_repr_latex_", "_repr_mimebundle_", "_repr_pretty_"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(("chainrule", *parts))
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str) -> list[tuple[str, int, list[str]]]:
    """(imported module, line, names taken from it) for every import in the module."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, node)
            names = [a.name for a in node.names]
            # `from . import x` names a submodule when x is one
            subs = [n for n in names if f"{target}.{n}" in MODULES]
            found += [(f"{target}.{n}", node.lineno, []) for n in subs]
            rest = [n for n in names if n not in subs]
            if rest or not subs:
                found.append((target, node.lineno, rest))
    return found


def _part(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _internal(target: str) -> str | None:
    """The chainrule module a dotted import refers to (the longest known prefix)."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def test_every_part_has_a_rank():
    parts = {_part(m) for m in MODULES} - {"__init__"}
    assert parts <= set(RANK), f"give these a rank in RANK and docs/architecture.md: " \
                               f"{sorted(parts - set(RANK))}"


def _upward_imports() -> list[str]:
    bad = []
    for name in MODULES:
        part = _part(name)
        if part == "__init__":
            continue  # the package's front door re-exports from every layer
        for target, line, _ in _imports(name):
            if not target.startswith("chainrule"):
                continue
            other = _part(_internal(target) or target)
            if other == part:
                continue
            if other == "__init__":
                bad.append(f"{name}:{line} imports the package root ({target})")
            elif RANK[other] >= RANK[part]:
                bad.append(f"{name}:{line} ({part}, rank {RANK[part]}) imports {target} "
                           f"({other}, rank {RANK[other]})")
    return bad


def test_imports_go_down_only():
    assert _upward_imports() == []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name in MODULES:
        for target, _, _names in _imports(name):
            mod = _internal(target)
            if mod is not None and mod != name:
                graph[name].add(mod)
    return graph


def test_no_import_cycles():
    graph = _graph()
    # Tarjan's strongly connected components: a component of more than one module is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
            # a package importing its own submodules is not a cycle by itself
            real = [m for m in component if not _is_package(m) or
                    any(m in graph.get(o, ()) for o in component if o != m)]
            if len(real) > 1:
                cycles.append(sorted(component))

    for v in MODULES:
        if v not in index:
            visit(v)
    assert sorted(cycles) == KNOWN_CYCLES


def test_the_bottom_layers_import_numpy_only():
    bad = []
    for name in MODULES:
        if _part(name) not in NUMPY_ONLY:
            continue
        for target, line, _ in _imports(name):
            top = target.split(".")[0]
            if top in ("chainrule", "__future__") or top in ALLOWED_THIRD_PARTY:
                continue
            if top in _stdlib():
                continue
            bad.append(f"{name}:{line} imports {target}")
    assert {b.split(":")[0] for b in bad} == KNOWN_HEAVY_IMPORTS, bad


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)


def _own_private_names(tree: ast.Module) -> set[str]:
    """Underscored methods and ``self._x`` attributes that the module itself defines."""
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) and node.value.id == "self":
            own.add(node.attr)
    return {n for n in own if n.startswith("_")}


def _private_uses() -> list[str]:
    bad = []
    for name in MODULES:
        for target, line, names in _imports(name):
            if _internal(target) is None:
                continue
            bad += [f"{name}:{line} imports {n} from {target}" for n in names
                    if n.startswith("_") and not n.startswith("__")]
        tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
        own = _own_private_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            attr = node.attr
            if not attr.startswith("_") or attr.startswith("__") or attr in PUBLIC_UNDERSCORED:
                continue
            if attr in own:
                continue  # a private name of this very module's classes
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "super":
                continue
            if isinstance(owner, ast.Name) and owner.id in ("np", "os", "sys", "signal"):
                continue
            bad.append(f"{name}:{node.lineno} uses .{attr} of {ast.unparse(owner)}")
    return bad


@pytest.mark.parametrize("check", ["imports", "attributes"])
def test_no_private_name_crosses_a_module(check):
    found = _private_uses()
    found = [f for f in found if (" imports " in f) == (check == "imports")]
    assert found == []


def test_array_api_compat_is_imported_lazily():
    """Only utils/namespace.py imports array-api-compat, and only inside a function."""
    found = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                if any(n.split(".")[0] == "array_api_compat" for n in names):
                    found.append((name, id(node) in top_level))
    assert found == [("chainrule.utils.namespace", False)]
