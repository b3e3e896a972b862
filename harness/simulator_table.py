"""The one registry of simulators: the stack starts, resets and reads each one, and the pytest plugin gives every
scenario a client of each, by iterating these tables. Adding a simulator is a package under `simulators/` and one
entry in SIMULATORS (docs/simulators.md#adding-a-simulator)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from starlette.applications import Starlette

from harness.settings import Settings
from simulators import captcha, mail, netizen, registry, sms
from simulators.agent import AgentClient
from simulators.client import SimulatorClient

S = TypeVar("S")
Sidecar = Callable[[Any, Settings], AbstractContextManager[tuple[str, str]]]
"""Another server a simulator runs beside its app: given the app as the stack serves it (behind the stack's token
when it has one: simulators.control.BearerGate, whose `state` is the app's) and the settings (where to bind, which
port, which host to advertise, the ready timeout), it yields its key in `Stack.urls` and its URL while it runs."""


class Target(StrEnum):
    """What of a scenario a simulator's faults are matched against, so that on a shared stack they hit that scenario
    only: the simulator sees it in the requests it serves (a Mitake dstaddr, an SMTP RCPT, a registry lookup …)."""

    MOBILE = "mobile"  # the citizen's mobile number
    EMAIL = "email"  # the citizen's mail address
    ID_NUMBER = "id_number"  # the citizen's 身分證字號
    SESSION = "session"  # the scenario's browser session (simulators.control.SESSION_HEADER)


@dataclass(frozen=True, slots=True)
class Controlled:
    """A service with a control surface (docs/contributing.md#simulators), and the client a scenario reaches it with."""

    name: str  # its key in Stack.urls and in `tpcd up --json`
    client: type[SimulatorClient]
    fixture: str = field(default="", kw_only=True)  # the per-scenario client fixture steps ask for; `name` if ""
    # The protocol surface, open as the real system's is even when the stack is bound beyond loopback (exact paths,
    # or prefixes ending in "/"); everything else asks for the stack's token (simulators.control.BearerGate).
    public: tuple[str, ...] = field(default=(), kw_only=True)
    # What a scenario's faults on it are matched against when a step gives no match; None: the step must give one.
    target: Target | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if not self.fixture:
            object.__setattr__(self, "fixture", self.name)  # frozen: the documented way to finish a field


@dataclass(frozen=True, slots=True)
class SimulatorSpec(Controlled, Generic[S]):
    """A simulator that runs on its own: built from its settings, served on its own port."""

    settings: S  # the portal is configured to match (credentials, keys)
    create_app: Callable[[S], Starlette]
    sidecar: Sidecar | None = field(default=None, kw_only=True)


@contextmanager
def _smtp(app: Starlette, settings: Settings) -> Iterator[tuple[str, str]]:
    """The mail simulator's SMTP side, filling the mailbox its read API shows (SMTP is protocol: never gated)."""
    with mail.serve_smtp(
        app.state.simulator, host=settings.listen, port=settings.port_of("mail_smtp"), timeout=settings.ready_timeout
    ) as port:
        yield "mail_smtp", f"smtp://{settings.advertised_host}:{port}"


@contextmanager
def _captcha_https(app: Any, settings: Settings) -> Iterator[tuple[str, str]]:
    """The reCAPTCHA simulator over HTTPS too, with a CA of this stack's own, for clients that hard-code https://
    (django-recaptcha); its protocol surface is open, the rest asks for the token, as on the HTTP port."""
    with captcha.serve_https(
        app,
        host=settings.listen,
        port=settings.port_of("captcha_https"),
        advertise=settings.advertised_host,
        timeout=settings.ready_timeout,
    ) as served:
        yield served


SIMULATORS: tuple[SimulatorSpec[Any], ...] = (
    SimulatorSpec(
        "sms",
        sms.SmsClient,
        sms.SmsSettings(),
        sms.create_app,
        public=("/api/mtk/SmSend", "/b2c/mtk/SmSend"),
        target=Target.MOBILE,
    ),
    SimulatorSpec(
        "mail_api",
        mail.MailClient,
        mail.MailSettings(),
        mail.create_app,
        fixture="mail",
        sidecar=_smtp,
        target=Target.EMAIL,
    ),
    SimulatorSpec(
        "captcha",
        captcha.CaptchaClient,
        captcha.CaptchaSettings(tls=True),
        captcha.create_app,
        sidecar=_captcha_https,
        public=("/recaptcha/",),
        target=Target.SESSION,
    ),
    SimulatorSpec(
        "netizen",
        netizen.NetizenClient,
        netizen.NetizenSettings(),
        netizen.create_app,
        public=("/oauth/", "/api/v1/profile"),
    ),
    SimulatorSpec(
        "registry",
        registry.RegistryClient,
        registry.RegistrySettings(),
        registry.create_app,
        public=("/api/v1/services",),
        target=Target.ID_NUMBER,
    ),
)
"""The simulators of the systems the portal calls, in the order the stack starts them."""

OCSP = Controlled("ocsp", SimulatorClient, public=("/ocsp", "/ocsp/", "/crl", "/ca.pem"))
"""The test MOICA CA's OCSP/CRL service; its faults name a certificate (`match=` its serial in hex)."""

AGENT_DESKTOP = Controlled("agent_desktop", AgentClient, fixture="agent")
"""The citizen's computer: the 安控元件, its installer and tray; always on loopback, private to one run."""

CARD_SERVICES: tuple[Controlled, ...] = (OCSP, AGENT_DESKTOP)
"""The services of the citizen's card and computer: the stack's card part starts them (they need the test PKI and
the reader slot); they are reset, read and reached like the others."""

CONTROLLED: tuple[Controlled, ...] = SIMULATORS + CARD_SERVICES

REMOTE: tuple[Controlled, ...] = (*SIMULATORS, OCSP)
"""What an attached run finds already running: each simulator the portal calls, the test CA (docs/design.md)."""

SERVICE_PORTS = (*(spec.name for spec in SIMULATORS), "mail_smtp", "captcha_https", "ocsp", "portal")
"""The services whose port may be pinned (`[tool.tpcd.ports]`, `tpcd up --port NAME=N`)."""


def settings_of(kind: type[S]) -> S:
    """The settings the stack runs the simulator of `kind` with (the portal is configured to match them)."""
    for spec in SIMULATORS:
        if isinstance(spec.settings, kind):
            return spec.settings
    raise LookupError(f"no simulator in SIMULATORS is configured with {kind.__name__}")
