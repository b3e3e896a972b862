"""Start every service of one harness run on loopback, wait for each one's readiness, stop them all in `finally`.

One Stack per pytest-xdist worker (each on its own ports and temp dir), one for `tpcd up`, or one in a notebook:

    with Stack(load_settings()) as stack:
        print(stack.urls["portal"])
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import serialization

from harness.settings import Settings
from harness.simulators import CONTROLLED, SIMULATORS, settings_of
from harness.twin import TwinClient
from portal import PortalSettings, create_app
from simulators._client import SimulatorClient, SimulatorError
from simulators._serving import RunningServer, stop_together
from simulators.agent import AgentSettings, Desktop, DirectTransport, PcscTransport, SecurityAgent, create_desktop_app
from simulators.captcha import CaptchaSettings
from simulators.card import CardClient, CardSlot, KeyPool, TestPki, revocation
from simulators.card.client import RemoteReader
from simulators.card.pcscd import PcscHost, acquire_host, release_host
from simulators.netizen import NetizenClient, NetizenSettings
from simulators.sms import SmsSettings

NETIZEN_CALLBACK = "/register/netizen/callback"  # the portal's return from 網路市民 (portal/routes/profile.py)


class Stack:
    """The portal twin (unless a deployed portal is the target) and every simulator, as one unit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.urls: dict[str, str] = {}
        self._servers: list[RunningServer] = []
        self._clients: dict[str, SimulatorClient] = {}  # the stack's own, for reset and state: name → client
        self._twin: TwinClient | None = None
        self.pki: TestPki | None = None  # the test MOICA CA: it issues every card's certificates
        self.card: CardClient | None = None
        self.desktop: Desktop | None = None
        self.pcsc_socket: str | None = None
        self.workdir: Path | None = None
        self._exit = ExitStack()

    @property
    def portal_url(self) -> str:
        """The portal under test: the twin this stack started, or the deployed portal's URL."""
        return self.settings.base_url or self.urls["portal"]

    def start(self) -> Stack:
        """Bring every service up, or leave none running if one fails."""
        try:
            self.workdir = Path(tempfile.mkdtemp(prefix="tpcd-stack-"))
            self._exit.callback(shutil.rmtree, self.workdir, ignore_errors=True)
            for spec in SIMULATORS:
                app = spec.create_app(spec.settings)
                if spec.sidecar is not None:
                    sidecar = spec.sidecar(app, self.settings.host, self.settings.ready_timeout)
                    key, url = self._exit.enter_context(sidecar)
                    self.urls[key] = url
                self._serve(spec.name, app)
            self._start_card()
            for controlled in CONTROLLED:
                self._clients[controlled.name] = self._exit.enter_context(controlled.client(self.urls[controlled.name]))
            if self.settings.embedded:
                portal = create_app(self._portal_settings())
                self._exit.callback(portal.state.store.close)  # after the server has stopped
                self._serve("portal", portal, port=self.settings.portal_port)
                self._twin = self._exit.enter_context(TwinClient(self.urls["portal"]))
            self._register_netizen_callback()
        except BaseException:
            self.stop()
            raise
        return self

    def _register_netizen_callback(self) -> None:
        """網路市民 redirects only to a registered URI (RFC 6749 §3.1.2.2): the portal's callback, known only now that
        the portal runs, is registered as a deployment registers its own with the real service."""
        netizen = self._clients["netizen"]
        assert isinstance(netizen, NetizenClient)
        netizen.register_redirect_uri(self.portal_url.rstrip("/") + NETIZEN_CALLBACK)

    def _start_card(self) -> None:
        """The test MOICA CA with its OCSP/CRL service, and a reader slot (real PC/SC unless Settings say direct)."""
        pool = KeyPool()
        self._exit.callback(pool.close)
        pki = TestPki(pool)
        self.pki = pki
        self._serve("ocsp", revocation.create_app(pki))
        pki.ocsp_url, pki.crl_url = self.urls["ocsp"] + "/ocsp", self.urls["ocsp"] + "/crl"
        host: PcscHost | RemoteReader | None = None
        if self.settings.card_vpcd:  # the card in a reader on another machine; this stack's agent reads the system's
            host = RemoteReader.parse(self.settings.card_vpcd)
        elif self.settings.card_transport == "pcsc":
            host = acquire_host()
            self._exit.callback(release_host)
            self.pcsc_socket = str(host.socket_path)
        slot = CardSlot(host, pki)
        self._exit.callback(slot.close)
        self.card = CardClient(slot)
        self.urls["reader"] = slot.reader
        self._start_agent(DirectTransport(slot) if host is None else PcscTransport())

    def _start_agent(self, transport: PcscTransport | DirectTransport) -> None:
        """The 安控元件 on the citizen's computer: installed and Ready, trusting the portal under test's site."""
        portal_host = urlparse(self.settings.base_url).hostname if self.settings.base_url else self.settings.host
        agent = SecurityAgent(AgentSettings(), transport, trusted={portal_host or self.settings.host})
        self.desktop = Desktop(agent, host=self.settings.host, port=self.settings.agent_port, card=self.card)
        self._exit.callback(self.desktop.close)
        self.urls["agent"] = self.desktop.agent_url
        self._serve("agent_desktop", create_desktop_app(self.desktop))

    def _serve(self, name: str, app: object, *, port: int = 0) -> None:
        running = RunningServer(app, name=name, host=self.settings.host, port=port, timeout=self.settings.ready_timeout)
        self._servers.append(running)
        self.urls[name] = running.url

    def reset(self) -> None:
        """Every simulator empty and unarmed, the twin on real time: a fresh start for the next scenario."""
        for client in self._clients.values():
            client.reset()
        if self.card is not None:
            self.card.reset()
        if self._twin is not None:
            self._twin.reset()

    def agent_requests(self) -> list[dict[str, Any]]:
        """What the 安控元件 was asked so far in this scenario (PINs masked)."""
        if self.desktop is None:
            return []
        return [asdict(request) for request in self.desktop.agent.requests()]

    def simulator_state(self) -> dict[str, Any]:
        """Every simulator's control-surface state, for a failure's evidence (no secrets: PINs are masked)."""
        state: dict[str, Any] = {}
        for name, client in self._clients.items():
            try:
                state[name] = client.state()
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
        self._twin = None
        self.urls.clear()

    def _portal_settings(self) -> PortalSettings:
        """The twin configured with the simulators' real URLs, as a deployment is with the real systems'."""
        assert self.workdir is not None
        assert self.pki is not None
        smtp_port = urlparse(self.urls["mail_smtp"]).port
        assert smtp_port is not None
        sms, captcha, netizen = settings_of(SmsSettings), settings_of(CaptchaSettings), settings_of(NetizenSettings)
        return PortalSettings(
            db_path=self.settings.db_path or self.workdir / "portal.sqlite3",
            secret_key=secrets.token_urlsafe(32),
            sms_gateway_url=self.urls["sms"] + "/api/mtk/SmSend",
            sms_username=sms.username,
            sms_password=sms.password,
            smtp_host=self.settings.host,
            smtp_port=smtp_port,
            captcha_script_url=self.urls["captcha"] + "/recaptcha/api.js",
            captcha_verify_url=self.urls["captcha"] + "/recaptcha/api/siteverify",
            captcha_site_key=captcha.site_key,
            captcha_secret=captcha.secret,
            netizen_url=self.urls["netizen"],
            netizen_client_id=netizen.client_id,
            netizen_client_secret=netizen.client_secret,
            agent_url=self.urls["agent"],
            agent_timeout=4.0,  # a missing or crashed agent is reported within seconds, not the real page's 10 s
            trusted_ca_pem=b"".join(
                cert.public_bytes(serialization.Encoding.PEM) for cert in (self.pki.ca_cert, self.pki.root_cert)
            ),
            registry_url=self.urls["registry"],
            twin_controls=True,
        )

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
