"""Documented steps 4–8 over plain HTTP against the running stack: what the server enforces on its own."""

from __future__ import annotations

import sqlite3

from harness.citizens import make_citizen
from harness.stack import Stack
from harness.twin import TwinClient
from portal.passwords import check_password
from simulators.sms import SmsClient, SmsFault
from tests.portal.applicant import Applicant, alert


def test_five_wrong_codes_void_the_code(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(101))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    replies = [alert(applicant.verify(wrong)) for _ in range(5)]
    assert replies[0] == "驗證碼錯誤，您還可以再試 4 次。"
    assert replies[3] == "驗證碼錯誤，您還可以再試 1 次。"
    assert replies[4] == "驗證碼錯誤已達 5 次，本次驗證碼已失效，請重新寄送驗證碼。"
    assert "請先按「寄送驗證碼簡訊」" in alert(applicant.verify(code))


def test_server_demands_the_captcha_and_spends_no_try_without_it(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(102))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    refused = applicant.verify(code, captcha=False)
    assert refused.status_code == 400
    assert alert(refused) == "請勾選「我不是機器人」。"
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
    assert "簡訊服務點數不足" in alert(failed)
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
    assert "此身分證字號已註冊為會員，請直接登入。" in alert(refused)


def test_the_registered_password_is_stored_hashed(fresh: Stack) -> None:
    citizen = make_citizen(107)
    Applicant(fresh, citizen).register()
    assert fresh.workdir is not None
    with sqlite3.connect(fresh.workdir / "portal.sqlite3") as db:
        (stored,) = db.execute("SELECT password_hash FROM members WHERE id_number = ?", (citizen.id_number,)).fetchone()
    assert stored.startswith("scrypt$")
    assert citizen.password not in stored
    assert check_password(citizen.password, stored)
