"""Build the Allure 3 HTML report from allure-results, offline, and make sure it never phones home."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from harness.settings import Settings

# Allure 3's awesome plugin embeds Google Tag Manager (docs/environment.md#reports): a government QA report must not
# call out.
_ANALYTICS = re.compile(
    r"<script\b[^>]*googletagmanager[^>]*>\s*</script>\s*|<script\b[^>]*>(?:(?!</script>)[\s\S])*?gtag\([\s\S]*?</script>\s*",
    re.IGNORECASE,
)
OUTSIDE_HOSTS = ("googletagmanager", "google-analytics", "gtag(")


class ReportError(RuntimeError):
    """The report could not be built; the message says what to install or run."""


def allure_cli(settings: Settings) -> Path:
    """The Allure 3 CLI installed by `npm ci` into node_modules."""
    return settings.project_root / "node_modules" / ".bin" / "allure"


def strip_analytics(html: str) -> str:
    """`html` without Allure's analytics script tags."""
    return _ANALYTICS.sub("", html)


def phones_home(html: str) -> bool:
    """True when the page still references an analytics host."""
    lowered = html.lower()
    return any(marker in lowered for marker in OUTSIDE_HOSTS)


def build_report(
    settings: Settings, *, results: Path | None = None, output: Path | None = None, history: Path | None = None
) -> Path:
    """Generate the single-file report (by default from settings.allure_results); return its index.html. `history`:
    the trend file to read and extend instead of the configuration's (reports/history.jsonl)."""
    cli = allure_cli(settings)
    if not cli.exists():
        raise ReportError(f"Allure CLI not found at {cli}: run `make setup` (it runs `npm ci`)")
    results = results or settings.allure_results
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise ReportError(f"no test results in {results}: run the suite first (`tpcd run` or `make run`)")
    config_dir = settings.project_root / "reports"  # the committed configuration, wherever reports_dir points
    output = output or settings.allure_report
    shutil.rmtree(output, ignore_errors=True)
    command = [str(cli), "awesome", str(results), "--config", str(config_dir / "allurerc.mjs"), "-o", str(output)]
    command += ["--single-file", "--report-language", "zh-TW"]
    if history is not None:
        command += ["--history-path", str(history)]
    finished = subprocess.run(command, cwd=settings.project_root, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise ReportError(f"allure failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}")
    for page in output.rglob("*.html"):
        page.write_text(strip_analytics(page.read_text(encoding="utf-8")), encoding="utf-8")
    index = output / "index.html"
    if not index.exists():
        raise ReportError(f"allure finished but wrote no {index}")
    return index
