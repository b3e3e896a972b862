"""Revocation for the test MOICA CA over HTTP: an RFC 6960 OCSP responder and the CRL, with revoke controls."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from simulators._control import control_router
from simulators._faults import FaultBook
from simulators.card.faults import RevocationFault
from simulators.card.pki import TestPki


def _asked_about(request_der: bytes) -> str | None:
    """The serial (hex) an OCSP request asks about: a fault may be armed for one certificate (a shared stack)."""
    try:
        return f"{ocsp.load_der_ocsp_request(request_der).serial_number:x}"
    except ValueError:
        return None


def create_app(pki: TestPki) -> FastAPI:
    """OCSP at POST /ocsp (and GET /ocsp/{base64}), the CRL at GET /crl, the CA certificates for relying parties."""
    app = FastAPI(title="MOICA test CA: OCSP and CRL", docs_url=None, redoc_url=None)
    faults = FaultBook({f.value for f in RevocationFault})
    app.include_router(control_router(faults, pki.state, pki.reset))

    def answer(request_der: bytes) -> Response:
        if faults.take(_asked_about(request_der), among={RevocationFault.OCSP_UNAVAILABLE.value}) is not None:
            return Response("OCSP responder unavailable", status_code=503)
        return Response(pki.ocsp_response(request_der), media_type="application/ocsp-response")

    @app.post("/ocsp")
    async def ocsp_post(request: Request) -> Response:
        return answer(await request.body())

    @app.get("/ocsp/{encoded:path}")
    def ocsp_get(encoded: str) -> Response:
        try:
            return answer(base64.b64decode(encoded))
        except ValueError as error:
            raise HTTPException(status_code=400, detail="not base64") from error

    @app.get("/crl")
    def crl() -> Response:
        return Response(pki.crl().public_bytes(serialization.Encoding.DER), media_type="application/pkix-crl")

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
