"""`tpcd certify-agent` run as a vendor runs it, for the tests of the certifier."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.tpcd import TPCD

ROOT = Path(__file__).resolve().parents[2]


def certify(report: Path, *args: str, environ: dict[str, str] | None = None) -> tuple[int, str, dict]:
    """Run `tpcd certify-agent … --report REPORT`; its exit code, output and verdict."""
    done = subprocess.run(
        [*TPCD, "certify-agent", *args, "--report", str(report)],
        cwd=ROOT,
        env={**os.environ, **(environ or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    verdict = json.loads((report / "verdict.json").read_text(encoding="utf-8"))
    return done.returncode, done.stdout + done.stderr, verdict


def statuses(verdict: dict) -> dict[str, str]:
    """Requirement id → its status in the verdict."""
    return {row["id"]: row["status"] for row in verdict["requirements"]}
