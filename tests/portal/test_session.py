"""What a route may see depends on what the session holds: each guard sends the browser back where it belongs."""

from __future__ import annotations

import pytest

from harness.citizens import make_citizen
from harness.stack import Stack
from tests.portal.applicant import Applicant
from tests.portal.twin import Portal

APPLICATION_PAGES = ["/register/contact", "/register/profile", "/register/password", "/register/netizen/callback"]
MEMBER_PAGES = ["/register/done", "/member", "/gold", "/gold/verify", "/gold/done"]


def _verified(stack: Stack, seed: int) -> Applicant:
    """An applicant whose mobile number passed its one-time code, on the basic-data page."""
    applicant = Applicant(stack, make_citizen(seed))
    applicant.consent()
    applicant.send_code()
    assert applicant.verify(applicant.code()).url.endswith("/register/profile")
    return applicant


def _consent(portal: Portal) -> str:
    token = portal.csrf("/apply")
    portal.post("/apply", {"tier": "gold", "csrf_token": token})
    portal.post("/register", {"csrf_token": token, "consent": "yes"})
    return token


@pytest.mark.parametrize("path", APPLICATION_PAGES)
def test_without_an_application_every_registration_page_goes_back_to_the_terms(portal: Portal, path: str) -> None:
    reply = portal.get(path)
    assert (reply.status_code, reply.headers["location"]) == (303, "/register")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/register/contact/send", {"channel": "mobile", "mobile": "0912345678"}),
        ("/register/contact/verify", {"code": "123456"}),
        ("/register/profile", {"name": "王小明"}),
        ("/register/password", {"password": "Abcdefg1", "confirm": "Abcdefg1"}),
    ],
)
def test_without_an_application_a_post_changes_nothing_and_goes_back(
    portal: Portal, path: str, data: dict[str, str]
) -> None:
    reply = portal.post(path, {**data, "csrf_token": portal.csrf("/apply")})
    assert (reply.status_code, reply.headers["location"]) == (303, "/register")


@pytest.mark.parametrize("path", ["/register/profile", "/register/password", "/register/netizen/callback"])
def test_until_the_contact_is_verified_the_later_steps_go_back_to_it(portal: Portal, path: str) -> None:
    _consent(portal)
    reply = portal.get(path)
    assert (reply.status_code, reply.headers["location"]) == (303, "/register/contact")


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_pages_send_a_stranger_home(portal: Portal, path: str) -> None:
    reply = portal.get(path)
    assert (reply.status_code, reply.headers["location"]) == (303, "/")


def test_the_choice_after_registering_needs_a_member_too(portal: Portal) -> None:
    reply = portal.post("/register/done", {"continue_gold": "yes", "csrf_token": portal.csrf("/apply")})
    assert (reply.status_code, reply.headers["location"]) == (303, "/")


@pytest.mark.parametrize("path", ["/gold/nonce", "/gold/verify"])
def test_the_pages_script_gets_a_401_it_can_show(portal: Portal, path: str) -> None:
    token = portal.csrf("/apply")
    reply = portal.http.post(portal.url + path, json={}, headers={"X-CSRF-Token": token}, timeout=5)
    assert reply.status_code == 401
    assert reply.json() == {"error": "請先登入。"}


def test_the_csrf_check_comes_before_the_guard(portal: Portal) -> None:
    portal.csrf("/apply")
    assert portal.post("/gold/nonce", {}).status_code == 403


def test_with_a_verified_contact_but_no_basic_data_the_password_page_goes_back_to_it(fresh: Stack) -> None:
    applicant = _verified(fresh, 301)
    page = applicant.http.get(applicant.url + "/register/password", allow_redirects=False, timeout=10)
    assert (page.status_code, page.headers["location"]) == (303, "/register/profile")
    posted = applicant.post("/register/password", password=applicant.citizen.password)
    assert [(r.status_code, r.headers["location"]) for r in posted.history] == [(303, "/register/profile")]


def test_login_signs_the_member_in_and_the_login_page_signs_them_out(fresh: Stack) -> None:
    citizen = make_citizen(302)
    applicant = Applicant(fresh, citizen)
    assert applicant.register().url.endswith("/register/done")
    http, url = applicant.http, applicant.url
    assert 'name="account"' in http.get(url + "/login", timeout=10).text
    assert http.get(url + "/member", allow_redirects=False, timeout=10).headers["location"] == "/"
    wrong = applicant.post("/login", account=citizen.id_number, password=citizen.password + "x")
    assert wrong.status_code == 401
    assert "帳號或密碼錯誤。" in wrong.text
    right = applicant.post("/login", account=citizen.id_number.lower(), password=citizen.password)
    assert right.url.endswith("/member")
    assert citizen.name in right.text


def test_basic_data_refused_on_the_form_cannot_register_through_the_password_page(fresh: Stack) -> None:
    applicant = _verified(fresh, 303)
    citizen = applicant.citizen
    assert applicant.profile(id_number=citizen.id_number[:-1] + "X").status_code == 400  # saved, then refused
    registered = applicant.post("/register/password", password=citizen.password, confirm=citizen.password)
    assert registered.url.endswith("/register/profile")
    login = applicant.post("/login", account=citizen.id_number[:-1] + "X", password=citizen.password)
    assert login.status_code == 401
