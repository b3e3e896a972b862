"""Options and fixtures of the agent conformance suite (run by `tpcd certify-agent`, not by the project's tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import allure
import pytest
import requests

from harness.certify.requirements import NEEDS_CARD_CONTROL, REQUIREMENTS
from simulators._secrets import mask_fields
from simulators.agent import AgentClient

HOLDER: dict[str, Any] = {
    "name": "認證測試",
    "id_number": "A123456789",
    "card_number": "CERT000000000001",
    "pin": "123456",
    "puk": "12345678",
    "seed": 424242,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--agent-url", required=True, help="the agent under test, e.g. http://127.0.0.1:61161")
    parser.addoption("--control-url", default=None, help="the simulator's desktop, to control the virtual card")
    parser.addoption("--reader", default=None, help="the PC/SC reader (slotDescription) holding the card")
    parser.addoption("--chromium", default="/usr/bin/chromium", help="Chromium for the popupForm requirement")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the numbered conformance requirement a test checks")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("requirement")
        if marker is None:
            raise pytest.UsageError(f"{item.nodeid} checks no numbered requirement")
        requirement = marker.args[0]
        item.user_properties.append(("requirement", requirement))
        if requirement not in REQUIREMENTS:
            raise pytest.UsageError(f"{item.nodeid}: unknown requirement {requirement}")


@pytest.fixture(autouse=True)
def _label(request: pytest.FixtureRequest) -> None:
    requirement = request.node.get_closest_marker("requirement").args[0]
    allure.dynamic.label("requirement", requirement)
    allure.dynamic.title(f"{requirement} {REQUIREMENTS[requirement]}")


class Agent:
    """HTTP to the agent under test, recording each exchange (PIN masked) in the report."""

    def __init__(self, url: str, reader: str | None) -> None:
        self.url, self.reader = url.rstrip("/"), reader
        self.http = requests.Session()

    def call(
        self, path: str, package: dict[str, Any] | None = None, *, origin: str | None = None, method: str = "POST"
    ) -> requests.Response:
        if package is not None and self.reader and "slotDescription" not in package:
            package = {**package, "slotDescription": self.reader}
        headers = {"Origin": origin} if origin else {}
        data = {"tbsPackage": json.dumps(package)} if package is not None else None
        response = self.http.request(method, self.url + path, data=data, headers=headers, timeout=30)
        shown = mask_fields(package or {})
        allure.attach(
            json.dumps(
                {
                    "request": {"path": path, "origin": origin, "package": shown},
                    "status": response.status_code,
                    "body": response.text[:2000],
                },
                ensure_ascii=False,
                indent=2,
            ),
            name=f"{method} {path}",
            attachment_type=allure.attachment_type.JSON,
        )
        return response

    def json(self, path: str, package: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.call(path, package, **kwargs)
        assert response.status_code == 200, f"{path} answered HTTP {response.status_code}, not 200"
        body: dict[str, Any] = response.json()
        return body

    def sign(self, **fields: Any) -> dict[str, Any]:
        package = {
            "func": "MakeSignature",
            "signatureType": "PKCS1",
            "tbs": "conformance",
            "tbsEncoding": "NONE",
            "hashAlgorithm": "SHA256",
            "withCardSN": "true",
            "pin": HOLDER["pin"],
            "nonce": "",
            **fields,
        }
        return self.json("/sign", package)


@pytest.fixture(scope="session")
def agent(pytestconfig: pytest.Config) -> Agent:
    return Agent(pytestconfig.getoption("agent_url"), pytestconfig.getoption("reader"))


@pytest.fixture(scope="session")
def control(pytestconfig: pytest.Config) -> Iterator[AgentClient | None]:
    url = pytestconfig.getoption("control_url")
    if url is None:
        yield None
        return
    with AgentClient(url) as client:
        yield client


@pytest.fixture(autouse=True)
def fresh_card(request: pytest.FixtureRequest, control: AgentClient | None) -> None:
    """With card control: the certification card in the reader, PIN counter full. Without: skip what needs it."""
    requirement = request.node.get_closest_marker("requirement").args[0]
    if control is None:
        if requirement in NEEDS_CARD_CONTROL:
            pytest.skip("needs the virtual card under control: pass --control-url (a tpcd simulator's desktop)")
        return
    card = control.card()
    if card["inserted"] and (card["holder"] or {}).get("card_number") == HOLDER["card_number"]:
        control.set_tries_left(3)
    else:
        control.insert_card(**HOLDER)
