"""The 網路市民 simulator's documented OAuth2-style flow, driven with plain HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import requests

from simulators.netizen import NetizenClient, NetizenFault

CLIENT = {"client_id": "tpcd-portal", "client_secret": "tpcd-netizen-secret"}
CALLBACK = "http://portal.example.test/register/netizen/callback"


def _add(url: str, id_number: str | None = "A123456789") -> None:
    with NetizenClient(url) as client:
        client.add_account(
            "tp1",
            "Passw0rd",
            name="王小明",
            email="w@example.test",
            mobile="0912345678",
            address="臺北市中正區重慶南路一段1號",
            id_number=id_number,
        )


def _login(url: str, password: str = "Passw0rd") -> requests.Response:
    http = requests.Session()
    page = http.get(
        f"{url}/oauth/authorize",
        params={"client_id": "tpcd-portal", "redirect_uri": CALLBACK, "state": "s1", "response_type": "code"},
        timeout=5,
    )
    assert "網路市民登入" in page.text
    return http.post(
        f"{url}/oauth/authorize",
        data={
            "client_id": "tpcd-portal",
            "redirect_uri": CALLBACK,
            "state": "s1",
            "account": "tp1",
            "password": password,
        },
        timeout=5,
    )


def _consent(url: str, page: requests.Response, decision: str = "allow") -> dict[str, list[str]]:
    code = re.search(r"name='code' value='([^']+)'", page.text)
    assert code, page.text
    done = requests.post(
        f"{url}/oauth/consent",
        data={"code": code.group(1), "state": "s1", "decision": decision},
        allow_redirects=False,
        timeout=5,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith(CALLBACK)
    return parse_qs(urlparse(done.headers["location"]).query)


def _token(url: str, code: str) -> requests.Response:
    return requests.post(
        f"{url}/oauth/token", data={**CLIENT, "grant_type": "authorization_code", "code": code}, timeout=5
    )


def test_login_consent_token_profile(netizen_url: str) -> None:
    _add(netizen_url)
    query = _consent(netizen_url, _login(netizen_url))
    assert query["state"] == ["s1"]
    token = _token(netizen_url, query["code"][0]).json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 3600
    profile = requests.get(
        f"{netizen_url}/api/v1/profile", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
    ).json()
    assert profile == {
        "account": "tp1",
        "name": "王小明",
        "email": "w@example.test",
        "mobile": "0912345678",
        "address": "臺北市中正區重慶南路一段1號",
        "id_number": "A123456789",
    }
    reused = _token(netizen_url, query["code"][0])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_wrong_password_cancel_and_bad_token(netizen_url: str) -> None:
    _add(netizen_url)
    assert "帳號或密碼錯誤" in _login(netizen_url, password="nope").text
    assert _consent(netizen_url, _login(netizen_url), decision="deny")["error"] == ["access_denied"]
    assert (
        requests.get(f"{netizen_url}/api/v1/profile", headers={"Authorization": "Bearer x"}, timeout=5).status_code
        == 401
    )


def test_faults(netizen_url: str) -> None:
    _add(netizen_url)
    with NetizenClient(netizen_url) as client:
        client.arm(NetizenFault.WRONG_PASSWORD)
        assert "帳號或密碼錯誤" in _login(netizen_url).text
        client.arm(NetizenFault.NO_ID_NUMBER)
        token = _token(netizen_url, _consent(netizen_url, _login(netizen_url))["code"][0]).json()["access_token"]
        profile = requests.get(
            f"{netizen_url}/api/v1/profile", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()
        assert "id_number" not in profile
        client.arm(NetizenFault.UNAVAILABLE, times=None)
        assert requests.get(f"{netizen_url}/oauth/authorize", timeout=5).status_code == 503
        assert client.state()["accounts"] == ["tp1"]  # the control surface still answers
