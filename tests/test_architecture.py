"""The shape of the code, checked from its own imports: layers, no circles, pure cores, few lazy imports.

Layers, lowest first: framework-free facts about the public data sets (public_data) < the project (inventory_site) < inventory < forecasting < replenishment and
insights < staff (the pages, on top). A module imports its own app and lower layers only; the
pure cores (forecasting/ml, replenishment/rl, replenishment/policies, replenishment/optimise.py)
import no Django and no app code outside themselves; no two modules import each other, directly
or through others; an import inside a function is rare and says why on its line or the line above.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"public_data": 0, "inventory_site": 1, "inventory": 2, "forecasting": 3, "replenishment": 4, "insights": 4, "staff": 5}
PURE_CORES = ("public_data/", "forecasting/ml/", "replenishment/rl/", "replenishment/policies/", "replenishment/optimise.py")
# framework-free facts any layer may use, the pure cores included
SHARED_PURE = ("public_data",)
FRAMEWORKS = ("django", "rest_framework", "celery", "kombu", "drf_spectacular", "django_filters")
MAX_FUNCTION_IMPORTS = 30


def _modules() -> dict[str, Path]:
    found = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    """First-party module names an import statement refers to."""
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    out = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name:
            out.append(name)
    return sorted(set(out))


def _imports():
    """(module, imported module, line, inside a function) for every first-party import."""
    rows = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inner = {id(sub) for f in functions for sub in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _resolve(module, node, path.name == "__init__.py"):
                    if target != module:
                        rows.append((module, target, node.lineno, id(node) in inner))
    return rows


IMPORTS = _imports()


def _app(module: str) -> str:
    return module.split(".")[0]


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = [(m, t, line) for m, t, line, _ in IMPORTS
              if _app(m) != _app(t) and LAYERS[_app(t)] >= LAYERS[_app(m)]]
    assert upward == [], "imports that run back up (or across a layer): " + repr(upward)


def test_no_app_imports_the_staff_pages():
    assert [(m, t) for m, t, _, _ in IMPORTS if _app(t) == "staff" and _app(m) != "staff"] == []


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    for m, t, _, _ in IMPORTS:
        graph.setdefault(m, set()).add(t)
    index, low, stack, on_stack, circles, counter = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
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
            if len(component) > 1:
                circles.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert circles == []


def _core_of(rel: str) -> str | None:
    """The dotted package of the pure core a file belongs to, or None."""
    for core in PURE_CORES:
        if rel.startswith(core):
            return core.rstrip("/").removesuffix(".py").replace("/", ".")
    return None


def test_the_pure_cores_import_no_framework_and_no_app():
    offenders = []
    for module, path in MODULES.items():
        core = _core_of(str(path.relative_to(ROOT)))
        if core is None:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue  # relative imports stay inside the core's own package
            for name in names:
                top = name.split(".")[0]
                if top in FRAMEWORKS or (top in LAYERS and top not in SHARED_PURE and not name.startswith(core)):
                    offenders.append((module, name))
    assert offenders == []


def _group_comment(lines: list[str], index: int) -> bool:
    """Whether the run of import (and blank) lines above line ``index`` starts with a comment."""
    k = index - 1
    while k >= 0 and (not lines[k].strip() or lines[k].strip().startswith(("from ", "import "))):
        k -= 1
    return k >= 0 and lines[k].strip().startswith("#")


def test_imports_inside_functions_are_few_and_say_why():
    """Fewer than 30, and each says why: on its own line, in a comment heading the group of imports
    it belongs to, or in the docstring of the function that holds it ("imported on first use")."""
    found, silent = [], []
    for module, path in MODULES.items():
        lines = path.read_text().splitlines()
        tree = ast.parse(path.read_text())
        for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            docstring = ast.get_docstring(function) or ""
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found.append((module, node.lineno))
                    here = lines[node.lineno - 1]
                    if "#" not in here and not _group_comment(lines, node.lineno - 1) and "import" not in docstring:
                        silent.append((module, node.lineno, here.strip()))
    assert len(found) < MAX_FUNCTION_IMPORTS, f"{len(found)} imports inside functions: {found}"
    assert silent == [], "imports inside functions without a reason: " + repr(silent)
