"""What a notebook shows never holds a secret: citizens masked, one-time codes masked, errors and evidence escaped."""

from __future__ import annotations

import requests

from harness.citizens import make_citizen
from harness.notebook import views
from harness.notebook.model import Evidence, StepResult, scrub
from simulators import sms
from simulators.serving import serve_asgi
from simulators.sms import SmsClient


def test_a_citizen_shows_without_pin_puk_or_password() -> None:
    citizen = make_citizen(20180423)
    shown = views.citizen_html(citizen)
    assert citizen.name in shown
    assert citizen.mobile in shown
    for secret in citizen.secrets():
        assert secret not in shown


def test_the_sms_inbox_masks_the_code() -> None:
    settings = sms.SmsSettings()
    with serve_asgi(sms.create_app(settings), name="sms") as url, SmsClient(url) as client:
        form = {"username": settings.username, "password": settings.password, "dstaddr": "0912345678"}
        form["smbody"] = "【臺北卡】您的驗證碼為 482913 請於 5 分鐘內輸入"
        assert requests.post(f"{url}/b2c/mtk/SmSend?CharsetURL=UTF-8", data=form, timeout=5).ok
        shown = views.sms_html(client)
    assert "0912345678" in shown
    assert "482913" not in shown
    assert "您的驗證碼為 ******" in shown


def test_scrub_masks_secrets_always_and_six_digit_numbers_only_when_asked() -> None:
    text = 'fill("84736251") then code 482913, seed 123456'
    assert scrub(text, ["84736251"]) == 'fill("********") then code ******, seed ******'
    assert scrub(text, ["84736251"], codes=False) == 'fill("********") then code 482913, seed 123456'


def test_a_failed_step_shows_its_error_escaped_and_the_page_at_that_moment() -> None:
    shot = Evidence("失敗當下畫面：那麼 市民看到「設定密碼」頁面", "image/jpg", b"\xff\xd8jpeg")
    page = Evidence("失敗當下頁面 HTML", "text/html", b"<h1>\xe5\x9f\xba\xe6\x9c\xac\xe8\xb3\x87\xe6\x96\x99</h1>")
    step = StepResult(
        "那麼", "市民看到「設定密碼」頁面", "failed", 5.0, "AssertionError: <heading> not found", [shot, page]
    )
    shown = views.step_html(step)
    assert 'data-status="failed"' in shown
    assert "AssertionError: &lt;heading&gt; not found" in shown
    assert shown.count("data:image/jpeg;base64,") == 1  # Allure's image/jpg, shown as image/jpeg
    assert "&lt;h1&gt;基本資料&lt;/h1&gt;" in shown  # the page's HTML, as text under its report name
