"""Documented steps 20–23 over plain HTTP: the server's real-name checks, whatever a page or a bot sends it."""

from __future__ import annotations

import base64
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from domain.card import card_holder
from domain.citizen import CitizenProfile
from domain.idnumber import ID_LETTER_CODES, is_valid_id_number
from harness.citizens import make_citizen
from harness.stack import Stack
from simulators.card import CardFault, RevocationFault
from simulators.control import CONTROL_HEADER
from tests.portal.applicant import Applicant

CONTROL = {CONTROL_HEADER: "1"}  # what every tool of a control surface sends (simulators.control)


class GoldApplicant(Applicant):
    """A registered member who signs the server's nonce with the card through the agent, then submits it."""

    def nonce(self) -> dict[str, Any]:
        reply = self.http.post(self.url + "/gold/nonce", headers={"X-CSRF-Token": self.token}, timeout=10)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def sign(self, tbs: str) -> dict[str, Any]:
        package = {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": tbs, "pin": self.citizen.pin}
        reply = requests.post(self.stack.urls["agent"] + "/sign", data={"tbsPackage": json.dumps(package)}, timeout=10)
        body: dict[str, Any] = reply.json()
        assert body["ret_code"] == 0, body
        return body

    def submit(self, nonce: dict[str, Any], signed: dict[str, Any], id_number: str | None = None) -> requests.Response:
        evidence = {
            "id_number": id_number or self.citizen.id_number,
            "nonce_id": nonce["nonce_id"],
            "signature": signed["signature"],
            "certb64": signed["certb64"],
        }
        return self.http.post(
            self.url + "/gold/verify", json=evidence, headers={"X-CSRF-Token": self.token}, timeout=10
        )

    def verify_with_card(self) -> requests.Response:
        nonce = self.nonce()
        return self.submit(nonce, self.sign(nonce["nonce"]))

    def level(self) -> str:
        assert self.stack.workdir is not None
        with sqlite3.connect(self.stack.workdir / "portal.sqlite3") as db:
            row = db.execute("SELECT verified_level FROM members WHERE id_number = ?", (self.citizen.id_number,))
            (level,) = row.fetchone()
        return str(level)


def _member(stack: Stack, seed: int, card_of: CitizenProfile | None = None) -> GoldApplicant:
    citizen = make_citizen(seed)
    applicant = GoldApplicant(stack, citizen)
    applicant.register()
    assert stack.card is not None
    stack.card.insert(card_holder(card_of or citizen))
    return applicant


def test_the_card_verifies_the_member(fresh: Stack) -> None:
    applicant = _member(fresh, 201)
    reply = applicant.verify_with_card()
    assert reply.json() == {"next": "/gold/done"}
    assert applicant.level() == "1"
    done = applicant.http.get(applicant.url + "/gold/done", timeout=10).text
    assert "TPC" in done
    assert "密碼仍是您原來設定的密碼" in done


def test_a_forged_signature_changes_nothing(fresh: Stack) -> None:
    applicant = _member(fresh, 202)
    nonce = applicant.nonce()
    signed = applicant.sign(nonce["nonce"])
    forged = bytearray(base64.b64decode(signed["signature"]))
    forged[10] ^= 0xFF
    reply = applicant.submit(nonce, {**signed, "signature": base64.b64encode(bytes(forged)).decode()})
    assert reply.status_code == 400
    assert "簽章驗證失敗" in reply.json()["error"]
    assert applicant.level() == "0"


def test_a_signature_over_another_text_or_a_reused_nonce_is_refused(fresh: Stack) -> None:
    applicant = _member(fresh, 203)
    nonce = applicant.nonce()
    assert "簽章驗證失敗" in applicant.submit(nonce, applicant.sign("something else")).json()["error"]
    assert "驗證已逾時" in applicant.submit(nonce, applicant.sign(nonce["nonce"])).json()["error"]


def test_a_certificate_from_another_ca_is_refused(fresh: Stack) -> None:
    applicant = _member(fresh, 204)
    nonce = applicant.nonce()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"), x509.NameAttribute(NameOID.COMMON_NAME, "偽造")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    signature = key.sign(nonce["nonce"].encode(), padding.PKCS1v15(), hashes.SHA256())
    reply = applicant.submit(
        nonce,
        {
            "signature": base64.b64encode(signature).decode(),
            "certb64": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
        },
    )
    assert "不是內政部憑證管理中心核發" in reply.json()["error"]
    assert applicant.level() == "0"


def _same_last_four(citizen: CitizenProfile) -> str:
    """Another valid ID number ending in the same four digits (so only the binding check can refuse it)."""
    for letter in sorted(ID_LETTER_CODES):
        for middle in range(1000):
            candidate = f"{letter}{citizen.id_number[1]}{middle:03d}{citizen.id_number[5:6]}{citizen.id_number[6:]}"
            if candidate != citizen.id_number and is_valid_id_number(candidate):
                return candidate
    raise AssertionError(f"no ID number shares the last four digits of {citizen.id_number}")


def test_a_certificate_bound_to_another_member_is_refused(fresh: Stack) -> None:
    first = _member(fresh, 205)
    assert first.verify_with_card().json() == {"next": "/gold/done"}
    twin = make_citizen(206)
    twin = replace(twin, id_number=_same_last_four(first.citizen), sex=first.citizen.sex)
    second = GoldApplicant(fresh, twin)
    second.register()
    assert fresh.card is not None
    fresh.card.insert(replace(card_holder(first.citizen), pin=twin.pin))  # the first member's card, the PIN typed
    reply = second.verify_with_card()
    assert "已綁定其他會員" in reply.json()["error"]
    assert second.level() == "0"


def test_ocsp_down_falls_back_to_the_crl_and_both_down_is_explained(fresh: Stack) -> None:
    applicant = _member(fresh, 207)
    unavailable = {"fault": RevocationFault.HTTP_503, "times": None}
    requests.post(
        fresh.urls["ocsp"] + "/_control/faults", json=unavailable, headers=CONTROL, timeout=5
    ).raise_for_status()
    assert fresh.card is not None
    fresh.card.arm(CardFault.REVOKED)
    assert "已被廢止或停用" in applicant.verify_with_card().json()["error"]  # the CRL lists it
    assert applicant.level() == "0"
    assert fresh.pki is not None
    working = fresh.pki.crl_url
    fresh.pki.crl_url = "http://127.0.0.1:9/crl"  # certificates issued from now on point at a dead CRL
    try:
        other = _member(fresh, 208)
        assert "目前無法確認自然人憑證的狀態" in other.verify_with_card().json()["error"]
        assert other.level() == "0"
    finally:
        fresh.pki.crl_url = working


def test_ocsp_try_later_is_answered_from_the_crl(fresh: Stack) -> None:
    applicant = _member(fresh, 209)
    try_later = {"fault": RevocationFault.TRY_LATER, "times": 1}  # RFC 6960 §4.2.1 tryLater: no status inside
    requests.post(
        fresh.urls["ocsp"] + "/_control/faults", json=try_later, headers=CONTROL, timeout=5
    ).raise_for_status()
    assert applicant.verify_with_card().json() == {"next": "/gold/done"}
    assert requests.get(fresh.urls["ocsp"] + "/_control/state", timeout=5).json()["faults"] == []  # OCSP was asked
