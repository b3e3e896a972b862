"""From a failed scenario's Allure result back to a notebook that stops before the failing step."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from harness.notebook.reopen import Failure, ReopenError, find_failure, from_result, reopen_notebook
from tests.notebook.allure_result import STEPS, allure_result


def test_a_failed_result_gives_its_steps_failing_step_citizen_and_worker(tmp_path: Path) -> None:
    failure = from_result(allure_result(tmp_path))
    assert failure == Failure(
        "市民設定密碼",
        tuple(STEPS),
        2,
        "AssertionError: expected the 「設定密碼」 screen",
        1234,
        worker=2,
        base_seed=77,
    )
    assert failure.before == "\n".join(STEPS[:2])
    assert failure.rest == STEPS[2]
    assert from_result(allure_result(tmp_path, status="passed")) is None


def test_the_notebook_replays_the_steps_before_the_failure_and_waits_with_the_rest() -> None:
    failure = Failure("市民設定密碼", tuple(STEPS), 2, "AssertionError: boom", 1234, worker=2, base_seed=77)
    notebook = reopen_notebook(failure)
    nbformat.validate(notebook)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0] == "%load_ext harness.notebook\n%tpcd up --seed 77"
    assert code[1] == "%%gherkin --seed 1234 --worker 2\n" + "\n".join(STEPS[:2])
    assert code[-1] == "%%gherkin --continue\n" + STEPS[2]
    assert "AssertionError: boom" in notebook.cells[0].source
    assert notebook.metadata["kernelspec"]["name"] == "tpcd"


def test_a_failure_at_the_first_step_starts_the_same_citizen_by_hand() -> None:
    notebook = reopen_notebook(Failure("s", tuple(STEPS), 0, "e", 1234))
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[1] == "%tpcd new --seed 1234 --no-card"
    assert code[-1] == "%%gherkin --continue\n" + "\n".join(STEPS)


def test_a_failure_is_found_by_file_or_name_or_the_names_are_listed(tmp_path: Path) -> None:
    path = allure_result(tmp_path, name="市民設定密碼")
    assert find_failure(tmp_path, str(path)).scenario == "市民設定密碼"
    assert find_failure(tmp_path, "設定密碼").seed == 1234
    with pytest.raises(ReopenError, match="市民設定密碼"):
        find_failure(tmp_path, "沒有這個場景")
