"""The verdict written out: verdict.json, junit.xml (one test case per requirement, for CI systems), summary.html
(one page a vendor hands to a customer), and the summary and comparison printed on the terminal."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.certify.requirements import REQUIREMENTS
from harness.certify.verdicts import Comparison

SHOWN = {"PASS": "通過 PASS", "FAIL": "未通過 FAIL", "ERROR": "錯誤 ERROR", "NOT RUN": "未測 NOT RUN"}


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
