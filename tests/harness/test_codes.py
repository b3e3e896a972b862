"""The code reader: each code handed out once, the newest delivered one first, whatever order messages arrive in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from domain.citizen import Channel
from harness.codes import CodeReader
from simulators import mail, sms
from simulators.mail import MailClient
from simulators.serving import serve_asgi
from simulators.sms import SmsClient, SmsFault

MOBILE = "0912345678"


@pytest.fixture
def reader() -> Iterator[tuple[str, CodeReader]]:
    with (
        serve_asgi(sms.create_app(), name="sms") as sms_url,
        serve_asgi(mail.create_app(), name="mail") as mail_url,
        SmsClient(sms_url) as sms_client,
        MailClient(mail_url) as mail_client,
    ):
        yield sms_url, CodeReader(sms_client, mail_client)


def _send(url: str, body: str) -> None:
    fields = {"username": "tpcd", "password": "tpcd-sms-secret", "dstaddr": MOBILE, "smbody": body}
    reply = requests.post(f"{url}/api/mtk/SmSend", params={"CharsetURL": "UTF-8"}, data=fields, timeout=5)
    assert "statuscode=1" in reply.text


def test_a_code_still_on_its_way_is_read_once_it_arrives(reader: tuple[str, CodeReader]) -> None:
    url, codes = reader
    _send(url, "驗證碼 111111")
    with SmsClient(url) as control:
        control.arm(SmsFault.NEVER_DELIVER, match=MOBILE)  # not DELAY: a slow machine could outlast the delay
        _send(url, "驗證碼 999999")  # accepted, never on the phone
        assert codes.newest(Channel.MOBILE, MOBILE) == "111111"  # the newest delivered, not the newest accepted
        control.arm(SmsFault.DELAY, match=MOBILE, seconds=1.5)
    _send(url, "驗證碼 222222")  # accepted at once, on the phone 1.5 s later
    assert codes.newest(Channel.MOBILE, MOBILE, timeout=10) == "222222"


def test_each_code_is_handed_out_once(reader: tuple[str, CodeReader]) -> None:
    url, codes = reader
    _send(url, "驗證碼 333333")
    assert codes.newest(Channel.MOBILE, MOBILE) == "333333"
    with pytest.raises(TimeoutError, match=f"no SMS with a code reached {MOBILE}"):
        codes.newest(Channel.MOBILE, MOBILE, timeout=0.3)
