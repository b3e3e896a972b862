"""What a stack left running for weeks keeps (docs/shared-stack.md): the newest messages of each inbox, no mail over
the size limit (Python's smtplib, a real SMTP client, reads the refusal), SMS points that refill or are topped up,
msgids a restarted gateway does not repeat, and delivery reports only to the URLs registered for the account."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import requests
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from simulators.client import wait_until
from simulators.mail import MailClient, MailSettings, create_app, serve_smtp
from simulators.serving import serve_asgi
from simulators.sms import SmsClient, SmsSettings
from simulators.sms import create_app as create_sms_app
from simulators.sms.service import Draft, SmsGateway, first_msgid

ACCOUNT = {"username": "tpcd", "password": "tpcd-sms-secret"}


def _sms(url: str, **fields: str) -> str:
    reply = requests.post(f"{url}/api/mtk/SmSend?CharsetURL=UTF-8", data={**ACCOUNT, **fields}, timeout=5)
    return reply.text


def test_the_sms_inbox_keeps_the_newest_messages() -> None:
    with serve_asgi(create_sms_app(SmsSettings(inbox_limit=3)), name="sms") as url:
        for n in range(5):
            _sms(url, dstaddr="0912345678", smbody=f"code {n}0000{n}")
        with SmsClient(url) as client:
            kept = client.messages()
            assert [m.body for m in kept] == ["code 200002", "code 300003", "code 400004"]
            assert client.state()["messages"] == 3
            assert client.wait_for_otp("0912345678") == "400004"


def test_sms_points_refill_when_spent_or_run_out_until_topped_up() -> None:
    with serve_asgi(create_sms_app(SmsSettings(account_points=2)), name="sms") as url:
        replies = [_sms(url, dstaddr="0912345678", smbody=f"x {n}") for n in range(3)]
        assert all("statuscode=1" in reply for reply in replies)
        with SmsClient(url) as client:
            state = client.state()
        assert (state["account_points"], state["refills"]) == (1, 1)
    with serve_asgi(create_sms_app(SmsSettings(account_points=1, points_refill=False)), name="sms") as url:
        assert "statuscode=1" in _sms(url, dstaddr="0912345678", smbody="x")
        assert "statuscode=s" in _sms(url, dstaddr="0912345678", smbody="x")  # 點數不足
        with SmsClient(url) as client:
            assert client.top_up(5) == 5
        assert "AccountPoint=4" in _sms(url, dstaddr="0912345678", smbody="x")


def test_a_restarted_gateway_repeats_no_msgid() -> None:
    before = SmsGateway(SmsSettings())
    sent = [before.send(ACCOUNT, [Draft("0912345678", f"x {n}")]) for n in range(3)]
    last = max(int(m.msgid) for m in before.find())
    wait_until(lambda: first_msgid() > last or None, timeout=30, what="the clock never moved")  # a restart takes time
    after = SmsGateway(SmsSettings())
    after.send(ACCOUNT, [Draft("0912345678", "y")])
    assert after.find()[0].msgid not in {m.msgid for m in before.find()}
    assert all("msgid=#" in reply for reply in sent)


def test_clientids_are_remembered_for_their_window_but_not_without_bound() -> None:
    gateway = SmsGateway(SmsSettings(clientid_memory=2))
    for clientid in ("a", "b", "c"):
        gateway.send(ACCOUNT, [Draft("0912345678", "x", clientid=clientid)])
    assert list(gateway.clientids) == ["b", "c"]
    assert "Duplicate=Y" in gateway.send(ACCOUNT, [Draft("0912345678", "x", clientid="c")])


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str]]]:
    calls: list[str] = []
    app = FastAPI()

    @app.get("/dlr")
    def report(msgid: str) -> PlainTextResponse:
        calls.append(msgid)
        return PlainTextResponse(f"magicid=sms_gateway_rpack\nmsgid={msgid}\n")

    with serve_asgi(app, name="receiver") as url:
        yield url + "/dlr", calls


def test_delivery_reports_go_only_to_registered_urls_and_never_to_loopback_from_beyond(
    receiver: tuple[str, list[str]],
) -> None:
    url, calls = receiver
    with serve_asgi(create_sms_app(SmsSettings(callback_interval=0.01)), name="sms") as sms_url:
        _sms(sms_url, dstaddr="0912345678", smbody="x 111111", response=url)
        with SmsClient(sms_url) as client:
            refused = wait_until(lambda: client.state()["callbacks"] or None, timeout=30, what="no refusal recorded")
            assert refused[0]["refused"] == "not registered for the account"
            client.wait_for_otp("0912345678")
            client.register_callback(url)
            _sms(sms_url, dstaddr="0912345678", smbody="x 222222", response=url + "?order=7")
            wait_until(lambda: calls or None, timeout=30, what="the registered URL got no report")
    assert len(calls) == 1
    gateway = SmsGateway(SmsSettings(callback_urls=(url,)))
    assert gateway.callback_refusal(url, "198.51.100.7") == "loopback, asked from beyond it"
    assert gateway.callback_refusal(url, "127.0.0.1") is None


@pytest.fixture
def mail() -> Iterator[tuple[int, str]]:
    app = create_app(MailSettings(max_messages=3, max_message_size=10_000))
    with serve_smtp(app.state.simulator) as port, serve_asgi(app, name="mail") as url:
        yield port, url


def _mail(port: int, body: str, to: str = "citizen@example.test") -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "noreply@tpcd.example.test", to, "code"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)


def test_the_mailbox_keeps_the_newest_messages(mail: tuple[int, str]) -> None:
    port, url = mail
    for n in range(5):
        _mail(port, f"code {n}0000{n}")
    with MailClient(url) as client:
        assert requests.get(f"{url}/api/v1/messages", timeout=5).json()["total"] == 3
        assert client.wait_for_otp("citizen@example.test") == "400004"


def test_smtp_refuses_a_message_over_the_size_limit_with_552(mail: tuple[int, str]) -> None:
    port, url = mail
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("size")
        assert int(smtp.esmtp_features["size"]) == 10_000  # advertised, so a client may give up before DATA
    with pytest.raises(smtplib.SMTPSenderRefused) as declared:  # smtplib declares SIZE=: refused at MAIL FROM
        _mail(port, "x" * 20_000)
    assert declared.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:  # a client that declares nothing: refused after DATA
        smtp.ehlo()
        assert smtp.mail("noreply@tpcd.example.test")[0] == 250
        assert smtp.rcpt("citizen@example.test")[0] == 250
        code, _ = smtp.data(b"Subject: big\r\n\r\n" + (b"x" * 98 + b"\r\n") * 200)  # the reply after the data
    assert code == 552
    _mail(port, "fits 123456")
    assert requests.get(f"{url}/api/v1/messages", timeout=5).json()["total"] == 1
