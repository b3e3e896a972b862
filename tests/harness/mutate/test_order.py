"""The order a mutant meets the scenarios in, and the rerun rule that decides a kill: pure logic, no suite run."""

from __future__ import annotations

from harness.mutate.order import History, Scenario, may_kill, order, rarest_first, settle, signature

CODE = Scenario("test_code", frozenset({"doc-step-6", "sms"}))
CAPTCHA = Scenario("test_captcha", frozenset({"doc-step-6"}))
CARD = Scenario("test_card", frozenset({"doc-step-22"}))
JOURNEY = Scenario("test_journey", frozenset({f"doc-step-{n}" for n in range(1, 25)}))
LOGIN = Scenario("test_login", frozenset({"doc-step-24"}))
SUITE = [JOURNEY, CODE, CAPTCHA, CARD, LOGIN]


def names(scenarios: list[Scenario]) -> list[str]:
    return [scenario.name for scenario in scenarios]


def test_the_steps_scenarios_come_first_and_the_suites_order_stands_without_history() -> None:
    first, rest = order(SUITE, [6], "portal/routes/contact.py:_check", History())
    assert names(first) == ["test_journey", "test_code", "test_captcha"]
    assert names(rest) == ["test_card", "test_login"]


def test_the_quickest_first_when_nothing_has_killed_yet() -> None:
    history = History(durations={"test_journey": 40.0, "test_code": 3.0, "test_captcha": 1.0})
    first, rest = order(SUITE, [6], "portal/routes/contact.py:_check", history)
    assert names(first) == ["test_captcha", "test_code", "test_journey"]
    assert names(rest) == ["test_card", "test_login"]  # never timed: the median, so their own order


def test_the_scenario_that_killed_the_same_functions_mutants_goes_first_then_any_killer() -> None:
    history = History(durations={"test_journey": 40.0, "test_code": 3.0, "test_captcha": 1.0, "test_login": 2.0})
    history.record("portal/routes/contact.py:_check", "test_journey", {})
    history.record("portal/routes/contact.py:_check", "test_journey", {})
    history.record("portal/routes/contact.py:_send", "test_code", {})
    history.record("portal/routes/login.py:login", "test_login", {})
    history.record("portal/routes/login.py:login", "test_login", {})
    history.record("portal/routes/login.py:login", "test_login", {})
    first, rest = order(SUITE, [6], "portal/routes/contact.py:_check", history)
    assert names(first) == ["test_journey", "test_code", "test_captcha"]  # 2 kills here, then 1 elsewhere, then time
    assert names(rest) == ["test_login", "test_card"]


def test_a_survivor_records_durations_but_no_kill() -> None:
    history = History()
    history.record("portal/store.py:Store.take_nonce", "", {"test_card": 7.5})
    assert history.kills == {}
    assert history.durations == {"test_card": 7.5}


def test_a_scenario_that_passes_runs_once() -> None:
    tries: list[str | None] = []

    def rerun() -> str | None:
        tries.append("ran")
        return None

    verdict = settle(None, 1, rerun)
    assert (verdict.killed, verdict.runs) == (False, 1)
    assert tries == []


def test_a_kill_needs_the_same_failure_on_every_rerun() -> None:
    same = signature("pages/base.py", 47, "expected the 「會員註冊」 screen")
    assert settle(same, 2, lambda: same).killed
    assert settle(same, 2, lambda: same).runs == 3
    assert settle(same, 0, lambda: None).killed  # no rerun asked for: the first failure kills


def test_a_rerun_that_passes_or_fails_otherwise_kills_nothing() -> None:
    first = signature("pages/base.py", 47, "expected the 「實名認證成功」 screen")
    other = signature("harness/codes.py", 88, "TimeoutError: no SMS with a code reached 0916452928 within 5.0s")
    passing = settle(first, 1, lambda: None)
    assert (passing.killed, passing.runs) == (False, 2)
    assert not settle(first, 1, lambda: other).killed
    answers = iter([first, None])
    assert not settle(first, 2, lambda: next(answers)).killed


def test_a_signature_leaves_out_the_numbers_a_try_draws_afresh() -> None:
    one = signature("harness/codes.py", 88, "TimeoutError: no SMS reached 0916452928 within 5.0s\nmore")
    two = signature("harness/codes.py", 88, "TimeoutError: no SMS reached 0912000111 within 5.0s")
    assert one == two
    assert one != signature("harness/codes.py", 89, "TimeoutError: no SMS reached 0912000111 within 5.0s")
    opened = "page.goto: net::ERR_ABORTED at http://127.0.0.1:4{}/register/netizen/callback?code={}&state={}"
    assert signature("steps/profile.py", 9, opened.format(1234, "Xk_9aQ", "pZ-3")) == signature(
        "steps/profile.py", 9, opened.format(5678, "b7Rt2w", "Lm0_q")
    )
    assert signature("x.py", 1, "nonce tpcdN0nceAbCdEfGhIj9_ refused") == signature(
        "x.py", 1, "nonce QwErTyUiOpAsDfGh-k refused"
    )
    assert signature("pages/base.py", 47, "expected the 「A」 screen") != signature(
        "pages/base.py", 47, "expected the 「B」 screen"
    )


def test_only_a_scenario_that_runs_a_mutated_line_on_the_twin_can_kill() -> None:
    ran = {"passed": True, "lines": {"portal/routes/contact.py": [200, 202, 204], "portal/store.py": [428]}}
    assert may_kill(ran, "portal/routes/contact.py", 202, 202)
    assert may_kill(ran, "portal/store.py", 425, 430)  # a mutation over several lines: any of them
    assert not may_kill(ran, "portal/routes/contact.py", 203, 203)
    assert not may_kill(ran, "portal/routes/login.py", 52, 52)


def test_a_scenario_failing_on_the_twin_kills_nothing_and_one_never_mapped_is_tried() -> None:
    broken = {"passed": False, "lines": {"portal/store.py": [428]}}
    assert not may_kill(broken, "portal/store.py", 428, 428)
    assert may_kill(None, "portal/store.py", 428, 428)


def test_a_first_failure_exactly_as_the_last_runs_confirmed_kill_needs_no_rerun() -> None:
    recorded = signature("pages/base.py", 47, "expected the 「實名認證成功」 screen")
    tries: list[str] = []

    def rerun() -> str | None:
        tries.append("ran")
        return recorded

    verdict = settle(recorded, 1, rerun, remembered=recorded)
    assert (verdict.killed, verdict.runs, verdict.remembered, tries) == (True, 1, True, [])
    otherwise = signature("pages/base.py", 52, "expected the 「插入自然人憑證」 screen")
    verdict = settle(otherwise, 1, rerun, remembered=recorded)  # failed another way than last time: the rule as ever
    assert (verdict.killed, verdict.runs, verdict.remembered, tries) == (False, 2, False, ["ran"])


def test_the_scenarios_that_ran_the_disabled_refusal_come_first_the_rarest_line_first() -> None:
    module = "portal/routes/contact.py"
    reach = {
        "test_journey": {"passed": True, "lines": {module: [200, 201, 210]}},  # past the `if`, never into it
        "test_code": {"passed": True, "lines": {module: [200, 202, 205]}},  # into the refusal, as another does
        "test_captcha": {"passed": True, "lines": {module: [200, 202]}},
        "test_card": {"passed": True, "lines": {module: [200, 204]}},  # the line only it runs
        "test_login": {"passed": False, "lines": {module: [200, 204]}},  # failed on the twin: tells nothing
    }
    ranked = rarest_first(SUITE, reach, module, [202, 204])
    assert names(ranked) == ["test_card", "test_code", "test_captcha", "test_journey", "test_login"]
    assert rarest_first(SUITE, reach, module, []) == SUITE  # no `if` around the mutation: the order stands
    assert rarest_first(SUITE, reach, "portal/store.py", [202, 204]) == SUITE
