"""The twin's own controls (only with PortalSettings.twin_controls): move its clock forward for expiry scenarios."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request

from portal import deps

router = APIRouter(prefix="/_twin")


@router.post("/clock/advance")
def advance(request: Request, seconds: Annotated[float, Form()]) -> dict[str, float]:
    """Let `seconds` pass for the portal (code expiry, resend cooldown)."""
    try:
        offset = deps.clock(request).advance(seconds)
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    return {"offset": offset}


@router.post("/clock/reset")
def reset(request: Request) -> dict[str, float]:
    """Back to real time."""
    deps.clock(request).reset()
    return {"offset": 0.0}
