"""The twin against an attacker with plain HTTP (issue #14): each test names the hole it closes."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from domain.citizen import Channel, CitizenProfile
from harness.citizens import make_citizen
from harness.notices import wait_for_notice, without_code
from harness.portal_config import deployment_entries
from harness.stack import Stack
from harness.twin import TwinClient
from portal.config import load
from portal.passwords import hash_password
from simulators.captcha import CaptchaSettings
from simulators.captcha.faults import ELSEWHERE_HOSTNAME
from simulators.control import CONTROL_HEADER
from simulators.mail import MailClient
from simulators.netizen import NetizenClient
from simulators.sms import SmsClient, SmsSettings
from simulators.sms.models import SmsMessage
from tests.portal.applicant import Applicant, alert
from tests.portal.twin import Portal, serve_portal

TOOLS = {CONTROL_HEADER: "1"}  # what the harness's clients send to a control surface (simulators.control)
LOCKED_ACCOUNT = "登入失敗次數過多"
LOCKED_CLIENT = "此裝置登入失敗次數過多"


def _send(applicant: Applicant, channel: str, address: str) -> requests.Response:
    return applicant.post("/register/contact/send", channel=channel, **{channel: address})


def _token(stack: Stack, hostname: str) -> str:
    """A 「我不是機器人」 token as the widget gets it on a page served from `hostname`."""
    reply = requests.post(
        stack.urls["captcha"] + "/recaptcha/api2/userverify",
        json={"sitekey": CaptchaSettings().site_key, "hostname": hostname},  # the stack's captcha keeps the defaults
        timeout=10,
    )
    token: str = reply.json()["token"]
    return token


def _verified(stack: Stack, citizen: CitizenProfile) -> Applicant:
    applicant = Applicant(stack, citizen)
    applicant.consent()
    applicant.send_code()
    assert applicant.verify(applicant.code()).url.endswith("/register/profile")
    return applicant


def _sms_to(stack: Stack, mobile: str) -> list[SmsMessage]:
    with SmsClient(stack.urls["sms"]) as sms:
        return sms.messages(mobile)


def _same_page(one: requests.Response, other: requests.Response, addresses: tuple[str, str]) -> tuple[str, str]:
    """Both pages' visible text with the typed address and every digit (countdowns) masked."""

    def visible(response: requests.Response, address: str) -> str:
        main = response.text.split("<main>", 1)[-1].split("</main>", 1)[0]
        text = re.sub(r'name="csrf_token" value="[^"]*"', "", main).replace(address, "<address>")
        return re.sub(r"\d+", "#", text)

    return visible(one, addresses[0]), visible(other, addresses[1])


# a verified contact swapped for one nobody verified
def test_sending_a_code_elsewhere_after_verifying_withdraws_the_verification(fresh: Stack) -> None:
    applicant = _verified(fresh, make_citizen(401))
    other = make_citizen(402).mobile
    assert _send(applicant, "mobile", other).url.endswith("/register/contact")
    profile = applicant.http.get(applicant.url + "/register/profile", allow_redirects=False, timeout=10)
    assert (profile.status_code, profile.headers.get("location")) == (303, "/register/contact")


def test_the_member_gets_the_contact_whose_code_was_entered(fresh: Stack) -> None:
    citizen = make_citizen(403)
    applicant = _verified(fresh, citizen)
    other = make_citizen(404).mobile
    _send(applicant, "mobile", other)
    with SmsClient(fresh.urls["sms"]) as sms:
        assert applicant.verify(sms.wait_for_otp(other)).url.endswith("/register/profile")
    applicant.profile()
    applicant.post("/register/password", password=citizen.password, confirm=citizen.password)
    assert fresh.workdir is not None
    with sqlite3.connect(fresh.workdir / "portal.sqlite3") as db:
        (mobile,) = db.execute("SELECT mobile FROM members WHERE id_number = ?", (citizen.id_number,)).fetchone()
    assert mobile == other


# five tries per code, also under concurrent guesses
def test_concurrent_guesses_are_checked_at_most_five_times(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(405))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    guesses = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 26)]
    tokens = [_token(fresh, "127.0.0.1") for _ in guesses]

    def guess(pair: tuple[str, str]) -> str:
        with requests.Session() as http:
            http.cookies.update(applicant.http.cookies)
            data = {"csrf_token": applicant.token, "code": pair[0], "g-recaptcha-response": pair[1]}
            return alert(http.post(applicant.url + "/register/contact/verify", data=data, timeout=30))

    with ThreadPoolExecutor(len(guesses)) as pool:
        replies = list(pool.map(guess, zip(guesses, tokens, strict=True)))
    checked = [reply for reply in replies if "驗證碼錯誤" in reply]
    assert len(checked) <= 5, checked
    assert not applicant.verify(code).url.endswith("/register/profile")


# SMS flooding from new sessions
def test_new_sessions_share_one_cooldown_per_recipient(fresh: Stack) -> None:
    victim = make_citizen(406).mobile
    applicants = [Applicant(fresh, make_citizen(407 + n)) for n in range(10)]
    for applicant in applicants:
        applicant.consent()
    with ThreadPoolExecutor(len(applicants)) as pool:
        replies = list(pool.map(lambda a: _send(a, "mobile", victim), applicants))
    assert len(_sms_to(fresh, victim)) == 1
    assert sum("秒後再重新寄送" in alert(reply) for reply in replies) == 9


def test_a_recipient_gets_at_most_five_messages_an_hour(fresh: Stack) -> None:
    victim = make_citizen(420).mobile
    replies = []
    with TwinClient(fresh.urls["portal"]) as twin:
        for n in range(7):
            applicant = Applicant(fresh, make_citizen(421 + n))
            applicant.consent()
            replies.append(_send(applicant, "mobile", victim))
            twin.advance(61)
    assert len(_sms_to(fresh, victim)) == 5
    assert "一小時內" in alert(replies[-1])
    assert replies[-1].status_code == 429


def test_one_application_and_one_session_have_a_few_codes_sent_an_hour_whatever_the_numbers(fresh: Stack) -> None:
    """SMS pumping: one page sending codes to one number after another costs the portal per message; the cooldown
    per recipient does not stop it, a cap per application (6 an hour) and per session (10) does."""
    numbers = [f"09{n:08d}" for n in range(55_000_000, 55_000_012)]
    applicant = Applicant(fresh, make_citizen(440))
    applicant.consent()
    replies = [_send(applicant, "mobile", number) for number in numbers[:7]]
    assert [len(_sms_to(fresh, number)) for number in numbers[:7]] == [1] * 6 + [0]
    assert replies[-1].status_code == 429
    assert "本次申請一小時內已寄送多次驗證碼" in alert(replies[-1])
    applicant.consent()  # a new application in the same browser session
    replies = [_send(applicant, "mobile", number) for number in numbers[7:12]]
    assert [len(_sms_to(fresh, number)) for number in numbers[7:12]] == [1] * 4 + [0]
    assert replies[-1].status_code == 429


def test_a_verified_code_lifts_the_cooldown_of_its_recipient(fresh: Stack) -> None:
    citizen = make_citizen(430)
    _verified(fresh, citizen)
    again = Applicant(fresh, citizen)
    again.consent()
    assert again.send_code().url.endswith("/register/contact")
    assert len(_sms_to(fresh, citizen.mobile)) == 2


# login throttling
def _member(portal: Portal, citizen: CitizenProfile) -> None:
    """Put `citizen` in the portal's store as a registered member."""
    store = portal.app.state.store
    application = store.open_application("gold")
    store.update_application(
        application.id,
        channel="mobile",
        contact=citizen.mobile,
        name=citizen.name,
        id_number=citizen.id_number,
        birth_date=citizen.birth_date.isoformat(),
        sex=citizen.sex.value,
        address=citizen.address,
    )
    store.add_member(store.application(application.id), hash_password(citizen.password))


def _log_in(portal: Portal, account: str, password: str) -> requests.Response:
    token = portal.csrf("/login")
    return portal.http.post(
        portal.url + "/login", data={"account": account, "password": password, "csrf_token": token}, timeout=30
    )


def test_an_account_locks_after_ten_failures_even_for_the_right_password(portal: Portal) -> None:
    citizen = make_citizen(440)
    _member(portal, citizen)
    failures = [_log_in(portal, citizen.id_number, citizen.password + "x") for _ in range(10)]
    assert all("帳號或密碼錯誤" in alert(reply) for reply in failures)
    locked = _log_in(portal, citizen.id_number, citizen.password)
    assert locked.status_code == 429
    assert LOCKED_ACCOUNT in alert(locked)
    assert "15 分鐘" in alert(locked)
    assert not locked.url.endswith("/member")
    portal.http.post(portal.url + "/_twin/clock/advance", data={"seconds": 15 * 60 + 1}, headers=TOOLS, timeout=5)
    assert _log_in(portal, citizen.id_number, citizen.password).url.endswith("/member")


def test_an_unknown_account_locks_the_same_way(portal: Portal) -> None:
    unknown = make_citizen(441).id_number
    replies = [_log_in(portal, unknown, "Wrong-pass1") for _ in range(11)]
    assert all("帳號或密碼錯誤" in alert(reply) for reply in replies[:10])
    assert LOCKED_ACCOUNT in alert(replies[10])


def test_one_client_trying_many_accounts_is_stopped(tmp_path: Path) -> None:
    with serve_portal(tmp_path, login_client_limit=6) as portal:
        replies = [_log_in(portal, make_citizen(450 + n).id_number, "Wrong-pass1") for n in range(7)]
    assert all("帳號或密碼錯誤" in alert(reply) for reply in replies[:6])
    assert LOCKED_CLIENT in alert(replies[6])
    assert replies[6].status_code == 429


# enumeration
def test_an_unknown_account_costs_a_scrypt_like_a_wrong_password(portal: Portal, monkeypatch: Any) -> None:
    citizen = make_citizen(460)
    _member(portal, citizen)
    calls: list[int] = []
    real = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    _log_in(portal, citizen.id_number, citizen.password + "x")
    known = len(calls)
    _log_in(portal, make_citizen(461).id_number, citizen.password + "x")
    assert known == 1
    assert len(calls) - known == known


def test_sending_to_a_registered_number_looks_like_sending_to_a_new_one(fresh: Stack) -> None:
    citizen = make_citizen(462)
    assert Applicant(fresh, citizen).register().url.endswith("/register/done")
    newcomer = make_citizen(463).mobile
    probes = []
    for mobile in (citizen.mobile, newcomer):
        prober = Applicant(fresh, make_citizen(464))
        prober.consent()
        probes.append(_send(prober, "mobile", mobile))
    assert [p.status_code for p in probes] == [200, 200]
    assert [p.url.endswith("/register/contact") for p in probes] == [True, True]
    one, other = _same_page(probes[0], probes[1], (citizen.mobile, newcomer))
    assert one == other
    with SmsClient(fresh.urls["sms"]) as sms, MailClient(fresh.urls["mail_api"]) as mail:
        notice = wait_for_notice(
            sms, mail, Channel.MOBILE, citizen.mobile, containing="此手機號碼已註冊為會員，請直接登入"
        )
    assert without_code(notice)


# the captcha's hostname
def test_a_captcha_solved_on_another_site_is_refused(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(470))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    fields = {"code": code, "g-recaptcha-response": _token(fresh, ELSEWHERE_HOSTNAME)}
    refused = applicant.post("/register/contact/verify", **fields)
    assert "「我不是機器人」驗證未通過" in alert(refused)
    assert applicant.verify(code).url.endswith("/register/profile")


def test_the_accepted_hostnames_are_a_setting(fresh: Stack, tmp_path: Path) -> None:
    outbound = {
        "sms_gateway_url": fresh.urls["sms"] + "/api/mtk/SmSend",
        "sms_username": SmsSettings().username,  # the stack's simulators keep their default accounts
        "sms_password": SmsSettings().password,
        "captcha_secret": CaptchaSettings().secret,
        "captcha_verify_url": fresh.urls["captcha"] + "/recaptcha/api/siteverify",
    }
    with serve_portal(tmp_path, captcha_hostnames=("portal.example.test",), **outbound) as portal:
        applicant = Applicant(fresh, make_citizen(471))
        applicant.url = portal.url
        applicant.consent()
        applicant.send_code()
        code = applicant.code()
        here = {"g-recaptcha-response": _token(fresh, "127.0.0.1")}
        assert "「我不是機器人」驗證未通過" in alert(applicant.post("/register/contact/verify", code=code, **here))
        listed = {"g-recaptcha-response": _token(fresh, "portal.example.test")}
        assert applicant.post("/register/contact/verify", code=code, **listed).url.endswith("/register/profile")


def test_two_hostnames_configured_as_a_deployment_configures_them_are_each_accepted(
    fresh: Stack, tmp_path: Path
) -> None:
    """PORTAL_CAPTCHA_HOSTNAMES with two names, read from the portal.env `tpcd up` writes: each passes, another not."""
    entries = deployment_entries(fresh.urls, agent_url=fresh.urls["agent"], chain_file=tmp_path / "chain.pem")
    assert fresh.pki is not None
    (tmp_path / "chain.pem").write_bytes(fresh.pki.chain_pem())
    entries["PORTAL_CAPTCHA_HOSTNAMES"] = "portal.example.test, www.portal.example.test"
    configured = load(entries).settings
    assert configured.captcha_hostnames == ("portal.example.test", "www.portal.example.test")
    kept = {f.name: getattr(configured, f.name) for f in fields(configured)}
    kept = {name: value for name, value in kept.items() if name not in {"db_path", "secret_key", "twin_controls"}}
    with serve_portal(tmp_path, **kept) as portal:
        for number, hostname in enumerate(("www.portal.example.test", "portal.example.test", "127.0.0.1")):
            applicant = Applicant(fresh, make_citizen(472 + number))
            applicant.url = portal.url
            applicant.consent()
            applicant.send_code()
            solved = {"g-recaptcha-response": _token(fresh, hostname)}
            reply = applicant.post("/register/contact/verify", code=applicant.code(), **solved)
            if hostname == "127.0.0.1":  # the address it was reached at is not one of its public names
                assert "「我不是機器人」驗證未通過" in alert(reply)
            else:
                assert reply.url.endswith("/register/profile"), hostname


# e-mail addresses
@pytest.mark.parametrize(
    "address",
    [
        "<{local}@example.test>",
        '"{local}"@example.test',
        "{local},attacker@example.test",
        "{local}@example.test>",
        "{local}@exa mple.test",
        "{local}@example",
        "{local}..x@example.test",
        ".{local}@example.test",
        "{local}@-example.test",
        "{local}@example.test\r\nBcc: attacker@example.test",
        "x" * 65 + "@example.test",
    ],
)
def test_malformed_addresses_get_no_mail(fresh: Stack, address: str) -> None:
    applicant = Applicant(fresh, make_citizen(480))
    applicant.consent()
    typed = address.format(local="victim-480")
    refused = _send(applicant, "email", typed)
    assert "電子郵件格式不正確" in alert(refused)
    with MailClient(fresh.urls["mail_api"]) as mail:
        assert mail.messages() == []


@pytest.mark.parametrize("address", ["o'brien+tpcd@example.test", "a.b-c_d@sub.example.test", "X1@EXAMPLE.TEST"])
def test_ordinary_addresses_get_their_code(fresh: Stack, address: str) -> None:
    applicant = Applicant(fresh, make_citizen(481))
    applicant.consent()
    assert _send(applicant, "email", address).url.endswith("/register/contact")
    with MailClient(fresh.urls["mail_api"]) as mail:
        assert mail.wait_for_otp(address)


def test_addresses_compare_without_case(fresh: Stack) -> None:
    citizen = replace(make_citizen(482), email="Citizen-482@Example.TEST")
    applicant = Applicant(fresh, citizen)
    applicant.consent()
    _send(applicant, "email", citizen.email)
    with MailClient(fresh.urls["mail_api"]) as mail, SmsClient(fresh.urls["sms"]) as sms:
        applicant.verify(mail.wait_for_otp(citizen.email))
        applicant.profile()
        applicant.post("/register/password", password=citizen.password, confirm=citizen.password)
        prober = Applicant(fresh, make_citizen(483))
        prober.consent()
        assert _send(prober, "email", "CITIZEN-482@example.test").url.endswith("/register/contact")
        said = "此電子郵件已註冊為會員，請直接登入"
        notice = wait_for_notice(sms, mail, Channel.EMAIL, "citizen-482@example.test", containing=said)
    assert without_code(notice)
    assert fresh.workdir is not None
    with sqlite3.connect(fresh.workdir / "portal.sqlite3") as db:
        (stored,) = db.execute("SELECT email FROM members WHERE id_number = ?", (citizen.id_number,)).fetchone()
    assert stored == "Citizen-482@Example.TEST"  # stored as typed, matched folded


# the stored code hash
def test_the_stored_code_hash_cannot_be_brute_forced_without_the_key(fresh: Stack) -> None:
    applicant = Applicant(fresh, make_citizen(490))
    applicant.consent()
    applicant.send_code()
    code = applicant.code()
    assert fresh.workdir is not None
    with sqlite3.connect(fresh.workdir / "portal.sqlite3") as db:
        application_id, stored = db.execute(
            "SELECT application_id, code_hash FROM challenges ORDER BY id DESC LIMIT 1"
        ).fetchone()
    found = [
        candidate
        for candidate in (f"{n:06d}" for n in range(1_000_000))
        if hashlib.sha256(f"{application_id}:{candidate}".encode()).hexdigest() == stored
    ]
    assert found == []
    assert applicant.verify(code).url.endswith("/register/profile")


# sessions
def _copy(http: requests.Session) -> requests.Session:
    """Another client holding the same cookies, as someone who copied them off a shared computer."""
    thief = requests.Session()
    thief.cookies.update(http.cookies)
    return thief


@pytest.mark.parametrize(
    ("seed", "sign_out"),
    [
        (500, lambda a: a.post("/logout").url.rstrip("/") == a.url),  # [登出]
        (501, lambda a: a.http.get(a.url + "/login", timeout=10).ok),  # the login page logs out whoever was in
    ],
    ids=["logout", "login page"],
)
def test_an_old_cookie_reads_nothing_after_signing_out(
    fresh: Stack, seed: int, sign_out: Callable[[Applicant], bool]
) -> None:
    citizen = make_citizen(seed)
    applicant = Applicant(fresh, citizen)
    applicant.register()
    with _copy(applicant.http) as thief:
        assert citizen.name in thief.get(applicant.url + "/member", timeout=10).text
        assert sign_out(applicant)
        after = thief.get(applicant.url + "/member", allow_redirects=False, timeout=10)
    assert (after.status_code, after.headers.get("location")) == (303, "/")


def test_a_finished_application_is_unreadable_with_its_old_cookie(fresh: Stack) -> None:
    citizen = make_citizen(502)
    applicant = _verified(fresh, citizen)
    applicant.profile()
    with _copy(applicant.http) as thief:
        assert citizen.id_number in thief.get(applicant.url + "/register/profile", timeout=10).text
        applicant.post("/register/password", password=citizen.password, confirm=citizen.password)
        pages = [
            thief.get(applicant.url + path, timeout=10).text
            for path in ("/register/contact", "/register/profile", "/register/password", "/member", "/register/done")
        ]
    for page in pages:
        assert citizen.id_number not in page
        assert citizen.name not in page
        assert citizen.address not in page


def test_the_cookie_carries_no_personal_data_from_netizen(fresh: Stack) -> None:
    citizen = make_citizen(503)
    applicant = _verified(fresh, citizen)
    with NetizenClient(fresh.urls["netizen"]) as netizen:
        netizen.add_account(
            "tp503", citizen.password, name=citizen.name, address=citizen.address, id_number=citizen.id_number
        )
    login = applicant.post("/register/netizen", name="")
    consent = applicant.http.post(
        urljoin(login.url, "/oauth/authorize"),
        data={**_hidden(login.text), "account": "tp503", "password": citizen.password},
        timeout=10,
    )
    prefilled = applicant.http.post(
        urljoin(consent.url, "/oauth/consent"), data={**_hidden(consent.text), "decision": "allow"}, timeout=10
    )
    assert f'value="{citizen.id_number}"' in prefilled.text
    payload = (applicant.http.cookies.get("tpcd_session") or "").split(".", 1)[0]
    decoded = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert citizen.id_number not in json.dumps(decoded, ensure_ascii=False)
    assert citizen.address not in json.dumps(decoded, ensure_ascii=False)


def _hidden(page: str) -> dict[str, str]:
    """The hidden fields of a page's form."""
    return dict(re.findall(r"type='hidden' name='([^']+)' value='([^']*)'", page))


# the twin's clock
NOT_A_STEP = ["nan", "inf", "-inf", "-1", "1e300"]


@pytest.mark.parametrize("seconds", NOT_A_STEP)
def test_the_clock_refuses_what_is_not_a_sane_forward_step(fresh: Stack, seconds: str) -> None:
    portal = fresh.urls["portal"]
    refused = requests.post(portal + "/_twin/clock/advance", data={"seconds": seconds}, headers=TOOLS, timeout=5)
    assert refused.status_code == 422
    assert "seconds" in refused.text
    unchanged = requests.post(portal + "/_twin/clock/advance", data={"seconds": "0"}, headers=TOOLS, timeout=5)
    assert unchanged.json()["offset"] == 0.0
    applicant = Applicant(fresh, make_citizen(510 + NOT_A_STEP.index(seconds)))
    applicant.consent()
    sent = applicant.send_code()
    assert sent.status_code == 200
    assert math.isfinite(unchanged.json()["offset"])


def test_the_twin_clock_on_loopback_answers_its_tools_not_a_web_page(fresh: Stack) -> None:
    advance = fresh.urls["portal"] + "/_twin/clock/advance"
    port = fresh.urls["portal"].rsplit(":", 1)[1]
    form = {"seconds": "3600"}  # what a cross-site form would post to expire every code
    assert requests.post(advance, data=form, timeout=5).status_code == 403
    foreign = {**TOOLS, "Origin": "http://attacker.example"}
    assert requests.post(advance, data=form, headers=foreign, timeout=5).status_code == 403
    rebound = {**TOOLS, "Host": f"attacker.example:{port}"}
    assert requests.post(advance, data=form, headers=rebound, timeout=5).status_code == 403
    assert requests.post(advance, data={"seconds": "0"}, headers=TOOLS, timeout=5).json() == {"offset": 0.0}


def test_an_old_cookie_reads_nothing_once_the_session_sat_idle_or_grew_old(portal: Portal) -> None:
    citizen = make_citizen(504)
    _member(portal, citizen)
    advance = portal.url + "/_twin/clock/advance"

    def logged_in() -> bool:
        reply = portal.http.get(portal.url + "/member", allow_redirects=False, timeout=10)
        return reply.status_code == 200 and citizen.name in reply.text

    assert _log_in(portal, citizen.id_number, citizen.password).url.endswith("/member")
    for _ in range(5):  # five times 29 minutes, seen every time: idle never reached, yet past 2 hours in all
        portal.http.post(advance, data={"seconds": 29 * 60}, headers=TOOLS, timeout=5)
        assert logged_in()
    portal.http.post(advance, data={"seconds": 30 * 60 + 1}, headers=TOOLS, timeout=5)
    assert not logged_in()  # idle for longer than 30 minutes

    assert _log_in(portal, citizen.id_number, citizen.password).url.endswith("/member")
    for _ in range(25):  # seen every 29 minutes: 12 hours after it began it ends all the same
        portal.http.post(advance, data={"seconds": 29 * 60}, headers=TOOLS, timeout=5)
        if not logged_in():
            break
    else:
        pytest.fail("a session seen every 29 minutes lived on past 12 hours")


def test_an_application_told_of_too_many_members_id_numbers_must_start_over(fresh: Stack) -> None:
    members = [make_citizen(seed) for seed in (520, 521, 522, 523)]
    for member in members:
        assert Applicant(fresh, member).register().url.endswith("/register/done")
    prober = _verified(fresh, make_citizen(524))

    def typed(someone: CitizenProfile) -> str:
        return alert(prober.profile(id_number=someone.id_number, sex=someone.sex.value))  # the ID's second digit

    assert all("此身分證字號已註冊" in typed(member) for member in members[:3])
    assert "過多" in typed(members[3])  # the fourth member's number: no longer told whose it is
    assert "過多" in typed(prober.citizen)  # nor of a free one: the same answer, whatever is typed
    assert "過多" in typed(members[0])
