"""The CI workflows are valid: GitHub's workflow schema, checked offline; each runs the project's own commands.

actionlint would be the first choice, but its PyPI wrapper downloads the binary from GitHub, which is out of reach
here; check-jsonschema carries the SchemaStore github-workflow schema with it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from harness.cli import parse_command_line
from tests.portals.variants import VARIANTS

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / ".venv" / "bin" / "check-jsonschema"


WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _schema_check(*workflows: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHECK), "--builtin-schema", "vendor.github-workflows", *map(str, workflows)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_every_workflow_matches_the_github_workflow_schema(tmp_path: Path) -> None:
    assert {path.name for path in WORKFLOWS} >= {
        "e2e.yml",
        "certify-agent.yml",
        "mutation.yml",
        "lock.yml",
        "equivalent-portals.yml",
        "staging.yml",
    }
    done = _schema_check(*WORKFLOWS)  # one call: the schema is loaded once
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text(encoding="utf-8").replace("runs-on:", "runs_on:"), encoding="utf-8")
    assert _schema_check(broken).returncode != 0  # the check can fail


def test_workflow_shards_and_merges_with_the_projects_own_commands() -> None:
    text = (ROOT / ".github" / "workflows" / "e2e.yml").read_text(encoding="utf-8")
    assert "--shard ${{ matrix.shard }}/4" in text
    assert "make setup" in text
    assert "tpcd report" in text
    assert "history.jsonl" in text


def test_mutation_workflow_runs_changed_functions_on_push_and_every_mutant_nightly() -> None:
    text = (ROOT / ".github" / "workflows" / "mutation.yml").read_text(encoding="utf-8")
    assert '- "portal/**"' in text  # a push that changes the twin
    assert "schedule:" in text
    assert "cron:" in text
    assert 'tpcd mutate --since "$BEFORE"' in text  # only the mutants of what the push changed
    assert "fetch-depth: 0" in text  # --since needs the commit before the push
    assert "make mutants" in text  # nightly: every mutant
    assert "path: reports/mutation" in text
    assert "reports/mutation/killers.json" in text  # the last runs' killers, kept between runs (actions/cache)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "mutants: setup\n\t$(VENV)/bin/tpcd mutate $(MUTATE_ARGS)" in makefile


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


def test_the_lock_is_refreshed_weekly_as_a_reviewed_change_that_passed_make_test() -> None:
    text = (ROOT / ".github" / "workflows" / "lock.yml").read_text(encoding="utf-8")
    assert "schedule:" in text
    assert "workflow_dispatch:" in text
    assert "make lock UPGRADE=1" in text
    steps = text[text.index("steps:") :]
    assert steps.index("run: make lock UPGRADE=1") < steps.index("make test\n") < steps.index("create-pull-request")


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


def test_the_staging_job_attaches_on_demand_and_nightly_with_its_secrets_from_the_store() -> None:
    text = (ROOT / ".github" / "workflows" / "staging.yml").read_text(encoding="utf-8")
    triggers = text.split("\non:\n", 1)[1].split("\n\n", 1)[0]
    assert "schedule:" in triggers
    assert "workflow_dispatch:" in triggers
    assert "push:" not in triggers
    for secret in ("STAGING_TOKEN", "STAGING_BASIC_AUTH", "STAGING_CA_BUNDLE"):
        assert f"${{{{ secrets.{secret} }}}}" in text, secret
    (run,) = [line.strip() for line in text.splitlines() if line.strip().startswith(".venv/bin/tpcd run ")]
    assert '--base-url "$STAGING_BASE_URL" --stack "$STAGING_STACK"' in run
    assert "name: staging-allure-report" in text
    assert "reports/allure-report" in text
