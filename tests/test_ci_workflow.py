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


def test_mutation_workflow_matches_the_github_workflow_schema() -> None:
    workflow = ROOT / ".github" / "workflows" / "mutation.yml"
    done = subprocess.run(
        [str(CHECK), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mutation_workflow_runs_changed_functions_on_push_and_every_mutant_nightly() -> None:
    text = (ROOT / ".github" / "workflows" / "mutation.yml").read_text(encoding="utf-8")
    assert '- "portal/**"' in text  # a push that changes the twin
    assert "schedule:" in text
    assert "cron:" in text
    assert 'tpcd mutate --since "$BEFORE"' in text  # only the mutants of what the push changed
    assert "fetch-depth: 0" in text  # --since needs the commit before the push
    assert "make mutants" in text  # nightly: every mutant
    assert "path: reports/mutation" in text
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "mutants: setup\n\t$(VENV)/bin/tpcd mutate $(MUTATE_ARGS)" in makefile
