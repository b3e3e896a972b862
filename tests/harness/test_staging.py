"""An attached run passes against staging as it is: the twin under a path (https://localhost:P/tpcd/), behind HTTP
basic auth, over TLS from a private CA, its 「我不是機器人」 checked against two hostnames (PORTAL_CAPTCHA_HOSTNAMES)
(docs/deployment.md#staging); and the credentials are in no artefact.

`tpcd up` runs the stack on loopback; the twin (the prefixed variant of tests/portals, configured by nothing but the
portal.env `tpcd up` wrote) is served here over TLS by uvicorn with a certificate of a CA made for this test, behind
a basic-auth gate that refuses every request without the credentials. The run is told the credentials (a file) and
the CA (a PEM file) only: it has to give both to Chromium and to each of its HTTP calls (the HTTP walk of a
mid-journey start, the attach checks) to get past the home page.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from starlette.types import ASGIApp, Receive, Scope, Send

from harness import staging as staging_module
from harness.settings import Settings, SettingsError
from portal.config import load
from simulators.client import ServiceClient
from simulators.serving import serve_asgi
from simulators.tls import LocalCa
from tests.portals.variants import VARIANTS
from tests.tpcd import TPCD, first_line, stop

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "qa-team", "staging-Pa55word-2026"
# A mid-journey start (the HTTP walk through the forms to 基本資料, 「我不是機器人」 ticked over HTTP, then the
# browser), 網路市民 and back to the callback under the path.
SELECTION = {"市民從網路市民帶入基本資料": "市民從網路市民帶入基本資料"}


@dataclass
class BasicAuthGate:
    """HTTP basic auth in front of an app, as a staging reverse proxy does: 401 without the credentials."""

    app: ASGIApp
    passed: int = 0
    refused: list[str] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        expected = b"Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode())
        if dict(scope["headers"]).get(b"authorization") == expected:
            self.passed += 1
            await self.app(scope, receive, send)
            return
        self.refused.append(scope["path"])
        headers = [(b"www-authenticate", b'Basic realm="staging"'), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


@dataclass(frozen=True)
class Staging:
    stack_json: Path
    base_url: str
    ca_file: Path
    gate: BasicAuthGate


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[Staging]:
    up = [*TPCD, "up", "--portal-config", "dotenv", "--out", str(tmp_path / "stack"), "--json"]
    stack = subprocess.Popen(up, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        described = json.loads(first_line(stack, timeout=60))
        environ = {"PORTAL_DB_PATH": str(tmp_path / "portal.sqlite3")}
        # Staging answers to two names, as a deployment lists them: the captcha's hostname check takes either.
        environ["PORTAL_CAPTCHA_HOSTNAMES"] = "www.stage.example, localhost"
        settings = load(environ, file=Path(str(described["portal_config"]))).settings
        assert settings.captcha_hostnames == ("www.stage.example", "localhost")
        app = VARIANTS["prefixed"].build(settings)
        gate = BasicAuthGate(app)
        ca = LocalCa("tpcd staging test CA")
        ca_file = tmp_path / "staging-ca.pem"
        ca_file.write_bytes(ca.pem)
        try:
            with (
                ca.server_files(["localhost"]) as tls,
                serve_asgi(gate, name="staging", tls=tls, advertise="localhost") as url,
            ):
                yield Staging(tmp_path / "stack" / "stack.json", url + "/tpcd/", ca_file, gate)
        finally:
            app.state.store.close()
    finally:
        code = stop(stack)
    assert code == 0, "tpcd up stops cleanly on SIGTERM"


def _artefacts(reports: Path) -> Iterator[tuple[str, bytes]]:
    """Every file the run left, and every member of the zips among them (Playwright's traces)."""
    for path in reports.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield f"{path}!{member}", archive.read(member)


def test_an_attached_run_passes_behind_basic_auth_over_tls_from_a_private_ca_under_a_path(
    staging: Staging, tmp_path: Path
) -> None:
    (tmp_path / "basic-auth").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    reports = tmp_path / "reports"
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("TPCD_", "PORTAL_"))}
    environ |= {"TPCD_REPORTS_DIR": str(reports), "TPCD_BASIC_AUTH_FILE": str(tmp_path / "basic-auth")}
    environ |= {"TPCD_CA_BUNDLE": str(staging.ca_file), "TPCD_A11Y": "off"}
    command = [*TPCD, "run", "--base-url", staging.base_url, "--stack", str(staging.stack_json), "-n", "0"]
    command += ["-k", " or ".join(SELECTION.values()), "--tracing", "on", "-p", "no:cacheprovider"]
    run = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    statuses = {}
    for result in (reports / "allure-results").glob("*-result.json"):
        record = json.loads(result.read_text(encoding="utf-8"))
        statuses[record["name"]] = record["status"]
    assert statuses == dict.fromkeys(SELECTION, "passed")
    assert staging.gate.passed >= 10  # the HTTP walk's forms and the browser's pages, each with the credentials
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode())
    traces = 0
    for name, data in _artefacts(reports):
        traces += name.endswith(".trace")
        assert PASSWORD.encode() not in data, name
        assert encoded not in data, name
    assert traces, "the run left no trace to check"


def _settings(tmp_path: Path, **given: object) -> Settings:
    return Settings(project_root=tmp_path, base_url="https://stage.example/tpcd/", **given)  # type: ignore[arg-type]


def test_the_credentials_go_to_the_portal_s_host_alone_and_the_ca_joins_the_public_ones(tmp_path: Path) -> None:
    ca = LocalCa("tpcd staging unit CA")
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    prepared = staging_module.prepare(_settings(tmp_path, basic_auth=f"{USER}:{PASSWORD}", ca_bundle=Path("ca.pem")))
    try:
        with requests.Session() as http:
            sent = http.prepare_request(requests.Request("GET", "https://stage.example/tpcd/")).headers
            elsewhere = http.prepare_request(requests.Request("GET", "http://127.0.0.1:9/_control/state")).headers
            bundle = Path(
                str(http.merge_environment_settings("https://stage.example/", {}, None, None, None)["verify"])
            )
        assert sent["Authorization"] == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        assert "Authorization" not in elsewhere  # never to the stack or anywhere else
        assert bundle.read_bytes().endswith(ca.pem.strip() + b"\n")
        assert len(bundle.read_bytes()) > 10 * len(ca.pem)  # the public CAs stay trusted
    finally:
        prepared.close()
    assert "NETRC" not in os.environ
    assert not bundle.exists()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"basic_auth": "no-colon"}, r"^basic_auth \(TPCD_BASIC_AUTH\) must be user:password \(the value itself"),
        ({"basic_auth_file": Path("missing")}, r"^basic_auth_file missing cannot be read"),
        ({"basic_auth": "a:b", "basic_auth_file": Path("x")}, r"^basic_auth and basic_auth_file are both set"),
        ({"ca_bundle": Path("missing.pem")}, r"^ca_bundle .*missing.pem cannot be read"),
        ({"ca_bundle": Path("empty.pem")}, r"^ca_bundle .*empty.pem holds no PEM certificate"),
    ],
    ids=["not-user-password", "no-file", "both", "no-bundle", "no-certificate"],
)
def test_unusable_staging_settings_are_refused_in_one_line_naming_them(
    tmp_path: Path, given: dict[str, object], message: str
) -> None:
    (tmp_path / "empty.pem").write_text("not a certificate", encoding="utf-8")
    with pytest.raises(SettingsError, match=message) as refused:
        staging_module.prepare(_settings(tmp_path, **given))
    assert "\n" not in str(refused.value)
    assert "no-colon" not in str(refused.value)  # a mistyped password is not echoed


def test_the_stack_s_calls_keep_their_token_on_the_portal_s_host_too(tmp_path: Path) -> None:
    """A stack on the staging portal's own host: its calls carry the token, never the portal's basic auth."""
    prepared = staging_module.prepare(_settings(tmp_path, basic_auth=f"{USER}:{PASSWORD}"))
    try:
        with ServiceClient("https://stage.example:8001", token="stack-token") as client:
            sent = client.http.prepare_request(requests.Request("GET", "https://stage.example:8001/_control/state"))
        with ServiceClient("https://stage.example:8001") as client:
            bare = client.http.prepare_request(requests.Request("GET", "https://stage.example:8001/_control/state"))
    finally:
        prepared.close()
    assert sent.headers["Authorization"] == "Bearer stack-token"
    assert "Authorization" not in bare.headers
