"""`tpcd certify-agent`: run the agent conformance suite against any agent by URL, and write the evidence.

The evidence a vendor hands to a customer: a one-page summary (summary.html), a machine-readable verdict
(verdict.json: the agent, its reported version and binary's SHA-256, each requirement's status and evidence, the
tool's version, the browser, the page judged with, the date, the card profile, the trusted sites it added and took
back), JUnit XML (junit.xml, one test case per requirement) and the Allure report, all under --report. `--compare
PREVIOUS.json` lists what regressed and what was fixed since an earlier verdict (docs/certification.md).

Statuses: PASS; FAIL (the agent's failure); ERROR (the suite could not do its part: never the agent's fault); NOT RUN
(the requirement needs something this run was not given, and says what). The verdict: FAIL when any requirement
failed or erred (exit 1); INCOMPLETE when one was not run and not accepted with --allow-not-run (exit 3); else PASS.

By job: run.py runs the suite; results.py reads its results as one result per requirement; verdicts.py makes the
verdict document and compares two; outputs.py writes it out (JSON, JUnit, HTML, the terminal); command.py does it all
for `tpcd certify-agent`. This module names what callers use.
"""

from __future__ import annotations

from harness.certify.command import EXIT, certify_agent
from harness.certify.outputs import print_comparison, print_summary, write_junit, write_summary, write_verdict
from harness.certify.results import RequirementResult, outcomes, result
from harness.certify.run import CertifyRequest, run_suite
from harness.certify.verdicts import Comparison, compare, load_verdict, verdict

__all__ = [
    "EXIT",
    "CertifyRequest",
    "Comparison",
    "RequirementResult",
    "certify_agent",
    "compare",
    "load_verdict",
    "outcomes",
    "print_comparison",
    "print_summary",
    "result",
    "run_suite",
    "verdict",
    "write_junit",
    "write_summary",
    "write_verdict",
]
