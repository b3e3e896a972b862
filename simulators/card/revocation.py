"""Revocation for the test MOICA CA over HTTP: an RFC 6960 OCSP responder and the RFC 5280 CRL, with revoke controls.

`OcspResponder` does the work and is tested without HTTP; `create_app` maps routes to it. What the responder does, as
RFC 6960 says and as `openssl ocsp` and `cryptography` check it (tests/simulators/card/test_ocsp_contract.py):

- One SingleResponse per Request in the OCSPRequest's requestList (§4.1.1, §4.2.1), each carrying the CertID exactly
  as asked, so a client matching CertIDs finds its answer; several certificates in one request are answered together.
- Status by CertID: the issuerNameHash and issuerKeyHash (§4.1.1) are computed with the CertID's own hash algorithm
  (SHA-1, SHA-256, SHA-384 or SHA-512) over this CA's name and key; a CertID of any other issuer, or with a hash we do
  not know, is "unknown" (§2.2: the responder does not know about the certificate), as is a serial this CA never
  issued. Otherwise good, or revoked with the revocation time and reason.
- The nonce extension (RFC 8954, id-pkix-ocsp-nonce) is echoed byte for byte in responseExtensions.
- responderID byKey (§4.2.2.3), producedAt, thisUpdate and nextUpdate (an hour later); signed with the CA's own key
  (the CA is its own responder, §4.2.2.2), sha256WithRSAEncryption, the CA certificate in `certs`.
- A request that does not parse is answered malformedRequest (1); the faults answer tryLater (3) or internalError (2)
  as protocol-level answers (§4.2.1, HTTP 200, no responseBytes), or HTTP 503 with no OCSPResponse at all.
- The delegated faults answer honestly through an authorized responder (§4.2.2.2): a responder certificate the CA
  issued with id-kp-OCSPSigning (and id-pkix-ocsp-nocheck, §4.2.2.2.1), carried in `certs`, named byName or byKey;
  one of them over an EC (P-256) key, signing ecdsa-with-SHA256 (RFC 5758 §3.2), where MOICA signs with RSA.
- The lying faults say "good" whatever the status is, in answers a relying party must not trust: signed by a key that
  is neither the CA's nor a delegate's, by a CA-issued certificate without id-kp-OCSPSigning, by an OCSP-signing
  delegate of another CA with MOICA's name, with Ed25519 in the CA's name; or signed by the CA but replayed
  (nextUpdate past), echoing another nonce, about another serial or issuer key, or with thisUpdate ahead
  (docs/protocols/moica-card.md#ocsp-answers-a-relying-party-must-not-trust).
- HTTP (appendix A.1): POST with the DER body (`application/ocsp-request`), or GET with the base64 of the DER in the
  URL path, percent-encoded; every OCSPResponse goes back as `application/ocsp-response`.

The requests MOICA's relying parties send (a SHA-1 CertID and a nonce, docs/protocols/moica-card.md#revocation) are what
`openssl ocsp` sends by default, and it verifies our answers to them.
The CRL (built in pki.py) goes out DER-encoded at GET /crl as `application/pkix-crl` (RFC 5280 §4.2.1.13, RFC 2585);
the CRL faults withhold it (HTTP 503) or serve one listing nothing that a relying party must not trust (§6.3.3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import core
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.ocsp import OCSPCertStatus
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from simulators.card.faults import RevocationFault
from simulators.card.pki import MOICA_NAME, TEST_MARKER, TestPki
from simulators.control import SameSiteGate, control_router
from simulators.faults import FaultBook

OCSP_REQUEST, OCSP_RESPONSE, PKIX_CRL = "application/ocsp-request", "application/ocsp-response", "application/pkix-crl"
NONCE = "1.3.6.1.5.5.7.48.1.2"  # id-pkix-ocsp-nonce (RFC 8954 §2.1)
CERT_ID_HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
ANSWER_LIFETIME = timedelta(hours=1)  # thisUpdate → nextUpdate of each SingleResponse
UNSUCCESSFUL = {RevocationFault.TRY_LATER: "try_later", RevocationFault.INTERNAL_ERROR: "internal_error"}
CRL_FAULTS = {
    RevocationFault.CRL_HTTP_503.value,
    RevocationFault.CRL_SIGNED_BY_STRANGER.value,
    RevocationFault.CRL_OTHER_ISSUER.value,
    RevocationFault.CRL_STALE.value,
}  # what a GET /crl takes
OCSP_FAULTS = {f.value for f in RevocationFault} - CRL_FAULTS  # what an OCSP request takes
OTHER_CA_NAME = x509.Name(
    [x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"), x509.NameAttribute(NameOID.COMMON_NAME, "Other CA " + TEST_MARKER)]
)
LIES = {
    RevocationFault.GOOD_SIGNED_BY_STRANGER,
    RevocationFault.GOOD_BY_DELEGATE_WITHOUT_OCSP_SIGNING,
    RevocationFault.GOOD_BY_IMPOSTOR_DELEGATE,
    RevocationFault.GOOD_ED25519,
    RevocationFault.GOOD_REPLAYED,
    RevocationFault.GOOD_OTHER_NONCE,
    RevocationFault.GOOD_OTHER_SERIAL,
    RevocationFault.GOOD_OTHER_ISSUER,
    RevocationFault.GOOD_FROM_FUTURE,
}  # the faults whose answer says "good" whatever the certificate's status
REASON_CODES = {
    x509.ReasonFlags.unspecified: 0,
    x509.ReasonFlags.key_compromise: 1,
    x509.ReasonFlags.ca_compromise: 2,
    x509.ReasonFlags.affiliation_changed: 3,
    x509.ReasonFlags.superseded: 4,
    x509.ReasonFlags.cessation_of_operation: 5,
    x509.ReasonFlags.certificate_hold: 6,
    x509.ReasonFlags.remove_from_crl: 8,
    x509.ReasonFlags.privilege_withdrawn: 9,
    x509.ReasonFlags.aa_compromise: 10,
}  # CRLReason (RFC 5280 §5.3.1)


def unsuccessful(status: str) -> bytes:
    """An OCSPResponse with only a responseStatus (asn1crypto's name: malformed_request, internal_error, try_later)."""
    return bytes(asn1_ocsp.OCSPResponse({"response_status": status}).dump())


def key_bits(key: rsa.RSAPublicKey) -> bytes:
    """An RSA key's subjectPublicKey BIT STRING value, the DER RSAPublicKey (what §4.1.1 and §4.2.2.3 hash)."""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs an answer: the key, how the ResponderID names it, and the certificates carried in `certs`."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    responder_id: asn1_ocsp.ResponderId
    certs: tuple[x509.Certificate, ...]


@dataclass(frozen=True, slots=True)
class Responders:
    """The responder certificates the faults sign with, made once per responder (each RSA key from the pool)."""

    delegate: tuple[rsa.RSAPrivateKey, x509.Certificate]  # the CA's, with id-kp-OCSPSigning
    ec_delegate: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]  # the same, over a P-256 key
    no_ocsp_signing: tuple[rsa.RSAPrivateKey, x509.Certificate]  # the CA's, extendedKeyUsage clientAuth only
    impostor: tuple[rsa.RSAPrivateKey, x509.Certificate]  # OCSPSigning, issued in MOICA's name by another key
    stranger: rsa.RSAPrivateKey  # no certificate at all


def by_key(key: rsa.RSAPublicKey) -> asn1_ocsp.ResponderId:
    """ResponderID byKey: the SHA-1 of the key's BIT STRING value (§4.2.2.3)."""
    return asn1_ocsp.ResponderId(name="by_key", value=hashlib.sha1(key_bits(key)).digest())


def by_name(name: x509.Name) -> asn1_ocsp.ResponderId:
    """ResponderID byName: the responder certificate's subject (§4.2.2.3)."""
    return asn1_ocsp.ResponderId(name="by_name", value=asn1_x509.Name.load(name.public_bytes()))


def responder_cert(
    label: str,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    issuer_key: rsa.RSAPrivateKey,
    usages: list[x509.ObjectIdentifier],
) -> x509.Certificate:
    """A responder certificate issued in MOICA's name by `issuer_key` (the CA's own, or an impostor's)."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    moica = [attribute for attribute in MOICA_NAME if attribute.oid != NameOID.COMMON_NAME]
    subject = x509.Name([*moica, x509.NameAttribute(NameOID.COMMON_NAME, f"MOICA OCSP {label} {TEST_MARKER}")])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(MOICA_NAME)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


class OcspResponder:
    """The test MOICA CA's OCSP responder: one DER OCSPRequest in, one DER OCSPResponse out."""

    def __init__(self, pki: TestPki) -> None:
        self.pki = pki
        self.faults = FaultBook({f.value for f in RevocationFault})
        self._responders: Responders | None = None
        self._lock = threading.Lock()

    def responders(self) -> Responders:
        """The delegates, non-OCSP-signing and impostor certificates and the stranger's key, made on first use."""
        with self._lock:
            if self._responders is None:
                take, ca_key = self.pki.pool.take, self.pki.ca_key
                ocsp_signing, client_auth = [ExtendedKeyUsageOID.OCSP_SIGNING], [ExtendedKeyUsageOID.CLIENT_AUTH]
                delegate, plain, impostor, impostor_ca = take(), take(), take(), take()
                p256 = ec.generate_private_key(ec.SECP256R1())
                self._responders = Responders(
                    delegate=(delegate, responder_cert("delegate", delegate, ca_key, ocsp_signing)),
                    ec_delegate=(p256, responder_cert("EC delegate", p256, ca_key, ocsp_signing)),
                    no_ocsp_signing=(plain, responder_cert("client", plain, ca_key, client_auth)),
                    impostor=(impostor, responder_cert("impostor", impostor, impostor_ca, ocsp_signing)),
                    stranger=take(),
                )
            return self._responders

    def answer(self, request_der: bytes) -> bytes | None:
        """The OCSPResponse for `request_der`; None when the HTTP_503 fault says no OCSPResponse goes out at all."""
        try:
            request = asn1_ocsp.OCSPRequest.load(request_der, strict=True)
            request.native  # noqa: B018 — parse every field now, so a malformed request is answered as one
            tbs = request["tbs_request"]
            cert_ids = [entry["req_cert"] for entry in tbs["request_list"]]
        except (ValueError, TypeError, KeyError, OverflowError):
            return unsuccessful("malformed_request")
        if not cert_ids:
            return unsuccessful("malformed_request")
        fault = self._fault([f"{cert_id['serial_number'].native:x}" for cert_id in cert_ids])
        if fault == RevocationFault.HTTP_503:
            return None
        if fault in UNSUCCESSFUL:
            return unsuccessful(UNSUCCESSFUL[fault])
        nonces = [ext for ext in tbs["request_extensions"] or [] if ext["extn_id"].dotted == NONCE]
        return self._successful(cert_ids, nonces, fault)

    def _fault(self, serials: list[str]) -> RevocationFault | None:
        """The armed fault for any of the requested serials (hex, as the revoke controls name them), or a global one."""
        for serial in serials:
            armed = self.faults.take(serial, among=OCSP_FAULTS)
            if armed is not None:
                return RevocationFault(armed.fault)
        return None

    def crl_fault(self) -> RevocationFault | None:
        """The CRL fault for this fetch of the CRL. A CRL names no one certificate, so a fault armed for one serial
        (as a run on a shared stack must arm it) acts on every fetch while armed."""
        for armed in self.faults.state():
            if armed["fault"] in CRL_FAULTS:
                taken = self.faults.take(armed["match"], among=CRL_FAULTS)
                return RevocationFault(taken.fault) if taken is not None else None
        return None

    def untrusted_crl(self, fault: RevocationFault) -> x509.CertificateRevocationList:
        """A CRL listing no revocation that a relying party must not trust: `fault` says why (faults.py)."""
        now = datetime.now(UTC).replace(microsecond=0)
        this_update = now - timedelta(minutes=1)
        if fault is RevocationFault.CRL_STALE:
            this_update = now - timedelta(days=2)  # nextUpdate a day ago
        key = self.responders().stranger if fault is RevocationFault.CRL_SIGNED_BY_STRANGER else self.pki.ca_key
        name = OTHER_CA_NAME if fault is RevocationFault.CRL_OTHER_ISSUER else self.pki.ca_cert.subject
        return (
            x509.CertificateRevocationListBuilder()
            .issuer_name(name)
            .last_update(this_update)
            .next_update(this_update + timedelta(days=1))
            .add_extension(x509.CRLNumber(1), critical=False)
            .sign(key, hashes.SHA256())
        )

    def _signer(self, fault: RevocationFault | None) -> Signer:
        """Who signs the answer `fault` calls for: the CA itself (byKey, its certificate in `certs`) unless it says."""
        ca_public = self.pki.ca_cert.public_key()
        assert isinstance(ca_public, rsa.RSAPublicKey)
        if fault is RevocationFault.GOOD_SIGNED_BY_STRANGER:
            return Signer(self.responders().stranger, by_key(ca_public), ())
        if fault is RevocationFault.GOOD_ED25519:
            return Signer(ed25519.Ed25519PrivateKey.generate(), by_name(self.pki.ca_cert.subject), (self.pki.ca_cert,))
        chosen = (
            {
                RevocationFault.DELEGATED_BY_NAME: self.responders().delegate,
                RevocationFault.DELEGATED_BY_KEY: self.responders().delegate,
                RevocationFault.DELEGATED_MISNAMED: self.responders().delegate,
                RevocationFault.GOOD_BY_DELEGATE_WITHOUT_OCSP_SIGNING: self.responders().no_ocsp_signing,
                RevocationFault.GOOD_BY_IMPOSTOR_DELEGATE: self.responders().impostor,
            }.get(fault)
            if fault is not None
            else None
        )
        if fault is RevocationFault.DELEGATED_EC:
            ec_key, ec_cert = self.responders().ec_delegate
            return Signer(ec_key, by_name(ec_cert.subject), (ec_cert,))
        if chosen is None:
            return Signer(self.pki.ca_key, by_key(ca_public), (self.pki.ca_cert,))
        key, cert = chosen
        named = by_name(cert.subject) if fault is RevocationFault.DELEGATED_BY_NAME else by_key(key.public_key())
        if fault is RevocationFault.DELEGATED_MISNAMED:  # §4.2.2.3 broken: the ResponderID is not the signer's
            named = by_key(self.responders().stranger.public_key())
        return Signer(key, named, (cert,))

    def _cert_id(self, cert_id: asn1_ocsp.CertId, fault: RevocationFault | None) -> asn1_ocsp.CertId:
        """The CertID as asked, or, for the lies about another certificate, with another serial or issuer key hash."""
        if fault is RevocationFault.GOOD_OTHER_SERIAL:
            return asn1_ocsp.CertId({**cert_id.native, "serial_number": cert_id["serial_number"].native + 1})
        if fault is RevocationFault.GOOD_OTHER_ISSUER:
            digest = CERT_ID_HASHES.get(cert_id["hash_algorithm"]["algorithm"].native, hashlib.sha1)
            stranger = key_bits(self.responders().stranger.public_key())
            return asn1_ocsp.CertId({**cert_id.native, "issuer_key_hash": digest(stranger).digest()})
        return cert_id

    def _successful(
        self,
        cert_ids: list[asn1_ocsp.CertId],
        nonces: list[asn1_ocsp.TBSRequestExtension],
        fault: RevocationFault | None = None,
    ) -> bytes:
        now = datetime.now(UTC).replace(microsecond=0)
        this_update = now - timedelta(minutes=1)
        if fault is RevocationFault.GOOD_REPLAYED:
            this_update = now - timedelta(days=1) - ANSWER_LIFETIME  # nextUpdate a day ago
        elif fault is RevocationFault.GOOD_FROM_FUTURE:
            this_update = now + ANSWER_LIFETIME
        good = asn1_ocsp.CertStatus(name="good", value=core.Null())
        responses = [
            asn1_ocsp.SingleResponse(
                {
                    "cert_id": self._cert_id(cert_id, fault),
                    "cert_status": good if fault in LIES else self._status(cert_id),
                    "this_update": this_update,
                    "next_update": this_update + ANSWER_LIFETIME,
                }
            )
            for cert_id in cert_ids
        ]
        signer = self._signer(fault)
        data: dict[str, Any] = {
            "responder_id": signer.responder_id,
            "produced_at": this_update if fault is RevocationFault.GOOD_REPLAYED else now,
            "responses": responses,
        }
        if fault is RevocationFault.GOOD_OTHER_NONCE:
            other = {"extn_id": "nonce", "critical": False, "extn_value": secrets.token_bytes(16)}
            data["response_extensions"] = [asn1_ocsp.ResponseDataExtension(other)]
        elif nonces and fault is not RevocationFault.GOOD_REPLAYED:  # an old answer carries no nonce of ours
            data["response_extensions"] = [asn1_ocsp.ResponseDataExtension.load(nonces[0].dump())]
        response_data = asn1_ocsp.ResponseData(data)
        if isinstance(signer.key, ed25519.Ed25519PrivateKey):
            algorithm: dict[str, Any] = {"algorithm": "ed25519"}
            signature = signer.key.sign(response_data.dump())
        elif isinstance(signer.key, ec.EllipticCurvePrivateKey):
            algorithm = {"algorithm": "sha256_ecdsa"}  # RFC 5758 §3.2: no parameters
            signature = signer.key.sign(response_data.dump(), ec.ECDSA(hashes.SHA256()))
        else:
            algorithm = {"algorithm": "sha256_rsa", "parameters": core.Null()}
            signature = signer.key.sign(response_data.dump(), padding.PKCS1v15(), hashes.SHA256())
        certs = [asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)) for cert in signer.certs]
        basic = asn1_ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": response_data,
                "signature_algorithm": algorithm,
                "signature": signature,
                **({"certs": certs} if certs else {}),
            }
        )
        response_bytes = {"response_type": "basic_ocsp_response", "response": basic}
        return bytes(asn1_ocsp.OCSPResponse({"response_status": "successful", "response_bytes": response_bytes}).dump())

    def _status(self, cert_id: asn1_ocsp.CertId) -> asn1_ocsp.CertStatus:
        """good / revoked / unknown for one CertID: this CA's certificate by both hashes and a serial it issued."""
        digest = CERT_ID_HASHES.get(cert_id["hash_algorithm"]["algorithm"].native)
        ours = (
            (digest(self.pki.ca_cert.subject.public_bytes()).digest(), digest(self._ca_key_bits()).digest())
            if digest
            else None
        )
        if (cert_id["issuer_name_hash"].native, cert_id["issuer_key_hash"].native) != ours:
            return asn1_ocsp.CertStatus(name="unknown", value=core.Null())
        status, when, reason = self.pki.status(cert_id["serial_number"].native)
        if status is OCSPCertStatus.GOOD:
            return asn1_ocsp.CertStatus(name="good", value=core.Null())
        if status is OCSPCertStatus.UNKNOWN or when is None or reason is None:
            return asn1_ocsp.CertStatus(name="unknown", value=core.Null())
        revoked = {"revocation_time": when.replace(microsecond=0), "revocation_reason": REASON_CODES[reason]}
        return asn1_ocsp.CertStatus(name="revoked", value=asn1_ocsp.RevokedInfo(revoked))

    def _ca_key_bits(self) -> bytes:
        """The CA's subjectPublicKey BIT STRING value: for RSA, the DER RSAPublicKey (RFC 6960 §4.1.1 KeyHash)."""
        public = self.pki.ca_cert.public_key()
        assert isinstance(public, rsa.RSAPublicKey)
        return key_bits(public)


def create_app(pki: TestPki) -> FastAPI:
    """OCSP at POST /ocsp and GET /ocsp/{base64}, the CRL at GET /crl, the CA certificates for relying parties."""
    app = FastAPI(title="MOICA test CA: OCSP and CRL", docs_url=None, redoc_url=None, openapi_url=None)
    responder = OcspResponder(pki)
    app.state.responder = responder
    app.include_router(control_router(responder.faults, pki.state, pki.reset))
    app.add_middleware(SameSiteGate)

    def reply(request_der: bytes) -> Response:
        answer = responder.answer(request_der)
        if answer is None:
            return Response("OCSP responder unavailable", status_code=503, media_type="text/plain")
        return Response(answer, media_type=OCSP_RESPONSE)

    @app.post("/ocsp")
    @app.post("/ocsp/")
    async def ocsp_post(request: Request) -> Response:
        return reply(await request.body())

    @app.get("/ocsp/{encoded:path}")
    def ocsp_get(encoded: str) -> Response:
        try:  # the path arrives percent-decoded; base64 as RFC 6960 A.1.1 sends it
            request_der = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return Response(unsuccessful("malformed_request"), media_type=OCSP_RESPONSE)
        return reply(request_der)

    @app.get("/crl")
    def crl() -> Response:
        fault = responder.crl_fault()
        if fault is RevocationFault.CRL_HTTP_503:
            return Response("CRL repository unavailable", status_code=503, media_type="text/plain")
        served = pki.crl() if fault is None else responder.untrusted_crl(fault)
        return Response(served.public_bytes(serialization.Encoding.DER), media_type=PKIX_CRL)

    @app.get("/ca.pem")
    def ca() -> Response:
        return Response(pki.chain_pem(), media_type="application/x-pem-file")

    @app.post("/_control/revoke/{serial}")
    def revoke(serial: str) -> dict[str, str]:
        try:
            pki.revoke(int(serial, 16))
        except (KeyError, ValueError) as error:
            raise HTTPException(status_code=404, detail=str(error)) from error
        return {"revoked": serial}

    @app.post("/_control/unrevoke/{serial}")
    def unrevoke(serial: str) -> dict[str, str]:
        pki.unrevoke(int(serial, 16))
        return {"unrevoked": serial}

    return app
