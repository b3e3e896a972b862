"""A stack bound beyond loopback serves every HTTP surface over TLS with its own CA, so its token never crosses the
network in clear (docs/shared-stack.md#tls-beyond-loopback); Python's own `ssl` and `http.client` are the clients."""

from __future__ import annotations

import http.client
import os
import ssl
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import certifi
import pytest

from harness import staging
from harness.attach import probe_stack, publish, read_stack
from harness.settings import load_settings
from harness.stack import Stack

LOCAL = ("agent", "agent_desktop")  # the citizen's computer: always on loopback, as the real 安控元件 is
NOT_HTTP = ("mail_smtp", "reader", "captcha_https")  # SMTP, a PC/SC reader name, and the reCAPTCHA CA's own port


def _address_beyond_loopback() -> str:
    """An IPv4 address of this machine that is not loopback (the test needs one to bind)."""
    try:
        shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no `ip` here to find an address beyond loopback")
    for line in shown.stdout.splitlines():
        return line.split()[3].split("/")[0]
    pytest.skip("this machine has no address beyond loopback")


def _get(url: str, path: str, context: ssl.SSLContext | None, token: str | None = None) -> int:
    """The status of GET `path` at `url`'s host and port, over TLS with `context` (plain HTTP when None)."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    connection: http.client.HTTPConnection = (
        http.client.HTTPSConnection(parts.hostname, parts.port, timeout=10, context=context)
        if context is not None
        else http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    )
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        return connection.getresponse().status
    finally:
        connection.close()


def test_beyond_loopback_every_http_surface_is_tls_with_the_stacks_ca_and_asks_for_the_token(tmp_path: Path) -> None:
    address = _address_beyond_loopback()
    cli = {"listen": address, "card_transport": "direct", "stack_dir": str(tmp_path / "stack")}
    settings = load_settings(cli, root=tmp_path, environ={})
    bundle_before = os.environ.get("REQUESTS_CA_BUNDLE")
    with Stack(settings) as stack:
        assert stack.token is not None
        described = publish(stack, citizen={})
        ca_file = str(described["stack_ca"])
        trusting_the_stack = ssl.create_default_context(cafile=ca_file)
        served = {name: url for name, url in stack.urls.items() if name not in (*LOCAL, *NOT_HTTP)}
        assert set(served) == {"sms", "mail_api", "captcha", "netizen", "registry", "ocsp", "portal"}
        for name, url in served.items():
            assert url.startswith(f"https://{address}:"), f"{name} is served at {url}"
            if name == "portal":
                assert _get(url, "/healthz", trusting_the_stack) == 200
                continue
            assert _get(url, "/_control/faults", trusting_the_stack) == 401, f"{name} without the token"
            assert _get(url, "/_control/faults", trusting_the_stack, stack.token) == 200, f"{name} with the token"
            with pytest.raises((OSError, http.client.HTTPException)):  # a TLS port answers no plain HTTP
                _get(url, "/_control/faults", None, stack.token)
        with pytest.raises(ssl.SSLCertVerificationError):  # the public CAs do not vouch for it
            _get(served["sms"], "/_control/faults", ssl.create_default_context(cafile=certifi.where()))
        for name in LOCAL:
            assert stack.urls[name].startswith("http://127.0.0.1:")
        # The stack's own clients (and the twin's adapters) reach it through the same TLS: nothing unavailable.
        assert not [name for name, state in stack.simulator_state().items() if isinstance(state, str)]
        # An attached run reads the CA from the stack file beside the token, and its checks pass over TLS.
        attached = read_stack(str(tmp_path / "stack" / "stack.json"))
        assert attached.ca_pem == Path(ca_file).read_bytes() == stack.ca_pem
        with staging.trusted([attached.ca_pem]):
            probe_stack(attached)
    assert os.environ.get("REQUESTS_CA_BUNDLE") == bundle_before


def test_plain_http_stack_keeps_plain_http_beyond_loopback_for_a_closed_network(tmp_path: Path) -> None:
    address = _address_beyond_loopback()
    cli = {"listen": address, "card_transport": "direct"}
    settings = load_settings(cli, root=tmp_path, environ={"TPCD_PLAIN_HTTP_STACK": "1"})
    with Stack(settings) as stack:
        assert stack.ca_pem is None
        assert stack.urls["sms"].startswith(f"http://{address}:")
        assert _get(stack.urls["sms"], "/_control/faults", None) == 401  # the token is still asked for
