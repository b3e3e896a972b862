"""The card's control surface over HTTP: what a person, a test or `tpcd certify-agent --control-url` does to the card.

`GET /_control/card` (reader, holder, PIN tries, profile), `POST /_control/card/insert` (JSON holder),
`/_control/card/remove`, `/_control/card/reset` (no card, the reader plugged in, nothing revoked),
`/_control/card/tries` (form `tries`), `/_control/card/faults` (JSON `{"fault": …}`, a
CardFault: block, revoke, expire, not yet valid, removed mid-signature), `/_control/card/reader` (JSON
`{"plugged": …}`; 409 when the reader is not ours to unplug), `GET /_control/card/chain` (the issuing CA chain, PEM).
The agent simulator's desktop carries these routes for its own reader; `tpcd card` serves them for a card plugged
into a remote vpcd reader. Bound beyond loopback, every `/_control/*` path demands a bearer token (ControlToken).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, HTTPException
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.card import CardHolder
from simulators.card.client import CardClient, ReaderNotHere
from simulators.card.faults import CardFault
from simulators.control import AUTHORIZED, SameSiteGate


class HolderRequest(BaseModel):
    """Body of `POST /_control/card/insert`: whom the card is personalised for."""

    name: str
    id_number: str
    card_number: str
    pin: str
    puk: str = "12345678"
    seed: int = 0


class FaultRequest(BaseModel):
    """Body of `POST /_control/card/faults`."""

    fault: CardFault


class ReaderRequest(BaseModel):
    """Body of `POST /_control/card/reader`."""

    plugged: bool


def card_router(card: CardClient) -> APIRouter:
    """The card's control routes over `card`."""
    router = APIRouter()

    @router.get("/_control/card")
    def state() -> dict[str, Any]:
        return card.state()

    @router.post("/_control/card/insert")
    def insert(holder: HolderRequest) -> dict[str, Any]:
        card.insert(CardHolder(**holder.model_dump()))
        return card.state()

    @router.post("/_control/card/reset")
    def reset() -> dict[str, Any]:
        card.reset()
        return card.state()

    @router.post("/_control/card/remove")
    def remove() -> dict[str, Any]:
        card.remove()
        return card.state()

    @router.post("/_control/card/tries")
    def tries(tries: Annotated[int, Form()]) -> dict[str, Any]:
        _in_reader(card.set_tries_left, tries)
        return card.state()

    @router.post("/_control/card/faults")
    def fault(request: FaultRequest) -> dict[str, Any]:
        _in_reader(card.arm, request.fault)
        return card.state()

    @router.post("/_control/card/reader")
    def reader(request: ReaderRequest) -> dict[str, Any]:
        try:
            card.plug(request.plugged)
        except ReaderNotHere as error:
            raise HTTPException(status_code=409, detail=str(error)) from error
        return card.state()

    @router.get("/_control/card/chain")
    def chain() -> Response:
        return Response(card.chain_pem(), media_type="application/x-pem-file")

    return router


def _in_reader(action: Any, value: Any) -> None:
    """Run a control that needs a card in the reader; 409 when there is none."""
    try:
        action(value)
    except RuntimeError as error:  # CardClient: "no card in the reader"
        raise HTTPException(status_code=409, detail=str(error)) from error


def create_card_app(card: CardClient) -> FastAPI:
    """The control surface alone, for `tpcd card`: /healthz and the card's routes."""
    app = FastAPI(title="virtual MOICA card: control surface", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(card_router(card))
    app.add_middleware(SameSiteGate)
    return app


class ControlToken:
    """Demand `Authorization: Bearer <token>` on every `/_control/*` path (docs/design.md#the-stack-token: a control
    surface bound beyond loopback); the protocol surfaces beside it stay open."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/_control"):
            given = Headers(scope=scope).get("authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                headers = {"WWW-Authenticate": "Bearer"}
                refusal = PlainTextResponse("this control surface needs its bearer token", 401, headers=headers)
                await refusal(scope, receive, send)
                return
            scope = {**scope, AUTHORIZED: True}  # the token holder's tools, from anywhere (simulators.control)
        await self.app(scope, receive, send)
