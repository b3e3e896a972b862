"""The portal's 網路市民 adapter against standard OAuth 2.0 replies (RFC 6749 §4.1.3, §5; RFC 6750 §2.1)."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import pytest
import requests
import responses
from responses import matchers

from portal.adapters.netizen import NetizenOAuth, NetizenUnavailable

BASE = "https://citizen.taipei"
CALLBACK = "https://portal.example.test/register/netizen/callback"
PROFILE = {"account": "tp1", "name": "王小明", "id_number": "A123456789"}


def _oauth(secret: str = "s3cret") -> NetizenOAuth:
    return NetizenOAuth(BASE, "tpcd-portal", secret, timeout=2)


@responses.activate
def test_the_token_request_authenticates_with_basic_and_repeats_the_redirect_uri() -> None:
    secret = "s3:cret+1"
    pair = f"tpcd-portal:{quote_plus(secret)}".encode()  # RFC 6749 §2.3.1: form-urlencoded, then Basic
    responses.post(
        f"{BASE}/oauth/token",
        json={"access_token": "at", "token_type": "bearer", "expires_in": 3600},
        match=[
            matchers.urlencoded_params_matcher(
                {"grant_type": "authorization_code", "code": "c1", "redirect_uri": CALLBACK}
            ),
            matchers.header_matcher({"Authorization": "Basic " + base64.b64encode(pair).decode()}),
        ],
    )
    responses.get(
        f"{BASE}/api/v1/profile", json=PROFILE, match=[matchers.header_matcher({"Authorization": "Bearer at"})]
    )
    assert _oauth(secret).profile("c1", CALLBACK) == PROFILE


def test_the_authorization_url_names_the_client_the_callback_and_the_state() -> None:
    url = _oauth().authorize_url(CALLBACK, "st")
    assert url.startswith(f"{BASE}/oauth/authorize?")
    assert "response_type=code" in url
    assert f"redirect_uri={quote_plus(CALLBACK)}" in url
    assert "state=st" in url


@pytest.mark.parametrize(
    ("token_reply", "profile_reply"),
    [
        ({"status": 400, "json": {"error": "invalid_grant"}}, None),
        ({"status": 401, "json": {"error": "invalid_client"}, "headers": {"WWW-Authenticate": "Basic"}}, None),
        ({"json": {"token_type": "bearer"}}, None),
        ({"json": {"access_token": "at", "token_type": "bearer"}}, {"status": 401, "json": {"error": "invalid_token"}}),
        ({"body": requests.ConnectTimeout("x")}, None),
    ],
    ids=["invalid-grant", "invalid-client", "no-access-token", "invalid-token", "timeout"],
)
@responses.activate
def test_no_profile_means_unavailable(token_reply: dict[str, object], profile_reply: dict[str, object] | None) -> None:
    responses.post(f"{BASE}/oauth/token", **token_reply)
    if profile_reply is not None:
        responses.get(f"{BASE}/api/v1/profile", **profile_reply)
    with pytest.raises(NetizenUnavailable):
        _oauth().profile("c1", CALLBACK)
