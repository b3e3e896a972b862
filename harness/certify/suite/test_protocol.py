"""The HiPKI LocalSignServer protocol a portal relies on: endpoints, fields, codes (docs/protocols/hipki-agent.md)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from harness.certify.suite.kit import (
    HOLDER,
    WRONG_PIN,
    Agent,
    Card,
    Options,
    cards_listed,
    certificate,
    codes,
    unsigned,
    verifies,
)

LOGIN_FAILED, TWO_LEFT, ONE_LEFT, LOCKED, LEN_RANGE = 0x76100006, 0x80000002, 0x80000001, 0xA4, 0xA2


@pytest.mark.requirement("AG-01")
def test_version_probe(agent: Agent, note: Any) -> None:
    body = agent.call("/", method="GET").text
    assert "version:" in body, f"GET / carries no version: {body[:200]!r}"
    version = body.split("version:", 1)[1].split()[0]
    assert all(part.isdigit() for part in version.split(".")), version
    note(f"version:{version}")


@pytest.mark.requirement("AG-02")
def test_pkcs11info_get_and_post(agent: Agent, note: Any) -> None:
    for method in ("GET", "POST"):
        body = agent.json("/pkcs11info", method=method)
        assert unsigned(body["ret_code"]) == 0, body
        assert body["serverVersion"], "no serverVersion"
        assert isinstance(body["slots"], list), "slots is not a list"
        assert body["slots"], "no reader listed"
        note(f"{method}: {len(body['slots'])} slot(s), serverVersion {body['serverVersion']}")


@pytest.mark.requirement("AG-03")
def test_pkcs11info_with_certificates(agent: Agent, options: Options, card: Card | None, note: Any) -> None:
    tokens = cards_listed(agent)
    assert tokens, "no card found in any reader"
    token = tokens[0]
    assert len(token["serialNumber"]) == 16, token["serialNumber"]
    own = [listed for listed in token["certs"] if listed.get("label") != "CA Cert"]  # the issuer's may come along
    assert "digitalSignature" in {listed["usage"] for listed in own}
    holder_id = HOLDER.id_number if card is not None else options.holder_id
    for listed in own:
        cert = certificate(listed["certb64"])
        assert listed["subjectDN"].startswith("C=TW,CN="), listed["subjectDN"]
        assert listed["subjectCN"] == cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
        assert len(listed["subjectID"]) == 4, listed["subjectID"]
        assert listed["subjectID"].isdigit(), listed["subjectID"]
        if holder_id:
            assert listed["subjectID"] == holder_id[-4:], "subjectID is not the holder's last four ID digits"
        assert int(listed["sn"], 16) == cert.serial_number, "sn is not the certificate's serial number"
    note(f"card {token['serialNumber']}: {len(own)} certificate(s)")


@pytest.mark.requirement("AG-04")
def test_pkcs1_signature_verifies(agent: Agent, note: Any) -> None:
    body = agent.sign(tbs="臺北卡 nonce 12345")
    assert codes(body)[0] == 0, body
    verifies(body["certb64"], body["signature"], "臺北卡 nonce 12345".encode())
    assert body["cardSN"] in [token["serialNumber"] for token in cards_listed(agent)], "cardSN is no listed card's"
    note(f"PKCS#1 signature verifies; cardSN {body['cardSN']}")


@pytest.mark.requirement("AG-05")
def test_pkcs7_signed_data(agent: Agent, note: Any) -> None:
    body = agent.sign(signatureType="PKCS7", tbs="pkcs7 content", nonce="n-123")
    assert codes(body)[0] == 0, body
    signed = cms.ContentInfo.load(base64.b64decode(body["signature"]))["content"]
    signer = signed["signer_infos"][0]
    attributes = {a["type"].dotted: a["values"] for a in signer["signed_attrs"]}
    digest = attributes["1.2.840.113549.1.9.4"][0].native
    assert digest == hashlib.sha256(b"pkcs7 content").digest(), "messageDigest is not SHA-256 of tbs"
    assert "1.2.840.113549.1.9.25.3" in attributes, "no nonce attribute"
    assert "2.16.886.1.100.2.204" in attributes, "no card-number attribute (withCardSN)"
    signed_bytes = signer["signed_attrs"].untag().dump(force=True)
    verifies(body["certb64"], base64.b64encode(signer["signature"].native).decode(), signed_bytes)
    note("CMS SignedData verifies; nonce and card-number attributes present")


@pytest.mark.requirement("AG-06")
def test_base64_tbs(agent: Agent, note: Any) -> None:
    raw = bytes(range(32))
    body = agent.sign(tbs=base64.b64encode(raw).decode(), tbsEncoding="base64")
    assert codes(body)[0] == 0, body
    verifies(body["certb64"], body["signature"], raw)
    assert codes(agent.sign(tbs="not base64 !!", tbsEncoding="base64"))[0] == 0x76600002
    note("decoded bytes signed; bad base64 → 0x76600002")


@pytest.mark.requirement("AG-07")
def test_wrong_pin_sequence(agent: Agent, card: Card, note: Any) -> None:
    with agent.wrong_pins(card, 3):
        answered = [codes(agent.sign(pin=WRONG_PIN)) for _ in range(3)]
    assert answered == [(LOGIN_FAILED, TWO_LEFT), (LOGIN_FAILED, ONE_LEFT), (LOGIN_FAILED, LOCKED)], [
        (hex(a), hex(b)) for a, b in answered
    ]
    assert codes(agent.sign()) == (LOGIN_FAILED, LOCKED), "the card's own PIN was taken after the lock"
    note("0x80000002, 0x80000001, 0xA4, then 0xA4 for the right PIN")


@pytest.mark.requirement("AG-08")
def test_pin_length(agent: Agent, card: Card, note: Any) -> None:
    with agent.wrong_pins(card, 2):
        for pin in ("12345", "123456789"):
            assert codes(agent.sign(pin=pin)) == (LOGIN_FAILED, LEN_RANGE), f"a {len(pin)}-character PIN"
    assert card.state().pin_tries == 3, "a PIN of the wrong length cost a try"
    assert codes(agent.sign())[0] == 0
    note("5 and 9 characters → 0xA2; the counter stayed at 3")


@pytest.mark.requirement("AG-09")
def test_missing_fields_and_bad_json(agent: Agent, note: Any) -> None:
    assert codes(agent.sign(pin=""))[0] == 0x76000998, "missing PIN"
    assert codes(agent.sign(tbs=""))[0] == 0x76000003, "missing tbs"
    assert codes(agent.json("/sign", form={"tbsPackage": "{not json"}))[0] == 0x7600000B, "malformed JSON"
    note("0x76000998, 0x76000003, 0x7600000B")


@pytest.mark.requirement("AG-10")
def test_no_card(agent: Agent, card: Card, note: Any) -> None:
    card.remove()
    assert codes(agent.sign())[0] == 0x76000006
    assert not cards_listed(agent), "a card is still listed"
    note("0x76000006; no token listed")


@pytest.mark.requirement("AG-11")
def test_errors_are_http_200(agent: Agent, note: Any) -> None:
    refused = [
        agent.call("/sign", {"func": "MakeSignature"}),
        agent.call("/sign", {"func": "NoSuchFunction"}),
        agent.call("/decrypt", {"func": "DecryptData"}),
        agent.call("/sign", form={"tbsPackage": "{not json"}),
    ]
    for response in refused:
        assert response.status_code == 200, f"{response.request.path_url} answered HTTP {response.status_code}"
        body = response.json()
        assert unsigned(body["ret_code"]) != 0, body
        assert "last_error" in body, body
    note("four refusals, each HTTP 200 with ret_code and last_error")


@pytest.mark.requirement("AG-16")
def test_decrypt(agent: Agent, note: Any) -> None:
    token = cards_listed(agent)[0]
    listed = next(c for c in token["certs"] if "keyEncipherment" in c["usage"] and c.get("label") != "CA Cert")
    key = certificate(listed["certb64"]).public_key()
    assert isinstance(key, rsa.RSAPublicKey), "the encryption certificate holds no RSA key"
    cryptogram = key.encrypt(b"session key", padding.PKCS1v15())
    package = {
        "func": "DecryptData",
        "cipher": base64.b64encode(cryptogram).decode(),
        "plainEncoding": "base64",
        "pin": agent.pin,
    }
    body = agent.json("/decrypt", package)
    assert codes(body)[0] == 0, body
    assert base64.b64decode(body["plain"]) == b"session key", "another plaintext came back"
    note("the cryptogram deciphered")
