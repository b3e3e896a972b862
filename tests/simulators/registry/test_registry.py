"""The card-services registry as the portal reads it: plain HTTP, our documented JSON (docs/protocols/registry.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from simulators.control import CONTROL_HEADER
from simulators.registry import Holding, RegistryClient, RegistryFault, RegistrySettings, create_app
from simulators.serving import serve_asgi

CONTROL = {CONTROL_HEADER: "1"}  # what every tool of a control surface sends (simulators.control)

ID_NUMBER = "A123456789"


@pytest.fixture
def registry_url() -> Iterator[str]:
    with serve_asgi(create_app(), name="registry") as url:
        yield url


def _lookup(url: str, id_number: str = ID_NUMBER) -> requests.Response:
    return requests.get(f"{url}/api/v1/services", params={"id_number": id_number}, timeout=5)


def test_holdings_as_the_portal_reads_them(registry_url: str) -> None:
    with RegistryClient(registry_url) as client:
        client.set_holdings(ID_NUMBER, [Holding("敬老卡", card_number="123"), Holding("其他卡", bound=False)])
        assert [s.service for s in client.services(ID_NUMBER)] == ["敬老卡", "其他卡"]
    assert _lookup(registry_url).json() == {
        "id_number": ID_NUMBER,
        "services": [
            {"service": "敬老卡", "card_number": "123", "department": "社會局", "status": "有效", "bound": True},
            {"service": "其他卡", "card_number": "", "department": "", "status": "有效", "bound": False},
        ],
    }
    assert _lookup(registry_url, "B223456789").json() == {"id_number": "B223456789", "services": []}


def test_departments_come_from_the_settings() -> None:
    settings = RegistrySettings(departments={"敬老卡": "測試局"})
    with serve_asgi(create_app(settings), name="registry") as url, RegistryClient(url) as client:
        client.set_holdings(ID_NUMBER, [Holding("敬老卡")])
        assert client.services(ID_NUMBER)[0].department == "測試局"


def test_unavailable_for_one_id_number_then_reset(registry_url: str) -> None:
    with RegistryClient(registry_url) as client:
        client.set_holdings(ID_NUMBER, [Holding("圖書借閱證")])
        client.arm(RegistryFault.UNAVAILABLE, match=ID_NUMBER, times=None)
        assert _lookup(registry_url).status_code == 503
        assert _lookup(registry_url, "B223456789").status_code == 200
        assert client.state()["lookups"] == 1
        client.reset()
        assert client.services(ID_NUMBER) == ()


def test_a_bad_holding_is_refused_in_the_registry_s_terms(registry_url: str) -> None:
    refused = requests.put(
        f"{registry_url}/_control/holdings/{ID_NUMBER}", json=[{"card_number": "1"}], headers=CONTROL, timeout=5
    )
    assert refused.status_code == 422
    assert "service" in refused.text


@pytest.mark.parametrize(
    ("fault", "services"),
    [
        (RegistryFault.SERVICES_NULL, None),
        (RegistryFault.ENTRY_AS_TEXT, ["敬老卡", "其他卡"]),
        (
            RegistryFault.DEPARTMENT_NULL,
            [
                {"service": "敬老卡", "card_number": "123", "department": None, "status": "有效", "bound": True},
                {"service": "其他卡", "card_number": "", "department": None, "status": "有效", "bound": False},
            ],
        ),
        (
            RegistryFault.BOUND_AS_TEXT,
            [
                {"service": "敬老卡", "card_number": "123", "department": "社會局", "status": "有效", "bound": "true"},
                {"service": "其他卡", "card_number": "", "department": "", "status": "有效", "bound": "false"},
            ],
        ),
    ],
)
def test_an_answer_outside_the_contract_is_still_http_200_and_json(
    registry_url: str, fault: RegistryFault, services: object
) -> None:
    with RegistryClient(registry_url) as client:
        client.set_holdings(ID_NUMBER, [Holding("敬老卡", card_number="123"), Holding("其他卡", bound=False)])
        client.arm(fault, match=ID_NUMBER)
    bent = _lookup(registry_url)
    assert (bent.status_code, bent.headers["content-type"]) == (200, "application/json")
    assert bent.json() == {"id_number": ID_NUMBER, "services": services}
    assert _lookup(registry_url).json()["services"][0] == {  # armed once: the next lookup keeps the contract
        "service": "敬老卡",
        "card_number": "123",
        "department": "社會局",
        "status": "有效",
        "bound": True,
    }
