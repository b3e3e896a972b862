"""The mutation report from outcomes: the score leaves explained and broken runs out, the page puts survivors first
and links each documented step, and the Allure environment line points at the page."""

from __future__ import annotations

import json
from pathlib import Path

from harness.mutate.catalog import Mutant, catalog
from harness.mutate.report import as_json, score, write
from harness.mutate.runner import Outcome, Status
from harness.plugin.reporting import previous_score

ROOT = Path(__file__).resolve().parents[3]


def _mutants() -> list[Mutant]:
    by_id = {m.id: m for m in catalog(ROOT)}
    names = ("semantic:nonce-reusable", "semantic:skip-signature-verification", "semantic:any-issuer")
    return [by_id[name] for name in (*names, "refusal:store:Store.member_by:1", "semantic:captcha-any-site")]


def test_score_counts_killed_and_timeouts_over_what_ran_to_a_verdict() -> None:
    nonce, signature, issuer, member_by, captcha = _mutants()
    outcomes = [
        Outcome(nonce, Status.SURVIVED, scenarios=13),
        Outcome(signature, Status.KILLED, "簽章不符時拒絕", "steps", 12.5, 3),
        Outcome(issuer, Status.TIMEOUT, "no verdict within 10 s"),
        Outcome(member_by, Status.EXPLAINED, reason="a guard against a programming error"),
        Outcome(captcha, Status.ERROR, "pytest exit 4: usage"),
    ]
    assert score(outcomes) == 2 / 3
    assert score([Outcome(member_by, Status.EXPLAINED, reason="r")]) is None


def test_the_page_lists_survivors_first_with_their_steps_and_the_json_everything(tmp_path: Path) -> None:
    nonce, signature, _, member_by, _ = _mutants()
    outcomes = [
        Outcome(signature, Status.KILLED, "簽章不符時拒絕", "steps", 12.5, 3),
        Outcome(member_by, Status.EXPLAINED, reason="a guard against a programming error"),
        Outcome(nonce, Status.SURVIVED, scenarios=13),
    ]
    document = as_json(outcomes, wall_seconds=61.04, selection="all")
    data, page = write(tmp_path / "mutation", document)
    stored = json.loads(data.read_text(encoding="utf-8"))
    assert stored["score"] == 0.5
    assert stored["counts"] == {"killed": 1, "explained": 1, "survived": 1}
    assert stored["wall_seconds"] == 61.0
    killed = next(m for m in stored["mutants"] if m["id"] == signature.id)
    assert killed["killed_by"] == "簽章不符時拒絕"
    assert killed["location"] == f"portal/realname.py:{signature.line} (verify)"
    html = page.read_text(encoding="utf-8")
    table = html.index("<table>")
    assert html.index(nonce.id, table) < html.index(signature.id, table) < html.index(member_by.id, table)
    assert "13 scenarios passed against it" in html
    assert "a guard against a programming error" in html
    assert 'href="../../docs/taipei-card-gold-member-steps.md#' in html
    assert "score 50.0%" in html
    line = previous_score(tmp_path / "mutation")
    assert line is not None
    assert line.startswith("50.0% (all, ")
    assert line.endswith("../mutation/index.html")
    assert previous_score(tmp_path / "nowhere") is None
