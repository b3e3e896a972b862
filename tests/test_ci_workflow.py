"""The CI workflow that publishes the report is valid: GitHub's workflow schema, checked offline.

actionlint would be the first choice, but its PyPI wrapper downloads the binary from GitHub, which is out of reach
here; check-jsonschema carries the SchemaStore github-workflow schema with it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.portals.variants import VARIANTS

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / ".venv" / "bin" / "check-jsonschema"


@pytest.mark.parametrize("name", ["e2e.yml", "equivalent-portals.yml"])
def test_the_workflow_matches_the_github_workflow_schema(tmp_path: Path, name: str) -> None:
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


def test_the_equivalent_portals_job_runs_the_whole_suite_against_every_variant_on_a_schedule() -> None:
    text = (ROOT / ".github" / "workflows" / "equivalent-portals.yml").read_text(encoding="utf-8")
    triggers = text.split("\non:\n", 1)[1].split("\n\n", 1)[0]
    assert "schedule:" in triggers
    assert "workflow_dispatch:" in triggers
    assert "push:" not in triggers  # the whole suite four times: nightly, not on every push
    assert f"variant: [{', '.join(VARIANTS)}]" in text
    (run,) = [line.strip() for line in text.splitlines() if "--portal-variant ${{ matrix.variant }}" in line]
    assert run.startswith("run: .venv/bin/python -m pytest steps -p tests.portals.plugin --portal-variant ")
    assert " -k " not in run  # the whole suite
    assert "--shard" not in run
