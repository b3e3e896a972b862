"""The layer contracts ([tool.importlinter] in pyproject.toml, run by `lint-imports` in `make lint`) cover every
top-level package, and they do fail: a page object that imports the portal twin breaks them. No two modules import
each other, even through others or only for type checking: import-linter has no contract for that, grimp's graph
(which import-linter builds on) shows it. The project's tests share helpers through helper modules and fixtures through
conftest, never by importing a test module or a conftest (pytest loads those itself, under names of its choosing)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
NOT_PRODUCT = {"tests"}  # the project's own tests may import any layer


def _root_packages() -> list[str]:
    """The packages lint-imports checks, as the configuration names them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [str(name) for name in config["tool"]["importlinter"]["root_packages"]]


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on `tree` with the project's own contracts (it imports the packages from its working folder)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_name_every_top_level_package() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - NOT_PRODUCT
    assert set(_root_packages()) == packages


def test_a_page_object_that_imports_the_portal_breaks_the_contracts(tmp_path: Path) -> None:
    """The real contracts on a copy of the tree where one page object reaches into the twin: lint-imports fails and
    names the contract and the import."""
    for package in _root_packages():
        if package == "pages":
            shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (tmp_path / package).symlink_to(ROOT / package, target_is_directory=True)
    (tmp_path / "pages" / "shortcut.py").write_text("from portal.config import SYSTEMS\n", encoding="utf-8")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Page objects stand on domain/ alone" in result.stdout
    assert "BROKEN" in result.stdout
    assert "pages.shortcut -> portal.config" in result.stdout


def _outside_the_standard_library(graph: grimp.ImportGraph, package: str) -> dict[str, set[str]]:
    """Module of `package` → what it imports that is neither the standard library nor `package` itself."""
    found: dict[str, set[str]] = {}
    for module in graph.find_descendants(package) | {package}:
        for imported in graph.find_modules_directly_imported_by(module):
            top = imported.split(".")[0]
            if top != package and top not in sys.stdlib_module_names:
                found.setdefault(module, set()).add(imported)
    return found


def test_domain_stands_on_the_standard_library_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any layer may import domain/, so it may pull in nothing else: not Faker, not FastAPI, not the simulators."""
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph("domain", include_external_packages=True, cache_dir=None)
    assert _outside_the_standard_library(graph, "domain") == {}


def test_the_standard_library_check_sees_a_third_party_import() -> None:
    graph = grimp.ImportGraph()
    graph.add_module("domain")
    graph.add_import(importer="domain.citizen", imported="dataclasses")
    graph.add_import(importer="domain.citizen", imported="domain.masking")
    graph.add_import(importer="domain.citizen", imported="faker")
    assert _outside_the_standard_library(graph, "domain") == {"domain.citizen": {"faker"}}


def _cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """One chain for every import that its imported module leads back from: importer, imported, …, importer."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                found.append((importer, *back))
    return found


def test_no_module_imports_itself_through_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph(*_root_packages(), cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_through_a_third_module() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("app.a", "app.b"), ("app.b", "app.c"), ("app.c", "app.a"), ("app.c", "app.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert _cycles(graph) == [
        ("app.a", "app.b", "app.c", "app.a"),
        ("app.b", "app.c", "app.a", "app.b"),
        ("app.c", "app.a", "app.b", "app.c"),
    ]


def _test_module_imports(tree: Path) -> list[str]:
    """Each import, in a module under `tree`, of a test module or a conftest, as 'path: module'."""
    found = []
    for path in sorted(tree.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                parts = name.replace(".", " ").split()
                if any(part == "conftest" or part.startswith("test_") for part in parts):
                    found.append(f"{path.relative_to(tree)}: {name}")
                    break
    return found


@pytest.mark.parametrize("tree", ["tests", "harness/certify/suite"])
def test_no_test_module_imports_another_or_a_conftest(tree: str) -> None:
    assert _test_module_imports(ROOT / tree) == []


def test_the_test_import_check_sees_each_way_of_importing(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(
        "from tests.harness.test_deployed import _stop\n"
        "from tests.portal.conftest import Portal\n"
        "from .conftest import pki\n"
        "from tests.notebook import test_reopen\n"
        "import tests.simulators.card.test_remote\n"
        "from tests.tpcd import stop\n",
        encoding="utf-8",
    )
    assert _test_module_imports(tmp_path) == [
        "test_a.py: tests.harness.test_deployed",
        "test_a.py: tests.portal.conftest",
        "test_a.py: .conftest",
        "test_a.py: tests.notebook.test_reopen",
        "test_a.py: tests.simulators.card.test_remote",
    ]
