"""The control surface every HTTP simulator offers: /healthz, /_control/state, /_control/faults, /_control/reset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from simulators._faults import ArmedFault, FaultBook


class FaultRequest(BaseModel):
    """Body of `POST /_control/faults`."""

    fault: str
    match: str | None = None
    times: int | None = 1
    seconds: float | None = None


def control_router(faults: FaultBook, state: Callable[[], dict[str, Any]], reset: Callable[[], None]) -> APIRouter:
    """Routes that let tests (and people) inspect, break and reset a simulator at runtime."""
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/_control/state")
    def get_state() -> dict[str, Any]:
        return {**state(), "faults": faults.state()}

    @router.post("/_control/faults")
    def arm(request: FaultRequest) -> dict[str, Any]:
        try:
            faults.arm(ArmedFault(request.fault, request.match, request.times, request.seconds))
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        return {"faults": faults.state()}

    @router.post("/_control/reset")
    def do_reset() -> dict[str, str]:
        faults.clear()
        reset()
        return {"status": "reset"}

    return router
