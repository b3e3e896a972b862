"""The city departments' card services (臺北卡 卡證服務, docs/protocols/registry.md), keyed by 身分證字號.

Our API (no public one is known): `GET /api/v1/services?id_number=…` → `{"id_number", "services": [{"service",
"card_number", "department", "status", "bound"}]}` (`simulators/registry/models.py`); holdings are set through the
control surface (`PUT /_control/holdings/{id_number}` with a list of services).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from simulators.control import Simulator, simulator_app
from simulators.registry.faults import RegistryFault
from simulators.registry.models import Holding, Holdings

# The card services confirmed in official material (docs/protocols/registry.md), with the department that issues each.
DEPARTMENTS = MappingProxyType(
    {
        "敬老卡": "社會局",
        "愛心卡": "社會局",
        "愛心陪伴卡": "社會局",
        "圖書借閱證": "臺北市立圖書館",
        "敬老乘車證": "交通局",
        "愛心乘車證": "交通局",
    }
)


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """Which department issues each card service (filled in where a holding does not say)."""

    departments: Mapping[str, str] = field(default_factory=lambda: DEPARTMENTS)


class Registry(Simulator[RegistrySettings]):
    """Holdings per ID number."""

    fault_enum = RegistryFault

    def reset(self) -> None:
        with self.lock:
            self.holdings: dict[str, tuple[Holding, ...]] = {}
            self.lookups = 0

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"people": len(self.holdings), "lookups": self.lookups}

    def set_holdings(self, id_number: str, services: list[Holding]) -> None:
        """Replace what `id_number` holds, with each service's department filled in when known."""
        departments = self.settings.departments
        held = tuple(replace(s, department=s.department or departments.get(s.service, "")) for s in services)
        with self.lock:
            self.holdings[id_number] = held

    def answer(self, id_number: str) -> dict[str, Any] | None:
        """`GET /api/v1/services`'s JSON for `id_number`, outside the contract while a fault of that kind is armed
        for it; None while an UNAVAILABLE fault (for everyone or for this ID) holds."""
        fault = self.faults.take(id_number)
        if fault is not None and fault.fault == RegistryFault.UNAVAILABLE:
            return None
        with self.lock:
            self.lookups += 1
            wire = Holdings(id_number, self.holdings.get(id_number, ())).to_wire()
        return wire if fault is None else malformed(RegistryFault(fault.fault), wire)


def malformed(fault: RegistryFault, wire: dict[str, Any]) -> dict[str, Any]:
    """The lookup's answer `wire` as `fault` (one that answers outside the contract) bends it."""
    entries: list[dict[str, Any]] = wire["services"]
    if fault is RegistryFault.SERVICES_NULL:
        return {**wire, "services": None}
    if fault is RegistryFault.ENTRY_AS_TEXT:
        return {**wire, "services": [entry["service"] for entry in entries]}
    if fault is RegistryFault.DEPARTMENT_NULL:
        return {**wire, "services": [{**entry, "department": None} for entry in entries]}
    return {**wire, "services": [{**entry, "bound": str(entry["bound"]).lower()} for entry in entries]}


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    """The registry as an ASGI app."""
    registry = Registry(settings or RegistrySettings())
    app = simulator_app("臺北卡 card-services registry simulator", registry)

    @app.put("/_control/holdings/{id_number}")
    def set_holdings(id_number: str, services: list[Holding]) -> dict[str, Any]:
        registry.set_holdings(id_number, services)
        return {"id_number": id_number, "services": len(services)}

    @app.get("/api/v1/services")
    def services(id_number: str) -> Response:
        answer = registry.answer(id_number)
        if answer is None:
            return Response("卡證服務系統維護中", status_code=503)
        return JSONResponse(answer)

    return app
