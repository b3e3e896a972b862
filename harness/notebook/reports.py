"""The Allure report of a notebook's %%gherkin runs, built from the results every run writes."""

from __future__ import annotations

from pathlib import Path

from harness.notebook.lifecycle import Lifecycle
from harness.report import build_report


def notebook_report(lifecycle: Lifecycle) -> Path:
    """The Allure report of this notebook's %%gherkin runs (reports/notebook/allure-report/index.html)."""
    return build_report(lifecycle.settings, results=lifecycle.results_dir, output=lifecycle.workdir / "allure-report")
