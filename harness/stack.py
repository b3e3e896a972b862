"""Start every service of one harness run, wait for each one's readiness, stop them all in `finally`.

One Stack per pytest-xdist worker (each on its own ports and temp dir), one for `tpcd up`, or one in a notebook:

    with Stack(load_settings()) as stack:
        print(stack.urls["portal"])

Two topologies (docs/design.md#two-topologies). Embedded: the twin and every simulator on loopback, reset before each
scenario.
Attached (`attach=` a stack `tpcd up` runs for a deployment): only the citizen's computer starts here (the card in a
private PC/SC reader, with certificates the shared stack's CA issues, and the 安控元件); the shared simulators are
never reset. Bound beyond loopback (`listen`), every control and read API asks for the stack's token, and every HTTP
service it serves there speaks TLS with a CA of the stack's own (docs/shared-stack.md#tls-beyond-loopback), so the
token never crosses the network in clear; `plain_http_stack` keeps plain HTTP for a closed network.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import requests
from fastapi import FastAPI

from harness import staging
from harness.attach import AttachedStack
from harness.portal_config import systems
from harness.profile import profile_of
from harness.settings import UNSPECIFIED, Settings, SettingsError
from harness.simulator_table import CONTROLLED, OCSP, SERVICE_PORTS, SIMULATORS
from harness.twin import TwinClient
from portal import PortalSettings, create_app
from simulators.agent import AgentSettings, Desktop, DirectTransport, PcscTransport, SecurityAgent, create_desktop_app
from simulators.agent.pkcs11 import Pkcs11Transport
from simulators.agent.tokens import CardTransport
from simulators.card import CardClient, CardSlot, KeyPool, TestPki, revocation
from simulators.card.client import RemoteReader
from simulators.card.issuer import CardIssuer, RemoteIssuer, issuer_router
from simulators.card.pcscd import PcscHost, acquire_host, release_host
from simulators.client import SimulatorClient, SimulatorError
from simulators.control import BearerGate, control_reset
from simulators.lifetime import owned_tempdir, sweep
from simulators.mail import MailSettings
from simulators.netizen import NetizenClient
from simulators.serving import AddressRefused, RunningServer, stop_together
from simulators.sms import SmsSettings
from simulators.standalone import is_loopback
from simulators.tls import LOOPBACK_NAMES, CertificateFiles, LocalCa

LOOPBACK = "127.0.0.1"  # the citizen's computer (card, pcscd, agent) never listens anywhere else


class Stack:
    """The portal twin (unless a deployed portal is the target) and every simulator, as one unit."""

    def __init__(
        self,
        settings: Settings,
        attach: AttachedStack | None = None,
        build_portal: Callable[..., FastAPI] | None = None,
    ) -> None:
        self.settings = settings
        # How the twin is built from its PortalSettings: create_app (tests build equivalent twins: tests/portals).
        self.build_portal: Callable[[PortalSettings], FastAPI] = build_portal or create_app
        self.profile = profile_of(settings)  # the portal's home and 網路市民 callback (harness/profiles/twin.toml)
        self.attached = attach
        self.urls: dict[str, str] = {}
        # Made per stack once it binds beyond loopback; an attached stack's is the one it was read with.
        self.token: str | None = attach.token if attach else None
        if attach is None and not is_loopback(settings.listen):
            self.token = secrets.token_urlsafe(32)
        # The CA of this stack's HTTPS ports (beyond loopback, unless plain_http_stack), else the attached stack's.
        self.ca: LocalCa | None = None
        if self.token and attach is None and not settings.plain_http_stack:
            self.ca = LocalCa("tpcd-harness stack CA")
        self._tls: CertificateFiles | None = None
        self.runs_twin = settings.embedded and not settings.portal_config  # a portal config is for a deployment
        self._servers: list[RunningServer] = []
        self._clients: dict[str, SimulatorClient] = {}  # the stack's own, for reset and state: name → client
        self._resets: dict[str, Callable[[], None]] = {}  # a simulator served here → its control reset, in-process
        self._twin: TwinClient | None = None
        self._portal: FastAPI | None = None  # the twin's app, when it runs in this process
        self.pki: TestPki | None = None  # the test MOICA CA (not on an attached run: the shared stack owns it)
        self.card: CardClient | None = None
        self.desktop: Desktop | None = None
        self.pcsc_socket: str | None = None
        self.workdir: Path | None = None
        self._exit = ExitStack()

    @property
    def shared(self) -> bool:
        """Whether other runs use these simulators too: then nothing resets them, and every fault needs a target."""
        return self.attached is not None

    def shares(self, service: str) -> bool:
        """Whether `service` (its key in `urls`) is the attached stack's, used by other runs too."""
        return self.attached is not None and service in self.attached.urls

    @property
    def ca_pem(self) -> bytes | None:
        """The CA certificate (PEM) behind the stack's HTTPS ports: this stack's own, or the attached one's; None when
        they are plain HTTP (on loopback)."""
        if self.ca is not None:
            return self.ca.pem
        return self.attached.ca_pem if self.attached is not None else None

    @property
    def portal_url(self) -> str:
        """The portal under test: the twin this stack started, or the deployed portal's URL."""
        return self.settings.base_url or self.urls["portal"]

    @property
    def home_url(self) -> str:
        """The portal's home page, where the citizen starts (the portal profile's `home`)."""
        return self.profile.home_url(self.portal_url)

    @property
    def agent_port(self) -> int | None:
        """The port the 安控元件 really listens on (an attached run's browser maps the public one onto it)."""
        return self.desktop.port if self.desktop is not None else None

    def start(self) -> Stack:
        """Bring every service up, or leave none running if one fails."""
        try:
            sweep()  # what runs killed before left (simulators.lifetime)
            self.workdir = owned_tempdir("tpcd-stack-")
            self._exit.callback(shutil.rmtree, self.workdir, ignore_errors=True)
            if self.ca is not None:
                listen, advertised = self.settings.listen, self.settings.advertised_host
                hosts = [host for host in (advertised, listen) if host not in UNSPECIFIED]
                self._tls = self._exit.enter_context(self.ca.server_files([*hosts, *LOOPBACK_NAMES]))
            # This process's own calls (its clients, the twin's adapters) trust the stack's CA (its servers stop first).
            self._exit.enter_context(staging.trusted([self.ca_pem] if self.ca_pem else []))
            if self.attached is not None:
                self.urls.update(self.attached.urls)
                issuer: CardIssuer = self._exit.enter_context(RemoteIssuer(self.urls["ocsp"], token=self.token))
            else:
                self._start_simulators()
                issuer = self._start_pki()
            self._start_citizen_computer(issuer)
            for controlled in CONTROLLED:
                shared = self.shares(controlled.name)
                client = controlled.client(self.urls[controlled.name], token=self.token, shared=shared)
                self._clients[controlled.name] = self._exit.enter_context(client)
            if self.runs_twin:
                portal = self.build_portal(self._portal_settings())
                self._portal = portal
                self._exit.callback(portal.state.store.close)  # after the server has stopped
                self._serve("portal", self._guarded(portal, ()))
                self._twin = self._exit.enter_context(TwinClient(self.urls["portal"], token=self.token))
            if self.runs_twin or self.settings.base_url:
                self._register_netizen_callback()
        except AddressRefused as error:  # a setting's fault (a pinned port, the listen address): said as such
            self.stop()
            raise SettingsError(_unbindable(error)) from None
        except BaseException:
            self.stop()
            raise
        return self

    def _register_netizen_callback(self) -> None:
        """網路市民 redirects only to a registered URI (RFC 6749 §3.1.2.2): the portal's callback, known only now that
        the portal runs, is registered as a deployment registers its own with the real service (idempotent, so every
        run attached to a shared stack may do it)."""
        netizen = self._clients["netizen"]
        assert isinstance(netizen, NetizenClient)
        netizen.register_redirect_uri(self.profile.netizen_callback_url(self.portal_url))

    def _start_simulators(self) -> None:
        unknown = sorted(set(self.settings.ports) - set(SERVICE_PORTS))
        if unknown:
            raise SettingsError(f"ports: no service named {', '.join(unknown)}; known: {', '.join(SERVICE_PORTS)}")
        for spec in SIMULATORS:
            app = spec.create_app(self._kept(spec.settings))
            simulator = app.state.simulator  # simulators.control.simulator_app
            self._resets[spec.name] = control_reset(simulator.faults, simulator.reset)
            app = self._guarded(app, spec.public)
            if spec.sidecar is not None:
                key, url = self._exit.enter_context(spec.sidecar(app, self.settings))
                self.urls[key] = url
            self._serve(spec.name, app)

    def _kept(self, simulator_settings: Any) -> Any:
        """A simulator's settings with what the harness settings say it keeps: inbox size, mail size, SMS points."""
        settings = self.settings
        if isinstance(simulator_settings, SmsSettings):
            return replace(
                simulator_settings, inbox_limit=settings.inbox_limit, points_refill=settings.sms_points_refill
            )
        if isinstance(simulator_settings, MailSettings):
            limit, size = settings.inbox_limit, settings.smtp_size_limit
            return replace(simulator_settings, max_messages=limit, max_message_size=size)
        return simulator_settings

    def _start_pki(self) -> TestPki:
        """The test MOICA CA with its OCSP/CRL service, which also issues cards (simulators.card.issuer)."""
        pool = KeyPool()
        self._exit.callback(pool.close)
        pki = TestPki(pool)
        self.pki = pki
        app = revocation.create_app(pki)
        app.include_router(issuer_router(pki))
        self._resets["ocsp"] = control_reset(app.state.responder.faults, pki.reset)  # as its control router does
        self._serve("ocsp", self._guarded(app, OCSP.public))
        pki.ocsp_url, pki.crl_url = self.urls["ocsp"] + "/ocsp", self.urls["ocsp"] + "/crl"
        return pki

    def _start_citizen_computer(self, issuer: CardIssuer) -> None:
        """A reader slot (real PC/SC unless Settings say direct) with cards from `issuer`, and the 安控元件."""
        host: PcscHost | RemoteReader | None = None
        if self.settings.card_vpcd:  # the card in a reader on another machine; this stack's agent reads the system's
            host = RemoteReader.parse(self.settings.card_vpcd)
        elif self.settings.card_transport == "pcsc":
            host = acquire_host()
            self._exit.callback(release_host)
            self.pcsc_socket = str(host.socket_path)
        slot = CardSlot(host, issuer)
        self._exit.callback(slot.close)
        self.card = CardClient(slot)
        self.urls["reader"] = slot.reader
        transport: CardTransport = PcscTransport(settle=slot.settle_quietly) if host else DirectTransport(slot)
        if host is not None and self.settings.agent_pkcs11:
            transport = Pkcs11Transport(self.settings.agent_pkcs11, settle=slot.settle_quietly)
        self._start_agent(transport, issuer)

    def _start_agent(self, transport: CardTransport, issuer: CardIssuer) -> None:
        """The 安控元件 on the citizen's computer: installed and Ready, trusting the portal under test's site.

        Attached, it answers as if on the standard port the deployment's pages call (agent_public_port), while it
        listens on a port of its own: several runs and workers share one machine, and each browser maps the standard
        address onto its own agent (harness.plugin.browser)."""
        portal_host = urlparse(self.settings.base_url).hostname if self.settings.base_url else LOOPBACK
        public = self.settings.agent_public_port if self.shared else 0
        pace = self.settings.pace
        agent_settings = AgentSettings(public_port=public, going_seconds=pace.agent_going_seconds)
        agent = SecurityAgent(agent_settings, transport, trusted={portal_host or LOOPBACK}, issuer=issuer)
        self.desktop = Desktop(
            agent,
            host=LOOPBACK,
            port=self.settings.agent_port,
            card=self.card,
            loading_seconds=pace.agent_loading_seconds,
            refresh_seconds=pace.tray_refresh_seconds,
        )
        self._exit.callback(self.desktop.close)
        self._resets["agent_desktop"] = control_reset(agent.faults, self.desktop.reset)  # as create_desktop_app does
        self.urls["agent"] = self.desktop.agent_url
        self._serve("agent_desktop", create_desktop_app(self.desktop), local=True)

    def _guarded(self, app: Any, public: tuple[str, ...]) -> Any:
        """`app` behind the stack's token, but for its protocol surface `public`, when the stack has a token."""
        return BearerGate(app, token=self.token, public=public) if self.token else app

    def _serve(self, name: str, app: Any, *, local: bool = False) -> None:
        """Serve `app` as service `name`: on loopback when `local`, else where the settings say."""
        host = LOOPBACK if local else self.settings.listen
        advertise = None if local else self.settings.advertised_host
        port = 0 if local else self.settings.port_of(name)
        timeout = self.settings.ready_timeout
        tls = None if local else self._tls
        running = RunningServer(app, name=name, host=host, port=port, timeout=timeout, tls=tls, advertise=advertise)
        self._servers.append(running)
        self.urls[name] = running.url

    def reset(self) -> None:
        """A fresh start for the next scenario: every simulator empty and unarmed, the twin on real time; on a shared
        stack only what is this run's alone (the card, the agent). What this stack serves itself is reset in-process,
        with the same control reset its HTTP route runs (simulators.control.control_reset): no request per simulator;
        the card's removal goes on while the scenario begins (CardClient.reset)."""
        for name, client in self._clients.items():
            if client.shared:
                continue
            in_process = self._resets.get(name)
            if in_process is not None:
                in_process()
            else:
                client.reset()
        if self.card is not None:
            self.card.reset()
        if self._portal is not None:
            self._portal.state.clock.reset()  # what the twin's POST /_twin/clock/reset does
        elif self._twin is not None:
            self._twin.reset()

    def agent_requests(self) -> list[dict[str, Any]]:
        """What the 安控元件 was asked so far in this scenario (PINs masked)."""
        if self.desktop is None:
            return []
        return [asdict(request) for request in self.desktop.agent.requests()]

    def simulator_state(self) -> dict[str, Any]:
        """Every simulator's control-surface state, for a failure's evidence (no secrets: PINs are masked); of a
        shared simulator only what is armed, as the rest is every run's."""
        state: dict[str, Any] = {}
        for name, client in self._clients.items():
            try:
                state[name] = {"faults": client.faults()} if client.shared else client.state()
            except (SimulatorError, requests.RequestException, ValueError) as error:
                state[name] = f"unavailable: {error}"
        if self.card is not None:
            state["card"] = self.card.state()
        return state

    def stop(self) -> None:
        """Stop everything this stack started: first every server at once (no request in flight then), then the rest,
        newest first (card, pcscd, the portal's store, the temp dir)."""
        stop_together(self._servers)
        self._exit.close()
        self._servers.clear()
        self._clients.clear()
        self._resets.clear()
        self._twin = None
        self._portal = None
        self.urls.clear()

    def _portal_settings(self) -> PortalSettings:
        """The twin configured with the simulators' real URLs, as a deployment is with the real systems'."""
        assert self.workdir is not None
        assert self.pki is not None
        chosen = self.settings.db_path
        database = self.settings.path(chosen) if chosen else self.workdir / "portal.sqlite3"
        return PortalSettings(
            db_path=database,
            secret_key=secrets.token_urlsafe(32),
            **systems(self.urls, agent_url=self.urls["agent"], chain=self.pki.chain_pem()),
            agent_timeout=self.settings.pace.agent_timeout,  # within seconds, not the real page's 10 s
            nonce_ttl=self.settings.pace.nonce_lifetime,
            twin_controls=True,
            twin_token=self.token or "",
        )

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def _unbindable(error: AddressRefused) -> str:
    """Why a service cannot listen where the settings say, and which setting to change."""
    where, service = f"{error.host}:{error.port}", error.service
    if error.errno == errno.EADDRINUSE:
        setting = "portal_port (--portal-port N)" if service == "portal" else f"ports (--port {service}=N)"
        return f"{service}: {where} is already in use: stop what holds it, or pin another port with {setting}"
    reason = os.strerror(error.errno or 0)
    return f"{service}: cannot listen on {where} ({reason}): give listen an address of this machine"
