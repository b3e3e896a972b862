"""Session fixtures: the harness settings and one stack of services per pytest-xdist worker; per-scenario clients.

On an attached stack (`--stack`, docs/design.md#two-topologies) the simulators are shared with other runs: each
scenario's clients
arm faults for that scenario's own target only (its citizen's mobile, mail address or ID number, or its browser
session) and disarm them when it ends, and nothing is reset as a whole.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import allure
import pytest
from fastapi import FastAPI

from domain.citizen import Channel, CitizenProfile
from harness import staging
from harness.attach import AttachedStack, AttachError, attach_stack
from harness.codes import CodeReader
from harness.profile import PortalProfile, profile_of
from harness.settings import SUITE_PACE, Settings, SettingsError, load_settings
from harness.simulator_table import CONTROLLED, Controlled, Target
from harness.stack import Stack
from harness.twin import TwinClient
from simulators.card import CardClient
from simulators.client import SimulatorClient
from simulators.mail import MailClient
from simulators.sms import SmsClient


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpcd", "tpcd-harness")
    group.addoption("--browser-executable", default=None, help="Chromium binary to launch (default /usr/bin/chromium)")
    group.addoption("--citizen-seed", type=int, default=None, help="base seed for citizens; reproduces a run's data")
    group.addoption("--shard", default=None, metavar="I/N", help="run only shard I of N (CI splits the suite so)")
    group.addoption("--stack", default=None, help="attach to a running stack: the JSON `tpcd up --json` printed")


def _typed_base_url(config: pytest.Config) -> str | None:
    """--base-url as typed (or pytest's ini `base_url`): pytest-base-url stores "" for "not given", which must not
    refuse a run, while a typed empty --base-url must (it would silently test the twin instead)."""
    typed: str | None = config.known_args_namespace.base_url
    return typed if typed is not None else config.getini("base_url") or None


SETTINGS_KEY = pytest.StashKey[Settings]()
ATTACHED_KEY = pytest.StashKey[AttachedStack]()
STACK_KEY = pytest.StashKey[Stack]()
PROFILE_KEY = pytest.StashKey[PortalProfile]()
# How the embedded twin is built: a plugin may set another builder (tests/portals builds twins equivalent to it).
BUILD_PORTAL_KEY = pytest.StashKey[Callable[..., FastAPI]]()


def pytest_configure(config: pytest.Config) -> None:
    """Read the settings (and the stack to attach to) once, before collection, so a bad value stops the run with its
    own message."""
    try:
        settings = load_settings(
            {
                "base_url": _typed_base_url(config),
                "chromium": config.getoption("browser_executable"),
                "seed": config.getoption("citizen_seed"),
                "stack": config.getoption("stack"),
            },
            root=config.rootpath,
        ).paced(SUITE_PACE)  # short simulated waits, where none was set
        config.stash[SETTINGS_KEY] = settings
        config.stash[PROFILE_KEY] = profile_of(settings)
        prepared = staging.prepare(settings)  # basic auth and CAs of a staging portal (docs/deployment.md#staging)
        config.add_cleanup(prepared.close)
        if settings.stack is not None:
            config.stash[ATTACHED_KEY] = attach_stack(settings)
    except (SettingsError, AttachError) as error:
        raise pytest.UsageError(str(error)) from error


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--shard I/N keeps a stable 1/N of the tests (by node id), so N CI jobs together run each test once."""
    shard = config.getoption("shard")
    if not shard:
        return
    try:
        index, count = (int(part) for part in shard.split("/"))
        if not 1 <= index <= count:
            raise ValueError
    except ValueError as error:
        raise pytest.UsageError(f"--shard {shard!r}: expected I/N with 1 ≤ I ≤ N, e.g. 2/4") from error
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if zlib.crc32(item.nodeid.encode()) % count == index - 1 else dropped).append(item)
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


@pytest.fixture(scope="session")
def tpcd_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings read once: defaults < [tool.tpcd] < TPCD_* < these pytest options."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def stack(tpcd_settings: Settings, pytestconfig: pytest.Config) -> Iterator[Stack]:
    """Every service on loopback for this worker (attached: only the citizen's computer): all up, or none left."""
    attached, build = pytestconfig.stash.get(ATTACHED_KEY, None), pytestconfig.stash.get(BUILD_PORTAL_KEY, None)
    with Stack(tpcd_settings, attach=attached, build_portal=build) as running:
        yield running


@pytest.fixture(scope="session")
def portal_url(stack: Stack) -> str:
    """The portal under test: the twin's URL, or --base-url when aimed at a deployed portal."""
    return stack.portal_url


@pytest.fixture(scope="session")
def portal_profile(stack: Stack) -> PortalProfile:
    """What the portal under test may do differently from the twin (TPCD_PORTAL_PROFILE; default: the twin's)."""
    return stack.profile


@pytest.fixture(scope="session")
def portal_home(stack: Stack) -> str:
    """The portal's home page (the portal profile's `home` under the portal's URL), where the citizen starts."""
    return stack.home_url


@pytest.fixture
def fresh_stack(stack: Stack, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The stack, reset once at the start of this scenario (shared: only the card and agent, which are this run's):
    whichever fixture asks first triggers it, and a client asked for later (after the portal already sent a code)
    never resets what the scenario has done. At its end, a card insert or removal nobody waited for that failed is
    this scenario's error (CardClient.settle)."""
    stack.reset()
    request.node.stash[STACK_KEY] = stack  # for the report hooks: APDUs, agent requests, simulator state
    yield stack
    if stack.card is not None:
        stack.card.settle()


@pytest.fixture
def scenario_id() -> str:
    """This scenario's browser session, named on every request its browser sends (simulators.control.SESSION_HEADER):
    unique across runs, so a simulator the browser calls can scope a fault to this scenario."""
    return secrets.token_hex(8)


def _target(kind: Target | None, citizen: CitizenProfile, scenario_id: str) -> str | None:
    if kind is None:
        return None
    return scenario_id if kind is Target.SESSION else str(getattr(citizen, kind.value))


def _client(controlled: Controlled) -> Callable[..., Iterator[SimulatorClient]]:
    """A per-scenario client of one simulator, on the scenario's fresh stack: its faults armed for this scenario's
    target and disarmed when the scenario ends."""

    def fixture(fresh_stack: Stack, citizen: CitizenProfile, scenario_id: str) -> Iterator[SimulatorClient]:
        with controlled.client(
            fresh_stack.urls[controlled.name],
            token=fresh_stack.token,
            target=_target(controlled.target, citizen, scenario_id),
            shared=fresh_stack.shares(controlled.name),
        ) as client:
            yield client
            client.disarm_armed()

    fixture.__doc__ = f"The {controlled.name} simulator's client ({controlled.client.__name__}) for this scenario."
    return fixture


# One fixture per simulator, named as the registry says (`sms`, `mail`, `agent` …): pytest finds them as attributes.
for _controlled in CONTROLLED:
    globals()[_controlled.fixture] = pytest.fixture(_client(_controlled), name=_controlled.fixture)


@pytest.fixture
def card(fresh_stack: Stack) -> CardClient:
    """The citizen's 自然人憑證 and the reader it goes in."""
    if fresh_stack.card is None:
        pytest.skip("this stack has no virtual card")
    return fresh_stack.card


@pytest.fixture
def twin(fresh_stack: Stack, tpcd_settings: Settings) -> Iterator[TwinClient]:
    """The twin's clock; a scenario that needs it is skipped against a deployed portal, which has no such control."""
    if not tpcd_settings.embedded:
        pytest.skip("moves the portal's clock: only the embedded portal twin offers that")
    with TwinClient(fresh_stack.urls["portal"], token=fresh_stack.token) as client:
        yield client
        client.reset()


@pytest.fixture
def private_stack(fresh_stack: Stack) -> Stack:
    """The stack, for a scenario that takes a whole service down: skipped on a stack other runs share, where the
    outage would hit them too (a portal's server-side call carries nothing of one scenario to scope it by)."""
    if fresh_stack.shared:
        pytest.skip("takes a whole service down for every run: never done on a shared (attached) stack")
    return fresh_stack


@pytest.fixture(scope="session")
def portal_site(portal_url: str) -> str:
    """The portal's hostname: what the 安控元件's trusted-site list holds for it."""
    return urlparse(portal_url).hostname or ""


def _attach_message(channel: Channel, to: str, message: str) -> None:
    kind = "簡訊" if channel is Channel.MOBILE else "電子郵件"
    allure.attach(message, name=f"市民收到的{kind}（{to}）", attachment_type=allure.attachment_type.TEXT)


@pytest.fixture
def codes(sms: SmsClient, mail: MailClient) -> CodeReader:
    """Reads the citizen's one-time codes; each message read is attached to the step that read it."""
    return CodeReader(sms, mail, on_read=_attach_message)
