"""Architecture rules from STYLE.md, checked by reading every module with ``ast``.

* Every top-level package is one layer, and imports flow only downwards:
  core ← did ← credentials ← servicekit ← issuer | wallet | verifier ← drukid.
  The three roles never import each other. No module imports itself back through others (no
  cycles, counting imports inside functions too).
* Spec logic stays pure: did/ and credentials/ (except their CLIs and the one fetcher with its
  network layer) import no web framework, database, HTTP client or environment access.
* Only credentials/jose.py imports pyjwt or jwcrypto.
* Each module's ``__all__`` is sorted (CONSTANTS, Classes, functions — ruff's RUF022 order).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# One layer per top-level package; a package may import only packages of a lower layer.
LAYER = {
    "core": 0,
    "did": 1,
    "credentials": 2,
    "servicekit": 3,
    "issuer": 4,
    "wallet": 4,
    "verifier": 4,
    "drukid": 5,
}
ROLES = ("issuer", "wallet", "verifier")
PACKAGES = tuple(LAYER)
FRAMEWORKS = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "httpx", "uvicorn", "typer", "rich")
PURE_EXEMPT = {
    "did/_netguard.py",
    "did/fetch.py",
    "did/resolver.py",
    "core/terminal.py",
    "did/cli.py",
    "credentials/cli.py",
    "credentials/x509/cli.py",
    "credentials/oauth/cli.py",
}


def _modules() -> list[Path]:
    found: list[Path] = []
    for package in PACKAGES:
        base = ROOT / package
        if base.is_dir():
            found.extend(sorted(base.rglob("*.py")))
    return found


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _layer_of(module: str) -> tuple[str, int] | None:
    top = module.split(".")[0]
    if top in LAYER:
        return top, LAYER[top]
    return None


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


MODULES = _modules()
LAYER_OF = {
    path: (path.relative_to(ROOT).parts[0], LAYER[path.relative_to(ROOT).parts[0]])
    for path in MODULES
}


def test_every_package_has_a_layer() -> None:
    found = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    unnamed = found - set(LAYER) - {"tests", "benchmarks", "docs", "examples"}
    assert not unnamed, f"top-level packages without a layer in this test: {sorted(unnamed)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_flow_one_way(path: Path) -> None:
    own_name, own_level = LAYER_OF[path]
    for imported in _imports(path):
        target = _layer_of(imported)
        if target is None or target[0] == own_name:
            continue
        name, level = target
        assert level < own_level, (
            f"{path.relative_to(ROOT)} imports {imported}: {own_name} (layer {own_level}) may "
            f"not depend on {name} (layer {level})"
        )


def _imported_modules(path: Path, names: set[str]) -> set[str]:
    """The project modules ``path`` imports; ``from a.b import c`` names the module a.b.c when
    there is one, else a.b."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in names:
                    found.add(full)
                elif node.module in names:
                    found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    names = {_module_name(p) for p in MODULES}
    return {_module_name(p): _imported_modules(p, names) - {_module_name(p)} for p in MODULES}


def _package_of(module: str, graph: dict[str, set[str]]) -> bool:
    return any(other.startswith(module + ".") for other in graph)


def test_no_import_cycles() -> None:
    """Depth-first search over the module graph; a package's ``__init__`` importing its own
    submodules is the package's surface, not a cycle, so edges into a package from inside it
    are left out."""
    graph = _graph()
    for module, edges in graph.items():
        graph[module] = {
            e for e in edges if not (_package_of(e, graph) and module.startswith(e + "."))
        }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if p.parts[len(ROOT.parts)] in ("core", "did", "credentials")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_spec_logic_is_pure(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    if relative in PURE_EXEMPT:
        return
    for imported in _imports(path):
        top = imported.split(".")[0]
        assert top not in FRAMEWORKS, f"{relative} imports {imported}: spec logic stays pure"
        assert imported != "os.environ"
    source = path.read_text(encoding="utf-8")
    assert "os.environ" not in source, f"{relative} reads the environment"
    assert "getenv(" not in source, f"{relative} reads the environment"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_jose_adapter_imports_jose_libraries(path: Path) -> None:
    if path.relative_to(ROOT).as_posix() == "credentials/jose.py":
        return
    for imported in _imports(path):
        assert imported.split(".")[0] not in ("jwt", "jwcrypto"), (
            f"{path.relative_to(ROOT)} imports {imported}; use credentials.jose"
        )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dunder_all_is_sorted(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            assert isinstance(node.value, ast.List | ast.Tuple)
            names = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            assert names == sorted(names, key=_isort_key), (
                f"{path.relative_to(ROOT)}: __all__ is not sorted"
            )


def _isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions."""
    if name.isupper() or (name.upper() == name and "_" in name):
        return 0, name
    if name[:1].isupper():
        return 1, name
    return 2, name
