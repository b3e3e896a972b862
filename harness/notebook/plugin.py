"""A failed scenario carries a ready notebook in the report: same citizen, stopped before the failing step."""

from __future__ import annotations

import contextlib
from typing import Any

import allure
import pytest

from domain.citizen import CitizenProfile
from harness.notebook.reopen import NOTEBOOK_MIME, Failure, as_text, reopen_notebook
from harness.plugin.citizens import BASE_SEED_KEY, worker_number
from harness.plugin.scrubbing import scrubber_for


def _step_text(step: Any) -> str:
    """A step as a feature writes it, with its data table or doc string."""
    lines = [f"{step.keyword.strip()} {step.name}"]
    if step.datatable is not None:
        lines += ["  | " + " | ".join(cell.value for cell in row.cells) + " |" for row in step.datatable.rows]
    if step.docstring is not None:
        lines += ['  """', *("  " + line for line in step.docstring.splitlines()), '  """']
    return "\n".join(lines)


def _attach_notebook(request: pytest.FixtureRequest, scenario: Any, step: Any, error: str) -> None:
    citizen: CitizenProfile | None = None  # a scenario without one: the notebook draws a citizen
    worker = 0  # without pytest-xdist
    with contextlib.suppress(pytest.FixtureLookupError):
        citizen = request.getfixturevalue("citizen")
    with contextlib.suppress(pytest.FixtureLookupError):
        worker = worker_number(request.getfixturevalue("worker_id"))
    failure = Failure(
        scenario=scenario.name,
        steps=tuple(_step_text(candidate) for candidate in scenario.steps),
        failing=next(i for i, candidate in enumerate(scenario.steps) if candidate is step),
        error=scrubber_for(request.node).text(error),  # as every artefact (harness/plugin/scrubbing.py)
        seed=citizen.seed if citizen else None,
        worker=worker,
        base_seed=request.config.stash.get(BASE_SEED_KEY, None),
    )
    allure.attach(
        as_text(reopen_notebook(failure)),
        name="在筆記本重現（下載後以 make notebook 開啟；或 tpcd notebook --reopen 場景名稱）",
        attachment_type=NOTEBOOK_MIME,
        extension="ipynb",
    )


@pytest.hookimpl(trylast=True)  # after the reporting plugin's screenshot and page: the notebook comes last
def pytest_bdd_step_error(request: pytest.FixtureRequest, scenario: Any, step: Any, exception: Exception) -> None:
    _attach_notebook(request, scenario, step, f"{type(exception).__name__}: {exception}")


def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest, scenario: Any, step: Any) -> None:
    _attach_notebook(request, scenario, step, f"沒有符合「{step.name}」的步驟定義")
