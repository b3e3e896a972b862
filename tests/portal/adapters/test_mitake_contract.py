"""The portal's Mitake adapter against Mitake's documented replies (docs/protocols/sms-mitake.md), in `responses`."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from portal.adapters import DeliveryError
from portal.adapters.sms import MitakeSender, parse_reply

URL = "https://smsapi.mitake.com.tw/api/mtk/SmSend"
EXPECTED_FIELDS = {
    "username": "user",
    "password": "secret",
    "dstaddr": "0912345678",
    "smbody": "第一行\x06第二行",  # Mitake's newline on the wire
    "clientid": "c-1",
}


def _sender() -> MitakeSender:
    return MitakeSender(URL, "user", "secret", timeout=2)


@responses.activate
def test_accepted_reply_gives_the_msgid_and_sends_what_mitake_expects() -> None:
    responses.post(
        URL,
        body="[1]\r\nmsgid=#000000013\r\nstatuscode=1\r\nAccountPoint=126\r\n",
        match=[
            matchers.query_param_matcher({"CharsetURL": "UTF-8"}),
            matchers.urlencoded_params_matcher(EXPECTED_FIELDS),
        ],
    )
    assert _sender().send("0912345678", "第一行\n第二行", clientid="c-1") == "000000013"


@responses.activate
def test_duplicate_clientid_reply_counts_as_accepted() -> None:
    responses.post(URL, body="[1]\r\nmsgid=#000000013\r\nstatuscode=1\r\nAccountPoint=126\r\nDuplicate=Y\r\n")
    assert _sender().send("0912345678", "x", clientid="c-1") == "000000013"


@pytest.mark.parametrize("code", ["0", "2", "4"])
@responses.activate
def test_other_accepted_statuscodes(code: str) -> None:
    responses.post(URL, body=f"[1]\r\nmsgid=#1\r\nstatuscode={code}\r\n")
    assert _sender().send("0912345678", "x", clientid="c") == "1"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("statuscode=e\r\nError=帳號、密碼錯誤\r\n", "簡訊服務帳號設定有誤，代碼 e"),
        ("statuscode=k\r\nError=無效的連線位址\r\n", "簡訊服務拒絕本站連線，代碼 k"),
        ("statuscode=s\r\nError=帳務處理失敗\r\n", "簡訊服務點數不足，代碼 s"),
        ("[1]\r\nstatuscode=v\r\nError=無效的手機號碼\r\n", "手機號碼無效，代碼 v"),
        ("[1]\r\nstatuscode=u\r\nError=簡訊內容不得為空白\r\n", "簡訊內容空白，代碼 u"),
        ("statuscode=*\r\nError=系統發生錯誤\r\n", "簡訊服務系統錯誤，代碼 *"),
    ],
    ids=["e", "k", "s", "v", "u", "star"],
)
@responses.activate
def test_refusals_become_plain_chinese(body: str, says: str) -> None:
    responses.post(URL, body=body.encode("big5"), content_type="text/plain; charset=big5")
    with pytest.raises(DeliveryError, match=says.replace("*", r"\*")):
        _sender().send("0912345678", "x", clientid="c")


@responses.activate
def test_http_500() -> None:
    responses.post(URL, status=500)
    with pytest.raises(DeliveryError, match=r"HTTP 500"):
        _sender().send("0912345678", "x", clientid="c")


@responses.activate
def test_timeout() -> None:
    responses.post(URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(DeliveryError, match="沒有回應"):
        _sender().send("0912345678", "x", clientid="c")


def test_reply_parser_keeps_every_field() -> None:
    assert parse_reply("[1]\r\nmsgid=#9\r\nstatuscode=1\r\nAccountPoint=3\r\n") == {
        "msgid": "#9",
        "statuscode": "1",
        "AccountPoint": "3",
    }
