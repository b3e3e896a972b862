"""Every notebook in notebooks/ runs top to bottom on the embedded twin, its own asserts included; the executed copy
is kept in reports/tests/notebooks/ (outputs and all) to look at."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from tests.notebook.kernel import ROOT, execute

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
EXECUTED = ROOT / "reports" / "tests" / "notebooks"


def test_there_are_notebooks_to_run() -> None:
    assert [path.name for path in NOTEBOOKS][:3] == [
        "01_journey_step_by_step.py",
        "02_certify_an_agent.py",
        "03_reproduce_and_keep.py",
    ]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(source: Path) -> None:
    notebook = jupytext.read(source)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    try:
        execute(notebook, timeout=300)
    finally:
        nbformat.write(notebook, EXECUTED / f"{source.stem}.ipynb")  # type: ignore[no-untyped-call]
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    assert errors == []
