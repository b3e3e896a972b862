"""Options and fixtures of the agent conformance suite (run by `tpcd certify-agent`, not by the project's tests).

Three rules hold the suite to what a certificate means:
- FAIL is the agent's (a wrong code, a signature that does not verify, an answer it cannot parse, a dropped
  connection); ERROR is the suite's own (its control surface, its browser, its page server): anything raised in a
  test is the agent's failure unless it is a ToolError.
- No wrong PIN ever reaches a card the suite does not control, and never more wrong PINs than the card has tries:
  every PIN the suite sends is the card's own, or spent through `Agent.wrong_pins`, which checks both.
- Requirements are independent: with card control, every test starts from the certification card in the reader,
  plugged in, PIN counter full, nothing revoked; sites a test trusts are its own.
- What the suite changed in the agent it takes back: each site it put on the trusted list is taken off at the end
  (through the control surface of a tpcd agent desktop), or reported as left there (--run-info, then the verdict).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import allure
import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from domain.card import CardHolder
from domain.masking import mask_fields
from harness.certify.requirements import NEEDS, REQUIREMENTS, Need
from harness.certify.suite.portal import GoldPages, PageError, PortalStandIn, page_source
from harness.lifeline import watch_parent
from simulators.card import CardFault
from simulators.card.client import CardControlClient
from simulators.card.models import CardState
from simulators.client import SimulatorError
from simulators.control import CONTROL_HEADER
from simulators.serving import RunningServer

# The card the suite puts in a reader it controls: a test card of the test PKI, never a person's.
HOLDER = CardHolder("認證測試", "A123456789", "CERT000000000001", "123456", "12345678", seed=424242)
PIN_VARIABLE, TOKEN_VARIABLE = "CERTIFY_AGENT_PIN", "CERTIFY_CONTROL_TOKEN"  # secrets travel outside argv
SITE_DOMAIN = "certify.test"  # RFC 6761 reserved; Chromium maps *.certify.test to 127.0.0.1 for the page sites
BUNDLED = "playwright"  # --chromium playwright: the Chromium `playwright install chromium` downloaded
RUN_INFO: dict[str, Any] = {"browser": None}  # what the run learnt besides results: written to --run-info at the end


class ToolError(Exception):
    """The suite itself could not do its part (control surface, browser, page server): reported as ERROR."""


class AgentFailure(AssertionError):
    """The agent's answer made the requirement fail in a way no assert named (reported as FAIL)."""


@dataclass(frozen=True, slots=True)
class Options:
    """What certify-agent was told."""

    agent_url: str
    control_url: str | None
    control_token: str | None
    reader: str | None
    pin: str | None  # the card's PIN when the suite does not control the card
    holder_id: str | None  # the card holder's 身分證字號 when the suite does not control the card
    chromium: str
    portal_page: str | None = None  # the deployed portal's agent script by URL (default: the pinned copy)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--agent-url", required=True, help="the agent under test, e.g. http://127.0.0.1:61161")
    parser.addoption("--control-url", default=None, help="the card's control surface (a tpcd card, a tpcd desktop)")
    parser.addoption("--reader", default=None, help="the PC/SC reader (slotDescription) holding the card")
    parser.addoption("--holder", default=None, help="the card holder's 身分證字號 (a card not under control)")
    parser.addoption(
        "--chromium",
        default="/usr/bin/chromium",
        help=f"Chromium for the browser requirements ({BUNDLED}: Playwright's)",
    )
    parser.addoption("--only", default="", help="comma-separated requirements to run (default: all)")
    parser.addoption("--portal-page", default=None, help="the deployed portal's agent script (default: pinned copy)")
    parser.addoption("--run-info", default=None, help="where to write what the run learnt (browser, trusted sites)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the numbered conformance requirement a test checks")
    watch_parent()  # a child of `tpcd certify-agent` stops as on Ctrl-C when it ends or asks (harness/lifeline.py)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write what the run learnt besides the results (the browser, the trusted sites) for the verdict."""
    target = session.config.getoption("run_info")
    if target:
        Path(target).write_text(json.dumps(RUN_INFO, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    only = {requirement for requirement in config.getoption("only").split(",") if requirement}
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("requirement")
        if marker is None:
            raise pytest.UsageError(f"{item.nodeid} checks no numbered requirement")
        if marker.args[0] not in REQUIREMENTS:
            raise pytest.UsageError(f"{item.nodeid}: unknown requirement {marker.args[0]}")
        (kept if not only or marker.args[0] in only else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Iterator[None]:
    """Whatever a test raises is the agent's failure (FAIL), unless it is the suite's own (ToolError: ERROR)."""
    try:
        return (yield)
    except (ToolError, AssertionError, pytest.skip.Exception):
        raise
    except Exception as error:
        raise AgentFailure(f"the agent's answer could not be used: {type(error).__name__}: {error}") from error


def _requirement(request: pytest.FixtureRequest) -> str:
    return str(request.node.get_closest_marker("requirement").args[0])


@pytest.fixture(scope="session")
def options(pytestconfig: pytest.Config) -> Options:
    return Options(
        agent_url=pytestconfig.getoption("agent_url").rstrip("/"),
        control_url=pytestconfig.getoption("control_url"),
        control_token=os.environ.get(TOKEN_VARIABLE) or None,
        reader=pytestconfig.getoption("reader"),
        pin=os.environ.get(PIN_VARIABLE) or None,
        holder_id=pytestconfig.getoption("holder"),
        chromium=pytestconfig.getoption("chromium"),
        portal_page=pytestconfig.getoption("portal_page"),
    )


class Agent:
    """HTTP to the agent under test, recording each exchange (PIN masked) in the report; the suite's PIN guard."""

    def __init__(self, url: str, reader: str | None, pin: str | None) -> None:
        self.url, self.reader, self.pin = url, reader, pin
        self.http = requests.Session()
        self._wrong_pins_left = 0
        self.trusted_by_suite: dict[str, str] = {}  # hostname → an origin of it: sites the suite (maybe) made trusted

    def call(
        self,
        path: str,
        package: dict[str, Any] | None = None,
        *,
        origin: str | None = None,
        host: str | None = None,
        method: str = "POST",
        form: dict[str, str] | None = None,
    ) -> requests.Response:
        """One request as a page (with `origin`) or a native client would send it; `host` overrides Host."""
        if package is not None:
            self._guard(package.get("pin"))
            if self.reader and "slotDescription" not in package:
                package = {**package, "slotDescription": self.reader}
        headers = {name: value for name, value in (("Origin", origin), ("Host", host)) if value}
        data = {"tbsPackage": json.dumps(package)} if package is not None else form
        try:
            response = self.http.request(method, self.url + path, data=data, headers=headers, timeout=30)
        except requests.RequestException as error:
            raise AgentFailure(f"{method} {path}: the agent did not answer ({type(error).__name__})") from error
        allure.attach(
            json.dumps(
                {
                    "request": {"path": path, "origin": origin, "host": host, "package": mask_fields(package or {})},
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
        """The JSON answer, whatever its HTTP status: a page reads the body either way (the status is AG-11's)."""
        response = self.call(path, package, **kwargs)
        try:
            body = response.json()
        except ValueError as error:
            raise AgentFailure(f"{path} answered something that is not JSON: {response.text[:200]!r}") from error
        assert isinstance(body, dict), f"{path} answered {type(body).__name__}, not a JSON object"
        return body

    def package(self, **fields: Any) -> dict[str, Any]:
        """A MakeSignature package with the card's own PIN when the suite knows it (and no PIN field otherwise)."""
        package: dict[str, Any] = {
            "func": "MakeSignature",
            "signatureType": "PKCS1",
            "tbs": "conformance",
            "tbsEncoding": "NONE",
            "hashAlgorithm": "SHA256",
            "withCardSN": "true",
            "nonce": "",
        }
        if self.pin is not None:
            package["pin"] = self.pin
        return {**package, **fields}

    def sign(self, **fields: Any) -> dict[str, Any]:
        """POST /sign as a native client."""
        return self.json("/sign", self.package(**fields))

    def _guard(self, pin: object) -> None:
        if pin is None or pin == "" or pin == self.pin:
            return
        if self._wrong_pins_left <= 0:
            raise ToolError("the suite tried to send a wrong PIN outside Agent.wrong_pins (a bug in the suite)")
        self._wrong_pins_left -= 1

    @contextmanager
    def wrong_pins(self, card: Card, count: int) -> Iterator[None]:
        """Allow `count` wrong PINs (any PIN but the card's), only on a card under control with that many tries left."""
        left = card.state().pin_tries
        if left is None or left < count:
            raise ToolError(f"refusing to send {count} wrong PINs to a card with {left} tries left")
        self._wrong_pins_left = count
        try:
            yield
        finally:
            self._wrong_pins_left = 0

    def may_trust(self, origin: str) -> None:
        """Note a site the suite is about to put on the trusted list (or try to): taken off again at the end."""
        self.trusted_by_suite.setdefault(urlparse(origin).hostname or origin, origin)

    def trusts(self, origin: str) -> bool:
        """Whether the agent takes calls from the site at `origin`: a /sign without PIN is refused with 0x76000031
        by a site check, else turned down for the missing PIN. Spends no try either way."""
        package = {key: value for key, value in self.package().items() if key != "pin"}
        return unsigned(self.json("/sign", package, origin=origin)["ret_code"]) != UNTRUSTED


UNTRUSTED = 0x76000031


def carries(body: dict[str, Any], name: str) -> bool:
    """Whether an answer carries a value in field `name`: an empty one (`"signature": ""`, null) is none. What an
    answer means is its ret_code; empty fields beside a refusal are a client library's habit, not a signature."""
    return body.get(name) not in (None, "", [], {})


def unsigned(code: int) -> int:
    """A code as the vendor tables write it: HiPKI sends signed 32-bit numbers (docs/protocols/hipki-agent.md)."""
    return int(code) & 0xFFFFFFFF


class Card:
    """The card under control, through its control surface; any failure there is the suite's (ToolError)."""

    def __init__(self, client: CardControlClient) -> None:
        self.client = client
        self.dirty = True  # a test changed more than the PIN counter: start the next one from a new card

    def _do(self, what: str, action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except (SimulatorError, requests.RequestException) as error:
            raise ToolError(f"the card's control surface could not {what}: {error}") from error

    def state(self) -> CardState:
        state: CardState = self._do("report the card", self.client.state)
        return state

    def fresh(self) -> None:
        """The certification card in the plugged-in reader, PIN counter full, nothing revoked."""
        state = self.state()
        if self.dirty or not (state.plugged and state.inserted and state.card_number == HOLDER.card_number):
            self._do("reset the card", self.client.reset_card)
            self._do("insert the certification card", self.client.insert, HOLDER)
            self.dirty = False
        elif state.pin_tries != 3:
            self._do("reset the PIN counter", self.client.set_tries_left, 3)

    def remove(self) -> None:
        self.dirty = True
        self._do("pull the card out", self.client.remove)

    def insert(self) -> None:
        self._do("insert the certification card", self.client.insert, HOLDER)

    def arm(self, fault: CardFault) -> None:
        self.dirty = True
        self._do(f"arm {fault}", self.client.arm, fault)

    def plug(self, plugged: bool) -> bool:
        """Plug the reader in or out; False when the control surface cannot (the reader is not ours to unplug)."""
        self.dirty = True
        try:
            self.client.plug(plugged)
        except SimulatorError as error:
            if "→ 409" in str(error):
                return False
            raise ToolError(f"the card's control surface could not plug the reader: {error}") from error
        return True

    def chain_pem(self) -> bytes:
        chain: bytes = self._do("give the card's CA chain", self.client.chain_pem)
        return chain


@pytest.fixture(scope="session")
def card(options: Options) -> Iterator[Card | None]:
    if options.control_url is None:
        yield None
        return
    with CardControlClient(options.control_url, token=options.control_token) as client:
        controlled = Card(client)
        try:
            yield controlled
        finally:
            controlled.fresh()  # leave the card as a person expects it: in, unlocked


@pytest.fixture(scope="session")
def agent(options: Options, card: Card | None) -> Iterator[Agent]:
    under_test = Agent(options.agent_url, options.reader, HOLDER.pin if card is not None else options.pin)
    try:
        yield under_test
    finally:
        RUN_INFO["trusted_sites"] = untrust(under_test, options)


def untrust(agent: Agent, options: Options) -> dict[str, Any]:
    """Take off the trusted list each site the suite put there; say what was taken off and what is left."""
    added = {site: origin for site, origin in agent.trusted_by_suite.items() if _still_trusted(agent, origin)}
    removed: list[str] = []
    for site, origin in added.items():
        if options.control_url is None:
            break
        headers = {CONTROL_HEADER: "1"}  # what the control surface asks of a tool (a cross-site page cannot send it)
        if options.control_token:
            headers["Authorization"] = f"Bearer {options.control_token}"
        try:
            answer = requests.post(
                options.control_url.rstrip("/") + "/_control/distrust",
                data={"domain": site},
                headers=headers,
                timeout=10,
            )
        except requests.RequestException:
            break
        if answer.status_code == 404 and "trusted" not in answer.text:
            break  # this control surface has no trusted-site list (a `tpcd card`, not an agent desktop)
        if not _still_trusted(agent, origin):
            removed.append(site)
    left = sorted(set(added) - set(removed))
    how = (
        "taken off through the control surface's /_control/distrust"
        if removed or not left
        else "the HiPKI protocol has no call that takes a site off, and the control surface (if any) has none: "
        "remove these sites in the agent's trusted-site settings"
    )
    return {"added": sorted(added), "removed": sorted(removed), "left": left, "how": how}


def _still_trusted(agent: Agent, origin: str) -> bool:
    try:
        return agent.trusts(origin)
    except (AssertionError, KeyError, ToolError):
        return False  # an agent that no longer answers cannot be asked; the verdict's evidence says why


@pytest.fixture(autouse=True)
def _requirement_setup(request: pytest.FixtureRequest, agent: Agent, card: Card | None) -> None:
    """Label the test with its requirement; skip what cannot run here, saying why; start from a fresh card."""
    requirement = _requirement(request)
    allure.dynamic.label("requirement", requirement)
    allure.dynamic.title(f"{requirement} {REQUIREMENTS[requirement]}")
    needs = NEEDS.get(requirement, frozenset())
    if card is None and needs & {Need.CONTROL, Need.READER}:
        pytest.skip(
            "needs the card under control (--control-url of a `tpcd card` or a tpcd agent desktop): it sends wrong "
            "PINs, pulls the card out or changes it, which the suite never does to a card it does not control"
        )
    if Need.PIN in needs and agent.pin is None:
        pytest.skip("needs the card's PIN: pass --pin (the suite then sends no other PIN), or --control-url")
    if card is not None:
        card.fresh()


@pytest.fixture
def note() -> Any:
    """Record a line of evidence for the requirement (the verdict's `evidence`)."""
    lines: list[str] = []

    def add(line: str) -> None:
        lines.append(line)
        allure.dynamic.description("\n".join(lines))

    return add


@pytest.fixture(scope="session")
def chromium(options: Options, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Debian's Chromium; *.certify.test resolves to 127.0.0.1 (the page sites), nothing else leaves the machine."""
    home = tmp_path_factory.mktemp("chromium-home")
    rules = f"MAP *.{SITE_DOMAIN} 127.0.0.1 , MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"
    executable = None if options.chromium == BUNDLED else options.chromium
    try:
        playwright = sync_playwright().start()
    except Exception as error:
        raise ToolError(f"Playwright did not start: {error}") from error
    try:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable,
                args=[f"--host-resolver-rules={rules}"],
                env={**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")},
            )
        except Exception as error:
            raise ToolError(f"Chromium did not start from {options.chromium}: {error}") from error
        RUN_INFO["browser"] = f"Chromium {browser.version} ({options.chromium})"
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context and page for one requirement."""
    try:
        context = chromium.new_context(locale="zh-TW")
    except Exception as error:
        raise ToolError(f"Chromium could not open a context: {error}") from error
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def portal_server(options: Options) -> Iterator[tuple[PortalStandIn, int]]:
    """The portal's pages, served on a port of their own (reached as 127.0.0.1 or as a *.certify.test name)."""
    try:
        standin = PortalStandIn(options.agent_url, page_source(options.portal_page))
    except PageError as error:
        raise ToolError(f"the portal's pages could not be had: {error}") from error
    RUN_INFO["page"] = standin.source.described
    try:
        running = RunningServer(standin.app(), name="portal-stand-in", host="127.0.0.1", port=0, timeout=10)
    except Exception as error:
        raise ToolError(f"the portal's pages could not be served: {error}") from error
    try:
        yield standin, int(running.url.rsplit(":", 1)[1])
    finally:
        running.stop()


@dataclass(frozen=True, slots=True)
class Portal:
    """The portal's pages for one requirement: where they are, whose card they expect, and the page object."""

    url: str
    id_number: str
    pages: GoldPages
    standin: PortalStandIn


@pytest.fixture
def portal(portal_server: tuple[PortalStandIn, int], page: Page, card: Card | None, options: Options) -> Portal:
    """The portal at http://127.0.0.1:<port>, expecting the certification card (or the --holder's)."""
    standin, port = portal_server
    if card is not None:
        standin.expect.id_number, standin.expect.chain_pem = HOLDER.id_number, card.chain_pem()
    else:
        standin.expect.id_number, standin.expect.chain_pem = options.holder_id, None
    url = f"http://127.0.0.1:{port}"
    return Portal(url, standin.expect.id_number or HOLDER.id_number, GoldPages(page, url), standin)


@pytest.fixture
def fresh_site(portal_server: tuple[PortalStandIn, int]) -> str:
    """An origin of the portal's pages that no agent can have trusted before: a new name for every test."""
    return f"http://site-{secrets.token_hex(4)}.{SITE_DOMAIN}:{portal_server[1]}"
