"""The simulators' local CA: its server certificates pass a real X.509 path validation for every loopback name, and a
server started with one speaks TLS that `requests` trusts only with that CA."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from simulators.serving import RunningServer, serve_asgi
from simulators.tls import LOOPBACK_NAMES, LocalCa


def test_server_certificates_validate_for_each_loopback_name_and_no_other() -> None:
    ca = LocalCa()
    chain, _ = ca.issue(LOOPBACK_NAMES)
    leaf, issuer = x509.load_pem_x509_certificates(chain)
    assert issuer == ca.certificate
    store = Store([x509.load_pem_x509_certificate(ca.pem)])
    policy = PolicyBuilder().store(store)
    localhost = policy.build_server_verifier(x509.DNSName("localhost")).verify(leaf, [])
    assert localhost[-1] == ca.certificate
    for address in ("127.0.0.1", "::1"):
        policy.build_server_verifier(x509.IPAddress(ipaddress.ip_address(address))).verify(leaf, [])
    with pytest.raises(VerificationError):
        policy.build_server_verifier(x509.DNSName("www.google.com")).verify(leaf, [])
    elsewhere = PolicyBuilder().store(Store([LocalCa().certificate]))
    with pytest.raises(VerificationError):  # another run's CA vouches for nothing here
        elsewhere.build_server_verifier(x509.DNSName("localhost")).verify(leaf, [])


def test_a_server_on_tls_is_trusted_with_the_ca_only(tmp_path: Path) -> None:
    ca = LocalCa()
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("hello"))])
    with ca.server_files(LOOPBACK_NAMES) as files:
        assert files.key.stat().st_mode & 0o077 == 0  # only this user reads the key
        with serve_asgi(app, name="tls", tls=files) as url:
            assert url.startswith("https://127.0.0.1:")
            assert requests.get(url, verify=str(tmp_path / "ca.pem"), timeout=5).text == "hello"
            localhost = url.replace("127.0.0.1", "localhost")
            assert requests.get(localhost, verify=str(tmp_path / "ca.pem"), timeout=5).text == "hello"
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(url, timeout=5)  # the system's CAs do not know it
    assert not files.key.exists()  # the key's folder goes with the server


def test_stopping_drops_an_idle_tls_connection_a_client_still_holds(tmp_path: Path) -> None:
    """A TLS close waits for the client's close_notify; an idle keep-alive client never sends it, so the server drops
    the connection instead of leaking its transport when the graceful wait runs out."""
    ca = LocalCa()
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("hello"))])
    with ca.server_files(LOOPBACK_NAMES) as files, requests.Session() as client:
        server = RunningServer(app, name="tls", host="127.0.0.1", port=0, timeout=5, tls=files)
        try:
            kept = client.get(server.url, verify=str(tmp_path / "ca.pem"), timeout=5)  # its socket stays open
            assert server.server.server_state.connections
        finally:
            server.stop()
        assert kept.text == "hello"
        assert not server.server.server_state.connections
