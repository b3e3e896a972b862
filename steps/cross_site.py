"""Steps of another service on the portal's own site, or another site, posting the citizen's forms (cross-site request
forgery)."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from pages.attacker import Attacker
from pages.cross_site import Answer, another_site, sends_code_request
from pages.register import VerifyContactPage

# Whether the page puts a guessed value in every hidden field of the form (the token among them).
TOKENS = {"不附表單驗證碼": False, "附上猜測的表單驗證碼": True}


@when(
    parsers.parse("市民開啟同一個網站上別的服務的網頁，它以攻擊者的手機號碼送出「寄送驗證碼簡訊」並{token}"),
    target_fixture="answer",
)
def _(screen: VerifyContactPage, attacker: Attacker, token: str) -> Answer:
    return sends_code_request(screen, attacker.identity.mobile, guessed=TOKENS[token])


@then("網站拒絕這份表單，市民看到拒絕的說明")
def _(answer: Answer) -> None:
    assert answer.with_cookies, "the browser sent the form without the portal's cookie: the page is not same-site"
    assert 400 <= answer.status < 500, f"HTTP {answer.status} at {answer.url}: {answer.alerts}"
    assert any(answer.alerts), f"no refusal shown at {answer.url} (HTTP {answer.status})"


@when(
    "市民開啟別的網站的網頁，它以攻擊者的手機號碼送出「寄送驗證碼簡訊」並附上猜測的表單驗證碼", target_fixture="answer"
)
def _(screen: VerifyContactPage, attacker: Attacker) -> Answer:
    return sends_code_request(screen, attacker.identity.mobile, guessed=True, elsewhere=another_site)


@then(parsers.parse("瀏覽器沒有附上市民的工作階段，網站拒絕這份表單並說明「{words}」"))
def _(answer: Answer, words: str) -> None:
    assert not answer.with_cookies, "the browser sent the portal's cookie with another site's form: is it SameSite?"
    assert 400 <= answer.status < 500, f"HTTP {answer.status} at {answer.url}: {answer.alerts}"
    assert any(words in alert for alert in answer.alerts), f"{answer.alerts} at {answer.url} (HTTP {answer.status})"
