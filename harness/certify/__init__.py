"""`tpcd certify-agent`: run the agent conformance suite against any agent by URL, and write the evidence.

The evidence a vendor hands to a customer: a one-page summary (summary.html), a machine-readable verdict
(verdict.json: the agent, its reported version and binary's SHA-256, each requirement's status and evidence, the
tool's version, the browser, the page judged with, the date, the card profile, the trusted sites it added and took
back), JUnit XML (junit.xml, one test case per requirement) and the Allure report, all under --report. `--compare
PREVIOUS.json` lists what regressed and what was fixed since an earlier verdict (docs/certification.md).

Statuses: PASS; FAIL (the agent's failure); ERROR (the suite could not do its part: never the agent's fault); NOT RUN
(the requirement needs something this run was not given, and says what). The verdict: FAIL when any requirement
failed or erred (exit 1); INCOMPLETE when one was not run and not accepted with --allow-not-run (exit 3); else PASS.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from domain.masking import mask_values
from harness.certify.pinned import PinError, check_page, tool_version
from harness.certify.requirements import REQUIREMENTS
from harness.certify.suite.conftest import HOLDER, PIN_VARIABLE, TOKEN_VARIABLE
from harness.interrupts import run_interruptible
from harness.report import ReportError, allure_cli, build_report
from harness.settings import Settings
from simulators.card.client import CardControlClient
from simulators.client import SimulatorError

SUITE = Path(__file__).parent / "suite"
STATUS = {"passed": "PASS", "failed": "FAIL", "broken": "ERROR", "skipped": "NOT RUN"}
SHOWN = {"PASS": "通過 PASS", "FAIL": "未通過 FAIL", "ERROR": "錯誤 ERROR", "NOT RUN": "未測 NOT RUN"}
WORST = ["ERROR", "FAIL", "NOT RUN", "PASS"]  # when several tests check one requirement, the worst status counts
VERDICT_FORMAT = 2  # 2: result, allowed_not_run, tool.package_version, browser, page, agent.binary, trusted_sites
EXIT = {"PASS": 0, "FAIL": 1, "INCOMPLETE": 3}  # 2: the command line or the tool's own set-up was refused


@dataclass(frozen=True, slots=True)
class CertifyRequest:
    """What certify-agent was asked to do."""

    agent_url: str
    control_url: str | None = None
    control_token: str | None = field(default=None, repr=False)
    reader: str | None = None
    pin: str | None = field(default=None, repr=False)  # the card's PIN, for a card not under control
    holder: str | None = field(default=None, repr=False)  # the card holder's 身分證字號, for a card not under control
    chromium: str = "/usr/bin/chromium"  # or "playwright": the Chromium `playwright install chromium` downloaded
    only: tuple[str, ...] = ()  # the requirements to run; () for all
    allow_not_run: tuple[str, ...] = ()  # requirements whose NOT RUN still makes a complete verdict
    portal_page: str | None = None  # the deployed portal's agent script by URL (default: the pinned copy)
    agent_binary: Path | None = None  # the build under test, for its SHA-256 in the verdict


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """One requirement's result."""

    requirement: str
    text: str
    status: str  # PASS, FAIL, ERROR or NOT RUN
    evidence: str


def run_suite(request: CertifyRequest, report_dir: Path) -> int:
    """Run the suite in its own pytest (the project's configuration stays out of it); return pytest's exit code, or
    128 + the signal's number when Ctrl-C or SIGTERM stopped it."""
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
        request.agent_url,
        "--chromium",
        request.chromium,
        "--run-info",
        str(report_dir / RUN_INFO),
    ]
    options = (
        ("--control-url", request.control_url),
        ("--reader", request.reader),
        ("--portal-page", request.portal_page),
    )
    for option, value in options:
        if value:
            command += [option, value]
    if request.holder:
        command += ["--holder", request.holder]
    if request.only:
        command += ["--only", ",".join(request.only)]
    # Secrets go by environment, not argv (other users of the machine can read a process's arguments).
    environ = {k: v for k, v in os.environ.items() if k not in (PIN_VARIABLE, TOKEN_VARIABLE)}
    environ |= {PIN_VARIABLE: request.pin or "", TOKEN_VARIABLE: request.control_token or ""}
    (report_dir / RUN_INFO).unlink(missing_ok=True)
    # As `tpcd run` runs its suite: a Ctrl-C or SIGTERM stops it after its teardown (browser closed, temp folders gone).
    # In the report folder, so nothing the run writes lands anywhere else.
    return run_interruptible(command, cwd=report_dir, env=environ).exit_code


RUN_INFO = "run-info.json"  # what the suite learnt besides results (browser, page, trusted sites)


def run_info(report_dir: Path) -> dict[str, Any]:
    """What the suite wrote besides its results; {} when it wrote nothing (it did not get that far)."""
    try:
        found = json.loads((report_dir / RUN_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def binary_digest(path: Path | None) -> dict[str, Any] | None:
    """The agent build's file and SHA-256 (`--agent-binary`); ValueError when it cannot be read."""
    if path is None:
        return None
    digest = hashlib.sha256()
    try:
        with path.open("rb") as build:
            for block in iter(lambda: build.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise ValueError(f"--agent-binary {path}: {error.strerror}") from error
    return {"path": str(path), "sha256": digest.hexdigest(), "bytes": path.stat().st_size}


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


def agent_version(agent_url: str) -> str:
    """The version the agent reports at GET /, or why it could not be read."""
    try:
        body = requests.get(agent_url, timeout=10).text
    except requests.RequestException as error:
        return f"unreachable ({error.__class__.__name__})"
    return body.split("version:", 1)[1].split()[0] if "version:" in body else "not reported"


def card_profile(request: CertifyRequest) -> dict[str, Any]:
    """The card the run used: the certification card under control (its reader, ATR, issuer), or the vendor's."""
    if request.control_url is None:
        last4 = request.holder[-4:] if request.holder else None
        return {"controlled": False, "reader": request.reader, "holder_id_last4": last4, "pin_given": bool(request.pin)}
    try:
        with CardControlClient(request.control_url, token=request.control_token) as client:
            state = client.state()
    except (SimulatorError, requests.RequestException) as error:
        return {"controlled": True, "control_url": request.control_url, "unavailable": str(error)}
    return {
        "controlled": True,
        "control_url": request.control_url,
        "profile": "tpcd-harness virtual MOICA card (test PKI)",
        "reader": state.reader,
        "card_number": HOLDER.card_number,
        "holder": HOLDER.name,
        "atr": state.atr,
        "issuer": state.issuer,
    }


def result(rows: list[RequirementResult], allowed: tuple[str, ...] = ()) -> str:
    """FAIL when a requirement failed or erred; INCOMPLETE when one was not run and not allowed to be; else PASS."""
    if any(row.status in ("FAIL", "ERROR") for row in rows):
        return "FAIL"
    if any(row.status == "NOT RUN" and row.requirement not in allowed for row in rows):
        return "INCOMPLETE"
    return "PASS"


def verdict(
    request: CertifyRequest,
    rows: list[RequirementResult],
    *,
    version: str,
    profile: dict[str, Any],
    info: dict[str, Any] | None = None,
    binary: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The machine-readable verdict of one run (secrets masked)."""
    info = info or {}
    counts = {status: sum(row.status == status for row in rows) for status in SHOWN}
    document = {
        "format": VERDICT_FORMAT,
        "result": result(rows, request.allow_not_run),
        "allowed_not_run": sorted(request.allow_not_run),
        "tool": {
            "name": "tpcd-harness certify-agent",
            "version": tool_version(),
            "package_version": importlib.metadata.version("tpcd-harness"),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "agent": {"url": request.agent_url, "version": version, "binary": binary},
        "browser": info.get("browser") or f"not started ({request.chromium}: no browser requirement ran)",
        "page": info.get("page") or {"source": "pinned copy (harness/certify/page)", "sha256": check_page()},
        "card": profile,
        "trusted_sites": info.get("trusted_sites") or {"added": [], "removed": [], "left": [], "how": "none added"},
        "totals": counts,
        "requirements": [
            {"id": row.requirement, "text": row.text, "status": row.status, "evidence": row.evidence} for row in rows
        ],
    }
    masked: dict[str, Any] = json.loads(_mask(json.dumps(document, ensure_ascii=False), request))
    return masked


def _mask(text: str, request: CertifyRequest) -> str:
    """`text` with the vendor's PIN, the holder's ID number and the control token replaced."""
    return mask_values(text, (request.pin, request.holder, request.control_token))


def write_verdict(report_dir: Path, document: dict[str, Any]) -> Path:
    """verdict.json."""
    path = report_dir / "verdict.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_junit(report_dir: Path, document: dict[str, Any]) -> Path:
    """junit.xml: one test case per requirement, for CI systems (NOT RUN as skipped, ERROR as error)."""
    totals = document["totals"]
    suite = ET.Element(
        "testsuite",
        name="certify-agent",
        tests=str(len(document["requirements"])),
        failures=str(totals["FAIL"]),
        errors=str(totals["ERROR"]),
        skipped=str(totals["NOT RUN"]),
        timestamp=document["date"],
    )
    properties = ET.SubElement(suite, "properties")
    described = {
        "agent.url": document["agent"]["url"],
        "agent.version": document["agent"]["version"],
        "tool.version": document["tool"]["version"],
        "result": document["result"],
    }
    for name, value in described.items():
        ET.SubElement(properties, "property", name=name, value=str(value))
    for row in document["requirements"]:
        case = ET.SubElement(suite, "testcase", classname="certify-agent", name=f"{row['id']} {row['text']}")
        kind = {"FAIL": "failure", "ERROR": "error", "NOT RUN": "skipped"}.get(row["status"])
        if kind:
            ET.SubElement(case, kind, message=row["evidence"].splitlines()[0] if row["evidence"] else row["status"])
    path = report_dir / "junit.xml"
    root = ET.Element("testsuites", name="certify-agent")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def write_summary(report_dir: Path, document: dict[str, Any]) -> Path:
    """One page a vendor can hand to a customer: agent, version, date, card, result per requirement."""
    rows = document["requirements"]
    cells = "".join(
        f"<tr class='{row['status'].replace(' ', '-').lower()}'><td>{row['id']}</td><td>{html.escape(row['text'])}</td>"
        f"<td>{SHOWN[row['status']]}</td><td>{html.escape(row['evidence'][:400])}</td></tr>"
        for row in rows
    )
    card = document["card"]
    card_line = (
        f"{html.escape(card.get('profile', 'controlled card'))}, reader {html.escape(str(card.get('reader')))}"
        if card.get("controlled")
        else "the vendor's card (not under the tool's control: no wrong PIN sent)"
    )
    passed = document["totals"]["PASS"]
    outcome = document["result"]
    said = {
        "PASS": "通過 PASS: every requirement passed"
        + (f" (not run, accepted: {', '.join(document['allowed_not_run'])})" if document["allowed_not_run"] else ""),
        "FAIL": "未通過 FAIL: requirements failed or could not be checked (see below)",
        "INCOMPLETE": "不完整 INCOMPLETE: requirements were not run, so this is no certificate of them (see below)",
    }[outcome]
    binary = document["agent"].get("binary")
    build = f"<br>Build: {html.escape(binary['path'])} SHA-256 {binary['sha256']}" if binary else ""
    sites = document["trusted_sites"]
    still = html.escape(", ".join(sites["left"]))
    left = f"<br>Trusted sites it added, still there: {still} — {html.escape(sites['how'])}" if sites["left"] else ""
    page = f"""<!doctype html><html lang="zh-Hant-TW"><meta charset="utf-8">
<title>安控元件相容性驗證結果</title>
<style>body{{font-family:sans-serif;margin:2rem}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}}
table{{border-collapse:collapse}}.pass td:nth-child(3){{color:#1b7f3a}}.fail td:nth-child(3),
.error td:nth-child(3){{color:#b00020}}.not-run td:nth-child(3){{color:#777}}
.verdict.pass{{color:#1b7f3a}}.verdict.fail{{color:#b00020}}.verdict.incomplete{{color:#a15c00}}</style>
<h1>安控元件相容性驗證結果 (HiPKI LocalSignServer conformance)</h1>
<p class="verdict {outcome.lower()}"><strong>{said}</strong></p>
<p>Agent: {html.escape(document["agent"]["url"])} — version {html.escape(document["agent"]["version"])}{build}
<br>Date: {html.escape(document["date"])}
<br>Card: {card_line}
<br>Tool: {html.escape(document["tool"]["name"])} {html.escape(document["tool"]["version"])}
<br>Browser: {html.escape(document["browser"])}
<br>Page: {html.escape(document["page"]["source"])}
<br>Result: {passed} / {len(rows)} requirements passed{left}</p>
<table><tr><th>#</th><th>Requirement</th><th>Result</th><th>Evidence</th></tr>{cells}</table></html>"""
    summary = report_dir / "summary.html"
    summary.write_text(page, encoding="utf-8")
    return summary


@dataclass(frozen=True, slots=True)
class Comparison:
    """What changed between two verdicts, requirement by requirement."""

    regressions: list[tuple[str, str, str]]  # (id, was, now): passed before, not now
    fixes: list[tuple[str, str, str]]  # not passed before, passed now
    other: list[tuple[str, str, str]]  # any other change of status (new requirements included: was "—")


def compare(previous: dict[str, Any], current: dict[str, Any]) -> Comparison:
    """Regressions and fixes from `previous` to `current` (both verdict documents)."""
    before = {row["id"]: row["status"] for row in previous.get("requirements", [])}
    regressions, fixes, other = [], [], []
    for row in current["requirements"]:
        was, now = before.get(row["id"], "—"), row["status"]
        if was == now:
            continue
        change = (row["id"], was, now)
        if was == "PASS":
            regressions.append(change)
        elif now == "PASS":
            fixes.append(change)
        else:
            other.append(change)
    return Comparison(regressions, fixes, other)


def load_verdict(path: Path) -> dict[str, Any]:
    """A verdict.json written earlier; ValueError saying what is wrong with it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("requirements"), list):
        raise ValueError(f"{path} is not a certify-agent verdict (no requirements list)")
    return document


def print_summary(document: dict[str, Any]) -> None:
    """The summary, for the terminal."""
    agent = document["agent"]
    print(f"\n安控元件相容性驗證 — {agent['url']} (version {agent['version']})")
    for row in document["requirements"]:
        reason = f"  ({row['evidence'].splitlines()[0][:100]})" if row["status"] != "PASS" and row["evidence"] else ""
        print(f"  {row['id']}  {SHOWN[row['status']]:<12} {row['text'][:70]}{reason}")
    totals = document["totals"]
    print(
        f"  {totals['PASS']} / {len(document['requirements'])} requirements passed"
        f" ({totals['FAIL']} failed, {totals['ERROR']} errors, {totals['NOT RUN']} not run)"
    )
    print(f"  判定 verdict: {document['result']}  (tool {document['tool']['version']})")
    left = document["trusted_sites"]["left"]
    if left:
        print(
            f"  trusted sites it added and could not take off: {', '.join(left)} ({document['trusted_sites']['how']})"
        )


def print_comparison(comparison: Comparison, previous: dict[str, Any], current: dict[str, Any] | None = None) -> None:
    """Regressions and fixes since the previous verdict, for the terminal; whether the tool changed in between."""
    agent = previous.get("agent", {})
    print(f"\n與前次驗證比較（{agent.get('version', '?')}，{previous.get('date', '?')}）")
    was, now = previous.get("tool", {}).get("version", "?"), (current or {}).get("tool", {}).get("version", "?")
    if current is not None and was != now:
        print(f"  the tool changed too ({was} → {now}): a change below may be the tool's, not the build's")
    changed = {"regressions": comparison.regressions, "fixes": comparison.fixes, "other changes": comparison.other}
    for title, changes in changed.items():
        print(f"  {title}: {len(changes)}")
        for requirement, was, now in changes:
            print(f"    {requirement}  {was} → {now}  {REQUIREMENTS.get(requirement, '')[:70]}")


def certify_agent(
    settings: Settings, request: CertifyRequest, report_dir: Path, *, previous: dict[str, Any] | None = None
) -> int:
    """The whole run: the suite, then the verdict, JUnit, summary and Allure report, all under `report_dir`; the exit
    code (EXIT by result; pytest's own when it could not run the suite; 128 + signal when stopped)."""
    try:
        check_page()
        binary = binary_digest(request.agent_binary)
    except (PinError, ValueError) as error:
        print(f"tpcd certify-agent: {error}", file=sys.stderr)
        return 2
    code = run_suite(request, report_dir)
    if code > 128:  # stopped by Ctrl-C or SIGTERM: no verdict of a run cut short
        print(f"tpcd certify-agent: stopped by signal {code - 128}; no verdict written", file=sys.stderr)
        return code
    rows = outcomes(report_dir / "allure-results", only=request.only)
    document = verdict(
        request,
        rows,
        version=agent_version(request.agent_url),
        profile=card_profile(request),
        info=run_info(report_dir),
        binary=binary,
    )
    written = [
        write_verdict(report_dir, document),
        write_junit(report_dir, document),
        write_summary(report_dir, document),
    ]
    print_summary(document)
    if previous is not None:
        print_comparison(compare(previous, document), previous, document)
    home = Path(__file__).resolve().parents[2]  # run from another folder: the Allure CLI of the project's checkout
    if not allure_cli(settings).exists() and allure_cli(settings.replace(project_root=home)).exists():
        settings = settings.replace(project_root=home)
    try:
        results, output = report_dir / "allure-results", report_dir / "allure-report"
        index = build_report(settings, results=results, output=output, history=report_dir / "history.jsonl")
        print(f"\nAllure 報告：{index}")
    except ReportError as error:
        print(f"\n報告無法產生：{error}", file=sys.stderr)
    print("判定與摘要：" + "  ".join(str(path) for path in written))
    if code not in (0, 1):  # pytest itself could not run the suite (usage error, interrupted, internal error)
        return code
    return EXIT[document["result"]]
