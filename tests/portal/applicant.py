"""A citizen applying with nothing but HTTP requests, and what the page alerts them to."""

from __future__ import annotations

import re

import requests

from domain.citizen import CitizenProfile
from harness.simulator_table import settings_of
from harness.stack import Stack
from simulators.captcha import CaptchaSettings
from simulators.sms import SmsClient


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


def alert(response: requests.Response) -> str:
    """The texts of the page's role="alert" messages, joined by spaces."""
    return " ".join(re.findall(r'role="alert">\s*(?:<ul>)?\s*(?:<li>)?([^<]+)', response.text))
