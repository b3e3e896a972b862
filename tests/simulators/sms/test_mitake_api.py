"""The SMS simulator as a Mitake client sees it: raw HTTP, Big5 by default, INI-like CRLF replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from simulators.client import wait_until
from simulators.serving import serve_asgi
from simulators.sms import SmsClient, SmsFault
from simulators.sms.faults import STATUSCODE_FAULTS, UNREACHABLE_MOBILE

ACCOUNT = {"username": "tpcd", "password": "tpcd-sms-secret"}


def _send(url: str, charset: str | None = "UTF-8", **fields: str | bytes) -> str:
    query = f"?CharsetURL={charset}" if charset else ""
    reply = requests.post(f"{url}/api/mtk/SmSend{query}", data={**ACCOUNT, **fields}, timeout=5)
    assert reply.status_code == 200
    return reply.content.decode("utf-8" if charset else "big5")


def test_accepted_message_reply_and_inbox(sms_url: str) -> None:
    reply = _send(sms_url, dstaddr="0912345678", smbody="驗證碼 123456\x06請於5分鐘內輸入")
    assert reply == "[1]\r\nmsgid=#0000000001\r\nstatuscode=1\r\nAccountPoint=99999\r\n"
    with SmsClient(sms_url) as client:
        assert client.wait_for_otp("0912345678") == "123456"
        (message,) = client.messages("0912345678")
    assert message.body == "驗證碼 123456\n請於5分鐘內輸入"  # 0x06 is Mitake's newline
    (wire,) = requests.get(f"{sms_url}/api/v1/messages", params={"to": "0912345678"}, timeout=5).json()
    assert sorted(wire) == [
        *("body", "clientid", "destname", "id", "msgid", "points", "received_at"),
        *("scheduled_for", "status", "status_at", "to"),
    ]
    assert (wire["id"], wire["msgid"], wire["status"]) == (1, "0000000001", "DELIVRD")
    assert requests.get(f"{sms_url}/api/v1/messages/1", timeout=5).json() == wire


def test_b2c_path_and_big5_without_charseturl(sms_url: str) -> None:
    body = "臺北卡驗證碼 654321".encode("big5")
    reply = requests.post(
        f"{sms_url}/b2c/mtk/SmSend", data={**ACCOUNT, "dstaddr": "0912345678", "smbody": body}, timeout=5
    )
    assert "statuscode=1" in reply.content.decode("big5")
    with SmsClient(sms_url) as client:
        assert client.messages()[0].body == "臺北卡驗證碼 654321"


def test_same_clientid_is_answered_from_the_first_result(sms_url: str) -> None:
    first = _send(sms_url, dstaddr="0912345678", smbody="a 111111", clientid="otp-1")
    again = _send(sms_url, dstaddr="0912345678", smbody="b 222222", clientid="otp-1")
    assert again == first + "Duplicate=Y\r\n"
    with SmsClient(sms_url) as client:
        assert len(client.messages()) == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"username": "tpcd", "password": "wrong", "dstaddr": "0912345678", "smbody": "x"},
            "statuscode=e\r\nError=帳號、密碼錯誤\r\n",
        ),
        ({"dstaddr": "12345", "smbody": "x"}, "[1]\r\nstatuscode=v\r\nError=無效的手機號碼\r\n"),
        ({"dstaddr": "0912345678", "smbody": "  "}, "[1]\r\nstatuscode=u\r\nError=簡訊內容不得為空白\r\n"),
    ],
    ids=["e", "v", "u"],
)
def test_refusals(sms_url: str, fields: dict[str, str], expected: str) -> None:
    assert _send(sms_url, **fields) == expected


@pytest.mark.parametrize("fault", sorted(STATUSCODE_FAULTS), ids=str)  # each Mitake code the portal must explain
def test_armed_statuscode_for_one_number_only(sms_url: str, fault: SmsFault) -> None:
    with SmsClient(sms_url) as client:
        client.arm(fault, match="0911111111")
    assert f"statuscode={fault.value}\r\n" in _send(sms_url, dstaddr="0911111111", smbody="x")
    assert "statuscode=1" in _send(sms_url, dstaddr="0922222222", smbody="x")
    assert "statuscode=1" in _send(sms_url, dstaddr="0911111111", smbody="x")  # times=1: used up


def test_http_500_and_hang(sms_url: str) -> None:
    with SmsClient(sms_url) as client:
        client.arm(SmsFault.HTTP_500)
        client.arm(SmsFault.HANG, seconds=3)
    assert requests.post(f"{sms_url}/api/mtk/SmSend", data=ACCOUNT, timeout=5).status_code == 500
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{sms_url}/api/mtk/SmSend", data=ACCOUNT, timeout=0.3)


def test_never_delivered_and_delayed_messages(sms_url: str) -> None:
    with SmsClient(sms_url) as client:
        client.arm(SmsFault.DELAY, seconds=0.5)
        _send(sms_url, dstaddr="0912345678", smbody="late 333333")
        assert client.wait_for_otp("0912345678", timeout=30) == "333333"
        # held the armed 0.5 s, by the gateway's own stamps (whole milliseconds): not by reading the inbox right
        # after the send, which a slow machine can do after the 0.5 s have passed
        late = client.messages()[0]
        held = datetime.fromisoformat(late.status_at) - datetime.fromisoformat(late.received_at)
        assert held >= timedelta(seconds=0.5) - timedelta(milliseconds=1)
        _send(sms_url, dstaddr=UNREACHABLE_MOBILE, smbody="lost 444444")
        with pytest.raises(TimeoutError, match=f"no SMS with a code reached {UNREACHABLE_MOBILE}"):
            client.wait_for_otp(UNREACHABLE_MOBILE, timeout=0.5)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A delivery-report receiver that forgets to acknowledge the first report."""
    calls: list[dict[str, str]] = []
    app = FastAPI()

    @app.get("/dlr")
    def report(
        msgid: str, dstaddr: str, dlvtime: str, donetime: str, statusstr: str, statuscode: str, StatusFlag: str
    ) -> PlainTextResponse:
        calls.append({"msgid": msgid, "statusstr": statusstr, "StatusFlag": StatusFlag})
        body = "busy" if len(calls) == 1 else f"magicid=sms_gateway_rpack\nmsgid={msgid}\n"
        return PlainTextResponse(body)

    with serve_asgi(app, name="receiver") as url:
        yield url + "/dlr", calls


def test_delivery_report_is_retried_until_acknowledged(
    sms_url: str, receiver: tuple[str, list[dict[str, str]]]
) -> None:
    url, calls = receiver
    with SmsClient(sms_url) as client:
        client.register_callback(url)
        _send(sms_url, dstaddr="0912345678", smbody="x 123456", response=url)

        def acknowledged() -> list[dict[str, object]] | None:
            attempts: list[dict[str, object]] = client.state()["callbacks"]
            return attempts if any(a["acknowledged"] for a in attempts) else None

        attempts = wait_until(acknowledged, timeout=30, what="the delivery report was never acknowledged")
    assert [a["acknowledged"] for a in attempts] == [False, True]
    assert calls[0] == {"msgid": "0000000001", "statusstr": "DELIVRD", "StatusFlag": "4"}


def test_reset_and_unknown_fault(sms_url: str) -> None:
    _send(sms_url, dstaddr="0912345678", smbody="x")
    with SmsClient(sms_url) as client:
        client.reset()
        assert client.messages() == []
        assert client.state()["account_points"] == 100_000
        with pytest.raises(Exception, match="unknown fault 'q'"):
            client.arm("q")


def test_inbox_page_for_a_person(sms_url: str) -> None:
    _send(sms_url, dstaddr="0912345678", smbody="<b>驗證碼</b> 123456")
    page = requests.get(sms_url + "/", timeout=5).text
    assert "簡訊收件匣" in page
    assert "&lt;b&gt;驗證碼&lt;/b&gt; 123456" in page
