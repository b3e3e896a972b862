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
- HTTP (appendix A.1): POST with the DER body (`application/ocsp-request`), or GET with the base64 of the DER in the
  URL path, percent-encoded; every OCSPResponse goes back as `application/ocsp-response`.

The requests MOICA's relying parties send (a SHA-1 CertID and a nonce, docs/protocols/moica-card.md#revocation) are what
`openssl ocsp` sends by default, and it verifies our answers to them.
The CRL (built in pki.py) goes out DER-encoded at GET /crl as `application/pkix-crl` (RFC 5280 §4.2.1.13, RFC 2585).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import core
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.ocsp import OCSPCertStatus
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from simulators.card.faults import RevocationFault
from simulators.card.pki import TestPki
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


class OcspResponder:
    """The test MOICA CA's OCSP responder: one DER OCSPRequest in, one DER OCSPResponse out."""

    def __init__(self, pki: TestPki) -> None:
        self.pki = pki
        self.faults = FaultBook({f.value for f in RevocationFault})

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
        if fault is not None:
            return unsuccessful(UNSUCCESSFUL[RevocationFault(fault)])
        nonces = [ext for ext in tbs["request_extensions"] or [] if ext["extn_id"].dotted == NONCE]
        return self._successful(cert_ids, nonces)

    def _fault(self, serials: list[str]) -> str | None:
        """The armed fault for any of the requested serials (hex, as the revoke controls name them), or a global one."""
        for serial in serials:
            armed = self.faults.take(serial)
            if armed is not None:
                return armed.fault
        return None

    def _successful(self, cert_ids: list[asn1_ocsp.CertId], nonces: list[asn1_ocsp.TBSRequestExtension]) -> bytes:
        now = datetime.now(UTC).replace(microsecond=0)
        this_update = now - timedelta(minutes=1)
        responses = [
            asn1_ocsp.SingleResponse(
                {
                    "cert_id": cert_id,
                    "cert_status": self._status(cert_id),
                    "this_update": this_update,
                    "next_update": this_update + ANSWER_LIFETIME,
                }
            )
            for cert_id in cert_ids
        ]
        data: dict[str, Any] = {
            "responder_id": asn1_ocsp.ResponderId(name="by_key", value=hashlib.sha1(self._ca_key_bits()).digest()),
            "produced_at": now,
            "responses": responses,
        }
        if nonces:
            data["response_extensions"] = [asn1_ocsp.ResponseDataExtension.load(nonces[0].dump())]
        response_data = asn1_ocsp.ResponseData(data)
        signature = self.pki.ca_key.sign(response_data.dump(), padding.PKCS1v15(), hashes.SHA256())
        ca_der = self.pki.ca_cert.public_bytes(serialization.Encoding.DER)
        basic = asn1_ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": response_data,
                "signature_algorithm": {"algorithm": "sha256_rsa", "parameters": core.Null()},
                "signature": signature,
                "certs": [asn1_x509.Certificate.load(ca_der)],
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
        return self.pki.ca_cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


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
        return Response(pki.crl().public_bytes(serialization.Encoding.DER), media_type=PKIX_CRL)

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
