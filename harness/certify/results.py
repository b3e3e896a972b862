"""Reads the suite's Allure results as one result per numbered requirement, and the run's result from them.

Statuses: PASS; FAIL (the agent's failure); ERROR (the suite could not do its part: never the agent's fault); NOT RUN
(the requirement needs something this run was not given, and says what). When several tests check one requirement,
the worst status counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.certify.requirements import REQUIREMENTS

STATUSES = ("PASS", "FAIL", "ERROR", "NOT RUN")  # a requirement's; totals count them in this order
STATUS = {"passed": "PASS", "failed": "FAIL", "broken": "ERROR", "skipped": "NOT RUN"}
WORST = ["ERROR", "FAIL", "NOT RUN", "PASS"]  # when several tests check one requirement, the worst status counts


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """One requirement's result."""

    requirement: str
    text: str
    status: str  # PASS, FAIL, ERROR or NOT RUN
    evidence: str


def outcomes(results: Path, *, only: tuple[str, ...] = ()) -> list[RequirementResult]:
    """Each numbered requirement with the status of its test(s) and the evidence (NOT RUN when it has none)."""
    found: dict[str, RequirementResult] = {}
    for result_file in sorted(results.glob("*-result.json")):
        result = json.loads(result_file.read_text(encoding="utf-8"))
        labels = {label["name"]: label["value"] for label in result.get("labels", [])}
        requirement = labels.get("requirement")
        if requirement not in REQUIREMENTS:
            continue
        status = STATUS.get(result["status"], "ERROR")
        message = (result.get("statusDetails") or {}).get("message", "").strip()
        message = message.removeprefix("Skipped: ")
        evidence = message if status != "PASS" else result.get("description", "").strip()
        if status in ("FAIL", "ERROR") and result.get("description"):
            evidence = f"{message}\n(before that: {result['description'].strip()})"
        earlier = found.get(requirement)
        if earlier is None or WORST.index(status) < WORST.index(earlier.status):
            found[requirement] = RequirementResult(requirement, REQUIREMENTS[requirement], status, evidence)
    missing = "not selected (--only)" if only else "no test of the suite ran"
    return [found.get(r, RequirementResult(r, text, "NOT RUN", missing)) for r, text in REQUIREMENTS.items()]


def result(rows: list[RequirementResult], allowed: tuple[str, ...] = ()) -> str:
    """FAIL when a requirement failed or erred; INCOMPLETE when one was not run and not allowed to be; else PASS."""
    if any(row.status in ("FAIL", "ERROR") for row in rows):
        return "FAIL"
    if any(row.status == "NOT RUN" and row.requirement not in allowed for row in rows):
        return "INCOMPLETE"
    return "PASS"
