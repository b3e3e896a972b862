"""The city departments' card services (臺北卡 卡證服務, PROTOCOLS.md §10), keyed by 身分證字號.

Our API (no public one is known): `GET /api/v1/services?id_number=…` → `{"id_number", "services": [{"service",
"department", "card_number", "status", "bound"}]}`; holdings are set through the control surface
(`PUT /_control/holdings/{id_number}`). `bound` is the 取消綁定/重新綁定 flag of the user guide's 服務管理.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from simulators._control import control_router
from simulators._faults import FaultBook

# The names confirmed in official material (PROTOCOLS.md §10), with the department that issues each.
SERVICES = {
    "敬老卡": "社會局",
    "愛心卡": "社會局",
    "愛心陪伴卡": "社會局",
    "圖書借閱證": "臺北市立圖書館",
    "敬老乘車證": "交通局",
    "愛心乘車證": "交通局",
}


class RegistryFault(StrEnum):
    """What the registry does instead of answering."""

    UNAVAILABLE = "unavailable"  # HTTP 503 for every lookup


class Holding(BaseModel):
    """One card service held under an ID number."""

    service: str
    department: str = ""
    card_number: str = ""
    status: str = "有效"
    bound: bool = True


class Registry:
    """Holdings per ID number."""

    def __init__(self) -> None:
        self.faults = FaultBook({f.value for f in RegistryFault})
        self.lock = threading.Lock()
        self.holdings: dict[str, list[Holding]] = {}
        self.lookups = 0

    def reset(self) -> None:
        with self.lock:
            self.holdings.clear()
            self.lookups = 0

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"people": len(self.holdings), "lookups": self.lookups}


def create_app() -> FastAPI:
    """The registry as an ASGI app."""
    registry = Registry()
    app = FastAPI(title="臺北卡 card-services registry simulator", docs_url=None, redoc_url=None)
    app.state.registry = registry
    app.include_router(control_router(registry.faults, registry.state, registry.reset))

    @app.put("/_control/holdings/{id_number}")
    def set_holdings(id_number: str, holdings: list[Holding]) -> dict[str, Any]:
        with registry.lock:
            registry.holdings[id_number] = [
                h.model_copy(update={"department": h.department or SERVICES.get(h.service, "")}) for h in holdings
            ]
        return {"id_number": id_number, "services": len(holdings)}

    @app.get("/api/v1/services")
    def services(request: Request, id_number: str) -> Response:
        if registry.faults.take(among={RegistryFault.UNAVAILABLE.value}) is not None:
            return Response("卡證服務系統維護中", status_code=503)
        with registry.lock:
            registry.lookups += 1
            held = [h.model_dump() for h in registry.holdings.get(id_number, [])]
        return JSONResponse({"id_number": id_number, "services": held})

    return app
