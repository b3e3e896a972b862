"""The layers stay apart: the Gherkin side (pages/, steps/) never reaches into the portal twin, and the harness only
where it starts or configures the twin, so the suite tests any portal through its pages alone."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# harness/ modules that may import the twin, and why.
TWIN_STARTERS = {
    "harness/stack.py": "starts the embedded twin",
    "harness/portal_config.py": "writes the configuration a portal deployment (the twin's schema) is started with",
    "harness/mutate/plugin.py": "loads a mutant of the twin (tpcd mutate) before the suite's stack starts it",
}


def _imports_portal(path: Path) -> list[int]:
    """The lines of `path` that import the portal package or one of its modules."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == "portal" or name.startswith("portal.") for name in names):
            lines.append(node.lineno)
    return lines


def _python(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def test_pages_and_steps_never_import_the_portal() -> None:
    found = {str(p.relative_to(ROOT)): lines for p in _python("pages", "steps") if (lines := _imports_portal(p))}
    assert found == {}


def test_the_harness_imports_the_portal_only_to_start_or_configure_the_twin() -> None:
    found = {str(p.relative_to(ROOT)) for p in _python("harness") if _imports_portal(p)}
    assert found <= set(TWIN_STARTERS), found - set(TWIN_STARTERS)


def test_the_certifier_never_imports_the_portal() -> None:
    """A copy edit or a bug in the twin must never become a vendor's FAIL: the certifier judges with its own code."""
    found = {str(p.relative_to(ROOT)): lines for p in _python("harness/certify") if (lines := _imports_portal(p))}
    assert found == {}


def test_the_check_sees_an_import_of_the_portal(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom portal.config import SYSTEMS\nimport portal\nfrom portals import x\n")
    assert _imports_portal(sample) == [2, 3]
