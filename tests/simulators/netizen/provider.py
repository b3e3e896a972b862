"""網路市民 served over HTTPS (OAuth2 libraries refuse plain HTTP) with the portal's callback registered, and a citizen
who logs in and answers the consent page by reading its forms, as a browser would; the fixtures are in conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

from simulators.netizen import NetizenClient, NetizenSettings, create_app
from simulators.serving import serve_asgi
from simulators.tls import LOOPBACK_NAMES, LocalCa

CLIENT_ID, CLIENT_SECRET = "tpcd-portal", "tpcd-netizen-secret"
# The portal's callback as registered, with a query of its own that must come back (RFC 6749 §3.1.2).
CALLBACK = "https://portal.example.test/register/netizen/callback?lang=zh-TW"
ACCOUNT, PASSWORD = "tp1", "Passw0rd-tp1"
PROFILE = {
    "account": ACCOUNT,
    "name": "王小明",
    "email": "w@example.test",
    "mobile": "0912345678",
    "address": "臺北市中正區重慶南路一段1號",
    "id_number": "A123456789",
}


@dataclass
class Form:
    """One <form> of a page: where it posts, its named inputs, and its named buttons."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # label → (name, value)


class FormReader(HTMLParser):
    """The forms of a page, read as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._button: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form":
            self.forms.append(Form(named.get("action") or ""))
        elif tag == "input" and named.get("name"):
            self.forms[-1].fields[str(named["name"])] = named.get("value") or ""
        elif tag == "button":
            self._button = named

    def handle_data(self, data: str) -> None:
        if self._button is not None and data.strip():
            label = data.strip()
            self.forms[-1].buttons[label] = (self._button.get("name") or "", self._button.get("value") or "")
            self._button = None


def read_form(page: str) -> Form:
    reader = FormReader()
    reader.feed(page)
    assert len(reader.forms) == 1, page
    return reader.forms[0]


@dataclass(frozen=True)
class Provider:
    """The running 網路市民 simulator and the CA its HTTPS certificate comes from."""

    url: str
    ca_file: Path

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/oauth/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def profile_url(self) -> str:
        return f"{self.url}/api/v1/profile"

    def control(self) -> NetizenClient:
        client = NetizenClient(self.url)
        client.http.verify = str(self.ca_file)
        return client

    def http(self) -> requests.Session:
        session = requests.Session()
        session.verify = str(self.ca_file)
        return session

    def citizen_answers(self, authorization_url: str, button: str = "同意授權", password: str = PASSWORD) -> str:
        """Log in on the 網路市民 page, press `button` on the consent page: where the browser is sent back to."""
        with self.http() as browser:
            login_page = browser.get(authorization_url, timeout=5)
            assert login_page.status_code == 200, login_page.text
            login = read_form(login_page.text)
            consent_page = browser.post(
                urljoin(login_page.url, login.action),
                data={**login.fields, "account": ACCOUNT, "password": password},
                timeout=5,
            )
            consent = read_form(consent_page.text)
            name, value = consent.buttons[button]
            done = browser.post(
                urljoin(consent_page.url, consent.action),
                data={**consent.fields, name: value},
                allow_redirects=False,
                timeout=5,
            )
        assert done.status_code == 303, done.text
        return done.headers["location"]


@contextmanager
def running(settings: NetizenSettings, folder: Path) -> Iterator[Provider]:
    """網路市民 with `settings` on HTTPS, its CA in `folder`, the citizen's account added."""
    ca = LocalCa()
    ca_file = folder / "netizen-ca.pem"
    ca_file.write_bytes(ca.pem)
    with ca.server_files(LOOPBACK_NAMES) as files, serve_asgi(create_app(settings), name="netizen", tls=files) as url:
        provider = Provider(url, ca_file)
        with provider.control() as control:
            control.add_account(ACCOUNT, PASSWORD, **{k: v for k, v in PROFILE.items() if k != "account"})
        yield provider
