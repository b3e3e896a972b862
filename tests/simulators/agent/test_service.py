"""The agent's behaviour on its state class, without HTTP: calls, faults → ret_code, trusted sites, the request log."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from domain.card import CardHolder
from simulators.agent import AgentFault, AgentSettings, DirectTransport, SecurityAgent
from simulators.agent.codes import AgentError, Minor, Ret
from simulators.agent.service import AgentCrashed, Call
from simulators.agent.tokens import CardSession
from simulators.card import CardSlot, TestPki
from simulators.card.client import DIRECT_READER
from simulators.faults import ArmedFault

HOLDER = CardHolder("王小明", "A123456789", "TPCD000000000021", "246813", "13572468", seed=21)
PORTAL = "http://portal.example.test:8080"


@pytest.fixture(scope="module")
def slot(pki: TestPki) -> Iterator[CardSlot]:
    slot = CardSlot(None, pki)  # the card OS called in-process: no PC/SC, no HTTP
    try:
        yield slot
    finally:
        slot.close()


@pytest.fixture
def agent(slot: CardSlot) -> SecurityAgent:
    slot.insert(HOLDER)  # a fresh card: PIN counter full
    return SecurityAgent(AgentSettings(), DirectTransport(slot), trusted={"portal.example.test"})


def _package(**fields: Any) -> dict[str, Any]:
    return {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": "臺北卡", "pin": HOLDER.pin, **fields}


def _refusal(call: Callable[[], object]) -> tuple[int, int]:
    """The ret_code and last_error a refused call answers with."""
    with pytest.raises(AgentError) as refused:
        call()
    return refused.value.ret, refused.value.last


def _public_key(certb64: str) -> rsa.RSAPublicKey:
    key = x509.load_der_x509_certificate(base64.b64decode(certb64)).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def test_pkcs11info_lists_the_reader_and_the_card(agent: SecurityAgent, slot: CardSlot) -> None:
    plain = agent.pkcs11info()
    assert plain["ret_code"] == Ret.OK
    (listed,) = plain["slots"]
    assert listed["slotDescription"] == DIRECT_READER
    assert listed["token"]["serialNumber"] == HOLDER.card_number
    assert "certs" not in listed["token"]
    certs = agent.pkcs11info(with_certs=True)["slots"][0]["token"]["certs"]
    assert [c["label"] for c in certs] == ["CA Cert", "cert1", "cert2"]
    assert [c["usage"] for c in certs] == [
        "keyCertSign|cRLSign",
        "digitalSignature",
        "keyEncipherment|dataEncipherment",
    ]
    assert certs[1]["subjectID"] == HOLDER.id_number[-4:]
    assert agent.pkcs11info(reader="another reader")["slots"] == []
    assert agent.pkcs11info(reader=DIRECT_READER)["slots"] == plain["slots"]
    slot.remove()
    assert agent.pkcs11info()["slots"] == [{"slotDescription": DIRECT_READER}]  # an empty reader: no token


def test_a_card_the_library_cannot_read_is_an_unknown_token(
    agent: SecurityAgent, slot: CardSlot, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert slot.card is not None
    monkeypatch.setattr(slot.card, "execute", lambda msg: bytes.fromhex("6A82"))  # not a MOICA card
    assert agent.pkcs11info()["slots"] == [{"slotDescription": DIRECT_READER, "token": "unknown token"}]


def test_pkcs1_signature_verifies_with_the_listed_certificate(agent: SecurityAgent) -> None:
    answer = agent.sign(_package())
    assert (answer["ret_code"], answer["cardSN"]) == (Ret.OK, HOLDER.card_number)
    signature = base64.b64decode(answer["signature"])
    _public_key(answer["certb64"]).verify(signature, "臺北卡".encode(), padding.PKCS1v15(), hashes.SHA256())


def test_pkcs7_carries_the_nonce_and_the_card_number_when_asked(agent: SecurityAgent) -> None:
    answer = agent.sign(_package(signatureType="PKCS7", tbs="content", nonce="n-1", withCardSN="true"))
    signer = cms.ContentInfo.load(base64.b64decode(answer["signature"]))["content"]["signer_infos"][0]
    attributes = {a["type"].dotted: a["values"][0].native for a in signer["signed_attrs"]}
    assert attributes["1.2.840.113549.1.9.4"] == hashlib.sha256(b"content").digest()
    assert attributes["1.2.840.113549.1.9.25.3"] == b"n-1"
    assert attributes["2.16.886.1.100.2.204"] == HOLDER.card_number
    signed = signer["signed_attrs"].untag().dump(force=True)
    _public_key(answer["certb64"]).verify(signer["signature"].native, signed, padding.PKCS1v15(), hashes.SHA256())
    without = agent.sign(_package(signatureType="PKCS7", tbs="content"))
    signer = cms.ContentInfo.load(base64.b64decode(without["signature"]))["content"]["signer_infos"][0]
    assert "2.16.886.1.100.2.204" not in {a["type"].dotted for a in signer["signed_attrs"]}


def test_decrypt_opens_what_the_encryption_certificate_sealed(agent: SecurityAgent) -> None:
    certs = agent.pkcs11info(with_certs=True)["slots"][0]["token"]["certs"]
    (listed,) = [cert for cert in certs if cert["label"] == "cert2"]
    cryptogram = _public_key(listed["certb64"]).encrypt(b"session key", padding.PKCS1v15())
    package = {"func": "DecryptData", "cipher": base64.b64encode(cryptogram).decode(), "pin": HOLDER.pin}
    assert base64.b64decode(agent.decrypt(package)["plain"]) == b"session key"
    assert agent.decrypt({**package, "plainEncoding": "NONE"})["plain"] == "session key"


@pytest.mark.parametrize(
    ("fields", "codes"),
    [
        ({"tbs": ""}, (Ret.NO_TBS, Minor.NONE)),
        ({"tbs": "not base64 !!", "tbsEncoding": "base64"}, (Ret.BASE64_DECODE, Minor.NONE)),
        ({"hashAlgorithm": "SHA1"}, (Ret.BAD_PARAMETER, Minor.NONE)),
        ({"signatureType": "XML"}, (Ret.BAD_PARAMETER, Minor.NONE)),
        ({"func": "GetUserCert"}, (Ret.UNSUPPORTED, Minor.NONE)),
        ({"pin": ""}, (Ret.NO_PIN, Minor.NONE)),
        ({"pin": "12345"}, (Ret.LOGIN_FAILED, Minor.PIN_LEN_RANGE)),
        ({"pin": "000000"}, (Ret.LOGIN_FAILED, Minor.TWO_TRIES_LEFT)),
        ({"slotDescription": "another reader"}, (Ret.READER_INFO, Minor.NONE)),
    ],
    ids=["no-tbs", "bad-base64", "sha1", "xml", "wrong-func", "no-pin", "short-pin", "wrong-pin", "unknown-reader"],
)
def test_a_refused_signature_carries_hipki_codes(
    agent: SecurityAgent, fields: dict[str, Any], codes: tuple[int, int]
) -> None:
    assert _refusal(lambda: agent.sign(_package(**fields))) == codes


def test_no_card_and_no_cipher(agent: SecurityAgent, slot: CardSlot) -> None:
    assert _refusal(lambda: agent.decrypt({"func": "DecryptData", "pin": HOLDER.pin})) == (Ret.NO_CIPHER, Minor.NONE)
    slot.remove()
    assert _refusal(lambda: agent.sign(_package())) == (Ret.NO_CARD, Minor.NONE)


@pytest.mark.parametrize(
    ("fault", "codes"),
    [
        (AgentFault.USER_CANCELLED, (Ret.CANCELLED, Minor.NONE)),
        (AgentFault.TIMEOUT, (Ret.TIMEOUT, Minor.NONE)),
        (AgentFault.NO_READER, (Ret.NO_READER, Minor.NONE)),
        (AgentFault.PLAIN_PIN_INCORRECT, (Ret.LOGIN_FAILED, Minor.PIN_INCORRECT)),
    ],
)
def test_a_fault_answers_its_ret_code_once(agent: SecurityAgent, fault: AgentFault, codes: tuple[int, int]) -> None:
    agent.faults.arm(ArmedFault(fault))
    assert _refusal(lambda: agent.sign(_package())) == codes
    assert agent.sign(_package())["ret_code"] == Ret.OK  # used up


def test_no_reader_empties_pkcs11info(agent: SecurityAgent) -> None:
    agent.faults.arm(ArmedFault(AgentFault.NO_READER))
    assert agent.pkcs11info()["slots"] == []
    assert agent.pkcs11info()["slots"]


def test_slow_delays_the_answer_by_the_armed_seconds(agent: SecurityAgent) -> None:
    assert agent.answer_delay() == 0
    agent.faults.arm(ArmedFault(AgentFault.SLOW, seconds=2.5))
    agent.faults.arm(ArmedFault(AgentFault.SLOW))
    assert [agent.answer_delay(), agent.answer_delay(), agent.answer_delay()] == [2.5, 5.0, 0]


def test_crash_comes_after_the_pin_was_verified_and_answers_nothing(agent: SecurityAgent, slot: CardSlot) -> None:
    agent.faults.arm(ArmedFault(AgentFault.CRASH))
    with pytest.raises(AgentCrashed):
        agent.sign(_package())
    assert slot.card is not None
    assert [exchange.command[:5] for exchange in slot.card.transcript][-1] == "00 20"  # VERIFY, then no signature
    assert agent.pkcs11info()["ret_code"] == Ret.OK  # CRASH is for signing only; whoever runs the agent ends it


def test_admit_logs_the_call_with_the_pin_masked(agent: SecurityAgent) -> None:
    package = agent.admit(Call.SIGN, json.dumps(_package()), site=None)
    assert package["pin"] == HOLDER.pin  # the work gets the PIN; the log does not
    (logged,) = agent.requests()
    assert (logged.path, logged.origin, logged.package["pin"]) == ("/sign", None, "*" * len(HOLDER.pin))
    assert HOLDER.pin not in json.dumps(agent.state(), ensure_ascii=False)


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]"])
def test_a_package_that_is_no_json_object_is_bad_json_and_not_logged(agent: SecurityAgent, raw: str) -> None:
    assert _refusal(lambda: agent.admit(Call.SIGN, raw, site=None)) == (Ret.BAD_JSON, Minor.NONE)
    assert agent.requests() == []


def test_an_untrusted_site_is_refused_until_the_user_adds_it(agent: SecurityAgent) -> None:
    elsewhere = "https://elsewhere.example.test"
    with pytest.raises(AgentError) as refused:
        agent.admit(Call.SIGN, "{}", site=elsewhere)
    assert refused.value.answer() == {
        "ret_code": Ret.UNTRUSTED_SITE,
        "last_error": Minor.NONE,
        "message": "elsewhere.example.test非信任網站，請先加入信任網站",
    }
    assert agent.requests()[0].origin == elsewhere  # refused calls are logged too
    declined = _refusal(lambda: agent.add_domain("elsewhere.example.test", confirmed=False, from_own_page=True))
    assert declined == (Ret.CANCELLED, Minor.NONE)
    assert not agent.going  # a refused page is not using the agent
    agent.add_domain("elsewhere.example.test", confirmed=True, from_own_page=True)
    assert agent.admit(Call.SIGN, "{}", site=elsewhere) == {}
    assert agent.going


def test_only_the_agents_own_page_can_say_yes(agent: SecurityAgent) -> None:
    forged = _refusal(lambda: agent.add_domain("evil.example.test", confirmed=True, from_own_page=False))
    assert forged == (Ret.UNTRUSTED_SITE, Minor.NONE)
    assert not agent.trusts("https://evil.example.test")


def test_trust_is_by_hostname_and_reset_restores_the_installed_list(agent: SecurityAgent) -> None:
    assert agent.trusts(PORTAL)
    assert agent.trusts("https://portal.example.test")
    agent.distrust("portal.example.test")
    assert not agent.trusts(PORTAL)
    with pytest.raises(LookupError, match=r"portal\.example\.test is not trusted"):
        agent.distrust("portal.example.test")
    agent.trust("another.example.test")
    agent.admit(Call.PKCS11INFO, "", site=None)
    agent.reset()
    assert agent.trusted_sites() == ["portal.example.test"]
    assert agent.requests() == []


class _Watched:
    """The card in-process, counting the conversations open with it at once: each stays open until another opens
    beside it or 0.3 s pass, so two let in together are seen together."""

    def __init__(self, inner: DirectTransport) -> None:
        self.inner, self.open, self.most = inner, 0, 0
        self._lock, self._another = threading.Lock(), threading.Event()

    def readers(self) -> list[str]:
        return self.inner.readers()

    @contextmanager
    def session(self, reader: str) -> Iterator[CardSession]:
        with self._lock:
            self.open += 1
            self.most = max(self.most, self.open)
            if self.open > 1:
                self._another.set()
        try:
            with self.inner.session(reader) as session:
                self._another.wait(0.3)
                yield session
        finally:
            with self._lock:
                self.open -= 1


def test_a_page_checking_the_card_while_the_citizen_signs_waits_its_turn(slot: CardSlot) -> None:
    slot.insert(HOLDER)
    transport = _Watched(DirectTransport(slot))
    agent = SecurityAgent(AgentSettings(), transport, trusted={"portal.example.test"})
    with ThreadPoolExecutor(2) as pool:
        listed = pool.submit(agent.pkcs11info, with_certs=True)
        signed = pool.submit(agent.sign, _package())
        assert listed.result()["slots"][0]["token"]["serialNumber"] == HOLDER.card_number
        assert signed.result()["ret_code"] == Ret.OK
    assert transport.most == 1
