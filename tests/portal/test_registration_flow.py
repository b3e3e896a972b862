"""Documented steps 4–8 over plain HTTP against the running stack: what the server enforces on its own."""

from __future__ import annotations

import re
import sqlite3

import requests

from domain.citizen import CitizenProfile
from harness.citizens import make_citizen
from harness.simulator_table import settings_of
from harness.stack import Stack
from harness.twin import TwinClient
from portal.passwords import check_password
from simulators.captcha import CaptchaSettings
from simulators.sms import SmsClient, SmsFault


class Applicant:
    """A citizen applying with nothing but HTTP requests, as a script or a bot would."""

    def __init__(self, stack: Stack, citizen: CitizenProfile) -> None:
        self.stack, self.citizen = stack, citizen
        self.url = stack.urls["portal"]
        self.http = requests.Session()
        self.token = ""

    def post(self, path: str, **data: str) -> requests.Response:
        return self.http.post(self.url + path, data={"csrf_token": self.token, **data}, timeout=10)

    def consent(self) -> None:
        page = self.http.get(self.url + "/apply", timeout=10).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        self.token = match.group(1)
        self.post("/apply", tier="gold")
        self.post("/register", consent="yes")

    def send_code(self) -> requests.Response:
        return self.post("/register/contact/send", channel="mobile", mobile=self.citizen.mobile)

    def code(self) -> str:
        with SmsClient(self.stack.urls["sms"]) as sms:
            return sms.wait_for_otp(self.citizen.mobile)

    def captcha_token(self) -> str:
        reply = requests.post(
            self.stack.urls["captcha"] + "/recaptcha/api2/userverify",
            json={"sitekey": settings_of(CaptchaSettings).site_key, "hostname": "127.0.0.1"},
            timeout=10,
        )
        token: str = reply.json()["token"]
        return token

    def verify(self, code: str, *, captcha: bool = True) -> requests.Response:
        fields = {"code": code, "g-recaptcha-response": self.captcha_token() if captcha else ""}
        return self.post("/register/contact/verify", **fields)

    def profile(self, **overrides: str) -> requests.Response:
        c = self.citizen
        fields = {
            "name": c.name,
            "id_number": c.id_number,
            "birth_date": c.birth_date.isoformat(),
            "sex": c.sex.value,
            "address": c.address,
            **overrides,
        }
        return self.post("/register/profile", **fields)

    def register(self) -> requests.Response:
        self.consent()
        self.send_code()
        self.verify(self.code())
        self.profile()
        return self.post("/register/password", password=self.citizen.password, confirm=self.citizen.password)


def _alert(response: requests.Response) -> str:
    return " ".join(re.findall(r'role="alert">\s*(?:<ul>)?\s*(?:<li>)?([^<]+)', response.text))


def test_five_wrong_codes_void_the_code(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(101))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    replies = [_alert(applicant.verify(wrong)) for _ in range(5)]
    assert replies[0] == "驗證碼錯誤，您還可以再試 4 次。"
    assert replies[3] == "驗證碼錯誤，您還可以再試 1 次。"
    assert replies[4] == "驗證碼錯誤已達 5 次，本次驗證碼已失效，請重新寄送驗證碼。"
    assert "請先按「寄送驗證碼簡訊」" in _alert(applicant.verify(code))


def test_server_demands_the_captcha_and_spends_no_try_without_it(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(102))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    refused = applicant.verify(code, captcha=False)
    assert refused.status_code == 400
    assert _alert(refused) == "請勾選「我不是機器人」。"
    accepted = applicant.verify(code)
    assert accepted.url.endswith("/register/profile")


def test_a_failed_resend_keeps_the_code_already_sent(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(103))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    with TwinClient(fresh.urls["portal"]) as twin, SmsClient(fresh.urls["sms"]) as sms:
        twin.advance(61)
        sms.arm(SmsFault.NO_POINTS)
        failed = applicant.send_code()
    assert failed.status_code == 502
    assert "簡訊服務點數不足" in _alert(failed)
    assert applicant.verify(code).url.endswith("/register/profile")


def test_profile_errors_keep_what_was_typed(fresh: Stack) -> None:
    citizen = make_citizen(104)
    applicant = Applicant(fresh, citizen)
    applicant.consent()
    applicant.send_code()
    applicant.verify(applicant.code())
    refused = applicant.profile(id_number=citizen.id_number[:-1] + "X")
    assert refused.status_code == 400
    assert f'value="{citizen.name}"' in refused.text
    assert f'value="{citizen.address}"' in applicant.http.get(applicant.url + "/register/profile", timeout=10).text


def test_an_id_number_registers_once(fresh: Stack) -> None:
    first = make_citizen(105)
    assert Applicant(fresh, first).register().url.endswith("/register/done")
    second = Applicant(fresh, make_citizen(106))
    second.consent()
    second.send_code()
    second.verify(second.code())
    refused = second.profile(id_number=first.id_number, sex=first.sex.value)
    assert "此身分證字號已註冊為會員，請直接登入。" in _alert(refused)


def test_the_registered_password_is_stored_hashed(fresh: Stack) -> None:
    citizen = make_citizen(107)
    Applicant(fresh, citizen).register()
    assert fresh.workdir is not None
    with sqlite3.connect(fresh.workdir / "portal.sqlite3") as db:
        (stored,) = db.execute("SELECT password_hash FROM members WHERE id_number = ?", (citizen.id_number,)).fetchone()
    assert stored.startswith("scrypt$")
    assert citizen.password not in stored
    assert check_password(citizen.password, stored)
