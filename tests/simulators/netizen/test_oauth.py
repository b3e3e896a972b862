"""網路市民 on the wire, request by request: where RFC 6749 and RFC 6750 say what an authorization server answers, and
the faults scenarios arm."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import pytest
import requests

from simulators.client import SimulatorError
from simulators.netizen import NetizenFault, NetizenSettings, create_app
from simulators.serving import serve_asgi
from tests.simulators.netizen.provider import (
    ACCOUNT,
    CALLBACK,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    PROFILE,
    Provider,
    running,
)

EVIL = "https://evil.example.test/steal"


def _authorize(provider: Provider, **params: str) -> str:
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK, "state": "s1", **params}
    return f"{provider.authorize_url}?{urlencode({k: v for k, v in query.items() if v != 'OMIT'})}"


def _code(provider: Provider, **params: str) -> str:
    back = provider.citizen_answers(_authorize(provider, **params))
    return parse_qs(urlsplit(back).query)["code"][0]


def _basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict[str, str]:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()  # RFC 6749 §2.3.1
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def _token(provider: Provider, data: dict[str, str], headers: dict[str, str] | None = None) -> requests.Response:
    with provider.http() as http:
        return http.post(provider.token_url, data=data, headers=headers if headers is not None else _basic(), timeout=5)


def _exchange(provider: Provider, code: str, redirect_uri: str = CALLBACK) -> requests.Response:
    return _token(provider, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})


def _profile(provider: Provider, headers: dict[str, str], params: dict[str, str] | None = None) -> requests.Response:
    with provider.http() as http:
        return http.get(provider.profile_url, headers=headers, params=params, timeout=5)


# --- redirect URIs (RFC 6749 §3.1.2, §4.1.2.1; issue #14: a code went to another site) ---


@pytest.mark.parametrize(
    "redirect_uri",
    [
        EVIL,
        CALLBACK + "&next=https://evil.example.test",
        "https://portal.example.test.evil.test/register/netizen/callback",
    ],
    ids=["another-site", "extra-query", "lookalike-host"],
)
def test_an_unregistered_redirect_uri_is_refused_on_the_page_and_never_redirected(
    netizen: Provider, redirect_uri: str
) -> None:
    with netizen.http() as browser:
        page = browser.get(_authorize(netizen, redirect_uri=redirect_uri), allow_redirects=False, timeout=5)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "未向網路市民註冊" in page.text
    assert "<form" not in page.text  # no login: nothing the citizen does here can send a code anywhere


def test_an_unknown_client_is_refused_on_the_page(netizen: Provider) -> None:
    with netizen.http() as browser:
        page = browser.get(_authorize(netizen, client_id="someone-else"), allow_redirects=False, timeout=5)
    assert page.status_code == 400
    assert "location" not in page.headers


def test_the_code_is_bound_to_the_redirect_uri_it_was_sent_to(netizen: Provider) -> None:
    other = "https://portal.example.test/other/callback"
    with netizen.control() as control:
        control.register_redirect_uri(other)
    elsewhere = _exchange(netizen, _code(netizen), redirect_uri=other)
    assert elsewhere.status_code == 400
    assert elsewhere.json()["error"] == "invalid_grant"
    left_out = _token(netizen, {"grant_type": "authorization_code", "code": _code(netizen)})
    assert left_out.json()["error"] == "invalid_grant"  # §4.1.3: REQUIRED when the request had one
    assert _exchange(netizen, _code(netizen)).status_code == 200


def test_with_one_registered_uri_the_request_may_leave_it_out(netizen: Provider) -> None:
    back = netizen.citizen_answers(_authorize(netizen, redirect_uri="OMIT"))
    assert back.startswith(CALLBACK + "&code=")
    code = parse_qs(urlsplit(back).query)["code"][0]
    assert _token(netizen, {"grant_type": "authorization_code", "code": code}).status_code == 200


def test_redirect_uris_are_registered_exactly_and_stay_registered_across_resets(netizen: Provider) -> None:
    with netizen.control() as control:
        with pytest.raises(SimulatorError, match="without a fragment"):
            control.register_redirect_uri("https://portal.example.test/cb#fragment")
        with pytest.raises(SimulatorError, match="absolute URI"):
            control.register_redirect_uri("/register/netizen/callback")
        control.reset()
        assert control.state()["redirect_uris"] == [CALLBACK]


# --- authorization errors that go back to the client (RFC 6749 §4.1.2.1) ---


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "OMIT"}, "invalid_request"),
        ({"scope": "profile admin"}, "invalid_scope"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
    ],
)
def test_other_authorization_errors_go_back_to_the_client_with_its_state(
    netizen: Provider, params: dict[str, str], error: str
) -> None:
    with netizen.http() as browser:
        sent = browser.get(_authorize(netizen, **params), allow_redirects=False, timeout=5)
    assert sent.status_code == 302
    location = sent.headers["location"]
    assert location.startswith(CALLBACK + "&")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == [error]
    assert query["state"] == ["s1"]
    assert query["lang"] == ["zh-TW"]


def test_a_repeated_parameter_is_an_invalid_request(netizen: Provider) -> None:
    with netizen.http() as browser:
        sent = browser.get(_authorize(netizen) + "&state=s2", allow_redirects=False, timeout=5)
    assert parse_qs(urlsplit(sent.headers["location"]).query)["error"] == ["invalid_request"]


def test_without_state_none_comes_back(netizen: Provider) -> None:
    back = netizen.citizen_answers(_authorize(netizen, state="OMIT"))
    assert set(parse_qs(urlsplit(back).query)) == {"lang", "code"}


# --- the token endpoint (RFC 6749 §2.3.1, §5.1, §5.2) ---


def test_a_token_is_never_cached(netizen: Provider) -> None:
    answer = _exchange(netizen, _code(netizen))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["pragma"] == "no-cache"
    assert set(answer.json()) == {"access_token", "token_type", "expires_in"}


def test_a_wrong_basic_secret_is_401_with_a_challenge(netizen: Provider) -> None:
    data = {"grant_type": "authorization_code", "code": _code(netizen), "redirect_uri": CALLBACK}
    refused = _token(netizen, data, _basic(secret="x"))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="netizen"'
    assert refused.headers["cache-control"] == "no-store"
    assert refused.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("data", "headers", "status", "error"),
    [
        (
            {"grant_type": "authorization_code", "code": "c", "client_secret": CLIENT_SECRET},
            None,
            400,
            "invalid_request",
        ),
        ({"grant_type": "authorization_code", "code": "c", "client_id": CLIENT_ID}, {}, 401, "invalid_client"),
        ({"grant_type": "password", "username": ACCOUNT, "password": PASSWORD}, None, 400, "unsupported_grant_type"),
        ({"code": "c"}, None, 400, "invalid_request"),
        ({"grant_type": "authorization_code"}, None, 400, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "never-issued"}, None, 400, "invalid_grant"),
    ],
    ids=["two-auth-methods", "no-secret", "other-grant", "no-grant-type", "no-code", "unknown-code"],
)
def test_token_errors(
    netizen: Provider, data: dict[str, str], headers: dict[str, str] | None, status: int, error: str
) -> None:
    refused = _token(netizen, data, headers)
    assert refused.status_code == status
    assert refused.json()["error"] == error


def test_a_repeated_token_parameter_and_a_json_body_are_invalid_requests(netizen: Provider) -> None:
    with netizen.http() as http:
        repeated = http.post(
            netizen.token_url,
            data=[("grant_type", "authorization_code"), ("code", "a"), ("code", "b")],
            headers=_basic(),
            timeout=5,
        )
        as_json = http.post(netizen.token_url, json={"grant_type": "authorization_code"}, headers=_basic(), timeout=5)
    assert repeated.json()["error"] == "invalid_request"
    assert as_json.json()["error"] == "invalid_request"


def test_basic_credentials_are_form_urlencoded_first(tmp_path: Path) -> None:
    """RFC 6749 §2.3.1: a secret with ':', '+' and a space travels as %3A, %2B and + inside the Basic header."""
    secret = "s3:cret+with space"
    with running(NetizenSettings(CLIENT_ID, secret, redirect_uris=(CALLBACK,)), tmp_path) as provider:
        data = {"grant_type": "authorization_code", "code": _code(provider), "redirect_uri": CALLBACK}
        assert _token(provider, data, _basic(secret=secret)).status_code == 200


def test_an_expired_code_is_invalid_grant(tmp_path: Path) -> None:
    with running(NetizenSettings(redirect_uris=(CALLBACK,), code_ttl=0.0), tmp_path) as provider:
        assert _exchange(provider, _code(provider)).json()["error"] == "invalid_grant"


# --- the profile, a resource (RFC 6750 §2, §3) ---


@pytest.fixture
def access_token(netizen: Provider) -> str:
    token: str = _exchange(netizen, _code(netizen)).json()["access_token"]
    return token


def test_the_profile_by_header_or_query(netizen: Provider, access_token: str) -> None:
    assert _profile(netizen, {"Authorization": f"Bearer {access_token}"}).json() == PROFILE
    by_query = _profile(netizen, {}, {"access_token": access_token})
    assert by_query.json() == PROFILE
    assert by_query.headers["cache-control"] == "private"  # RFC 6750 §2.3


def test_without_a_token_the_challenge_has_no_error_code(netizen: Provider) -> None:
    for headers in ({}, {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}):
        answer = _profile(netizen, headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == 'Bearer realm="netizen"'


def test_a_bad_token_is_invalid_token(netizen: Provider) -> None:
    answer = _profile(netizen, {"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith('Bearer realm="netizen", error="invalid_token"')
    assert answer.json()["error"] == "invalid_token"


def test_a_malformed_or_doubled_token_is_invalid_request(netizen: Provider, access_token: str) -> None:
    malformed = _profile(netizen, {"Authorization": "Bearer two words"})
    doubled = _profile(netizen, {"Authorization": f"Bearer {access_token}"}, {"access_token": access_token})
    for answer in (malformed, doubled):
        assert answer.status_code == 400
        assert 'error="invalid_request"' in answer.headers["www-authenticate"]


def test_an_expired_token_is_invalid_token(tmp_path: Path) -> None:
    with running(NetizenSettings(redirect_uris=(CALLBACK,), token_ttl=0.0), tmp_path) as provider:
        token = _exchange(provider, _code(provider)).json()["access_token"]
        expired = _profile(provider, {"Authorization": f"Bearer {token}"})
        assert 'error="invalid_token"' in expired.headers["www-authenticate"]


# --- faults ---


def test_faults(netizen: Provider) -> None:
    with netizen.control() as control:
        control.arm(NetizenFault.WRONG_PASSWORD)
        with netizen.http() as browser:
            login = browser.get(_authorize(netizen), timeout=5)
            request_id = login.text.split("name='request' value='")[1].split("'")[0]
            refused = browser.post(
                netizen.authorize_url,
                data={"request": request_id, "account": ACCOUNT, "password": PASSWORD},
                timeout=5,
            )
        assert "帳號或密碼錯誤" in refused.text
        control.arm(NetizenFault.NO_ID_NUMBER)
        token = _exchange(netizen, _code(netizen)).json()["access_token"]
        assert "id_number" not in _profile(netizen, {"Authorization": f"Bearer {token}"}).json()
        control.arm(NetizenFault.UNAVAILABLE, times=None)
        with netizen.http() as browser:
            assert browser.get(netizen.authorize_url, timeout=5).status_code == 503
        assert control.state()["accounts"] == [ACCOUNT]  # the control surface still answers


def test_the_wrong_password_is_refused_on_the_login_page(netizen: Provider) -> None:
    with pytest.raises(KeyError):  # the login page comes back instead of the consent page's buttons
        netizen.citizen_answers(_authorize(netizen), password="nope")


@pytest.fixture
def plain_netizen() -> Iterator[str]:
    with serve_asgi(create_app(), name="netizen") as url:
        yield url


def test_nothing_is_registered_by_default(plain_netizen: str) -> None:
    page = requests.get(
        f"{plain_netizen}/oauth/authorize",
        params={"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK},
        allow_redirects=False,
        timeout=5,
    )
    assert page.status_code == 400
