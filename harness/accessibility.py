"""axe-core's verdict on a screen, and a deployment's baseline of known violations: what the plugin needs, no pytest.

axe-core (npm, beside the Allure CLI) is the oracle: its `axe.min.js` is evaluated in the page and `axe.run` says which
rules the screen breaks, how badly (impact), where (a CSS selector and the element's HTML), which WCAG success
criteria the rule checks (its `wcag…` tags) and where the rule is explained (helpUrl). Taiwan's 無障礙網頁規範 is based
on WCAG 2.x, so the WCAG 2.0/2.1/2.2 A and AA rules are run (RUN_TAGS).
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

HARNESS_ROOT = Path(__file__).resolve().parents[1]
AXE_SCRIPT = Path("node_modules/axe-core/axe.min.js")
RUN_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
FAILING_IMPACTS = ("serious", "critical")  # what fails a step in `fail` mode; minor and moderate are reported
BASELINE_KEYS = {"rule", "reason", "target", "path"}
_CRITERION = re.compile(r"^wcag(\d)(\d)(\d+)$")  # axe's tag of one success criterion: wcag143 → 1.4.3


class AxeMissing(RuntimeError):
    """axe-core is not installed where the harness looks; the message says how to install it."""


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file and the entry."""


def axe_source(project_root: Path) -> str:
    """axe.min.js from the project's node_modules (or the harness's own, for a project elsewhere)."""
    for root in (project_root, HARNESS_ROOT):
        if (root / AXE_SCRIPT).is_file():
            return (root / AXE_SCRIPT).read_text(encoding="utf-8")
    raise AxeMissing(
        f"axe-core not found at {project_root / AXE_SCRIPT}: run `make setup` (npm ci installs it), "
        "or set TPCD_A11Y=off to run without accessibility checks"
    )


def criteria(tags: list[str]) -> list[str]:
    """The WCAG success criteria among a rule's tags: ["wcag143", "wcag2aa"] → ["1.4.3"]."""
    found = []
    for tag in tags:
        if match := _CRITERION.match(tag):
            found.append(".".join(match.groups()))
    return found


@dataclass(frozen=True, slots=True)
class Finding:
    """One element that breaks one rule on one screen."""

    rule: str
    impact: str
    target: str  # axe's CSS selector of the element
    html: str  # the element's opening HTML, as axe quotes it
    summary: str  # axe's failureSummary: what to fix
    help: str
    help_url: str
    tags: tuple[str, ...]
    accepted: str | None = None  # the baseline's reason, when a deployment accepts this violation

    @property
    def wcag(self) -> list[str]:
        """The WCAG success criteria the rule checks."""
        return criteria(list(self.tags))

    @property
    def fails(self) -> bool:
        """A serious or critical violation nobody accepted."""
        return self.impact in FAILING_IMPACTS and self.accepted is None

    def line(self) -> str:
        """One line naming the rule, its impact, the element, the criterion and the rule's help page."""
        criterion = f"WCAG {', '.join(self.wcag)}" if self.wcag else ", ".join(t for t in self.tags if "wcag" in t)
        accepted = f"（基準檔接受：{self.accepted}）" if self.accepted else ""
        where = f"{self.target} {self.html}"
        return f"{self.rule} [{self.impact}] {where} — {self.help} ({criterion}) {self.help_url}{accepted}"

    def as_json(self) -> dict[str, Any]:
        """What the report's evidence holds for it."""
        return {
            "rule": self.rule,
            "impact": self.impact,
            "element": self.target,
            "html": self.html,
            "summary": self.summary,
            "wcag": self.wcag,
            "tags": list(self.tags),
            "help": self.help,
            "helpUrl": self.help_url,
            **({"accepted": self.accepted} if self.accepted else {}),
        }


@dataclass(frozen=True, slots=True)
class Accepted:
    """A baseline entry: a rule's violations a deployment knows of, on some elements or paths, and why."""

    rule: str
    reason: str
    target: str | None = None  # only this element (axe's selector, exactly)
    path: str | None = None  # only on pages whose path starts so

    def covers(self, finding: Finding, url: str) -> bool:
        """True when `finding` on the page at `url` is this entry's."""
        if finding.rule != self.rule or (self.target is not None and finding.target != self.target):
            return False
        return self.path is None or urlsplit(url).path.startswith(self.path)


def load_baseline(path: Path) -> list[Accepted]:
    """The `[[accept]]` entries of a TOML baseline, each with a rule and a reason; anything else is refused."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"a11y baseline {path} cannot be read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise BaselineError(f"a11y baseline {path} is not valid TOML: {error}") from None
    unknown = set(document) - {"accept"}
    if unknown:
        raise BaselineError(f"a11y baseline {path}: unknown table {sorted(unknown)[0]!r}; only [[accept]] entries")
    entries = document.get("accept", [])
    if not isinstance(entries, list):
        raise BaselineError(f"a11y baseline {path}: accept must be an array of tables ([[accept]])")
    accepted = []
    for number, entry in enumerate(entries, start=1):
        where = f"a11y baseline {path}, [[accept]] #{number}"
        if not isinstance(entry, dict):
            raise BaselineError(f"{where} is not a table")
        if extra := set(entry) - BASELINE_KEYS:
            raise BaselineError(f"{where}: unknown key {sorted(extra)[0]!r}; known: {', '.join(sorted(BASELINE_KEYS))}")
        for key in ("rule", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise BaselineError(f"{where}: {key} is missing or empty (every accepted violation needs its {key})")
        for key in ("target", "path"):
            if key in entry and not isinstance(entry[key], str):
                raise BaselineError(f"{where}: {key} must be a string")
        accepted.append(Accepted(entry["rule"], entry["reason"].strip(), entry.get("target"), entry.get("path")))
    return accepted


def analyse(page: Page, source: str, baseline: list[Accepted]) -> list[Finding]:
    """Run axe-core on the page's current document (injected once per document) and return every violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    options = {"runOnly": {"type": "tag", "values": list(RUN_TAGS)}, "resultTypes": ["violations"]}
    raw: dict[str, Any] = page.evaluate("options => window.axe.run(document, options)", options)
    return findings(raw, page.url, baseline)


def findings(raw: dict[str, Any], url: str, baseline: list[Accepted]) -> list[Finding]:
    """axe's result object as one Finding per element and rule, with the baseline's reason where it applies."""
    found = []
    for violation in raw.get("violations", []):
        for node in violation.get("nodes", []):
            target = " ".join(str(part) for part in node.get("target", []))
            finding = Finding(
                rule=violation["id"],
                impact=node.get("impact") or violation.get("impact") or "unknown",
                target=target,
                html=str(node.get("html", ""))[:300],
                summary=str(node.get("failureSummary", "")),
                help=str(violation.get("help", "")),
                help_url=str(violation.get("helpUrl", "")),
                tags=tuple(violation.get("tags", [])),
            )
            reason = next((entry.reason for entry in baseline if entry.covers(finding, url)), None)
            found.append(finding if reason is None else dataclasses.replace(finding, accepted=reason))
    return found


def as_json(url: str, found: list[Finding]) -> str:
    """The evidence attached to the step: the page and each violation."""
    return json.dumps({"url": url, "violations": [f.as_json() for f in found]}, ensure_ascii=False, indent=2)
