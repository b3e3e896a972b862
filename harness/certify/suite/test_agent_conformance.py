"""The agent conformance suite: every endpoint, field and code a portal relies on (harness/certify/requirements.py)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import sync_playwright

from harness.certify.suite.conftest import HOLDER, Agent
from simulators._serving import serve_asgi
from simulators.agent import AgentClient

TWO_LEFT, ONE_LEFT, LOCKED, LEN_RANGE = 0x80000002, 0x80000001, 0xA4, 0xA2


def unsigned(code: int) -> int:
    """A code as the vendor tables write it: HiPKI sends signed 32-bit numbers (simulators/agent/codes.py)."""
    return code & 0xFFFFFFFF


def _certificate(body: dict[str, Any]) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(body["certb64"]))


def _public(cert: x509.Certificate) -> rsa.RSAPublicKey:
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey), "the signing certificate holds no RSA key"
    return key


@pytest.mark.requirement("AG-01")
def test_version_probe(agent: Agent) -> None:
    body = agent.call("/", method="GET").text
    assert "version:" in body
    version = body.split("version:", 1)[1].split()[0]
    assert all(part.isdigit() for part in version.split(".")), version


@pytest.mark.requirement("AG-02")
def test_pkcs11info_get_and_post(agent: Agent) -> None:
    for method in ("GET", "POST"):
        body = agent.json("/pkcs11info", method=method)
        assert body["ret_code"] == 0
        assert body["serverVersion"]
        assert isinstance(body["slots"], list)
        assert body["slots"], "no reader listed"


@pytest.mark.requirement("AG-03")
def test_pkcs11info_with_certificates(agent: Agent) -> None:
    body = agent.json("/pkcs11info?withcert=true")
    tokens = [slot["token"] for slot in body["slots"] if isinstance(slot.get("token"), dict)]
    assert tokens, "no card found in any reader"
    token = tokens[0]
    assert len(token["serialNumber"]) == 16
    usages = {cert["usage"] for cert in token["certs"]}
    assert "digitalSignature" in usages
    for listed in (cert for cert in token["certs"] if cert["label"] != "CA Cert"):  # the issuer's comes along too
        cert = x509.load_der_x509_certificate(base64.b64decode(listed["certb64"]))
        assert listed["subjectDN"].startswith("C=TW,CN=")
        assert listed["subjectCN"] == cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
        assert len(listed["subjectID"]) == 4
        assert listed["subjectID"].isdigit()
        assert int(listed["sn"], 16) == cert.serial_number


@pytest.mark.requirement("AG-04")
def test_pkcs1_signature_verifies(agent: Agent) -> None:
    body = agent.sign(tbs="臺北卡 nonce 12345")
    assert body["ret_code"] == 0, body
    signature = base64.b64decode(body["signature"])
    _public(_certificate(body)).verify(signature, "臺北卡 nonce 12345".encode(), padding.PKCS1v15(), hashes.SHA256())
    info = agent.json("/pkcs11info?withcert=true")
    serials = [s["token"]["serialNumber"] for s in info["slots"] if isinstance(s.get("token"), dict)]
    assert body["cardSN"] in serials


@pytest.mark.requirement("AG-05")
def test_pkcs7_signed_data(agent: Agent) -> None:
    body = agent.sign(signatureType="PKCS7", tbs="pkcs7 content", nonce="n-123")
    assert body["ret_code"] == 0, body
    signed = cms.ContentInfo.load(base64.b64decode(body["signature"]))["content"]
    signer = signed["signer_infos"][0]
    attributes = {a["type"].dotted: a["values"] for a in signer["signed_attrs"]}
    assert attributes["1.2.840.113549.1.9.4"][0].native == hashlib.sha256(b"pkcs7 content").digest()
    assert "1.2.840.113549.1.9.25.3" in attributes, "no nonce attribute"
    assert "2.16.886.1.100.2.204" in attributes, "no card-number attribute (withCardSN)"
    signed_bytes = signer["signed_attrs"].untag().dump(force=True)
    _public(_certificate(body)).verify(signer["signature"].native, signed_bytes, padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.requirement("AG-06")
def test_base64_tbs(agent: Agent) -> None:
    raw = bytes(range(32))
    body = agent.sign(tbs=base64.b64encode(raw).decode(), tbsEncoding="base64")
    assert body["ret_code"] == 0, body
    _public(_certificate(body)).verify(base64.b64decode(body["signature"]), raw, padding.PKCS1v15(), hashes.SHA256())
    assert agent.sign(tbs="not base64 !!", tbsEncoding="base64")["ret_code"] == 0x76600002


@pytest.mark.requirement("AG-07")
def test_wrong_pin_sequence(agent: Agent) -> None:
    codes = []
    for _ in range(3):
        body = agent.sign(pin="000000")
        codes.append((unsigned(body["ret_code"]), unsigned(body["last_error"])))
    assert codes == [(0x76100006, TWO_LEFT), (0x76100006, ONE_LEFT), (0x76100006, LOCKED)]
    locked = agent.sign()
    assert (unsigned(locked["ret_code"]), unsigned(locked["last_error"])) == (0x76100006, LOCKED)


@pytest.mark.requirement("AG-08")
def test_pin_length(agent: Agent, control: AgentClient) -> None:
    for pin in ("12345", "123456789"):
        body = agent.sign(pin=pin)
        assert (body["ret_code"], body["last_error"]) == (0x76100006, LEN_RANGE)
    assert control.card()["pin_tries"] == 3
    assert agent.sign()["ret_code"] == 0


@pytest.mark.requirement("AG-09")
def test_missing_fields_and_bad_json(agent: Agent) -> None:
    assert agent.sign(pin="")["ret_code"] == 0x76000998
    assert agent.sign(tbs="")["ret_code"] == 0x76000003
    response = agent.http.post(agent.url + "/sign", data={"tbsPackage": "{not json"}, timeout=30)
    assert response.status_code == 200
    assert response.json()["ret_code"] == 0x7600000B


@pytest.mark.requirement("AG-10")
def test_no_card(agent: Agent, control: AgentClient) -> None:
    control.remove_card()
    assert agent.sign()["ret_code"] == 0x76000006
    slots = agent.json("/pkcs11info?withcert=true")["slots"]
    assert not any(isinstance(s.get("token"), dict) and s["token"].get("serialNumber") for s in slots)


@pytest.mark.requirement("AG-11")
def test_errors_are_http_200(agent: Agent) -> None:
    for package in ({"func": "MakeSignature"}, {"func": "MakeSignature", "tbs": "x", "pin": "1"}):
        response = agent.call("/sign", package)
        assert response.status_code == 200
        body = response.json()
        assert body["ret_code"] != 0
        assert "last_error" in body


@pytest.mark.requirement("AG-12")
def test_untrusted_origin_and_native_client(agent: Agent) -> None:
    untrusted = agent.json(
        "/sign", {"func": "MakeSignature", "tbs": "x", "pin": HOLDER["pin"]}, origin="https://untrusted.example.test"
    )
    assert untrusted["ret_code"] == 0x76000031
    assert agent.sign()["ret_code"] == 0  # no Origin: a native client is served


@pytest.mark.requirement("AG-13")
def test_no_preflight_for_untrusted_origins(agent: Agent) -> None:
    response = agent.http.options(
        agent.url + "/sign",
        timeout=30,
        headers={
            "Origin": "https://untrusted.example.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert "access-control-allow-origin" not in {h.lower() for h in response.headers}
    assert "access-control-allow-private-network" not in {h.lower() for h in response.headers}


CALLER_PAGE = """<!doctype html><html><meta charset="utf-8"><title>caller</title>
<button id="sign">sign</button><button id="trust">trust</button><pre id="out"></pre>
<script>
var AGENT = "__AGENT__";
function viaPopup(path, request) {
  return new Promise(function (resolve) {
    var popup = window.open(AGENT + path, "agent", "width=480,height=320");
    window.addEventListener("message", function handler(event) {
      if (event.origin !== AGENT) { return; }
      var data = JSON.parse(event.data);
      if (data.func === "getTbs") { popup.postMessage(JSON.stringify(request), AGENT); return; }
      window.removeEventListener("message", handler);
      resolve(data);
    });
  });
}
document.getElementById("sign").onclick = function () {
  viaPopup("/popupForm", {func: "MakeSignature", signatureType: "PKCS1", tbs: "popup", tbsEncoding: "NONE",
                          hashAlgorithm: "SHA256", withCardSN: "true", pin: "__PIN__", nonce: ""})
    .then(function (r) { document.getElementById("out").textContent = JSON.stringify(r); });
};
document.getElementById("trust").onclick = function () {
  viaPopup("/addDomain?domain=" + location.hostname, null)
    .then(function (r) { document.getElementById("out").textContent = JSON.stringify(r); });
};
</script></html>"""


@pytest.fixture
def caller(agent: Agent) -> Iterator[str]:
    """A page on another origin than the agent's, as the portal is."""
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return CALLER_PAGE.replace("__AGENT__", agent.url).replace("__PIN__", HOLDER["pin"])

    with serve_asgi(app, name="caller") as url:
        yield url


def _click_and_read(chromium: str, url: str, button: str) -> dict[str, Any]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page()
            page.goto(url)
            with page.expect_popup() as popup:
                page.click(f"#{button}")
            if button == "trust":
                popup.value.get_by_role("button", name="是").click()
            page.wait_for_function("document.getElementById('out').textContent.length > 0", timeout=30_000)
            assert popup.value.is_closed() or popup.value.wait_for_event("close", timeout=5_000) is None
            answer: dict[str, Any] = json.loads(page.text_content("#out") or "{}")
            return answer
        finally:
            browser.close()


@pytest.mark.requirement("AG-14")
def test_popup_form_bridge_in_chromium(caller: str, agent: Agent, pytestconfig: pytest.Config) -> None:
    answer = _click_and_read(pytestconfig.getoption("chromium"), caller, "sign")
    assert answer["ret_code"] == 0, answer
    _public(_certificate(answer)).verify(
        base64.b64decode(answer["signature"]), b"popup", padding.PKCS1v15(), hashes.SHA256()
    )


@pytest.mark.requirement("AG-15")
def test_add_domain_makes_a_site_trusted(caller: str, pytestconfig: pytest.Config, agent: Agent) -> None:
    untrusted = caller.replace("127.0.0.1", "localhost")  # same page, a hostname not yet trusted
    refused = agent.json("/sign", {"func": "MakeSignature", "tbs": "x", "pin": HOLDER["pin"]}, origin=untrusted)
    if refused["ret_code"] != 0x76000031:
        pytest.skip("localhost is already trusted by this agent")
    assert _click_and_read(pytestconfig.getoption("chromium"), untrusted, "trust")["ret_code"] == 0
    assert (
        agent.json(
            "/sign",
            {"func": "MakeSignature", "tbs": "x", "pin": HOLDER["pin"], "signatureType": "PKCS1"},
            origin=untrusted,
        )["ret_code"]
        == 0
    )


@pytest.mark.requirement("AG-16")
def test_decrypt(agent: Agent) -> None:
    info = agent.json("/pkcs11info?withcert=true")
    token = next(s["token"] for s in info["slots"] if isinstance(s.get("token"), dict))
    listed = next(c for c in token["certs"] if "keyEncipherment" in c["usage"])
    key = _public(x509.load_der_x509_certificate(base64.b64decode(listed["certb64"])))
    cryptogram = key.encrypt(b"session key", padding.PKCS1v15())
    body = agent.json(
        "/decrypt",
        {
            "func": "DecryptData",
            "cipher": base64.b64encode(cryptogram).decode(),
            "plainEncoding": "base64",
            "pin": HOLDER["pin"],
        },
    )
    assert body["ret_code"] == 0, body
    assert base64.b64decode(body["plain"]) == b"session key"
