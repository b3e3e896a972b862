"""The SMS simulator driven by real Mitake clients: the PyPI `mitake` package itself, and the exact requests of the
Go, PHP, Java and Ruby clients, their answers parsed by each client's own rules ported line for line (file and
function cited on each port). Where a client has a bug that the real Mitake would hit too, the test says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import mitake
import pytest
import requests
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from simulators.client import wait_until
from simulators.serving import serve_asgi
from simulators.sms import SmsClient

USER, PASSWORD = "tpcd", "tpcd-sms-secret"
MOBILE = "0912345678"


# --- tzangms/mitake 0.9.2 (PyPI `mitake`), the client itself -------------------------------------------------------


def test_pypi_mitake_sends_with_the_account_in_the_query_string(sms_url: str) -> None:
    client = mitake.MitakeClient(USER, PASSWORD, base_url=sms_url)
    reply = client.send_sms(MOBILE, "臺北卡驗證碼 123456")
    assert reply == {"msgid": "#0000000001", "statuscode": "1", "AccountPoint": "99999"}
    with SmsClient(sms_url) as sms:
        assert sms.wait_for_otp(MOBILE) == "123456"
    assert client.query_account_balance() == {"AccountPoint": "99999"}


def test_pypi_mitake_bulk_send_and_a_wrong_password(sms_url: str) -> None:
    client = mitake.MitakeClient(USER, PASSWORD, base_url=sms_url)
    reply = client.send_batch_sms([{"to": MOBILE, "message": "a 111111"}, {"to": "0922222222", "message": "b"}])
    assert (reply["msgid"], reply["statuscode"], reply["AccountPoint"]) == ("#0000000002", "1", "99998")
    refused = mitake.MitakeClient(USER, "wrong", base_url=sms_url).send_sms(MOBILE, "x")
    assert refused == {"statuscode": "e", "Error": "帳號、密碼錯誤"}


def test_pypi_mitake_status_query_uses_a_path_mitake_does_not_have(sms_url: str) -> None:
    """mitake 0.9.2 `query_message_status` calls `api/mtk/SmQueryGet` (client.py), which Mitake's spec does not list."""
    with pytest.raises(mitake.APIError, match="HTTP 404"):
        mitake.MitakeClient(USER, PASSWORD, base_url=sms_url).query_message_status(["0000000001"])


# --- minchao/go-mitake v2 (api.go, mitake.go, callback.go), requests replayed ------------------------------------


def go_parse_message_response(body: str) -> dict[str, object]:
    """api.go `parseMessageResponse`: `[…]` opens a result; before one, any line is "no clientid"; each other line must
    split on "=" into exactly two parts."""
    results: list[dict[str, object]] = []
    response: dict[str, object] = {"Results": results}
    for raw in body.splitlines():  # bufio.ScanLines drops the \r of each CRLF
        text = raw.strip()
        if re.match(r"^\[(.+?)]$", text):
            results.append({})
            continue
        if not results:
            raise ValueError("no clientid")
        parts = text.split("=")
        if len(parts) != 2:
            raise ValueError("invalid key value pair")
        key, value = parts
        if key == "msgid":
            results[-1]["Msgid"] = value
        elif key == "statuscode":
            results[-1]["StatusCode"] = value
        elif key == "smsPoint":
            results[-1]["SmsPoint"] = int(value)
        elif key == "AccountPoint":
            response["AccountPoint"] = int(value)
        elif key == "Duplicate":
            response["Duplicate"] = value
    if not results:
        raise ValueError("invalid response")
    return response


def go_atoi(text: str) -> int:
    """Go's strconv.Atoi: digits only, no surrounding whitespace."""
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def test_go_mitake_send_and_send_batch(sms_url: str) -> None:
    form = {"dstaddr": MOBILE, "smbody": "Hello, 世界 123456", "smsPointFlag": "1", "username": USER}
    form["password"] = PASSWORD  # api.go `buildSendFormData`: the account joins the form
    reply = requests.post(f"{sms_url}/b2c/mtk/SmSend?CharsetURL=UTF-8", data=form, timeout=5)
    assert go_parse_message_response(reply.text) == {
        "Results": [{"Msgid": "#0000000001", "StatusCode": "1", "SmsPoint": 1}],
        "AccountPoint": 99999,
    }
    query = urlencode(sorted({"Encoding_PostIn": "UTF-8", "password": PASSWORD, "smsPointFlag": "1"}.items()))
    body = (
        f"0aab$${MOBILE}$$$$$$Bob$$$$Test1\r\n1aab$$0987654321$$$$$$$$$${'長' * 71}\r\n"  # `BatchMessagesParams.ToData`
    )
    batch = requests.post(
        f"{sms_url}/b2c/mtk/SmBulkSend?{query}&username={USER}",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},  # api.go `SendBatch` says so for its raw body
        timeout=5,
    )
    assert go_parse_message_response(batch.text) == {
        "Results": [
            {"Msgid": "#0000000002", "StatusCode": "1", "SmsPoint": 1},
            {"Msgid": "#0000000003", "StatusCode": "1", "SmsPoint": 2},  # 71 Chinese characters: two parts
        ],
        "AccountPoint": 99996,
    }


def test_go_mitake_queries_as_written_carry_no_account(sms_url: str) -> None:
    """mitake.go `buildDefaultQuery` sets username and password on one url.Values and returns a new, empty one, so
    `QueryAccountPoint`, `QueryMessageStatus` and `CancelScheduledMessages` reach Mitake without an account; the
    simulator answers as for any request without one (statuscode c), and go-mitake cannot read that."""
    reply = requests.get(f"{sms_url}/b2c/mtk/SmQuery", timeout=5).text
    assert reply == "statuscode=c\r\nError=請輸入帳號\r\n"
    with pytest.raises(ValueError, match="invalid syntax"):
        go_atoi(reply.split("=")[1])  # api.go `QueryAccountPoint`


def test_go_mitake_query_and_cancel_shapes_with_an_account(sms_url: str) -> None:
    later = (datetime.now(ZoneInfo("Asia/Taipei")) + timedelta(hours=1)).strftime("%Y%m%d%H%M%S")
    account = {"username": USER, "password": PASSWORD}
    for dlvtime in ("", later):
        form = {**account, "dstaddr": MOBILE, "smbody": "x 123456", "dlvtime": dlvtime}
        requests.post(f"{sms_url}/b2c/mtk/SmSend?CharsetURL=UTF-8", data=form, timeout=5)
    with SmsClient(sms_url) as sms:
        wait_until(lambda: sms.messages()[0].delivered or None, timeout=30, what="the first message was not delivered")
    balance = requests.get(f"{sms_url}/b2c/mtk/SmQuery", params=account, timeout=5).text
    assert go_atoi(balance.split("=")[1]) == 99998  # api.go `QueryAccountPoint`
    ids = {"msgid": "0000000001,0000000002", "smsPointFlag": "1"}
    rows = requests.get(f"{sms_url}/b2c/mtk/SmQuery", params={**account, **ids}, timeout=5).text
    statuses = [line.strip().split("\t") for line in rows.splitlines()]  # api.go `parseMessageStatusResponse`
    assert [(s[0], s[1], len(s[2]), go_atoi(s[3])) for s in statuses] == [
        ("0000000001", "4", 14, 1),  # 已送達手機
        ("0000000002", "0", 14, 1),  # 預約傳送中
    ]
    cancel = requests.get(
        f"{sms_url}/b2c/mtk/SmCancel", params={**account, "msgid": "0000000001,0000000002"}, timeout=5
    )
    assert [line.strip().split("=") for line in cancel.text.splitlines()] == [  # `parseCancelScheduledMessagesResponse`
        ["0000000001", "4"],  # delivered already: too late to cancel
        ["0000000002", "9"],  # 預約已取消
    ]


# --- codepower-tw/sms-mitake-php (src/Client.php, src/Response/ResponseParser.php), requests replayed ---------------


def php_form(fields: dict[str, str | bytes]) -> str:
    """CurlHttpClient.php `buildQuery`: rawurlencode of each key and value, joined by "&"."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields.items())


def php_parse_send_results(body: str) -> list[dict[str, object]]:
    """ResponseParser.php `parseSendResults` and `buildSendResult`: `[x]` opens a block; a loose line opens one with
    no client id; msgid loses its leading "#"."""
    blocks: list[dict[str, str | None]] = []
    for line in (ln.strip() for ln in re.split(r"\r\n|\r|\n", body) if ln.strip()):
        header = re.match(r"^\[(.*)\]$", line)
        if header:
            blocks.append({"clientId": header.group(1) or None})
            continue
        if "=" not in line:
            continue
        if not blocks:
            blocks.append({"clientId": None})
        key, _, value = line.partition("=")
        blocks[-1][key] = value
    return [
        {
            "msgId": (b.get("msgid") or "").lstrip("#") or None,
            "statusCode": b.get("statuscode", ""),
            "accountPoint": int(b["AccountPoint"] or 0) if "AccountPoint" in b else None,
            "duplicate": b.get("Duplicate") == "Y",
            "clientId": b["clientId"],
        }
        for b in blocks
    ]


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A delivery-report endpoint in the PHP client's way: DeliveryReceipt.php `fromArray($_GET)`, then
    `acknowledge()`; and go-mitake's callback.go `ParseMessageReceipt`, which refuses a report without msgid."""
    receipts: list[dict[str, str]] = []
    app = FastAPI()

    @app.get("/mitake/callback")
    def callback(request: Request) -> PlainTextResponse:
        params = dict(request.query_params)
        if not params.get("msgid"):
            return PlainTextResponse("receipt not found", status_code=400)
        receipts.append(params)
        return PlainTextResponse("magicid=sms_gateway_rpack\nmsgid=" + params["msgid"] + "\n")

    with serve_asgi(app, name="receiver") as url:
        yield url + "/mitake/callback", receipts


def test_php_client_stores_the_msgid_that_its_delivery_report_carries(
    sms_url: str, receiver: tuple[str, list[dict[str, str]]]
) -> None:
    url, receipts = receiver
    with SmsClient(sms_url) as control:
        control.register_callback(url)
    fields = {"username": USER, "password": PASSWORD, "dstaddr": MOBILE, "smbody": "驗證碼 246810", "response": url}
    reply = requests.post(
        f"{sms_url}/api/mtk/SmSend?CharsetURL=UTF8",
        data=php_form({**fields, "clientid": "order-4821"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    (sent,) = php_parse_send_results(reply.text)
    assert sent == {
        "msgId": "0000000001",
        "statusCode": "1",
        "accountPoint": 99999,
        "duplicate": False,
        "clientId": "order-4821",  # the section is the clientid (spec p. 6)
    }
    (receipt,) = wait_until(lambda: receipts or None, timeout=30, what="no delivery report arrived")
    assert receipt["msgid"] == sent["msgId"]  # what the client stored finds its report
    assert (receipt["dstaddr"], receipt["statusstr"], receipt["StatusFlag"]) == (MOBILE, "DELIVRD", "4")
    assert re.fullmatch(r"\d{14}", receipt["dlvtime"])
    assert re.fullmatch(r"\d{14}", receipt["donetime"])


def test_php_client_big5_bulk_status_balance_and_cancel(sms_url: str) -> None:
    account = {"username": USER, "password": PASSWORD}
    reply = requests.post(
        f"{sms_url}/api/mtk/SmSend?CharsetURL=Big5",
        data=php_form({**account, "dstaddr": MOBILE, "smbody": "測試 135790".encode("big5")}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert php_parse_send_results(reply.content.decode("big5"))[0]["statusCode"] == "1"
    records = "\n".join(["a$$0900000002$$$$$$$$$$Hi A", "b$$0900000003$$$$$$$$$$Hi B"])  # Client.php `bulkRecord`
    bulk = requests.post(
        f"{sms_url}/api/mtk/SmBulkSend?{php_form({**account, 'Encoding_PostIn': 'UTF8', 'objectID': 'batchX'})}",
        data=records.encode(),
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    results = php_parse_send_results(bulk.text)
    assert [(r["clientId"], r["msgId"], r["accountPoint"]) for r in results] == [
        ("a", "0000000002", None),
        ("b", "0000000003", 99997),
    ]
    with SmsClient(sms_url) as sms:
        assert sms.messages(MOBILE)[0].body == "測試 135790"
    status = requests.post(f"{sms_url}/api/mtk/SmQuery", data={**account, "msgid": "0000000002, 9999999999"}, timeout=5)
    rows = [line.split("\t") for line in status.text.split("\r\n") if line]  # `parseStatusResults`
    assert [(r[0], len(r)) for r in rows] == [("0000000002", 3)]  # an unknown msgid gets no row
    balance = requests.post(f"{sms_url}/api/mtk/SmQuery", data=account, timeout=5).text
    assert re.search(r"AccountPoint=(-?\d+)", balance).group(1) == "99997"  # type: ignore[union-attr]  # `parseBalance`
    cancel = requests.post(f"{sms_url}/api/mtk/SmCancel", data={**account, "msgid": "9999999999"}, timeout=5).text
    assert cancel == "9999999999=?\r\n"  # ? 簡訊序號無效 (spec p. 12)


# --- mitaketw/sms-java 0.7.0 (MitakeSmsSender.java, result/*.java): the legacy endpoints, requests replayed -------

JAVA_PHONE = re.compile(r"\[(\d+)\]")  # MitakeSmsSendResult.java PHONE_NUMBER_PATTERN
JAVA_FIELD = re.compile(r"(\w+)=([\w\u4e00-\u9fff]+)")  # FIELD_PATTERN: \w and \p{InCJKUnifiedIdeographs}


def java_send_result(lines: list[str], to: str) -> list[dict[str, str | None]]:
    """MitakeSmsSendResult.java `parseResult`: a `[digits]` line opens a result, its phone the digits when they are
    ten long, else `to`; `find()` takes the first `name=value` of each line."""
    results: list[dict[str, str | None]] = []
    for line in lines:
        phone = JAVA_PHONE.search(line)
        if phone:
            results.append({"phone": phone.group(1) if len(phone.group(1)) == 10 else to, "msgid": None})
        field = JAVA_FIELD.search(line)
        if field and field.group(1) in ("msgid", "statuscode"):
            results[-1][field.group(1)] = field.group(2)
    return results


def java_get(url: str, query: dict[str, str]) -> list[str]:
    """`getUrl`: `key=value&…` unescaped (only smbody was URLEncoded, `+` as %20); the answer read as Big5 lines."""
    reply = requests.get(url + "?" + "&".join(f"{k}={v}" for k, v in query.items()), timeout=5)
    assert reply.status_code == 200
    return reply.content.decode("big5").splitlines()


def test_java_client_legacy_send_get_post_and_query(sms_url: str) -> None:
    account = {"username": USER, "password": PASSWORD}
    body = quote("this 簡訊 & 內容 message 1 + 2 123456", safe="")  # `encode`: URLEncoder, then + → %20
    lines = java_get(f"{sms_url}/SmSendGet.asp", {**account, "dstaddr": MOBILE, "encoding": "UTF8", "smbody": body})
    assert java_send_result(lines, MOBILE) == [{"phone": MOBILE, "msgid": "0000000001", "statuscode": "1"}]
    ini = f"[{MOBILE}]\ndstaddr={MOBILE}\nsmbody=Hello World\n[0987654321]\ndstaddr=0987654321\nsmbody=第二則\n"
    post = requests.post(
        f"{sms_url}/SmSendPost.asp?username={USER}&password={PASSWORD}&encoding=UTF8",
        data=ini.encode(),  # `transformRequest`: data.getBytes(), the JVM's UTF-8
        headers={"Content-Type": "application/x-www-form-urlencoded"},  # HttpURLConnection's default for a body
        timeout=5,
    )
    assert java_send_result(post.content.decode("big5").splitlines(), MOBILE) == [
        {"phone": MOBILE, "msgid": "0000000002", "statuscode": "1"},
        {"phone": "0987654321", "msgid": "0000000003", "statuscode": "1"},
    ]
    with SmsClient(sms_url) as sms:
        assert sms.messages(MOBILE)[0].otp == "123456"
    points = java_get(f"{sms_url}/SmQueryGet.asp", account)  # MitakeSmsQueryAccountPointResult: AccountPoint=(\d+)
    assert [re.search(r"AccountPoint=(\d+)", line).group(1) for line in points] == ["99997"]  # type: ignore[union-attr]
    rows = java_get(f"{sms_url}/SmQueryGet.asp", {**account, "msgid": "0000000001,0000000003"})
    parsed = [line.split("\t") for line in rows]  # MitakeSmsQueryMessageStatusResult: parts[0..2], date yyyyMMddHHmmss
    assert [(p[0], datetime.strptime(p[2], "%Y%m%d%H%M%S").year > 2000) for p in parsed] == [
        ("0000000001", True),
        ("0000000003", True),
    ]


# --- 7a6163/mitake_sms 2.0 (lib/mitake_sms/client.rb, response.rb), requests replayed ------------------------------


def ruby_response(body: str) -> dict[str, str]:
    """response.rb `parse_response`: each line stripped, split on the first "="; success? is statuscode == '1'."""
    return dict(line.strip().split("=", 1) for line in body.splitlines() if "=" in line)


def test_ruby_client_send_sms_and_batch_send(sms_url: str) -> None:
    form = {"username": USER, "password": PASSWORD, "dstaddr": MOBILE, "smbody": "第一行\x06第二行 112233"}
    parsed = ruby_response(requests.post(f"{sms_url}/api/mtk/SmSend?CharsetURL=UTF8", data=form, timeout=5).text)
    assert (parsed["statuscode"], parsed["msgid"]) == ("1", "#0000000001")  # `send_sms`; success? → true
    data = "\n".join(["c1$$0911111111$$$$$$$$$$one", "c2$$0922222222$$$$$$$$$$two"])  # `send_batch`
    batch = requests.post(
        f"{sms_url}/api/mtk/SmBulkSend",
        params={"username": USER, "password": PASSWORD, "Encoding_PostIn": "UTF8"},
        data=data.encode(),
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    assert ruby_response(batch.text) == {"msgid": "#0000000003", "statuscode": "1", "AccountPoint": "99997"}
    with SmsClient(sms_url) as sms:
        assert sms.messages(MOBILE)[0].body == "第一行\n第二行 112233"
