"""The virtual card as a service of its own (`tpcd card`): plugged into a vpcd reader on another machine.

vsmartcard's vpcd driver exists for Windows, macOS and Linux; on each, the reader side listens (port 35963 by default)
and the card connects to it, so a vendor's agent on its own test machine sees our card in a PC/SC reader. Beside the
card run its test PKI's OCSP responder and CRL (the certificates' AIA and CRL distribution point name them) and the
card's control surface (simulators/card/control.py), which `tpcd certify-agent --control-url` drives. Bound beyond
loopback, the control surface demands a bearer token; OCSP and the CRL stay as open as MOICA's are.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType

from domain.card import CardHolder
from simulators.card import revocation
from simulators.card.client import CardClient, CardSlot, RemoteReader
from simulators.card.control import ControlToken, create_card_app
from simulators.card.pki import KeyPool, TestPki
from simulators.serving import RunningServer
from simulators.standalone import is_loopback


@dataclass(frozen=True, slots=True)
class CardServerSettings:
    """Where the card goes and where its services listen."""

    vpcd: RemoteReader
    listen: str = "127.0.0.1"  # the control surface's and OCSP's address
    advertise: str | None = None  # the host name in their URLs (and the certificates' AIA); None: `listen`
    control_port: int = 0
    ocsp_port: int = 0
    token: str | None = None  # demanded on /_control/* (required when `listen` is not loopback)
    ready_timeout: float = 10.0


class CardServer:
    """The card in a remote vpcd reader, its PKI's OCSP/CRL and its control surface; stops everything in `finally`."""

    def __init__(self, settings: CardServerSettings) -> None:
        if not is_loopback(settings.listen) and not settings.token:
            raise ValueError(f"the card's control surface on {settings.listen} needs a bearer token")
        if settings.listen in ("0.0.0.0", "::") and not settings.advertise:
            raise ValueError(f"listening on {settings.listen}: say with advertise which address others reach it on")
        self.settings = settings
        self.urls: dict[str, str] = {}
        self.card: CardClient | None = None
        self._exit = ExitStack()

    def start(self) -> CardServer:
        """Start OCSP/CRL and the control surface, then connect to the vpcd reader (ConnectionError if unreachable)."""
        try:
            pool = KeyPool()
            self._exit.callback(pool.close)
            pki = TestPki(pool)
            self.urls["ocsp"] = self._serve("ocsp", revocation.create_app(pki), self.settings.ocsp_port)
            pki.ocsp_url, pki.crl_url = self.urls["ocsp"] + "/ocsp", self.urls["ocsp"] + "/crl"
            slot = CardSlot(self.settings.vpcd, pki)
            self._exit.callback(slot.close)
            self.card = CardClient(slot)
            self.urls["control"] = self._serve("control", create_card_app(self.card), self.settings.control_port)
            self.urls["reader"] = slot.reader
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, name: str, app: object, port: int) -> str:
        if self.settings.token:
            app = ControlToken(app, self.settings.token)  # type: ignore[arg-type]
        running = RunningServer(
            app, name=name, host=self.settings.listen, port=port, timeout=self.settings.ready_timeout
        )
        self._exit.callback(running.stop)
        bound = running.url.rsplit(":", 1)[1]
        return f"http://{self.settings.advertise or self.settings.listen}:{bound}"

    def insert(self, holder: CardHolder) -> None:
        """Put `holder`'s card into the remote reader (waits until that reader has seen it)."""
        assert self.card is not None, "start() first"
        self.card.insert(holder)

    def stop(self) -> None:
        """Pull the card out of the remote reader and stop every server."""
        self._exit.close()
        self.urls.clear()

    def __enter__(self) -> CardServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
