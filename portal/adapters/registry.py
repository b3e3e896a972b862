"""Look up the card services held under a 身分證字號 in the city departments' registry (docs/protocols/registry.md, our
API: `GET /api/v1/services?id_number=…` → `{"id_number": …, "services": [{"service", "department", "card_number",
"status", "bound"}]}`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


class RegistryUnavailable(RuntimeError):
    """The registry did not answer, or answered outside its contract; the member home says the list is unavailable."""


@dataclass(frozen=True, slots=True)
class ListedCardService:
    """One card service held (敬老卡, 圖書借閱證 …); `bound` is the 取消綁定/重新綁定 flag of 服務管理."""

    service: str
    department: str
    card_number: str
    status: str
    bound: bool


class CardServicesRegistry:
    """A GET per lookup, keyed by ID number."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def services(self, id_number: str) -> tuple[ListedCardService, ...]:
        """The card services held under `id_number`, in the registry's order; RegistryUnavailable when it fails."""
        try:
            reply = requests.get(
                f"{self.base_url}/api/v1/services", params={"id_number": id_number}, timeout=self.timeout
            )
            reply.raise_for_status()
            body = reply.json()
        except (requests.RequestException, ValueError) as error:
            raise RegistryUnavailable(str(error)) from error
        entries = body.get("services") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise RegistryUnavailable(f"no services list in the registry's reply: {str(body)[:200]}")
        return tuple(_card_service(entry) for entry in entries)


def _card_service(entry: Any) -> ListedCardService:
    """One entry of the reply, its five fields checked for their types."""
    text_fields = ("service", "department", "card_number", "status")
    if (
        not isinstance(entry, dict)
        or not all(isinstance(entry.get(name), str) for name in text_fields)
        or not isinstance(entry.get("bound"), bool)
    ):
        raise RegistryUnavailable(f"a services entry outside the contract: {str(entry)[:200]}")
    return ListedCardService(
        entry["service"], entry["department"], entry["card_number"], entry["status"], entry["bound"]
    )
