"""From a failed scenario back to a notebook: the same citizen (seed), the steps before the failing one run, the
failing step and the rest waiting in the next cell.

The suite attaches such a notebook to every failed scenario (harness/notebook/plugin.py); `tpcd notebook --reopen`
makes one from the Allure results, by result file or scenario name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from harness.notebook.feature import LANGUAGE

KERNEL = {"name": "tpcd", "display_name": "tpcd-harness (.venv)", "language": "python"}
CITIZEN_PARAMETER = "市民種子"  # the Allure parameter the citizen fixtures write (harness/plugin/citizens.py)
_WORKER_MAILBOX = re.compile(r"^w(\d+)\+citizen-")  # harness.citizens.make_citizen: w<worker>+citizen-<seed>@…
FAILED = ("failed", "broken")
NOTEBOOK_MIME = "application/x-ipynb+json"


class ReopenError(LookupError):
    """No failed scenario to reopen where one was asked for; the message says what was found instead."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed scenario: its steps as they ran (background included), which one failed, why, and its citizen."""

    scenario: str
    steps: tuple[str, ...]  # keyword and text, as in a feature
    failing: int  # index into steps
    error: str
    seed: int | None  # the citizen's seed (None: the citizen is not known)
    worker: int = 0  # the pytest-xdist worker the citizen was made for (their mobile and mailbox)
    base_seed: int | None = None  # the run's base seed

    @property
    def before(self) -> str:
        """The steps before the failing one, one per line."""
        return "\n".join(self.steps[: self.failing])

    @property
    def rest(self) -> str:
        """The failing step and those after it, one per line."""
        return "\n".join(self.steps[self.failing :])


def _code(text: str) -> NotebookNode:
    cell: NotebookNode = nbformat.v4.new_code_cell(text)  # type: ignore[no-untyped-call]
    return cell


def _markdown(text: str) -> NotebookNode:
    cell: NotebookNode = nbformat.v4.new_markdown_cell(text)  # type: ignore[no-untyped-call]
    return cell


def reopen_notebook(failure: Failure) -> NotebookNode:
    """A notebook that stops just before `failure`'s failing step, with that step (and the rest) in the next cell."""
    seed = "" if failure.seed is None else f" --seed {failure.seed}"
    worker = f" --worker {failure.worker}" if failure.worker else ""
    base = "" if failure.base_seed is None else f" --seed {failure.base_seed}"
    if failure.failing > 0:
        replay = f"%%gherkin{seed}{worker}\n{failure.before}"
    else:  # nothing ran before the failing step: a new scenario for the same citizen, reader empty as in the suite
        replay = f"%tpcd new{seed}{worker} --no-card"
    number = failure.failing + 1
    error = failure.error.strip() or "（沒有錯誤訊息）"
    cells = [
        _markdown(
            f"# 重現失敗的場景：{failure.scenario}\n\n"
            f"它在第 {number} 步「{failure.steps[failure.failing]}」失敗：\n\n```\n{error}\n```\n\n"
            f"這本筆記本以同一位市民（種子 {failure.seed}）重新走一次，停在失敗的那一步之前："
            "先看看頁面、簡訊、郵件、卡片與安控元件，再執行最後一格。\n\n"
            "開啟：`make notebook`（或 `.venv/bin/tpcd notebook 這個檔案`），選 tpcd-harness 核心，由上往下執行。"
        ),
        _code(f"%load_ext harness.notebook\n%tpcd up{base}"),
        _markdown(f"## 失敗之前的 {failure.failing} 個步驟（語言：{LANGUAGE}）"),
        _code(replay),
        _markdown(
            "## 失敗前一刻\n頁面、簡訊收件匣、電子郵件收件匣、自然人憑證與安控元件，就是失敗那一步開始時的樣子。"
        ),
        _code("%tpcd shot"),
        _code("tpcd.sms"),
        _code("tpcd.mail"),
        _code("tpcd.card"),
        _code("tpcd.agent"),
        _markdown(
            "## 失敗的那一步，以及其後的步驟\n"
            "執行這一格，看它是否仍然失敗。也可以先用 `%%browser` 格子直接操作頁面物件"
            "（`page`、`screen`、`citizen` 都已在命名空間裡），或用 `%tpcd fault` 設定故障，再執行它。"
        ),
        _code(f"%%gherkin --continue\n{failure.rest}"),
    ]
    notebook: NotebookNode = nbformat.v4.new_notebook(cells=cells)  # type: ignore[no-untyped-call]
    notebook.metadata["kernelspec"] = dict(KERNEL)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def as_text(notebook: NotebookNode) -> str:
    """The notebook as an .ipynb file holds it."""
    return str(nbformat.writes(notebook))  # type: ignore[no-untyped-call]


def _attachments(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A result's attachments and its steps', in order (the citizen is attached by the step that first needs one)."""
    yield from node.get("attachments", [])
    for step in node.get("steps", []):
        yield from _attachments(step)


def _attachment(result: dict[str, Any], folder: Path, name_starts: str) -> str | None:
    for attachment in _attachments(result):
        if str(attachment.get("name", "")).startswith(name_starts):
            source = folder / str(attachment.get("source", ""))
            return source.read_text(encoding="utf-8") if source.is_file() else None
    return None


def from_result(path: Path) -> Failure | None:
    """The failure an Allure result (allure-pytest-bdd's *-result.json) records, or None if it passed."""
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if result.get("status") not in FAILED:
        return None
    steps = result.get("steps", [])
    failing = next((i for i, step in enumerate(steps) if step.get("status") in FAILED), None)
    if failing is None:
        return None
    details = steps[failing].get("statusDetails") or result.get("statusDetails") or {}
    parameters = {p.get("name"): p.get("value") for p in result.get("parameters", [])}
    seed = parameters.get(CITIZEN_PARAMETER)
    worker, base_seed = 0, None
    citizen = _attachment(result, path.parent, "市民 ")
    if citizen is not None:
        shown = json.loads(citizen)
        base_seed = shown.get("base_seed")
        if match := _WORKER_MAILBOX.match(str(shown.get("email", ""))):
            worker = int(match.group(1))
    return Failure(
        scenario=str(result.get("name", "")),
        steps=tuple(str(step.get("name", "")) for step in steps),
        failing=failing,
        error=str(details.get("message", "")),
        seed=int(str(seed).strip("'\"")) if seed is not None else None,
        worker=worker,
        base_seed=int(base_seed) if base_seed is not None else None,
    )


def failures(results: Path) -> Iterator[tuple[Path, Failure]]:
    """Every failed scenario in an allure-results folder, newest first, with its result file."""
    files = sorted(results.glob("*-result.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in files:
        failure = from_result(path)
        if failure is not None:
            yield path, failure


def find_failure(results: Path, which: str) -> Failure:
    """The failure recorded in result file `which`, or the newest failed scenario whose name contains `which`."""
    candidate = Path(which)
    if candidate.suffix == ".json" and candidate.is_file():
        failure = from_result(candidate)
        if failure is None:
            raise ReopenError(f"{candidate} records no failed step")
        return failure
    found = [failure for _, failure in failures(results)]
    for failure in found:
        if which in failure.scenario:
            return failure
    names = "\n  ".join(sorted({failure.scenario for failure in found})) or "（沒有失敗的場景）"
    raise ReopenError(f"no failed scenario named like {which!r} in {results}; failed there:\n  {names}")
