"""The one registry of simulators: the stack starts, resets and reads each one, and the pytest plugin gives every
scenario a client of each, by iterating these tables. Adding a simulator is a package under `simulators/` and one
entry in SIMULATORS (README, "Adding a simulator")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.applications import Starlette

from simulators import captcha, mail, netizen, registry, sms
from simulators._client import SimulatorClient
from simulators.agent import AgentClient

S = TypeVar("S")
Sidecar = Callable[[Any, str, float], AbstractContextManager[tuple[str, str]]]
"""Another server a simulator runs beside its app: given the app, the host and the ready timeout, it yields its key
in `Stack.urls` and its URL while it runs."""


@dataclass(frozen=True, slots=True)
class Controlled:
    """A service with a control surface (STYLE.md §6), and the client a scenario reaches it with."""

    name: str  # its key in Stack.urls and in `tpcd up --json`
    client: type[SimulatorClient]
    fixture: str = field(default="", kw_only=True)  # the per-scenario client fixture steps ask for; `name` if ""

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
def _smtp(app: Starlette, host: str, timeout: float) -> Iterator[tuple[str, str]]:
    """The mail simulator's SMTP side, filling the mailbox its read API shows."""
    with mail.serve_smtp(app.state.simulator, host=host, timeout=timeout) as port:
        yield "mail_smtp", f"smtp://{host}:{port}"


SIMULATORS: tuple[SimulatorSpec[Any], ...] = (
    SimulatorSpec("sms", sms.SmsClient, sms.SmsSettings(), sms.create_app),
    SimulatorSpec("mail_api", mail.MailClient, mail.MailSettings(), mail.create_app, fixture="mail", sidecar=_smtp),
    SimulatorSpec("captcha", captcha.CaptchaClient, captcha.CaptchaSettings(), captcha.create_app),
    SimulatorSpec("netizen", netizen.NetizenClient, netizen.NetizenSettings(), netizen.create_app),
    SimulatorSpec("registry", registry.RegistryClient, registry.RegistrySettings(), registry.create_app),
)
"""The simulators of the systems the portal calls, in the order the stack starts them."""

CARD_SERVICES: tuple[Controlled, ...] = (
    Controlled("ocsp", SimulatorClient),
    Controlled("agent_desktop", AgentClient, fixture="agent"),
)
"""The services of the citizen's card and computer: the stack's card part starts them (they need the test PKI and
the reader slot); they are reset, read and reached like the others."""

CONTROLLED: tuple[Controlled, ...] = SIMULATORS + CARD_SERVICES


def settings_of(kind: type[S]) -> S:
    """The settings the stack runs the simulator of `kind` with (the portal is configured to match them)."""
    for spec in SIMULATORS:
        if isinstance(spec.settings, kind):
            return spec.settings
    raise LookupError(f"no simulator in SIMULATORS is configured with {kind.__name__}")
