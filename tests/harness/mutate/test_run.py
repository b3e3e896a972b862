"""`tpcd mutate` end to end: real mutants of the twin against real scenarios, in a browser, side by side.

Two mutants and one scenario (驗證碼輸入錯誤時告知剩餘次數…, documented step 6), in session mode (the default):
the twin accepting a wrong one-time code is killed by it; the twin skipping the signature check (step 22) survives
a selection that deliberately holds no real-name scenario, without running it (the reach map shows it never runs
that line). The report says both, on the terminal, in JSON and in HTML.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TPCD = [sys.executable, "-m", "harness.cli"]
WRONG_CODE_ACCEPTED = "refusal:routes/contact:_check:12"  # `if outcome is CodeCheck.WRONG` never true
SIGNATURE_UNCHECKED = "semantic:skip-signature-verification"
SCENARIO = "驗證碼輸入錯誤時告知剩餘次數之後輸入正確的驗證碼仍可繼續"


def test_a_scenario_kills_one_mutant_and_a_too_narrow_selection_lets_another_survive(tmp_path: Path) -> None:
    out = tmp_path / "mutation"
    command = [*TPCD, "mutate", "--only", WRONG_CODE_ACCEPTED, "--only", SIGNATURE_UNCHECKED, "-k", SCENARIO]
    done = subprocess.run(
        [*command, "--jobs", "2", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr  # a survivor
    lines = done.stdout.splitlines()
    assert any(line.startswith("KILLED") and WRONG_CODE_ACCEPTED in line and SCENARIO in line for line in lines)
    assert any(line.startswith("SURVIVED") and SIGNATURE_UNCHECKED in line for line in lines)
    assert "mutation score 50.0% (killed 1, survived 1); wall time" in done.stdout

    document = json.loads((out / "mutation.json").read_text(encoding="utf-8"))
    by_id = {entry["id"]: entry for entry in document["mutants"]}
    killed, survived = by_id[WRONG_CODE_ACCEPTED], by_id[SIGNATURE_UNCHECKED]
    assert killed["status"] == "killed"
    assert killed["killed_by"] == SCENARIO
    assert killed["phase"] == "steps"  # found among the scenarios of its own documented step
    assert killed["documented_steps"] == [6]
    assert killed["location"] == f"portal/routes/contact.py:{killed['line']} (_check)"
    assert killed["original"] == "outcome is CodeCheck.WRONG"
    assert survived["status"] == "survived"
    assert survived["scenarios_run"] == 0  # the one scenario never runs the signature check: too narrow a selection
    assert survived["documented_steps"] == [22]
    assert document["score"] == 0.5
    kept = json.loads((out / "killers.json").read_text(encoding="utf-8"))["kills"]  # the next run tries it first
    assert kept[WRONG_CODE_ACCEPTED]["scenario"] == "test_" + killed["killed_by"]
    assert kept[WRONG_CODE_ACCEPTED]["signature"].startswith("steps/")  # where the scenario failed, in its steps
    assert SIGNATURE_UNCHECKED not in kept

    page = (out / "index.html").read_text(encoding="utf-8")
    assert "score 50.0%" in page
    rows = page.index("<table>")
    assert page.index(SIGNATURE_UNCHECKED, rows) < page.index(WRONG_CODE_ACCEPTED, rows)  # survivors first
    assert "<b>SURVIVED</b>" in page
    assert "<b>KILLED</b> steps" in page
    log = out / "logs" / WRONG_CODE_ACCEPTED.replace(":", "_").replace("/", "_") / "pytest.log"
    assert "1 failed" in log.read_text(encoding="utf-8")
    unreached = out / "logs" / "semantic_skip-signature-verification" / "pytest.log"
    assert "0 scenarios run portal/realname.py" in unreached.read_text(encoding="utf-8")
    assert not list((ROOT / "portal").rglob("*.orig"))
    assert subprocess.run(["git", "diff", "--quiet", "--", "portal"], cwd=ROOT, check=False).returncode == 0


def test_list_names_every_mutant_without_running_one() -> None:
    done = subprocess.run(
        [*TPCD, "mutate", "--list", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    rows = json.loads(done.stdout)
    ids = {row["id"] for row in rows}
    assert {WRONG_CODE_ACCEPTED, SIGNATURE_UNCHECKED} <= ids
    assert {row["operator"] for row in rows} == {"refusal", "negate", "skip-mark", "semantic"}
    assert any(row["equivalent"] for row in rows)


def test_bad_requests_are_refused_in_one_line() -> None:
    unknown = subprocess.run(
        [*TPCD, "mutate", "--only", "refusal:nowhere:1"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "tpcd mutate: --only: no mutant refusal:nowhere:1 (tpcd mutate --list names them)"
    )
    deployed = subprocess.run(
        [*TPCD, "--base-url", "http://127.0.0.1:9", "mutate", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deployed.returncode == 2
    assert deployed.stderr.startswith("tpcd mutate: base_url is set")
    assert len(deployed.stderr.strip().splitlines()) == 1
