"""What a certify-agent verdict says and what it is judged with: the pinned page, the tool's version, the result and
exit code, where it writes, and the command line that asks for it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.certify import CertifyRequest, RequirementResult, compare, print_comparison, result, verdict, write_summary
from harness.certify.pinned import PAGE, PINS, PinError, check_page, digest
from harness.certify.requirements import REQUIREMENTS
from harness.cli import parse_command_line
from harness.lifeline import FORCE

ROOT = Path(__file__).resolve().parents[2]
CERTIFIER = ROOT / "harness" / "certify"


def rows(**statuses: str) -> list[RequirementResult]:
    """Every requirement PASS but those named (AG_07="NOT RUN")."""
    changed = {name.replace("_", "-"): status for name, status in statuses.items()}
    return [RequirementResult(r, text, changed.get(r, "PASS"), "") for r, text in REQUIREMENTS.items()]


def test_the_pinned_page_is_checked_file_by_file(tmp_path: Path) -> None:
    assert check_page() == PINS
    copy = tmp_path / "page"
    shutil.copytree(PAGE, copy)
    for name in PINS:  # a Windows checkout's line ends change no pin
        (copy / name).write_bytes((copy / name).read_bytes().replace(b"\n", b"\r\n"))
    assert check_page(copy) == PINS
    (copy / "agent.js").write_text("// another script\n", encoding="utf-8")
    (copy / "extra.js").write_text("", encoding="utf-8")
    (copy / "portal.css").unlink()
    with pytest.raises(PinError, match=r"missing: portal\.css; changed: agent\.js; not pinned: extra\.js"):
        check_page(copy)


def test_the_pinned_page_is_the_portals_own(tmp_path: Path) -> None:
    """The copy is what the portal twin renders for a member not yet verified, and its scripts byte for byte: when
    the portal's page changes, copy it into harness/certify/page and update PINS (the tool's version follows)."""
    import jinja2

    import portal

    portal_dir = Path(portal.__file__).parent
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(portal_dir / "templates"), autoescape=True)
    settings = SimpleNamespace(agent_url="__AGENT_URL__", agent_timeout=20.0)
    member = SimpleNamespace(verified_level="0")
    for name, title in (("gold.html", "金質會員認證"), ("gold_verify.html", "步驟二：自然人憑證實名驗證")):
        context = {"title": title, "member": member, "settings": settings, "supported": True, "csrf_token": "-"}
        rendered = templates.get_template(name).render(context).replace('"20000"', '"__AGENT_TIMEOUT_MS__"')
        assert (PAGE / name).read_text(encoding="utf-8").rstrip("\n") == rendered.rstrip("\n"), name
    for name in ("agent.js", "portal.css", "portal.js"):
        assert (PAGE / name).read_bytes() == (portal_dir / "static" / name).read_bytes(), name


def test_the_version_changes_with_every_requirement_check_or_page(tmp_path: Path) -> None:
    copy = tmp_path / "certify"
    shutil.copytree(CERTIFIER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    first = digest(copy)
    assert digest(copy) == first
    changed = []
    for path in (
        copy / "requirements.py",
        copy / "suite" / "test_sites.py",
        copy / "oracle.py",
        copy / "page" / "gold.html",
    ):
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        changed.append(digest(copy))
        path.write_bytes(original.replace(b"\n", b"\r\n"))  # line ends alone change nothing
        assert digest(copy) == first, path
        path.write_bytes(original)
    assert first not in changed
    assert len(set(changed)) == len(changed)


def test_not_run_makes_the_verdict_incomplete_unless_accepted(tmp_path: Path) -> None:
    assert result(rows()) == "PASS"
    assert result(rows(AG_23="NOT RUN")) == "INCOMPLETE"
    assert result(rows(AG_23="NOT RUN"), ("AG-23",)) == "PASS"
    assert result(rows(AG_23="NOT RUN", AG_07="ERROR"), ("AG-23",)) == "FAIL"
    request = CertifyRequest(agent_url="http://127.0.0.1:1", chromium="/nowhere")
    document = verdict(request, rows(AG_23="NOT RUN"), version="1.2.3.4", profile={"controlled": False})
    assert document["result"] == "INCOMPLETE"
    assert document["tool"]["version"].startswith(document["tool"]["package_version"] + "+")
    assert document["browser"].startswith("not started")
    assert document["page"]["sha256"] == PINS
    summary = write_summary(tmp_path, document).read_text(encoding="utf-8")
    assert "不完整 INCOMPLETE" in summary
    allowed = CertifyRequest(agent_url="http://127.0.0.1:1", allow_not_run=("AG-23",))
    accepted = verdict(allowed, rows(AG_23="NOT RUN"), version="1.2.3.4", profile={"controlled": False})
    assert (accepted["result"], accepted["allowed_not_run"]) == ("PASS", ["AG-23"])
    assert "not run, accepted: AG-23" in write_summary(tmp_path, accepted).read_text(encoding="utf-8")


def test_a_comparison_says_when_the_tool_changed_in_between(capsys: pytest.CaptureFixture[str]) -> None:
    request = CertifyRequest(agent_url="http://127.0.0.1:1")
    current = verdict(request, rows(AG_04="FAIL"), version="1.2.3.5", profile={})
    same_tool = verdict(request, rows(), version="1.2.3.4", profile={})
    print_comparison(compare(same_tool, current), same_tool, current)
    said = capsys.readouterr().out
    assert "AG-04  PASS → FAIL" in said
    assert "the tool changed" not in said
    older_tool = {**same_tool, "tool": {**same_tool["tool"], "version": "0.1.0+000000000000"}}
    print_comparison(compare(older_tool, current), older_tool, current)
    assert f"the tool changed too (0.1.0+000000000000 → {current['tool']['version']})" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "command", "seen"),
    [
        (
            ["certify-agent", "--agent-url", "U", "--report", "run", "--only", "AG-07"],
            "certify-agent",
            {"report": "run", "only": "AG-07", "pytest_args": []},
        ),
        (
            ["certify-agent", "--agent-url", "run", "--report", "notebook", "--compare", "run"],
            "certify-agent",
            {"agent_url": "run", "report": "notebook", "compare": "run"},
        ),
        (
            ["--base-url", "https://run.example", "run", "-k", "notebook", "--base-url", "https://b.example"],
            "run",
            {"base_url": "https://b.example", "pytest_args": ["-k", "notebook"]},
        ),
        (
            ["--base=https://x.example", "run", "-n", "0"],
            "run",
            {"base_url": "https://x.example", "pytest_args": ["-n", "0"]},
        ),
        (
            ["--seed", "7", "notebook", "--port", "9", "run"],
            "notebook",
            {"seed": 7, "lab_args": ["--port", "9", "run"]},
        ),
        (["trace", "--results", "run"], "trace", {"results": "run"}),
    ],
    ids=["report-run", "values-spell-commands", "run-after-base-url", "abbreviated", "notebook", "trace"],
)
def test_the_command_line_splits_at_the_command_only(argv: list[str], command: str, seen: dict[str, object]) -> None:
    args = parse_command_line(argv)
    assert args.command == command
    assert {name: getattr(args, name) for name in seen} == seen


def test_a_run_into_a_folder_named_run_writes_there_only_and_is_incomplete(tmp_path: Path) -> None:
    """`tpcd certify-agent --agent-url U --report run --only AG-07` from another folder: AG-07 alone, into ./run."""
    with socket.create_server(("127.0.0.1", 0)) as closed:
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    command = [sys.executable, "-m", "harness.cli", "certify-agent", "--agent-url", nowhere, "--report", "run"]
    # with the portable guards (harness/lifeline.py), as on Windows and macOS: the suite's pytest watches its lifeline
    environ = {**os.environ, FORCE: "1"}
    done = subprocess.run(
        [*command, "--only", "AG-07"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 3, output[-3000:]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"], "written outside --report"
    document = json.loads((tmp_path / "run" / "verdict.json").read_text(encoding="utf-8"))
    evidence = {row["id"]: (row["status"], row["evidence"]) for row in document["requirements"]}
    status, reason = evidence.pop("AG-07")
    assert status == "NOT RUN"
    assert "--control-url" in reason  # it ran, and said what it lacked
    assert set(evidence.values()) == {("NOT RUN", "not selected (--only)")}
    assert document["result"] == "INCOMPLETE"
    assert "判定 verdict: INCOMPLETE" in output
    written = {path.name for path in (tmp_path / "run").iterdir()}
    # the Allure report's trend file too: under --report, never reports/history.jsonl of the current folder
    assert {"verdict.json", "junit.xml", "summary.html", "allure-results", "allure-report", "history.jsonl"} <= written


def test_bad_requirement_names_and_an_unreadable_binary_are_refused(tmp_path: Path) -> None:
    tpcd = [sys.executable, "-m", "harness.cli", "certify-agent", "--agent-url", "http://127.0.0.1:9"]
    refused = subprocess.run(
        [*tpcd, "--report", str(tmp_path), "--allow-not-run", "AG-99"], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2
    assert "--allow-not-run: no requirement AG-99 (AG-01 … AG-26)" in refused.stderr
    missing = tmp_path / "no-such-build.exe"
    refused = subprocess.run(
        [*tpcd, "--report", str(tmp_path), "--agent-binary", str(missing)], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2
    assert f"--agent-binary {missing}: No such file or directory" in refused.stderr
    assert not (tmp_path / "verdict.json").exists()
