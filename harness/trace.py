"""The documented step → scenario matrix: which scenarios exercise each of the 24 steps, and how they last ended.

Scenarios come from the `@doc-step-N` tags in features/; statuses from the newest allure-results, when present.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gherkin.parser import Parser

DOC_STEPS = range(1, 25)
_DOC_TAG = re.compile(r"@?doc-step-(\d+)$")
# Worst first: a step's status is the worst of its scenarios' (an outline has one result per example).
STATUS_ORDER = ("failed", "broken", "unknown", "skipped", "passed", "not run")


@dataclass(frozen=True, slots=True)
class TracedScenario:
    """One scenario (or outline) and the documented steps its tags claim."""

    feature_file: str
    name: str
    doc_steps: frozenset[int]

    @property
    def full_name(self) -> str:
        """The id allure-pytest-bdd gives it: `<feature path>:<scenario name>`."""
        return f"{self.feature_file}:{self.name}"

    def matches(self, result_name: str) -> bool:
        """Whether a result's fullName is this scenario's (an outline's results carry each example's values)."""
        pattern = re.escape(self.full_name)
        pattern = re.sub(r"<[^<>]+>", ".+?", pattern.replace(r"\<", "<").replace(r"\>", ">"))
        return re.fullmatch(pattern, result_name) is not None


@dataclass(slots=True)
class StepCoverage:
    """A documented step with its scenarios and their last statuses."""

    step: int
    scenarios: list[dict[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """`uncovered`, or the worst status among its scenarios."""
        if not self.scenarios:
            return "uncovered"
        return min((s["status"] for s in self.scenarios), key=STATUS_ORDER.index)


def _doc_steps(tags: list[dict[str, Any]], where: str) -> set[int]:
    steps = set()
    for tag in tags:
        match = _DOC_TAG.match(tag["name"])
        if match:
            number = int(match.group(1))
            if number not in DOC_STEPS:
                raise ValueError(f"{where}: {tag['name']} names no documented step (1–24)")
            steps.add(number)
    return steps


def collect_scenarios(features_dir: Path, root: Path) -> list[TracedScenario]:
    """Every scenario under `features_dir`, with the doc steps of its own, rule, feature and examples tags."""
    found: list[TracedScenario] = []
    for path in sorted(features_dir.rglob("*.feature")):
        relative = path.relative_to(root).as_posix()
        document: dict[str, Any] = dict(Parser().parse(path.read_text(encoding="utf-8")))
        feature: dict[str, Any] = document.get("feature") or {}
        inherited = _doc_steps(feature.get("tags", []), relative)
        children: list[dict[str, Any]] = list(feature.get("children", []))
        while children:
            child = children.pop(0)
            if "rule" in child:  # a Rule's tags apply to every scenario inside it
                rule = child["rule"]
                children[:0] = [
                    {"scenario": {**c["scenario"], "tags": [*rule.get("tags", []), *c["scenario"].get("tags", [])]}}
                    for c in rule.get("children", [])
                    if "scenario" in c
                ]
                continue
            scenario = child.get("scenario")
            if not scenario:
                continue
            where = f"{relative}:{scenario['location']['line']}"
            steps = inherited | _doc_steps(scenario.get("tags", []), where)
            for examples in scenario.get("examples", []):
                steps |= _doc_steps(examples.get("tags", []), where)
            found.append(TracedScenario(relative, scenario["name"], frozenset(steps)))
    return found


def last_statuses(results_dir: Path) -> dict[str, str]:
    """fullName → worst status over the newest allure results (all examples and retries of a scenario)."""
    statuses: dict[str, str] = {}
    if not results_dir.is_dir():
        return statuses
    newest: dict[str, tuple[int, str]] = {}
    for result_file in results_dir.glob("*-result.json"):
        result = json.loads(result_file.read_text(encoding="utf-8"))
        key = result.get("fullName", "")
        history = f"{key}|{result.get('historyId', '')}"
        stop = int(result.get("stop") or 0)
        if history not in newest or stop > newest[history][0]:  # a retry replaces the attempt before it
            newest[history] = (stop, result.get("status") or "unknown")
    for history, (_, status) in newest.items():
        key = history.split("|", 1)[0]
        previous = statuses.get(key)
        statuses[key] = status if previous is None else min(previous, status, key=STATUS_ORDER.index)
    return statuses


def coverage(features_dir: Path, root: Path, results_dir: Path | None = None) -> list[StepCoverage]:
    """The matrix for steps 1..24."""
    statuses = last_statuses(results_dir) if results_dir else {}
    matrix = {step: StepCoverage(step) for step in DOC_STEPS}
    for scenario in collect_scenarios(features_dir, root):
        found = [status for name, status in statuses.items() if scenario.matches(name)]
        status = min(found, key=STATUS_ORDER.index) if found else "not run"
        for step in sorted(scenario.doc_steps):
            matrix[step].scenarios.append({"scenario": scenario.full_name, "status": status})
    return list(matrix.values())


def as_json(matrix: list[StepCoverage]) -> dict[str, Any]:
    """The `tpcd trace --json` shape: {"steps": {"1": [{"scenario": …, "status": …}], …}}."""
    return {"steps": {str(row.step): row.scenarios for row in matrix}}


def as_table(matrix: list[StepCoverage]) -> str:
    """A plain-text table a QA lead reads at the end of a run."""
    lines = ["步驟  狀態        通過 失敗  情境"]  # CJK glyphs are two columns wide: aligned by hand
    for row in matrix:
        passed = sum(s["status"] == "passed" for s in row.scenarios)
        failed = sum(s["status"] in ("failed", "broken") for s in row.scenarios)
        names = "; ".join(s["scenario"].split(":", 1)[1] for s in row.scenarios) or "（尚無情境）"
        lines.append(f"{row.step:>4}  {row.status:<10} {passed:>4} {failed:>4}  {names}")
    return "\n".join(lines)
