"""The scripted 步驟二 finds its page and the addresses its script calls as the citizen's browser did, or in the
portal profile: never by a route of the suite's own (a portal built otherwise than the twin is served here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from pages.attacker import EVIDENCE_ADDRESS, NONCE_ADDRESS, CardScript, Tab
from pages.gold import CardVerificationPage, GoldVerificationPage
from simulators.serving import RunningServer, stop_together

STEP_TWO = "<h1>步驟二：自然人憑證實名驗證</h1><form id='card-form' data-csrf='t0ken' {attributes}></form>"


def _portal() -> FastAPI:
    """A portal with its own addresses: 步驟二 at two places, one declaring what its script calls, one hiding it."""
    app = FastAPI()

    @app.get("/zh/gold", response_class=HTMLResponse)
    def gold() -> str:
        return "<h1>金質會員認證</h1><a id='to-step-two' href='step-two' hidden>下一步</a>"

    @app.get("/zh/step-two", response_class=HTMLResponse)
    def declared() -> str:
        return STEP_TWO.format(attributes="data-nonce-url='/api/challenge' data-verify-url='evidence'")

    @app.get("/zh/hidden", response_class=HTMLResponse)
    def hidden() -> str:
        return STEP_TWO.format(attributes="")

    @app.post("/api/challenge")
    def challenge(request: Request) -> JSONResponse:
        assert request.headers["x-csrf-token"] == "t0ken"
        return JSONResponse({"nonce_id": 7, "nonce": "n0nce"})

    @app.post("/profile/challenge")
    def profile_challenge() -> JSONResponse:
        return JSONResponse({"nonce_id": 8, "nonce": "fr0m-profile"})

    return app


@pytest.fixture
def portal_url() -> Iterator[str]:
    server = RunningServer(_portal(), name="portal", host="127.0.0.1", port=0, timeout=10)
    try:
        yield server.url
    finally:
        stop_together([server])


def _script(url: str, seen: dict[str, str], addresses: dict[str, str] | None = None) -> CardScript:
    tab = Tab(url, None, seen=seen)
    return CardScript(tab, "http://127.0.0.1:9", "123456", addresses=addresses)


def test_the_page_the_browser_was_shown_names_what_its_script_calls(portal_url: str) -> None:
    script = _script(portal_url, {CardVerificationPage.TITLE: portal_url + "/zh/step-two"})
    assert (script.nonce_url, script.verify_url) == (portal_url + "/api/challenge", portal_url + "/zh/evidence")
    assert script.nonce().value == "n0nce"


def test_step_two_is_reached_by_the_next_of_the_gold_page_the_browser_was_shown(portal_url: str) -> None:
    script = _script(portal_url, {GoldVerificationPage.TITLE: portal_url + "/zh/gold"})
    assert script.page == portal_url + "/zh/step-two"


def test_a_page_that_hides_its_addresses_takes_them_from_the_profile(portal_url: str) -> None:
    profile = {
        CardVerificationPage.TITLE: portal_url + "/zh/hidden",
        NONCE_ADDRESS: portal_url + "/profile/challenge",
        EVIDENCE_ADDRESS: portal_url + "/profile/evidence",
    }
    script = _script(portal_url, {}, profile)
    assert script.page == portal_url + "/zh/hidden"
    assert script.nonce().value == "fr0m-profile"
    assert script.verify_url == portal_url + "/profile/evidence"


def test_what_neither_the_page_nor_the_profile_names_is_refused(portal_url: str) -> None:
    with pytest.raises(LookupError, match="never shown"):
        _script(portal_url, {})
    with pytest.raises(LookupError, match=NONCE_ADDRESS):
        _script(portal_url, {CardVerificationPage.TITLE: portal_url + "/zh/hidden"})
