"""The whole authorization code flow against 網路市民, driven by requests-oauthlib and by Authlib with each standard way
of authenticating to the token endpoint (RFC 6749 §2.3.1): those libraries decide what is standard, not our code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.integrations.requests_client import OAuthError
from oauthlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidClientError, InvalidGrantError
from requests_oauthlib import OAuth2Session

from tests.simulators.netizen.provider import CALLBACK, CLIENT_ID, CLIENT_SECRET, PROFILE, Provider


def _methods(netizen: Provider) -> dict[str, int]:
    with netizen.control() as control:
        methods: dict[str, int] = control.state()["token_endpoint_auth_methods"]
    return methods


@pytest.mark.parametrize(
    ("include_client_id", "method"), [(False, "client_secret_basic"), (True, "client_secret_post")]
)
def test_requests_oauthlib_code_flow(netizen: Provider, include_client_id: bool, method: str) -> None:
    with OAuth2Session(CLIENT_ID, redirect_uri=CALLBACK) as session:
        authorization_url, state = session.authorization_url(netizen.authorize_url)
        back = netizen.citizen_answers(authorization_url)
        query = parse_qs(urlsplit(back).query)
        assert back.startswith(CALLBACK.split("?")[0])
        assert query["lang"] == ["zh-TW"]  # the registered URI's own query is kept
        assert query["state"] == [state]
        token = session.fetch_token(
            netizen.token_url,
            authorization_response=back,  # oauthlib checks the state and takes the code from it
            client_secret=CLIENT_SECRET,
            include_client_id=include_client_id,
            verify=str(netizen.ca_file),
        )
        assert token["token_type"].lower() == "bearer"
        assert token["expires_in"] == 3600
        assert _methods(netizen) == {method: 1}
        assert session.get(netizen.profile_url, verify=str(netizen.ca_file), timeout=5).json() == PROFILE


def test_requests_oauthlib_sees_a_wrong_secret_and_a_reused_code(netizen: Provider) -> None:
    with OAuth2Session(CLIENT_ID, redirect_uri=CALLBACK) as session:
        authorization_url, _ = session.authorization_url(netizen.authorize_url)
        back = netizen.citizen_answers(authorization_url)
        ca = str(netizen.ca_file)
        with pytest.raises(InvalidClientError):
            session.fetch_token(netizen.token_url, authorization_response=back, client_secret="wrong", verify=ca)
        # an unauthenticated request used nothing up: the client with its secret gets the token
        session.fetch_token(netizen.token_url, authorization_response=back, client_secret=CLIENT_SECRET, verify=ca)
        assert session.get(netizen.profile_url, verify=ca, timeout=5).status_code == 200
        with pytest.raises(InvalidGrantError):
            session.fetch_token(netizen.token_url, authorization_response=back, client_secret=CLIENT_SECRET, verify=ca)
        # RFC 6749 §4.1.2: a code used twice revokes the token it gave
        assert session.get(netizen.profile_url, verify=ca, timeout=5).status_code == 401


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_code_flow_with_pkce_and_scope(netizen: Provider, method: str) -> None:
    with AuthlibSession(
        CLIENT_ID,
        CLIENT_SECRET,
        token_endpoint_auth_method=method,
        redirect_uri=CALLBACK,
        scope="profile",
        code_challenge_method="S256",
    ) as client:
        client.verify = str(netizen.ca_file)
        verifier = generate_token(48)
        authorization_url, state = client.create_authorization_url(netizen.authorize_url, code_verifier=verifier)
        back = netizen.citizen_answers(authorization_url)
        assert parse_qs(urlsplit(back).query)["state"] == [state]
        token = client.fetch_token(netizen.token_url, authorization_response=back, code_verifier=verifier)
        assert token["scope"] == "profile"
        assert _methods(netizen) == {method: 1}
        assert client.get(netizen.profile_url, timeout=5).json() == PROFILE


def test_authlib_with_the_wrong_pkce_verifier_gets_invalid_grant(netizen: Provider) -> None:
    with AuthlibSession(CLIENT_ID, CLIENT_SECRET, redirect_uri=CALLBACK, code_challenge_method="S256") as client:
        client.verify = str(netizen.ca_file)
        verifier = generate_token(48)
        authorization_url, _ = client.create_authorization_url(netizen.authorize_url, code_verifier=verifier)
        back = netizen.citizen_answers(authorization_url)
        with pytest.raises(OAuthError) as refused:
            client.fetch_token(netizen.token_url, authorization_response=back, code_verifier=generate_token(48))
        assert refused.value.error == "invalid_grant"


def test_the_citizens_refusal_reaches_the_client(netizen: Provider) -> None:
    with AuthlibSession(CLIENT_ID, CLIENT_SECRET, redirect_uri=CALLBACK) as client:
        authorization_url, state = client.create_authorization_url(netizen.authorize_url)
    back = netizen.citizen_answers(authorization_url, button="取消")
    assert parse_qs(urlsplit(back).query) == {"lang": ["zh-TW"], "error": ["access_denied"], "state": [state]}
    with OAuth2Session(CLIENT_ID, redirect_uri=CALLBACK, state=state) as session, pytest.raises(AccessDeniedError):
        session.fetch_token(netizen.token_url, authorization_response=back, client_secret=CLIENT_SECRET)
