"""What every HTTP simulator shares: its state class's base, and its control surface (/healthz, /_control/state,
/_control/faults, /_control/reset)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel

from simulators._faults import ArmedFault, FaultBook

S = TypeVar("S")


class Simulator(ABC, Generic[S]):
    """A simulator's logic and state, testable without HTTP: its settings, its armed faults and one lock."""

    fault_enum: ClassVar[type[StrEnum]]  # the faults that may be armed on it, in its protocol's terms

    def __init__(self, settings: S) -> None:
        self.settings = settings
        self.faults = FaultBook({f.value for f in self.fault_enum})
        self.lock = threading.Lock()
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """A fresh start for the next scenario (the control surface also disarms every fault)."""

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """What `GET /_control/state` shows beside the armed faults."""


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


def simulator_app(title: str, simulator: Simulator[Any]) -> FastAPI:
    """An app with the control surface over `simulator` (kept as `app.state.simulator`); callers add the protocol."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None)
    app.state.simulator = simulator
    app.include_router(control_router(simulator.faults, simulator.state, simulator.reset))
    return app
