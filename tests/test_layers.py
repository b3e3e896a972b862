"""The layer contracts ([tool.importlinter] in pyproject.toml, run by `lint-imports` in `make lint`) cover every
top-level package, and they do fail: a page object that imports the portal twin breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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
    assert "Page objects stand on nothing but themselves" in result.stdout
    assert "BROKEN" in result.stdout
    assert "pages.shortcut -> portal.config" in result.stdout
