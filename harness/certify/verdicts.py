"""The verdict of one run as a document (what verdict.json holds, every other output is written from it), and what
changed between two verdicts.

Besides each requirement's result, the verdict names the agent (its reported version and the build's SHA-256), the
card it was judged with, the tool, the browser, the page and the trusted sites; secrets are masked in it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from domain.masking import mask_values
from harness.certify.pinned import check_page, tool_version
from harness.certify.results import STATUSES, RequirementResult, result
from harness.certify.run import CertifyRequest
from harness.certify.suite.kit import HOLDER
from simulators.card.client import CardControlClient
from simulators.client import SimulatorError

VERDICT_FORMAT = 2  # 2: result, allowed_not_run, tool.package_version, browser, page, agent.binary, trusted_sites


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
    counts = {status: sum(row.status == status for row in rows) for status in STATUSES}
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
