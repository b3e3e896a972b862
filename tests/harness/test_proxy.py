"""HTTPS_PROXY and NO_PROXY are honoured by the HTTP walk (pages.attacker.Tab, requests) and by Chromium given the
proxy as the harness reads it (harness.staging.proxy): staging is often reached only through a proxy
(docs/deployment.md#staging).

A small forwarding proxy of this test's own (HTTP CONNECT, as any HTTPS proxy) is the only way to reach
portal.example.test: nothing resolves that name but the proxy, which records every tunnel it opens. A host in NO_PROXY
is reached directly and never shows in the proxy's record.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserType
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from harness import staging
from harness.settings import load_settings
from pages.attacker import Tab
from simulators.serving import serve_asgi
from simulators.tls import LocalCa

PROXIED, DIRECT = "portal.example.test", "direct.example.test"  # only the proxy knows the first; NO_PROXY the second


class _Tunnels(socketserver.ThreadingTCPServer):
    """An HTTPS proxy: CONNECT host:port, answered by a tunnel to 127.0.0.1:port (the proxy's own name resolution)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.seen: list[str] = []  # host:port of each CONNECT, in order


class _Tunnel(socketserver.BaseRequestHandler):
    server: _Tunnels

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.seen.append(target)
        _, _, port = target.rpartition(":")
        with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            ends = [self.request, upstream]
            while True:
                readable, _, _ = select.select(ends, [], [], 30)
                if not readable:
                    return
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.request else self.request).sendall(data)


def _hello(request: Request) -> HTMLResponse:
    """A page titled and headed with the host the request was addressed to."""
    host = request.headers["host"].split(":")[0]
    return HTMLResponse(f"<!doctype html><title>{host}</title><h1>{host}</h1>")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """An HTTPS site on 127.0.0.1 answering as both names (and localhost), and its CA's PEM file."""
    ca = LocalCa("tpcd-harness proxy test CA")
    ca_file = tmp_path_factory.mktemp("proxy") / "ca.pem"
    ca_file.write_bytes(ca.pem)
    app = Starlette(routes=[Route("/", _hello)])
    with (
        ca.server_files([PROXIED, DIRECT, "localhost", "127.0.0.1"]) as files,
        serve_asgi(app, name="proxied-site", tls=files) as url,
    ):
        yield int(url.rsplit(":", 1)[1]), ca_file


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch, site: tuple[int, Path]) -> Iterator[_Tunnels]:
    """The proxy running, named by HTTPS_PROXY, with DIRECT and localhost in NO_PROXY, as a person's shell has it."""
    tunnels = _Tunnels()
    thread = threading.Thread(target=tunnels.serve_forever, name="test-proxy", daemon=True)
    thread.start()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "https_proxy", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{tunnels.server_address[1]}")
        monkeypatch.setenv("NO_PROXY", f"{DIRECT},localhost")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(site[1]))
        yield tunnels
    finally:
        tunnels.shutdown()
        tunnels.server_close()
        thread.join(10)


def test_the_http_walk_goes_through_https_proxy_and_around_it_for_no_proxy(
    proxy: _Tunnels, site: tuple[int, Path]
) -> None:
    port = site[0]
    proxied = Tab(f"https://{PROXIED}:{port}", None)
    try:
        assert proxied.open("/").title == PROXIED  # a name only the proxy resolves: it went through it
    finally:
        proxied.close()
    assert proxy.seen == [f"{PROXIED}:{port}"]
    direct = Tab(f"https://localhost:{port}", None)
    try:
        assert direct.open("/").title == "localhost"
    finally:
        direct.close()
    assert proxy.seen == [f"{PROXIED}:{port}"]  # NO_PROXY: straight to the site


def test_chromium_given_the_harness_s_proxy_goes_through_it_and_around_it_for_no_proxy(
    proxy: _Tunnels, site: tuple[int, Path], tmp_path: Path, browser_type: BrowserType
) -> None:
    """The worker's own Playwright (pytest-playwright's `browser_type`) launches it: a second sync Playwright in a
    worker whose page tests started one refuses to run inside that one's loop."""
    port = site[0]
    chosen = staging.proxy()
    assert chosen == {"server": f"http://127.0.0.1:{proxy.server_address[1]}", "bypass": f"{DIRECT},localhost"}
    chromium = load_settings(root=tmp_path, environ={}).chromium
    # DIRECT resolves here only through this rule, which Chromium applies to what it reaches without the proxy.
    rules = f"--host-resolver-rules=MAP {DIRECT} 127.0.0.1"
    browser = browser_type.launch(executable_path=str(chromium), proxy=chosen, args=[rules])
    try:
        context = browser.new_context(ignore_https_errors=True)  # the site's CA is not what is tested here
        page = context.new_page()
        page.goto(f"https://{PROXIED}:{port}/")
        assert page.title() == PROXIED
        page.goto(f"https://{DIRECT}:{port}/")
        assert page.title() == DIRECT
        context.close()
    finally:
        browser.close()
    assert f"{PROXIED}:{port}" in proxy.seen
    assert f"{DIRECT}:{port}" not in proxy.seen  # NO_PROXY: straight to the site
