"""Wire records of the card-services registry (our field names, docs/protocols/registry.md): the service and the client
both use them, so each key is spelled once, as a field name here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Holding:
    """One card service held under an ID number; `bound` is the 取消綁定/重新綁定 flag of the user guide's 服務管理."""

    service: str  # 敬老卡, 圖書借閱證 …
    card_number: str = ""
    department: str = ""  # the issuing department; the registry fills in the known ones
    status: str = "有效"
    bound: bool = True


@dataclass(frozen=True, slots=True)
class Holdings:
    """What the registry answers for one ID number."""

    id_number: str
    services: tuple[Holding, ...]

    def to_wire(self) -> dict[str, Any]:
        """`GET /api/v1/services`'s answer."""
        return asdict(self)

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Holdings:
        """Parse `GET /api/v1/services`'s answer."""
        return cls(wire["id_number"], tuple(Holding(**held) for held in wire["services"]))
