"""Runs the agent conformance suite (harness/certify/suite) in a pytest of its own, against an agent by URL.

The suite writes Allure results, one per test labelled with its requirement (results.py reads them), and run-info.json:
what it learnt besides (the browser, the page judged with, the trusted sites it added and took back).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.certify.suite.kit import PIN_VARIABLE, TOKEN_VARIABLE
from harness.interrupts import run_interruptible

SUITE = Path(__file__).parent / "suite"
RUN_INFO = "run-info.json"  # what the suite learnt besides results (browser, page, trusted sites)


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


def run_info(report_dir: Path) -> dict[str, Any]:
    """What the suite wrote besides its results; {} when it wrote nothing (it did not get that far)."""
    try:
        found = json.loads((report_dir / RUN_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
