"""`tpcd certify-agent`: run the agent conformance suite against any agent by URL; report and one-page summary."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests

from harness.certify.requirements import REQUIREMENTS

SUITE = Path(__file__).parent / "suite"
SHOWN = {"passed": "通過 PASS", "failed": "未通過 FAIL", "broken": "錯誤 ERROR", "skipped": "未測 NOT RUN"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One requirement's result."""

    requirement: str
    text: str
    status: str
    detail: str


def run_suite(agent_url: str, report_dir: Path, *, control_url: str | None, reader: str | None, chromium: str) -> int:
    """Run the suite in its own pytest (the project's configuration stays out of it); return pytest's exit code."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITE),
        "-c",
        str(SUITE / "pytest.ini"),
        "--rootdir",
        str(SUITE),
        "-p",
        "allure_pytest",
        "--alluredir",
        str(report_dir / "allure-results"),
        "--clean-alluredir",
        "--agent-url",
        agent_url,
        "--chromium",
        chromium,
    ]
    if control_url:
        command += ["--control-url", control_url]
    if reader:
        command += ["--reader", reader]
    return subprocess.run(command, check=False).returncode


def outcomes(results: Path) -> list[Outcome]:
    """Each numbered requirement with the status of its test (not run when it has none)."""
    found: dict[str, Outcome] = {}
    for result_file in results.glob("*-result.json"):
        result = json.loads(result_file.read_text(encoding="utf-8"))
        labels = {label["name"]: label["value"] for label in result.get("labels", [])}
        requirement = labels.get("requirement")
        if requirement in REQUIREMENTS:
            detail = (result.get("statusDetails") or {}).get("message", "")
            found[requirement] = Outcome(requirement, REQUIREMENTS[requirement], result["status"], detail)
    return [found.get(r, Outcome(r, text, "skipped", "no test ran")) for r, text in REQUIREMENTS.items()]


def agent_version(agent_url: str) -> str:
    """The version the agent reports at GET /, or why it could not be read."""
    try:
        body = requests.get(agent_url, timeout=10).text
    except requests.RequestException as error:
        return f"unreachable ({error.__class__.__name__})"
    return body.split("version:", 1)[1].split()[0] if "version:" in body else "not reported"


def write_summary(report_dir: Path, agent_url: str, version: str, rows: list[Outcome]) -> Path:
    """One page a vendor can hand to a customer: agent, version, date, pass/fail per requirement."""
    passed = sum(row.status == "passed" for row in rows)
    cells = "".join(
        f"<tr class='{row.status}'><td>{row.requirement}</td><td>{html.escape(row.text)}</td>"
        f"<td>{SHOWN.get(row.status, row.status)}</td><td>{html.escape(row.detail[:300])}</td></tr>"
        for row in rows
    )
    page = f"""<!doctype html><html lang="zh-Hant-TW"><meta charset="utf-8">
<title>安控元件相容性驗證結果</title>
<style>body{{font-family:sans-serif;margin:2rem}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}}
table{{border-collapse:collapse}}.passed td:nth-child(3){{color:#1b7f3a}}.failed td:nth-child(3),
.broken td:nth-child(3){{color:#b00020}}.skipped td:nth-child(3){{color:#777}}</style>
<h1>安控元件相容性驗證結果 (HiPKI LocalSignServer conformance)</h1>
<p>Agent: {html.escape(agent_url)} — version {html.escape(version)}
<br>Date: {datetime.now().isoformat(timespec="seconds")}
<br>Result: {passed} / {len(rows)} requirements passed (tpcd-harness certify-agent)</p>
<table><tr><th>#</th><th>Requirement</th><th>Result</th><th>Detail</th></tr>{cells}</table></html>"""
    summary = report_dir / "summary.html"
    summary.write_text(page, encoding="utf-8")
    return summary


def print_summary(agent_url: str, version: str, rows: list[Outcome]) -> None:
    """The same summary, for the terminal."""
    print(f"\n安控元件相容性驗證 — {agent_url} (version {version})")
    for row in rows:
        print(f"  {row.requirement}  {SHOWN.get(row.status, row.status):<12} {row.text}")
    passed = sum(row.status == "passed" for row in rows)
    print(f"  {passed} / {len(rows)} requirements passed")
