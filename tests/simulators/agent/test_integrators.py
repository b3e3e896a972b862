"""The agent as the public integrators' code calls it: their requests replayed, their parsing ported to Python.

Each port says where it comes from. The sources (docs/protocols/hipki-agent.md):
- zkmopro/zkID `wallet-unit-poc/ecdsa-spartan2/src/hipki_client.rs` (`fetch_pkcs11info`, `sign_tbs`), its serde
  types (`CardSignResponse`, `Pkcs11InfoResponse` … in `src/circuits/rs256_circuit.rs`), `extract_issuer_cert`, and
  the fixtures `tests/testdata/pkcs11info_test.json` and `response_sign_test.json`;
- zkmopro/zkID `wallet-unit-poc/web/src/hipki-client.ts` (`requestPkcs11Info`), `hipki-detector.ts` (`interpret`),
  `hipki-popup.ts` (the payloads), `pipeline.ts` (`buildCardContext`, the sign checks) and `screens/setup.ts`;
- wl02964036/VictorProject `Rx.Digital/Rx.WebApi/src/main/resources/static/sb-admin/vendor/application/errorcode.js`
  (`MajorErrorReason`, `MinorErrorReason`);
- HiPKI's sample pages as integrators copy them (seen in integrator sample code, docs/protocols/hipki-agent.md): the
  sign test's `getTbsPackage` / `postData(".../sign", "tbsPackage="+tbsPackage)` / `setSignature`, the check page's
  `postData(".../pkcs11info", "")` / `setOutput`, its /p11Image.bmp reader `getImageInfo`, the Edge/Safari variant
  that reads the same file as text from offset 54, and the admin scripts' version regex.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser

from domain.card import CardHolder
from simulators.agent import AgentFault, AgentSettings, DirectTransport, SecurityAgent, create_app
from simulators.card import CardSlot, TestPki
from simulators.faults import ArmedFault
from simulators.serving import serve_asgi

HOLDER = CardHolder("張雅婷", "A123456789", "TPCD000000000051", "246813", "13572468", seed=51)
PORTAL = "http://portal.example.test"
I32 = range(-(2**31), 2**31)


# --- wl02964036/VictorProject errorcode.js, ported -------------------------------------------------------------
MAJOR = {  # MajorErrorReason's cases for every code the agent answers with (the others return the hex)
    0x76000003: "未輸入待簽訊息",
    0x76000004: "未輸入密文",
    0x76000006: "未插入IC卡",
    0x7600000B: "JSON格式錯誤",
    0x7600000C: "參數錯誤",
    0x7600000D: "執行檔錯誤或逾時",
    0x7600000E: "不支援的方法",
    0x76000998: "未輸入PIN碼",
    0x76000999: "使用者已取消動作",
    0x76100003: "無可用讀卡機",
    0x76100004: "取得讀卡機資訊失敗",
    0x76100006: "IC卡登入失敗",
    0x76100009: "IC卡取得憑證失敗",
    0x76300004: "簽章執行錯誤",
    0x76400003: "解密錯誤",
    0x76500001: "憑證尚未生效",
    0x76500002: "憑證已逾期",
    0x76600002: "Base64解碼錯誤",
}
MINOR = {  # MinorErrorReason's cases, all of them, as the switch writes them (no normalisation there)
    0x06: "函式失敗",
    0xA0: "PIN碼錯誤",
    0xA2: "PIN碼長度錯誤",
    0xA4: "已鎖卡",
    0x150: "記憶體緩衝不足",
    0xFFFFFFFF80000001: "PIN碼錯誤，剩餘一次機會",
    -2147483647: "PIN碼錯誤，剩餘一次機會",
    0xFFFFFFFF80000002: "PIN碼錯誤，剩餘兩次機會",
    -2147483646: "PIN碼錯誤，剩餘兩次機會",
}


def js_hex(number: int) -> str:
    """JavaScript's `rcode.toString(16)`: lower case, a minus sign for negatives."""
    return format(number, "x")


def major_error_reason(rcode: int) -> str:
    """errorcode.js `MajorErrorReason` (lines 2–3: `if (rcode<0) rcode=0xFFFFFFFF + rcode + 1;`, then the switch)."""
    if rcode < 0:
        rcode = 0xFFFFFFFF + rcode + 1
    return MAJOR.get(rcode, js_hex(rcode))


def minor_error_reason(rcode: int) -> str:
    """errorcode.js `MinorErrorReason`: the switch as it is, `default: return rcode.toString(16);`."""
    return MINOR.get(rcode, js_hex(rcode))


def set_signature(answer: dict[str, Any]) -> list[str]:
    """The sign sample's `setSignature`: the alerts it raises (`MajorErrorReason`, then `MinorErrorReason` if any)."""
    alerts = []
    if answer["ret_code"] != 0:
        alerts.append(major_error_reason(answer["ret_code"]))
        if answer["last_error"]:
            alerts.append(minor_error_reason(answer["last_error"]))
    return alerts


# --- zkID's serde types (ecdsa-spartan2), ported: what deserialising accepts -----------------------------------
def serde_card_sign_response(body: dict[str, Any]) -> None:
    """`CardSignResponse`: cardSN, certb64, func, signature, version: String; last_error, ret_code: i32; required."""
    for key in ("cardSN", "certb64", "func", "signature", "version"):
        assert isinstance(body[key], str), key
    for key in ("last_error", "ret_code"):
        assert type(body[key]) is int, key
        assert body[key] in I32, f"{key} {body[key]} does not fit serde's i32"


def serde_pkcs11_info_response(body: dict[str, Any]) -> None:
    """`Pkcs11InfoResponse { slots: Vec<Pkcs11Slot> }`, `token: Option<Pkcs11TokenInfo>` (#[serde(default)]) …"""
    assert isinstance(body["slots"], list)
    for slot in body["slots"]:
        token = slot.get("token")
        if token is None:
            continue
        assert isinstance(token, dict), "Option<Pkcs11TokenInfo> takes an object or null"
        assert isinstance(token.get("serialNumber", ""), str)
        for entry in token.get("certs", []):
            assert isinstance(entry["certb64"], str)
            assert isinstance(entry["label"], str)
            for optional in ("usage", "sn", "subjectDN", "issuerDN"):
                assert isinstance(entry.get(optional, ""), str)


def extract_issuer_cert(body: dict[str, Any]) -> x509.Certificate:
    """`extract_issuer_cert`: the first slot's token, the cert labelled "CA Cert", base64-decoded DER."""
    token = body["slots"][0].get("token")
    assert token is not None, "No token found in pkcs11info response"
    entry = next((cert for cert in token["certs"] if cert["label"] == "CA Cert"), None)
    assert entry is not None, "No cert with label 'CA Cert' found in pkcs11info response"
    return x509.load_der_x509_certificate(base64.b64decode(entry["certb64"]))


# --- zkID's web client, ported ----------------------------------------------------------------------------------
def js_member(value: Any, key: str) -> Any:
    """`value.key` in JavaScript for the JSON values at hand: undefined (None) unless `value` is an object."""
    return value.get(key) if isinstance(value, dict) else None


def interpret(body: dict[str, Any]) -> str:
    """hipki-detector.ts `interpret`: no_reader, no_reader_or_card, or card_inserted:<cardSN>."""
    slots = body.get("slots") or []
    if not slots:
        return "no_reader"
    with_token = next((s for s in slots if s.get("token") and js_member(s.get("token"), "serialNumber")), None)
    return "no_reader_or_card" if with_token is None else f"card_inserted:{with_token['token']['serialNumber']}"


def build_card_context(body: dict[str, Any], slot_description: str) -> dict[str, Any]:
    """pipeline.ts `buildCardContext(slotDescription)`: the user and CA certificates and the serial it proves on."""
    assert isinstance(body.get("slots"), list), "HiPKI /pkcs11info response missing slots array"  # requestPkcs11Info
    slot = next((s for s in body["slots"] if s.get("slotDescription") == slot_description), None)
    assert slot is not None, f"HiPKI: requested reader '{slot_description}' not in response"
    token = slot.get("token")
    assert token, "HiPKI: no token in /pkcs11info response"
    user = next((c for c in token["certs"] if c["label"] != "CA Cert"), None)
    ca = next((c for c in token["certs"] if c["label"] == "CA Cert"), None)
    assert user is not None, "HiPKI: no user cert in token"
    assert ca is not None, "HiPKI: no 'CA Cert' entry in token"
    candidate = user.get("sn") or token.get("serialNumber")  # deriveSerialHex
    return {
        "user": x509.load_der_x509_certificate(base64.b64decode(user["certb64"])),
        "issuer": x509.load_der_x509_certificate(base64.b64decode(ca["certb64"])),
        "serialHex": candidate if candidate.lower().startswith("0x") else f"0x{candidate}",
        "subjectDN": user.get("subjectDN"),
        "cardSN": token.get("serialNumber"),
    }


# --- HiPKI's check page, ported ---------------------------------------------------------------------------------
def set_output(body: dict[str, Any]) -> list[str]:
    """The check page's `setOutput`: the reader options it lists (`slots[index].token instanceof Object`)."""
    return [
        f"{slot['slotDescription']} 卡號:[{slot['token']['serialNumber']}]"
        for slot in body.get("slots") or []
        if isinstance(slot.get("token"), dict)
    ]


def text_from_image(raw: bytes) -> str:
    """The Edge/Safari reader of /p11Image.bmp: the file as text (UTF-8), characters from index 54 until a NUL."""
    data, output = raw.decode("utf-8", errors="replace"), ""
    for i in range(54, 2000):
        if i >= len(data) or ord(data[i]) == 0:
            break
        output += data[i]
    return output


@pytest.fixture(scope="module")
def slot(pki: TestPki) -> Iterator[CardSlot]:
    slot = CardSlot(None, pki)
    try:
        yield slot
    finally:
        slot.close()


@pytest.fixture
def agent(slot: CardSlot) -> Iterator[tuple[str, SecurityAgent]]:
    """The agent on its own port, a fresh card in its reader, trusting the portal's site and 127.0.0.1."""
    slot.insert(HOLDER)
    agent = SecurityAgent(AgentSettings(), DirectTransport(slot), trusted={"portal.example.test", "127.0.0.1"})
    with serve_asgi(create_app(agent, on_crash=lambda: None), name="agent") as url:
        yield url, agent


def test_zkid_native_client_reads_the_chain_and_verifies_a_pkcs1_signature(agent: tuple[str, SecurityAgent]) -> None:
    url, _ = agent
    info = requests.get(f"{url}/pkcs11info?withcert=true", timeout=10)  # fetch_pkcs11info: ureq::get(...).call()
    assert info.status_code == 200  # ureq turns any other status into an error
    serde_pkcs11_info_response(info.json())
    issuer = extract_issuer_cert(info.json())
    # sign_tbs: serde_json::json!({...}).to_string() (sorted keys, compact), sent with ureq's send_form
    package = json.dumps(
        {"tbs": "123456", "pin": HOLDER.pin, "hashAlgorithm": "SHA256", "signatureType": "PKCS1"},
        separators=(",", ":"),
        sort_keys=True,
    )
    reply = requests.post(f"{url}/sign", data={"tbsPackage": package}, timeout=10)
    body = reply.json()
    serde_card_sign_response(body)
    assert (body["ret_code"], body["last_error"]) == (0, 0)
    user = x509.load_der_x509_certificate(base64.b64decode(body["certb64"]))
    user.verify_directly_issued_by(issuer)  # verify_issuer_signature
    public = user.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(base64.b64decode(body["signature"]), b"123456", padding.PKCS1v15(), hashes.SHA256())
    assert body["cardSN"] == HOLDER.card_number


def test_zkid_web_client_detects_reads_and_signs_through_the_popup(agent: tuple[str, SecurityAgent]) -> None:
    url, _ = agent

    def relay(path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """What the /popupForm bridge posts for a payload (hipki-popup.ts), and the page's JSON.parse of the reply."""
        form = f"tbsPackage={quote(json.dumps(payload, ensure_ascii=False))}&origin={quote(PORTAL)}"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": url}
        answer: dict[str, Any] = requests.post(url + path, data=form.encode(), headers=headers, timeout=10).json()
        return answer

    probe = relay("/pkcs11info", {"func": "CheckEnvir"})  # probePkcs11Info
    assert probe["serverVersion"] == "1.3.4.103349"
    assert interpret(probe) == f"card_inserted:{HOLDER.card_number}"
    reader = probe["slots"][0]["slotDescription"]
    card = build_card_context(
        relay("/pkcs11info?withcert=true", {"func": "GetUserCert", "slotDescription": reader}), reader
    )
    card["user"].verify_directly_issued_by(card["issuer"])
    assert int(card["serialHex"], 16) == card["user"].serial_number
    assert card["subjectDN"].startswith("C=TW,CN=張雅婷,serialNumber=")
    assert card["issuer"].public_key().key_size <= 2048  # deriveIssuerFromCert: the rs2048 (MOICA-G2) circuit
    sign = {"func": "MakeSignature", "hashAlgorithm": "SHA256", "signatureType": "PKCS1", "slotDescription": reader}
    signed = relay("/sign", {**sign, "tbs": "7a6b49442d70696e2d74657374", "pin": HOLDER.pin})  # popupSign
    assert (signed["ret_code"], signed["last_error"]) == (0, 0)  # pipeline.ts: "HiPKI sign failed" otherwise
    assert signed["certb64"]
    wrong = relay("/sign", {**sign, "tbs": "x", "pin": "000000"})
    assert wrong["ret_code"] != 0 or wrong["last_error"] != 0  # setup.ts verifyPin: "HiPKI rejected PIN"


def test_zkid_detector_and_the_check_page_see_no_card_and_no_reader(
    agent: tuple[str, SecurityAgent], slot: CardSlot, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, hipki = agent
    slot.remove()
    empty = requests.post(f"{url}/pkcs11info", data=b"", timeout=10).json()  # the check page's IE postData(…, "")
    assert interpret(empty) == "no_reader_or_card"
    assert set_output(empty) == []
    serde_pkcs11_info_response(empty)  # an empty reader has no token key, which serde's Option takes
    slot.insert(HOLDER)
    assert slot.card is not None
    monkeypatch.setattr(slot.card, "execute", lambda msg: bytes.fromhex("6A82"))  # a card of another kind
    unknown = requests.get(f"{url}/pkcs11info", timeout=10).json()
    assert unknown["slots"][0]["token"] == "unknown token"
    assert interpret(unknown) == "no_reader_or_card"
    assert set_output(unknown) == []
    slot.insert(HOLDER)
    assert set_output(requests.post(f"{url}/pkcs11info", timeout=10).json()) == [
        f"{slot.reader} 卡號:[{HOLDER.card_number}]"
    ]
    hipki.faults.arm(ArmedFault(AgentFault.NO_READER))
    assert interpret(requests.get(f"{url}/pkcs11info", timeout=10).json()) == "no_reader"


def test_the_hipki_sign_sample_posts_raw_json_and_reads_the_codes(agent: tuple[str, SecurityAgent]) -> None:
    url, _ = agent
    tbs = "臺北卡 a+b=c&d 100%"

    def make_signature(pin: str) -> dict[str, Any]:
        """getTbsPackage: tbs and pin through encodeURIComponent, then `"tbsPackage="+JSON.stringify(tbsData)`."""
        tbs_data = {
            "tbs": quote(tbs, safe="-_.!~*'()"),
            "tbsEncoding": "NONE",
            "hashAlgorithm": "SHA256",
            "withCardSN": "true",
            "pin": quote(pin, safe="-_.!~*'()"),
            "nonce": "n-1",
            "func": "MakeSignature",
            "signatureType": "PKCS7",
        }
        body = "tbsPackage=" + json.dumps(tbs_data, ensure_ascii=False, separators=(",", ":"))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        answer: dict[str, Any] = requests.post(f"{url}/sign", data=body.encode(), headers=headers, timeout=10).json()
        return answer

    assert [set_signature(make_signature("000000")) for _ in range(3)] == [
        ["IC卡登入失敗", "PIN碼錯誤，剩餘兩次機會"],
        ["IC卡登入失敗", "PIN碼錯誤，剩餘一次機會"],
        ["IC卡登入失敗", "已鎖卡"],
    ]


def test_the_signed_content_is_what_the_sample_page_encoded(agent: tuple[str, SecurityAgent]) -> None:
    url, _ = agent
    tbs = "臺北卡 a+b=c&d 100%"
    tbs_data = {
        "tbs": quote(tbs, safe="-_.!~*'()"),
        "tbsEncoding": "NONE",
        "hashAlgorithm": "SHA256",
        "withCardSN": "true",
        "pin": HOLDER.pin,
        "nonce": "n-1",
        "func": "MakeSignature",
        "signatureType": "PKCS7",
    }
    body = ("tbsPackage=" + json.dumps(tbs_data, ensure_ascii=False, separators=(",", ":"))).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = requests.post(f"{url}/sign", data=body, headers=headers, timeout=10).json()
    assert set_signature(answer) == []
    signer = cms.ContentInfo.load(base64.b64decode(answer["signature"]))["content"]["signer_infos"][0]
    attributes = {a["type"].dotted: a["values"][0] for a in signer["signed_attrs"]}
    assert attributes["1.2.840.113549.1.9.4"].native == hashlib.sha256(tbs.encode()).digest()
    assert "2.16.886.1.100.2.204" in attributes  # withCardSN (docs/protocols/hipki-agent.md#requests)
    # A base64 tbs whose "+" the page turned into "%2B" before posting the JSON raw
    # (docs/protocols/hipki-agent.md#requests).
    raw = bytes([0xFB, 0xEF, 0xFF]) * 4  # base64 "++//" …
    package = {
        "func": "MakeSignature",
        "tbs": base64.b64encode(raw).decode(),
        "tbsEncoding": "base64",
        "hashAlgorithm": "SHA256",
        "signatureType": "PKCS1",
        "pin": HOLDER.pin,
    }
    posted = ("tbsPackage=" + json.dumps(package).replace("+", "%2B")).encode()
    pkcs1 = requests.post(f"{url}/sign", data=posted, headers=headers, timeout=10).json()
    assert pkcs1["ret_code"] == 0
    public = x509.load_der_x509_certificate(base64.b64decode(pkcs1["certb64"])).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(base64.b64decode(pkcs1["signature"]), raw, padding.PKCS1v15(), hashes.SHA256())


def test_codes_are_signed_32_bit_numbers(agent: tuple[str, SecurityAgent]) -> None:
    url, _ = agent
    codes = []
    for _ in range(3):
        package = json.dumps({"tbs": "x", "pin": "000000", "hashAlgorithm": "SHA256", "signatureType": "PKCS1"})
        answer = requests.post(f"{url}/sign", data={"tbsPackage": package}, timeout=10).json()
        codes.append((answer["ret_code"], answer["last_error"]))
    assert codes == [(0x76100006, -2147483646), (0x76100006, -2147483647), (0x76100006, 0xA4)]
    for ret, last in codes:
        assert all(code in I32 for code in (ret, last))  # what zkID's `i32` fields accept


def test_version_probe_and_server_version(agent: tuple[str, SecurityAgent]) -> None:
    url, _ = agent
    found = re.search(r"version:(?P<version>[\d\.]+)", requests.get(url + "/", timeout=10).text)  # the admin regex
    assert found is not None
    assert found["version"] == "1.3.4.103349"
    versions = {
        requests.request(method, f"{url}/pkcs11info", timeout=10).json()["serverVersion"] for method in ("GET", "POST")
    }
    assert versions == {found["version"]}  # hipki-client.ts: "Present on both GET + POST"


def test_p11image_bmp_read_as_text_from_offset_54(agent: tuple[str, SecurityAgent]) -> None:
    url, _ = agent
    image = requests.get(f"{url}/p11Image.bmp?1700000000000", headers={"Origin": PORTAL}, timeout=10)
    assert image.headers["content-type"] == "image/bmp"
    assert image.content[:2] == b"BM"
    answer = json.loads(text_from_image(image.content))  # JSON.parse: trailing spaces are whitespace
    assert answer["func"] == "pkcs11info"
    assert set_output(answer) == [f"{answer['slots'][0]['slotDescription']} 卡號:[{HOLDER.card_number}]"]


READER_PAGE = """<!doctype html><html><body><script>
// The /p11Image.bmp reader of HiPKI's check page, in our words: a CORS image drawn on a 2000x1 canvas, three
// characters a pixel taken as (blue, green, red) until a pixel whose blue is 0, then JSON.parse.
function readAgentImage(src) {
  return new Promise(function (resolve) {
    var img = document.createElement("img");
    img.crossOrigin = "Anonymous";
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = 2000; canvas.height = 1;
      var ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0);
      var text = "";
      for (var x = 0; x < 2000; x++) {
        var px = ctx.getImageData(x, 0, 1, 1).data;
        if (px[2] == 0) break;
        text += String.fromCharCode(px[2], px[1], px[0]);
      }
      resolve(text === "" ? {ret_code: 1979711501} : JSON.parse(text));
    };
    img.onerror = function () { resolve({error: "未安裝客戶端程式或未啟動服務"}); };
    img.src = src;
  });
}
</script></body></html>"""


def test_p11image_bmp_decoded_by_chromium_canvas(agent: tuple[str, SecurityAgent], browser: Browser) -> None:
    url, hipki = agent
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return READER_PAGE

    with serve_asgi(app, name="caller") as caller:
        tab = browser.new_page()  # pytest-playwright's browser: one Playwright per process (its sync API nests none)
        try:
            tab.goto(caller)  # another origin (another port) than the agent's
            answer = tab.evaluate("src => readAgentImage(src)", f"{url}/p11Image.bmp?1")
            assert answer["ret_code"] == 0, answer
            assert answer["slots"][0]["token"]["serialNumber"] == HOLDER.card_number
            hipki.distrust("127.0.0.1")  # the calling page's host: now an untrusted site
            refused = tab.evaluate("src => readAgentImage(src)", f"{url}/p11Image.bmp?2")
            assert refused["ret_code"] == 0x76000031  # the check page then alerts 「…非信任網站，請先加入信任網站」
        finally:
            tab.close()
