"""The portal's card-services registry adapter against the registry's documented replies (docs/protocols/registry.md,
our API as `simulators/registry/service.py` serves it), held by `responses`."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from responses import matchers

from portal.adapters.registry import CardServicesRegistry, ListedCardService, RegistryUnavailable

BASE = "https://registry.example.test"
URL = f"{BASE}/api/v1/services"
ID_NUMBER = "A123456789"
HELD = [
    {"service": "敬老卡", "department": "社會局", "card_number": "E-0001", "status": "有效", "bound": True},
    {"service": "圖書借閱證", "department": "臺北市立圖書館", "card_number": "L-42", "status": "有效", "bound": False},
]


def _registry() -> CardServicesRegistry:
    return CardServicesRegistry(BASE + "/", timeout=2)


@responses.activate
def test_services_come_back_typed_in_the_registrys_order_for_the_id_number_asked() -> None:
    responses.get(
        URL,
        json={"id_number": ID_NUMBER, "services": HELD},
        match=[matchers.query_param_matcher({"id_number": ID_NUMBER})],
    )
    assert _registry().services(ID_NUMBER) == (
        ListedCardService("敬老卡", "社會局", "E-0001", "有效", bound=True),
        ListedCardService("圖書借閱證", "臺北市立圖書館", "L-42", "有效", bound=False),
    )


@responses.activate
def test_nobody_holding_anything_is_an_empty_list_not_a_failure() -> None:
    responses.get(URL, json={"id_number": ID_NUMBER, "services": []})
    assert _registry().services(ID_NUMBER) == ()


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 503, "body": "卡證服務系統維護中"},
        {"body": "<html>oops</html>"},
        {"json": {"id_number": ID_NUMBER}},
        {"json": [HELD]},
        {"json": {"id_number": ID_NUMBER, "services": [{**HELD[0], "bound": "yes"}]}},
        {"json": {"id_number": ID_NUMBER, "services": [{"service": "敬老卡"}]}},
        {"body": requests.ConnectTimeout("x")},
    ],
    ids=["http-503", "not-json", "no-services", "not-an-object", "bound-not-boolean", "fields-missing", "timeout"],
)
@responses.activate
def test_no_proper_answer_means_unavailable(reply: dict[str, Any]) -> None:
    responses.get(URL, **reply)
    with pytest.raises(RegistryUnavailable):
        _registry().services(ID_NUMBER)
