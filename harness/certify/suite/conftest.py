"""Options, hooks and fixtures of the agent conformance suite (run by `tpcd certify-agent`, not by the project's tests);
what its tests share besides fixtures is in kit.py.

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
from pathlib import Path
from typing import Any

import allure
import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from harness.certify.requirements import NEEDS, REQUIREMENTS, Need
from harness.certify.suite.kit import (
    HOLDER,
    PIN_VARIABLE,
    SITE_DOMAIN,
    TOKEN_VARIABLE,
    Agent,
    AgentFailure,
    Card,
    Options,
    Portal,
    ToolError,
)
from harness.certify.suite.portal import GoldPages, PageError, PortalStandIn, page_source
from harness.lifeline import watch_parent
from simulators.card.client import CardControlClient
from simulators.control import CONTROL_HEADER
from simulators.serving import RunningServer

BUNDLED = "playwright"  # --chromium playwright: the Chromium `playwright install chromium` downloaded
RUN_INFO: dict[str, Any] = {"browser": None}  # what the run learnt besides results: written to --run-info at the end


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
