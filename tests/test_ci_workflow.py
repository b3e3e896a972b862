"""The CI workflows are valid: GitHub's workflow schema, checked offline; each runs the project's own commands.

actionlint would be the first choice, but its PyPI wrapper downloads the binary from GitHub, which is out of reach
here; check-jsonschema carries the SchemaStore github-workflow schema with it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from harness.cli import parse_command_line

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / ".venv" / "bin" / "check-jsonschema"


@pytest.mark.parametrize("name", ["e2e.yml", "certify-agent.yml"])
def test_the_workflow_matches_the_github_workflow_schema(name: str, tmp_path: Path) -> None:
    workflow = ROOT / ".github" / "workflows" / name
    done = subprocess.run(
        [str(CHECK), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text(encoding="utf-8").replace("runs-on:", "runs_on:"), encoding="utf-8")
    refused = subprocess.run(
        [str(CHECK), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0  # the check can fail


def test_workflow_shards_and_merges_with_the_projects_own_commands() -> None:
    text = (ROOT / ".github" / "workflows" / "e2e.yml").read_text(encoding="utf-8")
    assert "--shard ${{ matrix.shard }}/4" in text
    assert "make setup" in text
    assert "tpcd report" in text
    assert "history.jsonl" in text


def test_certify_agent_runs_where_vendors_are_with_the_card_in_process() -> None:
    text = (ROOT / ".github" / "workflows" / "certify-agent.yml").read_text(encoding="utf-8")
    assert "os: [windows-latest, macos-latest]" in text
    assert "runs-on: ${{ matrix.os }}" in text
    assert "TPCD_CARD_TRANSPORT: direct" in text
    assert "shell: bash" in text  # one script for both systems
    assert "python -m simulators.agent --port 0" in text
    assert "actions/upload-artifact" in text  # the evidence is kept
    # the certify-agent command line, as the job writes it, is one tpcd's parser takes
    joined = re.sub(r"\\\n\s*", " ", text)
    line = re.search(r"tpcd (certify-agent [^\n]*)", joined)
    assert line is not None
    urls = line.group(1).replace('"${urls[0]}"', "A").replace('"${urls[1]}"', "C")
    args = parse_command_line(shlex.split(urls))
    assert (args.agent_url, args.control_url, args.chromium) == ("A", "C", "playwright")
    assert args.report == "reports/certify-agent"
    assert args.agent_binary == "simulators/agent/__main__.py"
