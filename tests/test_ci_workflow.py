"""The CI workflow that publishes the report is valid: GitHub's workflow schema, checked offline.

actionlint would be the first choice, but its PyPI wrapper downloads the binary from GitHub, which is out of reach
here; check-jsonschema carries the SchemaStore github-workflow schema with it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / ".venv" / "bin" / "check-jsonschema"


def test_e2e_workflow_matches_the_github_workflow_schema(tmp_path: Path) -> None:
    workflow = ROOT / ".github" / "workflows" / "e2e.yml"
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
