"""The mail simulator as any SMTP client and any Mailpit API reader sees it."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import requests

from simulators.mail import MailClient, MailFault, MailSettings, create_app, serve_smtp
from simulators.mail.faults import BOUNCING_ADDRESS
from simulators.serving import serve_asgi


@pytest.fixture
def mail() -> Iterator[tuple[int, str]]:
    app = create_app()
    with serve_smtp(app.state.simulator) as port, serve_asgi(app, name="mail") as url:
        yield port, url


def _message(to: str = "citizen@example.test", code: str = "135790") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "臺北卡3.0 <noreply@tpcd.example.test>"
    message["To"] = to
    message["Subject"] = "臺北卡3.0 會員註冊驗證碼"  # non-ASCII: sent as an RFC 2047 encoded-word
    message["Message-ID"] = "<otp-1@tpcd.example.test>"
    message.set_content(f"您的驗證碼為 {code}")
    message.add_alternative(f"<p>您的驗證碼為 <b>{code}</b></p>", subtype="html")
    return message


def _send(port: int, message: EmailMessage, *, smtputf8: bool = False) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message, mail_options=["SMTPUTF8"] if smtputf8 else [])


def test_mailpit_shapes_for_a_multipart_message(mail: tuple[int, str]) -> None:
    port, url = mail
    _send(port, _message())
    listing = requests.get(f"{url}/api/v1/messages", timeout=5).json()
    assert listing["total"] == 1
    (summary,) = listing["messages"]
    assert summary["From"] == {"Name": "臺北卡3.0", "Address": "noreply@tpcd.example.test"}
    assert summary["To"] == [{"Name": "", "Address": "citizen@example.test"}]
    assert summary["Subject"] == "臺北卡3.0 會員註冊驗證碼"
    assert summary["MessageID"] == "otp-1@tpcd.example.test"
    assert "135790" in summary["Snippet"]
    detail = requests.get(f"{url}/api/v1/message/{summary['ID']}", timeout=5).json()
    assert "135790" in detail["Text"]
    assert "<b>135790</b>" in detail["HTML"]


def test_smtputf8_recipient_search_and_delete(mail: tuple[int, str]) -> None:
    port, url = mail
    _send(port, _message(to="市民@example.test"), smtputf8=True)
    _send(port, _message(to="other@example.test", code="246802"))
    with MailClient(url) as client:
        assert client.wait_for_otp("市民@example.test") == "135790"
        assert [m.to[0].address for m in client.messages("other@example.test")] == ["other@example.test"]
    assert requests.delete(f"{url}/api/v1/messages", timeout=5).status_code == 200
    assert requests.get(f"{url}/api/v1/messages", timeout=5).json()["total"] == 0


def test_wait_for_otp_waits_for_a_newer_mail(mail: tuple[int, str]) -> None:
    port, url = mail
    _send(port, _message(code="111111"))
    with MailClient(url) as client:
        first = client.wait_for_message("citizen@example.test")
        assert (first.otp, first.subject) == ("111111", "臺北卡3.0 會員註冊驗證碼")
        _send(port, _message(code="222222"))
        assert client.wait_for_otp("citizen@example.test", after=first.id) == "222222"
        with pytest.raises(TimeoutError):
            client.wait_for_otp("citizen@example.test", timeout=0.2, after=client.messages()[0].id)


def test_a_mail_without_a_code_is_not_waited_for(mail: tuple[int, str]) -> None:
    port, url = mail
    _send(port, _message(code="333333"))
    newsletter = EmailMessage()
    newsletter["From"], newsletter["To"], newsletter["Subject"] = "news@example.test", "citizen@example.test", "電子報"
    newsletter.set_content("臺北卡3.0 本月消息")
    _send(port, newsletter)
    with MailClient(url) as client:
        assert client.wait_for_otp("citizen@example.test") == "333333"


def test_the_smtp_greeting_names_the_configured_host() -> None:
    app = create_app(MailSettings(hostname="mx.tpcd.test"))
    with serve_smtp(app.state.simulator) as port, smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        code, greeting = smtp.ehlo()
    assert code == 250
    assert greeting.decode().startswith("mx.tpcd.test")


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        (MailFault.SERVICE_UNAVAILABLE, smtplib.SMTPRecipientsRefused, 421),
        (MailFault.MAILBOX_UNAVAILABLE, smtplib.SMTPRecipientsRefused, 550),
        (MailFault.TRY_LATER, smtplib.SMTPDataError, 451),
        (MailFault.STORAGE_EXCEEDED, smtplib.SMTPDataError, 552),
        (MailFault.TRANSACTION_FAILED, smtplib.SMTPDataError, 554),
    ],
    ids=["421", "550", "451", "552", "554"],
)
def test_faults_are_smtp_replies_for_the_matched_recipient(
    mail: tuple[int, str], fault: MailFault, error: type[Exception], code: int
) -> None:
    port, url = mail
    with MailClient(url) as client:
        client.arm(fault, match="citizen@example.test")
        with pytest.raises(error) as raised:
            _send(port, _message())
        replies = (
            raised.value.recipients.values()
            if isinstance(raised.value, smtplib.SMTPRecipientsRefused)
            else [
                (raised.value.smtp_code, raised.value.smtp_error)  # type: ignore[attr-defined]
            ]
        )
        assert [c for c, _ in replies] == [code]
        _send(port, _message(to="other@example.test"))  # other recipients are unaffected
        assert client.messages()[0].to[0].address == "other@example.test"


def test_dropped_connection_and_bouncing_address(mail: tuple[int, str]) -> None:
    port, url = mail
    with MailClient(url) as client:
        client.arm(MailFault.DROP_MID_DATA)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            _send(port, _message())
        assert client.messages() == []
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send(port, _message(to=BOUNCING_ADDRESS))


def test_slow_accept_still_delivers(mail: tuple[int, str]) -> None:
    port, url = mail
    with MailClient(url) as client:
        client.arm(MailFault.SLOW_ACCEPT, seconds=0.3)
        _send(port, _message())
        assert client.wait_for_otp("citizen@example.test") == "135790"


def test_a_held_reply_keeps_the_client_waiting_until_released_then_refuses(mail: tuple[int, str]) -> None:
    port, url = mail
    refused: list[smtplib.SMTPDataError] = []

    def send() -> None:
        try:
            _send(port, _message())
        except smtplib.SMTPDataError as error:
            refused.append(error)

    with MailClient(url, target="citizen@example.test") as client:
        client.arm(MailFault.HELD)
        sender = threading.Thread(target=send)
        sender.start()
        client.wait_held()
        assert client.release() == 1
        sender.join(30)
        assert not sender.is_alive()
        (error,) = refused
        assert error.smtp_code == 451
        text = error.smtp_error.decode() if isinstance(error.smtp_error, bytes) else error.smtp_error
        lines = text.splitlines()  # smtplib joins a multiline reply's texts with newlines
        assert lines[0] == "4.3.0 Message held, please wait"
        assert lines[-1] == "4.3.0 Requested action aborted: try again later"
        assert client.messages() == []
        assert client.state()["held"] == {}


def test_an_empty_search_is_refused_as_mailpit_refuses_it(mail: tuple[int, str]) -> None:
    _, url = mail
    reply = requests.get(f"{url}/api/v1/search", params={"query": "  "}, timeout=5)
    assert (reply.status_code, reply.headers["content-type"], reply.text) == (
        400,
        "text/plain; charset=utf-8",
        "Error: no search query",
    )


def test_inbox_page_for_a_person(mail: tuple[int, str]) -> None:
    port, url = mail
    _send(port, _message())
    page = requests.get(url + "/", timeout=5).text
    assert "電子郵件收件匣" in page
    assert "臺北卡3.0 會員註冊驗證碼" in page
    assert "135790" in page
