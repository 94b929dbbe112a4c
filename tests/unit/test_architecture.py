"""Architecture rules from STYLE.md, checked by reading every module with ``ast``.

* Imports flow one way: did ← credentials ← drukid.common ← issuer | wallet | verifier ←
  drukid.cli / drukid.demo / drukid.serve. The three roles never import each other.
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
PACKAGES = ("did", "credentials", "drukid", "issuer", "wallet", "verifier")
LAYER = {"did": 0, "credentials": 1, "drukid.common": 2, "issuer": 3, "wallet": 3, "verifier": 3}
TOP = {"drukid.cli", "drukid.demo", "drukid.serve", "drukid.web"}
FRAMEWORKS = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "httpx", "uvicorn", "typer", "rich")
PURE_EXEMPT = {
    "did/_netguard.py",
    "did/fetch.py",
    "did/resolver.py",
    "did/cli.py",
    "credentials/cli.py",
    "credentials/x509/cli.py",
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
    if module.startswith("drukid."):
        head = ".".join(module.split(".")[:2])
        if head in TOP:
            return head, 4
        if head == "drukid.common":
            return head, LAYER[head]
        return None
    top = module.split(".")[0]
    if top in LAYER:
        return top, LAYER[top]
    return None


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


MODULES = _modules()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_flow_one_way(path: Path) -> None:
    own = _layer_of(_module_name(path))
    if own is None:
        return
    own_name, own_level = own
    for imported in _imports(path):
        target = _layer_of(imported)
        if target is None:
            continue
        name, level = target
        if name == own_name:
            continue
        assert level < own_level or (own_level == 4), (
            f"{path.relative_to(ROOT)} imports {imported}: {own_name} may not depend on {name}"
        )
        if own_level == 3:
            assert level < 3, f"{path.relative_to(ROOT)}: roles never import each other"


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if p.parts[len(ROOT.parts)] in ("did", "credentials")],
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
