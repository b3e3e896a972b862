"""Documented steps 1–3 over HTTP: what the server itself enforces, whatever the page's script does."""

from __future__ import annotations

import sqlite3

import requests

from tests.portal.twin import Portal


def _applications(portal: Portal) -> int:
    with sqlite3.connect(portal.db_path) as db:
        count: int = db.execute("SELECT COUNT(*) FROM applications").fetchone()[0]
    return count


def test_home_offers_the_application_button(portal: Portal) -> None:
    page = portal.get("/")
    assert page.status_code == 200
    assert 'role="button" href="/apply">申請臺北卡</a>' in page.text
    assert 'lang="zh-Hant-TW"' in page.text


def test_gold_choice_leads_to_the_terms(portal: Portal) -> None:
    token = portal.csrf("/apply")
    chose = portal.post("/apply", {"tier": "gold", "csrf_token": token})
    assert (chose.status_code, chose.headers["location"]) == (303, "/register")
    terms = portal.get("/register")
    assert "註冊類型：金質會員" in terms.text
    assert "disabled>下一步</button>" in terms.text


def test_unknown_tier_is_refused(portal: Portal) -> None:
    refused = portal.post("/apply", {"tier": "platinum", "csrf_token": portal.csrf("/apply")})
    assert refused.status_code == 400
    assert "請先選擇要註冊的會員類型" in refused.text


def test_terms_without_a_tier_send_the_citizen_back(portal: Portal) -> None:
    assert portal.get("/register").headers["location"] == "/apply"


def test_post_without_consent_is_refused_and_saves_nothing(portal: Portal) -> None:
    token = portal.csrf("/apply")
    portal.post("/apply", {"tier": "gold", "csrf_token": token})
    refused = portal.post("/register", {"csrf_token": token})
    assert refused.status_code == 400
    assert "請先詳閱個人資料使用相關內容並勾選同意" in refused.text
    assert _applications(portal) == 0
    accepted = portal.post("/register", {"csrf_token": token, "consent": "yes"})
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/register/contact")
    assert _applications(portal) == 1
    assert "驗證手機或電子郵件" in portal.get("/register/contact").text


def test_every_post_needs_the_sessions_csrf_token(portal: Portal) -> None:
    portal.csrf("/apply")
    for data in ({"tier": "gold"}, {"tier": "gold", "csrf_token": "forged"}):
        refused = portal.post("/apply", data)
        assert refused.status_code == 403
        assert "表單已逾時或來源無法確認" in refused.text


def test_a_post_without_the_session_cookie_is_refused_and_opens_no_session(portal: Portal) -> None:
    """Another site's form arrives without the Lax cookie: refused in words (not HTTP 500), and the answer sets no
    cookie, which would replace the citizen's session (and her application) in her browser."""
    refused = requests.post(portal.url + "/apply", data={"tier": "gold", "csrf_token": "guessed"}, timeout=5)
    assert refused.status_code == 403
    assert "表單已逾時或來源無法確認" in refused.text
    assert "set-cookie" not in refused.headers


def test_contact_step_needs_a_consented_application(portal: Portal) -> None:
    assert portal.get("/register/contact").headers["location"] == "/register"


def test_session_cookie_is_httponly_and_samesite(portal: Portal) -> None:
    cookie = portal.get("/apply").headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_unknown_page_answers_in_chinese(portal: Portal) -> None:
    missing = portal.get("/no-such-page")
    assert missing.status_code == 404
    assert "找不到這個頁面" in missing.text


def test_hardening_headers(portal: Portal) -> None:
    headers = portal.get("/").headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
