"""`tpcd certify-agent` end to end: check the tool's own pins, run the suite, judge, write every output, build the
Allure report; the exit code says the verdict (docs/certification.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness.certify.outputs import print_comparison, print_summary, write_junit, write_summary, write_verdict
from harness.certify.pinned import PinError, check_page
from harness.certify.results import outcomes
from harness.certify.run import CertifyRequest, run_info, run_suite
from harness.certify.verdicts import agent_version, binary_digest, card_profile, compare, verdict
from harness.report import ReportError, allure_cli, build_report
from harness.settings import Settings

EXIT = {"PASS": 0, "FAIL": 1, "INCOMPLETE": 3}  # 2: the command line or the tool's own set-up was refused


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
